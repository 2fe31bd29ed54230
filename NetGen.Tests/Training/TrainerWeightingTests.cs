using System;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using NetGen.Data;

namespace NetGen.Tests.Training;

// Class-weighted softmax cross-entropy divides by the batch's total weight, so the trainer must
// weigh chunks by their weights, not their sizes. Samples sorted by class put each class into a
// chunk of its own, where weighing by size cancels the class weights.
[Network(Loss = Loss.SoftmaxCrossEntropy, ClassWeights = new[] { 1f, 10f })]
[Input(3)]
[Dense(2)]
internal sealed partial class WeightedLinear;

[Network(Loss = Loss.SoftmaxCrossEntropy, ClassWeights = new[] { 0f, 1f })]
[Input(3)]
[Dense(2)]
internal sealed partial class IgnoreClassZero;

[Network(Loss = Loss.SoftmaxCrossEntropy, LabelSmoothing = 0.2f)]
[Input(3)]
[Dense(2)]
internal sealed partial class SmoothedLinear;

[Network]
[Input(7)]
[Dense(6)]
[BatchNorm(Activation.Relu)]
[Dense(4)]
internal sealed partial class EarlyStoppingBatchNorm;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(7)]
[Dense(9, Activation.Tanh)]
[Dense(4)]
internal sealed partial class WrappedMlp;

/// <summary>A hand-written struct network that keeps every default member of the interfaces.</summary>
internal readonly struct StructNetwork : ITrainableNetwork
{
    private readonly WrappedMlp _inner;

    public StructNetwork(WrappedMlp inner) => _inner = inner;

    public Loss Loss => Loss.SoftmaxCrossEntropy;

    public int InputSize => WrappedMlp.InputSize;

    public int OutputSize => WrappedMlp.OutputSize;

    public int ParameterCount => WrappedMlp.ParameterCount;

    public string Architecture => "StructNetwork";

    public Span<float> Parameters => _inner.Parameters;

    public Workspace CreateWorkspace(int maxBatchSize) => _inner.CreateWorkspace(maxBatchSize);

    public void Forward(ReadOnlySpan<float> input, Span<float> output) => _inner.Forward(input, output);

    public void Forward(ReadOnlySpan<float> inputs, Span<float> outputs, Workspace workspace) => _inner.Forward(inputs, outputs, workspace);

    public float Backward(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, Workspace workspace) => _inner.Backward(inputs, targets, workspace);

    public float ComputeLoss(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets) => _inner.ComputeLoss(outputs, targets);

    public float TrainStep(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, IOptimizer optimizer, Workspace workspace) =>
        _inner.TrainStep(inputs, targets, optimizer, workspace);
}

/// <summary>A network whose LossWeight breaks its contract by returning −1.</summary>
internal sealed class NegativeWeightNetwork(WeightedLinear inner) : ITrainableNetwork
{
    public Loss Loss => inner.Loss;

    public int InputSize => WeightedLinear.InputSize;

    public int OutputSize => WeightedLinear.OutputSize;

    public int ParameterCount => WeightedLinear.ParameterCount;

    public string Architecture => "NegativeWeightNetwork";

    public Span<float> Parameters => inner.Parameters;

    public bool WeighsSamples => true;

    public double LossWeight(ReadOnlySpan<float> targets) => -1;

    public Workspace CreateWorkspace(int maxBatchSize) => inner.CreateWorkspace(maxBatchSize);

    public void Forward(ReadOnlySpan<float> input, Span<float> output) => inner.Forward(input, output);

    public void Forward(ReadOnlySpan<float> inputs, Span<float> outputs, Workspace workspace) => inner.Forward(inputs, outputs, workspace);

    public float Backward(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, Workspace workspace) => inner.Backward(inputs, targets, workspace);

    public float ComputeLoss(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets) => inner.ComputeLoss(outputs, targets);

    public float TrainStep(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, IOptimizer optimizer, Workspace workspace) =>
        inner.TrainStep(inputs, targets, optimizer, workspace);
}

public class TrainerWeightingTests
{
    // Chunked sums round differently from one whole-batch pass; the class-weight errors were 0.4.
    private const float StepTolerance = 1e-5f;

    [Fact]
    public void Fit_ClassWeightsSorted_MatchesTrainStep() =>
        AssertChunkedEpochMatchesTrainStep(() => new WeightedLinear(seed: 3), SortedByClass(), chunkSize: 32);

    [Fact]
    public void Fit_ZeroClassWeightChunk_AddsNothing() =>
        // The first chunk holds only class 0, of weight 0: its mean is 0/0.
        AssertChunkedEpochMatchesTrainStep(() => new IgnoreClassZero(seed: 3), SortedByClass(), chunkSize: 32);

    [Fact]
    public void Fit_SmoothedSoftTargets_MatchesTrainStep()
    {
        // Soft targets that do not sum to 1 give rows of unequal weight under label smoothing.
        var random = new Random(5);
        float[] inputs = Uniform(random, 48 * 3, 1);
        float[] targets = Enumerable.Range(0, 48 * 2).Select(i => i < 48 ? 0.1f : 2f * (float)random.NextDouble()).ToArray();
        AssertChunkedEpochMatchesTrainStep(() => new SmoothedLinear(seed: 3), new Dataset(inputs, 3, targets, 2), chunkSize: 16);
    }

    [Theory]
    [InlineData(64)]
    [InlineData(32)]
    [InlineData(17)]
    public void Evaluate_ClassWeights_AnyBatchGivesWholeLoss(int evaluationBatch)
    {
        Dataset data = SortedByClass();
        var network = new WeightedLinear(seed: 3);
        using var trainer = new Trainer<WeightedLinear>(network, new Sgd(1f), 64, maxEvaluationBatch: evaluationBatch, threads: 2, chunkSize: 8);
        var outputs = new float[64 * 2];
        network.Forward(data.Inputs, outputs, network.CreateWorkspace(64));
        float expected = network.ComputeLoss(outputs, data.Targets);

        Assert.Equal(expected, trainer.Evaluate(data).Loss, 1e-6);
    }

    [Fact]
    public void Fit_RestoreBestWeights_RestoresBatchNormStatistics()
    {
        var random = new Random(3);
        var train = new Dataset(Uniform(random, 200 * 7, 4), 7, Uniform(random, 200 * 4, 2), 4);
        var validation = new Dataset(Uniform(random, 60 * 7, 4), 7, Uniform(random, 60 * 4, 2), 4);
        var network = new EarlyStoppingBatchNorm(seed: 3);
        using var trainer = new Trainer<EarlyStoppingBatchNorm>(network, new Sgd(0.05f), 20, threads: 1, chunkSize: 20);

        TrainingHistory history = trainer.Fit(train, epochs: 30, validation, earlyStopping: new EarlyStopping(patience: 3, restoreBestWeights: true));

        // Evaluation uses the running statistics, so it repeats the best epoch's figure only if
        // they came back with the weights.
        int best = history.BestEpoch!.Value;
        Assert.NotEqual(history.Count, best);
        Assert.Equal(history[best - 1].ValidationLoss, trainer.Evaluate(validation).Loss);
    }

    [Fact]
    public void RunEpoch_StructNetwork_AllocatesNothing()
    {
        // A default interface member called on a struct boxes it, so the trainer reads them once.
        var random = new Random(1);
        byte[] labels = Enumerable.Range(0, 640).Select(_ => (byte)random.Next(4)).ToArray();
        Dataset whole = Dataset.ForClassification(Uniform(random, 61 * 7, 1), 7, labels[..61], 4);
        Dataset large = Dataset.ForClassification(Uniform(random, 640 * 7, 1), 7, labels, 4);
        using var trainer = new Trainer<StructNetwork>(new StructNetwork(new WrappedMlp(seed: 3)), new Sgd(0.1f), 64, threads: 2, chunkSize: 16);
        trainer.Fit(whole, epochs: 2);
        trainer.Fit(large, epochs: 1);

        long wholeBytes = SteadyAllocation.MedianBytes(() => trainer.RunEpoch(whole, null, 1, 1, Stopwatch.GetTimestamp(), null, CancellationToken.None));
        long largeBytes = SteadyAllocation.MedianBytes(() => trainer.RunEpoch(large, null, 1, 1, Stopwatch.GetTimestamp(), null, CancellationToken.None));

        Assert.Equal(0, wholeBytes);
        Assert.Equal(0, largeBytes);
    }

    [Fact]
    public void Fit_BatchesOfWeightZero_TakeNoStep()
    {
        // Every sample is of class 0, which weighs 0: no batch has a mean, so nothing moves.
        var random = new Random(2);
        Dataset data = Dataset.ForClassification(Uniform(random, 8 * 3, 1), 3, new byte[8], 2);
        var network = new IgnoreClassZero(seed: 3);
        float[] before = network.Parameters.ToArray();
        using var trainer = new Trainer<IgnoreClassZero>(network, new Sgd(1f), 4, threads: 2, chunkSize: 2);

        EpochReport report = trainer.Fit(data, epochs: 2)[1];

        Assert.Equal(before, network.Parameters.ToArray());
        Assert.True(double.IsNaN(report.TrainingLoss), $"The training loss is {report.TrainingLoss}, but a set of weight 0 has no mean.");
    }

    [Fact]
    public void Fit_NegativeLossWeight_Throws()
    {
        var network = new NegativeWeightNetwork(new WeightedLinear(seed: 3));
        using var trainer = new Trainer<NegativeWeightNetwork>(network, new Sgd(1f), 64, threads: 1, chunkSize: 32);

        var error = Assert.Throws<InvalidOperationException>(() => trainer.Fit(SortedByClass(), epochs: 1));

        Assert.Contains("-1", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Fit_BatchNormSmallChunks_TrainOddBatches(int chunkSize)
    {
        // Chunks of 2 would split a batch of 5 into 2 + 2 + 1, and batch norm cannot train on
        // one sample, so such networks take chunks of 2 or 3.
        var random = new Random(4);
        var data = new Dataset(Uniform(random, 10 * 7, 1), 7, Uniform(random, 10 * 4, 1), 4);
        using var small = new Trainer<EarlyStoppingBatchNorm>(new EarlyStoppingBatchNorm(seed: 1), new Sgd(0.1f), 5, threads: 2, chunkSize: chunkSize);

        EpochReport report = small.Fit(data, epochs: 1)[0];

        Assert.True(double.IsFinite(report.TrainingLoss), $"The training loss is {report.TrainingLoss}.");
    }

    /// <summary>
    /// Fits one epoch of one batch of the whole set in chunks on two threads, and checks its loss
    /// and parameters against one TrainStep of the same network over the whole batch.
    /// </summary>
    private static void AssertChunkedEpochMatchesTrainStep<TNetwork>(Func<TNetwork> create, Dataset data, int chunkSize)
        where TNetwork : ITrainableNetwork
    {
        TNetwork chunked = create();
        TNetwork whole = create();
        using var trainer = new Trainer<TNetwork>(chunked, new Sgd(1f), data.Count, threads: 2, chunkSize: chunkSize);

        EpochReport report = trainer.Fit(data, epochs: 1)[0];
        float wholeLoss = whole.TrainStep(data.Inputs, data.Targets, new Sgd(1f), whole.CreateWorkspace(data.Count));

        Assert.Equal(wholeLoss, report.TrainingLoss, 1e-6);
        AssertClose(whole.Parameters.ToArray(), chunked.Parameters.ToArray());
    }

    /// <summary>64 samples of 3 inputs: 32 of class 0, then 32 of class 1.</summary>
    private static Dataset SortedByClass()
    {
        var random = new Random(1);
        byte[] labels = Enumerable.Range(0, 64).Select(i => (byte)(i < 32 ? 0 : 1)).ToArray();
        return Dataset.ForClassification(Uniform(random, 64 * 3, 1), 3, labels, 2);
    }

    private static float[] Uniform(Random random, int length, float scale) =>
        Enumerable.Range(0, length).Select(_ => scale * (float)(random.NextDouble() * 2 - 1)).ToArray();

    private static void AssertClose(float[] expected, float[] actual)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(
                Math.Abs(expected[i] - actual[i]) <= StepTolerance,
                $"Parameter {i} is {actual[i]} after the chunked step and {expected[i]} after the whole-batch step.");
        }
    }
}
