using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetGen.Kernels
{
    public static partial class PoolKernels
    {
        /// <summary>
        /// Computes max pooling, as torch.nn.MaxPool2d with <c>ceil_mode=False</c>, and records
        /// where each maximum came from: <c>y[b,c,oh,ow] = max over the window of x[b,c,h,w]</c>,
        /// with padding counting as −∞.
        /// </summary>
        /// <remarks>
        /// <c>argmax[b,c,oh,ow]</c> is the index within the sample, <c>c·H·W + h·W + w</c>, of the
        /// first maximum in a row-major scan of the window, as PyTorch picks it. A NaN in the window
        /// makes the output NaN, as in PyTorch, and its argmax points to the first NaN. PyTorch's
        /// CPU kernel (aten/src/ATen/native/cpu/MaxPoolKernel.cpp) points to the last NaN instead,
        /// with the same output.
        /// </remarks>
        /// <param name="x">Inputs, [batch, C, H, W].</param>
        /// <param name="y">Window maxima, [batch, C, OH, OW]; overwritten.</param>
        /// <param name="argmax">Index of each maximum within its sample, [batch, C, OH, OW]; overwritten.</param>
        /// <param name="batch">Number of samples B.</param>
        /// <param name="g">Pooling geometry.</param>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is negative.</exception>
        /// <exception cref="ArgumentException">A span's length differs from its shape.</exception>
        public static void MaxForward(ReadOnlySpan<float> x, Span<float> y, Span<int> argmax, int batch, in PoolGeometry g)
        {
            RequirePoolArguments(x.Length, y.Length, batch, g, nameof(x), nameof(y));
            KernelArguments.RequireLength(argmax.Length, batch, g.OutputLength, nameof(argmax), nameof(batch), "geometry.OutputLength");
            if (UsesPairPath(g))
            {
                MaxForwardPairs(x, y, argmax, batch, g);
                return;
            }

            ref float xStart = ref MemoryMarshal.GetReference(x);
            ref float yStart = ref MemoryMarshal.GetReference(y);
            ref int argmaxStart = ref MemoryMarshal.GetReference(argmax);
            int planeLength = g.InHeight * g.InWidth;
            int outPlaneLength = g.OutHeight * g.OutWidth;
            int planes = batch * g.Channels;
            for (int plane = 0; plane < planes; plane++)
            {
                // Indices are relative to the sample, so the channel's offset within the sample is added to each.
                int channelOffset = (plane % g.Channels) * planeLength;
                MaxForwardPlane(
                    ref Unsafe.Add(ref xStart, (nint)plane * planeLength),
                    ref Unsafe.Add(ref yStart, (nint)plane * outPlaneLength),
                    ref Unsafe.Add(ref argmaxStart, (nint)plane * outPlaneLength),
                    channelOffset,
                    g);
            }
        }

        /// <summary>
        /// Computes the gradient with respect to the input of <see cref="MaxForward"/>: each
        /// <c>dy[b,c,oh,ow]</c> is added to the input element that <c>argmax</c> names, and every
        /// other input element gets 0. Where windows overlap (stride below the kernel), an element
        /// that is the maximum of several windows receives the sum of their gradients.
        /// </summary>
        /// <param name="dy">Gradient with respect to the output, [batch, C, OH, OW].</param>
        /// <param name="argmax">Indices that <see cref="MaxForward"/> wrote, [batch, C, OH, OW].</param>
        /// <param name="dx">Gradient with respect to the input, [batch, C, H, W]; overwritten.</param>
        /// <param name="batch">Number of samples B.</param>
        /// <param name="g">Pooling geometry.</param>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is negative, or an argmax lies outside its sample; <paramref name="dx"/> is then partly written.</exception>
        /// <exception cref="ArgumentException">A span's length differs from its shape.</exception>
        public static void MaxBackward(ReadOnlySpan<float> dy, ReadOnlySpan<int> argmax, Span<float> dx, int batch, in PoolGeometry g)
        {
            RequirePoolArguments(dx.Length, dy.Length, batch, g, nameof(dx), nameof(dy));
            KernelArguments.RequireLength(argmax.Length, batch, g.OutputLength, nameof(argmax), nameof(batch), "geometry.OutputLength");
            if (UsesPairPath(g) && Vector512Fma.IsSupported && MaxBackwardPairs(dy, argmax, dx, batch, g))
            {
                return;
            }

            dx.Clear();
            int inputLength = g.InputLength;
            int outputLength = g.OutputLength;
            for (int b = 0; b < batch; b++)
            {
                Span<float> sampleDx = dx.Slice(b * inputLength, inputLength);
                int outputStart = b * outputLength;
                for (int k = 0; k < outputLength; k++)
                {
                    int index = argmax[outputStart + k];
                    if ((uint)index >= (uint)inputLength)
                    {
                        ThrowArgmaxOutOfRange(index, outputStart + k, inputLength);
                    }

                    sampleDx[index] += dy[outputStart + k];
                }
            }
        }

        /// <summary>Max-pools one channel plane: x [H, W] to y and argmax [OH, OW].</summary>
        /// <remarks>
        /// The plane runs one output row at a time. Each window position (input row h, window
        /// column j), taken in row-major order, updates all outputs of the row whose window
        /// contains it, so consecutive outputs form a vector and the updates need no branches.
        /// A strictly larger value replaces the maximum, so the first maximum stays.
        /// </remarks>
        private static void MaxForwardPlane(ref float x, ref float y, ref int argmax, int channelOffset, in PoolGeometry g)
        {
            int width = g.InWidth;
            int outWidth = g.OutWidth;
            int stride = g.StrideWidth;
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                int top = oh * g.StrideHeight - g.PadHeight;
                int rowStart = Math.Max(top, 0);
                int rowEnd = Math.Min(top + g.KernelHeight, g.InHeight);
                ref float maxima = ref Unsafe.Add(ref y, oh * outWidth);
                ref int indices = ref Unsafe.Add(ref argmax, oh * outWidth);

                // Every window contains at least one input element (see PoolGeometry), so its
                // first one is a valid argmax even when all elements are −∞.
                for (int ow = 0; ow < outWidth; ow++)
                {
                    Unsafe.Add(ref maxima, ow) = float.NegativeInfinity;
                    Unsafe.Add(ref indices, ow) = channelOffset + rowStart * width + Math.Max(ow * stride - g.PadWidth, 0);
                }

                for (int h = rowStart; h < rowEnd; h++)
                {
                    for (int j = 0; j < g.KernelWidth; j++)
                    {
                        // Window column j of output ow is input column ow·stride + shift, which
                        // lies inside the row for ow from first to last.
                        int shift = j - g.PadWidth;
                        if (width - 1 - shift < 0)
                        {
                            continue;
                        }

                        int first = shift < 0 ? (-shift + stride - 1) / stride : 0;
                        int last = Math.Min(outWidth - 1, (width - 1 - shift) / stride);
                        UpdateMaxima(ref Unsafe.Add(ref x, h * width), channelOffset + h * width, width, shift, stride, first, last + 1, ref maxima, ref indices);
                    }
                }
            }
        }

        /// <summary>
        /// For each output ow in [start, end), replaces maxima[ow] and indices[ow] with the
        /// candidate row[ow·stride + shift] if it is larger, or if it is the first NaN.
        /// </summary>
        private static void UpdateMaxima(ref float row, int rowIndex, int rowLength, int shift, int stride, int start, int end, ref float maxima, ref int indices)
        {
            int ow = start;
            if (Vector256.IsHardwareAccelerated && (stride == 1 || (stride == 2 && Avx2.IsSupported)))
            {
                Vector256<int> laneOffsets = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * stride;

                // A stride-2 vector loads 16 floats, one past its last candidate, so that one must lie in the row too.
                int lastVectorStart = stride == 1 ? end - 8 : Math.Min(end - 8, (rowLength - 2 - shift) / 2 - 7);
                for (; ow <= lastVectorStart; ow += 8)
                {
                    UpdateMaximaVector(ref row, rowIndex, shift, stride, ow, laneOffsets, ref maxima, ref indices);
                }

                // The update is idempotent, so one vector overlapping the previous one covers the remainder.
                if (ow < end && lastVectorStart >= start)
                {
                    UpdateMaximaVector(ref row, rowIndex, shift, stride, lastVectorStart, laneOffsets, ref maxima, ref indices);
                    ow = lastVectorStart + 8;
                }
            }

            for (; ow < end; ow++)
            {
                int column = ow * stride + shift;
                float value = Unsafe.Add(ref row, column);
                ref float maximum = ref Unsafe.Add(ref maxima, ow);
                if (value > maximum || (float.IsNaN(value) && !float.IsNaN(maximum)))
                {
                    maximum = value;
                    Unsafe.Add(ref indices, ow) = rowIndex + column;
                }
            }
        }

        /// <summary>Applies the update of <see cref="UpdateMaxima"/> to the eight outputs from <paramref name="ow"/> on.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void UpdateMaximaVector(ref float row, int rowIndex, int shift, int stride, int ow, Vector256<int> laneOffsets, ref float maxima, ref int indices)
        {
            ref float source = ref Unsafe.Add(ref row, ow * stride + shift);
            Vector256<float> candidate = stride == 1
                ? Vector256.LoadUnsafe(ref source)
                : EvenElements(Vector256.LoadUnsafe(ref source), Vector256.LoadUnsafe(ref Unsafe.Add(ref source, 8)));
            Vector256<float> maximum = Vector256.LoadUnsafe(ref Unsafe.Add(ref maxima, ow));
            Vector256<int> index = Vector256.LoadUnsafe(ref Unsafe.Add(ref indices, ow));

            Vector256<float> candidateIsNaN = ~Vector256.Equals(candidate, candidate);
            Vector256<float> takes = Vector256.GreaterThan(candidate, maximum) | (candidateIsNaN & Vector256.Equals(maximum, maximum));
            Vector256<int> candidateIndex = Vector256.Create(rowIndex + ow * stride + shift) + laneOffsets;
            Vector256.ConditionalSelect(takes, candidate, maximum).StoreUnsafe(ref Unsafe.Add(ref maxima, ow));
            Vector256.ConditionalSelect(takes.AsInt32(), candidateIndex, index).StoreUnsafe(ref Unsafe.Add(ref indices, ow));
        }

        /// <summary>Returns the elements at even positions of the 16 floats in <paramref name="lower"/> and <paramref name="upper"/>, in order.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> EvenElements(Vector256<float> lower, Vector256<float> upper)
        {
            // Within each 128-bit half the shuffle gives lower 0, 2, upper 0, 2, so swapping the
            // middle two 64-bit pairs restores the order.
            Vector256<float> halves = Avx.Shuffle(lower, upper, 0b10_00_10_00);
            return Avx2.Permute4x64(halves.AsDouble(), 0b11_01_10_00).AsSingle();
        }

        [DoesNotReturn]
        private static void ThrowArgmaxOutOfRange(int index, int position, int inputLength) =>
            throw new ArgumentOutOfRangeException(
                "argmax",
                index,
                $"argmax[{position}] is {index}, outside the sample's {inputLength} input elements. Pass the argmax that MaxForward wrote for the same geometry.");
    }
}
