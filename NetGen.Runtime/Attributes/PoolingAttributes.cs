using System;

namespace NetGen
{
    /// <summary>
    /// Declares max pooling over each channel of a [channels, length] or [channels, height, width]
    /// input, as torch.nn.MaxPool1d and MaxPool2d (floor of the output size, padding counts as −∞).
    /// The backward pass sends each window's gradient to its first maximum.
    /// </summary>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
    public sealed class MaxPoolAttribute : Attribute
    {
        /// <summary>Creates the declaration.</summary>
        /// <param name="kernelSize">Window size along each spatial axis.</param>
        public MaxPoolAttribute(int kernelSize) => KernelSize = kernelSize;

        /// <summary>Window size along each spatial axis.</summary>
        public int KernelSize { get; }

        /// <summary>Step between windows; 0 (the default) uses the kernel size, as torch.</summary>
        public int Stride { get; set; }

        /// <summary>Padding before and after each spatial axis; at most half the kernel size.</summary>
        public int Padding { get; set; }
    }

    /// <summary>
    /// Declares average pooling over each channel, as torch.nn.AvgPool1d and AvgPool2d with
    /// count_include_pad: padded zeros count in the average.
    /// </summary>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
    public sealed class AvgPoolAttribute : Attribute
    {
        /// <summary>Creates the declaration.</summary>
        /// <param name="kernelSize">Window size along each spatial axis.</param>
        public AvgPoolAttribute(int kernelSize) => KernelSize = kernelSize;

        /// <summary>Window size along each spatial axis.</summary>
        public int KernelSize { get; }

        /// <summary>Step between windows; 0 (the default) uses the kernel size, as torch.</summary>
        public int Stride { get; set; }

        /// <summary>Padding before and after each spatial axis; at most half the kernel size.</summary>
        public int Padding { get; set; }
    }

    /// <summary>Declares the mean of each channel over all its positions: [C, H, W] → [C].</summary>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
    public sealed class GlobalAvgPoolAttribute : Attribute
    {
    }

    /// <summary>
    /// Declares the reshape of a [C, H, W] or [C, L] tensor to a flat vector, in NCHW order as
    /// torch.flatten. A dense layer after a convolution or pooling layer needs it.
    /// </summary>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
    public sealed class FlattenAttribute : Attribute
    {
    }
}
