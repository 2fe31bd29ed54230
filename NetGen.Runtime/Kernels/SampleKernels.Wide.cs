using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetGen.Kernels
{
    // The single-sample panels with 512-bit vectors, for CPUs with AVX-512. They read the same
    // packed layout as the 256-bit kernel: a row of a 128-output panel is eight 16-float vectors.
    public static partial class SampleKernels
    {
        /// <summary>
        /// Runs the panels of 128 to 16 outputs with 512-bit vectors and a last panel of 8 with
        /// the 256-bit kernel. <paramref name="width"/> is the padded output count.
        /// </summary>
        /// <remarks>
        /// After the panels of 128, the remainder is below 128 and a multiple of 8, so its bits name the
        /// panels that <see cref="Pack"/> wrote: one each of 64, 32, 16 and 8 where the bit is set.
        /// Written this way rather than as a loop, a constant width folds to the calls of its own
        /// panels. With a loop the JIT kept every panel kernel of both widths in the generated
        /// method, ran out of its inlining budget after the first layer, and called the rest.
        /// </remarks>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void ForwardWide<TActivation>(ref float packed, ref float bias, ref float x, ref float y, int inputs, int width)
            where TActivation : struct, ISampleActivation
        {
            int widestEnd = width / PanelWidth * PanelWidth, remainder = width - widestEnd;
            for (int o = 0; o < widestEnd; o += PanelWidth)
            {
                ForwardOneTwentyEightWide<TActivation>(ref Unsafe.Add(ref packed, (nint)o * inputs), ref Unsafe.Add(ref bias, o), ref x, ref Unsafe.Add(ref y, o), inputs);
            }

            int offset = widestEnd;
            if ((remainder & 64) != 0)
            {
                ForwardSixtyFourWide<TActivation>(ref Unsafe.Add(ref packed, (nint)offset * inputs), ref Unsafe.Add(ref bias, offset), ref x, ref Unsafe.Add(ref y, offset), inputs);
                offset += 64;
            }

            if ((remainder & 32) != 0)
            {
                ForwardThirtyTwoWide<TActivation>(ref Unsafe.Add(ref packed, (nint)offset * inputs), ref Unsafe.Add(ref bias, offset), ref x, ref Unsafe.Add(ref y, offset), inputs);
                offset += 32;
            }

            if ((remainder & 16) != 0)
            {
                ForwardSixteenWide<TActivation>(ref Unsafe.Add(ref packed, (nint)offset * inputs), ref Unsafe.Add(ref bias, offset), ref x, ref Unsafe.Add(ref y, offset), inputs);
                offset += 16;
            }

            if ((remainder & 8) != 0)
            {
                ForwardEight<TActivation>(ref Unsafe.Add(ref packed, (nint)offset * inputs), ref Unsafe.Add(ref bias, offset), ref x, ref Unsafe.Add(ref y, offset), inputs);
            }
        }

        /// <summary>
        /// Computes the 128 outputs of one panel in eight accumulators, one input at a time. Each
        /// input costs one broadcast and eight loads of a contiguous 512-byte row, the fewest loads
        /// per FMA of any panel. On a wide layer at batch 1 the weights stream from L2, and on AMD
        /// Zen 5 this panel ran a 784 → 128 layer faster than panels of 64 or 32. Eight chains cover the FMA latency.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void ForwardOneTwentyEightWide<TActivation>(ref float panel, ref float bias, ref float x, ref float y, int inputs)
            where TActivation : struct, ISampleActivation
        {
            Vector512<float> a0 = Vector512.LoadUnsafe(ref bias), a1 = Vector512.LoadUnsafe(ref bias, 16);
            Vector512<float> a2 = Vector512.LoadUnsafe(ref bias, 32), a3 = Vector512.LoadUnsafe(ref bias, 48);
            Vector512<float> a4 = Vector512.LoadUnsafe(ref bias, 64), a5 = Vector512.LoadUnsafe(ref bias, 80);
            Vector512<float> a6 = Vector512.LoadUnsafe(ref bias, 96), a7 = Vector512.LoadUnsafe(ref bias, 112);

            for (int i = 0; i < inputs; i++)
            {
                Vector512<float> v = Vector512.Create(Unsafe.Add(ref x, i));
                a0 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref panel), v, a0);
                a1 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref panel, 16), v, a1);
                a2 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref panel, 32), v, a2);
                a3 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref panel, 48), v, a3);
                a4 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref panel, 64), v, a4);
                a5 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref panel, 80), v, a5);
                a6 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref panel, 96), v, a6);
                a7 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref panel, 112), v, a7);
                panel = ref Unsafe.Add(ref panel, 128);
            }

            TActivation.Apply(a0).StoreUnsafe(ref y);
            TActivation.Apply(a1).StoreUnsafe(ref y, 16);
            TActivation.Apply(a2).StoreUnsafe(ref y, 32);
            TActivation.Apply(a3).StoreUnsafe(ref y, 48);
            TActivation.Apply(a4).StoreUnsafe(ref y, 64);
            TActivation.Apply(a5).StoreUnsafe(ref y, 80);
            TActivation.Apply(a6).StoreUnsafe(ref y, 96);
            TActivation.Apply(a7).StoreUnsafe(ref y, 112);
        }

        /// <summary>Computes the 64 outputs of one panel in four accumulators, plus four more for the odd inputs.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void ForwardSixtyFourWide<TActivation>(ref float panel, ref float bias, ref float x, ref float y, int inputs)
            where TActivation : struct, ISampleActivation
        {
            Vector512<float> a0 = Vector512.LoadUnsafe(ref bias), a1 = Vector512.LoadUnsafe(ref bias, 16);
            Vector512<float> a2 = Vector512.LoadUnsafe(ref bias, 32), a3 = Vector512.LoadUnsafe(ref bias, 48);
            Vector512<float> b0 = Vector512<float>.Zero, b1 = b0, b2 = b0, b3 = b0;

            int i = 0;
            for (; i + 2 <= inputs; i += 2)
            {
                Vector512<float> even = Vector512.Create(Unsafe.Add(ref x, i));
                Vector512<float> odd = Vector512.Create(Unsafe.Add(ref x, i + 1));
                a0 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref panel), even, a0);
                a1 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref panel, 16), even, a1);
                a2 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref panel, 32), even, a2);
                a3 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref panel, 48), even, a3);
                b0 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref panel, 64), odd, b0);
                b1 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref panel, 80), odd, b1);
                b2 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref panel, 96), odd, b2);
                b3 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref panel, 112), odd, b3);
                panel = ref Unsafe.Add(ref panel, 128);
            }

            if (i < inputs)
            {
                Vector512<float> last = Vector512.Create(Unsafe.Add(ref x, i));
                a0 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref panel), last, a0);
                a1 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref panel, 16), last, a1);
                a2 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref panel, 32), last, a2);
                a3 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref panel, 48), last, a3);
            }

            TActivation.Apply(a0 + b0).StoreUnsafe(ref y);
            TActivation.Apply(a1 + b1).StoreUnsafe(ref y, 16);
            TActivation.Apply(a2 + b2).StoreUnsafe(ref y, 32);
            TActivation.Apply(a3 + b3).StoreUnsafe(ref y, 48);
        }

        /// <summary>
        /// Computes the 32 outputs of one panel as two 16-float halves, each summed by four
        /// accumulators that take every fourth input. Eight independent FMA chains cover the FMA
        /// latency at two FMAs per cycle, and each chain is a quarter of the inputs long.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void ForwardThirtyTwoWide<TActivation>(ref float panel, ref float bias, ref float x, ref float y, int inputs)
            where TActivation : struct, ISampleActivation
        {
            Vector512<float> a0 = Vector512.LoadUnsafe(ref bias), a1 = Vector512.LoadUnsafe(ref bias, 16);
            Vector512<float> b0 = Vector512<float>.Zero, b1 = b0, c0 = b0, c1 = b0, d0 = b0, d1 = b0;

            int i = 0;
            for (; i + 4 <= inputs; i += 4)
            {
                Vector512<float> x0 = Vector512.Create(Unsafe.Add(ref x, i));
                Vector512<float> x1 = Vector512.Create(Unsafe.Add(ref x, i + 1));
                Vector512<float> x2 = Vector512.Create(Unsafe.Add(ref x, i + 2));
                Vector512<float> x3 = Vector512.Create(Unsafe.Add(ref x, i + 3));
                a0 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref panel), x0, a0);
                a1 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref panel, 16), x0, a1);
                b0 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref panel, 32), x1, b0);
                b1 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref panel, 48), x1, b1);
                c0 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref panel, 64), x2, c0);
                c1 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref panel, 80), x2, c1);
                d0 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref panel, 96), x3, d0);
                d1 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref panel, 112), x3, d1);
                panel = ref Unsafe.Add(ref panel, 128);
            }

            for (; i < inputs; i++)
            {
                Vector512<float> last = Vector512.Create(Unsafe.Add(ref x, i));
                a0 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref panel), last, a0);
                a1 = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref panel, 16), last, a1);
                panel = ref Unsafe.Add(ref panel, 32);
            }

            // Two independent activations, so the core overlaps their latency chains.
            TActivation.Apply((a0 + b0) + (c0 + d0)).StoreUnsafe(ref y);
            TActivation.Apply((a1 + b1) + (c1 + d1)).StoreUnsafe(ref y, 16);
        }

        /// <summary>Computes the 16 outputs of one panel in one vector, with four accumulators that take every fourth input each.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void ForwardSixteenWide<TActivation>(ref float panel, ref float bias, ref float x, ref float y, int inputs)
            where TActivation : struct, ISampleActivation
        {
            Vector512<float> a = Vector512.LoadUnsafe(ref bias);
            Vector512<float> b = Vector512<float>.Zero, c = b, d = b;

            int i = 0;
            for (; i + 4 <= inputs; i += 4)
            {
                a = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref panel), Vector512.Create(Unsafe.Add(ref x, i)), a);
                b = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref panel, 16), Vector512.Create(Unsafe.Add(ref x, i + 1)), b);
                c = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref panel, 32), Vector512.Create(Unsafe.Add(ref x, i + 2)), c);
                d = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref panel, 48), Vector512.Create(Unsafe.Add(ref x, i + 3)), d);
                panel = ref Unsafe.Add(ref panel, 64);
            }

            for (; i < inputs; i++)
            {
                a = Avx512F.FusedMultiplyAdd(Vector512.LoadUnsafe(ref panel), Vector512.Create(Unsafe.Add(ref x, i)), a);
                panel = ref Unsafe.Add(ref panel, 16);
            }

            TActivation.Apply((a + b) + (c + d)).StoreUnsafe(ref y);
        }
    }
}
