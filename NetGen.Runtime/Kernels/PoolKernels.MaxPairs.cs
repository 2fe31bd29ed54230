using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetGen.Kernels
{
    // Max pooling with 2×2 windows at stride 2 and no padding, the pooling of most CNNs. Output
    // row oh of a plane reads input rows 2·oh and 2·oh + 1, and output ow the columns 2·ow and
    // 2·ow + 1. A vector of N outputs therefore loads 2·N consecutive floats from each of the two
    // rows and splits them into even and odd columns with a permute. The four candidates are taken in
    // row-major window order with the update of UpdateMaxima, which keeps the first maximum and the
    // first NaN, so the outputs and argmax equal those of the general path.
    //
    // A row of fewer than N outputs still computes N lanes. The extra lanes read the following
    // input rows and are stored over the following output rows, which the loop writes again
    // later. Only the rows near the end of the tensor, where a full vector would read or write
    // past the spans, take the scalar loop.
    public static partial class PoolKernels
    {
        /// <summary>Whether <see cref="MaxForwardPairs"/> handles the geometry on this machine.</summary>
        private static bool UsesPairPath(in PoolGeometry g) =>
            g.KernelHeight == 2 && g.KernelWidth == 2 && g.StrideHeight == 2 && g.StrideWidth == 2 &&
            g.PadHeight == 0 && g.PadWidth == 0 && (Vector512Fma.IsSupported || (Vector256Fma.IsSupported && Avx2.IsSupported));

        /// <summary>Runs <see cref="MaxForward"/> for 2×2 windows at stride 2 without padding, on checked spans.</summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void MaxForwardPairs(ReadOnlySpan<float> x, Span<float> y, Span<int> argmax, int batch, in PoolGeometry g)
        {
            int width = g.InWidth;
            int outWidth = g.OutWidth;
            int planeLength = g.InHeight * width;
            int outPlaneLength = g.OutHeight * outWidth;
            int planes = batch * g.Channels;

            // Rows of up to 8 outputs waste fewer lanes in 256-bit vectors.
            bool wide = Vector512Fma.IsSupported && (outWidth > 8 || !(Vector256Fma.IsSupported && Avx2.IsSupported));
            int count = wide ? Vector512<float>.Count : Vector256<float>.Count;
            ref float xStart = ref MemoryMarshal.GetReference(x);
            ref float yStart = ref MemoryMarshal.GetReference(y);
            ref int argmaxStart = ref MemoryMarshal.GetReference(argmax);
            for (int plane = 0; plane < planes; plane++)
            {
                int channelOffset = (plane % g.Channels) * planeLength;
                for (int oh = 0; oh < g.OutHeight; oh++)
                {
                    int top = (plane * planeLength) + (2 * oh * width);
                    int output = (plane * outPlaneLength) + (oh * outWidth);
                    int rowIndex = channelOffset + (2 * oh * width);
                    int ow = 0;
                    for (; ow < outWidth; ow += count)
                    {
                        // Near the end of a row of at least N outputs, the last vector ends at the row's end.
                        int start = ow + count > outWidth && outWidth >= count ? outWidth - count : ow;
                        bool readsInside = top + width + (2 * (start + count)) <= x.Length;
                        bool writesInside = output + start + count <= y.Length;
                        if (!readsInside || !writesInside)
                        {
                            break;
                        }

                        ref float source = ref Unsafe.Add(ref xStart, top + (2 * start));
                        ref float maxima = ref Unsafe.Add(ref yStart, output + start);
                        ref int indices = ref Unsafe.Add(ref argmaxStart, output + start);
                        if (wide)
                        {
                            MaxPairsVector512(ref source, width, rowIndex + (2 * start), ref maxima, ref indices);
                        }
                        else
                        {
                            MaxPairsVector256(ref source, width, rowIndex + (2 * start), ref maxima, ref indices);
                        }
                    }

                    for (; ow < outWidth; ow++)
                    {
                        MaxPairScalar(ref Unsafe.Add(ref xStart, top + (2 * ow)), width, rowIndex + (2 * ow),
                            out Unsafe.Add(ref yStart, output + ow), out Unsafe.Add(ref argmaxStart, output + ow));
                    }
                }
            }
        }

        /// <summary>Writes the maximum and its index of one 2×2 window whose top-left element is <paramref name="source"/>.</summary>
        private static void MaxPairScalar(ref float source, int width, int index, out float maximum, out int argmax)
        {
            maximum = source;
            argmax = index;
            Take(Unsafe.Add(ref source, 1), index + 1, ref maximum, ref argmax);
            Take(Unsafe.Add(ref source, width), index + width, ref maximum, ref argmax);
            Take(Unsafe.Add(ref source, width + 1), index + width + 1, ref maximum, ref argmax);

            static void Take(float value, int valueIndex, ref float maximum, ref int argmax)
            {
                if (value > maximum || (float.IsNaN(value) && !float.IsNaN(maximum)))
                {
                    maximum = value;
                    argmax = valueIndex;
                }
            }
        }

        /// <summary>Writes 16 window maxima and indices from two rows of 32 floats, <paramref name="width"/> apart.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void MaxPairsVector512(ref float source, int width, int index, ref float maxima, ref int indices)
        {
            Vector512<int> even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            Vector512<int> odd = even + Vector512<int>.One;
            ref float bottom = ref Unsafe.Add(ref source, width);
            Vector512<float> top0 = Vector512.LoadUnsafe(ref source);
            Vector512<float> top1 = Vector512.LoadUnsafe(ref Unsafe.Add(ref source, 16));
            Vector512<float> bottom0 = Vector512.LoadUnsafe(ref bottom);
            Vector512<float> bottom1 = Vector512.LoadUnsafe(ref Unsafe.Add(ref bottom, 16));

            Vector512<float> maximum = Avx512F.PermuteVar16x32x2(top0, even, top1);
            Vector512<int> first = Vector512.Create(index) + even;
            Vector512<int> argmax = first;
            TakeLarger512(Avx512F.PermuteVar16x32x2(top0, odd, top1), first + Vector512<int>.One, ref maximum, ref argmax);
            TakeLarger512(Avx512F.PermuteVar16x32x2(bottom0, even, bottom1), first + Vector512.Create(width), ref maximum, ref argmax);
            TakeLarger512(Avx512F.PermuteVar16x32x2(bottom0, odd, bottom1), first + Vector512.Create(width + 1), ref maximum, ref argmax);
            maximum.StoreUnsafe(ref maxima);
            argmax.StoreUnsafe(ref indices);
        }

        /// <summary>Replaces the maximum and its index in each lane where the candidate is larger, or is the first NaN.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void TakeLarger512(Vector512<float> candidate, Vector512<int> candidateIndex, ref Vector512<float> maximum, ref Vector512<int> argmax)
        {
            Vector512<float> candidateIsNaN = ~Vector512.Equals(candidate, candidate);
            Vector512<float> takes = Vector512.GreaterThan(candidate, maximum) | (candidateIsNaN & Vector512.Equals(maximum, maximum));
            maximum = Vector512.ConditionalSelect(takes, candidate, maximum);
            argmax = Vector512.ConditionalSelect(takes.AsInt32(), candidateIndex, argmax);
        }

        /// <summary>Writes 8 window maxima and indices from two rows of 16 floats, <paramref name="width"/> apart.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void MaxPairsVector256(ref float source, int width, int index, ref float maxima, ref int indices)
        {
            ref float bottom = ref Unsafe.Add(ref source, width);
            Vector256<float> top0 = Vector256.LoadUnsafe(ref source);
            Vector256<float> top1 = Vector256.LoadUnsafe(ref Unsafe.Add(ref source, 8));
            Vector256<float> bottom0 = Vector256.LoadUnsafe(ref bottom);
            Vector256<float> bottom1 = Vector256.LoadUnsafe(ref Unsafe.Add(ref bottom, 8));

            Vector256<float> maximum = EvenElements(top0, top1);
            Vector256<int> first = Vector256.Create(index) + Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14);
            Vector256<int> argmax = first;
            TakeLarger256(OddElements(top0, top1), first + Vector256<int>.One, ref maximum, ref argmax);
            TakeLarger256(EvenElements(bottom0, bottom1), first + Vector256.Create(width), ref maximum, ref argmax);
            TakeLarger256(OddElements(bottom0, bottom1), first + Vector256.Create(width + 1), ref maximum, ref argmax);
            maximum.StoreUnsafe(ref maxima);
            argmax.StoreUnsafe(ref indices);
        }

        /// <summary>The 256-bit form of <see cref="TakeLarger512"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void TakeLarger256(Vector256<float> candidate, Vector256<int> candidateIndex, ref Vector256<float> maximum, ref Vector256<int> argmax)
        {
            Vector256<float> candidateIsNaN = ~Vector256.Equals(candidate, candidate);
            Vector256<float> takes = Vector256.GreaterThan(candidate, maximum) | (candidateIsNaN & Vector256.Equals(maximum, maximum));
            maximum = Vector256.ConditionalSelect(takes, candidate, maximum);
            argmax = Vector256.ConditionalSelect(takes.AsInt32(), candidateIndex, argmax);
        }

        /// <summary>Returns the elements at odd positions of the 16 floats in <paramref name="lower"/> and <paramref name="upper"/>, in order.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> OddElements(Vector256<float> lower, Vector256<float> upper)
        {
            // As in EvenElements: lanes 1 and 3 of each 128-bit half, then the middle 64-bit pairs swapped.
            Vector256<float> halves = Avx.Shuffle(lower, upper, 0b11_01_11_01);
            return Avx2.Permute4x64(halves.AsDouble(), 0b11_01_10_00).AsSingle();
        }

        /// <summary>
        /// Runs <see cref="MaxBackward"/> for 2×2 windows at stride 2 without padding, which do not
        /// overlap: each window writes its gradient to its argmax and zeros to its other three
        /// elements, in one pass and without clearing dx first. Returns false, with dx partly
        /// written, if an argmax lies outside its window, so that the caller reruns the general path.
        /// </summary>
        /// <remarks>
        /// A vector of 16 outputs stores 32 floats into each of the two input rows, the whole top row
        /// before the bottom row, so the lanes past the row's end store zeros that later stores
        /// overwrite. Rows whose vectors would pass the end of the spans, and the last
        /// input row of planes with odd height, are written one element at a time.
        /// </remarks>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static bool MaxBackwardPairs(ReadOnlySpan<float> dy, ReadOnlySpan<int> argmax, Span<float> dx, int batch, in PoolGeometry g)
        {
            const int Count = 16;
            int width = g.InWidth;
            int outWidth = g.OutWidth;
            int planeLength = g.InHeight * width;
            int outPlaneLength = g.OutHeight * outWidth;
            int planes = batch * g.Channels;
            ref float dyStart = ref MemoryMarshal.GetReference(dy);
            ref int argmaxStart = ref MemoryMarshal.GetReference(argmax);
            ref float dxStart = ref MemoryMarshal.GetReference(dx);
            Vector512<int> lanes = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
            Vector512<int> interleaveLower = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
            Vector512<int> interleaveUpper = interleaveLower + Vector512.Create(8);
            for (int plane = 0; plane < planes; plane++)
            {
                int channelOffset = (plane % g.Channels) * planeLength;
                int planeStart = plane * planeLength;
                for (int oh = 0; oh < g.OutHeight; oh++)
                {
                    int output = (plane * outPlaneLength) + (oh * outWidth);
                    int top = planeStart + (2 * oh * width);
                    int rowIndex = channelOffset + (2 * oh * width);
                    bool vectors = output + (((outWidth - 1) / Count) + 1) * Count <= dy.Length &&
                        top + width + (2 * (((outWidth - 1) / Count) + 1) * Count) <= dx.Length;
                    if (!vectors)
                    {
                        if (!MaxBackwardPairsScalar(ref Unsafe.Add(ref dyStart, output), ref Unsafe.Add(ref argmaxStart, output), ref Unsafe.Add(ref dxStart, top), width, outWidth, rowIndex))
                        {
                            return false;
                        }

                        continue;
                    }

                    // Row 0 is the top input row and row 1 the bottom one.
                    for (int row = 0; row < 2; row++)
                    {
                        ref float target = ref Unsafe.Add(ref dxStart, top + (row * width));
                        Vector512<int> rowOffset = Vector512.Create(rowIndex + (row * width));
                        for (int ow = 0; ow < outWidth; ow += Count)
                        {
                            Vector512<float> gradient = Vector512.LoadUnsafe(ref Unsafe.Add(ref dyStart, output + ow));
                            Vector512<int> index = Vector512.LoadUnsafe(ref Unsafe.Add(ref argmaxStart, output + ow));
                            Vector512<int> inside = Vector512.LessThan(lanes, Vector512.Create(outWidth - ow));
                            Vector512<int> left = rowOffset + ((lanes + Vector512.Create(ow)) * 2);
                            Vector512<int> takesLeft = Vector512.Equals(index, left) & inside;
                            Vector512<int> takesRight = Vector512.Equals(index, left + Vector512<int>.One) & inside;
                            if (row == 1)
                            {
                                // Every window's argmax must be one of its four elements.
                                Vector512<int> topLeft = left - Vector512.Create(width);
                                Vector512<int> found = (takesLeft | takesRight | Vector512.Equals(index, topLeft) | Vector512.Equals(index, topLeft + Vector512<int>.One)) & inside;
                                if (!Vector512.EqualsAll(found, inside))
                                {
                                    return false;
                                }
                            }

                            Vector512<float> leftValues = gradient & takesLeft.AsSingle();
                            Vector512<float> rightValues = gradient & takesRight.AsSingle();
                            Avx512F.PermuteVar16x32x2(leftValues, interleaveLower, rightValues).StoreUnsafe(ref Unsafe.Add(ref target, 2 * ow));
                            Avx512F.PermuteVar16x32x2(leftValues, interleaveUpper, rightValues).StoreUnsafe(ref Unsafe.Add(ref target, (2 * ow) + Count));
                        }
                    }

                    if (width % 2 != 0)
                    {
                        // No window reads the last column of an odd width; a vector that ends at that column leaves it unwritten.
                        Unsafe.Add(ref dxStart, top + width - 1) = 0f;
                        Unsafe.Add(ref dxStart, top + (2 * width) - 1) = 0f;
                    }
                }

                if (g.InHeight % 2 != 0)
                {
                    dx.Slice(planeStart + ((g.InHeight - 1) * width), width).Clear();
                }
            }

            return true;
        }

        /// <summary>Writes the two input rows of one output row of <see cref="MaxBackwardPairs"/> element by element; returns false if an argmax lies outside its window.</summary>
        private static bool MaxBackwardPairsScalar(ref float dy, ref int argmax, ref float dx, int width, int outWidth, int rowIndex)
        {
            for (int ow = 0; ow < outWidth; ow++)
            {
                int position = Unsafe.Add(ref argmax, ow) - rowIndex - (2 * ow);
                if (position != 0 && position != 1 && position != width && position != width + 1)
                {
                    return false;
                }

                float gradient = Unsafe.Add(ref dy, ow);
                Unsafe.Add(ref dx, 2 * ow) = position == 0 ? gradient : 0f;
                Unsafe.Add(ref dx, (2 * ow) + 1) = position == 1 ? gradient : 0f;
                Unsafe.Add(ref dx, width + (2 * ow)) = position == width ? gradient : 0f;
                Unsafe.Add(ref dx, width + (2 * ow) + 1) = position == width + 1 ? gradient : 0f;
            }

            if (width % 2 != 0)
            {
                Unsafe.Add(ref dx, width - 1) = 0f;
                Unsafe.Add(ref dx, (2 * width) - 1) = 0f;
            }

            return true;
        }
    }
}
