#if NETGEN_GENERATOR
namespace NetGen.Generator
#else
namespace NetGen
#endif
{
    /// <summary>Training objective of a network, applied to the last layer's output.</summary>
    /// <remarks>Numeric values are part of the public contract: never renumber a member.</remarks>
#if NETGEN_GENERATOR
    internal
#else
    public
#endif
    enum Loss
    {
        /// <summary>
        /// E = ½‖y − t‖² summed over the outputs of one sample; a batch reports the mean over samples.
        /// </summary>
        SquaredError = 0,

        /// <summary>
        /// Softmax over the last layer's outputs fused with cross-entropy against target
        /// probabilities (usually one-hot): E = −Σ t·log softmax(y). The gradient is softmax(y) − t.
        /// A batch reports the mean over samples, as torch.nn.CrossEntropyLoss does by default.
        /// </summary>
        SoftmaxCrossEntropy = 1,
    }
}
