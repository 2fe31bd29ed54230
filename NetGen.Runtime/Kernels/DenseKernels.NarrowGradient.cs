using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetGen.Kernels
{
    // The weight gradient of layers with few inputs, dw[o, i] += Σ_b dy[b,o]·x[b,i], as a sum of
    // outer products over the samples. Each accumulator has 16 outputs in its lanes, so a layer of
    // 4 inputs needs no horizontal sums, like the forward pass in DenseKernels.Narrow.cs.
    public static partial class DenseKernels
    {
        /// <summary>
        /// Returns whether the weight gradient takes the outer-product kernel: AVX-512, outputs a
        /// multiple of 16 and fewer than 16 inputs. The dot-product kernels put the inputs in
        /// vector lanes, which a layer of 4 inputs leaves three quarters empty.
        /// </summary>
        /// <remarks>
        /// Measured on AMD Zen 5, one thread, batch 10,000, bias gradient included. The dot-product
        /// kernel took 98, 99, 370 and 79 µs for 4 → 32, 8 → 32, 12 → 64 and 15 → 16; this kernel
        /// took 42, 71, 191 and 57 µs. From 16 inputs on, the dot-product kernel fills whole 512-bit vectors and
        /// won (32 → 16: 42 µs against 100 µs here), so the limit is below 16 inputs.
        /// </remarks>
        private static bool UseNarrowWeightGradient(int batch, int inputs, int outputs) =>
            Vector512Fma.IsSupported && inputs > 0 && inputs < Vector512<float>.Count && outputs > 0 && outputs % Vector512<float>.Count == 0
            && (long)batch * NarrowGradientMaxWeightsPerSample >= (long)inputs * outputs;

        /// <summary>
        /// Maximum number of weights per sample for which the outer-product weight gradient pays off: it adds its
        /// sums into dw, one strided scalar per weight. Measured on AMD Zen 5, that cost made
        /// 4 → 32 slower below about 16 samples and 15 → 16 below about 32, so small batches keep
        /// the dot-product kernel.
        /// </summary>
        private const int NarrowGradientMaxWeightsPerSample = 8;

        /// <summary>
        /// Adds <c>dw[o,i] += Σ_b dy[b,o]·x[b,i]</c> as a sum of outer products over the samples:
        /// 16 outputs in the lanes of each accumulator, four inputs at a time, two samples at a
        /// time into separate accumulators that are added at the end. The first pass over each
        /// group of 16 outputs also adds <c>dbias[o] += Σ_b dy[b,o]</c>, so the bias gradient
        /// needs no pass of its own over dy.
        /// </summary>
        /// <remarks>
        /// Requires AVX-512F and outputs a multiple of 16. The bias sums run in the order of
        /// <see cref="SumColumns"/> (even and odd samples apart, then their sum added to dbias),
        /// which <see cref="AccumulateBiasGradient"/> uses below 256 outputs, so those layers keep
        /// the bits of a separate bias pass. Measured on AMD Zen 4 for 4 → 32 at batch 1,000 in one
        /// process: 2.8 against 4.8 µs with the bias summed in a pass of its own.
        /// </remarks>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void AccumulateWeightGradientNarrow512(ref float dy, ref float x, ref float dw, ref float dbias, int batch, int inputs, int outputs)
        {
            // Pairs of 16-output groups first, so that each sample's inputs are broadcast once for
            // 32 outputs. 4 → 32 at batch 10,000 took 24.4 against 31.3 µs on AMD Zen 4 (one process).
            int o = 0;
            for (; o + (2 * Vector512<float>.Count) <= outputs; o += 2 * Vector512<float>.Count)
            {
                ref float dyPair = ref Unsafe.Add(ref dy, o);
                ref float biasPair = ref Unsafe.Add(ref dbias, o);
                int i = 0;
                for (; i + 4 <= inputs; i += 4)
                {
                    WeightGradientFourInputsTwoGroups(ref dyPair, ref Unsafe.Add(ref x, i), ref Unsafe.Add(ref dw, (o * inputs) + i), ref biasPair, i == 0, batch, inputs, outputs);
                }

                for (; i < inputs; i++)
                {
                    for (int group = 0; group < 2 * Vector512<float>.Count; group += Vector512<float>.Count)
                    {
                        WeightGradientOneInput(ref Unsafe.Add(ref dyPair, group), ref Unsafe.Add(ref x, i), ref Unsafe.Add(ref dw, ((o + group) * inputs) + i),
                            ref Unsafe.Add(ref biasPair, group), i == 0, batch, inputs, outputs);
                    }
                }
            }

            for (; o < outputs; o += Vector512<float>.Count)
            {
                ref float dyGroup = ref Unsafe.Add(ref dy, o);
                ref float biasGroup = ref Unsafe.Add(ref dbias, o);
                int i = 0;
                for (; i + 4 <= inputs; i += 4)
                {
                    WeightGradientFourInputs(ref dyGroup, ref Unsafe.Add(ref x, i), ref Unsafe.Add(ref dw, (o * inputs) + i), ref biasGroup, i == 0, batch, inputs, outputs);
                }

                for (; i < inputs; i++)
                {
                    WeightGradientOneInput(ref dyGroup, ref Unsafe.Add(ref x, i), ref Unsafe.Add(ref dw, (o * inputs) + i), ref biasGroup, i == 0, batch, inputs, outputs);
                }
            }
        }

        /// <summary>
        /// Adds the gradient of 16 outputs (from <paramref name="dy"/>) by four inputs (from
        /// <paramref name="x"/>) into <paramref name="dw"/>, whose rows are <paramref name="inputs"/>
        /// apart, and with <paramref name="withBias"/> the 16 outputs' batch sums into <paramref name="dbias"/>.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void WeightGradientFourInputs(ref float dy, ref float x, ref float dw, ref float dbias, bool withBias, int batch, int inputs, int outputs)
        {
            Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            Vector512<float> even = a0, odd = a0;
            nint xStride = inputs, dyStride = outputs;
            nint b = 0;
            for (; b <= batch - 2; b += 2)
            {
                ref float xRow = ref Unsafe.Add(ref x, b * xStride);
                ref float dyRow = ref Unsafe.Add(ref dy, b * dyStride);
                Vector512<float> first = Vector512.LoadUnsafe(ref dyRow);
                Vector512<float> second = Vector512.LoadUnsafe(ref Unsafe.Add(ref dyRow, dyStride));
                even += first;
                odd += second;
                a0 = Avx512F.FusedMultiplyAdd(Vector512.Create(xRow), first, a0);
                a1 = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xRow, 1)), first, a1);
                a2 = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xRow, 2)), first, a2);
                a3 = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xRow, 3)), first, a3);
                b0 = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xRow, xStride)), second, b0);
                b1 = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xRow, xStride + 1)), second, b1);
                b2 = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xRow, xStride + 2)), second, b2);
                b3 = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xRow, xStride + 3)), second, b3);
            }

            if (b < batch)
            {
                ref float xRow = ref Unsafe.Add(ref x, b * xStride);
                Vector512<float> last = Vector512.LoadUnsafe(ref Unsafe.Add(ref dy, b * dyStride));
                even += last;
                a0 = Avx512F.FusedMultiplyAdd(Vector512.Create(xRow), last, a0);
                a1 = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xRow, 1)), last, a1);
                a2 = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xRow, 2)), last, a2);
                a3 = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xRow, 3)), last, a3);
            }

            AddColumn(a0 + b0, ref dw, inputs);
            AddColumn(a1 + b1, ref Unsafe.Add(ref dw, 1), inputs);
            AddColumn(a2 + b2, ref Unsafe.Add(ref dw, 2), inputs);
            AddColumn(a3 + b3, ref Unsafe.Add(ref dw, 3), inputs);
            if (withBias)
            {
                AddBiasSums(even, odd, ref dbias);
            }
        }

        /// <summary>
        /// Adds the gradient of 32 outputs, two groups of 16, by four inputs, as
        /// <see cref="WeightGradientFourInputs"/> does for one group: the same sums in the same
        /// order, with each input broadcast once for both groups.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void WeightGradientFourInputsTwoGroups(ref float dy, ref float x, ref float dw, ref float dbias, bool withBias, int batch, int inputs, int outputs)
        {
            // a and c take the even samples of the low and high group, b and d the odd ones.
            Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            Vector512<float> c0 = a0, c1 = a0, c2 = a0, c3 = a0, d0 = a0, d1 = a0, d2 = a0, d3 = a0;
            Vector512<float> evenLow = a0, oddLow = a0, evenHigh = a0, oddHigh = a0;
            nint xStride = inputs, dyStride = outputs;
            nint b = 0;
            for (; b <= batch - 2; b += 2)
            {
                ref float xRow = ref Unsafe.Add(ref x, b * xStride);
                ref float dyRow = ref Unsafe.Add(ref dy, b * dyStride);
                ref float dyNext = ref Unsafe.Add(ref dyRow, dyStride);
                Vector512<float> low = Vector512.LoadUnsafe(ref dyRow), high = Vector512.LoadUnsafe(ref dyRow, 16);
                Vector512<float> nextLow = Vector512.LoadUnsafe(ref dyNext), nextHigh = Vector512.LoadUnsafe(ref dyNext, 16);
                evenLow += low;
                evenHigh += high;
                oddLow += nextLow;
                oddHigh += nextHigh;

                AddFourInputProducts(ref xRow, low, high, ref a0, ref a1, ref a2, ref a3, ref c0, ref c1, ref c2, ref c3);
                AddFourInputProducts(ref Unsafe.Add(ref xRow, xStride), nextLow, nextHigh, ref b0, ref b1, ref b2, ref b3, ref d0, ref d1, ref d2, ref d3);
            }

            if (b < batch)
            {
                ref float xRow = ref Unsafe.Add(ref x, b * xStride);
                ref float dyRow = ref Unsafe.Add(ref dy, b * dyStride);
                Vector512<float> low = Vector512.LoadUnsafe(ref dyRow), high = Vector512.LoadUnsafe(ref dyRow, 16);
                evenLow += low;
                evenHigh += high;
                AddFourInputProducts(ref xRow, low, high, ref a0, ref a1, ref a2, ref a3, ref c0, ref c1, ref c2, ref c3);
            }

            ref float dwHigh = ref Unsafe.Add(ref dw, Vector512<float>.Count * inputs);
            AddColumn(a0 + b0, ref dw, inputs);
            AddColumn(a1 + b1, ref Unsafe.Add(ref dw, 1), inputs);
            AddColumn(a2 + b2, ref Unsafe.Add(ref dw, 2), inputs);
            AddColumn(a3 + b3, ref Unsafe.Add(ref dw, 3), inputs);
            AddColumn(c0 + d0, ref dwHigh, inputs);
            AddColumn(c1 + d1, ref Unsafe.Add(ref dwHigh, 1), inputs);
            AddColumn(c2 + d2, ref Unsafe.Add(ref dwHigh, 2), inputs);
            AddColumn(c3 + d3, ref Unsafe.Add(ref dwHigh, 3), inputs);
            if (withBias)
            {
                AddBiasSums(evenLow, oddLow, ref dbias);
                AddBiasSums(evenHigh, oddHigh, ref Unsafe.Add(ref dbias, Vector512<float>.Count));
            }
        }

        /// <summary>
        /// Adds one sample's outer products for four inputs and two groups of 16 outputs: input i
        /// of <paramref name="xRow"/> times <paramref name="low"/> into the low sum of input i, and
        /// times <paramref name="high"/> into its high sum.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void AddFourInputProducts(ref float xRow, Vector512<float> low, Vector512<float> high,
            ref Vector512<float> low0, ref Vector512<float> low1, ref Vector512<float> low2, ref Vector512<float> low3,
            ref Vector512<float> high0, ref Vector512<float> high1, ref Vector512<float> high2, ref Vector512<float> high3)
        {
            Vector512<float> x0 = Vector512.Create(xRow), x1 = Vector512.Create(Unsafe.Add(ref xRow, 1));
            Vector512<float> x2 = Vector512.Create(Unsafe.Add(ref xRow, 2)), x3 = Vector512.Create(Unsafe.Add(ref xRow, 3));
            low0 = Avx512F.FusedMultiplyAdd(x0, low, low0);
            low1 = Avx512F.FusedMultiplyAdd(x1, low, low1);
            low2 = Avx512F.FusedMultiplyAdd(x2, low, low2);
            low3 = Avx512F.FusedMultiplyAdd(x3, low, low3);
            high0 = Avx512F.FusedMultiplyAdd(x0, high, high0);
            high1 = Avx512F.FusedMultiplyAdd(x1, high, high1);
            high2 = Avx512F.FusedMultiplyAdd(x2, high, high2);
            high3 = Avx512F.FusedMultiplyAdd(x3, high, high3);
        }

        /// <summary>
        /// Adds the gradient of 16 outputs by one input into <paramref name="dw"/>, and the bias
        /// sums with <paramref name="withBias"/>, as <see cref="WeightGradientFourInputs"/> does for four inputs.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void WeightGradientOneInput(ref float dy, ref float x, ref float dw, ref float dbias, bool withBias, int batch, int inputs, int outputs)
        {
            Vector512<float> a = Vector512<float>.Zero, c = a, even = a, odd = a;
            nint xStride = inputs, dyStride = outputs;
            nint b = 0;
            for (; b <= batch - 2; b += 2)
            {
                Vector512<float> first = Vector512.LoadUnsafe(ref Unsafe.Add(ref dy, b * dyStride));
                Vector512<float> second = Vector512.LoadUnsafe(ref Unsafe.Add(ref dy, (b + 1) * dyStride));
                even += first;
                odd += second;
                a = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, b * xStride)), first, a);
                c = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, (b + 1) * xStride)), second, c);
            }

            if (b < batch)
            {
                Vector512<float> last = Vector512.LoadUnsafe(ref Unsafe.Add(ref dy, b * dyStride));
                even += last;
                a = Avx512F.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, b * xStride)), last, a);
            }

            AddColumn(a + c, ref dw, inputs);
            if (withBias)
            {
                AddBiasSums(even, odd, ref dbias);
            }
        }

        /// <summary>Adds <c>even + odd</c> to the 16 bias gradients at <paramref name="dbias"/>, as <see cref="SumColumns"/> ends.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void AddBiasSums(Vector512<float> even, Vector512<float> odd, ref float dbias) =>
            Vector512.StoreUnsafe(Vector512.LoadUnsafe(ref dbias) + (even + odd), ref dbias);

        /// <summary>Adds lane l of <paramref name="sums"/> to <c>column[l · stride]</c>: one input's entries of 16 consecutive dw rows.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void AddColumn(Vector512<float> sums, ref float column, int stride)
        {
            for (int l = 0; l < Vector512<float>.Count; l++)
            {
                Unsafe.Add(ref column, l * stride) += sums.GetElement(l);
            }
        }
    }
}
