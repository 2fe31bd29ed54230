using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NetGen.Kernels
{
    public static partial class PoolKernels
    {
        /// <summary>
        /// Computes average pooling, as torch.nn.AvgPool2d with <c>ceil_mode=False</c> and
        /// <c>count_include_pad=True</c> (torch's default): each output is the sum of the input
        /// elements in its window divided by KernelHeight·KernelWidth, so padding counts as zeros.
        /// </summary>
        /// <param name="x">Inputs, [batch, C, H, W].</param>
        /// <param name="y">Window averages, [batch, C, OH, OW]; overwritten.</param>
        /// <param name="batch">Number of samples B.</param>
        /// <param name="g">Pooling geometry.</param>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is negative.</exception>
        /// <exception cref="ArgumentException">A span's length differs from its shape.</exception>
        public static void AvgForward(ReadOnlySpan<float> x, Span<float> y, int batch, in PoolGeometry g)
        {
            RequirePoolArguments(x.Length, y.Length, batch, g, nameof(x), nameof(y));

            ref float xStart = ref MemoryMarshal.GetReference(x);
            ref float yStart = ref MemoryMarshal.GetReference(y);
            int planeLength = g.InHeight * g.InWidth;
            int outPlaneLength = g.OutHeight * g.OutWidth;
            int planes = batch * g.Channels;
            for (int plane = 0; plane < planes; plane++)
            {
                AvgForwardPlane(ref Unsafe.Add(ref xStart, (nint)plane * planeLength), ref Unsafe.Add(ref yStart, (nint)plane * outPlaneLength), g);
            }
        }

        /// <summary>
        /// Computes the gradient with respect to the input of <see cref="AvgForward"/>:
        /// <c>dx[b,c,h,w] = Σ over the windows that contain (h, w) of dy[b,c,oh,ow] / (KernelHeight·KernelWidth)</c>.
        /// </summary>
        /// <param name="dy">Gradient with respect to the output, [batch, C, OH, OW].</param>
        /// <param name="dx">Gradient with respect to the input, [batch, C, H, W]; overwritten.</param>
        /// <param name="batch">Number of samples B.</param>
        /// <param name="g">Pooling geometry.</param>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is negative.</exception>
        /// <exception cref="ArgumentException">A span's length differs from its shape.</exception>
        public static void AvgBackward(ReadOnlySpan<float> dy, Span<float> dx, int batch, in PoolGeometry g)
        {
            RequirePoolArguments(dx.Length, dy.Length, batch, g, nameof(dx), nameof(dy));

            dx.Clear();
            ref float dyStart = ref MemoryMarshal.GetReference(dy);
            ref float dxStart = ref MemoryMarshal.GetReference(dx);
            int planeLength = g.InHeight * g.InWidth;
            int outPlaneLength = g.OutHeight * g.OutWidth;
            int planes = batch * g.Channels;
            for (int plane = 0; plane < planes; plane++)
            {
                AvgBackwardPlane(ref Unsafe.Add(ref dyStart, (nint)plane * outPlaneLength), ref Unsafe.Add(ref dxStart, (nint)plane * planeLength), g);
            }
        }

        /// <summary>Average-pools one channel plane: x [H, W] to y [OH, OW].</summary>
        private static void AvgForwardPlane(ref float x, ref float y, in PoolGeometry g)
        {
            int width = g.InWidth;
            int outWidth = g.OutWidth;
            float scale = 1f / (g.KernelHeight * g.KernelWidth);
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

                    float sum = 0f;
                    for (int h = rowStart; h < rowEnd; h++)
                    {
                        ref float row = ref Unsafe.Add(ref x, h * width);
                        for (int w = columnStart; w < columnEnd; w++)
                        {
                            sum += Unsafe.Add(ref row, w);
                        }
                    }

                    Unsafe.Add(ref y, oh * outWidth + ow) = sum * scale;
                }
            }
        }

        /// <summary>Spreads one plane's output gradient dy [OH, OW] over its windows in dx [H, W], which starts zeroed.</summary>
        private static void AvgBackwardPlane(ref float dy, ref float dx, in PoolGeometry g)
        {
            int width = g.InWidth;
            int outWidth = g.OutWidth;
            float scale = 1f / (g.KernelHeight * g.KernelWidth);
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

                    float share = Unsafe.Add(ref dy, oh * outWidth + ow) * scale;
                    for (int h = rowStart; h < rowEnd; h++)
                    {
                        ref float row = ref Unsafe.Add(ref dx, h * width);
                        for (int w = columnStart; w < columnEnd; w++)
                        {
                            Unsafe.Add(ref row, w) += share;
                        }
                    }
                }
            }
        }
    }
}
