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
        private static void UnfoldUnitStride(ReadOnlySpan<float> padded, Span<float> columns, in ConvGeometry g, int group)
        {
            ref float paddedStart = ref MemoryMarshal.GetReference(padded);
            ref float columnsStart = ref MemoryMarshal.GetReference(columns);
            if (Vector512Fma.IsSupported)
            {
                UnfoldUnitStrideCore<Vector512Fma, Vector512<float>>(ref paddedStart, ref columnsStart, g, group);
            }
            else if (Vector256Fma.IsSupported)
            {
                UnfoldUnitStrideCore<Vector256Fma, Vector256<float>>(ref paddedStart, ref columnsStart, g, group);
            }
            else if (Vector128Simd.IsSupported)
            {
                UnfoldUnitStrideCore<Vector128Simd, Vector128<float>>(ref paddedStart, ref columnsStart, g, group);
            }
            else
            {
                UnfoldUnitStrideCore<ScalarSimd, float>(ref paddedStart, ref columnsStart, g, group);
            }
        }

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void UnfoldUnitStrideCore<TSimd, TVector>(ref float padded, ref float columns, in ConvGeometry g, int group)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            int paddedWidth = g.PaddedWidth;
            int paddedPlane = g.PaddedHeight * paddedWidth;
            int outHeight = g.OutHeight;
            int outWidth = g.OutWidth;
            int count = TSimd.Count;
            nint row = 0;
            for (int ci = 0; ci < g.InChannelsPerGroup; ci++)
            {
                ref float plane = ref Unsafe.Add(ref padded, (nint)((group * g.InChannelsPerGroup) + ci) * paddedPlane);
                for (int kh = 0; kh < g.KernelHeight; kh++)
                {
                    for (int kw = 0; kw < g.KernelWidth; kw++)
                    {
                        ref float source = ref Unsafe.Add(ref plane, (kh * g.DilationHeight * paddedWidth) + (kw * g.DilationWidth));
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

        /// <summary>Adds the columns [K, P] of group <paramref name="group"/> onto the padded planes of the input gradient.</summary>
        /// <remarks>The margins are as in <see cref="UnfoldUnitStride"/>; the lanes past each output row add zero.</remarks>
        private static void FoldAddUnitStride(ReadOnlySpan<float> columns, Span<float> padded, in ConvGeometry g, int group)
        {
            ref float columnsStart = ref MemoryMarshal.GetReference(columns);
            ref float paddedStart = ref MemoryMarshal.GetReference(padded);
            if (Vector512Fma.IsSupported)
            {
                FoldAddUnitStrideCore<Vector512Fma, Vector512<float>>(ref columnsStart, ref paddedStart, g, group);
            }
            else if (Vector256Fma.IsSupported)
            {
                FoldAddUnitStrideCore<Vector256Fma, Vector256<float>>(ref columnsStart, ref paddedStart, g, group);
            }
            else if (Vector128Simd.IsSupported)
            {
                FoldAddUnitStrideCore<Vector128Simd, Vector128<float>>(ref columnsStart, ref paddedStart, g, group);
            }
            else
            {
                FoldAddUnitStrideCore<ScalarSimd, float>(ref columnsStart, ref paddedStart, g, group);
            }
        }

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void FoldAddUnitStrideCore<TSimd, TVector>(ref float columns, ref float padded, in ConvGeometry g, int group)
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
            for (int ci = 0; ci < g.InChannelsPerGroup; ci++)
            {
                ref float plane = ref Unsafe.Add(ref padded, (nint)((group * g.InChannelsPerGroup) + ci) * paddedPlane);
                for (int kh = 0; kh < g.KernelHeight; kh++)
                {
                    for (int kw = 0; kw < g.KernelWidth; kw++)
                    {
                        ref float target = ref Unsafe.Add(ref plane, (kh * g.DilationHeight * paddedWidth) + (kw * g.DilationWidth));
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

        /// <summary>Copies the interior of padded planes, without the padding, into an NCHW sample.</summary>
        private static void CopyInterior(ReadOnlySpan<float> padded, Span<float> x, in ConvGeometry g)
        {
            int paddedWidth = g.PaddedWidth;
            int paddedPlane = g.PaddedHeight * paddedWidth;
            for (int ci = 0; ci < g.InChannels; ci++)
            {
                for (int ih = 0; ih < g.InHeight; ih++)
                {
                    padded.Slice((ci * paddedPlane) + ((ih + g.PadTop) * paddedWidth) + g.PadLeft, g.InWidth)
                        .CopyTo(x.Slice(((ci * g.InHeight) + ih) * g.InWidth, g.InWidth));
                }
            }
        }
    }
}
