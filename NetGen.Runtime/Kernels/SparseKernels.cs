using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
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
        /// <remarks>
        /// The kernel is bound by its vector loads, and a load that straddles two cache lines costs
        /// about two. It runs fastest when every row of x and y starts at a 64-byte boundary: pass
        /// spans that start at one, such as those of an <see cref="AlignedBuffer"/>, with a batch that
        /// is a multiple of 16. Any other alignment gives the same results more slowly (about 1.5
        /// times at batch 128 on a 784×256 layer, measured on AMD Zen 5).
        /// </remarks>
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
                // Chunks of 128 samples take 512-bit panels where AVX-512 runs, which measured 1.1 to
                // 1.4 times faster than 256-bit ones. The rest goes panel by panel over chunks of 64
                // samples, which keeps the inputs of wide layers in L1. When more than 16 samples
                // are left, the last of these chunks may overlap samples already done. At batch 100
                // on 784×256 at 90 % sparsity, that ran 1.2 to 1.9 times faster (noisy runs) than
                // leaving 36 samples to the row loop, which walks every row once per 8 samples. The
                // rest of the batch, and batches below 64 samples, take the row loop.
                // NOTE: narrow layers once took the row loop instead of 256-bit panels. At batch 100
                // the panels measured faster on 256×256 but slower on 128×10 at 90 % sparsity, in one
                // noisy run each, so their edge on narrow layers is not settled.
                int done = 0;
                if (Vector512Fma.IsSupported)
                {
                    done = MultiplyFeatureMajorPanels<Vector512Fma, Vector512<float>>(weights, ref xStart, ref biasStart, ref yStart, batch, done, overlapLastChunk: false);
                }

                done = MultiplyFeatureMajorPanels<Vector256Fma, Vector256<float>>(weights, ref xStart, ref biasStart, ref yStart, batch, done, overlapLastChunk: true);

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

            // Full 8 × 8 tiles go through registers; the scalar loop below covers the edges.
            int vectorRows = 0, vectorColumns = 0;
            if (Avx.IsSupported && Vector256.IsHardwareAccelerated)
            {
                vectorRows = rows / 8 * 8;
                vectorColumns = columns / 8 * 8;
                TransposeTiles8x8(ref sourceStart, ref destinationStart, rows, columns, vectorRows, vectorColumns);
            }

            TransposeScalar(ref sourceStart, ref destinationStart, rows, columns, vectorRows, rows, 0);
            TransposeScalar(ref sourceStart, ref destinationStart, rows, columns, 0, vectorRows, vectorColumns);
        }

        /// <summary>Transposes every full 8 × 8 tile of the first <paramref name="vectorRows"/> rows and <paramref name="vectorColumns"/> columns with AVX shuffles.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void TransposeTiles8x8(ref float source, ref float destination, int rows, int columns, int vectorRows, int vectorColumns)
        {
            // Blocks of 32 rows: within a block the tiles walk along the rows of the source, and
            // the four tiles that share destination rows fill whole 128-byte stretches of them.
            for (nint r0 = 0; r0 < vectorRows; r0 += 32)
            {
                nint r1 = Math.Min(vectorRows, r0 + 32);
                for (nint c = 0; c < vectorColumns; c += 8)
                {
                    for (nint r = r0; r < r1; r += 8)
                    {
                        TransposeTile8x8(ref Unsafe.Add(ref source, (r * columns) + c), ref Unsafe.Add(ref destination, (c * rows) + r), columns, rows);
                    }
                }
            }
        }

        /// <summary>Transposes one 8 × 8 tile from rows <paramref name="sourceStride"/> apart into rows <paramref name="destinationStride"/> apart.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void TransposeTile8x8(ref float tile, ref float target, nint sourceStride, nint destinationStride)
        {
            Vector256<float> r0 = Vector256.LoadUnsafe(ref tile);
            Vector256<float> r1 = Vector256.LoadUnsafe(ref Unsafe.Add(ref tile, sourceStride));
            Vector256<float> r2 = Vector256.LoadUnsafe(ref Unsafe.Add(ref tile, 2 * sourceStride));
            Vector256<float> r3 = Vector256.LoadUnsafe(ref Unsafe.Add(ref tile, 3 * sourceStride));
            Vector256<float> r4 = Vector256.LoadUnsafe(ref Unsafe.Add(ref tile, 4 * sourceStride));
            Vector256<float> r5 = Vector256.LoadUnsafe(ref Unsafe.Add(ref tile, 5 * sourceStride));
            Vector256<float> r6 = Vector256.LoadUnsafe(ref Unsafe.Add(ref tile, 6 * sourceStride));
            Vector256<float> r7 = Vector256.LoadUnsafe(ref Unsafe.Add(ref tile, 7 * sourceStride));

            // Interleave pairs of rows, then pairs of pairs, then swap 128-bit halves.
            Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
            Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
            Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
            Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
            Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE);
            Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
            Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE);
            Vector256<float> u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);

            Avx.Permute2x128(u0, u4, 0x20).StoreUnsafe(ref target);
            Avx.Permute2x128(u1, u5, 0x20).StoreUnsafe(ref Unsafe.Add(ref target, destinationStride));
            Avx.Permute2x128(u2, u6, 0x20).StoreUnsafe(ref Unsafe.Add(ref target, 2 * destinationStride));
            Avx.Permute2x128(u3, u7, 0x20).StoreUnsafe(ref Unsafe.Add(ref target, 3 * destinationStride));
            Avx.Permute2x128(u0, u4, 0x31).StoreUnsafe(ref Unsafe.Add(ref target, 4 * destinationStride));
            Avx.Permute2x128(u1, u5, 0x31).StoreUnsafe(ref Unsafe.Add(ref target, 5 * destinationStride));
            Avx.Permute2x128(u2, u6, 0x31).StoreUnsafe(ref Unsafe.Add(ref target, 6 * destinationStride));
            Avx.Permute2x128(u3, u7, 0x31).StoreUnsafe(ref Unsafe.Add(ref target, 7 * destinationStride));
        }

        /// <summary>Transposes the rows in [<paramref name="firstRow"/>, <paramref name="endRow"/>) and the columns from <paramref name="firstColumn"/> on, element by element.</summary>
        private static void TransposeScalar(ref float sourceStart, ref float destinationStart, int rows, int columns, int firstRow, int endRow, int firstColumn)
        {
            // Tiles of 16 × 16 keep both the rows read and the rows written in the L1 cache.
            const int Tile = 16;
            for (int r0 = firstRow; r0 < endRow; r0 += Tile)
            {
                int r1 = Math.Min(endRow, r0 + Tile);
                for (int c0 = firstColumn; c0 < columns; c0 += Tile)
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
