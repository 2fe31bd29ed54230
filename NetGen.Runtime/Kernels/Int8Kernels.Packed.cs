using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
#if NET9_0_OR_GREATER
using System.Runtime.Intrinsics.X86;
#endif

namespace NetGen.Kernels
{
    // The register-blocked AVX-VNNI GEMM for batches of VnniPackedMinBatch or more.
    //
    // Packed weights: panels of 16 output rows. Panel p holds outputs 16p .. 16p + 15 and, for
    // each group g of 4 inputs, 64 bytes: output 16p + j at bytes 4j .. 4j + 3, which are
    // w[16p + j, 4g .. 4g + 3]. Inputs past the last one and outputs past the last one are zero.
    // So one 32-byte load gives 8 outputs × 4 inputs, and one vpdpbusd with a 32-bit broadcast of
    // 4 activation bytes adds 4 products to each of 8 output lanes.
    //
    // A tile holds up to 6 samples × 16 outputs in 12 accumulators, and each panel (16 · I bytes,
    // 12.5 KB for I = 784) stays in L1 while every sample block passes over it.
    public static partial class Int8Kernels
    {
        /// <summary>The smallest batch for which the packed AVX-VNNI GEMM runs; smaller batches use the row-major tiles.</summary>
        internal const int VnniPackedMinBatch = 4;

        private const int PanelOutputs = 16;
        private const int GroupInputs = 4;
        private const int PanelGroupBytes = PanelOutputs * GroupInputs;

        /// <summary>Returns the length of the packed weights for <paramref name="outputs"/> × <paramref name="inputs"/>.</summary>
        internal static long PackedVnniLength(int outputs, int inputs) =>
            (long)((outputs + PanelOutputs - 1) / PanelOutputs) * ((inputs + GroupInputs - 1) / GroupInputs) * PanelGroupBytes;

        /// <summary>
        /// Packs row-major weights [outputs, inputs] into the panels of 16 outputs × 4 inputs that
        /// the AVX-VNNI GEMM reads, with zeros past the last output and input.
        /// </summary>
        internal static sbyte[] PackForVnni(ReadOnlySpan<sbyte> values, int outputs, int inputs)
        {
            int groups = (inputs + GroupInputs - 1) / GroupInputs;
            var packed = new sbyte[PackedVnniLength(outputs, inputs)];
            for (int o = 0; o < outputs; o++)
            {
                int panel = o / PanelOutputs, lane = o % PanelOutputs;
                for (int i = 0; i < inputs; i++)
                {
                    long index = ((long)panel * groups + i / GroupInputs) * PanelGroupBytes + lane * GroupInputs + i % GroupInputs;
                    packed[index] = values[o * inputs + i];
                }
            }

            return packed;
        }

#if NET9_0_OR_GREATER
        /// <summary>
        /// Writes <c>y[b,o] = offsets.Of(o) + Σ_i (x[b,i] + Shift)·w[o,i]</c> from the packed
        /// weights, where Shift is <see cref="AvxVnniDotProduct{TSign}.Shift"/>. Any batch and row
        /// length; the caller checks AvxVnni.IsSupported.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void MultiplyVnniPacked<TSign>(ref byte x, ref sbyte packed, RowOffsets offsets, ref int y, int batch, int inputs, int outputs)
            where TSign : IActivationSign
        {
            int groups = (inputs + GroupInputs - 1) / GroupInputs;
            Span<int> laneOffsets = stackalloc int[PanelOutputs];
            for (int panelStart = 0; panelStart < outputs; panelStart += PanelOutputs)
            {
                int width = Math.Min(PanelOutputs, outputs - panelStart);
                for (int j = 0; j < PanelOutputs; j++)
                {
                    laneOffsets[j] = j < width ? offsets.Of(panelStart + j) : 0;
                }

                var tile = new VnniTile(
                    ref Unsafe.Add(ref packed, (nint)(panelStart / PanelOutputs) * groups * PanelGroupBytes),
                    Vector256.Create<int>(laneOffsets), Vector256.Create<int>(laneOffsets.Slice(8)), inputs, outputs, width);

                int b = 0;
                for (; b <= batch - 6; b += 6)
                {
                    VnniTileRows<Count6, TSign>(tile, ref Unsafe.Add(ref x, (nint)b * inputs), ref Unsafe.Add(ref y, (nint)b * outputs + panelStart));
                }

                ref byte xRest = ref Unsafe.Add(ref x, (nint)b * inputs);
                ref int yRest = ref Unsafe.Add(ref y, (nint)b * outputs + panelStart);
                switch (batch - b)
                {
                    case 5:
                        VnniTileRows<Count5, TSign>(tile, ref xRest, ref yRest);
                        break;
                    case 4:
                        VnniTileRows<Count4, TSign>(tile, ref xRest, ref yRest);
                        break;
                    case 3:
                        VnniTileRows<Count3, TSign>(tile, ref xRest, ref yRest);
                        break;
                    case 2:
                        VnniTileRows<Count2, TSign>(tile, ref xRest, ref yRest);
                        break;
                    case 1:
                        VnniTileRows<Count1, TSign>(tile, ref xRest, ref yRest);
                        break;
                }
            }
        }

        /// <summary>
        /// Writes <c>y[s, j]</c> for samples s &lt; <c>TRows.Value</c> and panel outputs j &lt; tile.Width.
        /// <paramref name="x"/> is the first sample's row and <paramref name="y"/> its first output of the panel.
        /// </summary>
        /// <remarks>
        /// Not inlined: with all six tile heights in one method body, the JIT kept the accumulators
        /// on the stack and reloaded them on every step.
        /// </remarks>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void VnniTileRows<TRows, TSign>(in VnniTile tile, ref byte x, ref int y)
            where TRows : IStaticCount
            where TSign : IActivationSign
        {
            nint stride = tile.Inputs;
            nint stride2 = 2 * stride, stride3 = 3 * stride, stride4 = 4 * stride, stride5 = 5 * stride;
            ref sbyte w = ref tile.Panel;
            Vector256<int> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default;
            Vector256<int> a30 = default, a31 = default, a40 = default, a41 = default, a50 = default, a51 = default;

            nint i = 0;
            nint fullEnd = stride & ~(nint)(GroupInputs - 1);
            for (; i < fullEnd; i += GroupInputs)
            {
                Vector256<sbyte> w0 = Vector256.LoadUnsafe(ref w);
                Vector256<sbyte> w1 = Vector256.LoadUnsafe(ref w, 32);
                w = ref Unsafe.Add(ref w, PanelGroupBytes);

                Vector256<byte> v = Broadcast<TSign>(ref Unsafe.Add(ref x, i));
                a00 = AvxVnni.MultiplyWideningAndAdd(a00, v, w0);
                a01 = AvxVnni.MultiplyWideningAndAdd(a01, v, w1);
                if (TRows.Value > 1)
                {
                    v = Broadcast<TSign>(ref Unsafe.Add(ref x, i + stride));
                    a10 = AvxVnni.MultiplyWideningAndAdd(a10, v, w0);
                    a11 = AvxVnni.MultiplyWideningAndAdd(a11, v, w1);
                }

                if (TRows.Value > 2)
                {
                    v = Broadcast<TSign>(ref Unsafe.Add(ref x, i + stride2));
                    a20 = AvxVnni.MultiplyWideningAndAdd(a20, v, w0);
                    a21 = AvxVnni.MultiplyWideningAndAdd(a21, v, w1);
                }

                if (TRows.Value > 3)
                {
                    v = Broadcast<TSign>(ref Unsafe.Add(ref x, i + stride3));
                    a30 = AvxVnni.MultiplyWideningAndAdd(a30, v, w0);
                    a31 = AvxVnni.MultiplyWideningAndAdd(a31, v, w1);
                }

                if (TRows.Value > 4)
                {
                    v = Broadcast<TSign>(ref Unsafe.Add(ref x, i + stride4));
                    a40 = AvxVnni.MultiplyWideningAndAdd(a40, v, w0);
                    a41 = AvxVnni.MultiplyWideningAndAdd(a41, v, w1);
                }

                if (TRows.Value > 5)
                {
                    v = Broadcast<TSign>(ref Unsafe.Add(ref x, i + stride5));
                    a50 = AvxVnni.MultiplyWideningAndAdd(a50, v, w0);
                    a51 = AvxVnni.MultiplyWideningAndAdd(a51, v, w1);
                }
            }

            // The last 1 to 3 inputs: their bytes go in the low lanes of a group whose other
            // weights are zero, so whatever the other activation bytes are, they add nothing.
            int tail = (int)(stride - fullEnd);
            if (tail != 0)
            {
                Vector256<sbyte> w0 = Vector256.LoadUnsafe(ref w);
                Vector256<sbyte> w1 = Vector256.LoadUnsafe(ref w, 32);
                Vector256<byte> v = BroadcastTail<TSign>(ref Unsafe.Add(ref x, i), tail);
                a00 = AvxVnni.MultiplyWideningAndAdd(a00, v, w0);
                a01 = AvxVnni.MultiplyWideningAndAdd(a01, v, w1);
                if (TRows.Value > 1)
                {
                    v = BroadcastTail<TSign>(ref Unsafe.Add(ref x, i + stride), tail);
                    a10 = AvxVnni.MultiplyWideningAndAdd(a10, v, w0);
                    a11 = AvxVnni.MultiplyWideningAndAdd(a11, v, w1);
                }

                if (TRows.Value > 2)
                {
                    v = BroadcastTail<TSign>(ref Unsafe.Add(ref x, i + stride2), tail);
                    a20 = AvxVnni.MultiplyWideningAndAdd(a20, v, w0);
                    a21 = AvxVnni.MultiplyWideningAndAdd(a21, v, w1);
                }

                if (TRows.Value > 3)
                {
                    v = BroadcastTail<TSign>(ref Unsafe.Add(ref x, i + stride3), tail);
                    a30 = AvxVnni.MultiplyWideningAndAdd(a30, v, w0);
                    a31 = AvxVnni.MultiplyWideningAndAdd(a31, v, w1);
                }

                if (TRows.Value > 4)
                {
                    v = BroadcastTail<TSign>(ref Unsafe.Add(ref x, i + stride4), tail);
                    a40 = AvxVnni.MultiplyWideningAndAdd(a40, v, w0);
                    a41 = AvxVnni.MultiplyWideningAndAdd(a41, v, w1);
                }

                if (TRows.Value > 5)
                {
                    v = BroadcastTail<TSign>(ref Unsafe.Add(ref x, i + stride5), tail);
                    a50 = AvxVnni.MultiplyWideningAndAdd(a50, v, w0);
                    a51 = AvxVnni.MultiplyWideningAndAdd(a51, v, w1);
                }
            }

            nint yStride = tile.Outputs;
            StoreRow(tile, a00, a01, ref y);
            if (TRows.Value > 1)
            {
                StoreRow(tile, a10, a11, ref Unsafe.Add(ref y, yStride));
            }

            if (TRows.Value > 2)
            {
                StoreRow(tile, a20, a21, ref Unsafe.Add(ref y, 2 * yStride));
            }

            if (TRows.Value > 3)
            {
                StoreRow(tile, a30, a31, ref Unsafe.Add(ref y, 3 * yStride));
            }

            if (TRows.Value > 4)
            {
                StoreRow(tile, a40, a41, ref Unsafe.Add(ref y, 4 * yStride));
            }

            if (TRows.Value > 5)
            {
                StoreRow(tile, a50, a51, ref Unsafe.Add(ref y, 5 * yStride));
            }
        }

        /// <summary>Returns 4 activation bytes broadcast to every int32 lane, shifted into [0, 255] for int8 activations.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<byte> Broadcast<TSign>(ref byte x)
            where TSign : IActivationSign
        {
            Vector256<byte> values = Vector256.Create(Unsafe.ReadUnaligned<int>(ref x)).AsByte();
            return TSign.IsSigned ? values ^ Vector256.Create((byte)0x80) : values;
        }

        /// <summary>Returns the last <paramref name="count"/> (1 to 3) activation bytes of a row, zero-extended to 4 bytes and broadcast like <see cref="Broadcast{TSign}"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<byte> BroadcastTail<TSign>(ref byte x, int count)
            where TSign : IActivationSign
        {
            // No loop and no call, so the accumulators stay in registers around this step.
            int bits = x;
            bits |= count > 1 ? Unsafe.Add(ref x, 1) << 8 : 0;
            bits |= count > 2 ? Unsafe.Add(ref x, 2) << 16 : 0;
            Vector256<byte> values = Vector256.Create(bits).AsByte();
            return TSign.IsSigned ? values ^ Vector256.Create((byte)0x80) : values;
        }

        /// <summary>Adds the row offsets to one sample's 16 accumulators and stores the first tile.Width of them.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StoreRow(in VnniTile tile, Vector256<int> lower, Vector256<int> upper, ref int y)
        {
            lower += tile.LowerOffsets;
            upper += tile.UpperOffsets;
            if (tile.Width == PanelOutputs)
            {
                lower.StoreUnsafe(ref y);
                upper.StoreUnsafe(ref y, 8);
                return;
            }

            for (int j = 0; j < tile.Width; j++)
            {
                Unsafe.Add(ref y, j) = j < 8 ? lower.GetElement(j) : upper.GetElement(j - 8);
            }
        }
#endif

        /// <summary>One panel of packed weights with its row offsets, shared by the tiles of every sample block.</summary>
        private readonly ref struct VnniTile
        {
            public VnniTile(ref sbyte panel, Vector256<int> lowerOffsets, Vector256<int> upperOffsets, int inputs, int outputs, int width)
            {
                Panel = ref panel;
                LowerOffsets = lowerOffsets;
                UpperOffsets = upperOffsets;
                Inputs = inputs;
                Outputs = outputs;
                Width = width;
            }

            /// <summary>The panel's first group of 16 outputs × 4 inputs.</summary>
            public readonly ref sbyte Panel;

            /// <summary>Row offsets of the panel's outputs 0 to 7.</summary>
            public Vector256<int> LowerOffsets { get; }

            /// <summary>Row offsets of the panel's outputs 8 to 15 (0 past the last output).</summary>
            public Vector256<int> UpperOffsets { get; }

            /// <summary>The x row stride I.</summary>
            public int Inputs { get; }

            /// <summary>The y row stride O.</summary>
            public int Outputs { get; }

            /// <summary>How many of the panel's 16 outputs exist (16 except in the last panel).</summary>
            public int Width { get; }
        }
    }
}
