using System;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using NetGen.Data;
using NetGen.Tests.Numerics;

namespace NetGen.Tests.Training;

public class ParallelTrainerTests
{
    // The trainer sums a step's gradient in fp32 over chunks, the reference in double over
    // samples. For 10 samples with gradients below 10 the fp32 rounding stays below
    // 10 × 10 × 6e-8 = 6e-6 per component, times a learning rate of 0.5; 1e-5 covers that and is
    // far below the 1e-2 that weighting the chunks wrongly would cause.
    private const double StepTolerance = 1e-5;

    // Whole-batch and chunked gradients of the generated network differ only in the fp32 order
    // of sums over 60 samples (about 60 × 6e-8 relative to gradients below 1), times the
    // learning rate of 0.1.
    private const double GeneratedStepTolerance = 1e-5;

    // See TrainerTests: float outputs and float chunk means each round near 1e-7 relative.
    private const double LossRelativeTolerance = 1e-4;

    [Fact]
    public void Fit_ParametersBitIdenticalAcrossThreadCounts()
    {
        Dataset train = RandomClassification(310, seed: 1);
        Dataset validation = RandomClassification(45, seed: 2);

        (float[] reference, TrainingHistory referenceHistory) = Train(threads: 1);
        float[] initial = new ParallelTestMlp(seed: 4).Parameters.ToArray();
        Assert.NotEqual(Bits(initial), Bits(reference));

        foreach (int threads in new[] { 2, 3, 8 })
        {
            (float[] parameters, TrainingHistory history) = Train(threads);

            Assert.Equal(Bits(reference), Bits(parameters));
            for (int epoch = 0; epoch < history.Count; epoch++)
            {
                Assert.Equal(referenceHistory[epoch].TrainingLoss, history[epoch].TrainingLoss);
                Assert.Equal(referenceHistory[epoch].TrainingAccuracy, history[epoch].TrainingAccuracy);
                Assert.Equal(referenceHistory[epoch].ValidationLoss, history[epoch].ValidationLoss);
                Assert.Equal(referenceHistory[epoch].ValidationAccuracy, history[epoch].ValidationAccuracy);
            }
        }

        (float[] Parameters, TrainingHistory History) Train(int threads)
        {
            var network = new ParallelTestMlp(seed: 4);

            // 310 samples in batches of 50 end with a batch of 10; chunks of 8 leave a chunk of
            // 2 in every batch, so uneven chunk weights are exercised. Evaluation batches of 45
            // have six chunks.
            using var trainer = new Trainer<ParallelTestMlp>(
                network, new Sgd(0.1f, momentum: 0.9f), batchSize: 50, seed: 3, maxEvaluationBatch: 45, threads, chunkSize: 8);
            TrainingHistory history = trainer.Fit(train, epochs: 3, validation);
            return (network.Parameters.ToArray(), history);
        }
    }

    [Fact]
    public void Evaluate_BitIdenticalAcrossThreadCounts()
    {
        Dataset data = RandomClassification(101, seed: 5);
        var network = new ParallelTestMlp(seed: 6);
        using var single = new Trainer<ParallelTestMlp>(network, new Sgd(0.1f), batchSize: 8, maxEvaluationBatch: 40, threads: 1, chunkSize: 7);
        using var parallel = new Trainer<ParallelTestMlp>(network, new Sgd(0.1f), batchSize: 8, maxEvaluationBatch: 40, threads: 3, chunkSize: 7);

        EvaluationResult expected = single.Evaluate(data);
        EvaluationResult actual = parallel.Evaluate(data);

        Assert.Equal(expected.Loss, actual.Loss);
        Assert.Equal(expected.Accuracy, actual.Accuracy);
        Assert.Equal(101, actual.Count);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Fit_ChunkedStepMatchesMeanGradient(int threads)
    {
        // One batch of 10 in chunks of 4, 4 and 2: the step must use the mean over all 10
        // samples, so each chunk's mean gradient counts with weight n_c / 10.
        const float LearningRate = 0.5f;
        Dataset train = TrainerTests.Blobs(10, 3, seed: 7, withLabels: true, spread: 4);
        LinearTestNetwork network = TrainerTests.RandomNetwork(2, 3, Loss.SoftmaxCrossEntropy, parameterSeed: 8);
        double[] expected = ReferenceSgdStep(network.Parameters.ToArray(), train, LearningRate);
        using var trainer = new Trainer<LinearTestNetwork>(network, new TestSgd(LearningRate), batchSize: 10, threads: threads, chunkSize: 4);

        trainer.Fit(train, epochs: 1);

        float[] actual = network.Parameters.ToArray();
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= StepTolerance,
                $"Parameter {i} is {actual[i]} after the step; the double-precision reference gives {expected[i]}.");
        }
    }

    [Fact]
    public void Fit_ChunkedStepMatchesWholeBatchTrainStep()
    {
        Dataset train = RandomClassification(60, seed: 9);
        var chunked = new ParallelTestMlp(seed: 10);
        var whole = new ParallelTestMlp(seed: 10);
        using var trainer = new Trainer<ParallelTestMlp>(chunked, new Sgd(0.1f), batchSize: 60, threads: 2, chunkSize: 16);

        // One batch contains the whole set, so the shuffle changes only the order of the sums.
        trainer.Fit(train, epochs: 1);
        whole.TrainStep(train.Inputs, train.Targets, new Sgd(0.1f), whole.CreateWorkspace(60));

        float[] expected = whole.Parameters.ToArray();
        float[] actual = chunked.Parameters.ToArray();
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= GeneratedStepTolerance,
                $"Parameter {i} is {actual[i]} after the chunked step and {expected[i]} after the whole-batch step.");
        }
    }

    [Fact]
    public void Fit_WholeSetBatch_KeepsSampleOrder()
    {
        // With one batch and one chunk in the samples' own order, two epochs are two TrainStep
        // calls on the dataset as it is, to the bit. A shuffled order changes the rounding.
        Dataset train = RandomClassification(60, seed: 9);
        var trained = new ParallelTestMlp(seed: 10);
        var stepped = new ParallelTestMlp(seed: 10);
        using var trainer = new Trainer<ParallelTestMlp>(trained, new Sgd(0.1f), batchSize: 60, chunkSize: 60);
        trainer.Fit(train, epochs: 2);

        var optimizer = new Sgd(0.1f);
        Workspace workspace = stepped.CreateWorkspace(60);
        stepped.TrainStep(train.Inputs, train.Targets, optimizer, workspace);
        stepped.TrainStep(train.Inputs, train.Targets, optimizer, workspace);

        Assert.Equal(Bits(stepped.Parameters.ToArray()), Bits(trained.Parameters.ToArray()));
    }

    [Fact]
    public void Fit_WholeSetChunks_KeepSampleOrder()
    {
        // Without batch norm a batch that contains the whole set keeps the samples' order even in
        // several chunks: the step equals the two halves' gradients, each weighted by 30/60,
        // to the bit. A shuffled order puts other samples into each half and changes the rounding.
        Dataset train = RandomClassification(60, seed: 9);
        var trained = new ParallelTestMlp(seed: 10);
        var stepped = new ParallelTestMlp(seed: 10);
        using var trainer = new Trainer<ParallelTestMlp>(trained, new Sgd(0.1f), batchSize: 60, threads: 2, chunkSize: 30);
        trainer.Fit(train, epochs: 1);

        int[] order = Enumerable.Range(0, 60).ToArray();
        float[] gradient = HalvesGradient(stepped, train, order);
        new Sgd(0.1f).Step(stepped.Parameters, gradient);

        Assert.Equal(Bits(stepped.Parameters.ToArray()), Bits(trained.Parameters.ToArray()));
    }

    [Fact]
    public void Fit_BatchNormChunks_StillShuffle()
    {
        // Batch norm normalises each chunk with its own statistics, so the order decides which
        // samples share them and the trainer must shuffle. The step equals the halves of the
        // shuffled order (SampleOrder's first epoch for the trainer's seed), to the bit.
        var random = new Random(4);
        float[] inputs = Enumerable.Range(0, 60 * DenseBatchNorm.InputSize).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        float[] targets = Enumerable.Range(0, 60 * DenseBatchNorm.OutputSize).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var train = new Dataset(inputs, DenseBatchNorm.InputSize, targets, DenseBatchNorm.OutputSize);
        var trained = new DenseBatchNorm(seed: 3);
        var stepped = new DenseBatchNorm(seed: 3);
        using var trainer = new Trainer<DenseBatchNorm>(trained, new Sgd(0.1f), batchSize: 60, threads: 2, chunkSize: 30);
        trainer.Fit(train, epochs: 1);

        int[] order = new int[60];
        SampleOrder.Shuffle(order, trainer.Seed, epoch: 0);
        float[] gradient = HalvesGradient(stepped, train, order);
        new Sgd(0.1f).Step(stepped.Parameters, gradient);

        Assert.Equal(Bits(stepped.Parameters.ToArray()), Bits(trained.Parameters.ToArray()));
    }

    /// <summary>
    /// Returns ½·g₀ + ½·g₁, where g₀ and g₁ are the mean gradients of the first and the second
    /// half of <paramref name="order"/>, each computed by Forward and Backward in training mode.
    /// </summary>
    private static float[] HalvesGradient<TNetwork>(TNetwork network, Dataset data, int[] order)
        where TNetwork : ITrainableNetwork
    {
        int half = order.Length / 2;
        var sum = new float[network.ParameterCount];
        for (int part = 0; part < 2; part++)
        {
            int[] indices = order[(part * half)..((part + 1) * half)];
            float[] inputs = indices.SelectMany(i => data.Inputs.Slice(i * network.InputSize, network.InputSize).ToArray()).ToArray();
            float[] targets = indices.SelectMany(i => data.Targets.Slice(i * network.OutputSize, network.OutputSize).ToArray()).ToArray();
            Workspace workspace = network.CreateWorkspace(half);
            workspace.IsTraining = true;
            network.Forward(inputs, new float[half * network.OutputSize], workspace);
            network.Backward(inputs, targets, workspace);
            for (int p = 0; p < sum.Length; p++)
            {
                sum[p] += 0.5f * workspace.Gradients[p];
            }
        }

        return sum;
    }

    [Fact]
    public void Fit_ChunkedMetricsMatchHandCount()
    {
        // With a learning rate of 0 every batch sees the same network, so the epoch's metrics
        // must equal the reference over the whole set.
        Dataset train = TrainerTests.Blobs(75, 4, seed: 3, withLabels: true, spread: 4);
        Dataset validation = TrainerTests.Blobs(41, 4, seed: 4, withLabels: false, spread: 4);
        LinearTestNetwork network = TrainerTests.RandomNetwork(2, 4, Loss.SoftmaxCrossEntropy, parameterSeed: 5);
        using var trainer = new Trainer<LinearTestNetwork>(network, new TestSgd(0f), batchSize: 20, maxEvaluationBatch: 17, threads: 3, chunkSize: 6);
        (double expectedLoss, int expectedCorrect) = ReferenceMetrics(network, train);
        (double expectedValidationLoss, int expectedValidationCorrect) = ReferenceMetrics(network, validation);

        EpochReport report = trainer.Fit(train, epochs: 1, validation)[0];

        Assert.Equal(expectedLoss, report.TrainingLoss, LossRelativeTolerance * expectedLoss);
        Assert.Equal(expectedCorrect / 75.0, report.TrainingAccuracy);
        Assert.InRange(expectedCorrect, 1, 74);
        Assert.Equal(expectedValidationLoss, report.ValidationLoss, LossRelativeTolerance * expectedValidationLoss);
        Assert.Equal(expectedValidationCorrect / 41.0, report.ValidationAccuracy);
        Assert.Equal(75, network.SamplesSeen);
    }

    [Fact]
    public void Fit_WorkerExceptionReachesCaller()
    {
        var network = new LinearTestNetwork(2, 3, Loss.SoftmaxCrossEntropy);
        using var trainer = new Trainer<LinearTestNetwork>(network, new TestSgd(0.1f), batchSize: 16, threads: 2, chunkSize: 4);
        Thread caller = Thread.CurrentThread;
        var failure = new InvalidOperationException("Backward failed on purpose.");
        using var workerRan = new ManualResetEventSlim();
        string? failingThreadName = null;
        float[] before = network.Parameters.ToArray();

        // The calling thread blocks in its chunk until the worker thread has failed on another
        // chunk, so the failure always comes from the worker thread.
        network.AfterBackward = () =>
        {
            if (Thread.CurrentThread == caller)
            {
                Assert.True(workerRan.Wait(TimeSpan.FromSeconds(30)), "The worker thread never processed a chunk.");
                return;
            }

            failingThreadName = Thread.CurrentThread.Name;
            workerRan.Set();
            throw failure;
        };

        AggregateException error = Assert.Throws<AggregateException>(
            () => trainer.Fit(TrainerTests.Blobs(40, 3, seed: 1, withLabels: true), epochs: 1));

        Assert.Same(failure, Assert.Single(error.InnerExceptions));
        Assert.Same(failure, error.InnerException);
        Assert.Equal("NetGen trainer worker 1", failingThreadName);
        Assert.Equal(before, network.Parameters.ToArray());
        Assert.Equal(0, trainer.EpochsTrained);

        // The threads survive a failed step and train on.
        network.AfterBackward = null;
        trainer.Fit(TrainerTests.Blobs(40, 3, seed: 1, withLabels: true), epochs: 1);
        Assert.Equal(1, trainer.EpochsTrained);
    }

    [Theory]
    [InlineData(1, 4)]  // one thread
    [InlineData(2, 16)] // a batch of one chunk runs its passes on the calling thread whatever the thread count
    public void Fit_ExceptionPassesUnwrapped(int threads, int chunkSize)
    {
        var network = new LinearTestNetwork(2, 3, Loss.SoftmaxCrossEntropy);
        using var trainer = new Trainer<LinearTestNetwork>(network, new TestSgd(0.1f), batchSize: 16, threads: threads, chunkSize: chunkSize);
        var failure = new InvalidOperationException("Backward failed on purpose.");
        network.AfterBackward = () => throw failure;

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(
            () => trainer.Fit(TrainerTests.Blobs(40, 3, seed: 1, withLabels: true), epochs: 1));

        Assert.Same(failure, error);
    }

    [Fact]
    public void Epoch_TwoThreadsAllocateNothing()
    {
        Dataset train = RandomClassification(200, seed: 11);
        Dataset validation = RandomClassification(50, seed: 12);
        using var trainer = new Trainer<ParallelTestMlp>(
            new ParallelTestMlp(seed: 13), new Sgd(0.05f, momentum: 0.9f), batchSize: 32, maxEvaluationBatch: 25, threads: 2, chunkSize: 8);
        trainer.Fit(train, epochs: 1, validation);

        long workerBefore = trainer.WorkerThreadAllocatedBytes;
        long allocated = SteadyAllocation.MedianBytes(() =>
        {
            trainer.RunEpoch(train, validation, epoch: 1, epochs: 1, Stopwatch.GetTimestamp(), progress: null, CancellationToken.None);
        });
        long workerAllocated = trainer.WorkerThreadAllocatedBytes - workerBefore;

        Assert.Equal(0, allocated);
        Assert.Equal(0, workerAllocated);
    }

    [Theory]
    [InlineData(1_073_741_795)] // 2,147,483,590 inputs: within an array, past an aligned buffer
    [InlineData(1_500_000_000)] // past an array
    public void Constructor_BatchTooLarge_NamesBatchSize(int batchSize)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer<LinearTestNetwork>(
            new LinearTestNetwork(2, 1, Loss.SquaredError), new TestSgd(0.1f), batchSize, threads: 1, chunkSize: 1));

        Assert.Equal("batchSize", error.ParamName);
        Assert.Contains("use a smaller batch", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_RejectsInvalidThreadsAndChunkSize()
    {
        var network = new LinearTestNetwork(2, 3, Loss.SoftmaxCrossEntropy);
        var optimizer = new TestSgd(0.1f);

        ArgumentOutOfRangeException zero = Assert.Throws<ArgumentOutOfRangeException>(
            "threads", () => new Trainer<LinearTestNetwork>(network, optimizer, 8, threads: 0));
        Assert.Contains("between 1 and 64", zero.Message);
        Assert.Throws<ArgumentOutOfRangeException>("threads", () => new Trainer<LinearTestNetwork>(network, optimizer, 8, threads: 65));
        Assert.Throws<ArgumentOutOfRangeException>("chunkSize", () => new Trainer<LinearTestNetwork>(network, optimizer, 8, chunkSize: 0));
    }

    [Fact]
    public void Constructor_StoresThreadsAndChunkSize()
    {
        using var trainer = new Trainer<LinearTestNetwork>(new LinearTestNetwork(2, 3, Loss.SoftmaxCrossEntropy), new TestSgd(0.1f), 8, threads: 64, chunkSize: 3);

        Assert.Equal(64, trainer.Threads);
        Assert.Equal(3, trainer.ChunkSize);
    }

    [Fact]
    public void Dispose_MakesTrainerUnusable()
    {
        var trainer = new Trainer<LinearTestNetwork>(new LinearTestNetwork(2, 3, Loss.SoftmaxCrossEntropy), new TestSgd(0.1f), 8, threads: 2, chunkSize: 2);
        Dataset data = TrainerTests.Blobs(20, 3, seed: 1, withLabels: true);
        trainer.Fit(data, epochs: 1);

        trainer.Dispose();
        trainer.Dispose();

        Assert.Throws<ObjectDisposedException>(() => trainer.Fit(data, epochs: 1));
        Assert.Throws<ObjectDisposedException>(() => trainer.Evaluate(data));
    }

    /// <summary>
    /// Returns <paramref name="count"/> samples of <see cref="ParallelTestMlp"/>'s size with
    /// inputs uniform in [−1, 1) and uniformly drawn labels.
    /// </summary>
    internal static Dataset RandomClassification(int count, int seed)
    {
        var random = new Random(seed);
        var inputs = new float[count * ParallelTestMlp.InputSize];
        var labels = new byte[count];
        for (int i = 0; i < inputs.Length; i++)
        {
            inputs[i] = (float)(random.NextDouble() * 2 - 1);
        }

        for (int i = 0; i < count; i++)
        {
            labels[i] = (byte)random.Next(ParallelTestMlp.OutputSize);
        }

        return Dataset.ForClassification(inputs, ParallelTestMlp.InputSize, labels, ParallelTestMlp.OutputSize);
    }

    /// <summary>
    /// Computes in double precision p − η·(1/B)·Σ_s ∂E_s/∂p for a linear softmax-regression
    /// network (W [outputs, inputs] then b) over every sample of <paramref name="data"/>.
    /// </summary>
    private static double[] ReferenceSgdStep(float[] parameters, Dataset data, float learningRate)
    {
        int inputs = data.InputSize;
        int outputs = data.TargetSize;
        var gradient = new double[parameters.Length];
        var probabilities = new double[outputs];

        for (int s = 0; s < data.Count; s++)
        {
            ReadOnlySpan<float> x = data.Input(s);
            ReadOnlySpan<float> t = data.Target(s);
            double sum = 0;
            for (int o = 0; o < outputs; o++)
            {
                double y = parameters[outputs * inputs + o];
                for (int i = 0; i < inputs; i++)
                {
                    y += (double)parameters[o * inputs + i] * x[i];
                }

                probabilities[o] = Math.Exp(y);
                sum += probabilities[o];
            }

            // ∂E/∂y = softmax(y) − t; ∂E/∂W[o,i] = (softmax(y) − t)[o]·x[i]; ∂E/∂b[o] = (softmax(y) − t)[o].
            for (int o = 0; o < outputs; o++)
            {
                double delta = probabilities[o] / sum - t[o];
                for (int i = 0; i < inputs; i++)
                {
                    gradient[o * inputs + i] += delta * x[i];
                }

                gradient[outputs * inputs + o] += delta;
            }
        }

        var result = new double[parameters.Length];
        for (int p = 0; p < parameters.Length; p++)
        {
            result[p] = parameters[p] - (double)learningRate * gradient[p] / data.Count;
        }

        return result;
    }

    /// <summary>
    /// Computes in double precision the mean softmax cross-entropy of a linear network over
    /// <paramref name="data"/> and the number of samples whose first largest output is the label
    /// (or the first largest target without labels).
    /// </summary>
    private static (double Loss, int Correct) ReferenceMetrics(LinearTestNetwork network, Dataset data)
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

            double logSumExp = Math.Log(y.Sum(Math.Exp));
            for (int o = 0; o < outputs; o++)
            {
                lossSum -= t[o] * (y[o] - logSumExp);
            }

            int predicted = Array.IndexOf(y, y.Max());
            int expected = data.HasLabels ? data.Label(s) : t.IndexOf(1f);
            if (predicted == expected)
            {
                correct++;
            }
        }

        return (lossSum / data.Count, correct);
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();
}
