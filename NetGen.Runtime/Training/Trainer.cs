using System;
using System.Diagnostics;
using System.Numerics.Tensors;
using System.Threading;
using NetGen.Data;
using NetGen.Kernels;

namespace NetGen
{
    /// <summary>
    /// Mini-batch training loop: shuffles the training set every epoch, runs forward, backward and
    /// an optimizer step per batch, and evaluates on a validation set after each epoch.
    /// </summary>
    /// <typeparam name="TNetwork">The network type, usually a generated class.</typeparam>
    /// <remarks>
    /// <para>
    /// The constructor allocates the workspace and every batch buffer. The first <c>Fit</c> call
    /// also allocates the sample order, and a later call reallocates it only for a larger training
    /// set, and the optimizer allocates its state on its first step. After that a training epoch
    /// allocates nothing, except what the progress callback does. Each <c>Fit</c> call allocates
    /// its <see cref="TrainingHistory"/>.
    /// </para>
    /// <para>
    /// The trainer calls <see cref="ITrainableNetwork.Forward(ReadOnlySpan{float}, Span{float}, Workspace)"/>,
    /// <see cref="ITrainableNetwork.Backward"/> and <see cref="IOptimizer.Step"/> itself, not
    /// <see cref="ITrainableNetwork.TrainStep"/>, because training accuracy needs the batch's outputs.
    /// A trainer is not thread-safe: one thread at a time may call <c>Fit</c> or <c>Evaluate</c>.
    /// </para>
    /// </remarks>
    public sealed class Trainer<TNetwork>
        where TNetwork : ITrainableNetwork
    {
        // Not readonly: for a struct network a readonly field would make every call act on a copy.
        private TNetwork _network;
        private readonly IOptimizer _optimizer;
        private readonly Loss _loss;
        private readonly int _inputSize;
        private readonly int _outputSize;
        private readonly Workspace _workspace;

        private readonly float[] _batchInputs;  // [BatchSize, InputSize], the gathered training batch
        private readonly float[] _batchTargets; // [BatchSize, OutputSize]
        private readonly int[] _batchLabels;    // [max(BatchSize, EvaluationBatchSize)]
        private readonly float[] _outputs;      // [max(BatchSize, EvaluationBatchSize), OutputSize]
        private int[] _order = [];              // sample order of the current epoch

        private TimeSpan _progressInterval = TimeSpan.FromMilliseconds(50);

        /// <summary>Creates a trainer and allocates its workspace and buffers.</summary>
        /// <param name="network">The network to train; its parameters are updated in place.</param>
        /// <param name="optimizer">The update rule; it keeps its state between <c>Fit</c> calls.</param>
        /// <param name="batchSize">Samples per training step; at least 1.</param>
        /// <param name="seed">Seed of the per-epoch shuffle.</param>
        /// <param name="maxEvaluationBatch">
        /// Samples per forward pass when evaluating; at least 1. Defaults to <paramref name="batchSize"/>.
        /// </param>
        public Trainer(TNetwork network, IOptimizer optimizer, int batchSize, int seed = 0, int? maxEvaluationBatch = null)
        {
            if (network is null)
            {
                throw new ArgumentNullException(nameof(network));
            }

            ArgumentNullException.ThrowIfNull(optimizer);
            if (batchSize <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize,
                    "The batch size must be at least 1.");
            }

            int evaluationBatchSize = maxEvaluationBatch ?? batchSize;
            if (evaluationBatchSize <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(maxEvaluationBatch), evaluationBatchSize,
                    "The evaluation batch size must be at least 1; pass null to use the training batch size.");
            }

            Loss loss = network.Loss;
            if (loss is not (Loss.SquaredError or Loss.SoftmaxCrossEntropy))
            {
                throw new ArgumentException(
                    $"The network's loss {loss} is not one that the trainer can evaluate; expected {Loss.SquaredError} or {Loss.SoftmaxCrossEntropy}.",
                    nameof(network));
            }

            _network = network;
            _optimizer = optimizer;
            _loss = loss;
            _inputSize = network.InputSize;
            _outputSize = network.OutputSize;
            BatchSize = batchSize;
            EvaluationBatchSize = evaluationBatchSize;
            Seed = seed;

            int maxBatchSize = Math.Max(batchSize, evaluationBatchSize);
            _batchInputs = new float[CheckedLength(batchSize, _inputSize, nameof(batchSize))];
            _batchTargets = new float[CheckedLength(batchSize, _outputSize, nameof(batchSize))];
            _outputs = new float[CheckedLength(maxBatchSize, _outputSize, nameof(maxEvaluationBatch))];
            _batchLabels = new int[maxBatchSize];

            _workspace = network.CreateWorkspace(maxBatchSize);
            if (_workspace.MaxBatchSize < maxBatchSize)
            {
                throw new ArgumentException(
                    $"The network's workspace holds batches of {_workspace.MaxBatchSize} samples, but the trainer requested {maxBatchSize}; CreateWorkspace must honour its maxBatchSize.",
                    nameof(network));
            }

            if (_workspace.Gradients.Length != network.ParameterCount)
            {
                throw new ArgumentException(
                    $"The network's workspace holds {_workspace.Gradients.Length} gradients, but the network has {network.ParameterCount} parameters; they must be equal.",
                    nameof(network));
            }
        }

        /// <summary>The network being trained.</summary>
        public TNetwork Network => _network;

        /// <summary>The update rule applied after every batch.</summary>
        public IOptimizer Optimizer => _optimizer;

        /// <summary>Samples per training step; the last batch of an epoch may hold fewer.</summary>
        public int BatchSize { get; }

        /// <summary>Samples per forward pass during evaluation.</summary>
        public int EvaluationBatchSize { get; }

        /// <summary>Seed of the per-epoch shuffle.</summary>
        public int Seed { get; }

        /// <summary>
        /// Number of epochs this trainer has finished over all <c>Fit</c> calls. The sample order
        /// of the next epoch depends only on <see cref="Seed"/> and this number, so a second
        /// <c>Fit</c> call continues the sequence of orders instead of repeating it.
        /// </summary>
        public long EpochsTrained { get; private set; }

        /// <summary>
        /// Minimum wall-clock time between two progress reports sent during an epoch; 50 ms by
        /// default. <see cref="TimeSpan.Zero"/> reports after every batch. The report at the end of
        /// an epoch is always sent.
        /// </summary>
        public TimeSpan ProgressInterval
        {
            get => _progressInterval;
            set
            {
                if (value < TimeSpan.Zero)
                {
                    throw new ArgumentOutOfRangeException(nameof(value), value,
                        "The progress interval must not be negative; use TimeSpan.Zero to report after every batch.");
                }

                _progressInterval = value;
            }
        }

        /// <summary>
        /// Trains the network for <paramref name="epochs"/> epochs over <paramref name="train"/> and
        /// returns one report per epoch.
        /// </summary>
        /// <remarks>
        /// Every epoch visits each training sample once, in an order shuffled from
        /// <see cref="Seed"/> and <see cref="EpochsTrained"/>, in batches of <see cref="BatchSize"/>;
        /// the last batch holds the remaining samples and is trained on like the others. After
        /// the training batches the network is evaluated on <paramref name="validation"/>, if given.
        /// </remarks>
        /// <param name="train">Training samples; sizes must match the network.</param>
        /// <param name="epochs">Number of passes over <paramref name="train"/>; at least 1.</param>
        /// <param name="validation">Samples to evaluate after every epoch, or <see langword="null"/>.</param>
        /// <param name="progress">Receives reports during and after every epoch, or <see langword="null"/>.</param>
        /// <param name="cancellationToken">Checked before every batch.</param>
        /// <exception cref="ArgumentException">A data set is empty or its sizes do not match the network.</exception>
        /// <exception cref="OperationCanceledException">
        /// <paramref name="cancellationToken"/> was cancelled. The parameters keep the updates of
        /// the batches finished before, and <see cref="EpochsTrained"/> counts the finished epochs.
        /// </exception>
        public TrainingHistory Fit(
            Dataset train,
            int epochs,
            Dataset? validation = null,
            IProgress<TrainingProgress>? progress = null,
            CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(train);
            if (epochs <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(epochs), epochs, "The number of epochs must be at least 1.");
            }

            ValidateDataset(train, nameof(train), "training set");
            if (validation is not null)
            {
                ValidateDataset(validation, nameof(validation), "validation set");
            }

            cancellationToken.ThrowIfCancellationRequested();

            if (_order.Length < train.Count)
            {
                _order = new int[train.Count];
            }

            var history = new TrainingHistory(epochs);
            long fitStart = Stopwatch.GetTimestamp();
            for (int epoch = 1; epoch <= epochs; epoch++)
            {
                EpochReport report = RunEpoch(train, validation, epoch, epochs, fitStart, progress, cancellationToken);
                history.Add(report);
            }

            return history;
        }

        /// <summary>
        /// Computes the mean loss and the accuracy of the network over every sample of
        /// <paramref name="data"/>, in batches of <see cref="EvaluationBatchSize"/>, without
        /// changing the parameters and without allocating.
        /// </summary>
        /// <exception cref="ArgumentException"><paramref name="data"/> is empty or its sizes do not match the network.</exception>
        public EvaluationResult Evaluate(Dataset data)
        {
            ArgumentNullException.ThrowIfNull(data);
            ValidateDataset(data, nameof(data), "evaluation set");
            return EvaluateCore(data, CancellationToken.None);
        }

        /// <summary>
        /// Runs one epoch: shuffles, trains on every batch, evaluates on <paramref name="validation"/>
        /// and sends the epoch's report. <see cref="Fit"/> must have sized the sample order for
        /// <paramref name="train"/> before.
        /// </summary>
        internal EpochReport RunEpoch(
            Dataset train,
            Dataset? validation,
            int epoch,
            int epochs,
            long fitStart,
            IProgress<TrainingProgress>? progress,
            CancellationToken cancellationToken)
        {
            int count = train.Count;
            Span<int> order = _order.AsSpan(0, count);
            SampleOrder.Shuffle(order, Seed, EpochsTrained);

            int batches = (count + BatchSize - 1) / BatchSize;
            long progressIntervalTicks = ToTimestampTicks(_progressInterval);
            double lossSum = 0;
            int correct = 0;
            int seen = 0;

            long trainingStart = Stopwatch.GetTimestamp();
            long lastReport = trainingStart;
            for (int batch = 0; batch < batches; batch++)
            {
                cancellationToken.ThrowIfCancellationRequested();

                int size = Math.Min(BatchSize, count - seen);
                ReadOnlySpan<int> indices = order.Slice(seen, size);
                Span<float> inputs = _batchInputs.AsSpan(0, size * _inputSize);
                Span<float> targets = _batchTargets.AsSpan(0, size * _outputSize);
                Span<float> outputs = _outputs.AsSpan(0, size * _outputSize);
                Span<int> labels = train.HasLabels ? _batchLabels.AsSpan(0, size) : default;
                Gather(train, indices, inputs, targets, labels);

                _workspace.ZeroGradients();
                _network.Forward(inputs, outputs, _workspace);
                float batchLoss = _network.Backward(inputs, targets, _workspace);
                _optimizer.Step(_network.Parameters, _workspace.Gradients);

                lossSum += (double)batchLoss * size;
                correct += CountCorrect(outputs, targets, labels, size);
                seen += size;

                if (progress is not null)
                {
                    long now = Stopwatch.GetTimestamp();
                    if (now - lastReport >= progressIntervalTicks)
                    {
                        lastReport = now;
                        progress.Report(new TrainingProgress(epoch, epochs, batch + 1, batches, lossSum / seen, null));
                    }
                }
            }

            long trainingEnd = Stopwatch.GetTimestamp();
            EpochsTrained++;

            double validationLoss = double.NaN;
            double validationAccuracy = double.NaN;
            if (validation is not null)
            {
                EvaluationResult result = EvaluateCore(validation, cancellationToken);
                validationLoss = result.Loss;
                validationAccuracy = result.Accuracy;
            }

            TimeSpan trainingTime = Stopwatch.GetElapsedTime(trainingStart, trainingEnd);
            var report = new EpochReport(
                epoch,
                epochs,
                TrainingLoss: lossSum / count,
                TrainingAccuracy: Accuracy(correct, count),
                validationLoss,
                validationAccuracy,
                SamplesPerSecond: count / trainingTime.TotalSeconds,
                trainingTime,
                Elapsed: Stopwatch.GetElapsedTime(fitStart));

            progress?.Report(new TrainingProgress(epoch, epochs, batches, batches, report.TrainingLoss, report));
            return report;
        }

        private EvaluationResult EvaluateCore(Dataset data, CancellationToken cancellationToken)
        {
            int count = data.Count;
            ReadOnlySpan<float> allInputs = data.Inputs;
            ReadOnlySpan<float> allTargets = data.Targets;
            double lossSum = 0;
            int correct = 0;

            for (int start = 0; start < count; start += EvaluationBatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();

                int size = Math.Min(EvaluationBatchSize, count - start);
                ReadOnlySpan<float> inputs = allInputs.Slice(start * _inputSize, size * _inputSize);
                ReadOnlySpan<float> targets = allTargets.Slice(start * _outputSize, size * _outputSize);
                Span<float> outputs = _outputs.AsSpan(0, size * _outputSize);
                Span<int> labels = default;
                if (data.HasLabels)
                {
                    labels = _batchLabels.AsSpan(0, size);
                    for (int i = 0; i < size; i++)
                    {
                        labels[i] = data.Label(start + i);
                    }
                }

                _network.Forward(inputs, outputs, _workspace);
                lossSum += BatchLoss(outputs, targets, size) * size;
                correct += CountCorrect(outputs, targets, labels, size);
            }

            return new EvaluationResult(lossSum / count, Accuracy(correct, count), count);
        }

        /// <summary>Copies the samples at <paramref name="indices"/> into the batch buffers.</summary>
        private void Gather(Dataset data, ReadOnlySpan<int> indices, Span<float> inputs, Span<float> targets, Span<int> labels)
        {
            ReadOnlySpan<float> allInputs = data.Inputs;
            ReadOnlySpan<float> allTargets = data.Targets;
            for (int i = 0; i < indices.Length; i++)
            {
                int sample = indices[i];
                allInputs.Slice(sample * _inputSize, _inputSize).CopyTo(inputs.Slice(i * _inputSize, _inputSize));
                allTargets.Slice(sample * _outputSize, _outputSize).CopyTo(targets.Slice(i * _outputSize, _outputSize));
            }

            if (!labels.IsEmpty)
            {
                for (int i = 0; i < indices.Length; i++)
                {
                    labels[i] = data.Label(indices[i]);
                }
            }
        }

        /// <summary>Returns the mean loss of a batch under the network's loss, without a gradient.</summary>
        private double BatchLoss(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, int size) => _loss switch
        {
            Loss.SquaredError => LossKernels.SquaredErrorLoss(outputs, targets, size, _outputSize),
            _ => LossKernels.SoftmaxCrossEntropyLoss(outputs, targets, size, _outputSize),
        };

        /// <summary>
        /// Counts the samples whose largest output sits at the label's index, or at the largest
        /// target's index when <paramref name="labels"/> is empty. Ties go to the first index, as
        /// torch.argmax does. Returns 0 for networks with one output, where accuracy is undefined.
        /// </summary>
        private int CountCorrect(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, ReadOnlySpan<int> labels, int size)
        {
            if (_outputSize == 1)
            {
                return 0;
            }

            int correct = 0;
            for (int i = 0; i < size; i++)
            {
                int predicted = TensorPrimitives.IndexOfMax(outputs.Slice(i * _outputSize, _outputSize));
                int expected = labels.IsEmpty
                    ? TensorPrimitives.IndexOfMax(targets.Slice(i * _outputSize, _outputSize))
                    : labels[i];
                if (predicted == expected)
                {
                    correct++;
                }
            }

            return correct;
        }

        private double Accuracy(int correct, int count) => _outputSize == 1 ? double.NaN : (double)correct / count;

        private void ValidateDataset(Dataset data, string parameterName, string role)
        {
            if (data.InputSize != _inputSize)
            {
                throw new ArgumentException(
                    $"The {role} has {data.InputSize} inputs per sample, but the network expects {_inputSize}; load data whose samples match the network's input size.",
                    parameterName);
            }

            if (data.TargetSize != _outputSize)
            {
                throw new ArgumentException(
                    $"The {role} has {data.TargetSize} targets per sample, but the network has {_outputSize} outputs; give one target per output.",
                    parameterName);
            }

            if (data.Count == 0)
            {
                throw new ArgumentException($"The {role} contains no samples; pass at least one.", parameterName);
            }

            if (data.HasLabels && _outputSize > 1)
            {
                for (int i = 0; i < data.Count; i++)
                {
                    int label = data.Label(i);
                    if ((uint)label >= (uint)_outputSize)
                    {
                        throw new ArgumentException(
                            $"Sample {i} of the {role} has label {label}, but the network has {_outputSize} outputs, so labels must lie in [0, {_outputSize - 1}].",
                            parameterName);
                    }
                }
            }
        }

        private static int CheckedLength(int batchSize, int sampleSize, string parameterName)
        {
            long length = (long)batchSize * sampleSize;
            if (length > Array.MaxLength)
            {
                throw new ArgumentOutOfRangeException(parameterName, batchSize,
                    $"A batch of {batchSize} samples of {sampleSize} values needs {length} floats, more than one array holds; use a smaller batch.");
            }

            return (int)length;
        }

        private static long ToTimestampTicks(TimeSpan interval)
        {
            double ticks = interval.TotalSeconds * Stopwatch.Frequency;
            return ticks >= long.MaxValue ? long.MaxValue : (long)ticks;
        }
    }
}
