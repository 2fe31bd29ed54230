using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NetGen.Kernels
{
    // The direct algorithm, for stride 1. It copies a sample into zero-padded planes of
    // Hp × Wp = (H + pt + pb) × (W + pl + pr) floats. With stride 1, output (oh, ow) reads padded
    // position (oh + kh·dh, ow + kw·dw), so in a plane flattened row by row, output p = oh·Wp + ow
    // reads element p + kh·dh·Wp + kw·dw: one constant offset per tap. The kernels therefore run
    // over the flat "wide" index p in [0, L), L = (OH − 1)·Wp + OW, vectorised along p with
    // several output channels per tile. The Wp − OW columns at the end of each wide row are not
    // outputs. Forward computes and then drops them, and the gradient kernels hold zeros there.
    //   forward          wide y[co, p]  = Σ_{ci,kh,kw} w[co,ci,kh,kw]·padded x[ci, p + off(kh,kw)]
    //   backward input   the forward of dy, zero-extended by off(KH−1, KW−1) on both sides, with
    //                    the kernel flipped and its channel axes swapped
    //   weight gradient  dw[co,ci,kh,kw] += Σ_p wide dy[co, p]·padded x[ci, p + off(kh,kw)]
    public static partial class ConvKernels
    {
        /// <summary>Output channels computed together by the forward micro-kernel.</summary>
        private const int DirectTileRows = 4;

        /// <summary>Returns the scratch floats of the direct kernels, the largest of the three passes.</summary>
        internal static long DirectScratchLength(in ConvGeometry g)
        {
            long paddedPlane = (long)g.PaddedHeight * g.PaddedWidth;
            long padded = g.InChannels * paddedPlane;
            long wideOutput = ((long)(g.OutHeight - 1) * g.PaddedWidth) + g.OutWidth;
            long wideInput = ((long)(g.InHeight - 1) * g.PaddedWidth) + g.InWidth;
            long reach = ((long)(g.KernelHeight - 1) * g.DilationHeight * g.PaddedWidth) + ((long)(g.KernelWidth - 1) * g.DilationWidth);
            long forward = padded + (DirectTileRows * wideOutput);
            long backwardInput = (g.OutChannels * (reach + paddedPlane)) + g.WeightLength + (DirectTileRows * wideInput);
            long weightGradient = padded + (g.OutChannels * wideOutput);
            return Math.Max(forward, Math.Max(backwardInput, weightGradient));
        }

        /// <summary>Wide length L = (OH − 1)·Wp + OW: the flat output positions from the first to the last output.</summary>
        private static int WideOutputLength(in ConvGeometry g) => ((g.OutHeight - 1) * g.PaddedWidth) + g.OutWidth;

        /// <summary>Flat offset of the last kernel tap, off(KH − 1, KW − 1), in a padded plane.</summary>
        private static int KernelReach(in ConvGeometry g) =>
            ((g.KernelHeight - 1) * g.DilationHeight * g.PaddedWidth) + ((g.KernelWidth - 1) * g.DilationWidth);

        /// <summary>Computes one sample of <see cref="Forward"/> by direct convolution.</summary>
        private static void DirectForward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y, Span<float> scratch, in ConvGeometry g)
        {
            Debug.Assert(g.StrideHeight == 1 && g.StrideWidth == 1, "The direct algorithm needs stride 1.");
            int paddedPlane = g.PaddedHeight * g.PaddedWidth;
            int wideLength = WideOutputLength(g);
            int reduction = g.ReductionLength;
            int inPerGroup = g.InChannelsPerGroup;
            int outPerGroup = g.OutChannelsPerGroup;
            Span<float> padded = scratch.Slice(0, g.InChannels * paddedPlane);
            Span<float> wide = scratch.Slice(padded.Length, DirectTileRows * wideLength);
            PadInput(x, padded, g);

            var taps = new DirectTaps(inPerGroup, paddedPlane, g.KernelHeight, g.KernelWidth, g.DilationHeight * g.PaddedWidth, g.DilationWidth);
            for (int group = 0; group < g.Groups; group++)
            {
                ReadOnlySpan<float> planes = padded.Slice(group * inPerGroup * paddedPlane);
                for (int co = group * outPerGroup, end = co + outPerGroup; co < end; co += DirectTileRows)
                {
                    int rows = Math.Min(DirectTileRows, end - co);
                    CorrelateWide(planes, taps, w.Slice(co * reduction), reduction, rows, wideLength, wide);
                    for (int r = 0; r < rows; r++)
                    {
                        float rowBias = bias.IsEmpty ? 0f : bias[co + r];
                        CompactRows(wide.Slice(r * wideLength, wideLength), g.PaddedWidth, y.Slice((co + r) * g.OutPositions, g.OutPositions), g.OutHeight, g.OutWidth, rowBias);
                    }
                }
            }
        }

        /// <summary>Computes one sample of <see cref="BackwardInput"/> as the forward convolution of the zero-extended dy with the flipped kernel.</summary>
        private static void DirectBackwardInput(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx, Span<float> scratch, in ConvGeometry g)
        {
            Debug.Assert(g.StrideHeight == 1 && g.StrideWidth == 1, "The direct algorithm needs stride 1.");
            int paddedWidth = g.PaddedWidth;
            int reach = KernelReach(g);
            int gradientPlane = reach + (g.PaddedHeight * paddedWidth);
            int wideLength = ((g.InHeight - 1) * paddedWidth) + g.InWidth;
            int inPerGroup = g.InChannelsPerGroup;
            int outPerGroup = g.OutChannelsPerGroup;
            int kernelArea = g.KernelHeight * g.KernelWidth;
            Span<float> gradients = scratch.Slice(0, g.OutChannels * gradientPlane);
            Span<float> flipped = scratch.Slice(gradients.Length, g.WeightLength);
            Span<float> wide = scratch.Slice(gradients.Length + flipped.Length, DirectTileRows * wideLength);

            // Plane co contains dy[co] on the padded grid, shifted right by the reach, so every tap of
            // the flipped kernel reads inside the plane, and zeros stand where no output exists.
            gradients.Clear();
            for (int co = 0; co < g.OutChannels; co++)
            {
                for (int oh = 0; oh < g.OutHeight; oh++)
                {
                    dy.Slice((co * g.OutPositions) + (oh * g.OutWidth), g.OutWidth)
                        .CopyTo(gradients.Slice((co * gradientPlane) + reach + (oh * paddedWidth), g.OutWidth));
                }
            }

            // flipped[ci, co, kh, kw] = w[co, ci, KH − 1 − kh, KW − 1 − kw] within each group.
            for (int group = 0; group < g.Groups; group++)
            {
                for (int co = 0; co < outPerGroup; co++)
                {
                    for (int ci = 0; ci < inPerGroup; ci++)
                    {
                        ReadOnlySpan<float> source = w.Slice(((((group * outPerGroup) + co) * inPerGroup) + ci) * kernelArea, kernelArea);
                        Span<float> target = flipped.Slice(((((group * inPerGroup) + ci) * outPerGroup) + co) * kernelArea, kernelArea);
                        for (int k = 0; k < kernelArea; k++)
                        {
                            target[kernelArea - 1 - k] = source[k];
                        }
                    }
                }
            }

            // Input (ih, iw) sits at padded position q = (ih + pt)·Wp + iw + pl; the wide index starts at the first one.
            int firstInput = (g.PadTop * paddedWidth) + g.PadLeft;
            int flippedReduction = outPerGroup * kernelArea;
            var taps = new DirectTaps(outPerGroup, gradientPlane, g.KernelHeight, g.KernelWidth, g.DilationHeight * paddedWidth, g.DilationWidth);
            int inputPlane = g.InHeight * g.InWidth;
            for (int group = 0; group < g.Groups; group++)
            {
                ReadOnlySpan<float> planes = gradients.Slice((group * outPerGroup * gradientPlane) + firstInput);
                for (int ci = group * inPerGroup, end = ci + inPerGroup; ci < end; ci += DirectTileRows)
                {
                    int rows = Math.Min(DirectTileRows, end - ci);
                    CorrelateWide(planes, taps, flipped.Slice(ci * flippedReduction), flippedReduction, rows, wideLength, wide);
                    for (int r = 0; r < rows; r++)
                    {
                        CompactRows(wide.Slice(r * wideLength, wideLength), paddedWidth, dx.Slice((ci + r) * inputPlane, inputPlane), g.InHeight, g.InWidth, 0f);
                    }
                }
            }
        }

        /// <summary>Adds one sample's weight gradient of <see cref="AccumulateGradients"/> by direct correlation of dy with the padded input.</summary>
        private static void DirectWeightGradient(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, Span<float> dw, Span<float> scratch, in ConvGeometry g)
        {
            Debug.Assert(g.StrideHeight == 1 && g.StrideWidth == 1, "The direct algorithm needs stride 1.");
            int paddedWidth = g.PaddedWidth;
            int paddedPlane = g.PaddedHeight * paddedWidth;
            int wideLength = WideOutputLength(g);
            Span<float> padded = scratch.Slice(0, g.InChannels * paddedPlane);
            Span<float> gradients = scratch.Slice(padded.Length, g.OutChannels * wideLength);
            PadInput(x, padded, g);

            gradients.Clear();
            for (int co = 0; co < g.OutChannels; co++)
            {
                for (int oh = 0; oh < g.OutHeight; oh++)
                {
                    dy.Slice((co * g.OutPositions) + (oh * g.OutWidth), g.OutWidth)
                        .CopyTo(gradients.Slice((co * wideLength) + (oh * paddedWidth), g.OutWidth));
                }
            }

            ref float paddedStart = ref MemoryMarshal.GetReference(padded);
            ref float gradientsStart = ref MemoryMarshal.GetReference(gradients);
            ref float dwStart = ref MemoryMarshal.GetReference(dw);
            var taps = new DirectTaps(g.InChannelsPerGroup, paddedPlane, g.KernelHeight, g.KernelWidth, g.DilationHeight * paddedWidth, g.DilationWidth);
            if (Vector512Fma.IsSupported && wideLength >= Vector512<float>.Count)
            {
                WeightGradientCore<Vector512Fma, Vector512<float>>(ref paddedStart, ref gradientsStart, ref dwStart, taps, g, wideLength);
            }
            else if (Vector256Fma.IsSupported && wideLength >= Vector256<float>.Count)
            {
                WeightGradientCore<Vector256Fma, Vector256<float>>(ref paddedStart, ref gradientsStart, ref dwStart, taps, g, wideLength);
            }
            else if (Vector128Simd.IsSupported && wideLength >= Vector128<float>.Count)
            {
                WeightGradientCore<Vector128Simd, Vector128<float>>(ref paddedStart, ref gradientsStart, ref dwStart, taps, g, wideLength);
            }
            else
            {
                WeightGradientCore<ScalarSimd, float>(ref paddedStart, ref gradientsStart, ref dwStart, taps, g, wideLength);
            }
        }

        /// <summary>Copies one sample into zero-padded planes of PaddedHeight × PaddedWidth.</summary>
        private static void PadInput(ReadOnlySpan<float> x, Span<float> padded, in ConvGeometry g)
        {
            int paddedWidth = g.PaddedWidth;
            int paddedPlane = g.PaddedHeight * paddedWidth;
            padded.Clear();
            for (int ci = 0; ci < g.InChannels; ci++)
            {
                for (int ih = 0; ih < g.InHeight; ih++)
                {
                    x.Slice(((ci * g.InHeight) + ih) * g.InWidth, g.InWidth)
                        .CopyTo(padded.Slice((ci * paddedPlane) + ((ih + g.PadTop) * paddedWidth) + g.PadLeft, g.InWidth));
                }
            }
        }

        /// <summary>
        /// Writes <c>wide[r, p] = Σ_t w[r, t]·planes[p + off(t)]</c> for <paramref name="rows"/> ≤ 4
        /// weight rows <paramref name="weightStride"/> apart and p &lt; <paramref name="length"/>.
        /// </summary>
        private static void CorrelateWide(ReadOnlySpan<float> planes, in DirectTaps taps, ReadOnlySpan<float> w, int weightStride, int rows, int length, Span<float> wide)
        {
            ref float planesStart = ref MemoryMarshal.GetReference(planes);
            ref float wStart = ref MemoryMarshal.GetReference(w);
            ref float wideStart = ref MemoryMarshal.GetReference(wide);
            if (Vector512Fma.IsSupported && length >= Vector512<float>.Count)
            {
                CorrelateWideCore<Vector512Fma, Vector512<float>>(ref planesStart, taps, ref wStart, weightStride, rows, length, ref wideStart);
            }
            else if (Vector256Fma.IsSupported && length >= Vector256<float>.Count)
            {
                CorrelateWideCore<Vector256Fma, Vector256<float>>(ref planesStart, taps, ref wStart, weightStride, rows, length, ref wideStart);
            }
            else if (Vector128Simd.IsSupported && length >= Vector128<float>.Count)
            {
                CorrelateWideCore<Vector128Simd, Vector128<float>>(ref planesStart, taps, ref wStart, weightStride, rows, length, ref wideStart);
            }
            else
            {
                CorrelateWideCore<ScalarSimd, float>(ref planesStart, taps, ref wStart, weightStride, rows, length, ref wideStart);
            }
        }

        /// <summary>Copies the first <paramref name="columns"/> floats of each wide row, <paramref name="wideStride"/> apart, into dense rows and adds <paramref name="bias"/>.</summary>
        private static void CompactRows(ReadOnlySpan<float> wide, int wideStride, Span<float> target, int rowCount, int columns, float bias)
        {
            ref float wideStart = ref MemoryMarshal.GetReference(wide);
            ref float targetStart = ref MemoryMarshal.GetReference(target);
            if (Vector512Fma.IsSupported && columns >= Vector512<float>.Count)
            {
                CompactRowsCore<Vector512Fma, Vector512<float>>(ref wideStart, wideStride, ref targetStart, rowCount, columns, bias);
            }
            else if (Vector256Fma.IsSupported && columns >= Vector256<float>.Count)
            {
                CompactRowsCore<Vector256Fma, Vector256<float>>(ref wideStart, wideStride, ref targetStart, rowCount, columns, bias);
            }
            else if (Vector128Simd.IsSupported && columns >= Vector128<float>.Count)
            {
                CompactRowsCore<Vector128Simd, Vector128<float>>(ref wideStart, wideStride, ref targetStart, rowCount, columns, bias);
            }
            else
            {
                CompactRowsCore<ScalarSimd, float>(ref wideStart, wideStride, ref targetStart, rowCount, columns, bias);
            }
        }

        /// <summary>Runs <see cref="CompactRows"/> with vectors; needs <paramref name="columns"/> ≥ <c>TSimd.Count</c>.</summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void CompactRowsCore<TSimd, TVector>(ref float wide, int wideStride, ref float target, int rowCount, int columns, float bias)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            TVector biasVector = TSimd.Broadcast(bias);
            TVector one = TSimd.Broadcast(1f);
            int count = TSimd.Count;
            for (int row = 0; row < rowCount; row++)
            {
                ref float source = ref Unsafe.Add(ref wide, (nint)row * wideStride);
                ref float destination = ref Unsafe.Add(ref target, (nint)row * columns);
                int column = 0;
                for (; column <= columns - count; column += count)
                {
                    TSimd.Store(ref Unsafe.Add(ref destination, column), TSimd.MultiplyAdd(TSimd.Load(ref Unsafe.Add(ref source, column)), one, biasVector));
                }

                if (column < columns)
                {
                    // The last vector ends at the end of the row and rewrites the overlapped lanes with the same values.
                    column = columns - count;
                    TSimd.Store(ref Unsafe.Add(ref destination, column), TSimd.MultiplyAdd(TSimd.Load(ref Unsafe.Add(ref source, column)), one, biasVector));
                }
            }
        }

        /// <summary>Runs <see cref="CorrelateWide"/> with vectors; needs <paramref name="length"/> ≥ <c>TSimd.Count</c>.</summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void CorrelateWideCore<TSimd, TVector>(ref float planes, in DirectTaps taps, ref float w, int weightStride, int rows, int length, ref float wide)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            int count = TSimd.Count;
            int p = 0;
            if (rows == DirectTileRows)
            {
                for (; p <= length - (3 * count); p += 3 * count)
                {
                    Correlate4x3<TSimd, TVector>(ref Unsafe.Add(ref planes, p), taps, ref w, weightStride, ref Unsafe.Add(ref wide, p), length);
                }

                for (int r = 0; r < rows; r++)
                {
                    CorrelateTail<TSimd, TVector>(ref planes, taps, ref Unsafe.Add(ref w, (nint)r * weightStride), ref Unsafe.Add(ref wide, (nint)r * length), p, length);
                }

                return;
            }

            for (int r = 0; r < rows; r++)
            {
                ref float rowWeights = ref Unsafe.Add(ref w, (nint)r * weightStride);
                ref float rowWide = ref Unsafe.Add(ref wide, (nint)r * length);
                int q = 0;
                for (; q <= length - (8 * count); q += 8 * count)
                {
                    Correlate1x8<TSimd, TVector>(ref Unsafe.Add(ref planes, q), taps, ref rowWeights, ref Unsafe.Add(ref rowWide, q));
                }

                CorrelateTail<TSimd, TVector>(ref planes, taps, ref rowWeights, ref rowWide, q, length);
            }
        }

        /// <summary>Computes one weight row's wide outputs from <paramref name="start"/> to <paramref name="length"/>, one vector at a time.</summary>
        private static void CorrelateTail<TSimd, TVector>(ref float planes, in DirectTaps taps, ref float w, ref float wide, int start, int length)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            int count = TSimd.Count;
            int p = start;
            for (; p <= length - count; p += count)
            {
                Correlate1x1<TSimd, TVector>(ref Unsafe.Add(ref planes, p), taps, ref w, ref Unsafe.Add(ref wide, p));
            }

            if (p < length)
            {
                // The last vector ends at the end of the row; the overlapped lanes get the same values again.
                p = length - count;
                Correlate1x1<TSimd, TVector>(ref Unsafe.Add(ref planes, p), taps, ref w, ref Unsafe.Add(ref wide, p));
            }
        }

        /// <summary>Writes three vectors of wide outputs for four weight rows; the output rows are <paramref name="wideStride"/> apart.</summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void Correlate4x3<TSimd, TVector>(ref float planes, in DirectTaps taps, ref float w, int weightStride, ref float wide, int wideStride)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            TVector a00 = TSimd.Zero, a01 = TSimd.Zero, a02 = TSimd.Zero, a10 = TSimd.Zero, a11 = TSimd.Zero, a12 = TSimd.Zero;
            TVector a20 = TSimd.Zero, a21 = TSimd.Zero, a22 = TSimd.Zero, a30 = TSimd.Zero, a31 = TSimd.Zero, a32 = TSimd.Zero;
            nint count = TSimd.Count;
            nint stride = weightStride;
            ref float w0 = ref w;
            ref float w1 = ref Unsafe.Add(ref w, stride);
            ref float w2 = ref Unsafe.Add(ref w, 2 * stride);
            ref float w3 = ref Unsafe.Add(ref w, 3 * stride);
            nint tap = 0;
            for (int ci = 0; ci < taps.Channels; ci++)
            {
                ref float plane = ref Unsafe.Add(ref planes, (nint)ci * taps.PlaneStride);
                for (int kh = 0; kh < taps.KernelHeight; kh++)
                {
                    ref float row = ref Unsafe.Add(ref plane, (nint)kh * taps.RowStep);
                    for (int kw = 0; kw < taps.KernelWidth; kw++, tap++)
                    {
                        ref float source = ref Unsafe.Add(ref row, (nint)kw * taps.ColumnStep);
                        TVector x0 = TSimd.Load(ref source);
                        TVector x1 = TSimd.Load(ref Unsafe.Add(ref source, count));
                        TVector x2 = TSimd.Load(ref Unsafe.Add(ref source, 2 * count));
                        TVector k = TSimd.Broadcast(Unsafe.Add(ref w0, tap));
                        a00 = TSimd.MultiplyAdd(k, x0, a00);
                        a01 = TSimd.MultiplyAdd(k, x1, a01);
                        a02 = TSimd.MultiplyAdd(k, x2, a02);
                        k = TSimd.Broadcast(Unsafe.Add(ref w1, tap));
                        a10 = TSimd.MultiplyAdd(k, x0, a10);
                        a11 = TSimd.MultiplyAdd(k, x1, a11);
                        a12 = TSimd.MultiplyAdd(k, x2, a12);
                        k = TSimd.Broadcast(Unsafe.Add(ref w2, tap));
                        a20 = TSimd.MultiplyAdd(k, x0, a20);
                        a21 = TSimd.MultiplyAdd(k, x1, a21);
                        a22 = TSimd.MultiplyAdd(k, x2, a22);
                        k = TSimd.Broadcast(Unsafe.Add(ref w3, tap));
                        a30 = TSimd.MultiplyAdd(k, x0, a30);
                        a31 = TSimd.MultiplyAdd(k, x1, a31);
                        a32 = TSimd.MultiplyAdd(k, x2, a32);
                    }
                }
            }

            nint rowStride = wideStride;
            StoreThree<TSimd, TVector>(ref wide, a00, a01, a02);
            StoreThree<TSimd, TVector>(ref Unsafe.Add(ref wide, rowStride), a10, a11, a12);
            StoreThree<TSimd, TVector>(ref Unsafe.Add(ref wide, 2 * rowStride), a20, a21, a22);
            StoreThree<TSimd, TVector>(ref Unsafe.Add(ref wide, 3 * rowStride), a30, a31, a32);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StoreThree<TSimd, TVector>(ref float destination, TVector first, TVector second, TVector third)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            TSimd.Store(ref destination, first);
            TSimd.Store(ref Unsafe.Add(ref destination, TSimd.Count), second);
            TSimd.Store(ref Unsafe.Add(ref destination, 2 * TSimd.Count), third);
        }

        /// <summary>Writes eight vectors of wide outputs for one weight row.</summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void Correlate1x8<TSimd, TVector>(ref float planes, in DirectTaps taps, ref float w, ref float wide)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            TVector a0 = TSimd.Zero, a1 = TSimd.Zero, a2 = TSimd.Zero, a3 = TSimd.Zero;
            TVector a4 = TSimd.Zero, a5 = TSimd.Zero, a6 = TSimd.Zero, a7 = TSimd.Zero;
            nint count = TSimd.Count;
            nint tap = 0;
            for (int ci = 0; ci < taps.Channels; ci++)
            {
                ref float plane = ref Unsafe.Add(ref planes, (nint)ci * taps.PlaneStride);
                for (int kh = 0; kh < taps.KernelHeight; kh++)
                {
                    ref float row = ref Unsafe.Add(ref plane, (nint)kh * taps.RowStep);
                    for (int kw = 0; kw < taps.KernelWidth; kw++, tap++)
                    {
                        ref float source = ref Unsafe.Add(ref row, (nint)kw * taps.ColumnStep);
                        TVector k = TSimd.Broadcast(Unsafe.Add(ref w, tap));
                        a0 = TSimd.MultiplyAdd(k, TSimd.Load(ref source), a0);
                        a1 = TSimd.MultiplyAdd(k, TSimd.Load(ref Unsafe.Add(ref source, count)), a1);
                        a2 = TSimd.MultiplyAdd(k, TSimd.Load(ref Unsafe.Add(ref source, 2 * count)), a2);
                        a3 = TSimd.MultiplyAdd(k, TSimd.Load(ref Unsafe.Add(ref source, 3 * count)), a3);
                        a4 = TSimd.MultiplyAdd(k, TSimd.Load(ref Unsafe.Add(ref source, 4 * count)), a4);
                        a5 = TSimd.MultiplyAdd(k, TSimd.Load(ref Unsafe.Add(ref source, 5 * count)), a5);
                        a6 = TSimd.MultiplyAdd(k, TSimd.Load(ref Unsafe.Add(ref source, 6 * count)), a6);
                        a7 = TSimd.MultiplyAdd(k, TSimd.Load(ref Unsafe.Add(ref source, 7 * count)), a7);
                    }
                }
            }

            StoreThree<TSimd, TVector>(ref wide, a0, a1, a2);
            StoreThree<TSimd, TVector>(ref Unsafe.Add(ref wide, 3 * count), a3, a4, a5);
            TSimd.Store(ref Unsafe.Add(ref wide, 6 * count), a6);
            TSimd.Store(ref Unsafe.Add(ref wide, 7 * count), a7);
        }

        /// <summary>Writes one vector of wide outputs for one weight row.</summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void Correlate1x1<TSimd, TVector>(ref float planes, in DirectTaps taps, ref float w, ref float wide)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            TVector a = TSimd.Zero;
            nint tap = 0;
            for (int ci = 0; ci < taps.Channels; ci++)
            {
                ref float plane = ref Unsafe.Add(ref planes, (nint)ci * taps.PlaneStride);
                for (int kh = 0; kh < taps.KernelHeight; kh++)
                {
                    ref float row = ref Unsafe.Add(ref plane, (nint)kh * taps.RowStep);
                    for (int kw = 0; kw < taps.KernelWidth; kw++, tap++)
                    {
                        a = TSimd.MultiplyAdd(TSimd.Broadcast(Unsafe.Add(ref w, tap)), TSimd.Load(ref Unsafe.Add(ref row, (nint)kw * taps.ColumnStep)), a);
                    }
                }
            }

            TSimd.Store(ref wide, a);
        }

        /// <summary>
        /// Adds <c>Σ_p gradients[co, p]·padded[ci, p + off(kh,kw)]</c> to <c>dw[co, ci, kh, kw]</c> for every
        /// weight, four output channels and three taps at a time.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void WeightGradientCore<TSimd, TVector>(ref float padded, ref float gradients, ref float dw, in DirectTaps taps, in ConvGeometry g, int length)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            TVector tailMask = TSimd.UpperLanesMask(length % TSimd.Count);
            int reduction = g.ReductionLength;
            int kernelArea = g.KernelHeight * g.KernelWidth;
            int inPerGroup = g.InChannelsPerGroup;
            int outPerGroup = g.OutChannelsPerGroup;
            for (int group = 0; group < g.Groups; group++)
            {
                ref float planes = ref Unsafe.Add(ref padded, (nint)group * inPerGroup * taps.PlaneStride);
                for (int co = group * outPerGroup, end = co + outPerGroup; co < end; co += DirectTileRows)
                {
                    int rows = Math.Min(DirectTileRows, end - co);
                    ref float gradientRows = ref Unsafe.Add(ref gradients, (nint)co * length);
                    ref float dwRows = ref Unsafe.Add(ref dw, (nint)co * reduction);
                    for (int tap = 0; tap < reduction; tap += 3)
                    {
                        // Fewer than three taps may remain; the missing ones repeat the last tap and are not stored.
                        int tapCount = Math.Min(3, reduction - tap);
                        ref float first = ref Unsafe.Add(ref planes, TapOffset(taps, tap, kernelArea));
                        ref float second = ref Unsafe.Add(ref planes, TapOffset(taps, tap + Math.Min(1, tapCount - 1), kernelArea));
                        ref float third = ref Unsafe.Add(ref planes, TapOffset(taps, tap + tapCount - 1, kernelArea));
                        if (rows == DirectTileRows)
                        {
                            DotProducts4x3<TSimd, TVector>(ref gradientRows, length, ref first, ref second, ref third, tailMask, ref Unsafe.Add(ref dwRows, tap), reduction, tapCount);
                            continue;
                        }

                        for (int r = 0; r < rows; r++)
                        {
                            DotProducts1x3<TSimd, TVector>(ref Unsafe.Add(ref gradientRows, (nint)r * length), length, ref first, ref second, ref third, tailMask,
                                ref Unsafe.Add(ref dwRows, ((nint)r * reduction) + tap), tapCount);
                        }
                    }
                }
            }
        }

        /// <summary>Returns the flat offset of tap t = (ci·KH + kh)·KW + kw within a group's padded planes.</summary>
        private static nint TapOffset(in DirectTaps taps, int tap, int kernelArea)
        {
            int ci = tap / kernelArea;
            int inKernel = tap - (ci * kernelArea);
            int kh = inKernel / taps.KernelWidth;
            int kw = inKernel - (kh * taps.KernelWidth);
            return ((nint)ci * taps.PlaneStride) + ((nint)kh * taps.RowStep) + ((nint)kw * taps.ColumnStep);
        }

        /// <summary>
        /// Adds <c>gradients[r,:]·first</c>, <c>·second</c> and <c>·third</c> to <c>dw[r, 0..tapCount)</c>
        /// for rows r &lt; 4, which are <paramref name="length"/> apart in gradients and <paramref name="dwStride"/> apart in dw.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void DotProducts4x3<TSimd, TVector>(ref float gradients, int length, ref float first, ref float second, ref float third, TVector tailMask, ref float dw, int dwStride, int tapCount)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            nint stride = length;
            ref float d0 = ref gradients;
            ref float d1 = ref Unsafe.Add(ref gradients, stride);
            ref float d2 = ref Unsafe.Add(ref gradients, 2 * stride);
            ref float d3 = ref Unsafe.Add(ref gradients, 3 * stride);
            TVector a00 = TSimd.Zero, a01 = TSimd.Zero, a02 = TSimd.Zero, a10 = TSimd.Zero, a11 = TSimd.Zero, a12 = TSimd.Zero;
            TVector a20 = TSimd.Zero, a21 = TSimd.Zero, a22 = TSimd.Zero, a30 = TSimd.Zero, a31 = TSimd.Zero, a32 = TSimd.Zero;

            nint i = 0;
            nint lastFull = stride - TSimd.Count;
            TVector mask = TSimd.UpperLanesMask(TSimd.Count);
            while (true)
            {
                if (i > lastFull)
                {
                    if (i >= stride)
                    {
                        break;
                    }

                    // The last vector ends at the end of the rows and overlaps the previous one. Both
                    // operands are masked so the overlapped lanes add 0·0.
                    i = lastFull;
                    mask = tailMask;
                }

                TVector x0 = TSimd.And(TSimd.Load(ref Unsafe.Add(ref first, i)), mask);
                TVector x1 = TSimd.And(TSimd.Load(ref Unsafe.Add(ref second, i)), mask);
                TVector x2 = TSimd.And(TSimd.Load(ref Unsafe.Add(ref third, i)), mask);
                TVector d = TSimd.Load(ref Unsafe.Add(ref d0, i));
                a00 = TSimd.MultiplyAdd(d, x0, a00);
                a01 = TSimd.MultiplyAdd(d, x1, a01);
                a02 = TSimd.MultiplyAdd(d, x2, a02);
                d = TSimd.Load(ref Unsafe.Add(ref d1, i));
                a10 = TSimd.MultiplyAdd(d, x0, a10);
                a11 = TSimd.MultiplyAdd(d, x1, a11);
                a12 = TSimd.MultiplyAdd(d, x2, a12);
                d = TSimd.Load(ref Unsafe.Add(ref d2, i));
                a20 = TSimd.MultiplyAdd(d, x0, a20);
                a21 = TSimd.MultiplyAdd(d, x1, a21);
                a22 = TSimd.MultiplyAdd(d, x2, a22);
                d = TSimd.Load(ref Unsafe.Add(ref d3, i));
                a30 = TSimd.MultiplyAdd(d, x0, a30);
                a31 = TSimd.MultiplyAdd(d, x1, a31);
                a32 = TSimd.MultiplyAdd(d, x2, a32);
                i += TSimd.Count;
            }

            nint row = dwStride;
            AddSums<TSimd, TVector>(ref dw, a00, a01, a02, tapCount);
            AddSums<TSimd, TVector>(ref Unsafe.Add(ref dw, row), a10, a11, a12, tapCount);
            AddSums<TSimd, TVector>(ref Unsafe.Add(ref dw, 2 * row), a20, a21, a22, tapCount);
            AddSums<TSimd, TVector>(ref Unsafe.Add(ref dw, 3 * row), a30, a31, a32, tapCount);
        }

        /// <summary>Adds <c>gradients·first</c>, <c>·second</c> and <c>·third</c> to <c>dw[0..tapCount)</c>.</summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void DotProducts1x3<TSimd, TVector>(ref float gradients, int length, ref float first, ref float second, ref float third, TVector tailMask, ref float dw, int tapCount)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            TVector a0 = TSimd.Zero, a1 = TSimd.Zero, a2 = TSimd.Zero;
            nint i = 0;
            nint lastFull = length - TSimd.Count;
            for (; i <= lastFull; i += TSimd.Count)
            {
                TVector d = TSimd.Load(ref Unsafe.Add(ref gradients, i));
                a0 = TSimd.MultiplyAdd(d, TSimd.Load(ref Unsafe.Add(ref first, i)), a0);
                a1 = TSimd.MultiplyAdd(d, TSimd.Load(ref Unsafe.Add(ref second, i)), a1);
                a2 = TSimd.MultiplyAdd(d, TSimd.Load(ref Unsafe.Add(ref third, i)), a2);
            }

            if (i < length)
            {
                i = lastFull;
                TVector d = TSimd.And(TSimd.Load(ref Unsafe.Add(ref gradients, i)), tailMask);
                a0 = TSimd.MultiplyAdd(d, TSimd.And(TSimd.Load(ref Unsafe.Add(ref first, i)), tailMask), a0);
                a1 = TSimd.MultiplyAdd(d, TSimd.And(TSimd.Load(ref Unsafe.Add(ref second, i)), tailMask), a1);
                a2 = TSimd.MultiplyAdd(d, TSimd.And(TSimd.Load(ref Unsafe.Add(ref third, i)), tailMask), a2);
            }

            AddSums<TSimd, TVector>(ref dw, a0, a1, a2, tapCount);
        }

        /// <summary>Adds the lane sums of the first <paramref name="tapCount"/> accumulators to consecutive floats.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void AddSums<TSimd, TVector>(ref float destination, TVector first, TVector second, TVector third, int tapCount)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            destination += TSimd.Sum(first);
            if (tapCount > 1)
            {
                Unsafe.Add(ref destination, 1) += TSimd.Sum(second);
            }

            if (tapCount > 2)
            {
                Unsafe.Add(ref destination, 2) += TSimd.Sum(third);
            }
        }
    }

    /// <summary>How the direct kernels walk the taps of one group: channels, plane stride and the flat offset of one kernel row and column step.</summary>
    internal readonly struct DirectTaps
    {
        public DirectTaps(int channels, int planeStride, int kernelHeight, int kernelWidth, int rowStep, int columnStep)
        {
            Channels = channels;
            PlaneStride = planeStride;
            KernelHeight = kernelHeight;
            KernelWidth = kernelWidth;
            RowStep = rowStep;
            ColumnStep = columnStep;
        }

        /// <summary>Channels the sum runs over.</summary>
        public int Channels { get; }

        /// <summary>Floats between the starts of two channel planes.</summary>
        public int PlaneStride { get; }

        /// <summary>Kernel rows KH.</summary>
        public int KernelHeight { get; }

        /// <summary>Kernel columns KW.</summary>
        public int KernelWidth { get; }

        /// <summary>Flat offset between two kernel rows: dilation height · padded width.</summary>
        public int RowStep { get; }

        /// <summary>Flat offset between two kernel columns: the dilation width.</summary>
        public int ColumnStep { get; }
    }
}
