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

        /// <summary>f(x) = x for x &gt; 0, else α·x; α is the layer's Alpha (default 0.01, as torch), and must be positive.</summary>
        LeakyRelu = 4,

        /// <summary>f(x) = x for x &gt; 0, else α·(e^x − 1); α is the layer's Alpha (default 1, as torch).</summary>
        Elu = 5,

        /// <summary>LeCun's scaled tanh, f(x) = 1.7159·tanh(2x/3), for targets in ±1.</summary>
        LeCunTanh = 6,

        /// <summary>f(x) = x / (1 + |x|).</summary>
        Softsign = 7,

        /// <summary>f(x) = log(1 + e^x), and x itself above 20, as torch.nn.Softplus.</summary>
        Softplus = 8,

        /// <summary>Swish / SiLU, f(x) = x·σ(x).</summary>
        Silu = 9,

        /// <summary>GELU with the exact normal CDF, f(x) = x·Φ(x).</summary>
        GeluErf = 10,

        /// <summary>GELU with torch's tanh approximation, 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))).</summary>
        GeluTanh = 11,

        /// <summary>Softmax over the layer's outputs of each sample, with the row maximum subtracted.</summary>
        Softmax = 12,
    }
}
