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
        /// 16 samples, 2 to 4 outputs, and 8, 16 or 32 inputs.
        /// </summary>
        /// <remarks>
        /// Measured on AMD Zen 4, one thread, batch 10,000, in one process alternating with the
        /// dot-product tiles. This kernel took 23 against 39–44 µs for 16 → 4, 18 against 85 µs for
        /// 16 → 2, 28 against 120 µs for 16 → 3 and 42 against 100 µs for 32 → 3. At batch 200, 8 → 2
        /// took 0.34 against 0.70 µs with the 256-bit tiles. It lost with one output (16 → 1: 41
        /// against 39 µs), where no other output shares the transpose, and from 48 inputs on
        /// (48 → 4: 73 against 57 µs, 64 → 4: 94 against 69 µs).
        /// </remarks>
        private static bool UseLaneForward(int batch, int inputs, int outputs) =>
            Vector512Fma.IsSupported && batch >= LaneGroup && outputs >= 2 && outputs <= LaneMaxOutputs
            && (inputs == LaneGroup / 2 || inputs == LaneGroup || inputs == LaneMaxInputs);

        /// <summary>
        /// Runs <see cref="Forward"/> 16 samples at a time with the samples in the lanes. The last
        /// samples of a batch that is not a multiple of 16 run as a group padded with zero rows.
        /// </summary>
        [SkipLocalsInit]
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void ForwardLanes512(ref float x, ref float w, ref float bias, ref float y, int batch, int inputs, int outputs)
        {
            int b = 0;
            for (; b <= batch - LaneGroup; b += LaneGroup)
            {
                ForwardLaneGroup(ref Unsafe.Add(ref x, (nint)b * inputs), ref w, ref bias, ref Unsafe.Add(ref y, (nint)b * outputs), inputs, outputs);
            }

            int remaining = batch - b;
            if (remaining > 0)
            {
                Span<float> rows = stackalloc float[LaneGroup * LaneMaxInputs];
                Span<float> groupOutputs = stackalloc float[LaneGroup * LaneMaxOutputs];
                rows.Clear();
                MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref x, (nint)b * inputs), remaining * inputs).CopyTo(rows);
                ForwardLaneGroup(ref rows[0], ref w, ref bias, ref groupOutputs[0], inputs, outputs);
                groupOutputs.Slice(0, remaining * outputs).CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.Add(ref y, (nint)b * outputs), remaining * outputs));
            }
        }

        /// <summary>
        /// Writes the outputs of 16 samples, whose rows start at <paramref name="x"/>, as 16 rows of
        /// <paramref name="outputs"/> floats at <paramref name="y"/>.
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
                // Rows of 8 inputs are read as 16 with the upper 8 columns 0, and those columns are skipped.
                ref float r = ref Unsafe.Add(ref x, block);
                bool half = stride - block < LaneGroup;
                TransposeFourRows(ref r, stride, half, out Vector512<float> a0, out Vector512<float> a1, out Vector512<float> a2, out Vector512<float> a3);
                TransposeFourRows(ref Unsafe.Add(ref r, 4 * stride), stride, half, out Vector512<float> b0, out Vector512<float> b1, out Vector512<float> b2, out Vector512<float> b3);
                TransposeFourRows(ref Unsafe.Add(ref r, 8 * stride), stride, half, out Vector512<float> d0, out Vector512<float> d1, out Vector512<float> d2, out Vector512<float> d3);
                TransposeFourRows(ref Unsafe.Add(ref r, 12 * stride), stride, half, out Vector512<float> e0, out Vector512<float> e1, out Vector512<float> e2, out Vector512<float> e3);
                CombineLanes(a0, b0, d0, e0, out Vector512<float> c0, out Vector512<float> c4, out Vector512<float> c8, out Vector512<float> c12);
                CombineLanes(a1, b1, d1, e1, out Vector512<float> c1, out Vector512<float> c5, out Vector512<float> c9, out Vector512<float> c13);
                CombineLanes(a2, b2, d2, e2, out Vector512<float> c2, out Vector512<float> c6, out Vector512<float> c10, out Vector512<float> c14);
                CombineLanes(a3, b3, d3, e3, out Vector512<float> c3, out Vector512<float> c7, out Vector512<float> c11, out Vector512<float> c15);

                ref float wBlock = ref Unsafe.Add(ref w, block);
                y0 = AddColumnProducts(y0, ref wBlock, half, c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15);
                if (outputs > 1)
                {
                    y1 = AddColumnProducts(y1, ref Unsafe.Add(ref wBlock, stride), half, c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15);
                }

                if (outputs > 2)
                {
                    y2 = AddColumnProducts(y2, ref Unsafe.Add(ref wBlock, 2 * stride), half, c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15);
                }

                if (outputs > 3)
                {
                    y3 = AddColumnProducts(y3, ref Unsafe.Add(ref wBlock, 3 * stride), half, c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15);
                }
            }

            StoreSampleRows(y0, y1, y2, y3, ref y, outputs);
        }

        /// <summary>
        /// Transposes four rows of 16 floats, <paramref name="stride"/> apart, within each 128-bit
        /// lane: lane g of <paramref name="t0"/> … <paramref name="t3"/> contains columns 4g, 4g + 1,
        /// 4g + 2 and 4g + 3 of the four rows, in row order. With <paramref name="half"/> the rows
        /// are 8 floats long and read as 16 with the upper 8 set to 0.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void TransposeFourRows(ref float row, nint stride, bool half, out Vector512<float> t0, out Vector512<float> t1, out Vector512<float> t2, out Vector512<float> t3)
        {
            Vector512<float> r0 = LoadRow(ref row, half);
            Vector512<float> r1 = LoadRow(ref Unsafe.Add(ref row, stride), half);
            Vector512<float> r2 = LoadRow(ref Unsafe.Add(ref row, 2 * stride), half);
            Vector512<float> r3 = LoadRow(ref Unsafe.Add(ref row, 3 * stride), half);
            Vector512<double> low01 = Avx512F.UnpackLow(r0, r1).AsDouble(), high01 = Avx512F.UnpackHigh(r0, r1).AsDouble();
            Vector512<double> low23 = Avx512F.UnpackLow(r2, r3).AsDouble(), high23 = Avx512F.UnpackHigh(r2, r3).AsDouble();
            t0 = Avx512F.UnpackLow(low01, low23).AsSingle();
            t1 = Avx512F.UnpackHigh(low01, low23).AsSingle();
            t2 = Avx512F.UnpackLow(high01, high23).AsSingle();
            t3 = Avx512F.UnpackHigh(high01, high23).AsSingle();
        }

        /// <summary>Loads 16 floats, or with <paramref name="half"/> 8 floats and 8 zeros.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> LoadRow(ref float row, bool half) =>
            half ? Vector256.LoadUnsafe(ref row).ToVector512() : Vector512.LoadUnsafe(ref row);

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

        /// <summary>
        /// Returns <c>sum + Σ_i w[i]·c_i</c> over the 16 columns, or with <paramref name="half"/>
        /// the first 8, one fused multiply-add at a time in input order.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> AddColumnProducts(Vector512<float> sum, ref float w, bool half,
            Vector512<float> c0, Vector512<float> c1, Vector512<float> c2, Vector512<float> c3, Vector512<float> c4, Vector512<float> c5, Vector512<float> c6, Vector512<float> c7,
            Vector512<float> c8, Vector512<float> c9, Vector512<float> c10, Vector512<float> c11, Vector512<float> c12, Vector512<float> c13, Vector512<float> c14, Vector512<float> c15)
        {
            sum = AddEightColumnProducts(sum, ref w, c0, c1, c2, c3, c4, c5, c6, c7);
            return half ? sum : AddEightColumnProducts(sum, ref Unsafe.Add(ref w, 8), c8, c9, c10, c11, c12, c13, c14, c15);
        }

        /// <summary>Returns <c>sum + Σ_i w[i]·c_i</c> over 8 columns, one fused multiply-add at a time in input order.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> AddEightColumnProducts(Vector512<float> sum, ref float w,
            Vector512<float> c0, Vector512<float> c1, Vector512<float> c2, Vector512<float> c3, Vector512<float> c4, Vector512<float> c5, Vector512<float> c6, Vector512<float> c7)
        {
            sum = Avx512F.FusedMultiplyAdd(c0, Vector512.Create(w), sum);
            sum = Avx512F.FusedMultiplyAdd(c1, Vector512.Create(Unsafe.Add(ref w, 1)), sum);
            sum = Avx512F.FusedMultiplyAdd(c2, Vector512.Create(Unsafe.Add(ref w, 2)), sum);
            sum = Avx512F.FusedMultiplyAdd(c3, Vector512.Create(Unsafe.Add(ref w, 3)), sum);
            sum = Avx512F.FusedMultiplyAdd(c4, Vector512.Create(Unsafe.Add(ref w, 4)), sum);
            sum = Avx512F.FusedMultiplyAdd(c5, Vector512.Create(Unsafe.Add(ref w, 5)), sum);
            sum = Avx512F.FusedMultiplyAdd(c6, Vector512.Create(Unsafe.Add(ref w, 6)), sum);
            return Avx512F.FusedMultiplyAdd(c7, Vector512.Create(Unsafe.Add(ref w, 7)), sum);
        }

        /// <summary>
        /// Stores the outputs of 16 samples, given as up to four vectors with a sample per lane, as
        /// 16 rows of <paramref name="outputs"/> floats: the inverse of the transpose.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StoreSampleRows(Vector512<float> y0, Vector512<float> y1, Vector512<float> y2, Vector512<float> y3, ref float y, int outputs)
        {
            Vector512<double> low01 = Avx512F.UnpackLow(y0, y1).AsDouble(), high01 = Avx512F.UnpackHigh(y0, y1).AsDouble();
            Vector512<double> low23 = Avx512F.UnpackLow(y2, y3).AsDouble(), high23 = Avx512F.UnpackHigh(y2, y3).AsDouble();

            // Lane g of samples0 contains sample 4g's four outputs; samples1, samples2 and samples3 those of 4g + 1, 4g + 2, 4g + 3.
            Vector512<float> samples0 = Avx512F.UnpackLow(low01, low23).AsSingle();
            Vector512<float> samples1 = Avx512F.UnpackHigh(low01, low23).AsSingle();
            Vector512<float> samples2 = Avx512F.UnpackLow(high01, high23).AsSingle();
            Vector512<float> samples3 = Avx512F.UnpackHigh(high01, high23).AsSingle();

            // 0x44 picks 128-bit lanes 0 and 1 of each source, 0xEE lanes 2 and 3. The results are
            // rows of four floats: samples 0–3, 4–7, 8–11 and 12–15.
            Vector512<float> first01 = Avx512F.Shuffle4x128(samples0, samples1, 0x44), first23 = Avx512F.Shuffle4x128(samples2, samples3, 0x44);
            Vector512<float> last01 = Avx512F.Shuffle4x128(samples0, samples1, 0xEE), last23 = Avx512F.Shuffle4x128(samples2, samples3, 0xEE);
            Vector512<float> rows0 = Avx512F.Shuffle4x128(first01, first23, 0x88), rows1 = Avx512F.Shuffle4x128(first01, first23, 0xDD);
            Vector512<float> rows2 = Avx512F.Shuffle4x128(last01, last23, 0x88), rows3 = Avx512F.Shuffle4x128(last01, last23, 0xDD);
            if (outputs == 4)
            {
                rows0.StoreUnsafe(ref y);
                rows1.StoreUnsafe(ref y, 16);
                rows2.StoreUnsafe(ref y, 32);
                rows3.StoreUnsafe(ref y, 48);
            }
            else if (outputs == 3)
            {
                // Drop the fourth float of every row: 64 floats become 48. An index from 16 on picks from the second source.
                Avx512F.PermuteVar16x32x2(rows0, Vector512.Create(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 16, 17, 18, 20), rows1).StoreUnsafe(ref y);
                Avx512F.PermuteVar16x32x2(rows1, Vector512.Create(5, 6, 8, 9, 10, 12, 13, 14, 16, 17, 18, 20, 21, 22, 24, 25), rows2).StoreUnsafe(ref y, 16);
                Avx512F.PermuteVar16x32x2(rows2, Vector512.Create(10, 12, 13, 14, 16, 17, 18, 20, 21, 22, 24, 25, 26, 28, 29, 30), rows3).StoreUnsafe(ref y, 32);
            }
            else
            {
                // Keep the first two floats of every row: 64 floats become 32.
                Vector512<int> firstTwo = Vector512.Create(0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29);
                Avx512F.PermuteVar16x32x2(rows0, firstTwo, rows1).StoreUnsafe(ref y);
                Avx512F.PermuteVar16x32x2(rows2, firstTwo, rows3).StoreUnsafe(ref y, 16);
            }
        }
    }
}
