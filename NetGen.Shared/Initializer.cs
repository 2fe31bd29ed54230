#if NETGEN_GENERATOR
namespace NetGen.Generator
#else
namespace NetGen
#endif
{
    /// <summary>Distribution that a layer's weights are drawn from at construction.</summary>
    /// <remarks>
    /// Fans follow torch.nn.init: fan_in is the layer's input count, fan_out its output count;
    /// He and LeCun use fan_in unless the layer's InitMode says FanOut. Gains follow
    /// torch.nn.init.calculate_gain: ReLU √2, leaky ReLU √(2/(1 + α²)), tanh 5/3, and 1 for
    /// identity, sigmoid and the activations calculate_gain does not know; InitGain overrides it.
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

        /// <summary>He (Kaiming) uniform: U(±gain·√(3/fan)).</summary>
        HeUniform = 1,

        /// <summary>Glorot (Xavier) uniform: U(±gain·√(6/(fan_in + fan_out))).</summary>
        GlorotUniform = 2,

        /// <summary>LeCun uniform: U(±√(3/fan)).</summary>
        LeCunUniform = 3,

        /// <summary>U(−0.5, 0.5), the textbook range for small exercises.</summary>
        UniformHalf = 4,

        /// <summary>He (Kaiming) normal: N(0, gain²/fan).</summary>
        HeNormal = 5,

        /// <summary>Glorot (Xavier) normal: N(0, gain²·2/(fan_in + fan_out)).</summary>
        GlorotNormal = 6,

        /// <summary>LeCun normal: N(0, 1/fan).</summary>
        LeCunNormal = 7,

        /// <summary>Every weight 0.</summary>
        Zeros = 8,

        /// <summary>Every weight 1.</summary>
        Ones = 9,

        /// <summary>Every weight equal to the layer's InitValue.</summary>
        Constant = 10,
    }
}
