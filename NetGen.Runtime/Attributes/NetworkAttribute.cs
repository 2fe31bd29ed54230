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
        /// (1 − ε)·t + ε/classes, as torch.nn.CrossEntropyLoss's label_smoothing. Together with
        /// <see cref="ClassWeights"/> the loss differs from torch's, as ClassWeights explains.
        /// </summary>
        public float LabelSmoothing { get; set; }

        /// <summary>
        /// Per-class weights of <see cref="Loss.SoftmaxCrossEntropy"/>, one per output; the batch
        /// loss is Σ w·t′·(−log p) divided by Σ w·t′, where t′ are the targets after label smoothing.
        /// Without smoothing and with one-hot targets that is torch's weighted mean. With smoothing,
        /// torch divides by the weights of the unsmoothed targets instead, so the two losses differ.
        /// Null, the default, leaves the loss unweighted. An array of another length, even an empty
        /// one, is error NETGEN0106.
        /// </summary>
        public float[]? ClassWeights { get; set; }

        /// <summary>
        /// Whether to generate a nested <c>Quantized</c> class: an int8 inference path with
        /// constant sizes, built from the trained network by calibration (static quantization) or
        /// with per-call activation scales (dynamic quantization). See docs/quantization.md.
        /// </summary>
        public bool Int8 { get; set; }
    }

    /// <summary>
    /// Declares the shape of one input sample: a flat vector of features, a [channels, length]
    /// sequence, or a [channels, height, width] image (NCHW without the batch, as torch).
    /// </summary>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
    public sealed class InputAttribute : Attribute
    {
        /// <summary>Declares a flat input.</summary>
        /// <param name="size">Number of input features; must be positive.</param>
        public InputAttribute(int size) => (Channels, Height, Width) = (size, 1, 1);

        /// <summary>Declares a [channels, length] input for 1-D convolutions.</summary>
        /// <param name="channels">Number of channels.</param>
        /// <param name="length">Positions per channel.</param>
        public InputAttribute(int channels, int length) => (Channels, Height, Width) = (channels, 1, length);

        /// <summary>Declares a [channels, height, width] input for 2-D convolutions.</summary>
        /// <param name="channels">Number of channels.</param>
        /// <param name="height">Rows per channel.</param>
        /// <param name="width">Columns per channel.</param>
        public InputAttribute(int channels, int height, int width) => (Channels, Height, Width) = (channels, height, width);

        /// <summary>Number of values of one sample: channels · height · width.</summary>
        public int Size => Channels * Height * Width;

        /// <summary>Channels, or the feature count of a flat input.</summary>
        public int Channels { get; }

        /// <summary>Rows of an image input; 1 otherwise.</summary>
        public int Height { get; }

        /// <summary>Columns of an image input or length of a sequence input; 1 for a flat input.</summary>
        public int Width { get; }
    }
}
