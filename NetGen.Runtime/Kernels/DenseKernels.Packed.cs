using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetGen.Kernels
{
    // The batch forward pass as a sum of outer products over packed weights. ForwardCore's
    // dot-product tiles stream both x and w through the vector lanes and reduce every accumulator
    // horizontally at the end. Here a panel of 32 weight rows is transposed into a buffer, a block
    // of inputs at a time, so each input i gives one row wᵀ[i, 0..32) of two vectors. Twelve
    // samples broadcast x[b, i] against that row, so one panel row feeds 24 FMAs (16 in the tile
    // of eight samples), and the panel stays in the L1 cache while every sample passes over it. The buffer is on the stack, or on the heap
    // for threads with little stack left.
    public static partial class DenseKernels
    {
        /// <summary>Weight rows per packed panel: two 512-bit vectors of outputs.</summary>
        private const int PanelOutputs = 32;

        /// <summary>Inputs per packed block. A block of 32 rows by 256 inputs is 32 KB, which fits a 48 KB L1 cache.</summary>
        private const int PanelInputs = 256;

        /// <summary>Smallest batch that takes <see cref="ForwardPacked512"/>; see <see cref="UsePackedForward"/>.</summary>
        private const int PackedMinBatch = 32;

        /// <summary>Smallest batch that takes <see cref="ForwardPacked512"/> when the weights fit <see cref="PackedSmallWeights"/>.</summary>
        private const int PackedMinBatchSmall = 16;

        /// <summary>Weight matrices of at most this many floats (64 KB) are cheap to pack and take the packed kernel from batch 16.</summary>
        private const int PackedSmallWeights = 16 * 1024;

        /// <summary>
        /// Returns whether a batch forward pass takes <see cref="ForwardPacked512"/>: AVX-512, at
        /// least <see cref="PanelOutputs"/> outputs, and a batch large enough to pay for packing.
        /// </summary>
        /// <remarks>
        /// Each call transposes every weight once, about 0.19 ns per weight on an Intel Xeon
        /// (Emerald Rapids) for 784 → 128, and the packed products then run about 1.5 times as
        /// fast as the dot-product tiles. Measured there on one thread, in two runs whose machine
        /// speed differed, as the dot-product time over the packed time:
        /// <list type="bullet">
        /// <item>784 → 128 at batch 8, 16, 32, 64 and 128: 0.19–0.96, 0.28–1.44, 1.05–1.32, 1.07–1.40 and 1.06–1.46.</item>
        /// <item>128 → 128: 1.15–1.45 at batch 8 and 1.25–1.56 at 16.</item>
        /// <item>1024 → 1024: 1.22–1.30 at batch 32.</item>
        /// </list>
        /// NOTE: not measured on AMD Zen 5, where the dot-product tiles reached 80–92 % of the FMA peak.
        /// </remarks>
        private static bool UsePackedForward(int batch, int inputs, int outputs) =>
            Vector512Fma.IsSupported && outputs >= PanelOutputs && inputs > 0
            && (batch >= PackedMinBatch || (batch >= PackedMinBatchSmall && (long)inputs * outputs <= PackedSmallWeights));

        /// <summary>
        /// A panel on the heap for threads whose stack has too little room for one, allocated on
        /// the first such call of each thread. The kernels must not change with the stack, since
        /// the trainer promises the same bits whichever thread runs a chunk.
        /// </summary>
        [ThreadStatic]
        private static float[]? t_heapPanel;

        /// <summary>Returns this thread's heap panel of <see cref="PanelInputs"/> × <see cref="PanelOutputs"/> floats, allocating it on the first call.</summary>
        private static Span<float> HeapPanel() => t_heapPanel ??= new float[PanelInputs * PanelOutputs];

        /// <summary>Runs <see cref="ForwardPacked512"/> with a panel on the stack.</summary>
        [SkipLocalsInit]
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void ForwardPackedOnStack(ref float x, ref float w, ref float bias, ref float y, int batch, int inputs, int outputs, int yStride)
        {
            Span<float> panel = stackalloc float[PanelInputs * PanelOutputs];
            ForwardPacked512(panel, ref x, ref w, ref bias, ref y, batch, inputs, outputs, yStride);
        }

        /// <summary>
        /// Runs <see cref="Forward"/> as outer products over packed panels of 32 weight rows. When
        /// the outputs are not a multiple of 32, the last panel ends at the last output and overlaps
        /// the one before. It recomputes the shared outputs in the same order, so they get the same bits.
        /// </summary>
        /// <remarks>
        /// Requires AVX-512F, at least <see cref="PanelOutputs"/> outputs and a <paramref name="panel"/> of at least <see cref="PanelInputs"/> × <see cref="PanelOutputs"/> floats.
        /// Rows of y are <paramref name="yStride"/> floats apart, so a call can fill a range of a wider layer's outputs.
        /// </remarks>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void ForwardPacked512(Span<float> panel, ref float x, ref float w, ref float bias, ref float y, int batch, int inputs, int outputs, int yStride)
        {
            ref float packed = ref panel[0];
            for (int start = 0; start < outputs; start += PanelOutputs)
            {
                int first = Math.Min(start, outputs - PanelOutputs);
                for (int block = 0; block < inputs; block += PanelInputs)
                {
                    int depth = Math.Min(PanelInputs, inputs - block);
                    PackPanel(ref Unsafe.Add(ref w, ((nint)first * inputs) + block), inputs, depth, ref packed);
                    ForwardPanel(ref Unsafe.Add(ref x, block), ref packed, ref Unsafe.Add(ref bias, first), ref Unsafe.Add(ref y, first),
                        batch, inputs, yStride, depth, accumulate: block > 0);
                }
            }
        }

        /// <summary>
        /// Adds the products of one packed block to 32 outputs of every sample: twelve samples at a
        /// time, then eight, four and one. <paramref name="x"/> points at the block's first input of
        /// sample 0 and <paramref name="y"/> at the panel's first output; the first block starts
        /// from the bias, later ones from y. Rows of y are <paramref name="yStride"/> floats apart.
        /// </summary>
        private static void ForwardPanel(ref float x, ref float packed, ref float bias, ref float y, int batch, int inputs, int yStride, int depth, bool accumulate)
        {
            int b = 0;
            for (; b <= batch - 12; b += 12)
            {
                Panel12x32(ref Unsafe.Add(ref x, (nint)b * inputs), ref packed, ref bias, ref Unsafe.Add(ref y, (nint)b * yStride), inputs, yStride, depth, accumulate);
            }

            for (; b <= batch - 8; b += 8)
            {
                Panel8x32(ref Unsafe.Add(ref x, (nint)b * inputs), ref packed, ref bias, ref Unsafe.Add(ref y, (nint)b * yStride), inputs, yStride, depth, accumulate);
            }

            for (; b <= batch - 4; b += 4)
            {
                Panel4x32(ref Unsafe.Add(ref x, (nint)b * inputs), ref packed, ref bias, ref Unsafe.Add(ref y, (nint)b * yStride), inputs, yStride, depth, accumulate);
            }

            for (; b < batch; b++)
            {
                Panel1x32(ref Unsafe.Add(ref x, (nint)b * inputs), ref packed, ref bias, ref Unsafe.Add(ref y, (nint)b * yStride), depth, accumulate);
            }
        }

        /// <summary>Returns the two starting vectors of one sample's 32 outputs: the bias, or y so far.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static (Vector512<float> Low, Vector512<float> High) PanelStart(ref float bias, ref float y, bool accumulate) =>
            accumulate
                ? (Vector512.LoadUnsafe(ref y), Vector512.LoadUnsafe(ref y, 16))
                : (Vector512.LoadUnsafe(ref bias), Vector512.LoadUnsafe(ref bias, 16));

        /// <summary>Adds <c>Σ_i x[s,i]·wᵀ[i, 0..32)</c> over one block to y rows s &lt; 8.</summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void Panel8x32(ref float x, ref float packed, ref float bias, ref float y, int inputs, int yStride, int depth, bool accumulate)
        {
            nint xs = inputs, ys = yStride;
            var (a0, a1) = PanelStart(ref bias, ref y, accumulate);
            var (b0, b1) = PanelStart(ref bias, ref Unsafe.Add(ref y, ys), accumulate);
            var (c0, c1) = PanelStart(ref bias, ref Unsafe.Add(ref y, 2 * ys), accumulate);
            var (d0, d1) = PanelStart(ref bias, ref Unsafe.Add(ref y, 3 * ys), accumulate);
            var (e0, e1) = PanelStart(ref bias, ref Unsafe.Add(ref y, 4 * ys), accumulate);
            var (f0, f1) = PanelStart(ref bias, ref Unsafe.Add(ref y, 5 * ys), accumulate);
            var (g0, g1) = PanelStart(ref bias, ref Unsafe.Add(ref y, 6 * ys), accumulate);
            var (h0, h1) = PanelStart(ref bias, ref Unsafe.Add(ref y, 7 * ys), accumulate);

            ref float row = ref packed;
            for (nint i = 0; i < depth; i++)
            {
                Vector512<float> w0 = Vector512.LoadUnsafe(ref row), w1 = Vector512.LoadUnsafe(ref row, 16);
                row = ref Unsafe.Add(ref row, PanelOutputs);
                Vector512<float> s = Vector512.Create(Unsafe.Add(ref x, i));
                a0 = Avx512F.FusedMultiplyAdd(s, w0, a0);
                a1 = Avx512F.FusedMultiplyAdd(s, w1, a1);
                s = Vector512.Create(Unsafe.Add(ref x, xs + i));
                b0 = Avx512F.FusedMultiplyAdd(s, w0, b0);
                b1 = Avx512F.FusedMultiplyAdd(s, w1, b1);
                s = Vector512.Create(Unsafe.Add(ref x, (2 * xs) + i));
                c0 = Avx512F.FusedMultiplyAdd(s, w0, c0);
                c1 = Avx512F.FusedMultiplyAdd(s, w1, c1);
                s = Vector512.Create(Unsafe.Add(ref x, (3 * xs) + i));
                d0 = Avx512F.FusedMultiplyAdd(s, w0, d0);
                d1 = Avx512F.FusedMultiplyAdd(s, w1, d1);
                s = Vector512.Create(Unsafe.Add(ref x, (4 * xs) + i));
                e0 = Avx512F.FusedMultiplyAdd(s, w0, e0);
                e1 = Avx512F.FusedMultiplyAdd(s, w1, e1);
                s = Vector512.Create(Unsafe.Add(ref x, (5 * xs) + i));
                f0 = Avx512F.FusedMultiplyAdd(s, w0, f0);
                f1 = Avx512F.FusedMultiplyAdd(s, w1, f1);
                s = Vector512.Create(Unsafe.Add(ref x, (6 * xs) + i));
                g0 = Avx512F.FusedMultiplyAdd(s, w0, g0);
                g1 = Avx512F.FusedMultiplyAdd(s, w1, g1);
                s = Vector512.Create(Unsafe.Add(ref x, (7 * xs) + i));
                h0 = Avx512F.FusedMultiplyAdd(s, w0, h0);
                h1 = Avx512F.FusedMultiplyAdd(s, w1, h1);
            }

            StorePanelRow(ref y, a0, a1);
            StorePanelRow(ref Unsafe.Add(ref y, ys), b0, b1);
            StorePanelRow(ref Unsafe.Add(ref y, 2 * ys), c0, c1);
            StorePanelRow(ref Unsafe.Add(ref y, 3 * ys), d0, d1);
            StorePanelRow(ref Unsafe.Add(ref y, 4 * ys), e0, e1);
            StorePanelRow(ref Unsafe.Add(ref y, 5 * ys), f0, f1);
            StorePanelRow(ref Unsafe.Add(ref y, 6 * ys), g0, g1);
            StorePanelRow(ref Unsafe.Add(ref y, 7 * ys), h0, h1);
        }

        /// <summary>Adds <c>Σ_i x[s,i]·wᵀ[i, 0..32)</c> over one block to y rows s &lt; 4.</summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void Panel4x32(ref float x, ref float packed, ref float bias, ref float y, int inputs, int yStride, int depth, bool accumulate)
        {
            nint xs = inputs, ys = yStride;
            var (a0, a1) = PanelStart(ref bias, ref y, accumulate);
            var (b0, b1) = PanelStart(ref bias, ref Unsafe.Add(ref y, ys), accumulate);
            var (c0, c1) = PanelStart(ref bias, ref Unsafe.Add(ref y, 2 * ys), accumulate);
            var (d0, d1) = PanelStart(ref bias, ref Unsafe.Add(ref y, 3 * ys), accumulate);

            ref float row = ref packed;
            for (nint i = 0; i < depth; i++)
            {
                Vector512<float> w0 = Vector512.LoadUnsafe(ref row), w1 = Vector512.LoadUnsafe(ref row, 16);
                row = ref Unsafe.Add(ref row, PanelOutputs);
                Vector512<float> s = Vector512.Create(Unsafe.Add(ref x, i));
                a0 = Avx512F.FusedMultiplyAdd(s, w0, a0);
                a1 = Avx512F.FusedMultiplyAdd(s, w1, a1);
                s = Vector512.Create(Unsafe.Add(ref x, xs + i));
                b0 = Avx512F.FusedMultiplyAdd(s, w0, b0);
                b1 = Avx512F.FusedMultiplyAdd(s, w1, b1);
                s = Vector512.Create(Unsafe.Add(ref x, (2 * xs) + i));
                c0 = Avx512F.FusedMultiplyAdd(s, w0, c0);
                c1 = Avx512F.FusedMultiplyAdd(s, w1, c1);
                s = Vector512.Create(Unsafe.Add(ref x, (3 * xs) + i));
                d0 = Avx512F.FusedMultiplyAdd(s, w0, d0);
                d1 = Avx512F.FusedMultiplyAdd(s, w1, d1);
            }

            StorePanelRow(ref y, a0, a1);
            StorePanelRow(ref Unsafe.Add(ref y, ys), b0, b1);
            StorePanelRow(ref Unsafe.Add(ref y, 2 * ys), c0, c1);
            StorePanelRow(ref Unsafe.Add(ref y, 3 * ys), d0, d1);
        }

        /// <summary>Adds <c>Σ_i x[i]·wᵀ[i, 0..32)</c> over one block to one y row.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Panel1x32(ref float x, ref float packed, ref float bias, ref float y, int depth, bool accumulate)
        {
            var (a0, a1) = PanelStart(ref bias, ref y, accumulate);
            ref float row = ref packed;
            for (nint i = 0; i < depth; i++)
            {
                Vector512<float> s = Vector512.Create(Unsafe.Add(ref x, i));
                a0 = Avx512F.FusedMultiplyAdd(s, Vector512.LoadUnsafe(ref row), a0);
                a1 = Avx512F.FusedMultiplyAdd(s, Vector512.LoadUnsafe(ref row, 16), a1);
                row = ref Unsafe.Add(ref row, PanelOutputs);
            }

            StorePanelRow(ref y, a0, a1);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StorePanelRow(ref float y, Vector512<float> low, Vector512<float> high)
        {
            low.StoreUnsafe(ref y);
            high.StoreUnsafe(ref y, 16);
        }
    }
}
