using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using NetGen.Data;

namespace NetGen.Tests.Training;

public class TrainerTests
{
    // The trainer's losses pass through float outputs and float batch means, each with a relative
    // rounding error near 1e-7; a loss kernel that sums a batch in float adds up to about
    // batch × outputs × 6e-8. 1e-4 relative covers that and still catches a wrong mean or formula.
    private const double LossRelativeTolerance = 1e-4;

    // The running mean of a progress report and the test's own weighted mean add the same float
    // batch losses in double, so only double rounding separates them.
    private const double RunningMeanTolerance = 1e-12;

    [Fact]
    public void Fit_VisitsEverySampleOncePerEpoch()
    {
        const int Count = 10;
        const int BatchSize = 4;
        const int Epochs = 3;
        var network = new LinearTestNetwork(2, 3, Loss.SoftmaxCrossEntropy)
        {
            FirstFeatures = [],
            BatchSizes = [],
        };
        var trainer = new Trainer<LinearTestNetwork>(network, new TestSgd(0.1f), BatchSize, seed: 5);

        trainer.Fit(IndexedDataset(Count, 3), Epochs);

        Assert.Equal(Count * Epochs, network.SamplesSeen);
        Assert.Equal([4, 4, 2, 4, 4, 2, 4, 4, 2], network.BatchSizes);
        for (int epoch = 0; epoch < Epochs; epoch++)
        {
            float[] visited = network.FirstFeatures.Skip(epoch * Count).Take(Count).Order().ToArray();
            Assert.Equal(Enumerable.Range(0, Count).Select(i => (float)i), visited);
        }
    }

    [Fact]
    public void Fit_OrderChangesBetweenEpochs()
    {
        const int Count = 50;
        var network = new LinearTestNetwork(2, 3, Loss.SoftmaxCrossEntropy) { FirstFeatures = [] };
        var trainer = new Trainer<LinearTestNetwork>(network, new TestSgd(0.1f), batchSize: 8, seed: 5);

        trainer.Fit(IndexedDataset(Count, 3), epochs: 2);

        float[] first = network.FirstFeatures.Take(Count).ToArray();
        float[] second = network.FirstFeatures.Skip(Count).ToArray();
        Assert.NotEqual(first, second);
        Assert.NotEqual(Enumerable.Range(0, Count).Select(i => (float)i), first);
    }

    [Fact]
    public void Fit_SameSeedRepeatsOrder()
    {
        List<float> first = RecordOrder(seed: 11);
        List<float> same = RecordOrder(seed: 11);
        List<float> other = RecordOrder(seed: 12);

        Assert.Equal(first, same);
        Assert.NotEqual(first, other);

        static List<float> RecordOrder(int seed)
        {
            var network = new LinearTestNetwork(2, 3, Loss.SoftmaxCrossEntropy) { FirstFeatures = [] };
            var trainer = new Trainer<LinearTestNetwork>(network, new TestSgd(0.1f), batchSize: 8, seed);
            trainer.Fit(IndexedDataset(40, 3), epochs: 3);
            return network.FirstFeatures;
        }
    }

    [Fact]
    public void Fit_SameSeedGivesBitIdenticalParameters()
    {
        Dataset train = Blobs(90, 3, seed: 1, withLabels: true);

        float[] first = TrainedParameters(seed: 3);
        float[] same = TrainedParameters(seed: 3);
        float[] other = TrainedParameters(seed: 4);

        Assert.Equal(first.Select(BitConverter.SingleToInt32Bits), same.Select(BitConverter.SingleToInt32Bits));
        Assert.NotEqual(first.Select(BitConverter.SingleToInt32Bits), other.Select(BitConverter.SingleToInt32Bits));

        float[] TrainedParameters(int seed)
        {
            var network = RandomNetwork(2, 3, Loss.SoftmaxCrossEntropy, parameterSeed: 9);
            var trainer = new Trainer<LinearTestNetwork>(network, new TestSgd(0.2f), batchSize: 16, seed);
            trainer.Fit(train, epochs: 4);
            return network.Parameters.ToArray();
        }
    }

    [Fact]
    public void Fit_SecondCallContinuesShuffleSequence()
    {
        Dataset train = Blobs(30, 3, seed: 1, withLabels: true);
        var once = RandomNetwork(2, 3, Loss.SoftmaxCrossEntropy, parameterSeed: 9);
        once.FirstFeatures = [];
        var twice = RandomNetwork(2, 3, Loss.SoftmaxCrossEntropy, parameterSeed: 9);
        twice.FirstFeatures = [];
        var onceTrainer = new Trainer<LinearTestNetwork>(once, new TestSgd(0.2f), batchSize: 8, seed: 2);
        var twiceTrainer = new Trainer<LinearTestNetwork>(twice, new TestSgd(0.2f), batchSize: 8, seed: 2);

        onceTrainer.Fit(train, epochs: 2);
        twiceTrainer.Fit(train, epochs: 1);
        twiceTrainer.Fit(train, epochs: 1);

        Assert.Equal(2, onceTrainer.EpochsTrained);
        Assert.Equal(2, twiceTrainer.EpochsTrained);
        Assert.Equal(once.FirstFeatures, twice.FirstFeatures);
        Assert.Equal(once.Parameters.ToArray(), twice.Parameters.ToArray());
    }

    [Fact]
    public void Fit_LossDecreasesOnSeparableProblem()
    {
        Dataset train = Blobs(120, 3, seed: 1, withLabels: true);
        Dataset validation = Blobs(60, 3, seed: 2, withLabels: true);
        var network = new LinearTestNetwork(2, 3, Loss.SoftmaxCrossEntropy);
        var trainer = new Trainer<LinearTestNetwork>(network, new TestSgd(0.2f), batchSize: 16, seed: 1);

        TrainingHistory history = trainer.Fit(train, epochs: 20, validation);

        Assert.Equal(20, history.Count);
        for (int epoch = 1; epoch < 5; epoch++)
        {
            Assert.True(history[epoch].TrainingLoss < history[epoch - 1].TrainingLoss,
                $"Training loss rose from {history[epoch - 1].TrainingLoss} to {history[epoch].TrainingLoss} in epoch {epoch + 1}.");
        }

        Assert.True(history[^1].TrainingLoss < 0.25 * history[0].TrainingLoss,
            $"Training loss fell only from {history[0].TrainingLoss} to {history[^1].TrainingLoss}.");
        Assert.Equal(1.0, history[^1].TrainingAccuracy);
        Assert.Equal(1.0, history[^1].ValidationAccuracy);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Fit_TrainingMetricsMatchHandCount(bool withLabels)
    {
        // With a learning rate of 0 the parameters stay put, so every batch sees the same network
        // and the epoch's metrics must equal the reference over the whole set.
        Dataset train = Blobs(75, 4, seed: 3, withLabels, spread: 4);
        var network = RandomNetwork(2, 4, Loss.SoftmaxCrossEntropy, parameterSeed: 5);
        var trainer = new Trainer<LinearTestNetwork>(network, new TestSgd(0f), batchSize: 10);
        (double expectedLoss, int expectedCorrect) = Reference(network, train);

        EpochReport report = trainer.Fit(train, epochs: 1)[0];

        Assert.Equal(expectedLoss, report.TrainingLoss, LossRelativeTolerance * expectedLoss);
        Assert.Equal(expectedCorrect / 75.0, report.TrainingAccuracy);
        Assert.InRange(expectedCorrect, 1, 74);
    }

    [Theory]
    [InlineData(true, 7)]
    [InlineData(false, 7)]
    [InlineData(true, 64)]
    public void Evaluate_MatchesHandCount(bool withLabels, int evaluationBatch)
    {
        Dataset data = Blobs(50, 3, seed: 4, withLabels, spread: 4);
        var network = RandomNetwork(2, 3, Loss.SoftmaxCrossEntropy, parameterSeed: 6);
        var trainer = new Trainer<LinearTestNetwork>(network, new TestSgd(0.1f), batchSize: 4, maxEvaluationBatch: evaluationBatch);
        float[] parametersBefore = network.Parameters.ToArray();
        (double expectedLoss, int expectedCorrect) = Reference(network, data);

        EvaluationResult result = trainer.Evaluate(data);

        Assert.Equal(50, result.Count);
        Assert.Equal(expectedLoss, result.Loss, LossRelativeTolerance * expectedLoss);
        Assert.Equal(expectedCorrect / 50.0, result.Accuracy);
        Assert.InRange(expectedCorrect, 1, 49);
        Assert.Equal(parametersBefore, network.Parameters.ToArray());
        Assert.Equal(0, network.SamplesSeen);
    }

    [Fact]
    public void Evaluate_RegressionHasNaNAccuracy()
    {
        var random = new Random(8);
        var inputs = new float[33 * 3];
        var targets = new float[33];
        for (int i = 0; i < inputs.Length; i++)
        {
            inputs[i] = (float)(random.NextDouble() * 2 - 1);
        }

        for (int i = 0; i < targets.Length; i++)
        {
            targets[i] = (float)(random.NextDouble() * 4 - 2);
        }

        var data = new Dataset(inputs, 3, targets, 1);
        var network = RandomNetwork(3, 1, Loss.SquaredError, parameterSeed: 2);
        var trainer = new Trainer<LinearTestNetwork>(network, new TestSgd(0.1f), batchSize: 8);
        (double expectedLoss, _) = Reference(network, data);

        EvaluationResult result = trainer.Evaluate(data);

        Assert.Equal(expectedLoss, result.Loss, LossRelativeTolerance * expectedLoss);
        Assert.True(double.IsNaN(result.Accuracy), $"Accuracy was {result.Accuracy}; expected NaN for one output.");
    }

    [Fact]
    public void Fit_ValidationMetricsMatchParametersAfterEachEpoch()
    {
        Dataset train = Blobs(60, 3, seed: 5, withLabels: true);
        Dataset validation = Blobs(41, 3, seed: 6, withLabels: false, spread: 4);
        var network = RandomNetwork(2, 3, Loss.SoftmaxCrossEntropy, parameterSeed: 7);
        var trainer = new Trainer<LinearTestNetwork>(network, new TestSgd(0.05f), batchSize: 16, maxEvaluationBatch: 9);
        var expected = new List<(double Loss, int Correct)>();

        // The end-of-epoch report comes after validation and before the next epoch's first step,
        // so the parameters at that moment are the ones that were validated.
        var progress = new SynchronousProgress(p =>
        {
            if (p.CompletedEpoch is not null)
            {
                expected.Add(Reference(network, validation));
            }
        });
        TrainingHistory history = trainer.Fit(train, epochs: 3, validation, progress);

        Assert.Equal(3, expected.Count);
        for (int epoch = 0; epoch < 3; epoch++)
        {
            Assert.Equal(expected[epoch].Loss, history[epoch].ValidationLoss, LossRelativeTolerance * expected[epoch].Loss);
            Assert.Equal(expected[epoch].Correct / 41.0, history[epoch].ValidationAccuracy);
        }
    }

    [Fact]
    public void Fit_WithoutValidationReportsNaN()
    {
        var trainer = new Trainer<LinearTestNetwork>(new LinearTestNetwork(2, 3, Loss.SoftmaxCrossEntropy), new TestSgd(0.1f), batchSize: 8);

        EpochReport report = trainer.Fit(Blobs(20, 3, seed: 1, withLabels: true), epochs: 1)[0];

        Assert.True(double.IsNaN(report.ValidationLoss), $"Validation loss was {report.ValidationLoss}.");
        Assert.True(double.IsNaN(report.ValidationAccuracy), $"Validation accuracy was {report.ValidationAccuracy}.");
    }

    [Fact]
    public void Fit_ReportsEpochNumbersAndTimes()
    {
        var trainer = new Trainer<LinearTestNetwork>(new LinearTestNetwork(2, 3, Loss.SoftmaxCrossEntropy), new TestSgd(0.1f), batchSize: 8);

        TrainingHistory history = trainer.Fit(Blobs(40, 3, seed: 1, withLabels: true), epochs: 3);

        Assert.Equal([1, 2, 3], history.Select(r => r.Epoch));
        Assert.All(history, r => Assert.Equal(3, r.Epochs));
        Assert.All(history, r => Assert.True(r.SamplesPerSecond > 0, $"Samples per second was {r.SamplesPerSecond}."));
        Assert.All(history, r => Assert.True(r.TrainingTime <= r.Elapsed, $"Training time {r.TrainingTime} exceeds elapsed {r.Elapsed}."));
        Assert.True(history[0].Elapsed <= history[1].Elapsed);
        Assert.True(history[1].Elapsed <= history[2].Elapsed);
    }

    [Fact]
    public void Fit_ReportsEveryBatchWhenIntervalIsZero()
    {
        const int Count = 37;
        const int BatchSize = 8;
        const int Batches = 5;
        const int Epochs = 2;
        var network = new LinearTestNetwork(2, 3, Loss.SoftmaxCrossEntropy) { BatchLosses = [], BatchSizes = [] };
        var trainer = new Trainer<LinearTestNetwork>(network, new TestSgd(0.1f), BatchSize) { ProgressInterval = TimeSpan.Zero };
        var reports = new List<TrainingProgress>();

        TrainingHistory history = trainer.Fit(Blobs(Count, 3, seed: 1, withLabels: true), Epochs, progress: new SynchronousProgress(reports.Add));

        Assert.Equal(Epochs * (Batches + 1), reports.Count);
        for (int epoch = 0; epoch < Epochs; epoch++)
        {
            double lossSum = 0;
            int seen = 0;
            for (int batch = 0; batch < Batches; batch++)
            {
                TrainingProgress report = reports[epoch * (Batches + 1) + batch];
                int step = epoch * Batches + batch;
                lossSum += (double)network.BatchLosses[step] * network.BatchSizes[step];
                seen += network.BatchSizes[step];

                Assert.Equal(epoch + 1, report.Epoch);
                Assert.Equal(Epochs, report.Epochs);
                Assert.Equal(batch + 1, report.Batch);
                Assert.Equal(Batches, report.BatchesPerEpoch);
                Assert.Equal(lossSum / seen, report.Loss, RunningMeanTolerance);
                Assert.Null(report.CompletedEpoch);
            }

            TrainingProgress end = reports[epoch * (Batches + 1) + Batches];
            Assert.Equal(history[epoch], end.CompletedEpoch);
            Assert.Equal(Batches, end.Batch);
            Assert.Equal(history[epoch].TrainingLoss, end.Loss);
            Assert.Equal(lossSum / Count, end.Loss, RunningMeanTolerance);
        }

        Assert.Equal(1.0, reports[^1].FractionComplete);
        Assert.Equal(1.0 / (Epochs * Batches), reports[0].FractionComplete);
    }

    [Fact]
    public void Fit_ReportsOnlyEpochEndsWithLongInterval()
    {
        var trainer = new Trainer<LinearTestNetwork>(new LinearTestNetwork(2, 3, Loss.SoftmaxCrossEntropy), new TestSgd(0.1f), batchSize: 4)
        {
            ProgressInterval = TimeSpan.MaxValue,
        };
        var reports = new List<TrainingProgress>();

        trainer.Fit(Blobs(40, 3, seed: 1, withLabels: true), epochs: 3, progress: new SynchronousProgress(reports.Add));

        Assert.Equal(3, reports.Count);
        Assert.All(reports, r => Assert.NotNull(r.CompletedEpoch));
    }

    [Fact]
    public void Constructor_RejectsInvalidArguments()
    {
        var network = new LinearTestNetwork(2, 3, Loss.SoftmaxCrossEntropy);
        var optimizer = new TestSgd(0.1f);

        Assert.Throws<ArgumentNullException>("network", () => new Trainer<LinearTestNetwork>(null!, optimizer, 8));
        Assert.Throws<ArgumentNullException>("optimizer", () => new Trainer<LinearTestNetwork>(network, null!, 8));
        Assert.Throws<ArgumentOutOfRangeException>("batchSize", () => new Trainer<LinearTestNetwork>(network, optimizer, 0));
        Assert.Throws<ArgumentOutOfRangeException>("maxEvaluationBatch", () => new Trainer<LinearTestNetwork>(network, optimizer, 8, maxEvaluationBatch: 0));
        Assert.Throws<ArgumentException>("network", () => new Trainer<LinearTestNetwork>(new LinearTestNetwork(2, 3, (Loss)99), optimizer, 8));
    }

    [Fact]
    public void Fit_RejectsInvalidArguments()
    {
        var trainer = new Trainer<LinearTestNetwork>(new LinearTestNetwork(5, 3, Loss.SoftmaxCrossEntropy), new TestSgd(0.1f), batchSize: 8);
        Dataset good = new(new float[4 * 5], 5, new float[4 * 3], 3);

        Assert.Throws<ArgumentNullException>("train", () => trainer.Fit(null!, 1));
        Assert.Throws<ArgumentOutOfRangeException>("epochs", () => trainer.Fit(good, 0));
        Assert.Throws<ArgumentOutOfRangeException>("value", () => trainer.ProgressInterval = TimeSpan.FromMilliseconds(-1));
    }

    [Fact]
    public void Fit_RejectsMismatchedInputSize()
    {
        var trainer = new Trainer<LinearTestNetwork>(new LinearTestNetwork(5, 3, Loss.SoftmaxCrossEntropy), new TestSgd(0.1f), batchSize: 8);
        Dataset wrong = new(new float[4 * 7], 7, new float[4 * 3], 3);

        ArgumentException error = Assert.Throws<ArgumentException>("train", () => trainer.Fit(wrong, 1));

        Assert.Contains("7 inputs", error.Message);
        Assert.Contains("expects 5", error.Message);
    }

    [Fact]
    public void Fit_RejectsMismatchedTargetSize()
    {
        var trainer = new Trainer<LinearTestNetwork>(new LinearTestNetwork(5, 3, Loss.SoftmaxCrossEntropy), new TestSgd(0.1f), batchSize: 8);
        Dataset wrong = new(new float[4 * 5], 5, new float[4 * 4], 4);

        ArgumentException error = Assert.Throws<ArgumentException>("train", () => trainer.Fit(wrong, 1));

        Assert.Contains("4 targets", error.Message);
        Assert.Contains("3 outputs", error.Message);
    }

    [Fact]
    public void Fit_RejectsMismatchedValidationBeforeTraining()
    {
        var network = new LinearTestNetwork(5, 3, Loss.SoftmaxCrossEntropy);
        var trainer = new Trainer<LinearTestNetwork>(network, new TestSgd(0.1f), batchSize: 8);
        Dataset good = new(new float[4 * 5], 5, new float[4 * 3], 3);
        Dataset wrong = new(new float[4 * 6], 6, new float[4 * 3], 3);

        ArgumentException error = Assert.Throws<ArgumentException>("validation", () => trainer.Fit(good, 1, wrong));

        Assert.Contains("validation set has 6 inputs", error.Message);
        Assert.Equal(0, network.SamplesSeen);
    }

    [Fact]
    public void Fit_RejectsLabelOutsideOutputs()
    {
        var trainer = new Trainer<LinearTestNetwork>(new LinearTestNetwork(2, 3, Loss.SoftmaxCrossEntropy), new TestSgd(0.1f), batchSize: 8);
        Dataset wrong = new(new float[4 * 2], 2, new float[4 * 3], 3, labels: [0, 1, 3, 2]);

        ArgumentException error = Assert.Throws<ArgumentException>("train", () => trainer.Fit(wrong, 1));

        Assert.Contains("Sample 2", error.Message);
        Assert.Contains("label 3", error.Message);
    }

    [Fact]
    public void Fit_RejectsEmptyTrainingSet()
    {
        var trainer = new Trainer<LinearTestNetwork>(new LinearTestNetwork(2, 3, Loss.SoftmaxCrossEntropy), new TestSgd(0.1f), batchSize: 8);
        Dataset empty = new([], 2, [], 3);

        ArgumentException error = Assert.Throws<ArgumentException>("train", () => trainer.Fit(empty, 1));

        Assert.Contains("no samples", error.Message);
    }

    [Fact]
    public void Evaluate_RejectsInvalidData()
    {
        var trainer = new Trainer<LinearTestNetwork>(new LinearTestNetwork(5, 3, Loss.SoftmaxCrossEntropy), new TestSgd(0.1f), batchSize: 8);
        Dataset wrong = new(new float[4 * 7], 7, new float[4 * 3], 3);

        Assert.Throws<ArgumentNullException>("data", () => trainer.Evaluate(null!));
        ArgumentException error = Assert.Throws<ArgumentException>("data", () => trainer.Evaluate(wrong));
        Assert.Contains("7 inputs", error.Message);
    }

    [Fact]
    public void Fit_CancelledTokenTrainsNothing()
    {
        var network = RandomNetwork(2, 3, Loss.SoftmaxCrossEntropy, parameterSeed: 1);
        float[] before = network.Parameters.ToArray();
        var trainer = new Trainer<LinearTestNetwork>(network, new TestSgd(0.1f), batchSize: 8);

        Assert.Throws<OperationCanceledException>(
            () => trainer.Fit(Blobs(40, 3, seed: 1, withLabels: true), epochs: 2, cancellationToken: new CancellationToken(canceled: true)));

        Assert.Equal(0, network.SamplesSeen);
        Assert.Equal(0, trainer.EpochsTrained);
        Assert.Equal(before, network.Parameters.ToArray());
    }

    [Fact]
    public void Fit_CancellationStopsBeforeNextBatch()
    {
        using var cancellation = new CancellationTokenSource();
        var network = new LinearTestNetwork(2, 3, Loss.SoftmaxCrossEntropy);
        int steps = 0;
        network.AfterBackward = () =>
        {
            if (++steps == 2)
            {
                cancellation.Cancel();
            }
        };
        var trainer = new Trainer<LinearTestNetwork>(network, new TestSgd(0.1f), batchSize: 8);

        Assert.Throws<OperationCanceledException>(
            () => trainer.Fit(Blobs(40, 3, seed: 1, withLabels: true), epochs: 2, cancellationToken: cancellation.Token));

        Assert.Equal(16, network.SamplesSeen);
        Assert.Equal(0, trainer.EpochsTrained);
    }

    [Fact]
    public void Epoch_AllocatesNothing()
    {
        Dataset train = Blobs(100, 3, seed: 1, withLabels: true);
        Dataset validation = Blobs(30, 3, seed: 2, withLabels: false);
        var trainer = new Trainer<LinearTestNetwork>(new LinearTestNetwork(2, 3, Loss.SoftmaxCrossEntropy), new TestSgd(0.1f), batchSize: 16);
        trainer.Fit(train, epochs: 1, validation);

        long allocated = SteadyAllocation.MedianBytes(() =>
        {
            trainer.RunEpoch(train, validation, epoch: 1, epochs: 1, Stopwatch.GetTimestamp(), progress: null, CancellationToken.None);
        });

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Epoch_ProgressReportsAllocateNothing()
    {
        Dataset train = Blobs(100, 3, seed: 1, withLabels: false);
        var trainer = new Trainer<LinearTestNetwork>(new LinearTestNetwork(2, 3, Loss.SoftmaxCrossEntropy), new TestSgd(0.1f), batchSize: 16)
        {
            ProgressInterval = TimeSpan.Zero,
        };
        var progress = new CountingProgress();
        trainer.Fit(train, epochs: 1, progress: progress);
        progress.Count = 0;

        long allocated = SteadyAllocation.MedianBytes(() =>
        {
            trainer.RunEpoch(train, validation: null, epoch: 1, epochs: 1, Stopwatch.GetTimestamp(), progress, CancellationToken.None);
        });

        // Eight reports per epoch, and SteadyAllocation runs the epoch three times.
        Assert.Equal(0, allocated);
        Assert.Equal(3 * 8, progress.Count);
    }

    [Fact]
    public void Evaluate_AllocatesNothing()
    {
        Dataset data = Blobs(100, 3, seed: 1, withLabels: true);
        var trainer = new Trainer<LinearTestNetwork>(new LinearTestNetwork(2, 3, Loss.SoftmaxCrossEntropy), new TestSgd(0.1f), batchSize: 16);
        trainer.Evaluate(data);

        long allocated = SteadyAllocation.MedianBytes(() =>
        {
            trainer.Evaluate(data);
        });

        Assert.Equal(0, allocated);
    }

    /// <summary>
    /// Returns a data set whose first input feature is the sample's index, so a network that
    /// records it shows the order the trainer fed. Targets are one-hot of index mod outputs.
    /// </summary>
    internal static Dataset IndexedDataset(int count, int outputs)
    {
        var inputs = new float[count * 2];
        var targets = new float[count * outputs];
        for (int i = 0; i < count; i++)
        {
            inputs[i * 2] = i;
            inputs[i * 2 + 1] = 1;
            targets[i * outputs + i % outputs] = 1;
        }

        return new Dataset(inputs, 2, targets, outputs);
    }

    /// <summary>
    /// Returns 2-D points in <paramref name="classCount"/> clusters: centres on a circle of
    /// radius 3, each point within ±<paramref name="spread"/> of its centre per coordinate. With
    /// the default spread of 1 the classes are linearly separable for up to four classes; a
    /// spread of 4 makes them overlap, so a random network gets some but not all samples right.
    /// </summary>
    internal static Dataset Blobs(int count, int classCount, int seed, bool withLabels, double spread = 1)
    {
        var random = new Random(seed);
        var inputs = new float[count * 2];
        var labels = new byte[count];
        for (int i = 0; i < count; i++)
        {
            int label = i % classCount;
            double angle = 2 * Math.PI * label / classCount;
            labels[i] = (byte)label;
            inputs[i * 2] = (float)(3 * Math.Cos(angle) + spread * (random.NextDouble() * 2 - 1));
            inputs[i * 2 + 1] = (float)(3 * Math.Sin(angle) + spread * (random.NextDouble() * 2 - 1));
        }

        if (withLabels)
        {
            return Dataset.ForClassification(inputs, 2, labels, classCount);
        }

        var targets = new float[count * classCount];
        for (int i = 0; i < count; i++)
        {
            targets[i * classCount + labels[i]] = 1;
        }

        return new Dataset(inputs, 2, targets, classCount);
    }

    internal static LinearTestNetwork RandomNetwork(int inputs, int outputs, Loss loss, int parameterSeed)
    {
        var network = new LinearTestNetwork(inputs, outputs, loss);
        var random = new Random(parameterSeed);
        Span<float> parameters = network.Parameters;
        for (int i = 0; i < parameters.Length; i++)
        {
            parameters[i] = (float)(random.NextDouble() * 2 - 1);
        }

        return network;
    }

    /// <summary>
    /// Computes, in double precision from the current parameters, the mean loss over
    /// <paramref name="data"/> and the number of samples whose first largest output matches the
    /// label (or the first largest target without labels).
    /// </summary>
    private static (double Loss, int Correct) Reference(LinearTestNetwork network, Dataset data)
    {
        float[] parameters = network.Parameters.ToArray();
        int inputs = data.InputSize;
        int outputs = data.TargetSize;
        var y = new double[outputs];
        double lossSum = 0;
        int correct = 0;

        for (int s = 0; s < data.Count; s++)
        {
            ReadOnlySpan<float> x = data.Input(s);
            ReadOnlySpan<float> t = data.Target(s);
            for (int o = 0; o < outputs; o++)
            {
                y[o] = parameters[outputs * inputs + o];
                for (int i = 0; i < inputs; i++)
                {
                    y[o] += (double)parameters[o * inputs + i] * x[i];
                }
            }

            if (network.Loss == Loss.SquaredError)
            {
                for (int o = 0; o < outputs; o++)
                {
                    lossSum += 0.5 * (y[o] - t[o]) * (y[o] - t[o]);
                }
            }
            else
            {
                double logSumExp = Math.Log(y.Sum(v => Math.Exp(v)));
                for (int o = 0; o < outputs; o++)
                {
                    lossSum -= t[o] * (y[o] - logSumExp);
                }
            }

            int predicted = FirstMaxIndex(y);
            int expected = data.HasLabels ? data.Label(s) : FirstMaxIndex(t.ToArray().Select(v => (double)v).ToArray());
            if (predicted == expected)
            {
                correct++;
            }
        }

        return (lossSum / data.Count, correct);
    }

    private static int FirstMaxIndex(double[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>Calls the handler on the reporting thread, unlike <see cref="Progress{T}"/>.</summary>
    private sealed class SynchronousProgress(Action<TrainingProgress> handler) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => handler(value);
    }

    private sealed class CountingProgress : IProgress<TrainingProgress>
    {
        public int Count { get; set; }

        public void Report(TrainingProgress value) => Count++;
    }
}
