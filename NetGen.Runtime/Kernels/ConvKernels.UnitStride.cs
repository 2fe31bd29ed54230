using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NetGen.Kernels
{
    // im2col and col2im at stride 1, through a zero-padded copy of the sample. With stride 1,
    // column row k = (ci, kh, kw) at output row oh is OW consecutive floats of padded plane ci,
    // starting at (oh + kh·dh)·Wp + kw·dw, so every output row is one short copy with no bounds
    // checks, done in whole vectors. A vector that passes the end of an output row spills into
    // the next row, which the following copy overwrites, and into margins of one vector after the
    // columns and after the padded planes. The general Unfold and FoldAdd spend most of their time
    // in the calls and border checks of rows this short (14 floats in the Fashion-MNIST CNN).
    public static partial class ConvKernels
    {
        /// <summary>Floats after the columns and after the padded planes that a spilling vector may touch: one 512-bit vector.</summary>
        private const int SpillMargin = 16;

        /// <summary>Whether the im2col kernels unfold and fold through padded planes (<see cref="UnfoldUnitStride"/>).</summary>
        private static bool UsesPaddedUnfold(in ConvGeometry g) => HasUnitStride(g);

        /// <summary>Returns the floats of the padded planes and their margin, or 0 where <see cref="UsesPaddedUnfold"/> is false.</summary>
        private static long PaddedUnfoldLength(in ConvGeometry g) =>
            UsesPaddedUnfold(g) ? ((long)g.InChannels * g.PaddedHeight * g.PaddedWidth) + SpillMargin : 0;

        /// <summary>Writes the columns [K, P] of group <paramref name="group"/> from the padded planes of the whole sample.</summary>
        /// <remarks><paramref name="columns"/> must have <see cref="SpillMargin"/> floats after K·P, and <paramref name="padded"/> after its planes.</remarks>
        private static void UnfoldUnitStride(ReadOnlySpan<float> padded, Span<float> columns, in ConvGeometry g, int group) =>
            UnfoldUnitStrideSamples(padded, padded, 1, columns, g, group);

        /// <summary>
        /// Writes the columns of <paramref name="samples"/> (1 or 2) samples side by side: row k is
        /// [K, samples·P] with the first sample's P positions, from <paramref name="padded"/>, then
        /// the second's, from <paramref name="secondPadded"/>.
        /// </summary>
        /// <remarks>
        /// Each row is written sample after sample and the rows in order, so a vector that spills
        /// past one sample's positions lands on data that a later copy writes.
        /// </remarks>
        private static void UnfoldUnitStrideSamples(ReadOnlySpan<float> padded, ReadOnlySpan<float> secondPadded, int samples, Span<float> columns, in ConvGeometry g, int group)
        {
            ref float paddedStart = ref MemoryMarshal.GetReference(padded);
            ref float secondStart = ref MemoryMarshal.GetReference(secondPadded);
            ref float columnsStart = ref MemoryMarshal.GetReference(columns);
            if (Vector512Fma.IsSupported)
            {
                UnfoldUnitStrideCore<Vector512Fma, Vector512<float>>(ref paddedStart, ref secondStart, samples, ref columnsStart, g, group);
            }
            else if (Vector256Fma.IsSupported)
            {
                UnfoldUnitStrideCore<Vector256Fma, Vector256<float>>(ref paddedStart, ref secondStart, samples, ref columnsStart, g, group);
            }
            else if (Vector128Simd.IsSupported)
            {
                UnfoldUnitStrideCore<Vector128Simd, Vector128<float>>(ref paddedStart, ref secondStart, samples, ref columnsStart, g, group);
            }
            else
            {
                UnfoldUnitStrideCore<ScalarSimd, float>(ref paddedStart, ref secondStart, samples, ref columnsStart, g, group);
            }
        }

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void UnfoldUnitStrideCore<TSimd, TVector>(ref float padded, ref float secondPadded, int samples, ref float columns, in ConvGeometry g, int group)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            int paddedWidth = g.PaddedWidth;
            int paddedPlane = g.PaddedHeight * paddedWidth;
            int outHeight = g.OutHeight;
            int outWidth = g.OutWidth;
            int count = TSimd.Count;
            nint row = 0;
            nint planeOffset = (nint)group * g.InChannelsPerGroup * paddedPlane;
            for (int ci = 0; ci < g.InChannelsPerGroup; ci++, planeOffset += paddedPlane)
            {
                for (int kh = 0; kh < g.KernelHeight; kh++)
                {
                    for (int kw = 0; kw < g.KernelWidth; kw++)
                    {
                        nint tapOffset = planeOffset + (kh * g.DilationHeight * paddedWidth) + (kw * g.DilationWidth);
                        for (int sample = 0; sample < samples; sample++)
                        {
                            ref float source = ref Unsafe.Add(ref sample == 0 ? ref padded : ref secondPadded, tapOffset);
                            for (int oh = 0; oh < outHeight; oh++, row += outWidth)
                            {
                                ref float sourceRow = ref Unsafe.Add(ref source, oh * paddedWidth);
                                ref float target = ref Unsafe.Add(ref columns, row);
                                for (int ow = 0; ow < outWidth; ow += count)
                                {
                                    TSimd.Store(ref Unsafe.Add(ref target, ow), TSimd.Load(ref Unsafe.Add(ref sourceRow, ow)));
                                }
                            }
                        }
                    }
                }
            }
        }

        /// <summary>Adds the columns [K, P] of group <paramref name="group"/> onto the padded planes of the input gradient.</summary>
        /// <remarks>The margins are as in <see cref="UnfoldUnitStride"/>; the lanes past each output row add zero.</remarks>
        private static void FoldAddUnitStride(ReadOnlySpan<float> columns, Span<float> padded, in ConvGeometry g, int group) =>
            FoldAddUnitStrideSamples(columns, padded, padded, 1, g, group);

        /// <summary>
        /// Adds columns laid out as <see cref="UnfoldUnitStrideSamples"/> writes them, for
        /// <paramref name="samples"/> (1 or 2) samples, onto the padded planes of each sample's input gradient.
        /// </summary>
        private static void FoldAddUnitStrideSamples(ReadOnlySpan<float> columns, Span<float> padded, Span<float> secondPadded, int samples, in ConvGeometry g, int group)
        {
            ref float columnsStart = ref MemoryMarshal.GetReference(columns);
            ref float paddedStart = ref MemoryMarshal.GetReference(padded);
            ref float secondStart = ref MemoryMarshal.GetReference(secondPadded);
            if (Vector512Fma.IsSupported)
            {
                FoldAddUnitStrideCore<Vector512Fma, Vector512<float>>(ref columnsStart, ref paddedStart, ref secondStart, samples, g, group);
            }
            else if (Vector256Fma.IsSupported)
            {
                FoldAddUnitStrideCore<Vector256Fma, Vector256<float>>(ref columnsStart, ref paddedStart, ref secondStart, samples, g, group);
            }
            else if (Vector128Simd.IsSupported)
            {
                FoldAddUnitStrideCore<Vector128Simd, Vector128<float>>(ref columnsStart, ref paddedStart, ref secondStart, samples, g, group);
            }
            else
            {
                FoldAddUnitStrideCore<ScalarSimd, float>(ref columnsStart, ref paddedStart, ref secondStart, samples, g, group);
            }
        }

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void FoldAddUnitStrideCore<TSimd, TVector>(ref float columns, ref float padded, ref float secondPadded, int samples, in ConvGeometry g, int group)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            int paddedWidth = g.PaddedWidth;
            int paddedPlane = g.PaddedHeight * paddedWidth;
            int outHeight = g.OutHeight;
            int outWidth = g.OutWidth;
            int count = TSimd.Count;
            int lastStart = (outWidth - 1) / count * count;
            TVector one = TSimd.Broadcast(1f);

            // The last vector of a row keeps only its first OW − lastStart lanes: every lane
            // except the last count − keep, which UpperLanesMask sets.
            int keep = outWidth - lastStart;
            TVector lastMask = keep < count ? TSimd.Select(TSimd.UpperLanesMask(count - keep), TSimd.Zero, TSimd.UpperLanesMask(count)) : TSimd.Zero;

            nint row = 0;
            nint planeOffset = (nint)group * g.InChannelsPerGroup * paddedPlane;
            for (int ci = 0; ci < g.InChannelsPerGroup; ci++, planeOffset += paddedPlane)
            {
                for (int kh = 0; kh < g.KernelHeight; kh++)
                {
                    for (int kw = 0; kw < g.KernelWidth; kw++)
                    {
                        nint tapOffset = planeOffset + (kh * g.DilationHeight * paddedWidth) + (kw * g.DilationWidth);
                        for (int sample = 0; sample < samples; sample++)
                        {
                            ref float target = ref Unsafe.Add(ref sample == 0 ? ref padded : ref secondPadded, tapOffset);
                            for (int oh = 0; oh < outHeight; oh++, row += outWidth)
                            {
                                ref float targetRow = ref Unsafe.Add(ref target, oh * paddedWidth);
                                ref float source = ref Unsafe.Add(ref columns, row);
                                int ow = 0;
                                for (; ow < lastStart; ow += count)
                                {
                                    ref float sum = ref Unsafe.Add(ref targetRow, ow);
                                    TSimd.Store(ref sum, TSimd.MultiplyAdd(TSimd.Load(ref Unsafe.Add(ref source, ow)), one, TSimd.Load(ref sum)));
                                }

                                ref float lastSum = ref Unsafe.Add(ref targetRow, ow);
                                TVector lastSource = keep < count ? TSimd.And(TSimd.Load(ref Unsafe.Add(ref source, ow)), lastMask) : TSimd.Load(ref Unsafe.Add(ref source, ow));
                                TSimd.Store(ref lastSum, TSimd.MultiplyAdd(lastSource, one, TSimd.Load(ref lastSum)));
                            }
                        }
                    }
                }
            }
        }

        /// <summary>Copies one sample into the zero-padded planes of <see cref="UnfoldUnitStride"/>, margin included.</summary>
        private static void PadInputWithMargin(ReadOnlySpan<float> x, Span<float> padded, in ConvGeometry g)
        {
            padded.Clear();
            ref float xStart = ref MemoryMarshal.GetReference(x);
            ref float paddedStart = ref MemoryMarshal.GetReference(padded);
            if (Vector512Fma.IsSupported && g.InWidth >= Vector512<float>.Count / 2)
            {
                PadRowsCore<Vector512Fma, Vector512<float>>(ref xStart, x.Length, ref paddedStart, g);
            }
            else if (Vector256Fma.IsSupported && g.InWidth >= Vector256<float>.Count / 2)
            {
                PadRowsCore<Vector256Fma, Vector256<float>>(ref xStart, x.Length, ref paddedStart, g);
            }
            else
            {
                PadInput(x, padded.Slice(0, padded.Length - SpillMargin), g);
            }
        }

        /// <summary>
        /// Copies the input rows into the padded planes in whole vectors. The lanes past a row's end
        /// store zeros over the padding and the start of the next row, which that row's copy
        /// rewrites. The last rows of the sample, whose vectors would read past x, copy exactly.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void PadRowsCore<TSimd, TVector>(ref float x, int inputLength, ref float padded, in ConvGeometry g)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            int width = g.InWidth;
            int paddedWidth = g.PaddedWidth;
            int paddedPlane = g.PaddedHeight * paddedWidth;
            int count = TSimd.Count;
            int lastStart = (width - 1) / count * count;
            int keep = width - lastStart;
            TVector lastMask = keep < count ? TSimd.Select(TSimd.UpperLanesMask(count - keep), TSimd.Zero, TSimd.UpperLanesMask(count)) : TSimd.UpperLanesMask(count);
            for (int ci = 0; ci < g.InChannels; ci++)
            {
                for (int ih = 0; ih < g.InHeight; ih++)
                {
                    int source = ((ci * g.InHeight) + ih) * width;
                    ref float sourceRow = ref Unsafe.Add(ref x, source);
                    ref float target = ref Unsafe.Add(ref padded, (ci * paddedPlane) + ((ih + g.PadTop) * paddedWidth) + g.PadLeft);
                    if (source + lastStart + count > inputLength)
                    {
                        // The last rows of the sample: an exact copy that reads nothing past x.
                        for (int iw = 0; iw < width; iw++)
                        {
                            Unsafe.Add(ref target, iw) = Unsafe.Add(ref sourceRow, iw);
                        }

                        continue;
                    }

                    int column = 0;
                    for (; column < lastStart; column += count)
                    {
                        TSimd.Store(ref Unsafe.Add(ref target, column), TSimd.Load(ref Unsafe.Add(ref sourceRow, column)));
                    }

                    TSimd.Store(ref Unsafe.Add(ref target, column), TSimd.And(TSimd.Load(ref Unsafe.Add(ref sourceRow, column)), lastMask));
                }
            }
        }

        /// <summary>Copies the interior of padded planes, without the padding, into an NCHW sample.</summary>
        private static void CopyInterior(ReadOnlySpan<float> padded, Span<float> x, in ConvGeometry g)
        {
            ref float paddedStart = ref MemoryMarshal.GetReference(padded);
            ref float xStart = ref MemoryMarshal.GetReference(x);
            if (Vector512Fma.IsSupported)
            {
                CopyInteriorCore<Vector512Fma, Vector512<float>>(ref paddedStart, ref xStart, x.Length, g);
            }
            else if (Vector256Fma.IsSupported)
            {
                CopyInteriorCore<Vector256Fma, Vector256<float>>(ref paddedStart, ref xStart, x.Length, g);
            }
            else
            {
                CopyInteriorCore<ScalarSimd, float>(ref paddedStart, ref xStart, x.Length, g);
            }
        }

        /// <summary>
        /// Copies the rows in whole vectors. A vector may read into the padded planes' margin and
        /// store over the start of the next row of x, which that row's copy rewrites. Vectors that
        /// would store past the end of x copy element by element.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void CopyInteriorCore<TSimd, TVector>(ref float padded, ref float x, int sampleLength, in ConvGeometry g)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            int width = g.InWidth;
            int paddedWidth = g.PaddedWidth;
            int paddedPlane = g.PaddedHeight * paddedWidth;
            int count = TSimd.Count;
            for (int ci = 0; ci < g.InChannels; ci++)
            {
                for (int ih = 0; ih < g.InHeight; ih++)
                {
                    int target = ((ci * g.InHeight) + ih) * width;
                    ref float targetRow = ref Unsafe.Add(ref x, target);
                    ref float source = ref Unsafe.Add(ref padded, (ci * paddedPlane) + ((ih + g.PadTop) * paddedWidth) + g.PadLeft);
                    int column = 0;
                    for (; column < width && target + column + count <= sampleLength; column += count)
                    {
                        TSimd.Store(ref Unsafe.Add(ref targetRow, column), TSimd.Load(ref Unsafe.Add(ref source, column)));
                    }

                    for (; column < width; column++)
                    {
                        Unsafe.Add(ref targetRow, column) = Unsafe.Add(ref source, column);
                    }
                }
            }
        }
    }
}
