using System;

namespace NetGen
{
    /// <summary>
    /// Declares a fully connected layer y = σ(W·x + b) with W stored as [outputs, inputs]
    /// row-major, as torch.nn.Linear stores it.
    /// </summary>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
    public sealed class DenseAttribute : Attribute
    {
        /// <summary>Creates the declaration.</summary>
        /// <param name="outputs">Number of output units; must be positive.</param>
        /// <param name="activation">Element-wise function applied to W·x + b.</param>
        public DenseAttribute(int outputs, Activation activation = Activation.Identity)
        {
            Outputs = outputs;
            Activation = activation;
        }

        /// <summary>Number of output units.</summary>
        public int Outputs { get; }

        /// <summary>Element-wise function applied to W·x + b.</summary>
        public Activation Activation { get; }

        /// <summary>
        /// Slope of <see cref="Activation.LeakyRelu"/> below zero (default 0.01) or α of
        /// <see cref="Activation.Elu"/> (default 1); NaN selects the default.
        /// </summary>
        public float Alpha { get; set; } = float.NaN;

        /// <summary>
        /// Distribution of the initial weights; <see cref="Initializer.Default"/> picks He for
        /// ReLU and leaky ReLU and Glorot otherwise. Biases always start at zero.
        /// </summary>
        public Initializer Init { get; set; } = Initializer.Default;

        /// <summary>Fan that He and LeCun initialisation divide by.</summary>
        public FanMode InitMode { get; set; } = FanMode.FanIn;

        /// <summary>Gain that replaces the activation's gain in He and Glorot initialisation; NaN keeps the activation's.</summary>
        public float InitGain { get; set; } = float.NaN;

        /// <summary>Value of every weight for <see cref="Initializer.Constant"/>.</summary>
        public float InitValue { get; set; }

        /// <summary>
        /// Number of inputs this layer expects, as torch.nn.Linear's in_features; 0 (the default)
        /// takes whatever the previous layer gives. When set, a different size is a compile error,
        /// which catches a miscounted flatten size after convolutions.
        /// </summary>
        public int Inputs { get; set; }

        /// <summary>Strength λ of an L1 penalty λ·Σ|w| on this layer's weights (not its bias).</summary>
        public float L1 { get; set; }

        /// <summary>Strength λ of an L2 penalty ½λ·Σw² on this layer's weights (not its bias).</summary>
        public float L2 { get; set; }
    }

    /// <summary>
    /// Declares inverted dropout: while training, each value is zeroed with probability p and
    /// the others are scaled by 1/(1 − p); in inference the layer passes values through.
    /// </summary>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
    public sealed class DropoutAttribute : Attribute
    {
        /// <summary>Creates the declaration.</summary>
        /// <param name="probability">Probability of zeroing each value, in [0, 1).</param>
        public DropoutAttribute(float probability) => Probability = probability;

        /// <summary>Probability of zeroing each value while training.</summary>
        public float Probability { get; }
    }
}
