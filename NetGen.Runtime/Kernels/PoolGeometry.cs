using System;
using System.Diagnostics.CodeAnalysis;

namespace NetGen.Kernels
{
    /// <summary>
    /// Shape of a 2-D max or average pooling layer over one sample: channels, input size, kernel,
    /// stride and symmetric zero padding, with the output size that torch.nn.MaxPool2d and
    /// torch.nn.AvgPool2d compute for <c>ceil_mode=False</c> and dilation 1.
    /// </summary>
    /// <remarks>
    /// A 1-D layer has <see cref="InHeight"/> = <see cref="KernelHeight"/> = <see cref="StrideHeight"/> = 1
    /// and <see cref="PadHeight"/> = 0. Padding may be at most half the kernel along its axis, as torch
    /// requires. With that rule and <c>ceil_mode=False</c>, every window contains at least one input
    /// element, so no max-pooling window contains only padding.
    /// </remarks>
    public readonly struct PoolGeometry
    {
        /// <summary>Creates and validates a pooling geometry.</summary>
        /// <param name="channels">Number of channels C, at least 1.</param>
        /// <param name="inHeight">Input height H, at least 1.</param>
        /// <param name="inWidth">Input width W, at least 1.</param>
        /// <param name="kernelHeight">Window height, at least 1.</param>
        /// <param name="kernelWidth">Window width, at least 1.</param>
        /// <param name="strideHeight">Vertical step between windows, at least 1.</param>
        /// <param name="strideWidth">Horizontal step between windows, at least 1.</param>
        /// <param name="padHeight">Rows of padding above and below, from 0 to <paramref name="kernelHeight"/> / 2.</param>
        /// <param name="padWidth">Columns of padding left and right, from 0 to <paramref name="kernelWidth"/> / 2.</param>
        /// <exception cref="ArgumentOutOfRangeException">A size is out of its range.</exception>
        /// <exception cref="ArgumentException">The output would be empty, or a tensor would have more than <see cref="int.MaxValue"/> elements.</exception>
        public PoolGeometry(int channels, int inHeight, int inWidth, int kernelHeight, int kernelWidth,
            int strideHeight, int strideWidth, int padHeight, int padWidth)
        {
            RequireAtLeastOne(channels, nameof(channels));
            RequireAtLeastOne(inHeight, nameof(inHeight));
            RequireAtLeastOne(inWidth, nameof(inWidth));
            RequireAtLeastOne(kernelHeight, nameof(kernelHeight));
            RequireAtLeastOne(kernelWidth, nameof(kernelWidth));
            RequireAtLeastOne(strideHeight, nameof(strideHeight));
            RequireAtLeastOne(strideWidth, nameof(strideWidth));
            RequirePadding(padHeight, kernelHeight, nameof(padHeight), nameof(kernelHeight));
            RequirePadding(padWidth, kernelWidth, nameof(padWidth), nameof(kernelWidth));

            int outHeight = ConvArithmetic.OutputSize(inHeight, kernelHeight, strideHeight, padHeight, padHeight, dilation: 1);
            int outWidth = ConvArithmetic.OutputSize(inWidth, kernelWidth, strideWidth, padWidth, padWidth, dilation: 1);
            if (outHeight < 1)
            {
                ThrowEmptyOutput(nameof(kernelHeight), kernelHeight, nameof(inHeight), inHeight, padHeight);
            }

            if (outWidth < 1)
            {
                ThrowEmptyOutput(nameof(kernelWidth), kernelWidth, nameof(inWidth), inWidth, padWidth);
            }

            long inputLength = (long)channels * inHeight * inWidth;
            long outputLength = (long)channels * outHeight * outWidth;
            if (inputLength > int.MaxValue || outputLength > int.MaxValue)
            {
                throw new ArgumentException(
                    $"A pooling sample of {channels} × {inHeight} × {inWidth} has {inputLength} input and {outputLength} output elements, more than a span can hold ({int.MaxValue}). Use fewer channels or a smaller input.",
                    nameof(channels));
            }

            Channels = channels;
            InHeight = inHeight;
            InWidth = inWidth;
            KernelHeight = kernelHeight;
            KernelWidth = kernelWidth;
            StrideHeight = strideHeight;
            StrideWidth = strideWidth;
            PadHeight = padHeight;
            PadWidth = padWidth;
            OutHeight = outHeight;
            OutWidth = outWidth;
        }

        /// <summary>Number of channels C.</summary>
        public int Channels { get; }

        /// <summary>Input height H.</summary>
        public int InHeight { get; }

        /// <summary>Input width W.</summary>
        public int InWidth { get; }

        /// <summary>Window height.</summary>
        public int KernelHeight { get; }

        /// <summary>Window width.</summary>
        public int KernelWidth { get; }

        /// <summary>Vertical step between windows.</summary>
        public int StrideHeight { get; }

        /// <summary>Horizontal step between windows.</summary>
        public int StrideWidth { get; }

        /// <summary>Rows of padding above and below the input.</summary>
        public int PadHeight { get; }

        /// <summary>Columns of padding left and right of the input.</summary>
        public int PadWidth { get; }

        /// <summary>Output height: ⌊(H + 2·padHeight − kernelHeight) / strideHeight⌋ + 1.</summary>
        public int OutHeight { get; }

        /// <summary>Output width: ⌊(W + 2·padWidth − kernelWidth) / strideWidth⌋ + 1.</summary>
        public int OutWidth { get; }

        /// <summary>Number of input elements of one sample, C·H·W.</summary>
        public int InputLength => Channels * InHeight * InWidth;

        /// <summary>Number of output elements of one sample, C·OutHeight·OutWidth.</summary>
        public int OutputLength => Channels * OutHeight * OutWidth;

        /// <inheritdoc/>
        public override string ToString() =>
            $"C {Channels}, {InHeight}×{InWidth} → {OutHeight}×{OutWidth}, kernel {KernelHeight}×{KernelWidth}, stride {StrideHeight}×{StrideWidth}, padding {PadHeight}×{PadWidth}";

        private static void RequireAtLeastOne(int value, string name)
        {
            if (value < 1)
            {
                throw new ArgumentOutOfRangeException(name, value, $"The pooling size '{name}' must be at least 1, but it is {value}.");
            }
        }

        private static void RequirePadding(int padding, int kernel, string name, string kernelName)
        {
            if (padding < 0 || padding > kernel / 2)
            {
                throw new ArgumentOutOfRangeException(
                    name,
                    padding,
                    $"The padding '{name}' must be from 0 to half the window ('{kernelName}' {kernel} / 2 = {kernel / 2}), as torch pooling requires, but it is {padding}.");
            }
        }

        [DoesNotReturn]
        private static void ThrowEmptyOutput(string kernelName, int kernel, string inputName, int input, int padding) =>
            throw new ArgumentException(
                $"The pooling window '{kernelName}' {kernel} is larger than the padded input ('{inputName}' {input} + 2 × padding {padding} = {input + 2 * padding}), so the output would be empty. Use a smaller window or a larger input.",
                kernelName);
    }
}
