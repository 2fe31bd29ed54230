using System;
using System.Diagnostics.CodeAnalysis;
using System.Numerics.Tensors;

namespace NetGen.Kernels
{
    /// <summary>
    /// Forward and backward kernels of max, average and global average pooling, in fp32.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Dimensions: B = <c>batch</c>, C = channels, H × W = input height and width, OH × OW =
    /// output height and width from <see cref="PoolGeometry"/>. Tensors are NCHW, batch-major and
    /// contiguous: x and dx [B, C, H, W], y, dy and argmax [B, C, OH, OW]. A 1-D layer has H = 1.
    /// </para>
    /// <para>
    /// Each span must have exactly the length its shape gives, or the kernel throws an
    /// <see cref="ArgumentException"/> before touching any data. The batch may be zero. The
    /// kernels allocate nothing and are safe to call from several threads on separate buffers.
    /// Outputs must not overlap inputs.
    /// </para>
    /// <para>
    /// Max pooling vectorises across the outputs of a row for horizontal strides 1 and 2 on
    /// machines with AVX2, with a separate path for 2×2 windows at stride 2 without padding that
    /// also serves rows shorter than one vector. Other strides, other machines and average pooling
    /// run scalar loops.
    /// </para>
    /// </remarks>
    public static partial class PoolKernels
    {
        /// <summary>
        /// Computes the mean of each channel over its <paramref name="spatial"/> positions:
        /// <c>y[b,c] = (1/S) Σ_s x[b,c,s]</c>, as torch.nn.AdaptiveAvgPool2d(1) followed by a flatten.
        /// </summary>
        /// <param name="x">Inputs, [batch, channels, spatial].</param>
        /// <param name="y">Channel means, [batch, channels]; overwritten.</param>
        /// <param name="batch">Number of samples B.</param>
        /// <param name="channels">Number of channels C.</param>
        /// <param name="spatial">Positions per channel S = H·W, at least 1.</param>
        /// <exception cref="ArgumentOutOfRangeException">A size is negative, or <paramref name="spatial"/> is 0.</exception>
        /// <exception cref="ArgumentException">A span's length differs from its shape.</exception>
        public static void GlobalAvgForward(ReadOnlySpan<float> x, Span<float> y, int batch, int channels, int spatial)
        {
            RequireGlobalArguments(x.Length, y.Length, batch, channels, spatial, nameof(x), nameof(y));

            float scale = 1f / spatial;
            int planes = batch * channels;
            for (int plane = 0; plane < planes; plane++)
            {
                y[plane] = TensorPrimitives.Sum(x.Slice(plane * spatial, spatial)) * scale;
            }
        }

        /// <summary>
        /// Computes the gradient with respect to the input of <see cref="GlobalAvgForward"/>:
        /// <c>dx[b,c,s] = dy[b,c] / S</c>. It differentiates <c>y[b,c] = (1/S) Σ_s x[b,c,s]</c>.
        /// </summary>
        /// <param name="dy">Gradient with respect to the channel means, [batch, channels].</param>
        /// <param name="dx">Gradient with respect to the input, [batch, channels, spatial]; overwritten.</param>
        /// <param name="batch">Number of samples B.</param>
        /// <param name="channels">Number of channels C.</param>
        /// <param name="spatial">Positions per channel S = H·W, at least 1.</param>
        /// <exception cref="ArgumentOutOfRangeException">A size is negative, or <paramref name="spatial"/> is 0.</exception>
        /// <exception cref="ArgumentException">A span's length differs from its shape.</exception>
        public static void GlobalAvgBackward(ReadOnlySpan<float> dy, Span<float> dx, int batch, int channels, int spatial)
        {
            RequireGlobalArguments(dx.Length, dy.Length, batch, channels, spatial, nameof(dx), nameof(dy));

            float scale = 1f / spatial;
            int planes = batch * channels;
            for (int plane = 0; plane < planes; plane++)
            {
                dx.Slice(plane * spatial, spatial).Fill(dy[plane] * scale);
            }
        }

        private static void RequireGlobalArguments(int spatialLength, int channelLength, int batch, int channels, int spatial, string spatialName, string channelName)
        {
            KernelArguments.RequireSize(batch);
            KernelArguments.RequireSize(channels);
            if (spatial < 1)
            {
                ThrowEmptySpatial(spatial);
            }

            KernelArguments.RequireLength(channelLength, batch, channels, channelName, nameof(batch), nameof(channels));
            if (spatialLength != (long)batch * channels * spatial)
            {
                throw new ArgumentException(
                    $"The span '{spatialName}' must have exactly {(long)batch * channels * spatial} elements (batch {batch} × channels {channels} × spatial {spatial}), but it has {spatialLength}. Pass a span of that length, for example a slice of a larger buffer.",
                    spatialName);
            }
        }

        /// <summary>Checks the spans of a windowed pooling kernel against the batch and geometry.</summary>
        private static void RequirePoolArguments(int inputLength, int outputLength, int batch, in PoolGeometry g, string inputName, string outputName)
        {
            KernelArguments.RequireSize(batch);
            KernelArguments.RequireLength(inputLength, batch, g.InputLength, inputName, nameof(batch), "geometry.InputLength");
            KernelArguments.RequireLength(outputLength, batch, g.OutputLength, outputName, nameof(batch), "geometry.OutputLength");
        }

        [DoesNotReturn]
        private static void ThrowEmptySpatial(int spatial) =>
            throw new ArgumentOutOfRangeException(nameof(spatial), spatial, $"Global average pooling needs at least one position per channel, but 'spatial' is {spatial}.");
    }
}
