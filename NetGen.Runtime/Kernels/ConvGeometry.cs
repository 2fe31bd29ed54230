using System;

namespace NetGen.Kernels
{
    /// <summary>
    /// Geometry of a 1-D or 2-D convolution over NCHW tensors, as <see cref="ConvKernels"/> takes it.
    /// A 1-D convolution has height 1 and kernel height 1.
    /// </summary>
    /// <remarks>
    /// The constructor validates every value, derives the output size with
    /// <see cref="ConvArithmetic.OutputSize"/> (the torch.nn.Conv2d formula) and picks the
    /// algorithm of each kernel for this geometry, so each kernel call only checks span lengths.
    /// </remarks>
    public readonly struct ConvGeometry
    {
        /// <summary>
        /// Largest tensor or scratch length, in floats, that a geometry may need. A quarter of
        /// <see cref="int.MaxValue"/> leaves room for the int index arithmetic inside the kernels.
        /// </summary>
        private const int MaxLength = int.MaxValue / 4;

        /// <summary>Creates the geometry and checks every value.</summary>
        /// <exception cref="ArgumentException">A value is out of range, the groups do not divide both channel counts, or the output would be empty.</exception>
        public ConvGeometry(int inChannels, int inHeight, int inWidth, int outChannels,
            int kernelHeight, int kernelWidth, int strideHeight, int strideWidth,
            int padTop, int padLeft, int padBottom, int padRight,
            int dilationHeight, int dilationWidth, int groups)
        {
            RequireAtLeast(inChannels, 1, nameof(inChannels));
            RequireAtLeast(inHeight, 1, nameof(inHeight));
            RequireAtLeast(inWidth, 1, nameof(inWidth));
            RequireAtLeast(outChannels, 1, nameof(outChannels));
            RequireAtLeast(kernelHeight, 1, nameof(kernelHeight));
            RequireAtLeast(kernelWidth, 1, nameof(kernelWidth));
            RequireAtLeast(strideHeight, 1, nameof(strideHeight));
            RequireAtLeast(strideWidth, 1, nameof(strideWidth));
            RequireAtLeast(padTop, 0, nameof(padTop));
            RequireAtLeast(padLeft, 0, nameof(padLeft));
            RequireAtLeast(padBottom, 0, nameof(padBottom));
            RequireAtLeast(padRight, 0, nameof(padRight));
            RequireAtLeast(dilationHeight, 1, nameof(dilationHeight));
            RequireAtLeast(dilationWidth, 1, nameof(dilationWidth));
            RequireAtLeast(groups, 1, nameof(groups));
            if (inChannels % groups != 0 || outChannels % groups != 0)
            {
                throw new ArgumentException(
                    $"The value 'groups' must divide both inChannels {inChannels} and outChannels {outChannels}, but it is {groups}. " +
                    "Pass a common divisor, for example 1, or inChannels for a depthwise convolution.",
                    nameof(groups));
            }

            int outHeight = ConvArithmetic.OutputSize(inHeight, kernelHeight, strideHeight, padTop, padBottom, dilationHeight);
            int outWidth = ConvArithmetic.OutputSize(inWidth, kernelWidth, strideWidth, padLeft, padRight, dilationWidth);
            RequireOutput(outHeight, inHeight, padTop, padBottom, kernelHeight, dilationHeight, nameof(kernelHeight), "height");
            RequireOutput(outWidth, inWidth, padLeft, padRight, kernelWidth, dilationWidth, nameof(kernelWidth), "width");

            long inputLength = (long)inChannels * inHeight * inWidth;
            long outputLength = (long)outChannels * outHeight * outWidth;
            long weightLength = (long)outChannels * (inChannels / groups) * kernelHeight * kernelWidth;
            long paddedLength = (long)inChannels * (inHeight + padTop + padBottom) * (inWidth + padLeft + padRight);
            long columnsLength = (long)(inChannels / groups) * kernelHeight * kernelWidth * outHeight * outWidth;
            if (Math.Max(Math.Max(inputLength, outputLength), Math.Max(weightLength, Math.Max(paddedLength, columnsLength))) > MaxLength)
            {
                throw new ArgumentException(
                    $"The convolution {inChannels}×{inHeight}×{inWidth} → {outChannels}×{outHeight}×{outWidth} with a {kernelHeight}×{kernelWidth} kernel " +
                    $"needs tensors or scratch of more than {MaxLength} floats, which the kernels do not support. Split the layer or shrink the input.",
                    nameof(inChannels));
            }

            InChannels = inChannels;
            InHeight = inHeight;
            InWidth = inWidth;
            OutChannels = outChannels;
            KernelHeight = kernelHeight;
            KernelWidth = kernelWidth;
            StrideHeight = strideHeight;
            StrideWidth = strideWidth;
            PadTop = padTop;
            PadLeft = padLeft;
            PadBottom = padBottom;
            PadRight = padRight;
            DilationHeight = dilationHeight;
            DilationWidth = dilationWidth;
            Groups = groups;
            OutHeight = outHeight;
            OutWidth = outWidth;
            InputLength = (int)inputLength;
            OutputLength = (int)outputLength;
            WeightLength = (int)weightLength;
            ForwardAlgorithm = ConvKernels.ChooseForwardAlgorithm(this);
            BackwardInputAlgorithm = ConvKernels.ChooseBackwardInputAlgorithm(this);
            WeightGradientAlgorithm = ConvKernels.ChooseWeightGradientAlgorithm(this);
            long scratchLength = ConvKernels.ScratchLengthOf(this, ForwardAlgorithm, BackwardInputAlgorithm, WeightGradientAlgorithm);
            if (scratchLength > MaxLength)
            {
                throw new ArgumentException(
                    $"The convolution {this} needs {scratchLength} floats of scratch, more than the {MaxLength} that the kernels support. Split the layer or shrink the input.",
                    nameof(inChannels));
            }

            ScratchLength = (int)scratchLength;
        }

        /// <summary>Input channels C_in.</summary>
        public int InChannels { get; }

        /// <summary>Input height H; 1 for a 1-D convolution.</summary>
        public int InHeight { get; }

        /// <summary>Input width W.</summary>
        public int InWidth { get; }

        /// <summary>Output channels C_out.</summary>
        public int OutChannels { get; }

        /// <summary>Kernel height; 1 for a 1-D convolution.</summary>
        public int KernelHeight { get; }

        /// <summary>Kernel width.</summary>
        public int KernelWidth { get; }

        /// <summary>Vertical stride.</summary>
        public int StrideHeight { get; }

        /// <summary>Horizontal stride.</summary>
        public int StrideWidth { get; }

        /// <summary>Zero rows added above the input.</summary>
        public int PadTop { get; }

        /// <summary>Zero columns added left of the input.</summary>
        public int PadLeft { get; }

        /// <summary>Zero rows added below the input.</summary>
        public int PadBottom { get; }

        /// <summary>Zero columns added right of the input.</summary>
        public int PadRight { get; }

        /// <summary>Vertical spacing between kernel taps.</summary>
        public int DilationHeight { get; }

        /// <summary>Horizontal spacing between kernel taps.</summary>
        public int DilationWidth { get; }

        /// <summary>Number of groups: each output channel reads <c>InChannels / Groups</c> input channels.</summary>
        public int Groups { get; }

        /// <summary>Output height, from <see cref="ConvArithmetic.OutputSize"/>.</summary>
        public int OutHeight { get; }

        /// <summary>Output width, from <see cref="ConvArithmetic.OutputSize"/>.</summary>
        public int OutWidth { get; }

        /// <summary>Floats of one input sample: InChannels · InHeight · InWidth.</summary>
        public int InputLength { get; }

        /// <summary>Floats of one output sample: OutChannels · OutHeight · OutWidth.</summary>
        public int OutputLength { get; }

        /// <summary>Floats of the weights in the torch layout [C_out, C_in / groups, kernel height, kernel width].</summary>
        public int WeightLength { get; }

        /// <summary>Floats of scratch that one call of any <see cref="ConvKernels"/> method needs, whatever the batch.</summary>
        public int ScratchLength { get; }

        /// <summary>Algorithm of <see cref="ConvKernels.Forward"/> for this geometry.</summary>
        internal ConvAlgorithm ForwardAlgorithm { get; }

        /// <summary>Algorithm of <see cref="ConvKernels.BackwardInput"/> for this geometry.</summary>
        internal ConvAlgorithm BackwardInputAlgorithm { get; }

        /// <summary>Algorithm of the weight gradient in <see cref="ConvKernels.AccumulateGradients"/> for this geometry.</summary>
        internal ConvAlgorithm WeightGradientAlgorithm { get; }

        /// <summary>Input channels per group.</summary>
        internal int InChannelsPerGroup => InChannels / Groups;

        /// <summary>Output channels per group.</summary>
        internal int OutChannelsPerGroup => OutChannels / Groups;

        /// <summary>Output positions of one channel: OutHeight · OutWidth.</summary>
        internal int OutPositions => OutHeight * OutWidth;

        /// <summary>Weights of one output channel, the GEMM reduction length: (InChannels / Groups) · KernelHeight · KernelWidth.</summary>
        internal int ReductionLength => InChannelsPerGroup * KernelHeight * KernelWidth;

        /// <summary>Padded input height: InHeight + PadTop + PadBottom.</summary>
        internal int PaddedHeight => InHeight + PadTop + PadBottom;

        /// <summary>Padded input width: InWidth + PadLeft + PadRight.</summary>
        internal int PaddedWidth => InWidth + PadLeft + PadRight;

        /// <inheritdoc/>
        public override string ToString() =>
            $"Conv {InChannels}×{InHeight}×{InWidth} → {OutChannels}×{OutHeight}×{OutWidth}, kernel {KernelHeight}×{KernelWidth}, " +
            $"stride {StrideHeight}×{StrideWidth}, padding (top {PadTop}, left {PadLeft}, bottom {PadBottom}, right {PadRight}), " +
            $"dilation {DilationHeight}×{DilationWidth}, groups {Groups}";

        private static void RequireAtLeast(int value, int minimum, string name)
        {
            if (value < minimum)
            {
                throw new ArgumentException(
                    $"The convolution value '{name}' must be at least {minimum}, but it is {value}.", name);
            }
        }

        private static void RequireOutput(int outSize, int inSize, int padBefore, int padAfter, int kernel, int dilation, string kernelName, string axis)
        {
            if (outSize < 1)
            {
                throw new ArgumentException(
                    $"The convolution has no output along its {axis}: the padded input {axis} is {(long)inSize + padBefore + padAfter} " +
                    $"(input {inSize} + padding {padBefore} + {padAfter}), but the dilated kernel spans {(long)dilation * (kernel - 1) + 1} " +
                    $"({kernelName} {kernel}, dilation {dilation}). Use a smaller kernel or dilation, or more padding.",
                    kernelName);
            }
        }
    }
}
