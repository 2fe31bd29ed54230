using System;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using NetGen.Data;
using NetGen.Kernels;

namespace NetGen.Tests.Training;

// Two large layers for the shared-layer tests. At batch 72, 256 → 160 (2.9 million multiply-adds,
// five panels of 32 outputs) and 160 → 100 (1.15 million, three panels and a remainder of 4) both
// reach LayerSplit.MinimumWork. The last layer stays on the calling thread.
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(256)]
[Dense(160, Activation.Tanh)]
[Dense(100, Activation.Relu)]
[Dense(7)]
internal sealed partial class SharedLayerTestMlp;

// One shared layer under squared error, whose gradient a test makes infinite in one thread's rows.
[Network(Loss = Loss.SquaredError)]
[Input(1024)]
[Dense(64)]
internal sealed partial class SharedLayerTestLinear;

public class SharedLayerTests
{
    // A layer takes no more parts than there are processors, so one processor shares nothing;
    // the bits must still match.
    private static bool SharesLayers => Environment.ProcessorCount > 1;

    [Theory]
    [InlineData(72, 72)]  // every batch one chunk, the last of 56 samples included
    [InlineData(80, 72)]  // batches of two chunks, then a last batch of one: both modes in one epoch
    public void Fit_SharedLayers_SameBitsAsOneThread(int batchSize, int chunkSize)
    {
        Dataset train = Blobs(200, seed: 1);
        Dataset validation = Blobs(50, seed: 2);
        (float[] reference, TrainingHistory referenceHistory, _) = Train(threads: 1, useAdam: true);

        foreach (int threads in new[] { 2, 3 })
        {
            (float[] parameters, TrainingHistory history, long passes) = Train(threads, useAdam: true);

            Assert.True(passes > 0 || !SharesLayers, $"No layer was shared on {threads} threads.");
            Assert.Equal(Bits(reference), Bits(parameters));
            for (int epoch = 0; epoch < history.Count; epoch++)
            {
                Assert.Equal(referenceHistory[epoch].TrainingLoss, history[epoch].TrainingLoss);
                Assert.Equal(referenceHistory[epoch].ValidationLoss, history[epoch].ValidationLoss);
            }
        }

        (float[] sgdReference, _, _) = Train(threads: 1, useAdam: false);
        (float[] sgdParameters, _, _) = Train(threads: 2, useAdam: false);
        Assert.Equal(Bits(sgdReference), Bits(sgdParameters));

        (float[] Parameters, TrainingHistory History, long Passes) Train(int threads, bool useAdam)
        {
            var network = new SharedLayerTestMlp(seed: 4);
            IOptimizer optimizer = useAdam ? new Adam(1e-3f) : new Sgd(0.05f, momentum: 0.9f);
            using var trainer = new Trainer<SharedLayerTestMlp>(network, optimizer, batchSize, seed: 3, threads: threads, chunkSize: chunkSize);
            TrainingHistory history = trainer.Fit(train, epochs: 3, validation);
            return (network.Parameters.ToArray(), history, trainer.SharedLayerPasses);
        }
    }

    [Fact]
    public void Evaluate_SharedLayers_SameAsOneThread()
    {
        // Evaluation batches of 72 in chunks of 72 are one chunk each, whose forward pass the
        // threads share; 200 samples end with a batch of 56.
        Dataset data = Blobs(200, seed: 5);
        using var single = new Trainer<SharedLayerTestMlp>(new SharedLayerTestMlp(seed: 6), new Adam(1e-3f), batchSize: 72, threads: 1, chunkSize: 72);
        using var two = new Trainer<SharedLayerTestMlp>(new SharedLayerTestMlp(seed: 6), new Adam(1e-3f), batchSize: 72, threads: 2, chunkSize: 72);

        EvaluationResult expected = single.Evaluate(data);
        EvaluationResult actual = two.Evaluate(data);

        Assert.Equal(expected.Loss, actual.Loss);
        Assert.Equal(expected.Accuracy, actual.Accuracy);
        // Only the packed kernel (AVX-512) splits a forward pass.
        Assert.True(two.SharedLayerPasses > 0 || !SharesLayers || !DenseKernels.ForwardSplits(72, 256, 160));
    }

    [Fact]
    public void Fit_InfiniteRowGradient_TakesNoStep()
    {
        // Zero parameters give outputs of 0. Targets of −1e4 on outputs 32–63, the second thread's
        // rows, make their gradient 2·1e4 / (32·64) ≈ 9.8 times an input of 3e38: infinity. The
        // loss, 1e8 / 2 on average, is finite, so only the check of the gradient can stop the step.
        const int Batch = 32;
        var inputs = new float[Batch * 1024];
        inputs[(5 * 1024) + 100] = 3e38f;
        var targets = new float[Batch * 64];
        for (int b = 0; b < Batch; b++)
        {
            targets.AsSpan((b * 64) + 32, 32).Fill(-1e4f);
        }

        var network = new SharedLayerTestLinear(seed: 1);
        network.Parameters.Clear();
        var optimizer = new Adam(0.1f);
        using var trainer = new Trainer<SharedLayerTestLinear>(network, optimizer, Batch, threads: 2, chunkSize: Batch);

        var error = Assert.Throws<ArithmeticException>(() => trainer.Fit(new Dataset(inputs, 1024, targets, 64), epochs: 1));

        Assert.Contains("gradient", error.Message, StringComparison.Ordinal);
        Assert.True(trainer.SharedLayerPasses > 0 || !SharesLayers);
        Assert.All(network.Parameters.ToArray(), p => Assert.Equal(0f, p));
        Assert.Equal(0, optimizer.StepCount);
    }

    [Fact]
    public void Epoch_SharedLayersAllocateNothing()
    {
        Dataset train = Blobs(216, seed: 11);
        Dataset validation = Blobs(72, seed: 12);
        using var trainer = new Trainer<SharedLayerTestMlp>(
            new SharedLayerTestMlp(seed: 13), new Adam(1e-3f), batchSize: 72, threads: 2, chunkSize: 72);
        trainer.Fit(train, epochs: 1, validation);

        long workerBefore = trainer.WorkerThreadAllocatedBytes;
        long allocated = SteadyAllocation.MedianBytes(() =>
        {
            trainer.RunEpoch(train, validation, epoch: 1, epochs: 1, Stopwatch.GetTimestamp(), progress: null, CancellationToken.None);
        });
        long workerAllocated = trainer.WorkerThreadAllocatedBytes - workerBefore;

        Assert.True(trainer.SharedLayerPasses > 0 || !SharesLayers);
        Assert.Equal(0, allocated);
        Assert.Equal(0, workerAllocated);
    }

    [Theory]
    [InlineData(128, 2)]
    [InlineData(100, 2)]
    [InlineData(160, 3)]
    [InlineData(64, 4)]
    public void SetBoundaries_AlignedRangesOfAtLeastOnePanel(int outputs, int threads)
    {
        var split = new LayerSplit(threads, _ => { });

        int parts = split.SetBoundaries(outputs);

        Assert.Equal(Math.Min(threads, outputs / DenseKernels.SplitAlignment), parts);
        Assert.Equal(0, split.Boundary(0));
        Assert.Equal(outputs, split.Boundary(parts));
        for (int p = 0; p < parts; p++)
        {
            Assert.Equal(0, split.Boundary(p) % DenseKernels.SplitAlignment);
            Assert.True(split.Boundary(p + 1) - split.Boundary(p) >= DenseKernels.SplitAlignment);
        }

        // Within one panel of an even cut.
        for (int p = 1; p < parts; p++)
        {
            Assert.InRange(split.Boundary(p), (p * outputs / parts) - DenseKernels.SplitAlignment, (p * outputs / parts) + DenseKernels.SplitAlignment);
        }
    }

    /// <summary>Three Gaussian blobs in 256 dimensions, one-hot over 7 classes (only 3 used).</summary>
    private static Dataset Blobs(int count, int seed)
    {
        var random = new Random(seed);
        var inputs = new float[count * 256];
        var targets = new float[count * 7];
        for (int s = 0; s < count; s++)
        {
            int label = random.Next(3);
            for (int i = 0; i < 256; i++)
            {
                inputs[(s * 256) + i] = (float)((random.NextDouble() * 2) - 1 + (i % 3 == label ? 0.5 : 0));
            }

            targets[(s * 7) + label] = 1;
        }

        return new Dataset(inputs, 256, targets, 7);
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();
}
