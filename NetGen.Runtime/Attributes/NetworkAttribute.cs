using System;

namespace NetGen
{
    /// <summary>
    /// Marks a partial class as a network for the NetGen generator. Layers follow as
    /// attributes in source order: one <see cref="InputAttribute"/>, then the layers.
    /// </summary>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
    public sealed class NetworkAttribute : Attribute
    {
        /// <summary>Loss that the generated training step minimises.</summary>
        public Loss Loss { get; set; } = Loss.SquaredError;
    }

    /// <summary>Declares the number of input features of one sample.</summary>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
    public sealed class InputAttribute : Attribute
    {
        /// <summary>Creates the declaration.</summary>
        /// <param name="size">Number of input features; must be positive.</param>
        public InputAttribute(int size) => Size = size;

        /// <summary>Number of input features of one sample.</summary>
        public int Size { get; }
    }

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
        /// Distribution of the initial weights; <see cref="Initializer.Default"/> picks He for
        /// ReLU and Glorot otherwise. Biases always start at zero.
        /// </summary>
        public Initializer Init { get; set; } = Initializer.Default;
    }
}
