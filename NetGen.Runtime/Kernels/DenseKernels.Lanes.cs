using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetGen.Kernels
{
    // The forward pass of layers with 2 to 4 outputs, such as a regression head, with the
    // samples in the vector lanes. The dot-product tiles put the inputs in the lanes, so each of
    // the few outputs of a sample ends in a horizontal sum that costs more than its FMAs. Here 16
    // samples are transposed in registers, and each output is one chain of FMAs with a broadcast
    // weight. Every sample's sum runs in input order from the bias, whatever its place in the batch.
    public static partial class DenseKernels
    {
        /// <summary>Samples per group of the lane kernel: one per lane of a 512-bit vector.</summary>
        private const int LaneGroup = 16;

        /// <summary>Largest input count that takes the lane kernel; a group's padded copy of 16 rows then fits in 2 KB of stack.</summary>
        private const int LaneMaxInputs = 32;

        /// <summary>Largest output count that takes the lane kernel: the outputs of four samples fill one 512-bit vector.</summary>
        private const int LaneMaxOutputs = 4;

        /// <summary>
        /// Returns whether a batch forward pass takes <see cref="ForwardLanes512"/>: AVX-512, at least
        /// 16 samples, 2 to 4 outputs, and 16 or 32 inputs.
        /// </summary>
        /// <remarks>
        /// Measured on AMD Zen 4, one thread, batch 10,000, in one process alternating with the
        /// dot-product tiles. For 16 → 4 this kernel took 23 against 44 µs. For 16 → 2 and 16 → 3 it
        /// took 46–50 against 61–90 µs, for 32 → 2 and 32 → 3 65–70 against 81–96 µs, and for 32 → 4
        /// 46 against 48 µs. It lost with one output (16 → 1: 41 against 39 µs), where no other output
        /// shares the transpose, and from 48 inputs on (48 → 4: 73 against 57 µs, 64 → 4: 94 against 69 µs).
        /// </remarks>
        private static bool UseLaneForward(int batch, int inputs, int outputs) =>
            Vector512Fma.IsSupported && batch >= LaneGroup && outputs >= 2 && outputs <= LaneMaxOutputs
            && (inputs == LaneGroup || inputs == LaneMaxInputs);

        /// <summary>
        /// Runs <see cref="Forward"/> 16 samples at a time with the samples in the lanes. The last
        /// samples of a batch that is not a multiple of 16 run as a group padded with zero rows.
        /// </summary>
        [SkipLocalsInit]
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void ForwardLanes512(ref float x, ref float w, ref float bias, ref float y, int batch, int inputs, int outputs)
        {
            // A group's outputs, four per sample. The lanes of missing outputs contain 0.
            Span<float> groupOutputs = stackalloc float[LaneGroup * LaneMaxOutputs];
            int b = 0;
            for (; b <= batch - LaneGroup; b += LaneGroup)
            {
                ref float xGroup = ref Unsafe.Add(ref x, (nint)b * inputs);
                ref float yGroup = ref Unsafe.Add(ref y, (nint)b * outputs);
                if (outputs == LaneMaxOutputs)
                {
                    ForwardLaneGroup(ref xGroup, ref w, ref bias, ref yGroup, inputs, outputs);
                }
                else
                {
                    ForwardLaneGroup(ref xGroup, ref w, ref bias, ref groupOutputs[0], inputs, outputs);
                    CopyLaneRows(groupOutputs, ref yGroup, LaneGroup, outputs);
                }
            }

            int remaining = batch - b;
            if (remaining > 0)
            {
                Span<float> rows = stackalloc float[LaneGroup * LaneMaxInputs];
                rows.Clear();
                MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref x, (nint)b * inputs), remaining * inputs).CopyTo(rows);
                ForwardLaneGroup(ref rows[0], ref w, ref bias, ref groupOutputs[0], inputs, outputs);
                CopyLaneRows(groupOutputs, ref Unsafe.Add(ref y, (nint)b * outputs), remaining, outputs);
            }
        }

        /// <summary>Copies the first <paramref name="outputs"/> of each 4-float row of <paramref name="groupOutputs"/> into <paramref name="samples"/> rows of y.</summary>
        private static void CopyLaneRows(ReadOnlySpan<float> groupOutputs, ref float y, int samples, int outputs)
        {
            for (int s = 0; s < samples; s++)
            {
                groupOutputs.Slice(s * LaneMaxOutputs, outputs).CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.Add(ref y, (nint)s * outputs), outputs));
            }
        }

        /// <summary>
        /// Writes the outputs of 16 samples, whose rows start at <paramref name="x"/>, as 16 rows of
        /// 4 floats at <paramref name="y"/>. The lanes of outputs past <paramref name="outputs"/> contain 0.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void ForwardLaneGroup(ref float x, ref float w, ref float bias, ref float y, int inputs, int outputs)
        {
            Vector512<float> y0 = Vector512.Create(bias);
            Vector512<float> y1 = outputs > 1 ? Vector512.Create(Unsafe.Add(ref bias, 1)) : Vector512<float>.Zero;
            Vector512<float> y2 = outputs > 2 ? Vector512.Create(Unsafe.Add(ref bias, 2)) : Vector512<float>.Zero;
            Vector512<float> y3 = outputs > 3 ? Vector512.Create(Unsafe.Add(ref bias, 3)) : Vector512<float>.Zero;
            nint stride = inputs;
            for (nint block = 0; block < stride; block += LaneGroup)
            {
                // Columns c_i of the 16 × 16 block, lane s holding x[s, block + i]: each group of
                // four rows is transposed within 128-bit lanes, then the groups' lanes are combined.
                ref float r = ref Unsafe.Add(ref x, block);
                TransposeFourRows(ref r, stride, out Vector512<float> a0, out Vector512<float> a1, out Vector512<float> a2, out Vector512<float> a3);
                TransposeFourRows(ref Unsafe.Add(ref r, 4 * stride), stride, out Vector512<float> b0, out Vector512<float> b1, out Vector512<float> b2, out Vector512<float> b3);
                TransposeFourRows(ref Unsafe.Add(ref r, 8 * stride), stride, out Vector512<float> d0, out Vector512<float> d1, out Vector512<float> d2, out Vector512<float> d3);
                TransposeFourRows(ref Unsafe.Add(ref r, 12 * stride), stride, out Vector512<float> e0, out Vector512<float> e1, out Vector512<float> e2, out Vector512<float> e3);
                CombineLanes(a0, b0, d0, e0, out Vector512<float> c0, out Vector512<float> c4, out Vector512<float> c8, out Vector512<float> c12);
                CombineLanes(a1, b1, d1, e1, out Vector512<float> c1, out Vector512<float> c5, out Vector512<float> c9, out Vector512<float> c13);
                CombineLanes(a2, b2, d2, e2, out Vector512<float> c2, out Vector512<float> c6, out Vector512<float> c10, out Vector512<float> c14);
                CombineLanes(a3, b3, d3, e3, out Vector512<float> c3, out Vector512<float> c7, out Vector512<float> c11, out Vector512<float> c15);

                ref float wBlock = ref Unsafe.Add(ref w, block);
                y0 = AddColumnProducts(y0, ref wBlock, c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15);
                if (outputs > 1)
                {
                    y1 = AddColumnProducts(y1, ref Unsafe.Add(ref wBlock, stride), c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15);
                }

                if (outputs > 2)
                {
                    y2 = AddColumnProducts(y2, ref Unsafe.Add(ref wBlock, 2 * stride), c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15);
                }

                if (outputs > 3)
                {
                    y3 = AddColumnProducts(y3, ref Unsafe.Add(ref wBlock, 3 * stride), c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15);
                }
            }

            StoreSampleRows(y0, y1, y2, y3, ref y);
        }

        /// <summary>
        /// Transposes four rows of 16 floats, <paramref name="stride"/> apart, within each 128-bit
        /// lane: lane g of <paramref name="t0"/> … <paramref name="t3"/> contains columns 4g, 4g + 1,
        /// 4g + 2 and 4g + 3 of the four rows, in row order.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void TransposeFourRows(ref float row, nint stride, out Vector512<float> t0, out Vector512<float> t1, out Vector512<float> t2, out Vector512<float> t3)
        {
            Vector512<float> r0 = Vector512.LoadUnsafe(ref row);
            Vector512<float> r1 = Vector512.LoadUnsafe(ref Unsafe.Add(ref row, stride));
            Vector512<float> r2 = Vector512.LoadUnsafe(ref Unsafe.Add(ref row, 2 * stride));
            Vector512<float> r3 = Vector512.LoadUnsafe(ref Unsafe.Add(ref row, 3 * stride));
            Vector512<double> low01 = Avx512F.UnpackLow(r0, r1).AsDouble(), high01 = Avx512F.UnpackHigh(r0, r1).AsDouble();
            Vector512<double> low23 = Avx512F.UnpackLow(r2, r3).AsDouble(), high23 = Avx512F.UnpackHigh(r2, r3).AsDouble();
            t0 = Avx512F.UnpackLow(low01, low23).AsSingle();
            t1 = Avx512F.UnpackHigh(low01, low23).AsSingle();
            t2 = Avx512F.UnpackLow(high01, high23).AsSingle();
            t3 = Avx512F.UnpackHigh(high01, high23).AsSingle();
        }

        /// <summary>
        /// Combines one output of <see cref="TransposeFourRows"/> from each of the four row groups
        /// into the columns j, j + 4, j + 8 and j + 12 of all 16 rows.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void CombineLanes(Vector512<float> a, Vector512<float> b, Vector512<float> d, Vector512<float> e,
            out Vector512<float> column, out Vector512<float> columnPlus4, out Vector512<float> columnPlus8, out Vector512<float> columnPlus12)
        {
            // 0x88 picks 128-bit lanes 0 and 2 of each source, 0xDD lanes 1 and 3.
            Vector512<float> evenAb = Avx512F.Shuffle4x128(a, b, 0x88), oddAb = Avx512F.Shuffle4x128(a, b, 0xDD);
            Vector512<float> evenDe = Avx512F.Shuffle4x128(d, e, 0x88), oddDe = Avx512F.Shuffle4x128(d, e, 0xDD);
            column = Avx512F.Shuffle4x128(evenAb, evenDe, 0x88);
            columnPlus8 = Avx512F.Shuffle4x128(evenAb, evenDe, 0xDD);
            columnPlus4 = Avx512F.Shuffle4x128(oddAb, oddDe, 0x88);
            columnPlus12 = Avx512F.Shuffle4x128(oddAb, oddDe, 0xDD);
        }

        /// <summary>Returns <c>sum + Σ_i w[i]·c_i</c> over the 16 columns, one fused multiply-add at a time in input order.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> AddColumnProducts(Vector512<float> sum, ref float w,
            Vector512<float> c0, Vector512<float> c1, Vector512<float> c2, Vector512<float> c3, Vector512<float> c4, Vector512<float> c5, Vector512<float> c6, Vector512<float> c7,
            Vector512<float> c8, Vector512<float> c9, Vector512<float> c10, Vector512<float> c11, Vector512<float> c12, Vector512<float> c13, Vector512<float> c14, Vector512<float> c15)
        {
            sum = Avx512F.FusedMultiplyAdd(c0, Vector512.Create(w), sum);
            sum = Avx512F.FusedMultiplyAdd(c1, Vector512.Create(Unsafe.Add(ref w, 1)), sum);
            sum = Avx512F.FusedMultiplyAdd(c2, Vector512.Create(Unsafe.Add(ref w, 2)), sum);
            sum = Avx512F.FusedMultiplyAdd(c3, Vector512.Create(Unsafe.Add(ref w, 3)), sum);
            sum = Avx512F.FusedMultiplyAdd(c4, Vector512.Create(Unsafe.Add(ref w, 4)), sum);
            sum = Avx512F.FusedMultiplyAdd(c5, Vector512.Create(Unsafe.Add(ref w, 5)), sum);
            sum = Avx512F.FusedMultiplyAdd(c6, Vector512.Create(Unsafe.Add(ref w, 6)), sum);
            sum = Avx512F.FusedMultiplyAdd(c7, Vector512.Create(Unsafe.Add(ref w, 7)), sum);
            sum = Avx512F.FusedMultiplyAdd(c8, Vector512.Create(Unsafe.Add(ref w, 8)), sum);
            sum = Avx512F.FusedMultiplyAdd(c9, Vector512.Create(Unsafe.Add(ref w, 9)), sum);
            sum = Avx512F.FusedMultiplyAdd(c10, Vector512.Create(Unsafe.Add(ref w, 10)), sum);
            sum = Avx512F.FusedMultiplyAdd(c11, Vector512.Create(Unsafe.Add(ref w, 11)), sum);
            sum = Avx512F.FusedMultiplyAdd(c12, Vector512.Create(Unsafe.Add(ref w, 12)), sum);
            sum = Avx512F.FusedMultiplyAdd(c13, Vector512.Create(Unsafe.Add(ref w, 13)), sum);
            sum = Avx512F.FusedMultiplyAdd(c14, Vector512.Create(Unsafe.Add(ref w, 14)), sum);
            return Avx512F.FusedMultiplyAdd(c15, Vector512.Create(Unsafe.Add(ref w, 15)), sum);
        }

        /// <summary>
        /// Stores four outputs of 16 samples, one per vector with a sample per lane, as 16 rows of
        /// 4 floats: the inverse of the transpose, for a 4 × 16 block.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StoreSampleRows(Vector512<float> y0, Vector512<float> y1, Vector512<float> y2, Vector512<float> y3, ref float y)
        {
            Vector512<double> low01 = Avx512F.UnpackLow(y0, y1).AsDouble(), high01 = Avx512F.UnpackHigh(y0, y1).AsDouble();
            Vector512<double> low23 = Avx512F.UnpackLow(y2, y3).AsDouble(), high23 = Avx512F.UnpackHigh(y2, y3).AsDouble();

            // Lane g of samples0 contains sample 4g's four outputs; samples1, samples2 and samples3 those of 4g + 1, 4g + 2, 4g + 3.
            Vector512<float> samples0 = Avx512F.UnpackLow(low01, low23).AsSingle();
            Vector512<float> samples1 = Avx512F.UnpackHigh(low01, low23).AsSingle();
            Vector512<float> samples2 = Avx512F.UnpackLow(high01, high23).AsSingle();
            Vector512<float> samples3 = Avx512F.UnpackHigh(high01, high23).AsSingle();

            // 0x44 picks 128-bit lanes 0 and 1 of each source, 0xEE lanes 2 and 3.
            Vector512<float> first01 = Avx512F.Shuffle4x128(samples0, samples1, 0x44), first23 = Avx512F.Shuffle4x128(samples2, samples3, 0x44);
            Vector512<float> last01 = Avx512F.Shuffle4x128(samples0, samples1, 0xEE), last23 = Avx512F.Shuffle4x128(samples2, samples3, 0xEE);
            Avx512F.Shuffle4x128(first01, first23, 0x88).StoreUnsafe(ref y);
            Avx512F.Shuffle4x128(first01, first23, 0xDD).StoreUnsafe(ref y, 16);
            Avx512F.Shuffle4x128(last01, last23, 0x88).StoreUnsafe(ref y, 32);
            Avx512F.Shuffle4x128(last01, last23, 0xDD).StoreUnsafe(ref y, 48);
        }
    }
}
