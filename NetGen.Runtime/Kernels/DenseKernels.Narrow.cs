using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetGen.Kernels
{
    // The forward pass of layers with few inputs, as a sum of outer products. The dot-product
    // tiles of ForwardCore put the inputs in vector lanes, so a layer of 4 inputs fills a quarter
    // of a 128-bit vector and then pays a horizontal sum for every output. Here the outputs fill
    // the lanes instead: y[b, :] = bias + Σ_i x[b,i] · wᵀ[i, :], one broadcast of x[b,i] and one
    // FMA per 16 outputs, with wᵀ transposed once per call into a small buffer on the stack.
    public static partial class DenseKernels
    {
        /// <summary>
        /// Largest weight matrix, in floats, that <see cref="ForwardNarrow512"/> transposes on the
        /// stack: 16 KB, which stays in the L1 cache during the pass.
        /// </summary>
        private const int NarrowMaxWeights = 4096;

        /// <summary>Largest input count that takes <see cref="ForwardNarrow512"/>; see <see cref="UseNarrowForward"/>.</summary>
        private const int NarrowMaxInputs = 64;

        /// <summary>
        /// Returns whether a batch forward pass takes the outer-product kernel: AVX-512, outputs a
        /// multiple of 8, at most <see cref="NarrowMaxInputs"/> inputs and a weight matrix that
        /// fits <see cref="NarrowMaxWeights"/>.
        /// </summary>
        /// <remarks>
        /// Measured on AMD Zen 5, one thread, as the time with the dot-product tiles over the time
        /// with this kernel, at batch 10,000 and 128. The results were 4 → 32 12.6× and 12×, 8 → 128
        /// 6.8× and 5.1×, 32 → 16 2.0× and 1.4×, 32 → 64 2.3× and 1.6×, 64 → 64 1.6× and 1.1×. At 128
        /// inputs (128 → 32) it still won at batch 10,000 (1.3×) but lost at batch 128 (0.89×), so
        /// the limit is 64 inputs. Output counts of 8 more than a multiple of 16 end in a 256-bit
        /// panel of 8. On AMD Zen 4 at batch 200 that made 24 → 8 1.7 times as fast as the tiles
        /// (1.45 against 2.52 µs), 4 → 8 6.5 times, 32 → 24 1.6 times, and 64 → 8 about as fast.
        /// </remarks>
        private static bool UseNarrowForward(int batch, int inputs, int outputs) =>
            Vector512Fma.IsSupported && inputs > 0 && inputs <= NarrowMaxInputs && outputs > 0 && outputs % Vector256<float>.Count == 0
            && (long)inputs * outputs <= NarrowMaxWeights && (long)batch * NarrowMaxWeightsPerSample >= (long)inputs * outputs;

        /// <summary>
        /// Maximum number of weights per sample of the batch for which the forward kernel pays off. It transposes
        /// the weights on every call, about 0.5 ns per weight on AMD Zen 5, so small batches keep
        /// the dot-product tiles.
        /// </summary>
        /// <remarks>
        /// Measured break-even batches on that machine: about 4 for 4 → 32, 16 for 16 → 16, 32 for
        /// 32 → 32, 24 for 24 → 64 and 100 for 64 → 64. At batch 2 the transpose made a 64 → 64
        /// layer ten times slower (2.1 µs against 0.22 µs). NOTE: 16 is the largest ratio that loses
        /// at none of those points, so some layers (24 → 64 at batch 32) keep the slower kernel.
        /// </remarks>
        private const int NarrowMaxWeightsPerSample = 16;

        /// <summary>Runs <see cref="ForwardNarrow512"/> with the transposed weights on the stack.</summary>
        [SkipLocalsInit]
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void ForwardNarrowOnStack(ref float x, ref float w, ref float bias, ref float y, int batch, int inputs, int outputs)
        {
            Span<float> transposed = stackalloc float[inputs * outputs];
            ForwardNarrow512(transposed, ref x, ref w, ref bias, ref y, batch, inputs, outputs);
        }

        /// <summary>
        /// Runs <see cref="Forward"/> as a sum of outer products with 512-bit vectors: four samples
        /// against 32 outputs, or eight samples against 16, per pass over the inputs, and eight
        /// samples against the last 8 outputs with 256-bit vectors.
        /// </summary>
        /// <remarks>Requires AVX-512F, outputs a multiple of 8, inputs × outputs ≤ <see cref="NarrowMaxWeights"/> and at least that many floats in <paramref name="transposed"/>.</remarks>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void ForwardNarrow512(Span<float> transposed, ref float x, ref float w, ref float bias, ref float y, int batch, int inputs, int outputs)
        {
            for (int o = 0; o < outputs; o++)
            {
                for (int i = 0; i < inputs; i++)
                {
                    transposed[(i * outputs) + o] = Unsafe.Add(ref w, (o * inputs) + i);
                }
            }

            ref float wt = ref transposed[0];
            int start = 0;
            for (; start + 32 <= outputs; start += 32)
            {
                if (inputs <= FewInputsMax)
                {
                    ForwardNarrowThirtyTwoFewInputs(ref x, ref Unsafe.Add(ref wt, start), ref Unsafe.Add(ref bias, start), ref Unsafe.Add(ref y, start), batch, inputs, outputs);
                }
                else
                {
                    ForwardNarrowThirtyTwo(ref x, ref Unsafe.Add(ref wt, start), ref Unsafe.Add(ref bias, start), ref Unsafe.Add(ref y, start), batch, inputs, outputs);
                }
            }

            if (start + 16 <= outputs)
            {
                ForwardNarrowPanel<Vector512Fma, Vector512<float>>(ref x, ref Unsafe.Add(ref wt, start), ref Unsafe.Add(ref bias, start), ref Unsafe.Add(ref y, start), batch, inputs, outputs);
                start += 16;
            }

            if (start < outputs)
            {
                ForwardNarrowPanel<Vector256Fma, Vector256<float>>(ref x, ref Unsafe.Add(ref wt, start), ref Unsafe.Add(ref bias, start), ref Unsafe.Add(ref y, start), batch, inputs, outputs);
            }
        }

        /// <summary>
        /// Writes 32 outputs of every sample: four samples at a time in eight accumulators, then the
        /// samples left over one at a time. <paramref name="wt"/> is the transposed weights at this
        /// panel's first output, with rows <paramref name="outputs"/> apart; y rows are too.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void ForwardNarrowThirtyTwo(ref float x, ref float wt, ref float bias, ref float y, int batch, int inputs, int outputs)
        {
            const int Lanes = 16;
            Vector512<float> bias0 = Vector512.LoadUnsafe(ref bias), bias1 = Vector512.LoadUnsafe(ref bias, Lanes);
            nint xStride = inputs, yStride = outputs;
            int b = 0;
            for (; b <= batch - 4; b += 4)
            {
                ref float x0 = ref Unsafe.Add(ref x, b * xStride);
                Vector512<float> a0 = bias0, a1 = bias1, c0 = bias0, c1 = bias1, d0 = bias0, d1 = bias1, e0 = bias0, e1 = bias1;
                ref float row = ref wt;
                for (nint i = 0; i < inputs; i++)
                {
                    Vector512<float> w0 = Vector512.LoadUnsafe(ref row), w1 = Vector512.LoadUnsafe(ref row, Lanes);
                    Vector512<float> s0 = Vector512.Create(Unsafe.Add(ref x0, i));
                    Vector512<float> s1 = Vector512.Create(Unsafe.Add(ref x0, xStride + i));
                    Vector512<float> s2 = Vector512.Create(Unsafe.Add(ref x0, (2 * xStride) + i));
                    Vector512<float> s3 = Vector512.Create(Unsafe.Add(ref x0, (3 * xStride) + i));
                    a0 = Avx512F.FusedMultiplyAdd(s0, w0, a0);
                    a1 = Avx512F.FusedMultiplyAdd(s0, w1, a1);
                    c0 = Avx512F.FusedMultiplyAdd(s1, w0, c0);
                    c1 = Avx512F.FusedMultiplyAdd(s1, w1, c1);
                    d0 = Avx512F.FusedMultiplyAdd(s2, w0, d0);
                    d1 = Avx512F.FusedMultiplyAdd(s2, w1, d1);
                    e0 = Avx512F.FusedMultiplyAdd(s3, w0, e0);
                    e1 = Avx512F.FusedMultiplyAdd(s3, w1, e1);
                    row = ref Unsafe.Add(ref row, outputs);
                }

                ref float y0 = ref Unsafe.Add(ref y, b * yStride);
                a0.StoreUnsafe(ref y0);
                a1.StoreUnsafe(ref y0, Lanes);
                c0.StoreUnsafe(ref Unsafe.Add(ref y0, yStride));
                c1.StoreUnsafe(ref Unsafe.Add(ref y0, yStride + Lanes));
                d0.StoreUnsafe(ref Unsafe.Add(ref y0, 2 * yStride));
                d1.StoreUnsafe(ref Unsafe.Add(ref y0, (2 * yStride) + Lanes));
                e0.StoreUnsafe(ref Unsafe.Add(ref y0, 3 * yStride));
                e1.StoreUnsafe(ref Unsafe.Add(ref y0, (3 * yStride) + Lanes));
            }

            for (; b < batch; b++)
            {
                ref float xRow = ref Unsafe.Add(ref x, b * xStride);
                Vector512<float> a0 = bias0, a1 = bias1;
                ref float row = ref wt;
                for (nint i = 0; i < inputs; i++)
                {
                    Vector512<float> s = Vector512.Create(Unsafe.Add(ref xRow, i));
                    a0 = Avx512F.FusedMultiplyAdd(s, Vector512.LoadUnsafe(ref row), a0);
                    a1 = Avx512F.FusedMultiplyAdd(s, Vector512.LoadUnsafe(ref row, Lanes), a1);
                    row = ref Unsafe.Add(ref row, outputs);
                }

                ref float yRow = ref Unsafe.Add(ref y, b * yStride);
                a0.StoreUnsafe(ref yRow);
                a1.StoreUnsafe(ref yRow, Lanes);
            }
        }

        /// <summary>
        /// Writes the one vector of outputs (16 with 512-bit vectors, 8 with 256-bit ones) of every
        /// sample: eight samples at a time in eight accumulators, then the samples left over one at
        /// a time. Arguments as in <see cref="ForwardNarrowThirtyTwo"/>.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void ForwardNarrowPanel<TSimd, TVector>(ref float x, ref float wt, ref float bias, ref float y, int batch, int inputs, int outputs)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            TVector start = TSimd.Load(ref bias);
            nint xStride = inputs, yStride = outputs;
            int b = 0;
            for (; b <= batch - 8; b += 8)
            {
                ref float x0 = ref Unsafe.Add(ref x, b * xStride);
                TVector a0 = start, a1 = start, a2 = start, a3 = start, a4 = start, a5 = start, a6 = start, a7 = start;
                ref float row = ref wt;
                for (nint i = 0; i < inputs; i++)
                {
                    TVector v = TSimd.Load(ref row);
                    a0 = TSimd.MultiplyAdd(TSimd.Broadcast(Unsafe.Add(ref x0, i)), v, a0);
                    a1 = TSimd.MultiplyAdd(TSimd.Broadcast(Unsafe.Add(ref x0, xStride + i)), v, a1);
                    a2 = TSimd.MultiplyAdd(TSimd.Broadcast(Unsafe.Add(ref x0, (2 * xStride) + i)), v, a2);
                    a3 = TSimd.MultiplyAdd(TSimd.Broadcast(Unsafe.Add(ref x0, (3 * xStride) + i)), v, a3);
                    a4 = TSimd.MultiplyAdd(TSimd.Broadcast(Unsafe.Add(ref x0, (4 * xStride) + i)), v, a4);
                    a5 = TSimd.MultiplyAdd(TSimd.Broadcast(Unsafe.Add(ref x0, (5 * xStride) + i)), v, a5);
                    a6 = TSimd.MultiplyAdd(TSimd.Broadcast(Unsafe.Add(ref x0, (6 * xStride) + i)), v, a6);
                    a7 = TSimd.MultiplyAdd(TSimd.Broadcast(Unsafe.Add(ref x0, (7 * xStride) + i)), v, a7);
                    row = ref Unsafe.Add(ref row, outputs);
                }

                ref float y0 = ref Unsafe.Add(ref y, b * yStride);
                TSimd.Store(ref y0, a0);
                TSimd.Store(ref Unsafe.Add(ref y0, yStride), a1);
                TSimd.Store(ref Unsafe.Add(ref y0, 2 * yStride), a2);
                TSimd.Store(ref Unsafe.Add(ref y0, 3 * yStride), a3);
                TSimd.Store(ref Unsafe.Add(ref y0, 4 * yStride), a4);
                TSimd.Store(ref Unsafe.Add(ref y0, 5 * yStride), a5);
                TSimd.Store(ref Unsafe.Add(ref y0, 6 * yStride), a6);
                TSimd.Store(ref Unsafe.Add(ref y0, 7 * yStride), a7);
            }

            for (; b < batch; b++)
            {
                ref float xRow = ref Unsafe.Add(ref x, b * xStride);
                TVector a = start;
                ref float row = ref wt;
                for (nint i = 0; i < inputs; i++)
                {
                    a = TSimd.MultiplyAdd(TSimd.Broadcast(Unsafe.Add(ref xRow, i)), TSimd.Load(ref row), a);
                    row = ref Unsafe.Add(ref row, outputs);
                }

                TSimd.Store(ref Unsafe.Add(ref y, b * yStride), a);
            }
        }
    }
}
