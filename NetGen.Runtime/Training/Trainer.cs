using System;
using System.Diagnostics;
using System.Threading;
using NetGen.Data;

namespace NetGen
{
    /// <summary>
    /// Mini-batch training loop: shuffles the training set every epoch, runs forward, backward and
    /// an optimizer step per batch, and evaluates on a validation set after each epoch, on one or
    /// more threads.
    /// </summary>
    /// <typeparam name="TNetwork">The network type, usually a generated class.</typeparam>
    /// <remarks>
    /// <para>
    /// Every batch is cut into chunks of <see cref="ChunkSize"/> samples, the last chunk holding
    /// the rest. Each chunk has its own workspace, so its forward and backward passes yield the
    /// mean gradient g_c of its n_c samples. The gradient of the batch mean is
    /// Σ_c (n_c / B)·g_c, summed in chunk order for every parameter, and the optimizer takes one
    /// step with it. Loss and accuracy are combined in chunk order too.
    /// A loss that divides by a total weight of the samples instead of their number
    /// (<see cref="ITrainableNetwork.WeighsSamples"/>: class weights or label smoothing) makes
    /// each chunk weigh W_c / W instead of n_c / B, so the step is that of the whole batch. A chunk
    /// whose samples all weigh 0 adds nothing, and a batch whose samples all weigh 0 takes no
    /// optimizer step (TrainStep throws on its 0/0 mean instead).
    /// The chunks depend only on the batch size and <see cref="ChunkSize"/>, and every sum has a
    /// fixed order, so for a given seed the trained parameters are bit-identical whatever
    /// <see cref="Threads"/> is. Changing <see cref="ChunkSize"/> changes the rounding.
    /// </para>
    /// <para>
    /// Each epoch shuffles the training set, unless one batch contains all of it and either that
    /// batch is one chunk or the network has no batch norm (<see cref="ITrainableNetwork.UsesBatchStatistics"/>).
    /// Then the order changes only the rounding of the sums, so the samples keep their order: the
    /// epoch skips the shuffle (about 2 ns per sample on the calling thread: 18 µs for 10,000
    /// samples) and the chunks read the dataset in place instead of copying their samples. With
    /// batch norm and several chunks the order still matters, because each chunk normalises with
    /// its own statistics.
    /// </para>
    /// <para>
    /// With <see cref="Threads"/> above 1 the constructor starts <see cref="Threads"/> − 1
    /// background threads that, with the calling thread, process the chunks of a batch, then
    /// sum the gradients over disjoint parameter ranges, and then, for an optimizer that
    /// implements <see cref="IElementwiseOptimizer"/>, take its step over the same ranges. Other
    /// optimizers step on the calling thread. A batch of one chunk (<see cref="ChunkSize"/> at
    /// least <see cref="BatchSize"/>) runs its passes on the calling thread, but the threads share
    /// its dense layers of at least 64 outputs and about a million multiply-adds. Each computes a
    /// range of their outputs in the forward pass and the same rows of their weight gradient in
    /// the backward pass, and then checks and steps those parameters. Without AVX-512 the forward
    /// pass stays on the calling thread. Each thread keeps its rows of the weights
    /// in its own cache, where chunks make every thread read all weights and sum gradients as large
    /// as the parameters. For 784 → 128 → 10 at batch 128 on a 2-core Intel Xeon, one chunk took
    /// 186 µs per step against 217 µs for two chunks of 64 (docs/benchmarks-history.md, run of 19:47).
    /// On a 2-core AMD EPYC (Zen 4) one chunk took 278–291 µs (medians of 5,000 steps in three
    /// rounds) against 314–350 µs for two chunks.
    /// Without AVX-512 two chunks were faster: 294,000 against 177,000 samples per second on the
    /// same Xeon with AVX-512 turned off.
    /// An evaluation batch of one chunk shares its forward pass the same way. The ranges run the kernels
    /// of the whole layer, so the bits stay those of one thread. Dispose the trainer to stop the threads.
    /// </para>
    /// <para>
    /// The constructor allocates the workspaces, the threads and every batch buffer. The first
    /// <c>Fit</c> call also allocates the sample order, and a later call reallocates it only for a
    /// larger training set. The first <c>Fit</c> call with early stopping that restores the best
    /// parameters allocates their copy. The optimizer allocates its state on its first step.
    /// After that a training epoch allocates nothing, on any thread, except what the progress
    /// callback does. Each <c>Fit</c> call allocates its <see cref="TrainingHistory"/>.
    /// </para>
    /// <para>
    /// The trainer calls <see cref="ITrainableNetwork.Forward(ReadOnlySpan{float}, Span{float}, Workspace)"/>,
    /// <see cref="ITrainableNetwork.Backward"/> and the optimizer's step itself, not
    /// <see cref="ITrainableNetwork.TrainStep"/>, because training accuracy needs the batch's
    /// outputs and the chunks need their own gradients. The network's forward and backward passes
    /// must therefore be safe to run on several workspaces at once, which generated networks are.
    /// A trainer is not thread-safe: one thread at a time may call <c>Fit</c> or <c>Evaluate</c>,
    /// and a second call that starts before the first returns throws
    /// <see cref="InvalidOperationException"/>, also from a progress callback.
    /// Dispose the trainer when done: its worker threads keep it, the network and every buffer
    /// alive, so an undisposed trainer with several threads is never collected.
    /// </para>
    /// </remarks>
    public sealed partial class Trainer<TNetwork> : IDisposable
        where TNetwork : ITrainableNetwork
    {
        private const int MaxThreads = 64;

        // Not readonly: for a struct network a readonly field would make every call act on a copy.
        private TNetwork _network;
        private readonly IOptimizer _optimizer;
        private readonly int _inputSize;
        private readonly int _outputSize;

        // [BatchSize, InputSize], the gathered training batch. It starts on a cache line, so rows
        // whose length is a multiple of 16 floats do too, and the weight-gradient kernel's vector
        // loads of the inputs do not straddle two lines. In a throwaway harness on the Intel Xeon,
        // the 784 × 256 weight gradient at batch 128 ran at 176 GFLOP/s on aligned inputs against
        // 146–164 GFLOP/s on a float[] 16 bytes past a cache line.
        private readonly AlignedBuffer _batchInputs;
        private readonly float[] _batchTargets; // [BatchSize, OutputSize]
        private readonly int[] _batchLabels;    // [max(BatchSize, EvaluationBatchSize)]
        private readonly float[] _outputs;      // [max(BatchSize, EvaluationBatchSize), OutputSize]
        private int[] _order = [];              // sample order of the current epoch, unless it reads in place
        private bool _readInPlace;              // the epoch keeps the stored order: chunks read the dataset directly, without _order and the batch buffers
        private readonly bool _usesBatchStatistics; // ITrainableNetwork.UsesBatchStatistics
        private readonly bool _weighsSamples;       // ITrainableNetwork.WeighsSamples: chunks weigh their LossWeight
        private readonly int _bufferLength;         // batch-norm running statistics, kept with the best parameters
        private float[]? _bestBuffers;              // copy of those statistics kept by early stopping
        private float[]? _bestParameters;       // copy kept by early stopping, allocated on first use

        private TimeSpan _progressInterval = TimeSpan.FromMilliseconds(50);
        private bool _disposed;
        private int _callInProgress; // 1 while Fit or Evaluate runs (see EnterCall)

        /// <summary>Creates a trainer, allocates its workspaces and buffers, and starts its threads.</summary>
        /// <param name="network">The network to train; its parameters are updated in place.</param>
        /// <param name="optimizer">The update rule; it keeps its state between <c>Fit</c> calls.</param>
        /// <param name="batchSize">Samples per training step; at least 1.</param>
        /// <param name="seed">Seed of the per-epoch shuffle.</param>
        /// <param name="maxEvaluationBatch">
        /// Samples per forward pass when evaluating; at least 1. Defaults to <paramref name="batchSize"/>.
        /// </param>
        /// <param name="threads">
        /// Threads that process the chunks of a batch, the calling thread included; 1 to 64.
        /// The result does not depend on it.
        /// </param>
        /// <param name="chunkSize">
        /// Samples per chunk, the unit of work of one thread; at least 1. Every chunk of a training
        /// batch reads the weights again and fills its own gradient buffer as large as the
        /// parameters, so smaller chunks cost memory and memory traffic. A chunk size of at least
        /// <paramref name="batchSize"/> makes every batch one chunk, whose large dense layers the
        /// threads share (see the remarks on <see cref="Trainer{TNetwork}"/>). For a network with batch norm, chunk sizes of 1
        /// and 2 become chunks of 2 or 3 samples, because batch norm cannot train on one value per
        /// channel.
        /// </param>
        public Trainer(
            TNetwork network,
            IOptimizer optimizer,
            int batchSize,
            int seed = 0,
            int? maxEvaluationBatch = null,
            int threads = 1,
            int chunkSize = 32)
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

            if (threads is < 1 or > MaxThreads)
            {
                throw new ArgumentOutOfRangeException(nameof(threads), threads,
                    $"The number of threads must be between 1 and {MaxThreads}; more threads than Environment.ProcessorCount slow training down.");
            }

            if (chunkSize <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(chunkSize), chunkSize,
                    "The chunk size must be at least 1 sample.");
            }

            Loss loss = network.Loss;
            if (!Enum.IsDefined(loss))
            {
                throw new ArgumentException(
                    $"The network's loss {loss} is not a member of NetGen.Loss; regenerate the network with a NetGen version that defines it.",
                    nameof(network));
            }

            _network = network;
            _optimizer = optimizer;

            // Read once: for a struct network each call of a default interface member boxes it.
            _usesBatchStatistics = network.UsesBatchStatistics;
            _weighsSamples = network.WeighsSamples;
            _bufferLength = network.Buffers.Length;
            _inputSize = network.InputSize;
            _outputSize = network.OutputSize;
            BatchSize = batchSize;
            EvaluationBatchSize = evaluationBatchSize;
            Seed = seed;
            Threads = threads;
            ChunkSize = chunkSize;

            int maxBatchSize = Math.Max(batchSize, evaluationBatchSize);
            _batchInputs = new AlignedBuffer(CheckedLength(batchSize, _inputSize, nameof(batchSize)));
            _batchTargets = new float[CheckedLength(batchSize, _outputSize, nameof(batchSize))];
            _outputs = new float[CheckedLength(maxBatchSize, _outputSize, nameof(maxEvaluationBatch))];
            _batchLabels = new int[maxBatchSize];

            (_workspaces, _gradients, _chunkLosses, _chunkWeights, _chunkCorrect) = AllocateChunkBuffers();
            _pool = new WorkerPool(threads, "NetGen trainer worker", RunItem);

            // Each part of a layer waits for the slowest, so a layer takes no more parts than there are processors.
            int layerParts = Math.Min(threads, Environment.ProcessorCount);
            _layerSplit = layerParts > 1 ? new LayerSplit(layerParts, RunLayerParts) : null;
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

        /// <summary>Threads that process the chunks of a batch, the calling thread included.</summary>
        public int Threads { get; }

        /// <summary>
        /// Samples per chunk: batches are cut into chunks of this size, the last one holding the
        /// rest, and each chunk's gradient is computed on its own.
        /// </summary>
        public int ChunkSize { get; }

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
        /// Trains the network for up to <paramref name="epochs"/> epochs over <paramref name="train"/>
        /// and returns one report per epoch run.
        /// </summary>
        /// <remarks>
        /// Every epoch visits each training sample once, in an order shuffled from
        /// <see cref="Seed"/> and <see cref="EpochsTrained"/> (in their own order when one batch contains
        /// the whole training set, as the class remarks describe), in batches of <see cref="BatchSize"/>;
        /// the last batch holds the remaining samples and is trained on like the others. After
        /// the training batches the network is evaluated on <paramref name="validation"/>, if given.
        /// </remarks>
        /// <param name="train">Training samples; sizes must match the network.</param>
        /// <param name="epochs">Maximum number of passes over <paramref name="train"/>; at least 1.</param>
        /// <param name="validation">Samples to evaluate after every epoch, or <see langword="null"/>.</param>
        /// <param name="progress">Receives reports during and after every epoch, or <see langword="null"/>.</param>
        /// <param name="earlyStopping">
        /// Stops training when the validation loss stops improving, or <see langword="null"/> to
        /// run every epoch. Requires <paramref name="validation"/>.
        /// </param>
        /// <param name="learningRateSchedule">
        /// Returns the learning rate of an epoch, or <see langword="null"/> to leave
        /// <see cref="IOptimizer.LearningRate"/> alone. Before every epoch the trainer calls it with
        /// <see cref="EpochsTrained"/>, the number of epochs finished by earlier epochs and earlier
        /// <c>Fit</c> calls (0 for the first), and sets the result on the optimizer, where it stays
        /// after <c>Fit</c> returns. Pass <c>schedule.LearningRate</c> to use a schedule object.
        /// </param>
        /// <param name="cancellationToken">Checked before every batch.</param>
        /// <exception cref="ArgumentException">
        /// A data set is empty or its sizes do not match the network; <paramref name="earlyStopping"/>
        /// is given without <paramref name="validation"/>; or <paramref name="learningRateSchedule"/>
        /// returned a negative, infinite or NaN learning rate.
        /// </exception>
        /// <exception cref="OperationCanceledException">
        /// <paramref name="cancellationToken"/> was cancelled. The parameters keep the updates of
        /// the batches finished before, and <see cref="EpochsTrained"/> counts the finished epochs.
        /// </exception>
        /// <exception cref="ArithmeticException">
        /// A batch's loss or gradient was NaN or infinite; that batch took no step, and the parameters
        /// keep the updates of the batches before it.
        /// </exception>
        /// <exception cref="InvalidOperationException">
        /// The network's <see cref="ITrainableNetwork.LossWeight"/> returned a negative, NaN or
        /// infinite weight: for a generated network, a target row with negative values.
        /// </exception>
        /// <exception cref="AggregateException">
        /// With <see cref="Threads"/> above 1 and batches of several chunks, the network or a data
        /// access threw while processing a batch; the inner exceptions are the original ones. With
        /// one thread, and for a batch of one chunk, whose passes run on the calling thread on any
        /// machine, they pass unwrapped.
        /// </exception>
        /// <exception cref="ObjectDisposedException">The trainer was disposed.</exception>
        /// <exception cref="InvalidOperationException">
        /// Another <c>Fit</c> or <c>Evaluate</c> call on this trainer has not returned: one from
        /// another thread, or the <c>Fit</c> whose progress callback made this call.
        /// </exception>
        public TrainingHistory Fit(
            Dataset train,
            int epochs,
            Dataset? validation = null,
            IProgress<TrainingProgress>? progress = null,
            EarlyStopping? earlyStopping = null,
            Func<int, float>? learningRateSchedule = null,
            CancellationToken cancellationToken = default)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            EnterCall(nameof(Fit));
            try
            {
                return FitCore(train, epochs, validation, progress, earlyStopping, learningRateSchedule, cancellationToken);
            }
            finally
            {
                Volatile.Write(ref _callInProgress, 0);
            }
        }

        private TrainingHistory FitCore(
            Dataset train,
            int epochs,
            Dataset? validation,
            IProgress<TrainingProgress>? progress,
            EarlyStopping? earlyStopping,
            Func<int, float>? learningRateSchedule,
            CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(train);
            if (epochs <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(epochs), epochs, "The number of epochs must be at least 1.");
            }

            ValidateDataset(train, nameof(train), "training set");
            RequireTrainableBatches(train.Count);
            if (validation is not null)
            {
                ValidateDataset(validation, nameof(validation), "validation set");
            }

            if (earlyStopping is not null && validation is null)
            {
                throw new ArgumentException(
                    "Early stopping monitors the validation loss, but no validation set was given; pass a validation set or leave earlyStopping null.",
                    nameof(earlyStopping));
            }

            cancellationToken.ThrowIfCancellationRequested();

            if (_order.Length < train.Count)
            {
                _order = new int[train.Count];
            }

            var history = new TrainingHistory(epochs);
            var monitor = new EarlyStoppingMonitor(earlyStopping);
            if (monitor.RestoresBestParameters)
            {
                _bestParameters ??= new float[_network.ParameterCount];
                _bestBuffers ??= new float[_bufferLength];
            }

            long fitStart = Stopwatch.GetTimestamp();
            for (int epoch = 1; epoch <= epochs; epoch++)
            {
                if (learningRateSchedule is not null)
                {
                    ApplyLearningRate(learningRateSchedule);
                }

                EpochReport report = RunEpoch(train, validation, epoch, epochs, fitStart, progress, cancellationToken);
                history.Add(report);

                if (monitor.Observe(epoch, report.ValidationLoss, out bool stop) && monitor.RestoresBestParameters)
                {
                    SaveBest();
                }

                if (stop)
                {
                    history.StoppedEarly = true;
                    break;
                }
            }

            if (earlyStopping is not null)
            {
                history.BestEpoch = monitor.BestEpoch;
                if (monitor.RestoresBestParameters && monitor.BestEpoch is int best && best != history.Count)
                {
                    RestoreBest();
                }
            }

            return history;
        }

        /// <summary>Copies the parameters and the batch-norm running statistics for early stopping.</summary>
        private void SaveBest()
        {
            _network.Parameters.CopyTo(_bestParameters);
            if (_bufferLength > 0)
            {
                _network.Buffers.CopyTo(_bestBuffers);
            }
        }

        /// <summary>Puts back what <see cref="SaveBest"/> kept.</summary>
        private void RestoreBest()
        {
            _bestParameters.AsSpan(0, _network.ParameterCount).CopyTo(_network.Parameters);
            if (_bufferLength > 0)
            {
                _bestBuffers.AsSpan(0, _bufferLength).CopyTo(_network.Buffers);
            }
        }

        /// <summary>
        /// Computes the mean loss and the accuracy of the network over every sample of
        /// <paramref name="data"/>, in batches of <see cref="EvaluationBatchSize"/>, without
        /// changing the parameters and without allocating.
        /// </summary>
        /// <exception cref="ArgumentException"><paramref name="data"/> is empty or its sizes do not match the network.</exception>
        /// <exception cref="AggregateException">
        /// With <see cref="Threads"/> above 1 and evaluation batches of several chunks, the network
        /// threw; the inner exceptions are the original ones. A batch of one chunk runs its forward
        /// pass on the calling thread and lets them pass unwrapped.
        /// </exception>
        /// <exception cref="ObjectDisposedException">The trainer was disposed.</exception>
        /// <exception cref="InvalidOperationException">Another <c>Fit</c> or <c>Evaluate</c> call on this trainer has not returned.</exception>
        public EvaluationResult Evaluate(Dataset data)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            EnterCall(nameof(Evaluate));
            try
            {
                ArgumentNullException.ThrowIfNull(data);
                ValidateDataset(data, nameof(data), "evaluation set");
                return EvaluateCore(data, CancellationToken.None);
            }
            finally
            {
                Volatile.Write(ref _callInProgress, 0);
            }
        }

        /// <summary>
        /// Marks a <c>Fit</c> or <c>Evaluate</c> call as running, or throws if one already is. Two
        /// calls at once would share the workspaces, the batch buffers and the worker threads, and
        /// could crash with access violations, hang, or train on a half-shuffled order.
        /// </summary>
        private void EnterCall(string method)
        {
            if (Interlocked.Exchange(ref _callInProgress, 1) != 0)
            {
                throw new InvalidOperationException(
                    $"{method} was called while another Fit or Evaluate call on this trainer was running. A trainer runs one call at a time, so " +
                    "wait for the other call to return, or give each thread its own trainer. A progress callback must not call Fit or Evaluate on the trainer that reports to it.");
            }
        }

        /// <summary>Stops and joins the worker threads. Calling it again does nothing.</summary>
        public void Dispose()
        {
            _disposed = true;
            _pool.Dispose();
        }

        /// <summary>
        /// Returns whether an epoch over <paramref name="count"/> samples keeps their order: one batch
        /// contains them all, so the order changes only the rounding, unless the batch is split
        /// into chunks that batch norm normalises one by one, where the order decides which samples
        /// share statistics.
        /// </summary>
        private bool KeepsSampleOrder(int count) =>
            count <= BatchSize && (count <= ChunkSize || !_usesBatchStatistics);

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
            // A batch read in place takes the samples in their stored order and never reads _order.
            // Filling it anyway cost about 3 µs per epoch of 10,000 samples.
            _readInPlace = KeepsSampleOrder(count);
            if (!_readInPlace)
            {
                SampleOrder.Shuffle(_order.AsSpan(0, count), Seed, EpochsTrained);
            }

            // Rounded up without forming count + BatchSize − 1, which overflows for batch sizes near int.MaxValue.
            int batches = ((count - 1) / BatchSize) + 1;
            long progressIntervalTicks = ToTimestampTicks(_progressInterval);
            double lossSum = 0;
            double weight = 0;
            int correct = 0;
            int seen = 0;

            long trainingStart = Stopwatch.GetTimestamp();
            long lastReport = trainingStart;
            for (int batch = 0; batch < batches; batch++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                // A progress callback may have disposed the trainer. Stop here on any thread count, not only where the pool notices it.
                ObjectDisposedException.ThrowIf(_disposed, this);

                int size = Math.Min(BatchSize, count - seen);
                (double batchLossSum, double batchWeight, int batchCorrect) = TrainBatch(train, seen, size);
                lossSum += batchLossSum;
                weight += batchWeight;
                correct += batchCorrect;
                seen += size;

                if (progress is not null)
                {
                    long now = Stopwatch.GetTimestamp();
                    if (now - lastReport >= progressIntervalTicks)
                    {
                        lastReport = now;
                        progress.Report(new TrainingProgress(epoch, epochs, batch + 1, batches, lossSum / weight, null));
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
                TrainingLoss: lossSum / weight,
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
            double lossSum = 0;
            double weight = 0;
            int correct = 0;

            // Counted in long so that the last step past count cannot wrap around.
            for (long next = 0; next < count; next += EvaluationBatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();

                int start = (int)next;
                int size = Math.Min(EvaluationBatchSize, count - start);
                (double batchLossSum, double batchWeight, int batchCorrect) = EvaluateBatch(data, start, size);
                lossSum += batchLossSum;
                weight += batchWeight;
                correct += batchCorrect;
            }

            return new EvaluationResult(lossSum / weight, Accuracy(correct, count), count);
        }

        /// <summary>
        /// Calls the learning-rate schedule with <see cref="EpochsTrained"/> and sets the
        /// result on the optimizer.
        /// </summary>
        private void ApplyLearningRate(Func<int, float> learningRateSchedule)
        {
            int epochIndex = (int)Math.Min(EpochsTrained, int.MaxValue);
            float learningRate = learningRateSchedule(epochIndex);
            if (!float.IsFinite(learningRate) || learningRate < 0)
            {
                throw new ArgumentException(
                    $"The learning-rate schedule returned {learningRate} for epoch index {epochIndex}; it must return a finite learning rate of at least 0.",
                    nameof(learningRateSchedule));
            }

            _optimizer.LearningRate = learningRate;
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

        /// <summary>
        /// Rejects a training set whose batches would include one that the network cannot train on,
        /// before the first step, so that Fit never stops halfway through an epoch for this reason.
        /// </summary>
        private void RequireTrainableBatches(int count)
        {
            int minimum = _network.MinimumTrainingBatch;
            int smallest = count % BatchSize == 0 ? BatchSize : Math.Min(BatchSize, count % BatchSize);
            if (smallest < minimum)
            {
                throw new ArgumentException(
                    $"The training set has {count} samples, so with a batch size of {BatchSize} one batch holds {smallest} sample(s), but this network trains on batches of at least {minimum}: " +
                    "for a generated network, a batch norm has one value per channel and sample, so it has no variance over a single sample. Change the batch size, or drop or add a sample.",
                    "train");
            }
        }

        private static int CheckedLength(int batchSize, int sampleSize, string parameterName)
        {
            // The gathered inputs live in an AlignedBuffer, whose limit is a few floats below an array's.
            long length = (long)batchSize * sampleSize;
            if (length > AlignedBuffer.MaxLength)
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
