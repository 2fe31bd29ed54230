using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using NetGen.Sparse;

namespace NetGen.Kernels
{
    /// <summary>
    /// Forward kernels of a fully connected layer whose weights are sparse, in fp32.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Dimensions: B = <c>batch</c>, I = inputs = the weight matrix's columns, O = outputs = its
    /// rows. The weights are [O, I], as in <see cref="DenseKernels.Forward"/>. Two activation
    /// layouts are supported. Batch-major x [B, I], y [B, O] is the layout of the dense kernels,
    /// and each sample is a sparse matrix-vector product (SpMV). Feature-major x [I, B], y [O, B]
    /// stores the batch contiguously for each feature, so one stored weight multiplies B
    /// contiguous inputs with vector FMAs (SpMM). That is what makes batches fast:
    /// use <see cref="Transpose"/> to convert at the ends of a network, and keep the layers
    /// between in feature-major layout, because element-wise activations do not care.
    /// </para>
    /// <para>
    /// Entries that are not stored contribute nothing, even where an input is infinite or NaN.
    /// A dense kernel multiplies such an input by the zero weight and gets NaN there.
    /// </para>
    /// <para>
    /// Each span must have exactly the length its shape gives, or the kernel throws an
    /// <see cref="ArgumentException"/> before touching any data. The kernels allocate nothing,
    /// run on the calling thread and are safe to call from several threads on separate outputs.
    /// Sums are accumulated in fp32 in an order that depends on the vector width, so results may
    /// differ from a sequential sum in the last bits.
    /// </para>
    /// </remarks>
    public static partial class SparseKernels
    {
        /// <summary>
        /// Computes the layer's pre-activation output in batch-major layout:
        /// <c>y[b,o] = bias[o] + Σ_i x[b,i]·w[o,i]</c>, one sparse matrix-vector product per sample.
        /// </summary>
        /// <param name="weights">Weights, [outputs, inputs].</param>
        /// <param name="x">Inputs, [batch, inputs].</param>
        /// <param name="bias">Biases, [outputs].</param>
        /// <param name="y">Outputs, [batch, outputs]; overwritten.</param>
        /// <param name="batch">Number of samples B.</param>
        /// <exception cref="ArgumentNullException"><paramref name="weights"/> is null.</exception>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is negative.</exception>
        /// <exception cref="ArgumentException">A span's length differs from its shape.</exception>
        public static void Forward(CsrMatrix weights, ReadOnlySpan<float> x, ReadOnlySpan<float> bias, Span<float> y, int batch)
        {
            ArgumentNullException.ThrowIfNull(weights);
            RequireShapes(weights.Rows, weights.Columns, x, bias, y, batch);

            int inputs = weights.Columns, outputs = weights.Rows;
            for (int b = 0; b < batch; b++)
            {
                ref float xRow = ref MemoryMarshal.GetReference(x.Slice(b * inputs, inputs));
                ref float yRow = ref MemoryMarshal.GetReference(y.Slice(b * outputs, outputs));
                MultiplyVector(weights, ref xRow, ref MemoryMarshal.GetReference(bias), ref yRow);
            }
        }

        /// <summary>
        /// Computes the layer's pre-activation output in feature-major layout:
        /// <c>y[o,b] = bias[o] + Σ_i w[o,i]·x[i,b]</c>. Each stored weight multiplies a row of
        /// B contiguous inputs, so this is the fast kernel for batches.
        /// </summary>
        /// <param name="weights">Weights, [outputs, inputs].</param>
        /// <param name="x">Inputs, [inputs, batch].</param>
        /// <param name="bias">Biases, [outputs].</param>
        /// <param name="y">Outputs, [outputs, batch]; overwritten.</param>
        /// <param name="batch">Number of samples B.</param>
        /// <exception cref="ArgumentNullException"><paramref name="weights"/> is null.</exception>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is negative.</exception>
        /// <exception cref="ArgumentException">A span's length differs from its shape.</exception>
        public static void ForwardFeatureMajor(CsrMatrix weights, ReadOnlySpan<float> x, ReadOnlySpan<float> bias, Span<float> y, int batch)
        {
            ArgumentNullException.ThrowIfNull(weights);
            RequireShapes(weights.Rows, weights.Columns, x, bias, y, batch);

            ref float xStart = ref MemoryMarshal.GetReference(x);
            ref float biasStart = ref MemoryMarshal.GetReference(bias);
            ref float yStart = ref MemoryMarshal.GetReference(y);

            // With one sample, [inputs, 1] and [1, inputs] are the same vector.
            if (batch == 1)
            {
                MultiplyVector(weights, ref xStart, ref biasStart, ref yStart);
            }
            else if (Vector256Fma.IsSupported && batch >= Vector256<float>.Count)
            {
                // Wide layers go panel by panel over the full chunks of 64 samples, which keeps the
                // inputs in L1; the rest of the batch takes the row loop. Panels were faster on
                // 784 inputs and inconclusive on 256, where 64 samples of all inputs fit in L2.
                int done = weights.Columns > PanelMinColumns ? MultiplyFeatureMajorPanels(weights, ref xStart, ref biasStart, ref yStart, batch) : 0;
                if (done < batch)
                {
                    MultiplyFeatureMajorCore<Vector256Fma, Vector256<float>>(weights, ref xStart, ref biasStart, ref yStart, batch, done);
                }
            }
            else if (Vector128Simd.IsSupported && batch >= Vector128<float>.Count)
            {
                MultiplyFeatureMajorCore<Vector128Simd, Vector128<float>>(weights, ref xStart, ref biasStart, ref yStart, batch);
            }
            else if (batch > 0)
            {
                MultiplyFeatureMajorCore<ScalarSimd, float>(weights, ref xStart, ref biasStart, ref yStart, batch);
            }
        }

        /// <summary>
        /// Computes the layer's pre-activation output in batch-major layout with 1×8 block-sparse
        /// weights: <c>y[b,o] = bias[o] + Σ_i x[b,i]·w[o,i]</c>.
        /// </summary>
        /// <param name="weights">Weights, [outputs, inputs].</param>
        /// <param name="x">Inputs, [batch, inputs].</param>
        /// <param name="bias">Biases, [outputs].</param>
        /// <param name="y">Outputs, [batch, outputs]; overwritten.</param>
        /// <param name="batch">Number of samples B.</param>
        /// <exception cref="ArgumentNullException"><paramref name="weights"/> is null.</exception>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is negative.</exception>
        /// <exception cref="ArgumentException">A span's length differs from its shape.</exception>
        public static void Forward(BlockCsrMatrix weights, ReadOnlySpan<float> x, ReadOnlySpan<float> bias, Span<float> y, int batch)
        {
            ArgumentNullException.ThrowIfNull(weights);
            RequireShapes(weights.Rows, weights.Columns, x, bias, y, batch);

            int inputs = weights.Columns, outputs = weights.Rows;
            for (int b = 0; b < batch; b++)
            {
                ref float xRow = ref MemoryMarshal.GetReference(x.Slice(b * inputs, inputs));
                ref float yRow = ref MemoryMarshal.GetReference(y.Slice(b * outputs, outputs));
                MultiplyBlockVector(weights, ref xRow, ref MemoryMarshal.GetReference(bias), ref yRow);
            }
        }

        /// <summary>
        /// Computes the layer's pre-activation output in feature-major layout with 1×8
        /// block-sparse weights: <c>y[o,b] = bias[o] + Σ_i w[o,i]·x[i,b]</c>.
        /// </summary>
        /// <param name="weights">Weights, [outputs, inputs].</param>
        /// <param name="x">Inputs, [inputs, batch].</param>
        /// <param name="bias">Biases, [outputs].</param>
        /// <param name="y">Outputs, [outputs, batch]; overwritten.</param>
        /// <param name="batch">Number of samples B.</param>
        /// <exception cref="ArgumentNullException"><paramref name="weights"/> is null.</exception>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is negative.</exception>
        /// <exception cref="ArgumentException">A span's length differs from its shape.</exception>
        public static void ForwardFeatureMajor(BlockCsrMatrix weights, ReadOnlySpan<float> x, ReadOnlySpan<float> bias, Span<float> y, int batch)
        {
            ArgumentNullException.ThrowIfNull(weights);
            RequireShapes(weights.Rows, weights.Columns, x, bias, y, batch);

            ref float xStart = ref MemoryMarshal.GetReference(x);
            ref float biasStart = ref MemoryMarshal.GetReference(bias);
            ref float yStart = ref MemoryMarshal.GetReference(y);

            if (batch == 1)
            {
                MultiplyBlockVector(weights, ref xStart, ref biasStart, ref yStart);
            }
            else if (Vector256Fma.IsSupported && batch >= Vector256<float>.Count)
            {
                MultiplyBlockFeatureMajorCore<Vector256Fma, Vector256<float>>(weights, ref xStart, ref biasStart, ref yStart, batch);
            }
            else if (Vector128Simd.IsSupported && batch >= Vector128<float>.Count)
            {
                MultiplyBlockFeatureMajorCore<Vector128Simd, Vector128<float>>(weights, ref xStart, ref biasStart, ref yStart, batch);
            }
            else if (batch > 0)
            {
                MultiplyBlockFeatureMajorCore<ScalarSimd, float>(weights, ref xStart, ref biasStart, ref yStart, batch);
            }
        }

        /// <summary>
        /// Transposes a row-major matrix: <c>destination[c, r] = source[r, c]</c>. It converts
        /// activations between batch-major [B, F] (rows = B) and feature-major [F, B] (rows = F).
        /// </summary>
        /// <param name="source">The matrix, [rows, columns] row-major.</param>
        /// <param name="destination">The transpose, [columns, rows] row-major; overwritten. It must not overlap <paramref name="source"/>.</param>
        /// <param name="rows">Rows of <paramref name="source"/>.</param>
        /// <param name="columns">Columns of <paramref name="source"/>.</param>
        /// <exception cref="ArgumentOutOfRangeException">A size is negative.</exception>
        /// <exception cref="ArgumentException">A span's length differs from its shape, or the spans overlap.</exception>
        public static void Transpose(ReadOnlySpan<float> source, Span<float> destination, int rows, int columns)
        {
            KernelArguments.RequireSize(rows);
            KernelArguments.RequireSize(columns);
            KernelArguments.RequireLength(source.Length, rows, columns, nameof(source), nameof(rows), nameof(columns));
            KernelArguments.RequireLength(destination.Length, columns, rows, nameof(destination), nameof(columns), nameof(rows));
            if (source.Overlaps(destination))
            {
                throw new ArgumentException("The destination of a transpose must not overlap its source. Pass a separate buffer.", nameof(destination));
            }

            ref float sourceStart = ref MemoryMarshal.GetReference(source);
            ref float destinationStart = ref MemoryMarshal.GetReference(destination);

            // Tiles of 16 × 16 keep both the rows read and the rows written in the L1 cache.
            const int Tile = 16;
            for (int r0 = 0; r0 < rows; r0 += Tile)
            {
                int r1 = Math.Min(rows, r0 + Tile);
                for (int c0 = 0; c0 < columns; c0 += Tile)
                {
                    int c1 = Math.Min(columns, c0 + Tile);
                    for (nint r = r0; r < r1; r++)
                    {
                        ref float sourceRow = ref Unsafe.Add(ref sourceStart, r * columns);
                        for (nint c = c0; c < c1; c++)
                        {
                            Unsafe.Add(ref destinationStart, c * rows + r) = Unsafe.Add(ref sourceRow, c);
                        }
                    }
                }
            }
        }

        private static void RequireShapes(int outputs, int inputs, ReadOnlySpan<float> x, ReadOnlySpan<float> bias, Span<float> y, int batch)
        {
            KernelArguments.RequireSize(batch);
            KernelArguments.RequireLength(x.Length, batch, inputs, nameof(x), nameof(batch), "inputs (weight columns)");
            KernelArguments.RequireLength(bias.Length, outputs, nameof(bias), "outputs (weight rows)");
            KernelArguments.RequireLength(y.Length, batch, outputs, nameof(y), nameof(batch), "outputs (weight rows)");
        }
    }
}
