using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetGen.Kernels
{
    // The forward pass of layers with 3 or 4 outputs and a multiple of 4 inputs, such as the last
    // layer of a small regression network. A 512-bit vector contains all four outputs of one sample,
    // four lanes each: lane (o, k) sums x[4j + k]·w[o, 4j + k] over the input quads j. Each quad of a
    // sample's inputs reaches all four outputs through one broadcast load, so a sample costs one
    // FMA per quad and no transpose. Four samples' vectors are then summed across their four lanes
    // with three unpack-and-add steps and reordered by one permute into the outputs' row layout.
    public static partial class DenseKernels
    {
        /// <summary>Samples per pass of the partial-sum kernel: two vectors of four samples.</summary>
        private const int PartialsGroup = 8;

        /// <summary>Largest input count that takes the partial-sum kernel. Its packed weights then take 1 KB of stack, and a padded last group 2 KB more.</summary>
        private const int PartialsMaxInputs = 64;

        /// <summary>
        /// Smallest batch at which the partial-sum kernel replaces the lane kernel for the shapes
        /// that both take. Below it the lane kernel was as fast or faster (see <see cref="UsePartialsForward"/>).
        /// </summary>
        private const int PartialsMinLaneBatch = 128;

        /// <summary>
        /// Returns whether a batch forward pass takes <see cref="ForwardPartials512"/>: AVX-512, at
        /// least 8 samples, 3 or 4 outputs, and 8 to 64 inputs in a multiple of 4. Shapes that the
        /// lane kernel also takes (8, 16 or 32 inputs) keep it below <see cref="PartialsMinLaneBatch"/> samples.
        /// </summary>
        /// <remarks>
        /// Measured on AMD Zen 4, one thread, as the time before over the time with this kernel,
        /// each the best of 7 rounds in one process. At batch 10,000 with 4 outputs: 8 inputs 1.38×,
        /// 12 inputs 2.43× (over the dot-product tiles), 16 inputs 1.19× (23.0 against 19.3 µs, over
        /// the lane kernel), 24 inputs 2.32×, 32 inputs 1.38×, 48 inputs 1.16×, 64 inputs 1.11×.
        /// With 3 outputs it was 2.1× to 7.7× over the dot-product tiles for 12, 24, 48 and 64 inputs
        /// (24 inputs took 218 µs with the tiles). Over the lane kernel, for 16 and 32 inputs, it was
        /// 1.1× to 1.4×, and a second measurement gave 1.07× and 1.12×. At batch 128 it won
        /// everywhere (1.12× for 16 → 4, 1.09× for 32 → 4) but at batch 16 and 32 the lane kernel
        /// was faster for 32 → 4 (67 against 81 ns at batch 16, 125 against 138 ns at batch 32) and
        /// as fast for 16 → 4, which sets <see cref="PartialsMinLaneBatch"/>.
        /// </remarks>
        private static bool UsePartialsForward(int batch, int inputs, int outputs) =>
            Vector512Fma.IsSupported && batch >= PartialsGroup && (outputs == 3 || outputs == 4)
            && inputs >= 8 && inputs <= PartialsMaxInputs && inputs % 4 == 0
            && (batch >= PartialsMinLaneBatch || !UseLaneForward(batch, inputs, outputs));

        /// <summary>
        /// Runs <see cref="Forward"/> with the partial sums of four input lanes per output, eight
        /// samples at a time. The last samples of a batch that is not a multiple of 8 run as a
        /// group padded with zero rows.
        /// </summary>
        /// <remarks>Requires AVX-512F, 3 or 4 outputs, and a multiple of 4 inputs up to <see cref="PartialsMaxInputs"/>.</remarks>
        [SkipLocalsInit]
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static unsafe void ForwardPartials512(ref float x, ref float w, ref float bias, ref float y, int batch, int inputs, int outputs)
        {
            // Quad j of the packed weights is one vector: lane 4o + k contains w[o, 4j + k], and 0 for a missing fourth output.
            int quads = inputs / 4;
            float* packed = stackalloc float[PartialsMaxInputs * 4];
            for (int j = 0; j < quads; j++)
            {
                for (int o = 0; o < 4; o++)
                {
                    Vector128<float> quad = o < outputs ? Vector128.LoadUnsafe(ref w, (nuint)((o * inputs) + (4 * j))) : Vector128<float>.Zero;
                    quad.Store(packed + (16 * j) + (4 * o));
                }
            }

            Vector128<float> biasQuad = outputs == 4
                ? Vector128.LoadUnsafe(ref bias)
                : Vector128.Create(bias, Unsafe.Add(ref bias, 1), Unsafe.Add(ref bias, 2), 0f);
            Vector512<float> biasRows = Vector512.Create(Vector256.Create(biasQuad, biasQuad), Vector256.Create(biasQuad, biasQuad));
            int b = 0;
            fixed (float* xStart = &x)
            {
                for (; b <= batch - PartialsGroup; b += PartialsGroup)
                {
                    ForwardPartialsGroup(xStart + ((nint)b * inputs), packed, quads, inputs, biasRows, ref Unsafe.Add(ref y, (nint)b * outputs), outputs);
                }
            }

            int remaining = batch - b;
            if (remaining > 0)
            {
                float* rows = stackalloc float[PartialsGroup * PartialsMaxInputs];
                Span<float> groupOutputs = stackalloc float[PartialsGroup * 4];
                var padded = new Span<float>(rows, PartialsGroup * inputs);
                padded.Clear();
                MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref x, (nint)b * inputs), remaining * inputs).CopyTo(padded);
                ForwardPartialsGroup(rows, packed, quads, inputs, biasRows, ref groupOutputs[0], outputs);
                groupOutputs.Slice(0, remaining * outputs).CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.Add(ref y, (nint)b * outputs), remaining * outputs));
            }
        }

        /// <summary>
        /// Writes the outputs of 8 samples, whose rows of <paramref name="inputs"/> floats start at
        /// <paramref name="x"/>, as 8 rows of <paramref name="outputs"/> floats at <paramref name="y"/>.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static unsafe void ForwardPartialsGroup(float* x, float* packed, int quads, int inputs, Vector512<float> biasRows, ref float y, int outputs)
        {
            nint stride = inputs;
            Vector512<float> w0 = Vector512.Load(packed);
            Vector512<float> u0 = Avx512F.BroadcastVector128ToVector512(x) * w0;
            Vector512<float> u1 = Avx512F.BroadcastVector128ToVector512(x + stride) * w0;
            Vector512<float> u2 = Avx512F.BroadcastVector128ToVector512(x + (2 * stride)) * w0;
            Vector512<float> u3 = Avx512F.BroadcastVector128ToVector512(x + (3 * stride)) * w0;
            Vector512<float> u4 = Avx512F.BroadcastVector128ToVector512(x + (4 * stride)) * w0;
            Vector512<float> u5 = Avx512F.BroadcastVector128ToVector512(x + (5 * stride)) * w0;
            Vector512<float> u6 = Avx512F.BroadcastVector128ToVector512(x + (6 * stride)) * w0;
            Vector512<float> u7 = Avx512F.BroadcastVector128ToVector512(x + (7 * stride)) * w0;
            for (int j = 1; j < quads; j++)
            {
                Vector512<float> wj = Vector512.Load(packed + (16 * j));
                float* xj = x + (4 * j);
                u0 = Avx512F.FusedMultiplyAdd(Avx512F.BroadcastVector128ToVector512(xj), wj, u0);
                u1 = Avx512F.FusedMultiplyAdd(Avx512F.BroadcastVector128ToVector512(xj + stride), wj, u1);
                u2 = Avx512F.FusedMultiplyAdd(Avx512F.BroadcastVector128ToVector512(xj + (2 * stride)), wj, u2);
                u3 = Avx512F.FusedMultiplyAdd(Avx512F.BroadcastVector128ToVector512(xj + (3 * stride)), wj, u3);
                u4 = Avx512F.FusedMultiplyAdd(Avx512F.BroadcastVector128ToVector512(xj + (4 * stride)), wj, u4);
                u5 = Avx512F.FusedMultiplyAdd(Avx512F.BroadcastVector128ToVector512(xj + (5 * stride)), wj, u5);
                u6 = Avx512F.FusedMultiplyAdd(Avx512F.BroadcastVector128ToVector512(xj + (6 * stride)), wj, u6);
                u7 = Avx512F.FusedMultiplyAdd(Avx512F.BroadcastVector128ToVector512(xj + (7 * stride)), wj, u7);
            }

            Vector512<float> first = SumPartials(u0, u1, u2, u3) + biasRows;
            Vector512<float> second = SumPartials(u4, u5, u6, u7) + biasRows;
            if (outputs == 4)
            {
                first.StoreUnsafe(ref y);
                second.StoreUnsafe(ref y, 16);
            }
            else
            {
                // Drop the fourth float of every row: 32 floats become 24. An index from 16 on picks from the second source.
                Avx512F.PermuteVar16x32x2(first, Vector512.Create(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 16, 17, 18, 20), second).StoreUnsafe(ref y);
                Avx512F.PermuteVar16x32(second, Vector512.Create(5, 6, 8, 9, 10, 12, 13, 14, 0, 0, 0, 0, 0, 0, 0, 0)).GetLower().StoreUnsafe(ref y, 16);
            }
        }

        /// <summary>
        /// Returns the outputs of four samples as four rows of four floats, from each sample's
        /// vector of partial sums, where lane 4o + k contains part k of output o. Output o of a
        /// sample is (part 0 + part 2) + (part 1 + part 3).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> SumPartials(Vector512<float> u0, Vector512<float> u1, Vector512<float> u2, Vector512<float> u3)
        {
            // Within each 128-bit lane o: pairs01 = [u0 parts 0+2, u1 parts 0+2, u0 parts 1+3, u1 parts 1+3], pairs23 the same for u2 and u3.
            Vector512<float> pairs01 = Avx512F.UnpackLow(u0, u1) + Avx512F.UnpackHigh(u0, u1);
            Vector512<float> pairs23 = Avx512F.UnpackLow(u2, u3) + Avx512F.UnpackHigh(u2, u3);

            // Lane o of the sum contains output o of samples 0 to 3, and the permute makes it rows of samples.
            Vector512<float> byOutput = Avx512F.UnpackLow(pairs01.AsDouble(), pairs23.AsDouble()).AsSingle()
                + Avx512F.UnpackHigh(pairs01.AsDouble(), pairs23.AsDouble()).AsSingle();
            return Avx512F.PermuteVar16x32(byOutput, Vector512.Create(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15));
        }
    }
}
