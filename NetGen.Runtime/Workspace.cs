using System;

namespace NetGen
{
    /// <summary>
    /// Activation and gradient buffers for batched forward and backward passes of one network
    /// type, allocated once. A workspace is not thread-safe: give each thread its own.
    /// </summary>
    public sealed class Workspace
    {
        private const string SizeAdvice = "Create the workspace with the network's CreateWorkspace, which passes its sizes; a hand-written network passes its own counts, each zero or more.";

        private readonly AlignedBuffer _activations;
        private readonly float[] _gradients;
        private readonly float[] _scratch;
        private Kernels.DropoutRandom _dropoutRandom = new(DefaultDropoutSeed);

        /// <summary>Seed of the dropout generator of a new workspace, so that runs repeat exactly.</summary>
        public const ulong DefaultDropoutSeed = 0x5EED;

        /// <summary>Allocates the buffers. Generated networks call this from <c>CreateWorkspace</c>.</summary>
        /// <param name="architecture">The owning network's <see cref="INetwork.Architecture"/>.</param>
        /// <param name="maxBatchSize">Largest batch the buffers hold; must be positive.</param>
        /// <param name="activationsPerSample">Floats of activation storage that one sample needs.</param>
        /// <param name="parameterCount">Number of parameters, and so of gradients.</param>
        public Workspace(string architecture, int maxBatchSize, int activationsPerSample, int parameterCount)
            : this(architecture, maxBatchSize, activationsPerSample, parameterCount, 0)
        {
        }

        /// <summary>Allocates the buffers, with scratch space that does not grow with the batch.</summary>
        /// <param name="architecture">The owning network's <see cref="INetwork.Architecture"/>.</param>
        /// <param name="maxBatchSize">Largest batch the buffers hold; must be positive.</param>
        /// <param name="activationsPerSample">Floats of activation storage that one sample needs.</param>
        /// <param name="parameterCount">Number of parameters, and so of gradients.</param>
        /// <param name="scratchLength">Floats of scratch: convolution unfolding and batch statistics.</param>
        public Workspace(string architecture, int maxBatchSize, int activationsPerSample, int parameterCount, int scratchLength)
        {
            ArgumentRules.RequireAtLeast(scratchLength, 0, SizeAdvice);
            ArgumentNullException.ThrowIfNull(architecture);
            if (maxBatchSize <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(maxBatchSize), maxBatchSize,
                    "The maximum batch size must be at least 1.");
            }

            ArgumentRules.RequireAtLeast(activationsPerSample, 0, SizeAdvice);
            ArgumentRules.RequireAtLeast(parameterCount, 0, SizeAdvice);

            long activationLength = (long)maxBatchSize * activationsPerSample;
            if (activationLength > AlignedBuffer.MaxLength)
            {
                throw new ArgumentOutOfRangeException(nameof(maxBatchSize), maxBatchSize,
                    $"A batch of {maxBatchSize} samples needs {activationLength} activations, more than one array holds; use a smaller batch.");
            }

            Architecture = architecture;
            MaxBatchSize = maxBatchSize;
            ActivationsPerSample = activationsPerSample;
            // Aligned to a cache line, so that feature-major rows of a batch that is a multiple
            // of 16 start on one (see AlignedBuffer).
            _activations = new AlignedBuffer(activationLength);
            _gradients = new float[parameterCount];
            _scratch = new float[scratchLength];
        }

        /// <summary>Architecture of the network type that created this workspace.</summary>
        public string Architecture { get; }

        /// <summary>Largest batch that the buffers hold.</summary>
        public int MaxBatchSize { get; }

        /// <summary>
        /// Samples in the last batch forward pass on this workspace, 0 before the first. Generated
        /// code sets it; <c>Backward</c> reads it to know which activations are current.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">The value is negative or above <see cref="MaxBatchSize"/>.</exception>
        public int BatchSize
        {
            get => _batchSize;
            set
            {
                if ((uint)value > (uint)MaxBatchSize)
                {
                    throw new ArgumentOutOfRangeException(nameof(value), value,
                        $"BatchSize must be from 0 to this workspace's MaxBatchSize, {MaxBatchSize}. A generated network's Forward sets it; " +
                        "set it only in a hand-written network, and create the workspace with a larger batch if you need one.");
                }

                _batchSize = value;
            }
        }

        private int _batchSize;

        /// <summary>
        /// Whether forward passes on this workspace run in training mode, where dropout layers
        /// zero values and keep their masks for the backward pass. Off by default; a training
        /// step always runs in training mode. A backward pass follows the mode of its forward pass
        /// (<see cref="ForwardWasTraining"/>), whatever this property is set to by then.
        /// </summary>
        public bool IsTraining { get; set; }

        /// <summary>
        /// Whether the last batch forward pass on this workspace ran in training mode. Generated code
        /// sets it, and <c>Backward</c> differentiates that mode, so changing <see cref="IsTraining"/>
        /// between the two passes cannot mismatch them.
        /// </summary>
        public bool ForwardWasTraining { get; set; }

        /// <summary>Floats of activation storage per sample.</summary>
        public int ActivationsPerSample { get; }

        /// <summary>
        /// Activation arena: for each layer a [MaxBatchSize, outputs] block, then scratch for the
        /// backward pass. Generated code addresses it with constant offsets.
        /// </summary>
        public Span<float> Activations => _activations.Span;

        /// <summary>Parameter gradients, laid out like <see cref="INetwork.Parameters"/>.</summary>
        public Span<float> Gradients => _gradients;

        /// <summary>
        /// Generator that draws the dropout masks of forward passes on this workspace. Generated code
        /// passes it by reference; <see cref="SeedDropout"/> restarts it.
        /// </summary>
        public ref Kernels.DropoutRandom DropoutRandom => ref _dropoutRandom;

        /// <summary>Restarts the dropout generator, so that the masks that follow depend only on <paramref name="seed"/>.</summary>
        public void SeedDropout(ulong seed) => _dropoutRandom = new Kernels.DropoutRandom(seed);

        /// <summary>
        /// Scratch that does not grow with the batch: batch-norm statistics of the last training
        /// forward pass, then room for the convolution kernels. Generated code addresses it.
        /// </summary>
        public Span<float> Scratch => _scratch;

        /// <summary>
        /// When set, a training forward pass leaves the running statistics of batch-norm layers
        /// alone and only keeps its batch statistics, which <see cref="ITrainableNetwork.CommitStatistics"/>
        /// then applies. The trainer sets it so that parallel chunks never write the running
        /// statistics at once and apply them in a fixed order. Off by default.
        /// </summary>
        public bool DefersStatistics { get; set; }

        /// <summary>
        /// True after a training forward pass with <see cref="DefersStatistics"/> set kept batch
        /// statistics that have not been committed yet.
        /// </summary>
        public bool HasPendingStatistics { get; set; }

        /// <summary>
        /// Number of samples in the batch whose statistics the last deferring training forward pass kept.
        /// <see cref="ITrainableNetwork.CommitStatistics"/> takes the unbiased variance over them, even
        /// when forward passes in evaluation mode with other batch sizes ran in between.
        /// </summary>
        public int PendingStatisticsBatchSize { get; set; }

        /// <summary>Sets every gradient to zero; backward passes add to them.</summary>
        public void ZeroGradients() => Array.Clear(_gradients);
    }
}
