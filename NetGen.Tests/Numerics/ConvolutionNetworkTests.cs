using System;
using System.IO;
using System.Linq;
using NetGen.Data;

namespace NetGen.Tests.Numerics;

/// <summary>
/// Batch-norm semantics against torch's documented formulas, deferred running statistics in the
/// parallel trainer, weight files with buffers, and allocation-free convolutional passes.
/// </summary>
public class ConvolutionNetworkTests
{
    private const int Batch = 4;

    private static BatchNormProbe IdentityProbe()
    {
        var network = new BatchNormProbe(1);
        Span<float> weight = network.Dense3Weight;
        weight.Clear();
        for (int i = 0; i < 8; i++)
        {
            weight[(i * 8) + i] = 1f;
        }

        new[] { 1.5f, 0.5f }.CopyTo(network.BatchNorm1Weight);
        new[] { 0.25f, -1f }.CopyTo(network.BatchNorm1Bias);
        return network;
    }

    private static float[] ProbeInputs()
    {
        var random = new Random(3);
        return Enumerable.Range(0, Batch * 8).Select(_ => (float)((random.NextDouble() * 4) + 10)).ToArray();
    }

    // Per channel over batch × spatial: mean and biased variance, as double.
    private static (double Mean, double Variance) Statistics(float[] x, int channel)
    {
        var values = Enumerable.Range(0, Batch).SelectMany(b => Enumerable.Range(0, 4).Select(s => (double)x[(b * 8) + (channel * 4) + s])).ToArray();
        double mean = values.Average();
        return (mean, values.Select(v => (v - mean) * (v - mean)).Average());
    }

    [Fact]
    public void TrainingForward_UsesBatchStatistics()
    {
        BatchNormProbe network = IdentityProbe();
        float[] x = ProbeInputs();
        Workspace workspace = network.CreateWorkspace(Batch);
        workspace.IsTraining = true;
        var y = new float[Batch * 8];
        network.Forward(x, y, workspace);

        float[] gamma = { 1.5f, 0.5f };
        float[] beta = { 0.25f, -1f };
        for (int c = 0; c < 2; c++)
        {
            (double mean, double variance) = Statistics(x, c);
            for (int b = 0; b < Batch; b++)
            {
                for (int s = 0; s < 4; s++)
                {
                    int i = (b * 8) + (c * 4) + s;
                    double expected = (gamma[c] * (x[i] - mean) / Math.Sqrt(variance + 1e-3)) + beta[c];
                    Assert.Equal(expected, y[i], 4);
                }
            }

            // running = (1 − m)·running + m·stat with the unbiased variance (n = 16).
            Assert.Equal((0.75 * 0) + (0.25 * mean), network.BatchNorm1RunningMean[c], 4);
            Assert.Equal((0.75 * 1) + (0.25 * variance * 16 / 15), network.BatchNorm1RunningVar[c], 4);
        }
    }

    [Fact]
    public void EvaluationForward_UsesRunningStatistics()
    {
        BatchNormProbe network = IdentityProbe();
        new[] { 11f, 12f }.CopyTo(network.BatchNorm1RunningMean);
        new[] { 2f, 0.5f }.CopyTo(network.BatchNorm1RunningVar);
        float[] x = ProbeInputs();
        var y = new float[Batch * 8];
        network.Forward(x, y, network.CreateWorkspace(Batch));

        for (int i = 0; i < y.Length; i++)
        {
            int c = (i % 8) / 4;
            double expected = c == 0 ? (1.5 * (x[i] - 11) / Math.Sqrt(2 + 1e-3)) + 0.25 : (0.5 * (x[i] - 12) / Math.Sqrt(0.5 + 1e-3)) - 1;
            Assert.Equal(expected, y[i], 4);
        }

        Assert.Equal(new[] { 11f, 12f }, network.BatchNorm1RunningMean.ToArray());
    }

    [Fact]
    public void DeferredStatistics_ApplyOnCommit()
    {
        BatchNormProbe immediate = IdentityProbe();
        BatchNormProbe deferred = IdentityProbe();
        float[] x = ProbeInputs();
        var y = new float[Batch * 8];
        Workspace first = immediate.CreateWorkspace(Batch);
        first.IsTraining = true;
        immediate.Forward(x, y, first);

        Workspace second = deferred.CreateWorkspace(Batch);
        second.IsTraining = true;
        second.DefersStatistics = true;
        deferred.Forward(x, y, second);
        Assert.True(second.HasPendingStatistics);
        Assert.Equal(new[] { 0f, 0f }, deferred.BatchNorm1RunningMean.ToArray());

        ((ITrainableNetwork)deferred).CommitStatistics(second);
        Assert.False(second.HasPendingStatistics);
        Assert.Equal(immediate.Buffers.ToArray(), deferred.Buffers.ToArray());

        // A second commit without a new forward pass changes nothing.
        deferred.CommitStatistics(second);
        Assert.Equal(immediate.Buffers.ToArray(), deferred.Buffers.ToArray());
    }

    [Fact]
    public void CommitStatistics_HandBuiltWorkspace_IsRejected()
    {
        // The right architecture text, but buffers of other sizes and a claim of pending statistics.
        BatchNormProbe network = IdentityProbe();
        float[] before = network.Buffers.ToArray();
        var handBuilt = new Workspace(BatchNormProbe.ArchitectureText, 4, 1, 1) { HasPendingStatistics = true };

        var error = Assert.Throws<ArgumentException>(() => network.CommitStatistics(handBuilt));

        Assert.Contains("CreateWorkspace", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, network.Buffers.ToArray());
    }

    [Fact]
    public void ParallelTraining_IsThreadCountInvariant()
    {
        Dataset data = SmallImages(160, seed: 11);
        float[] Train(int threads, out float[] buffers)
        {
            var network = new SmallCnn(5);
            using var trainer = new Trainer<SmallCnn>(network, new Adam(learningRate: 1e-2f), batchSize: 80, seed: 2, threads: threads, chunkSize: 16);
            trainer.Fit(data, epochs: 2);
            buffers = network.Buffers.ToArray();
            return network.Parameters.ToArray();
        }

        float[] oneThread = Train(1, out float[] buffersOne);
        float[] two = Train(2, out float[] buffersTwo);
        float[] three = Train(3, out float[] buffersThree);
        Assert.Equal(oneThread, two);
        Assert.Equal(oneThread, three);
        Assert.Equal(buffersOne, buffersTwo);
        Assert.Equal(buffersOne, buffersThree);
        Assert.NotEqual(new float[] { 0, 0, 0, 0, 1, 1, 1, 1 }, buffersOne);
    }

    [Fact]
    public void EvenChunks_AvoidOneSampleChunk()
    {
        // 33 samples in chunks of at most 32 split 17 + 16; a 32 + 1 split would leave batch norm
        // one value per channel, which it cannot normalise.
        var random = new Random(1);
        float[] inputs = Enumerable.Range(0, 33 * 4).Select(_ => (float)random.NextDouble()).ToArray();
        float[] targets = Enumerable.Range(0, 33 * 2).Select(_ => (float)random.NextDouble()).ToArray();
        var data = new Dataset(inputs, 4, targets, 2);
        float[] Train(int threads)
        {
            var network = new DenseBatchNorm(3);
            using var trainer = new Trainer<DenseBatchNorm>(network, new Sgd(learningRate: 0.1f), batchSize: 33, threads: threads, chunkSize: 32);
            trainer.Fit(data, epochs: 3);
            return network.Parameters.ToArray().Concat(network.Buffers.ToArray()).ToArray();
        }

        Assert.Equal(Train(1), Train(2));
    }

    [Fact]
    public void Backward_FollowsForwardMode()
    {
        float[] Gradient(bool toggle)
        {
            var network = new BatchNormed(4);
            var random = new Random(2);
            float[] inputs = Enumerable.Range(0, 3 * BatchNormed.InputSize).Select(_ => (float)random.NextDouble()).ToArray();
            float[] targets = Enumerable.Range(0, 3 * BatchNormed.OutputSize).Select(_ => (float)random.NextDouble()).ToArray();
            Workspace workspace = network.CreateWorkspace(3);
            workspace.IsTraining = true;
            network.Forward(inputs, new float[3 * BatchNormed.OutputSize], workspace);
            workspace.IsTraining = !toggle;
            network.Backward(inputs, targets, workspace);
            return workspace.Gradients.ToArray();
        }

        Assert.Equal(Gradient(toggle: false), Gradient(toggle: true));
    }

    [Fact]
    public void OneSampleTailBatch_ExplainsCause()
    {
        var random = new Random(3);
        float[] inputs = Enumerable.Range(0, 33 * 4).Select(_ => (float)random.NextDouble()).ToArray();
        float[] targets = Enumerable.Range(0, 33 * 2).Select(_ => (float)random.NextDouble()).ToArray();
        var network = new DenseBatchNorm(1);
        float[] parameters = network.Parameters.ToArray();
        float[] buffers = network.Buffers.ToArray();
        using var trainer = new Trainer<DenseBatchNorm>(network, new Sgd(learningRate: 0.1f), batchSize: 32);

        var exception = Assert.Throws<ArgumentException>(() => trainer.Fit(new Dataset(inputs, 4, targets, 2), epochs: 1));

        Assert.Equal("train", exception.ParamName);
        Assert.Contains("33 samples, so with a batch size of 32 one batch holds 1 sample(s)", exception.Message, StringComparison.Ordinal);
        Assert.Contains("at least 2", exception.Message, StringComparison.Ordinal);

        // The check runs before the first step, so the first batch of 32 has not trained either.
        Assert.Equal(parameters, network.Parameters.ToArray());
        Assert.Equal(buffers, network.Buffers.ToArray());
    }

    [Theory]
    [InlineData(1, 8)]
    [InlineData(8, 1)]
    public void OneSampleBatches_AreRejected(int batchSize, int count)
    {
        var network = new DenseBatchNorm(1);
        using var trainer = new Trainer<DenseBatchNorm>(network, new Sgd(learningRate: 0.1f), batchSize: batchSize);
        var data = new Dataset(new float[count * 4], 4, new float[count * 2], 2);

        var exception = Assert.Throws<ArgumentException>(() => trainer.Fit(data, epochs: 1));

        Assert.Contains("holds 1 sample(s)", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MinimumTrainingBatch_FollowsPositions()
    {
        // A batch norm after a convolution normalises over positions too, so one sample is enough.
        Assert.Equal(1, ((ITrainableNetwork)new BatchNormProbe(1)).MinimumTrainingBatch);
        Assert.Equal(2, ((ITrainableNetwork)new DenseBatchNorm(1)).MinimumTrainingBatch);
    }

    [Fact]
    public void WeightFile_RoundTripsParametersAndRunningStatistics()
    {
        var source = new SmallCnn(1);
        source.Buffers.Fill(0.5f);
        source.Conv1Weight[3] = 7f;
        using var stream = new MemoryStream();
        WeightFile.Save(source, stream);

        var target = new SmallCnn(2);
        stream.Position = 0;
        WeightFile.Load(target, stream);
        Assert.Equal(source.Parameters.ToArray(), target.Parameters.ToArray());
        Assert.Equal(source.Buffers.ToArray(), target.Buffers.ToArray());
        Assert.Contains("Conv2D(4,3x3,s1,p1/1/1/1,d1,g1,nobias,Identity)", SmallCnn.ArchitectureText, StringComparison.Ordinal);
    }

    [Fact]
    public void ForwardBackwardAndTrainStep_AllocateNothing()
    {
        var network = new SmallCnn(3);
        Dataset data = SmallImages(8, seed: 4);
        Workspace workspace = network.CreateWorkspace(8);
        var outputs = new float[8 * SmallCnn.OutputSize];
        var sample = new float[SmallCnn.OutputSize];
        var optimizer = new Adam(learningRate: 1e-3f);
        float[] inputs = data.Inputs.ToArray();
        float[] targets = data.Targets.ToArray();

        void Run()
        {
            workspace.IsTraining = true;
            network.Forward(inputs, outputs, workspace);
            network.Backward(inputs, targets, workspace);
            network.TrainStep(inputs, targets, optimizer, workspace);
            workspace.IsTraining = false;
            network.Forward(inputs.AsSpan(0, SmallCnn.InputSize), sample);
        }

        Run();
        Assert.Equal(0, SteadyAllocation.MedianBytes(() =>
        {
            for (int i = 0; i < 5; i++)
            {
                Run();
            }
        }));
    }

    [Fact]
    public void SingleSampleForward_MatchesTheBatchPath()
    {
        var network = new SmallCnn(6);
        Dataset data = SmallImages(3, seed: 8);
        var batch = new float[3 * SmallCnn.OutputSize];
        network.Forward(data.Inputs, batch, network.CreateWorkspace(3));
        var single = new float[SmallCnn.OutputSize];
        for (int b = 0; b < 3; b++)
        {
            network.Forward(data.Inputs.Slice(b * SmallCnn.InputSize, SmallCnn.InputSize), single);
            for (int o = 0; o < single.Length; o++)
            {
                Assert.Equal(batch[(b * SmallCnn.OutputSize) + o], single[o], 5);
            }
        }
    }

    private static Dataset SmallImages(int count, int seed)
    {
        // Three classes: a bright top half, a bright left half, or neither.
        var random = new Random(seed);
        var inputs = new float[count * 64];
        var labels = new byte[count];
        for (int n = 0; n < count; n++)
        {
            labels[n] = (byte)(n % 3);
            for (int i = 0; i < 64; i++)
            {
                bool lit = labels[n] == 0 ? i < 32 : labels[n] == 1 && i % 8 < 4;
                inputs[(n * 64) + i] = (lit ? 1f : 0f) + (float)(random.NextDouble() * 0.3);
            }
        }

        return Dataset.ForClassification(inputs, 64, labels, 3);
    }
}
