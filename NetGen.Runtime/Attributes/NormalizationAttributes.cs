using System;

namespace NetGen
{
    /// <summary>
    /// Declares batch normalisation per channel, as torch.nn.BatchNorm1d (on [C] or [C, L]) and
    /// BatchNorm2d (on [C, H, W]): y = γ·(x − μ)/√(σ² + ε) + β. While training it normalises with the
    /// batch's mean and biased variance and moves the running statistics by <see cref="Momentum"/>
    /// (the variance unbiased); in inference it uses the running statistics.
    /// </summary>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
    public sealed class BatchNormAttribute : Attribute
    {
        /// <summary>Creates the declaration.</summary>
        /// <param name="activation">Element-wise function applied after the affine γ, β, such as ReLU after a convolution.</param>
        public BatchNormAttribute(Activation activation = Activation.Identity) => Activation = activation;

        /// <summary>Element-wise function applied after the affine γ, β.</summary>
        public Activation Activation { get; }

        /// <summary>Leaky ReLU slope or ELU α; NaN selects the default (0.01 and 1).</summary>
        public float Alpha { get; set; } = float.NaN;

        /// <summary>ε added to the variance; torch's default 1e-5.</summary>
        public float Epsilon { get; set; } = 1e-5f;

        /// <summary>Weight of the batch statistic in the running average, in [0, 1]; torch's default 0.1.</summary>
        public float Momentum { get; set; } = 0.1f;
    }

    /// <summary>
    /// Declares layer normalisation over all values of each sample, as torch.nn.LayerNorm with the
    /// sample's shape as normalized_shape and an element-wise affine γ, β of that shape.
    /// </summary>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
    public sealed class LayerNormAttribute : Attribute
    {
        /// <summary>Creates the declaration.</summary>
        /// <param name="activation">Element-wise function applied after the affine γ, β, such as ReLU after a convolution.</param>
        public LayerNormAttribute(Activation activation = Activation.Identity) => Activation = activation;

        /// <summary>Element-wise function applied after the affine γ, β.</summary>
        public Activation Activation { get; }

        /// <summary>Leaky ReLU slope or ELU α; NaN selects the default (0.01 and 1).</summary>
        public float Alpha { get; set; } = float.NaN;

        /// <summary>ε added to the variance; torch's default 1e-5.</summary>
        public float Epsilon { get; set; } = 1e-5f;
    }

    /// <summary>
    /// Opens a residual block: the tensor here is kept and added to the output of the layers up
    /// to the matching <see cref="ResidualEndAttribute"/>, which must have the same shape.
    /// Blocks may nest.
    /// </summary>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
    public sealed class ResidualAttribute : Attribute
    {
    }

    /// <summary>
    /// Closes the innermost open residual block: y = σ(branch + skip), where skip is the tensor at
    /// the matching <see cref="ResidualAttribute"/>.
    /// </summary>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
    public sealed class ResidualEndAttribute : Attribute
    {
        /// <summary>Creates the declaration.</summary>
        /// <param name="activation">Element-wise function applied to the sum, such as ReLU in a ResNet block.</param>
        public ResidualEndAttribute(Activation activation = Activation.Identity) => Activation = activation;

        /// <summary>Element-wise function applied to the sum.</summary>
        public Activation Activation { get; }

        /// <summary>Leaky ReLU slope or ELU α; NaN selects the default (0.01 and 1).</summary>
        public float Alpha { get; set; } = float.NaN;
    }
}
