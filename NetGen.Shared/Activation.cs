// Compiled into both NetGen.Runtime (public) and NetGen.Generator (internal), so the
// names and numeric values the user writes and the ones the generator reads cannot drift.
#if NETGEN_GENERATOR
namespace NetGen.Generator
#else
namespace NetGen
#endif
{
    /// <summary>Element-wise function applied to a layer's output.</summary>
    /// <remarks>Numeric values are part of the public contract: never renumber a member.</remarks>
#if NETGEN_GENERATOR
    internal
#else
    public
#endif
    enum Activation
    {
        /// <summary>f(x) = x.</summary>
        Identity = 0,

        /// <summary>f(x) = max(0, x), with f′(0) = 0 as in PyTorch.</summary>
        Relu = 1,

        /// <summary>f(x) = tanh(x).</summary>
        Tanh = 2,

        /// <summary>f(x) = 1 / (1 + e^−x).</summary>
        Sigmoid = 3,
    }
}
