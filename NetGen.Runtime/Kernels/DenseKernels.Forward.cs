using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetGen.Kernels
{
    // The forward pass is an x·wᵀ product: every output is the dot product of an x row and a
    // w row, both contiguous along the inputs. Each tile below keeps one vector accumulator per
    // (sample, weight row) pair, so one load of x or w feeds several FMAs, and reduces the
    // accumulators horizontally once at the end of the rows.
    public static partial class DenseKernels
    {
        /// <summary>
        /// Bytes of weights that one block of output rows may span. All samples pass over a block
        /// before the next one starts, so the block should stay in the per-core L2 cache with room
        /// left for the x rows. The value is half of a 512 KB L2.
        /// </summary>
        private const int ForwardWeightBlockBytes = 256 * 1024;

        /// <summary>Runs <see cref="Forward"/> on checked arguments with vectors of type <typeparamref name="TVector"/>.</summary>
        /// <remarks>Requires <paramref name="inputs"/> to be 0 or at least <c>TSimd.Count</c>, since a row's last vector may overlap the previous one but never starts before the row.</remarks>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        internal static void ForwardCore<TSimd, TVector>(ref float x, ref float w, ref float bias, ref float y, int batch, int inputs, int outputs)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            TVector tailMask = TSimd.UpperLanesMask(inputs % TSimd.Count);
            int rowsPerBlock = ForwardRowsPerBlock(inputs);

            for (int blockStart = 0, blockEnd; blockStart < outputs; blockStart = blockEnd)
            {
                blockEnd = blockStart + Math.Min(rowsPerBlock, outputs - blockStart);

                // With the 32 registers of AVX-512, six samples at a time against four weight rows:
                // 24 accumulators, so each weight vector loaded feeds six FMAs.
                int b = 0;
                if (UseSixSampleTiles<TSimd, TVector>())
                {
                    for (; b <= batch - 6; b += 6)
                    {
                        ref float xRows = ref Unsafe.Add(ref x, (nint)b * inputs);
                        ref float yRow = ref Unsafe.Add(ref y, (nint)b * outputs);
                        int o = blockStart;
                        for (; o <= blockEnd - 4; o += 4)
                        {
                            Dot6x4<TSimd, TVector>(ref xRows, ref Unsafe.Add(ref w, (nint)o * inputs), inputs, tailMask,
                                ref Unsafe.Add(ref bias, o), ref Unsafe.Add(ref yRow, o), outputs);
                        }

                        for (; o < blockEnd; o++)
                        {
                            Dot3x1<TSimd, TVector>(ref xRows, ref Unsafe.Add(ref w, (nint)o * inputs), inputs, tailMask,
                                Unsafe.Add(ref bias, o), ref Unsafe.Add(ref yRow, o), outputs);
                            Dot3x1<TSimd, TVector>(ref Unsafe.Add(ref xRows, 3 * (nint)inputs), ref Unsafe.Add(ref w, (nint)o * inputs), inputs, tailMask,
                                Unsafe.Add(ref bias, o), ref Unsafe.Add(ref yRow, 3 * (nint)outputs + o), outputs);
                        }
                    }
                }

                // Three samples at a time against four weight rows: 12 accumulators.
                for (; b <= batch - 3; b += 3)
                {
                    ref float xRows = ref Unsafe.Add(ref x, (nint)b * inputs);
                    ref float yRow = ref Unsafe.Add(ref y, (nint)b * outputs);
                    int o = blockStart;
                    for (; o <= blockEnd - 4; o += 4)
                    {
                        Dot3x4<TSimd, TVector>(ref xRows, ref Unsafe.Add(ref w, (nint)o * inputs), inputs, tailMask,
                            ref Unsafe.Add(ref bias, o), ref Unsafe.Add(ref yRow, o), outputs);
                    }

                    for (; o < blockEnd; o++)
                    {
                        Dot3x1<TSimd, TVector>(ref xRows, ref Unsafe.Add(ref w, (nint)o * inputs), inputs, tailMask,
                            Unsafe.Add(ref bias, o), ref Unsafe.Add(ref yRow, o), outputs);
                    }
                }

                // The remaining one or two samples, and batch 1: one sample against eight, then four weight rows.
                for (; b < batch; b++)
                {
                    ref float xRow = ref Unsafe.Add(ref x, (nint)b * inputs);
                    ref float yRow = ref Unsafe.Add(ref y, (nint)b * outputs);
                    int o = blockStart;
                    for (; o <= blockEnd - 8; o += 8)
                    {
                        Dot1x8<TSimd, TVector>(ref xRow, ref Unsafe.Add(ref w, (nint)o * inputs), inputs, tailMask,
                            ref Unsafe.Add(ref bias, o), ref Unsafe.Add(ref yRow, o));
                    }

                    if (o <= blockEnd - 4)
                    {
                        Dot1x4<TSimd, TVector>(ref xRow, ref Unsafe.Add(ref w, (nint)o * inputs), inputs, tailMask,
                            ref Unsafe.Add(ref bias, o), ref Unsafe.Add(ref yRow, o));
                        o += 4;
                    }

                    for (; o < blockEnd; o++)
                    {
                        Unsafe.Add(ref yRow, o) = Unsafe.Add(ref bias, o)
                            + Dot1x1<TSimd, TVector>(ref xRow, ref Unsafe.Add(ref w, (nint)o * inputs), inputs, tailMask);
                    }
                }
            }
        }

        /// <summary>
        /// Runs <see cref="Forward"/> for one sample with 512-bit vectors: eight weight rows per pass
        /// against one x vector, then the rows left over one at a time. One sample reads every
        /// weight once, so the time is bound by the cache bandwidth and wider vectors halve the
        /// instructions per byte.
        /// </summary>
        /// <remarks>Requires AVX-512F and <paramref name="inputs"/> of at least 16.</remarks>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        internal static void ForwardOneSample512(ref float x, ref float w, ref float bias, ref float y, int inputs, int outputs)
        {
            Vector512<float> tailMask = Vector512.GreaterThanOrEqual(
                Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), Vector512.Create(Vector512<float>.Count - (inputs % Vector512<float>.Count))).AsSingle();
            int o = 0;
            for (; o <= outputs - 8; o += 8)
            {
                Dot1x8Wide(ref x, ref Unsafe.Add(ref w, (nint)o * inputs), inputs, tailMask, ref Unsafe.Add(ref bias, o), ref Unsafe.Add(ref y, o));
            }

            for (; o < outputs; o++)
            {
                Unsafe.Add(ref y, o) = Unsafe.Add(ref bias, o) + Dot1x1Wide(ref x, ref Unsafe.Add(ref w, (nint)o * inputs), inputs, tailMask);
            }
        }

        /// <summary>Writes <c>y[r] = bias[r] + x·w[r,:]</c> for one sample and weight rows r &lt; 8, with 512-bit vectors.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Dot1x8Wide(ref float x, ref float w, int length, Vector512<float> tailMask, ref float bias, ref float y)
        {
            nint stride = length;
            ref float w0 = ref w;
            ref float w1 = ref Unsafe.Add(ref w, stride);
            ref float w2 = ref Unsafe.Add(ref w, 2 * stride);
            ref float w3 = ref Unsafe.Add(ref w, 3 * stride);
            ref float w4 = ref Unsafe.Add(ref w, 4 * stride);
            ref float w5 = ref Unsafe.Add(ref w, 5 * stride);
            ref float w6 = ref Unsafe.Add(ref w, 6 * stride);
            ref float w7 = ref Unsafe.Add(ref w, 7 * stride);
            Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;

            nint i = 0;
            nint lastFull = stride - Vector512<float>.Count;
            for (; i <= lastFull; i += Vector512<float>.Count)
            {
                Vector512<float> v = Vector512.LoadUnsafe(ref x, (nuint)i);
                a0 = Avx512F.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref w0, (nuint)i), a0);
                a1 = Avx512F.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref w1, (nuint)i), a1);
                a2 = Avx512F.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref w2, (nuint)i), a2);
                a3 = Avx512F.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref w3, (nuint)i), a3);
                a4 = Avx512F.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref w4, (nuint)i), a4);
                a5 = Avx512F.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref w5, (nuint)i), a5);
                a6 = Avx512F.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref w6, (nuint)i), a6);
                a7 = Avx512F.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref w7, (nuint)i), a7);
            }

            if (i < stride)
            {
                // The last vector ends at the end of the row and overlaps the previous one. Both
                // operands are masked so the overlapped lanes add 0·0, never 0·∞.
                i = lastFull;
                Vector512<float> v = Vector512.LoadUnsafe(ref x, (nuint)i) & tailMask;
                a0 = Avx512F.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref w0, (nuint)i) & tailMask, a0);
                a1 = Avx512F.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref w1, (nuint)i) & tailMask, a1);
                a2 = Avx512F.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref w2, (nuint)i) & tailMask, a2);
                a3 = Avx512F.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref w3, (nuint)i) & tailMask, a3);
                a4 = Avx512F.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref w4, (nuint)i) & tailMask, a4);
                a5 = Avx512F.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref w5, (nuint)i) & tailMask, a5);
                a6 = Avx512F.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref w6, (nuint)i) & tailMask, a6);
                a7 = Avx512F.FusedMultiplyAdd(v, Vector512.LoadUnsafe(ref w7, (nuint)i) & tailMask, a7);
            }

            // Fold each accumulator to 256 bits, then reduce four at a time as the 256-bit kernels do.
            Vector256Fma.StoreSumsPlusBias(Fold(a0), Fold(a1), Fold(a2), Fold(a3), ref bias, ref y);
            Vector256Fma.StoreSumsPlusBias(Fold(a4), Fold(a5), Fold(a6), Fold(a7), ref Unsafe.Add(ref bias, 4), ref Unsafe.Add(ref y, 4));
        }

        /// <summary>Returns <c>x·w</c> for one row pair with 512-bit vectors and two accumulators.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static float Dot1x1Wide(ref float x, ref float w, int length, Vector512<float> tailMask)
        {
            nint stride = length;
            Vector512<float> a0 = Vector512<float>.Zero, a1 = a0;

            nint i = 0;
            for (; i <= stride - (2 * Vector512<float>.Count); i += 2 * Vector512<float>.Count)
            {
                a0 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x, (nuint)i), Vector512.LoadUnsafe(ref w, (nuint)i), a0);
                a1 = Avx512F.FusedMultiplyAdd(
                    Vector512.LoadUnsafe(ref x, (nuint)(i + Vector512<float>.Count)), Vector512.LoadUnsafe(ref w, (nuint)(i + Vector512<float>.Count)), a1);
            }

            nint lastFull = stride - Vector512<float>.Count;
            if (i <= lastFull)
            {
                a0 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x, (nuint)i), Vector512.LoadUnsafe(ref w, (nuint)i), a0);
                i += Vector512<float>.Count;
            }

            if (i < stride)
            {
                i = lastFull;
                a1 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x, (nuint)i) & tailMask, Vector512.LoadUnsafe(ref w, (nuint)i) & tailMask, a1);
            }

            return Vector512.Sum(a0 + a1);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> Fold(Vector512<float> value) => value.GetLower() + value.GetUpper();

        /// <summary>Returns how many weight rows fit in <see cref="ForwardWeightBlockBytes"/>, a multiple of 8 and at least 8.</summary>
        private static int ForwardRowsPerBlock(int inputs)
        {
            long rows = ForwardWeightBlockBytes / Math.Max(1L, (long)inputs * sizeof(float));
            return (int)Math.Max(8, rows / 8 * 8);
        }

        /// <summary>Returns whether the forward pass takes six samples at a time, which needs the 32 registers of AVX-512.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static bool UseSixSampleTiles<TSimd, TVector>()
            where TSimd : ISimd<TVector>
            where TVector : struct =>
            TSimd.Count >= 16;

        /// <summary>
        /// Writes <c>y[s, r] = bias[r] + x[s,:]·w[r,:]</c> for samples s &lt; 6 and weight rows r &lt; 4.
        /// Rows are <paramref name="length"/> long and follow each other, and y rows are <paramref name="yStride"/> apart.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void Dot6x4<TSimd, TVector>(ref float x, ref float w, int length, TVector tailMask, ref float bias, ref float y, int yStride)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            nint stride = length;
            ref float w0 = ref w;
            ref float w1 = ref Unsafe.Add(ref w, stride);
            ref float w2 = ref Unsafe.Add(ref w, 2 * stride);
            ref float w3 = ref Unsafe.Add(ref w, 3 * stride);

            TVector a00 = TSimd.Zero, a01 = TSimd.Zero, a02 = TSimd.Zero, a03 = TSimd.Zero;
            TVector a10 = TSimd.Zero, a11 = TSimd.Zero, a12 = TSimd.Zero, a13 = TSimd.Zero;
            TVector a20 = TSimd.Zero, a21 = TSimd.Zero, a22 = TSimd.Zero, a23 = TSimd.Zero;
            TVector a30 = TSimd.Zero, a31 = TSimd.Zero, a32 = TSimd.Zero, a33 = TSimd.Zero;
            TVector a40 = TSimd.Zero, a41 = TSimd.Zero, a42 = TSimd.Zero, a43 = TSimd.Zero;
            TVector a50 = TSimd.Zero, a51 = TSimd.Zero, a52 = TSimd.Zero, a53 = TSimd.Zero;

            nint i = 0;
            nint lastFull = stride - TSimd.Count;
            for (; i <= lastFull; i += TSimd.Count)
            {
                TVector r0 = TSimd.Load(ref Unsafe.Add(ref w0, i));
                TVector r1 = TSimd.Load(ref Unsafe.Add(ref w1, i));
                TVector r2 = TSimd.Load(ref Unsafe.Add(ref w2, i));
                TVector r3 = TSimd.Load(ref Unsafe.Add(ref w3, i));

                ref float xColumn = ref Unsafe.Add(ref x, i);
                TVector v = TSimd.Load(ref xColumn);
                a00 = TSimd.MultiplyAdd(v, r0, a00);
                a01 = TSimd.MultiplyAdd(v, r1, a01);
                a02 = TSimd.MultiplyAdd(v, r2, a02);
                a03 = TSimd.MultiplyAdd(v, r3, a03);
                v = TSimd.Load(ref Unsafe.Add(ref xColumn, stride));
                a10 = TSimd.MultiplyAdd(v, r0, a10);
                a11 = TSimd.MultiplyAdd(v, r1, a11);
                a12 = TSimd.MultiplyAdd(v, r2, a12);
                a13 = TSimd.MultiplyAdd(v, r3, a13);
                v = TSimd.Load(ref Unsafe.Add(ref xColumn, 2 * stride));
                a20 = TSimd.MultiplyAdd(v, r0, a20);
                a21 = TSimd.MultiplyAdd(v, r1, a21);
                a22 = TSimd.MultiplyAdd(v, r2, a22);
                a23 = TSimd.MultiplyAdd(v, r3, a23);
                v = TSimd.Load(ref Unsafe.Add(ref xColumn, 3 * stride));
                a30 = TSimd.MultiplyAdd(v, r0, a30);
                a31 = TSimd.MultiplyAdd(v, r1, a31);
                a32 = TSimd.MultiplyAdd(v, r2, a32);
                a33 = TSimd.MultiplyAdd(v, r3, a33);
                v = TSimd.Load(ref Unsafe.Add(ref xColumn, 4 * stride));
                a40 = TSimd.MultiplyAdd(v, r0, a40);
                a41 = TSimd.MultiplyAdd(v, r1, a41);
                a42 = TSimd.MultiplyAdd(v, r2, a42);
                a43 = TSimd.MultiplyAdd(v, r3, a43);
                v = TSimd.Load(ref Unsafe.Add(ref xColumn, 5 * stride));
                a50 = TSimd.MultiplyAdd(v, r0, a50);
                a51 = TSimd.MultiplyAdd(v, r1, a51);
                a52 = TSimd.MultiplyAdd(v, r2, a52);
                a53 = TSimd.MultiplyAdd(v, r3, a53);
            }

            if (i < stride)
            {
                // The last vector ends at the end of the row and overlaps the previous one. Both
                // operands are masked so the overlapped lanes add 0·0, never 0·∞.
                i = lastFull;
                TVector r0 = TSimd.And(TSimd.Load(ref Unsafe.Add(ref w0, i)), tailMask);
                TVector r1 = TSimd.And(TSimd.Load(ref Unsafe.Add(ref w1, i)), tailMask);
                TVector r2 = TSimd.And(TSimd.Load(ref Unsafe.Add(ref w2, i)), tailMask);
                TVector r3 = TSimd.And(TSimd.Load(ref Unsafe.Add(ref w3, i)), tailMask);

                ref float xColumn = ref Unsafe.Add(ref x, i);
                TVector v = TSimd.And(TSimd.Load(ref xColumn), tailMask);
                a00 = TSimd.MultiplyAdd(v, r0, a00);
                a01 = TSimd.MultiplyAdd(v, r1, a01);
                a02 = TSimd.MultiplyAdd(v, r2, a02);
                a03 = TSimd.MultiplyAdd(v, r3, a03);
                v = TSimd.And(TSimd.Load(ref Unsafe.Add(ref xColumn, stride)), tailMask);
                a10 = TSimd.MultiplyAdd(v, r0, a10);
                a11 = TSimd.MultiplyAdd(v, r1, a11);
                a12 = TSimd.MultiplyAdd(v, r2, a12);
                a13 = TSimd.MultiplyAdd(v, r3, a13);
                v = TSimd.And(TSimd.Load(ref Unsafe.Add(ref xColumn, 2 * stride)), tailMask);
                a20 = TSimd.MultiplyAdd(v, r0, a20);
                a21 = TSimd.MultiplyAdd(v, r1, a21);
                a22 = TSimd.MultiplyAdd(v, r2, a22);
                a23 = TSimd.MultiplyAdd(v, r3, a23);
                v = TSimd.And(TSimd.Load(ref Unsafe.Add(ref xColumn, 3 * stride)), tailMask);
                a30 = TSimd.MultiplyAdd(v, r0, a30);
                a31 = TSimd.MultiplyAdd(v, r1, a31);
                a32 = TSimd.MultiplyAdd(v, r2, a32);
                a33 = TSimd.MultiplyAdd(v, r3, a33);
                v = TSimd.And(TSimd.Load(ref Unsafe.Add(ref xColumn, 4 * stride)), tailMask);
                a40 = TSimd.MultiplyAdd(v, r0, a40);
                a41 = TSimd.MultiplyAdd(v, r1, a41);
                a42 = TSimd.MultiplyAdd(v, r2, a42);
                a43 = TSimd.MultiplyAdd(v, r3, a43);
                v = TSimd.And(TSimd.Load(ref Unsafe.Add(ref xColumn, 5 * stride)), tailMask);
                a50 = TSimd.MultiplyAdd(v, r0, a50);
                a51 = TSimd.MultiplyAdd(v, r1, a51);
                a52 = TSimd.MultiplyAdd(v, r2, a52);
                a53 = TSimd.MultiplyAdd(v, r3, a53);
            }

            TSimd.StoreSumsPlusBias(a00, a01, a02, a03, ref bias, ref y);
            TSimd.StoreSumsPlusBias(a10, a11, a12, a13, ref bias, ref Unsafe.Add(ref y, yStride));
            TSimd.StoreSumsPlusBias(a20, a21, a22, a23, ref bias, ref Unsafe.Add(ref y, 2 * (nint)yStride));
            TSimd.StoreSumsPlusBias(a30, a31, a32, a33, ref bias, ref Unsafe.Add(ref y, 3 * (nint)yStride));
            TSimd.StoreSumsPlusBias(a40, a41, a42, a43, ref bias, ref Unsafe.Add(ref y, 4 * (nint)yStride));
            TSimd.StoreSumsPlusBias(a50, a51, a52, a53, ref bias, ref Unsafe.Add(ref y, 5 * (nint)yStride));
        }

        /// <summary>
        /// Writes <c>y[s, r] = bias[r] + x[s,:]·w[r,:]</c> for samples s &lt; 3 and weight rows r &lt; 4.
        /// Rows are <paramref name="length"/> long and follow each other, and y rows are <paramref name="yStride"/> apart.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void Dot3x4<TSimd, TVector>(ref float x, ref float w, int length, TVector tailMask, ref float bias, ref float y, int yStride)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            nint stride = length;
            ref float x0 = ref x;
            ref float x1 = ref Unsafe.Add(ref x, stride);
            ref float x2 = ref Unsafe.Add(ref x, 2 * stride);
            ref float w0 = ref w;
            ref float w1 = ref Unsafe.Add(ref w, stride);
            ref float w2 = ref Unsafe.Add(ref w, 2 * stride);
            ref float w3 = ref Unsafe.Add(ref w, 3 * stride);

            TVector a00 = TSimd.Zero, a01 = TSimd.Zero, a02 = TSimd.Zero, a03 = TSimd.Zero;
            TVector a10 = TSimd.Zero, a11 = TSimd.Zero, a12 = TSimd.Zero, a13 = TSimd.Zero;
            TVector a20 = TSimd.Zero, a21 = TSimd.Zero, a22 = TSimd.Zero, a23 = TSimd.Zero;

            nint i = 0;
            nint lastFull = stride - TSimd.Count;
            for (; i <= lastFull; i += TSimd.Count)
            {
                TVector v0 = TSimd.Load(ref Unsafe.Add(ref x0, i));
                TVector v1 = TSimd.Load(ref Unsafe.Add(ref x1, i));
                TVector v2 = TSimd.Load(ref Unsafe.Add(ref x2, i));

                TVector r = TSimd.Load(ref Unsafe.Add(ref w0, i));
                a00 = TSimd.MultiplyAdd(v0, r, a00);
                a10 = TSimd.MultiplyAdd(v1, r, a10);
                a20 = TSimd.MultiplyAdd(v2, r, a20);

                r = TSimd.Load(ref Unsafe.Add(ref w1, i));
                a01 = TSimd.MultiplyAdd(v0, r, a01);
                a11 = TSimd.MultiplyAdd(v1, r, a11);
                a21 = TSimd.MultiplyAdd(v2, r, a21);

                r = TSimd.Load(ref Unsafe.Add(ref w2, i));
                a02 = TSimd.MultiplyAdd(v0, r, a02);
                a12 = TSimd.MultiplyAdd(v1, r, a12);
                a22 = TSimd.MultiplyAdd(v2, r, a22);

                r = TSimd.Load(ref Unsafe.Add(ref w3, i));
                a03 = TSimd.MultiplyAdd(v0, r, a03);
                a13 = TSimd.MultiplyAdd(v1, r, a13);
                a23 = TSimd.MultiplyAdd(v2, r, a23);
            }

            if (i < stride)
            {
                // The last vector ends at the end of the row and overlaps the previous one. Both
                // operands are masked so the overlapped lanes add 0·0, never 0·∞.
                i = lastFull;
                TVector v0 = TSimd.And(TSimd.Load(ref Unsafe.Add(ref x0, i)), tailMask);
                TVector v1 = TSimd.And(TSimd.Load(ref Unsafe.Add(ref x1, i)), tailMask);
                TVector v2 = TSimd.And(TSimd.Load(ref Unsafe.Add(ref x2, i)), tailMask);

                TVector r = TSimd.And(TSimd.Load(ref Unsafe.Add(ref w0, i)), tailMask);
                a00 = TSimd.MultiplyAdd(v0, r, a00);
                a10 = TSimd.MultiplyAdd(v1, r, a10);
                a20 = TSimd.MultiplyAdd(v2, r, a20);

                r = TSimd.And(TSimd.Load(ref Unsafe.Add(ref w1, i)), tailMask);
                a01 = TSimd.MultiplyAdd(v0, r, a01);
                a11 = TSimd.MultiplyAdd(v1, r, a11);
                a21 = TSimd.MultiplyAdd(v2, r, a21);

                r = TSimd.And(TSimd.Load(ref Unsafe.Add(ref w2, i)), tailMask);
                a02 = TSimd.MultiplyAdd(v0, r, a02);
                a12 = TSimd.MultiplyAdd(v1, r, a12);
                a22 = TSimd.MultiplyAdd(v2, r, a22);

                r = TSimd.And(TSimd.Load(ref Unsafe.Add(ref w3, i)), tailMask);
                a03 = TSimd.MultiplyAdd(v0, r, a03);
                a13 = TSimd.MultiplyAdd(v1, r, a13);
                a23 = TSimd.MultiplyAdd(v2, r, a23);
            }

            TSimd.StoreSumsPlusBias(a00, a01, a02, a03, ref bias, ref y);
            TSimd.StoreSumsPlusBias(a10, a11, a12, a13, ref bias, ref Unsafe.Add(ref y, yStride));
            TSimd.StoreSumsPlusBias(a20, a21, a22, a23, ref bias, ref Unsafe.Add(ref y, 2 * (nint)yStride));
        }

        /// <summary>Writes <c>y[s] = bias + x[s,:]·w</c> for samples s &lt; 3 and one weight row. The y rows are <paramref name="yStride"/> apart.</summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void Dot3x1<TSimd, TVector>(ref float x, ref float w, int length, TVector tailMask, float bias, ref float y, int yStride)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            nint stride = length;
            ref float x0 = ref x;
            ref float x1 = ref Unsafe.Add(ref x, stride);
            ref float x2 = ref Unsafe.Add(ref x, 2 * stride);
            TVector a0 = TSimd.Zero, a1 = TSimd.Zero, a2 = TSimd.Zero;

            nint i = 0;
            nint lastFull = stride - TSimd.Count;
            for (; i <= lastFull; i += TSimd.Count)
            {
                TVector r = TSimd.Load(ref Unsafe.Add(ref w, i));
                a0 = TSimd.MultiplyAdd(TSimd.Load(ref Unsafe.Add(ref x0, i)), r, a0);
                a1 = TSimd.MultiplyAdd(TSimd.Load(ref Unsafe.Add(ref x1, i)), r, a1);
                a2 = TSimd.MultiplyAdd(TSimd.Load(ref Unsafe.Add(ref x2, i)), r, a2);
            }

            if (i < stride)
            {
                i = lastFull;
                TVector r = TSimd.And(TSimd.Load(ref Unsafe.Add(ref w, i)), tailMask);
                a0 = TSimd.MultiplyAdd(TSimd.And(TSimd.Load(ref Unsafe.Add(ref x0, i)), tailMask), r, a0);
                a1 = TSimd.MultiplyAdd(TSimd.And(TSimd.Load(ref Unsafe.Add(ref x1, i)), tailMask), r, a1);
                a2 = TSimd.MultiplyAdd(TSimd.And(TSimd.Load(ref Unsafe.Add(ref x2, i)), tailMask), r, a2);
            }

            y = bias + TSimd.Sum(a0);
            Unsafe.Add(ref y, yStride) = bias + TSimd.Sum(a1);
            Unsafe.Add(ref y, 2 * (nint)yStride) = bias + TSimd.Sum(a2);
        }

        /// <summary>Writes <c>y[r] = bias[r] + x·w[r,:]</c> for one sample and weight rows r &lt; 8.</summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void Dot1x8<TSimd, TVector>(ref float x, ref float w, int length, TVector tailMask, ref float bias, ref float y)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            nint stride = length;
            ref float w0 = ref w;
            ref float w1 = ref Unsafe.Add(ref w, stride);
            ref float w2 = ref Unsafe.Add(ref w, 2 * stride);
            ref float w3 = ref Unsafe.Add(ref w, 3 * stride);
            ref float w4 = ref Unsafe.Add(ref w, 4 * stride);
            ref float w5 = ref Unsafe.Add(ref w, 5 * stride);
            ref float w6 = ref Unsafe.Add(ref w, 6 * stride);
            ref float w7 = ref Unsafe.Add(ref w, 7 * stride);
            TVector a0 = TSimd.Zero, a1 = TSimd.Zero, a2 = TSimd.Zero, a3 = TSimd.Zero;
            TVector a4 = TSimd.Zero, a5 = TSimd.Zero, a6 = TSimd.Zero, a7 = TSimd.Zero;

            nint i = 0;
            nint lastFull = stride - TSimd.Count;
            for (; i <= lastFull; i += TSimd.Count)
            {
                TVector v = TSimd.Load(ref Unsafe.Add(ref x, i));
                a0 = TSimd.MultiplyAdd(v, TSimd.Load(ref Unsafe.Add(ref w0, i)), a0);
                a1 = TSimd.MultiplyAdd(v, TSimd.Load(ref Unsafe.Add(ref w1, i)), a1);
                a2 = TSimd.MultiplyAdd(v, TSimd.Load(ref Unsafe.Add(ref w2, i)), a2);
                a3 = TSimd.MultiplyAdd(v, TSimd.Load(ref Unsafe.Add(ref w3, i)), a3);
                a4 = TSimd.MultiplyAdd(v, TSimd.Load(ref Unsafe.Add(ref w4, i)), a4);
                a5 = TSimd.MultiplyAdd(v, TSimd.Load(ref Unsafe.Add(ref w5, i)), a5);
                a6 = TSimd.MultiplyAdd(v, TSimd.Load(ref Unsafe.Add(ref w6, i)), a6);
                a7 = TSimd.MultiplyAdd(v, TSimd.Load(ref Unsafe.Add(ref w7, i)), a7);
            }

            if (i < stride)
            {
                i = lastFull;
                TVector v = TSimd.And(TSimd.Load(ref Unsafe.Add(ref x, i)), tailMask);
                a0 = TSimd.MultiplyAdd(v, TSimd.And(TSimd.Load(ref Unsafe.Add(ref w0, i)), tailMask), a0);
                a1 = TSimd.MultiplyAdd(v, TSimd.And(TSimd.Load(ref Unsafe.Add(ref w1, i)), tailMask), a1);
                a2 = TSimd.MultiplyAdd(v, TSimd.And(TSimd.Load(ref Unsafe.Add(ref w2, i)), tailMask), a2);
                a3 = TSimd.MultiplyAdd(v, TSimd.And(TSimd.Load(ref Unsafe.Add(ref w3, i)), tailMask), a3);
                a4 = TSimd.MultiplyAdd(v, TSimd.And(TSimd.Load(ref Unsafe.Add(ref w4, i)), tailMask), a4);
                a5 = TSimd.MultiplyAdd(v, TSimd.And(TSimd.Load(ref Unsafe.Add(ref w5, i)), tailMask), a5);
                a6 = TSimd.MultiplyAdd(v, TSimd.And(TSimd.Load(ref Unsafe.Add(ref w6, i)), tailMask), a6);
                a7 = TSimd.MultiplyAdd(v, TSimd.And(TSimd.Load(ref Unsafe.Add(ref w7, i)), tailMask), a7);
            }

            TSimd.StoreSumsPlusBias(a0, a1, a2, a3, ref bias, ref y);
            TSimd.StoreSumsPlusBias(a4, a5, a6, a7, ref Unsafe.Add(ref bias, 4), ref Unsafe.Add(ref y, 4));
        }

        /// <summary>Writes <c>y[r] = bias[r] + x·w[r,:]</c> for one sample and weight rows r &lt; 4.</summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void Dot1x4<TSimd, TVector>(ref float x, ref float w, int length, TVector tailMask, ref float bias, ref float y)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            nint stride = length;
            ref float w0 = ref w;
            ref float w1 = ref Unsafe.Add(ref w, stride);
            ref float w2 = ref Unsafe.Add(ref w, 2 * stride);
            ref float w3 = ref Unsafe.Add(ref w, 3 * stride);
            TVector a0 = TSimd.Zero, a1 = TSimd.Zero, a2 = TSimd.Zero, a3 = TSimd.Zero;

            nint i = 0;
            nint lastFull = stride - TSimd.Count;
            for (; i <= lastFull; i += TSimd.Count)
            {
                TVector v = TSimd.Load(ref Unsafe.Add(ref x, i));
                a0 = TSimd.MultiplyAdd(v, TSimd.Load(ref Unsafe.Add(ref w0, i)), a0);
                a1 = TSimd.MultiplyAdd(v, TSimd.Load(ref Unsafe.Add(ref w1, i)), a1);
                a2 = TSimd.MultiplyAdd(v, TSimd.Load(ref Unsafe.Add(ref w2, i)), a2);
                a3 = TSimd.MultiplyAdd(v, TSimd.Load(ref Unsafe.Add(ref w3, i)), a3);
            }

            if (i < stride)
            {
                i = lastFull;
                TVector v = TSimd.And(TSimd.Load(ref Unsafe.Add(ref x, i)), tailMask);
                a0 = TSimd.MultiplyAdd(v, TSimd.And(TSimd.Load(ref Unsafe.Add(ref w0, i)), tailMask), a0);
                a1 = TSimd.MultiplyAdd(v, TSimd.And(TSimd.Load(ref Unsafe.Add(ref w1, i)), tailMask), a1);
                a2 = TSimd.MultiplyAdd(v, TSimd.And(TSimd.Load(ref Unsafe.Add(ref w2, i)), tailMask), a2);
                a3 = TSimd.MultiplyAdd(v, TSimd.And(TSimd.Load(ref Unsafe.Add(ref w3, i)), tailMask), a3);
            }

            TSimd.StoreSumsPlusBias(a0, a1, a2, a3, ref bias, ref y);
        }

        /// <summary>Returns <c>x·w</c> for one row pair, with two accumulators to hide the FMA latency.</summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static float Dot1x1<TSimd, TVector>(ref float x, ref float w, int length, TVector tailMask)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            nint stride = length;
            TVector a0 = TSimd.Zero, a1 = TSimd.Zero;

            nint i = 0;
            for (; i <= stride - 2 * TSimd.Count; i += 2 * TSimd.Count)
            {
                a0 = TSimd.MultiplyAdd(TSimd.Load(ref Unsafe.Add(ref x, i)), TSimd.Load(ref Unsafe.Add(ref w, i)), a0);
                a1 = TSimd.MultiplyAdd(
                    TSimd.Load(ref Unsafe.Add(ref x, i + TSimd.Count)), TSimd.Load(ref Unsafe.Add(ref w, i + TSimd.Count)), a1);
            }

            nint lastFull = stride - TSimd.Count;
            if (i <= lastFull)
            {
                a0 = TSimd.MultiplyAdd(TSimd.Load(ref Unsafe.Add(ref x, i)), TSimd.Load(ref Unsafe.Add(ref w, i)), a0);
                i += TSimd.Count;
            }

            if (i < stride)
            {
                i = lastFull;
                a1 = TSimd.MultiplyAdd(
                    TSimd.And(TSimd.Load(ref Unsafe.Add(ref x, i)), tailMask),
                    TSimd.And(TSimd.Load(ref Unsafe.Add(ref w, i)), tailMask),
                    a1);
            }

            return TSimd.Sum(a0) + TSimd.Sum(a1);
        }
    }
}
