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

        /// <summary>Mean over every output of every sample of (y − t)², as torch.nn.MSELoss.</summary>
        MeanSquaredError = 2,

        /// <summary>Mean over every output of every sample of |y − t|, as torch.nn.L1Loss.</summary>
        AbsoluteError = 3,

        /// <summary>
        /// Huber loss as torch.nn.HuberLoss: ½d² where |d| &lt; δ, else δ(|d| − ½δ), with d = y − t,
        /// averaged over every output; δ is the network's HuberDelta (default 1).
        /// </summary>
        Huber = 4,

        /// <summary>
        /// Sigmoid fused with binary cross-entropy on each output, in the stable form
        /// max(y, 0) − y·t + log(1 + e^−|y|), averaged over every output, as torch.nn.BCEWithLogitsLoss.
        /// </summary>
        BinaryCrossEntropyWithLogits = 5,
    }
}
