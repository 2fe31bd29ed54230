#if NETGEN_GENERATOR
namespace NetGen.Generator
#else
namespace NetGen
#endif
{
    /// <summary>Distribution that a layer's weights are drawn from at construction.</summary>
    /// <remarks>
    /// Fans follow torch.nn.init: fan_in is the layer's input count, fan_out its output count.
    /// Gains follow torch.nn.init.calculate_gain: ReLU √2, tanh 5/3, sigmoid and identity 1.
    /// Numeric values are part of the public contract: never renumber a member.
    /// </remarks>
#if NETGEN_GENERATOR
    internal
#else
    public
#endif
    enum Initializer
    {
        /// <summary>He for ReLU layers, Glorot for the others; the default.</summary>
        Default = 0,

        /// <summary>He (Kaiming) uniform, fan_in mode: U(±gain·√(3/fan_in)).</summary>
        HeUniform = 1,

        /// <summary>Glorot (Xavier) uniform: U(±gain·√(6/(fan_in + fan_out))).</summary>
        GlorotUniform = 2,

        /// <summary>LeCun uniform: U(±√(3/fan_in)).</summary>
        LeCunUniform = 3,

        /// <summary>U(−0.5, 0.5), the textbook range for small exercises.</summary>
        UniformHalf = 4,
    }
}
