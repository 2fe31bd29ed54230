using System;

#if NETGEN_GENERATOR
namespace NetGen.Generator
#else
namespace NetGen.Kernels
#endif
{
    /// <summary>
    /// Output-size arithmetic of convolution and pooling along one axis, shared by the generator
    /// (which checks shapes at compile time) and the runtime kernels, so both use one formula.
    /// </summary>
#if NETGEN_GENERATOR
    internal
#else
    public
#endif
    static class ConvArithmetic
    {
        /// <summary>
        /// Number of output positions along one axis, as torch.nn.Conv2d documents it:
        /// ⌊(input + padBefore + padAfter − dilation·(kernel − 1) − 1) / stride⌋ + 1.
        /// </summary>
        /// <returns>The size, or a value below 1 when the dilated kernel is larger than the padded input.</returns>
        public static int OutputSize(int input, int kernel, int stride, int padBefore, int padAfter, int dilation)
        {
            long span = ((long)dilation * (kernel - 1)) + 1;
            long padded = (long)input + padBefore + padAfter;
            if (padded < span || stride <= 0)
            {
                return 0;
            }

            // Absurd padding can give more positions than an int holds; the caller rejects the size.
            return (int)Math.Min(((padded - span) / stride) + 1, int.MaxValue);
        }

        /// <summary>Extent of a dilated kernel along one axis: dilation·(kernel − 1) + 1.</summary>
        public static int DilatedKernel(int kernel, int dilation) => (dilation * (kernel - 1)) + 1;

        /// <summary>
        /// Padding before the input for padding "same" at stride 1, as torch: the total
        /// dilation·(kernel − 1) is split with the smaller half first.
        /// </summary>
        public static int SamePadBefore(int kernel, int dilation) => (dilation * (kernel - 1)) / 2;

        /// <summary>Padding after the input for padding "same" at stride 1: the larger half.</summary>
        public static int SamePadAfter(int kernel, int dilation) => (dilation * (kernel - 1)) - SamePadBefore(kernel, dilation);
    }
}
