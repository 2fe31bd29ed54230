using System;

namespace NetGen.Quantization
{
    /// <summary>
    /// Buffers for batched forward passes of a generated quantized network, allocated once:
    /// uint8 activations, int32 accumulators, fp32 activations and the scratch of layers that run
    /// in float. A workspace is not thread-safe: give each thread its own.
    /// </summary>
    public sealed class QuantizedWorkspace
    {
        private readonly byte[] _bytes;
        private readonly int[] _accumulators;
        private readonly float[] _floats;
        private readonly float[] _scratch;

        /// <summary>Allocates the buffers, with no scratch.</summary>
        /// <inheritdoc cref="QuantizedWorkspace(string, int, int, int, int, int)"/>
        public QuantizedWorkspace(string architecture, int maxBatchSize, int bytesPerSample, int accumulatorsPerSample, int floatsPerSample)
            : this(architecture, maxBatchSize, bytesPerSample, accumulatorsPerSample, floatsPerSample, 0)
        {
        }

        /// <summary>Allocates the buffers. Generated quantized networks call this from <c>CreateWorkspace</c>.</summary>
        /// <param name="architecture">The owning network's architecture text.</param>
        /// <param name="maxBatchSize">Largest batch the buffers hold; must be positive.</param>
        /// <param name="bytesPerSample">Bytes of quantized activations per sample.</param>
        /// <param name="accumulatorsPerSample">Int32 accumulators per sample: the widest int8 layer's outputs.</param>
        /// <param name="floatsPerSample">Floats of fp32 activations per sample.</param>
        /// <param name="scratchLength">Floats of scratch that does not grow with the batch, for the convolutions that run in float.</param>
        /// <exception cref="ArgumentOutOfRangeException">The batch size is not positive, a size is negative, or a buffer would exceed the largest array.</exception>
        public QuantizedWorkspace(string architecture, int maxBatchSize, int bytesPerSample, int accumulatorsPerSample, int floatsPerSample, int scratchLength)
        {
            ArgumentNullException.ThrowIfNull(architecture);
            if (maxBatchSize <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(maxBatchSize), maxBatchSize, "The maximum batch size must be at least 1.");
            }

            const string advice = "Create the workspace with the generated Quantized.CreateWorkspace, which passes the network's sizes.";
            ArgumentRules.RequireAtLeast(bytesPerSample, 0, advice);
            ArgumentRules.RequireAtLeast(accumulatorsPerSample, 0, advice);
            ArgumentRules.RequireAtLeast(floatsPerSample, 0, advice);
            ArgumentRules.RequireAtLeast(scratchLength, 0, advice);
            long largest = (long)maxBatchSize * Math.Max(bytesPerSample, Math.Max(accumulatorsPerSample, floatsPerSample));
            if (largest > Array.MaxLength)
            {
                throw new ArgumentOutOfRangeException(nameof(maxBatchSize), maxBatchSize,
                    $"A batch of {maxBatchSize} samples needs a buffer of {largest} elements, more than one array holds; use a smaller batch.");
            }

            Architecture = architecture;
            MaxBatchSize = maxBatchSize;
            _bytes = new byte[maxBatchSize * bytesPerSample];
            _accumulators = new int[maxBatchSize * accumulatorsPerSample];
            _floats = new float[maxBatchSize * floatsPerSample];
            _scratch = new float[scratchLength];
        }

        /// <summary>Architecture of the network type that created this workspace.</summary>
        public string Architecture { get; }

        /// <summary>Largest batch that the buffers hold.</summary>
        public int MaxBatchSize { get; }

        /// <summary>Quantized activations: for each int8 layer a [MaxBatchSize, inputs] block of its input.</summary>
        public Span<byte> Bytes => _bytes;

        /// <summary>Int32 accumulators, [MaxBatchSize, widest int8 layer], shared by the layers one after another.</summary>
        public Span<int> Accumulators => _accumulators;

        /// <summary>Fp32 activations, laid out as the float network's activation arena.</summary>
        public Span<float> Floats => _floats;

        /// <summary>Scratch of the float layers, laid out as the float network's workspace scratch.</summary>
        public Span<float> Scratch => _scratch;

        /// <summary>
        /// Throws unless the buffers have the sizes per sample that the quantized network's own
        /// CreateWorkspace gives: a workspace built with the public constructor can name the right
        /// architecture and still be too small.
        /// </summary>
        /// <exception cref="ArgumentException">A buffer has another size.</exception>
        public void CheckLayout(int bytesPerSample, int accumulatorsPerSample, int floatsPerSample, int scratchLength)
        {
            if (_bytes.Length != (long)MaxBatchSize * bytesPerSample ||
                _accumulators.Length != (long)MaxBatchSize * accumulatorsPerSample ||
                _floats.Length != (long)MaxBatchSize * floatsPerSample ||
                _scratch.Length != scratchLength)
            {
                throw new ArgumentException(
                    $"The workspace has {_bytes.Length / MaxBatchSize} bytes, {_accumulators.Length / MaxBatchSize} accumulators and {_floats.Length / MaxBatchSize} floats per sample and {_scratch.Length} floats of scratch, " +
                    $"but this quantized network needs {bytesPerSample}, {accumulatorsPerSample}, {floatsPerSample} and {scratchLength}; create the workspace with this network's CreateWorkspace.",
                    "workspace");
            }
        }

        /// <summary>
        /// Checks that this workspace belongs to <paramref name="architecture"/> and has room for the
        /// batch that <paramref name="inputLength"/> values make, and returns the batch size.
        /// </summary>
        /// <exception cref="ArgumentException">The workspace belongs to another architecture, or the inputs are not a whole batch that fits.</exception>
        public int CheckBatch(int inputLength, int inputSize, string architecture, string parameterName)
        {
            if (!string.Equals(architecture, Architecture, StringComparison.Ordinal))
            {
                throw new ArgumentException(
                    $"The workspace was created for '{Architecture}', but this quantized network is '{architecture}'; create the workspace with this network's CreateWorkspace.",
                    "workspace");
            }

            if (inputLength == 0 || inputLength % inputSize != 0)
            {
                throw new ArgumentException(
                    $"'{parameterName}' has {inputLength} values, which is not a whole, non-empty batch of samples with {inputSize} inputs each; pass batch × {inputSize} values.",
                    parameterName);
            }

            int batch = inputLength / inputSize;
            if (batch > MaxBatchSize)
            {
                throw new ArgumentException(
                    $"'{parameterName}' holds {batch} samples, but the workspace was created for at most {MaxBatchSize}; create the workspace with a larger maxBatchSize or split the batch.",
                    parameterName);
            }

            return batch;
        }
    }
}
