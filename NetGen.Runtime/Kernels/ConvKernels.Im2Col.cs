using System;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NetGen.Kernels
{
    // The im2col algorithm, one sample and one group at a time. K = Ci/G·KH·KW and P = OH·OW.
    // Unfolding writes the input windows as columns [K, P]: row k = (ci, kh, kw) contains, for every
    // output position, the input value that tap reads (zero in the padding). Each pass is then
    // one product of row-major matrices, vectorised along the P positions, computed by the
    // DenseKernels cores with their operands renamed:
    //   forward          y[Co/G, P]  = w[Co/G, K] · columns[K, P]     (DenseKernels backward-input core)
    //   backward input   dcols[K, P] = w[Co/G, K]ᵀ · dy[Co/G, P]     (DenseKernels weight-gradient core)
    //   weight gradient  dw[Co/G, K] += dy[Co/G, P] · columns[K, P]ᵀ  (DenseKernels forward core)
    // The [K, P] layout gives y and dy directly in NCHW order, so no transpose is needed.
    // At stride 1 with small columns, both gradient passes take two samples at a time: their
    // columns and dy rows sit side by side as [K, 2P] and [Co/G, 2P], so each product reduces or
    // vectorises over 2P positions.
    public static partial class ConvKernels
    {
        /// <summary>
        /// Returns the scratch floats of the im2col kernels: the columns [K, P] with a spill margin,
        /// a product [Co/G, K], K zeros, and at stride 1 the padded planes of <see cref="UnfoldUnitStride"/>.
        /// </summary>
        internal static long Im2ColScratchLength(in ConvGeometry g)
        {
            long single = ColumnsLength(g) + ((long)g.OutChannelsPerGroup * g.ReductionLength) + g.ReductionLength + PaddedUnfoldLength(g);
            return UsesPairedGradients(g) ? Math.Max(single, PairedGradientsLength(g)) : single;
        }

        /// <summary>Returns the floats of scratch that the columns take, their spill margin included.</summary>
        private static int ColumnsLength(in ConvGeometry g) => (g.ReductionLength * g.OutPositions) + SpillMargin;

        /// <summary>Returns the padded planes of <see cref="UnfoldUnitStride"/>, which follow the columns, product and zeros in scratch.</summary>
        private static Span<float> PaddedUnfoldPlanes(Span<float> scratch, in ConvGeometry g)
        {
            int start = ColumnsLength(g) + (g.OutChannelsPerGroup * g.ReductionLength) + g.ReductionLength;
            return scratch.Slice(start, (int)PaddedUnfoldLength(g));
        }

        /// <summary>Computes one sample of <see cref="Forward"/> by im2col and GEMM.</summary>
        private static void Im2ColForward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y, Span<float> scratch, in ConvGeometry g)
        {
            int reduction = g.ReductionLength;
            int positions = g.OutPositions;
            int outPerGroup = g.OutChannelsPerGroup;
            Span<float> columns = scratch.Slice(0, ColumnsLength(g));
            bool padded = UsesPaddedUnfold(g);
            Span<float> planes = padded ? PaddedUnfoldPlanes(scratch, g) : default;
            if (padded)
            {
                PadInputWithMargin(x, planes, g);
            }

            for (int group = 0; group < g.Groups; group++)
            {
                if (padded)
                {
                    UnfoldUnitStride(planes, columns, g, group);
                }
                else
                {
                    Unfold(x, columns, g, group);
                }

                ReadOnlySpan<float> groupWeights = w.Slice(group * outPerGroup * reduction, outPerGroup * reduction);
                Span<float> groupOutputs = y.Slice(group * outPerGroup * positions, outPerGroup * positions);
                MultiplyWeightsByColumns(groupWeights, columns, groupOutputs, outPerGroup, reduction, positions);
            }

            if (!bias.IsEmpty)
            {
                for (int co = 0; co < g.OutChannels; co++)
                {
                    Span<float> plane = y.Slice(co * positions, positions);
                    TensorPrimitives.Add(plane, bias[co], plane);
                }
            }
        }

        /// <summary>Computes one sample of <see cref="BackwardInput"/> by GEMM and col2im.</summary>
        private static void Im2ColBackwardInput(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx, Span<float> scratch, in ConvGeometry g)
        {
            int reduction = g.ReductionLength;
            int positions = g.OutPositions;
            int outPerGroup = g.OutChannelsPerGroup;
            Span<float> columns = scratch.Slice(0, reduction * positions);
            bool padded = UsesPaddedUnfold(g);
            Span<float> planes = padded ? PaddedUnfoldPlanes(scratch, g) : default;
            if (padded)
            {
                planes.Clear();
            }
            else
            {
                dx.Clear();
            }

            for (int group = 0; group < g.Groups; group++)
            {
                ReadOnlySpan<float> groupWeights = w.Slice(group * outPerGroup * reduction, outPerGroup * reduction);
                ReadOnlySpan<float> groupGradients = dy.Slice(group * outPerGroup * positions, outPerGroup * positions);
                columns.Clear();
                AccumulateTransposedProduct(groupWeights, groupGradients, columns, outPerGroup, reduction, positions);
                if (padded)
                {
                    FoldAddUnitStride(scratch.Slice(0, ColumnsLength(g)), planes, g, group);
                }
                else
                {
                    FoldAdd(columns, dx, g, group);
                }
            }

            if (padded)
            {
                CopyInterior(planes, dx, g);
            }
        }

        /// <summary>Adds one sample's weight gradient of <see cref="AccumulateGradients"/> by im2col and GEMM.</summary>
        private static void Im2ColWeightGradient(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, Span<float> dw, Span<float> scratch, in ConvGeometry g)
        {
            int reduction = g.ReductionLength;
            int positions = g.OutPositions;
            int outPerGroup = g.OutChannelsPerGroup;
            int columnsLength = ColumnsLength(g);
            Span<float> columns = scratch.Slice(0, columnsLength);
            Span<float> product = scratch.Slice(columnsLength, outPerGroup * reduction);
            Span<float> zeros = scratch.Slice(columnsLength + (outPerGroup * reduction), reduction);
            zeros.Clear();
            bool padded = UsesPaddedUnfold(g);
            Span<float> planes = padded ? PaddedUnfoldPlanes(scratch, g) : default;
            if (padded)
            {
                PadInputWithMargin(x, planes, g);
            }

            for (int group = 0; group < g.Groups; group++)
            {
                if (padded)
                {
                    UnfoldUnitStride(planes, columns, g, group);
                }
                else
                {
                    Unfold(x, columns, g, group);
                }

                ReadOnlySpan<float> groupGradients = dy.Slice(group * outPerGroup * positions, outPerGroup * positions);
                MultiplyByColumnsTransposed(groupGradients, columns, zeros, product, outPerGroup, reduction, positions);
                Span<float> groupWeightGradients = dw.Slice(group * outPerGroup * reduction, outPerGroup * reduction);
                AddInBlocks(groupWeightGradients, product);
            }
        }

        /// <summary>
        /// Adds <paramref name="product"/> to <paramref name="sums"/>, in blocks that keep the sums
        /// in the cache (see <see cref="CacheBlocks"/>). The weight gradient of a large convolution
        /// exceeds 256 KiB, and this runs once per sample or pair of samples.
        /// </summary>
        private static void AddInBlocks(Span<float> sums, ReadOnlySpan<float> product)
        {
            for (int start = 0; start < sums.Length; start = CacheBlocks.Next(sums.Length, start))
            {
                Span<float> block = CacheBlocks.Slice(sums, start);
                TensorPrimitives.Add(block, CacheBlocks.Slice(product, start), block);
            }
        }

        /// <summary>Largest K·P for which the gradient kernels unfold two samples at once: 64 Ki floats, so that both fit in a 1 MiB L2 cache.</summary>
        private const int PairedColumnsLimit = 1 << 16;

        /// <summary>
        /// Most output positions P for which the gradient kernels pair samples. Pairing paid off on
        /// the Fashion CNN's second layer (P = 196) and cost 25 % on its first layer (P = 784),
        /// whose products already run over long rows.
        /// </summary>
        private const int PairedPositionsLimit = 256;

        /// <summary>
        /// Whether the im2col gradient kernels take two samples per product
        /// (<see cref="Im2ColWeightGradientPair"/> and <see cref="Im2ColBackwardInputPair"/>): stride 1,
        /// at most <see cref="PairedPositionsLimit"/> positions and columns of at most <see cref="PairedColumnsLimit"/> floats.
        /// </summary>
        // NOTE: both limits are estimates from the two Fashion layers; no layer with P between 196 and 784 was measured.
        private static bool UsesPairedGradients(in ConvGeometry g) =>
            UsesPaddedUnfold(g) && g.OutPositions <= PairedPositionsLimit && (long)g.ReductionLength * g.OutPositions <= PairedColumnsLimit;

        /// <summary>
        /// Computes the input gradient of two samples with one product per group over the positions
        /// of both, then folds each sample's half of the columns into its own padded planes.
        /// </summary>
        private static void Im2ColBackwardInputPair(ReadOnlySpan<float> dy0, ReadOnlySpan<float> dy1, ReadOnlySpan<float> w,
            Span<float> dx0, Span<float> dx1, Span<float> scratch, in ConvGeometry g)
        {
            int reduction = g.ReductionLength;
            int positions = g.OutPositions;
            int pairPositions = 2 * positions;
            int outPerGroup = g.OutChannelsPerGroup;
            int paddedLength = (int)PaddedUnfoldLength(g);
            int start = 0;
            Span<float> columns = scratch.Slice(start, (reduction * pairPositions) + SpillMargin);
            start += columns.Length;
            Span<float> gradients = scratch.Slice(start, outPerGroup * pairPositions);
            start += gradients.Length + (outPerGroup * reduction) + reduction;
            Span<float> first = scratch.Slice(start, paddedLength);
            Span<float> second = scratch.Slice(start + paddedLength, paddedLength);
            first.Clear();
            second.Clear();

            for (int group = 0; group < g.Groups; group++)
            {
                CopyGradientPair(dy0, dy1, gradients, group, outPerGroup, positions);
                ReadOnlySpan<float> groupWeights = w.Slice(group * outPerGroup * reduction, outPerGroup * reduction);
                Span<float> product = columns.Slice(0, reduction * pairPositions);
                product.Clear();
                AccumulateTransposedProduct(groupWeights, gradients, product, outPerGroup, reduction, pairPositions);
                FoldAddUnitStrideSamples(columns, first, second, 2, g, group);
            }

            CopyInterior(first, dx0, g);
            CopyInterior(second, dx1, g);
        }

        /// <summary>Writes the rows of group <paramref name="group"/> of two samples' dy side by side: [Co/G, 2P].</summary>
        private static void CopyGradientPair(ReadOnlySpan<float> dy0, ReadOnlySpan<float> dy1, Span<float> gradients, int group, int outPerGroup, int positions)
        {
            int pairPositions = 2 * positions;
            for (int r = 0; r < outPerGroup; r++)
            {
                int row = ((group * outPerGroup) + r) * positions;
                dy0.Slice(row, positions).CopyTo(gradients.Slice(r * pairPositions, positions));
                dy1.Slice(row, positions).CopyTo(gradients.Slice((r * pairPositions) + positions, positions));
            }
        }

        /// <summary>Returns the scratch floats of the paired kernels: columns [K, 2P] with a margin, dy [Co/G, 2P], a product [Co/G, K], K zeros and two sets of padded planes.</summary>
        private static long PairedGradientsLength(in ConvGeometry g)
        {
            long pairPositions = 2L * g.OutPositions;
            return (g.ReductionLength * pairPositions) + SpillMargin + (g.OutChannelsPerGroup * pairPositions) +
                ((long)g.OutChannelsPerGroup * g.ReductionLength) + g.ReductionLength + (2 * PaddedUnfoldLength(g));
        }

        /// <summary>
        /// Adds the weight gradient of two samples with one product per group, whose reduction runs
        /// over the positions of both: <c>dw += [dy0 dy1] · [columns0 columns1]ᵀ</c>. The longer
        /// reduction halves the horizontal sums and the additions into dw per sample.
        /// </summary>
        private static void Im2ColWeightGradientPair(ReadOnlySpan<float> dy0, ReadOnlySpan<float> dy1, ReadOnlySpan<float> x0, ReadOnlySpan<float> x1,
            Span<float> dw, Span<float> scratch, in ConvGeometry g)
        {
            int reduction = g.ReductionLength;
            int positions = g.OutPositions;
            int pairPositions = 2 * positions;
            int outPerGroup = g.OutChannelsPerGroup;
            int paddedLength = (int)PaddedUnfoldLength(g);
            int start = 0;
            Span<float> columns = scratch.Slice(start, (reduction * pairPositions) + SpillMargin);
            start += columns.Length;
            Span<float> gradients = scratch.Slice(start, outPerGroup * pairPositions);
            start += gradients.Length;
            Span<float> product = scratch.Slice(start, outPerGroup * reduction);
            start += product.Length;
            Span<float> zeros = scratch.Slice(start, reduction);
            start += reduction;
            Span<float> first = scratch.Slice(start, paddedLength);
            Span<float> second = scratch.Slice(start + paddedLength, paddedLength);
            zeros.Clear();
            PadInputWithMargin(x0, first, g);
            PadInputWithMargin(x1, second, g);

            for (int group = 0; group < g.Groups; group++)
            {
                UnfoldUnitStrideSamples(first, second, 2, columns, g, group);
                CopyGradientPair(dy0, dy1, gradients, group, outPerGroup, positions);

                MultiplyByColumnsTransposed(gradients, columns, zeros, product, outPerGroup, reduction, pairPositions);
                Span<float> groupWeightGradients = dw.Slice(group * outPerGroup * reduction, outPerGroup * reduction);
                AddInBlocks(groupWeightGradients, product);
            }
        }

        /// <summary>Writes the input windows of group <paramref name="group"/> of one sample as columns [K, P].</summary>
        private static void Unfold(ReadOnlySpan<float> x, Span<float> columns, in ConvGeometry g, int group)
        {
            int height = g.InHeight, width = g.InWidth, outHeight = g.OutHeight, outWidth = g.OutWidth;
            int positions = g.OutPositions;
            int strideWidth = g.StrideWidth;
            int row = 0;
            for (int ci = 0; ci < g.InChannelsPerGroup; ci++)
            {
                ReadOnlySpan<float> plane = x.Slice((group * g.InChannelsPerGroup + ci) * height * width, height * width);
                for (int kh = 0; kh < g.KernelHeight; kh++)
                {
                    for (int kw = 0; kw < g.KernelWidth; kw++, row++)
                    {
                        Span<float> columnRow = columns.Slice(row * positions, positions);
                        int columnOffset = (kw * g.DilationWidth) - g.PadLeft;
                        (int first, int end) = ValidOutputColumns(columnOffset, strideWidth, width, outWidth);
                        for (int oh = 0; oh < outHeight; oh++)
                        {
                            Span<float> target = columnRow.Slice(oh * outWidth, outWidth);
                            int ih = (oh * g.StrideHeight) - g.PadTop + (kh * g.DilationHeight);
                            if ((uint)ih >= (uint)height)
                            {
                                target.Clear();
                                continue;
                            }

                            target.Slice(0, first).Clear();
                            target.Slice(end).Clear();
                            ReadOnlySpan<float> source = plane.Slice(ih * width, width);
                            if (strideWidth == 1)
                            {
                                source.Slice(first + columnOffset, end - first).CopyTo(target.Slice(first, end - first));
                            }
                            else
                            {
                                for (int ow = first; ow < end; ow++)
                                {
                                    target[ow] = source[(ow * strideWidth) + columnOffset];
                                }
                            }
                        }
                    }
                }
            }
        }

        /// <summary>Adds columns [K, P] back onto the input positions they were read from (col2im), for group <paramref name="group"/>.</summary>
        private static void FoldAdd(ReadOnlySpan<float> columns, Span<float> dx, in ConvGeometry g, int group)
        {
            int height = g.InHeight, width = g.InWidth, outHeight = g.OutHeight, outWidth = g.OutWidth;
            int positions = g.OutPositions;
            int strideWidth = g.StrideWidth;
            int row = 0;
            for (int ci = 0; ci < g.InChannelsPerGroup; ci++)
            {
                Span<float> plane = dx.Slice((group * g.InChannelsPerGroup + ci) * height * width, height * width);
                for (int kh = 0; kh < g.KernelHeight; kh++)
                {
                    for (int kw = 0; kw < g.KernelWidth; kw++, row++)
                    {
                        ReadOnlySpan<float> columnRow = columns.Slice(row * positions, positions);
                        int columnOffset = (kw * g.DilationWidth) - g.PadLeft;
                        (int first, int end) = ValidOutputColumns(columnOffset, strideWidth, width, outWidth);
                        if (first >= end)
                        {
                            continue;
                        }

                        for (int oh = 0; oh < outHeight; oh++)
                        {
                            int ih = (oh * g.StrideHeight) - g.PadTop + (kh * g.DilationHeight);
                            if ((uint)ih >= (uint)height)
                            {
                                continue;
                            }

                            ReadOnlySpan<float> source = columnRow.Slice(oh * outWidth, outWidth);
                            Span<float> target = plane.Slice(ih * width, width);
                            if (strideWidth == 1)
                            {
                                Span<float> window = target.Slice(first + columnOffset, end - first);
                                TensorPrimitives.Add(window, source.Slice(first, end - first), window);
                            }
                            else
                            {
                                for (int ow = first; ow < end; ow++)
                                {
                                    target[(ow * strideWidth) + columnOffset] += source[ow];
                                }
                            }
                        }
                    }
                }
            }
        }

        /// <summary>
        /// Returns the output columns [first, end) whose input column <c>ow·stride + offset</c> lies inside [0, width).
        /// </summary>
        private static (int First, int End) ValidOutputColumns(int offset, int stride, int width, int outWidth)
        {
            int first = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
            int last = width - 1 - offset;
            int end = last < 0 ? 0 : Math.Min(outWidth, (last / stride) + 1);
            first = Math.Min(first, end);
            return (first, end);
        }

        /// <summary>Writes <c>y[r, p] = Σ_k w[r,k]·columns[k,p]</c>; y [rows, P] is overwritten.</summary>
        private static void MultiplyWeightsByColumns(ReadOnlySpan<float> w, ReadOnlySpan<float> columns, Span<float> y, int rows, int reduction, int positions)
        {
            ref float wStart = ref MemoryMarshal.GetReference(w);
            ref float columnsStart = ref MemoryMarshal.GetReference(columns);
            ref float yStart = ref MemoryMarshal.GetReference(y);
            if (Vector512Fma.IsSupported && positions >= Vector512<float>.Count)
            {
                DenseKernels.BackwardInputCore<Vector512Fma, Vector512<float>, NoDerivative>(ref wStart, ref columnsStart, ref yStart, ref yStart, rows, positions, reduction);
            }
            else if (Vector256Fma.IsSupported && positions >= Vector256<float>.Count)
            {
                DenseKernels.BackwardInputCore<Vector256Fma, Vector256<float>, NoDerivative>(ref wStart, ref columnsStart, ref yStart, ref yStart, rows, positions, reduction);
            }
            else if (Vector128Simd.IsSupported && positions >= Vector128<float>.Count)
            {
                DenseKernels.BackwardInputCore<Vector128Simd, Vector128<float>, NoDerivative>(ref wStart, ref columnsStart, ref yStart, ref yStart, rows, positions, reduction);
            }
            else
            {
                DenseKernels.BackwardInputCore<ScalarSimd, float, NoDerivative>(ref wStart, ref columnsStart, ref yStart, ref yStart, rows, positions, reduction);
            }
        }

        /// <summary>Adds <c>Σ_r w[r,k]·dy[r,p]</c> to <c>columns[k,p]</c>.</summary>
        private static void AccumulateTransposedProduct(ReadOnlySpan<float> w, ReadOnlySpan<float> dy, Span<float> columns, int rows, int reduction, int positions)
        {
            ref float wStart = ref MemoryMarshal.GetReference(w);
            ref float dyStart = ref MemoryMarshal.GetReference(dy);
            ref float columnsStart = ref MemoryMarshal.GetReference(columns);
            if (Vector512Fma.IsSupported && positions >= Vector512<float>.Count)
            {
                DenseKernels.AccumulateWeightGradientCore<Vector512Fma, Vector512<float>>(ref wStart, ref dyStart, ref columnsStart, rows, positions, reduction);
            }
            else if (Vector256Fma.IsSupported && positions >= Vector256<float>.Count)
            {
                DenseKernels.AccumulateWeightGradientCore<Vector256Fma, Vector256<float>>(ref wStart, ref dyStart, ref columnsStart, rows, positions, reduction);
            }
            else if (Vector128Simd.IsSupported && positions >= Vector128<float>.Count)
            {
                DenseKernels.AccumulateWeightGradientCore<Vector128Simd, Vector128<float>>(ref wStart, ref dyStart, ref columnsStart, rows, positions, reduction);
            }
            else
            {
                DenseKernels.AccumulateWeightGradientCore<ScalarSimd, float>(ref wStart, ref dyStart, ref columnsStart, rows, positions, reduction);
            }
        }

        /// <summary>Writes <c>product[r,k] = Σ_p dy[r,p]·columns[k,p]</c>; <paramref name="zeros"/> contains K zeros that take the place of the bias.</summary>
        private static void MultiplyByColumnsTransposed(ReadOnlySpan<float> dy, ReadOnlySpan<float> columns, ReadOnlySpan<float> zeros, Span<float> product, int rows, int reduction, int positions)
        {
            ref float dyStart = ref MemoryMarshal.GetReference(dy);
            ref float columnsStart = ref MemoryMarshal.GetReference(columns);
            ref float zerosStart = ref MemoryMarshal.GetReference(zeros);
            ref float productStart = ref MemoryMarshal.GetReference(product);
            if (Vector512Fma.IsSupported && positions >= Vector512<float>.Count)
            {
                DenseKernels.ForwardCore<Vector512Fma, Vector512<float>>(ref dyStart, ref columnsStart, ref zerosStart, ref productStart, rows, positions, reduction);
            }
            else if (Vector256Fma.IsSupported && positions >= Vector256<float>.Count)
            {
                DenseKernels.ForwardCore<Vector256Fma, Vector256<float>>(ref dyStart, ref columnsStart, ref zerosStart, ref productStart, rows, positions, reduction);
            }
            else if (Vector128Simd.IsSupported && positions >= Vector128<float>.Count)
            {
                DenseKernels.ForwardCore<Vector128Simd, Vector128<float>>(ref dyStart, ref columnsStart, ref zerosStart, ref productStart, rows, positions, reduction);
            }
            else
            {
                DenseKernels.ForwardCore<ScalarSimd, float>(ref dyStart, ref columnsStart, ref zerosStart, ref productStart, rows, positions, reduction);
            }
        }
    }
}
