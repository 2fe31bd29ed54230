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

        /// <summary>Threshold δ of <see cref="Loss.Huber"/>; must be positive.</summary>
        public float HuberDelta { get; set; } = 1f;

        /// <summary>
        /// Label smoothing ε of <see cref="Loss.SoftmaxCrossEntropy"/>, in [0, 1): targets become
        /// (1 − ε)·t + ε/classes, as torch.nn.CrossEntropyLoss's label_smoothing.
        /// </summary>
        public float LabelSmoothing { get; set; }

        /// <summary>
        /// Per-class weights of <see cref="Loss.SoftmaxCrossEntropy"/>, one per output; the batch
        /// loss is Σ w·t·(−log p) divided by Σ w·t, which for one-hot targets is torch's weighted mean.
        /// </summary>
        public float[]? ClassWeights { get; set; }

        /// <summary>
        /// Whether to generate a nested <c>Quantized</c> class: an int8 inference path with
        /// constant sizes, built from the trained network by calibration (static quantization) or
        /// with per-call activation scales (dynamic quantization). See docs/quantization.md.
        /// </summary>
        public bool Int8 { get; set; }
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
}
