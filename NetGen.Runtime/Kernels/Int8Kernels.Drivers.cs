using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NetGen.Kernels
{
    // The int8 product y = x·wᵀ: every output is the dot product of an x row and a w row, both
    // contiguous along the inputs. Each tile keeps one accumulator per (sample, weight row) pair,
    // so one prepared activation step feeds several weight rows, and reduces the accumulators
    // once at the end of the rows. The last step of a row overlaps the one before it and masks
    // the activations that step already counted, so every row length ≥ Step is vectorised.
    public static partial class Int8Kernels
    {
        /// <summary>
        /// Bytes of weights in one block of output rows. Pairs of samples pass over a block before
        /// the next one starts, so the block should stay in the L1 data cache with room left for
        /// the two activation rows; the value is half of a 32 KB L1.
        /// </summary>
        private const int WeightBlockBytes = 16 * 1024;

        /// <summary>Row offsets that the tiles add to each dot product: the bias and the zero-point and shift corrections.</summary>
        private readonly ref struct RowOffsets
        {
            private readonly ref int _bias;
            private readonly ref int _rowSums;
            private readonly bool _hasBias;
            private readonly int _correction;

            /// <summary>Creates offsets for the shift-corrected zero point <paramref name="correction"/>; an empty <paramref name="bias"/> means no bias.</summary>
            public RowOffsets(ReadOnlySpan<int> bias, ReadOnlySpan<int> rowSums, int correction)
            {
                _bias = ref MemoryMarshal.GetReference(bias);
                _hasBias = !bias.IsEmpty;
                _rowSums = ref MemoryMarshal.GetReference(rowSums);
                _correction = correction;
            }

            /// <summary>Returns <c>bias[o] − correction · rowSums[o]</c>, wrapping modulo 2³².</summary>
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public int Of(int o)
            {
                int bias = _hasBias ? Unsafe.Add(ref _bias, o) : 0;
                return unchecked(bias - _correction * Unsafe.Add(ref _rowSums, o));
            }
        }

        /// <summary>
        /// Writes <c>y[b,o] = offsets.Of(o) + Σ_i (x[b,i] + Shift)·w[o,i]</c> with the dot product <typeparamref name="TDot"/>.
        /// Requires <paramref name="inputs"/> ≥ <c>TDot.Step</c>.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void MultiplyCore<TDot, TAccumulator, TActivations>(
            ref byte x, ref sbyte w, RowOffsets offsets, ref int y, int batch, int inputs, int outputs)
            where TDot : IInt8DotProduct<TAccumulator, TActivations>
            where TAccumulator : struct
            where TActivations : struct
        {
            int rowsPerBlock = (int)Math.Max(4, WeightBlockBytes / Math.Max(1, inputs) / 4 * 4);

            for (int blockStart = 0, blockEnd; blockStart < outputs; blockStart = blockEnd)
            {
                blockEnd = blockStart + Math.Min(rowsPerBlock, outputs - blockStart);

                // Two samples at a time against four weight rows: 8 accumulators.
                int b = 0;
                for (; b <= batch - 2; b += 2)
                {
                    ref byte xRows = ref Unsafe.Add(ref x, (nint)b * inputs);
                    ref int yRow = ref Unsafe.Add(ref y, (nint)b * outputs);
                    int o = blockStart;
                    for (; o <= blockEnd - 4; o += 4)
                    {
                        Dot2x4<TDot, TAccumulator, TActivations>(ref xRows, ref Unsafe.Add(ref w, (nint)o * inputs), inputs, offsets, o, ref yRow, outputs);
                    }

                    for (; o < blockEnd; o++)
                    {
                        ref sbyte wRow = ref Unsafe.Add(ref w, (nint)o * inputs);
                        int offset = offsets.Of(o);
                        Unsafe.Add(ref yRow, o) = unchecked(offset + Dot1x1<TDot, TAccumulator, TActivations>(ref xRows, ref wRow, inputs));
                        Unsafe.Add(ref yRow, outputs + o) = unchecked(offset + Dot1x1<TDot, TAccumulator, TActivations>(ref Unsafe.Add(ref xRows, inputs), ref wRow, inputs));
                    }
                }

                // The last sample of an odd batch, and batch 1: one sample against four weight rows.
                if (b < batch)
                {
                    ref byte xRow = ref Unsafe.Add(ref x, (nint)b * inputs);
                    ref int yRow = ref Unsafe.Add(ref y, (nint)b * outputs);
                    int o = blockStart;
                    for (; o <= blockEnd - 4; o += 4)
                    {
                        Dot1x4<TDot, TAccumulator, TActivations>(ref xRow, ref Unsafe.Add(ref w, (nint)o * inputs), inputs, offsets, o, ref yRow);
                    }

                    for (; o < blockEnd; o++)
                    {
                        Unsafe.Add(ref yRow, o) = unchecked(offsets.Of(o) + Dot1x1<TDot, TAccumulator, TActivations>(ref xRow, ref Unsafe.Add(ref w, (nint)o * inputs), inputs));
                    }
                }
            }
        }

        /// <summary>Writes <c>y[s, o + r]</c> for samples s &lt; 2 and weight rows r &lt; 4. The y rows are <paramref name="yStride"/> apart.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Dot2x4<TDot, TAccumulator, TActivations>(ref byte x, ref sbyte w, int length, RowOffsets offsets, int o, ref int y, int yStride)
            where TDot : IInt8DotProduct<TAccumulator, TActivations>
            where TAccumulator : struct
            where TActivations : struct
        {
            nint stride = length;
            ref byte x0 = ref x;
            ref byte x1 = ref Unsafe.Add(ref x, stride);
            ref sbyte w0 = ref w;
            ref sbyte w1 = ref Unsafe.Add(ref w, stride);
            ref sbyte w2 = ref Unsafe.Add(ref w, 2 * stride);
            ref sbyte w3 = ref Unsafe.Add(ref w, 3 * stride);
            TAccumulator a00 = TDot.Zero, a01 = TDot.Zero, a02 = TDot.Zero, a03 = TDot.Zero;
            TAccumulator a10 = TDot.Zero, a11 = TDot.Zero, a12 = TDot.Zero, a13 = TDot.Zero;

            nint i = 0;
            nint lastFull = stride - TDot.Step;
            for (; i <= lastFull; i += TDot.Step)
            {
                TActivations v0 = TDot.Load(ref Unsafe.Add(ref x0, i));
                TActivations v1 = TDot.Load(ref Unsafe.Add(ref x1, i));
                a00 = TDot.MultiplyAdd(a00, v0, ref Unsafe.Add(ref w0, i));
                a10 = TDot.MultiplyAdd(a10, v1, ref Unsafe.Add(ref w0, i));
                a01 = TDot.MultiplyAdd(a01, v0, ref Unsafe.Add(ref w1, i));
                a11 = TDot.MultiplyAdd(a11, v1, ref Unsafe.Add(ref w1, i));
                a02 = TDot.MultiplyAdd(a02, v0, ref Unsafe.Add(ref w2, i));
                a12 = TDot.MultiplyAdd(a12, v1, ref Unsafe.Add(ref w2, i));
                a03 = TDot.MultiplyAdd(a03, v0, ref Unsafe.Add(ref w3, i));
                a13 = TDot.MultiplyAdd(a13, v1, ref Unsafe.Add(ref w3, i));
            }

            if (i < stride)
            {
                int count = (int)(stride - i);
                i = lastFull;
                TActivations v0 = TDot.LoadLast(ref Unsafe.Add(ref x0, i), count);
                TActivations v1 = TDot.LoadLast(ref Unsafe.Add(ref x1, i), count);
                a00 = TDot.MultiplyAdd(a00, v0, ref Unsafe.Add(ref w0, i));
                a10 = TDot.MultiplyAdd(a10, v1, ref Unsafe.Add(ref w0, i));
                a01 = TDot.MultiplyAdd(a01, v0, ref Unsafe.Add(ref w1, i));
                a11 = TDot.MultiplyAdd(a11, v1, ref Unsafe.Add(ref w1, i));
                a02 = TDot.MultiplyAdd(a02, v0, ref Unsafe.Add(ref w2, i));
                a12 = TDot.MultiplyAdd(a12, v1, ref Unsafe.Add(ref w2, i));
                a03 = TDot.MultiplyAdd(a03, v0, ref Unsafe.Add(ref w3, i));
                a13 = TDot.MultiplyAdd(a13, v1, ref Unsafe.Add(ref w3, i));
            }

            ref int y0 = ref Unsafe.Add(ref y, o);
            ref int y1 = ref Unsafe.Add(ref y, yStride + o);
            int offset0 = offsets.Of(o), offset1 = offsets.Of(o + 1), offset2 = offsets.Of(o + 2), offset3 = offsets.Of(o + 3);
            unchecked
            {
                y0 = offset0 + TDot.Sum(a00);
                Unsafe.Add(ref y0, 1) = offset1 + TDot.Sum(a01);
                Unsafe.Add(ref y0, 2) = offset2 + TDot.Sum(a02);
                Unsafe.Add(ref y0, 3) = offset3 + TDot.Sum(a03);
                y1 = offset0 + TDot.Sum(a10);
                Unsafe.Add(ref y1, 1) = offset1 + TDot.Sum(a11);
                Unsafe.Add(ref y1, 2) = offset2 + TDot.Sum(a12);
                Unsafe.Add(ref y1, 3) = offset3 + TDot.Sum(a13);
            }
        }

        /// <summary>Writes <c>y[o + r]</c> for one sample and weight rows r &lt; 4.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Dot1x4<TDot, TAccumulator, TActivations>(ref byte x, ref sbyte w, int length, RowOffsets offsets, int o, ref int y)
            where TDot : IInt8DotProduct<TAccumulator, TActivations>
            where TAccumulator : struct
            where TActivations : struct
        {
            nint stride = length;
            ref sbyte w0 = ref w;
            ref sbyte w1 = ref Unsafe.Add(ref w, stride);
            ref sbyte w2 = ref Unsafe.Add(ref w, 2 * stride);
            ref sbyte w3 = ref Unsafe.Add(ref w, 3 * stride);
            TAccumulator a0 = TDot.Zero, a1 = TDot.Zero, a2 = TDot.Zero, a3 = TDot.Zero;

            nint i = 0;
            nint lastFull = stride - TDot.Step;
            for (; i <= lastFull; i += TDot.Step)
            {
                TActivations v = TDot.Load(ref Unsafe.Add(ref x, i));
                a0 = TDot.MultiplyAdd(a0, v, ref Unsafe.Add(ref w0, i));
                a1 = TDot.MultiplyAdd(a1, v, ref Unsafe.Add(ref w1, i));
                a2 = TDot.MultiplyAdd(a2, v, ref Unsafe.Add(ref w2, i));
                a3 = TDot.MultiplyAdd(a3, v, ref Unsafe.Add(ref w3, i));
            }

            if (i < stride)
            {
                int count = (int)(stride - i);
                i = lastFull;
                TActivations v = TDot.LoadLast(ref Unsafe.Add(ref x, i), count);
                a0 = TDot.MultiplyAdd(a0, v, ref Unsafe.Add(ref w0, i));
                a1 = TDot.MultiplyAdd(a1, v, ref Unsafe.Add(ref w1, i));
                a2 = TDot.MultiplyAdd(a2, v, ref Unsafe.Add(ref w2, i));
                a3 = TDot.MultiplyAdd(a3, v, ref Unsafe.Add(ref w3, i));
            }

            ref int y0 = ref Unsafe.Add(ref y, o);
            unchecked
            {
                y0 = offsets.Of(o) + TDot.Sum(a0);
                Unsafe.Add(ref y0, 1) = offsets.Of(o + 1) + TDot.Sum(a1);
                Unsafe.Add(ref y0, 2) = offsets.Of(o + 2) + TDot.Sum(a2);
                Unsafe.Add(ref y0, 3) = offsets.Of(o + 3) + TDot.Sum(a3);
            }
        }

        /// <summary>Returns <c>Σ_i (x[i] + Shift)·w[i]</c> for one row pair.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static int Dot1x1<TDot, TAccumulator, TActivations>(ref byte x, ref sbyte w, int length)
            where TDot : IInt8DotProduct<TAccumulator, TActivations>
            where TAccumulator : struct
            where TActivations : struct
        {
            nint stride = length;
            TAccumulator a = TDot.Zero;

            nint i = 0;
            nint lastFull = stride - TDot.Step;
            for (; i <= lastFull; i += TDot.Step)
            {
                a = TDot.MultiplyAdd(a, TDot.Load(ref Unsafe.Add(ref x, i)), ref Unsafe.Add(ref w, i));
            }

            if (i < stride)
            {
                int count = (int)(stride - i);
                i = lastFull;
                a = TDot.MultiplyAdd(a, TDot.LoadLast(ref Unsafe.Add(ref x, i), count), ref Unsafe.Add(ref w, i));
            }

            return TDot.Sum(a);
        }

        /// <summary>Writes <c>y[b,o] = offsets.Of(o) + Σ_i x[b,i]·w[o,i]</c> one product at a time, for any row length.</summary>
        private static void MultiplyScalar(ref byte x, bool signed, ref sbyte w, RowOffsets offsets, ref int y, int batch, int inputs, int outputs)
        {
            for (int b = 0; b < batch; b++)
            {
                ref byte xRow = ref Unsafe.Add(ref x, (nint)b * inputs);
                for (int o = 0; o < outputs; o++)
                {
                    ref sbyte wRow = ref Unsafe.Add(ref w, (nint)o * inputs);
                    int sum = offsets.Of(o);
                    for (int i = 0; i < inputs; i++)
                    {
                        int activation = signed ? (sbyte)Unsafe.Add(ref xRow, i) : Unsafe.Add(ref xRow, i);
                        sum = unchecked(sum + activation * Unsafe.Add(ref wRow, i));
                    }

                    Unsafe.Add(ref y, (nint)b * outputs + o) = sum;
                }
            }
        }
    }
}
