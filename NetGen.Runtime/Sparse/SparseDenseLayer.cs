using System;
using NetGen.Kernels;

namespace NetGen.Sparse
{
    /// <summary>
    /// A fully connected layer for inference, <c>y = bias + W·x</c>, that keeps its weights in the
    /// format expected to run fastest: dense, CSR or 1×8 block CSR, chosen once for single samples
    /// and once for batches. The generated <c>SparseModel</c> of a network marked
    /// <see cref="SparseInferenceAttribute"/> contains one per fully connected layer.
    /// </summary>
    /// <remarks>
    /// <para>
    /// The constructor copies the weights, so later changes to the source do not reach the layer.
    /// With no format given, <see cref="SparseCrossover.Choose"/> picks one per batch class from
    /// the layer's measured sparsity: <see cref="SampleFormat"/> for batches below
    /// <see cref="SparseCrossover.FeatureMajorMinBatch"/> and <see cref="BatchFormat"/> from there on.
    /// A layer whose weights were pruned by <see cref="BlockPruning"/> has as few stored block
    /// entries as nonzeros, so it gets the block format where that is faster.
    /// </para>
    /// <para>
    /// Sparse formats at batches of <see cref="SparseCrossover.FeatureMajorMinBatch"/> or more run
    /// in feature-major layout ([features, batch]); dense runs batch-major ([batch, features]).
    /// <see cref="Forward"/> takes the layout of its input as an argument, transposes through a
    /// scratch buffer when its kernel needs the other one, and reports the layout of its output,
    /// so a chain of sparse layers transposes only at its ends. Element-wise activations do not
    /// depend on the layout; row-wise ones such as softmax need <see cref="ToBatchMajor"/> first.
    /// </para>
    /// </remarks>
    public sealed class SparseDenseLayer
    {
        private readonly float[] _weights;
        private readonly float[] _bias;
        private readonly CsrMatrix? _csr;
        private readonly BlockCsrMatrix? _block;

        /// <summary>Copies a layer and picks the fastest format for single samples and for batches.</summary>
        /// <param name="weights">Weights, [outputs, inputs] row-major; zeros are the pruned weights.</param>
        /// <param name="bias">Biases, [outputs].</param>
        /// <param name="outputs">Number of outputs (rows of the weight matrix).</param>
        /// <param name="inputs">Number of inputs (columns of the weight matrix).</param>
        /// <exception cref="ArgumentOutOfRangeException">A size is negative.</exception>
        /// <exception cref="ArgumentException">A span's length differs from its shape.</exception>
        public SparseDenseLayer(ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, int outputs, int inputs)
            : this(weights, bias, outputs, inputs, null)
        {
        }

        /// <summary>Copies a layer and runs it in one format for every batch size.</summary>
        /// <param name="weights">Weights, [outputs, inputs] row-major; zeros are the pruned weights.</param>
        /// <param name="bias">Biases, [outputs].</param>
        /// <param name="outputs">Number of outputs (rows of the weight matrix).</param>
        /// <param name="inputs">Number of inputs (columns of the weight matrix).</param>
        /// <param name="format">The format for every batch size, or null to pick the fastest as the other constructor does.</param>
        /// <exception cref="ArgumentOutOfRangeException">A size is negative, or <paramref name="format"/> is not a defined value.</exception>
        /// <exception cref="ArgumentException">A span's length differs from its shape.</exception>
        public SparseDenseLayer(ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, int outputs, int inputs, SparseFormat? format)
        {
            KernelArguments.RequireSize(outputs);
            KernelArguments.RequireSize(inputs);
            KernelArguments.RequireLength(weights.Length, outputs, inputs, nameof(weights), nameof(outputs), nameof(inputs));
            KernelArguments.RequireLength(bias.Length, outputs, nameof(bias), nameof(outputs));
            if (format is { } forced && !Enum.IsDefined(forced))
            {
                throw new ArgumentOutOfRangeException(nameof(format), forced, "The format must be Dense, Csr or BlockCsr, or null to pick the fastest.");
            }

            Outputs = outputs;
            Inputs = inputs;
            _bias = bias.ToArray();

            var csr = CsrMatrix.FromDense(weights, outputs, inputs);
            var block = BlockCsrMatrix.FromDense(weights, outputs, inputs);
            NonZeroCount = csr.NonZeroCount;
            Sparsity = csr.Sparsity;
            BlockSparsity = block.Sparsity;

            SampleFormat = format ?? SparseCrossover.Choose(outputs, inputs, csr.NonZeroCount, block.StoredEntryCount, batch: 1);
            BatchFormat = format ?? SparseCrossover.Choose(outputs, inputs, csr.NonZeroCount, block.StoredEntryCount, SparseCrossover.FeatureMajorMinBatch);

            // Keep only the formats that some batch size uses.
            _weights = Uses(SparseFormat.Dense) ? weights.ToArray() : [];
            _csr = Uses(SparseFormat.Csr) ? csr : null;
            _block = Uses(SparseFormat.BlockCsr) ? block : null;
        }

        /// <summary>Number of outputs (rows of the weight matrix).</summary>
        public int Outputs { get; }

        /// <summary>Number of inputs (columns of the weight matrix).</summary>
        public int Inputs { get; }

        /// <summary>Number of nonzero weights.</summary>
        public long NonZeroCount { get; }

        /// <summary>Fraction of the weights that are zero, from 0 to 1.</summary>
        public double Sparsity { get; }

        /// <summary>Fraction of the weights outside every 1×8 block that holds a nonzero weight, from 0 to 1.</summary>
        public double BlockSparsity { get; }

        /// <summary>Format used for batches below <see cref="SparseCrossover.FeatureMajorMinBatch"/> samples, among them single samples.</summary>
        public SparseFormat SampleFormat { get; }

        /// <summary>Format used for batches of <see cref="SparseCrossover.FeatureMajorMinBatch"/> samples and more.</summary>
        public SparseFormat BatchFormat { get; }

        /// <summary>Returns the format that <see cref="Forward"/> uses for a batch of this size.</summary>
        /// <param name="batch">Number of samples.</param>
        public SparseFormat FormatFor(int batch) => batch >= SparseCrossover.FeatureMajorMinBatch ? BatchFormat : SampleFormat;

        /// <summary>
        /// Computes <c>y = bias + W·x</c> for every sample of the batch with the format chosen for
        /// this batch size, without allocating.
        /// </summary>
        /// <param name="x">Inputs, batch × <see cref="Inputs"/> values in the layout that <paramref name="featureMajor"/> gives.</param>
        /// <param name="y">Outputs, batch × <see cref="Outputs"/> values; overwritten, in the layout that <paramref name="featureMajor"/> gives on return.</param>
        /// <param name="batch">Number of samples.</param>
        /// <param name="featureMajor">
        /// On entry, true when <paramref name="x"/> is feature-major [Inputs, batch] and false when it
        /// is batch-major [batch, Inputs]. On return, the same for <paramref name="y"/>. A single
        /// sample has one layout, so the value stays as it was when <paramref name="batch"/> is 1.
        /// </param>
        /// <param name="scratch">
        /// Buffer for a transposed copy of <paramref name="x"/>, at least batch × <see cref="Inputs"/>
        /// floats when <paramref name="batch"/> is above 1; it must not overlap <paramref name="x"/> or <paramref name="y"/>.
        /// </param>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is negative.</exception>
        /// <exception cref="ArgumentException">A span is shorter or longer than its shape needs.</exception>
        public void Forward(ReadOnlySpan<float> x, Span<float> y, int batch, ref bool featureMajor, Span<float> scratch)
        {
            KernelArguments.RequireSize(batch);
            KernelArguments.RequireLength(x.Length, batch, Inputs, nameof(x), nameof(batch), nameof(Inputs));
            KernelArguments.RequireLength(y.Length, batch, Outputs, nameof(y), nameof(batch), nameof(Outputs));
            int transposedLength = batch * Inputs;
            if (batch > 1 && scratch.Length < transposedLength)
            {
                throw new ArgumentException(
                    $"The scratch buffer must hold at least batch × inputs = {batch} × {Inputs} = {transposedLength} floats, but it holds {scratch.Length}. Pass a larger buffer.",
                    nameof(scratch));
            }

            SparseFormat format = FormatFor(batch);
            if (batch <= 1)
            {
                switch (format)
                {
                    case SparseFormat.Csr:
                        SparseKernels.Forward(_csr!, x, _bias, y, batch);
                        break;
                    case SparseFormat.BlockCsr:
                        SparseKernels.Forward(_block!, x, _bias, y, batch);
                        break;
                    default:
                        DenseKernels.Forward(x, _weights, _bias, y, batch, Inputs, Outputs);
                        break;
                }

                return;
            }

            bool wantsFeatureMajor = format != SparseFormat.Dense && batch >= SparseCrossover.FeatureMajorMinBatch;
            if (featureMajor != wantsFeatureMajor)
            {
                Span<float> transposed = scratch.Slice(0, transposedLength);
                if (featureMajor)
                {
                    SparseKernels.Transpose(x, transposed, Inputs, batch);
                }
                else
                {
                    SparseKernels.Transpose(x, transposed, batch, Inputs);
                }

                x = transposed;
            }

            featureMajor = wantsFeatureMajor;
            switch (format)
            {
                case SparseFormat.Csr when wantsFeatureMajor:
                    SparseKernels.ForwardFeatureMajor(_csr!, x, _bias, y, batch);
                    break;
                case SparseFormat.Csr:
                    SparseKernels.Forward(_csr!, x, _bias, y, batch);
                    break;
                case SparseFormat.BlockCsr when wantsFeatureMajor:
                    SparseKernels.ForwardFeatureMajor(_block!, x, _bias, y, batch);
                    break;
                case SparseFormat.BlockCsr:
                    SparseKernels.Forward(_block!, x, _bias, y, batch);
                    break;
                default:
                    DenseKernels.Forward(x, _weights, _bias, y, batch, Inputs, Outputs);
                    break;
            }
        }

        /// <summary>
        /// Converts activations to batch-major layout in place when they are feature-major, through
        /// a scratch buffer, and clears <paramref name="featureMajor"/>. Does nothing otherwise.
        /// </summary>
        /// <param name="values">batch × <paramref name="features"/> activations.</param>
        /// <param name="batch">Number of samples.</param>
        /// <param name="features">Number of features per sample.</param>
        /// <param name="featureMajor">True when <paramref name="values"/> is [features, batch]; false on return.</param>
        /// <param name="scratch">At least batch × <paramref name="features"/> floats that do not overlap <paramref name="values"/>.</param>
        /// <exception cref="ArgumentOutOfRangeException">A size is negative.</exception>
        /// <exception cref="ArgumentException">A span's length does not fit the shape.</exception>
        public static void ToBatchMajor(Span<float> values, int batch, int features, ref bool featureMajor, Span<float> scratch)
        {
            KernelArguments.RequireSize(batch);
            KernelArguments.RequireSize(features);
            KernelArguments.RequireLength(values.Length, batch, features, nameof(values), nameof(batch), nameof(features));
            if (!featureMajor)
            {
                return;
            }

            int length = batch * features;
            if (scratch.Length < length)
            {
                throw new ArgumentException(
                    $"The scratch buffer must hold at least batch × features = {batch} × {features} = {length} floats, but it holds {scratch.Length}. Pass a larger buffer.",
                    nameof(scratch));
            }

            Span<float> transposed = scratch.Slice(0, length);
            SparseKernels.Transpose(values, transposed, features, batch);
            transposed.CopyTo(values);
            featureMajor = false;
        }

        private bool Uses(SparseFormat format) => SampleFormat == format || BatchFormat == format;
    }
}
