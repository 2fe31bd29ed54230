#if NETGEN_GENERATOR
namespace NetGen.Generator
#else
namespace NetGen
#endif
{
    /// <summary>Which fan scales He and LeCun initialisation, as torch.nn.init's mode argument.</summary>
    /// <remarks>Numeric values are part of the public contract: never renumber a member.</remarks>
#if NETGEN_GENERATOR
    internal
#else
    public
#endif
    enum FanMode
    {
        /// <summary>The layer's input count; keeps the forward signal's variance.</summary>
        FanIn = 0,

        /// <summary>The layer's output count; keeps the backward gradient's variance.</summary>
        FanOut = 1,
    }
}
