using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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
        private static void MaxForwardPlane(ref float x, ref float y, ref int argmax, int channelOffset, in PoolGeometry g)
        {
            int width = g.InWidth;
            int outWidth = g.OutWidth;
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                int top = oh * g.StrideHeight - g.PadHeight;
                int rowStart = Math.Max(top, 0);
                int rowEnd = Math.Min(top + g.KernelHeight, g.InHeight);
                for (int ow = 0; ow < outWidth; ow++)
                {
                    int left = ow * g.StrideWidth - g.PadWidth;
                    int columnStart = Math.Max(left, 0);
                    int columnEnd = Math.Min(left + g.KernelWidth, width);

                    // Every window contains at least one input element (see PoolGeometry), so the
                    // first one is a valid argmax even when all elements are −∞.
                    float maximum = float.NegativeInfinity;
                    int maximumIndex = rowStart * width + columnStart;
                    for (int h = rowStart; h < rowEnd; h++)
                    {
                        ref float row = ref Unsafe.Add(ref x, h * width);
                        for (int w = columnStart; w < columnEnd; w++)
                        {
                            float value = Unsafe.Add(ref row, w);
                            if (value > maximum)
                            {
                                maximum = value;
                                maximumIndex = h * width + w;
                            }
                            else if (float.IsNaN(value))
                            {
                                maximum = value;
                                maximumIndex = h * width + w;
                                goto WindowDone;
                            }
                        }
                    }

                WindowDone:
                    int outIndex = oh * outWidth + ow;
                    Unsafe.Add(ref y, outIndex) = maximum;
                    Unsafe.Add(ref argmax, outIndex) = channelOffset + maximumIndex;
                }
            }
        }

        [DoesNotReturn]
        private static void ThrowArgmaxOutOfRange(int index, int position, int inputLength) =>
            throw new ArgumentOutOfRangeException(
                "argmax",
                index,
                $"argmax[{position}] is {index}, outside the sample's {inputLength} input elements. Pass the argmax that MaxForward wrote for the same geometry.");
    }
}
