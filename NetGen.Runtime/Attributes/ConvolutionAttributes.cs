using System;

namespace NetGen
{
    /// <summary>
    /// Options that 1-D and 2-D convolutions share: stride, padding, dilation, groups, bias,
    /// activation, initialisation and weight penalties. Shapes are NCHW, as in torch.
    /// </summary>
    public abstract class ConvolutionAttribute : Attribute
    {
        private protected ConvolutionAttribute(int outChannels, int kernelHeight, int kernelWidth, Activation activation)
        {
            OutChannels = outChannels;
            KernelHeight = kernelHeight;
            KernelWidth = kernelWidth;
            Activation = activation;
        }

        /// <summary>Number of output channels (filters); must be positive and divisible by <see cref="Groups"/>.</summary>
        public int OutChannels { get; }

        /// <summary>Kernel rows; 1 for a 1-D convolution.</summary>
        public int KernelHeight { get; }

        /// <summary>Kernel columns (the kernel length of a 1-D convolution).</summary>
        public int KernelWidth { get; }

        /// <summary>Element-wise function applied to the convolution plus bias.</summary>
        public Activation Activation { get; }

        /// <summary>Step between kernel positions along each spatial axis; at least 1.</summary>
        public int Stride { get; set; } = 1;

        /// <summary>Zeros added before and after each spatial axis when <see cref="PaddingMode"/> is Explicit.</summary>
        public int Padding { get; set; }

        /// <summary>Explicit padding, no padding ("valid") or output as large as the input ("same", stride 1).</summary>
        public PaddingMode PaddingMode { get; set; } = PaddingMode.Explicit;

        /// <summary>Spacing between kernel taps along each spatial axis; at least 1.</summary>
        public int Dilation { get; set; } = 1;

        /// <summary>
        /// Number of channel groups, each convolved with its own filters; must divide both channel
        /// counts. Groups equal to the input channels gives a depthwise convolution.
        /// </summary>
        public int Groups { get; set; } = 1;

        /// <summary>Whether the layer adds a learned bias per output channel; turn it off before batch norm.</summary>
        public bool Bias { get; set; } = true;

        /// <summary>Leaky ReLU slope or ELU α; NaN selects the default (0.01 and 1).</summary>
        public float Alpha { get; set; } = float.NaN;

        /// <summary>
        /// Distribution of the initial weights; <see cref="Initializer.Default"/> picks He for ReLU and
        /// leaky ReLU and Glorot otherwise, with torch's fans: fan-in (input channels / groups) · kernel
        /// area, fan-out output channels · kernel area. Biases start at zero.
        /// </summary>
        public Initializer Init { get; set; } = Initializer.Default;

        /// <summary>Fan that He and LeCun initialisation divide by.</summary>
        public FanMode InitMode { get; set; } = FanMode.FanIn;

        /// <summary>Gain that replaces the activation's gain; NaN keeps the activation's.</summary>
        public float InitGain { get; set; } = float.NaN;

        /// <summary>Value of every weight for <see cref="Initializer.Constant"/>.</summary>
        public float InitValue { get; set; }

        /// <summary>Strength λ of an L1 penalty λ·Σ|w| on the weights (not the bias).</summary>
        public float L1 { get; set; }

        /// <summary>Strength λ of an L2 penalty ½λ·Σw² on the weights (not the bias).</summary>
        public float L2 { get; set; }
    }

    /// <summary>
    /// Declares a 2-D convolution over a [channels, height, width] input, as torch.nn.Conv2d, with
    /// weights stored [outChannels, inChannels / groups, kernelHeight, kernelWidth].
    /// </summary>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
    public sealed class Conv2DAttribute : ConvolutionAttribute
    {
        /// <summary>Declares a square kernel.</summary>
        /// <param name="outChannels">Number of output channels.</param>
        /// <param name="kernelSize">Kernel rows and columns.</param>
        /// <param name="activation">Element-wise function applied after the bias.</param>
        public Conv2DAttribute(int outChannels, int kernelSize, Activation activation = Activation.Identity)
            : base(outChannels, kernelSize, kernelSize, activation)
        {
        }

        /// <summary>Declares a rectangular kernel.</summary>
        /// <param name="outChannels">Number of output channels.</param>
        /// <param name="kernelHeight">Kernel rows.</param>
        /// <param name="kernelWidth">Kernel columns.</param>
        /// <param name="activation">Element-wise function applied after the bias.</param>
        public Conv2DAttribute(int outChannels, int kernelHeight, int kernelWidth, Activation activation = Activation.Identity)
            : base(outChannels, kernelHeight, kernelWidth, activation)
        {
        }
    }

    /// <summary>
    /// Declares a 1-D convolution over a [channels, length] input, as torch.nn.Conv1d, with weights
    /// stored [outChannels, inChannels / groups, kernelSize].
    /// </summary>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
    public sealed class Conv1DAttribute : ConvolutionAttribute
    {
        /// <summary>Creates the declaration.</summary>
        /// <param name="outChannels">Number of output channels.</param>
        /// <param name="kernelSize">Kernel length.</param>
        /// <param name="activation">Element-wise function applied after the bias.</param>
        public Conv1DAttribute(int outChannels, int kernelSize, Activation activation = Activation.Identity)
            : base(outChannels, 1, kernelSize, activation)
        {
        }
    }
}
