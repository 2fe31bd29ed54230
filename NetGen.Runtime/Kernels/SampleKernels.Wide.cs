using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetGen.Kernels
{
    // The single-sample panels with 512-bit vectors, for CPUs with AVX-512. They read the same
    // packed layout as the 256-bit panels: a row of a 32-output panel is two 16-float vectors.
    public static partial class SampleKernels
    {
        /// <summary>
        /// Runs the panels of 32 and 16 outputs with 512-bit vectors and a last panel of 8 with
        /// the 256-bit kernel. <paramref name="width"/> is the padded output count.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void ForwardWide<TActivation>(ref float packed, ref float bias, ref float x, ref float y, int inputs, int width)
            where TActivation : struct, ISampleActivation
        {
            int o = 0;
            for (; o + PanelWidth <= width; o += PanelWidth)
            {
                ForwardThirtyTwoWide<TActivation>(ref Unsafe.Add(ref packed, (nint)o * inputs), ref Unsafe.Add(ref bias, o), ref x, ref Unsafe.Add(ref y, o), inputs);
            }

            if (o + 16 <= width)
            {
                ForwardSixteenWide<TActivation>(ref Unsafe.Add(ref packed, (nint)o * inputs), ref Unsafe.Add(ref bias, o), ref x, ref Unsafe.Add(ref y, o), inputs);
                o += 16;
            }

            if (o < width)
            {
                ForwardEight<TActivation>(ref Unsafe.Add(ref packed, (nint)o * inputs), ref Unsafe.Add(ref bias, o), ref x, ref Unsafe.Add(ref y, o), inputs);
            }
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
