#if NETGEN_GENERATOR
namespace NetGen.Generator
#else
namespace NetGen
#endif
{
    /// <summary>How a convolution pads its input, as torch.nn.Conv2d's padding argument.</summary>
    /// <remarks>Numeric values are part of the public contract: never renumber a member.</remarks>
#if NETGEN_GENERATOR
    internal
#else
    public
#endif
    enum PaddingMode
    {
        /// <summary>Pads every side with the layer's <c>Padding</c> zeros (0 by default, which is "valid").</summary>
        Explicit = 0,

        /// <summary>No padding: the kernel stays inside the input, as padding="valid".</summary>
        Valid = 1,

        /// <summary>
        /// Pads so that the output is as long as the input, as padding="same": the total
        /// dilation·(kernel − 1) is split with the smaller half before. Needs stride 1.
        /// </summary>
        Same = 2,
    }
}
