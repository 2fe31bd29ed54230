using System;

namespace NetGen
{
    /// <summary>
    /// A network that the NetGen generator emitted: sizes, parameters and single-sample inference.
    /// </summary>
    /// <remarks>
    /// Generated classes implement this interface explicitly and also expose the same sizes as
    /// <c>const</c> fields, so code written against the concrete type reads compile-time constants.
    /// </remarks>
    public interface INetwork
    {
        /// <summary>Number of input features of one sample.</summary>
        int InputSize { get; }

        /// <summary>Number of outputs of one sample.</summary>
        int OutputSize { get; }

        /// <summary>Number of trainable parameters: the length of <see cref="Parameters"/>.</summary>
        int ParameterCount { get; }

        /// <summary>
        /// Text that identifies the architecture, for example
        /// <c>Input(784) Dense(256,Relu) Dense(10,Identity) Loss(SoftmaxCrossEntropy)</c>.
        /// Weight files store it and refuse to load into a network with another one.
        /// </summary>
        string Architecture { get; }

        /// <summary>
        /// All parameters in one contiguous buffer: each layer's weight [outputs, inputs]
        /// row-major, then its bias, layer after layer.
        /// </summary>
        Span<float> Parameters { get; }

        /// <summary>
        /// State that is saved with the parameters but not trained, as torch's buffers: the running
        /// mean and variance of each batch-norm layer. Empty for networks without such layers.
        /// </summary>
        Span<float> Buffers => Span<float>.Empty;

        /// <summary>Computes the outputs of one sample without allocating.</summary>
        /// <param name="input">Exactly <see cref="InputSize"/> values.</param>
        /// <param name="output">Exactly <see cref="OutputSize"/> values, overwritten.</param>
        void Forward(ReadOnlySpan<float> input, Span<float> output);
    }

    /// <summary>A generated network with batched forward and backward passes.</summary>
    public interface ITrainableNetwork : INetwork
    {
        /// <summary>Loss the backward pass differentiates.</summary>
        Loss Loss { get; }

        /// <summary>
        /// Allocates activation and gradient buffers for batches of up to
        /// <paramref name="maxBatchSize"/> samples. Create one per thread, once.
        /// </summary>
        Workspace CreateWorkspace(int maxBatchSize);

        /// <summary>
        /// Computes the outputs of a batch, keeping the activations in <paramref name="workspace"/>
        /// for a following <see cref="Backward"/>.
        /// </summary>
        /// <param name="inputs">batch × <see cref="INetwork.InputSize"/> values, sample after sample.</param>
        /// <param name="outputs">batch × <see cref="INetwork.OutputSize"/> values, overwritten.</param>
        /// <param name="workspace">Buffers from <see cref="CreateWorkspace"/> of this network type.</param>
        void Forward(ReadOnlySpan<float> inputs, Span<float> outputs, Workspace workspace);

        /// <summary>
        /// Differentiates the mean loss of the batch that the last <see cref="Forward(ReadOnlySpan{float}, Span{float}, Workspace)"/>
        /// on <paramref name="workspace"/> computed, and adds the gradient to
        /// <see cref="Workspace.Gradients"/>. Returns the mean loss of the batch.
        /// </summary>
        /// <param name="inputs">The same inputs that the forward pass was given.</param>
        /// <param name="targets">batch × <see cref="INetwork.OutputSize"/> targets; for softmax
        /// cross-entropy, class probabilities (usually one-hot).</param>
        /// <param name="workspace">The workspace that the forward pass used.</param>
        float Backward(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, Workspace workspace);

        /// <summary>
        /// Returns the loss of <paramref name="outputs"/> against <paramref name="targets"/> as
        /// the network's declaration defines it (mean over the batch, with its loss options), without
        /// weight penalties. Evaluation uses it; it allocates nothing.
        /// </summary>
        /// <param name="outputs">batch × <see cref="INetwork.OutputSize"/> outputs of a forward pass.</param>
        /// <param name="targets">batch × <see cref="INetwork.OutputSize"/> targets.</param>
        float ComputeLoss(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets);

        /// <summary>
        /// Whether a training forward pass normalises with statistics of its own batch, as batch
        /// norm does. The trainer then has to shuffle the samples between chunks of a batch, because
        /// each chunk is normalised on its own. Without such statistics a batch that contains the
        /// whole training set gives the same gradient in any order (up to rounding), so the trainer
        /// reads it in place. Generated networks derive it from their layers; the default, true,
        /// keeps the shuffle.
        /// </summary>
        bool UsesBatchStatistics => true;

        /// <summary>
        /// Whether the mean loss of a batch divides by a total weight of its samples instead of
        /// their number: a softmax cross-entropy with class weights or label smoothing, whose mean
        /// is Σ_n ℓ_n / Σ_n W_n. The trainer then weighs each chunk's loss and gradient by
        /// <see cref="LossWeight"/>, so a batch cut into chunks gives the batch's own mean. The
        /// default, false, weighs chunks by their sample counts.
        /// </summary>
        bool WeighsSamples => false;

        /// <summary>
        /// Returns the divisor of the mean loss of a batch with these targets: its total weight
        /// Σ_n W_n where <see cref="WeighsSamples"/> is true, otherwise the number of samples.
        /// </summary>
        /// <param name="targets">batch × <see cref="INetwork.OutputSize"/> targets.</param>
        double LossWeight(ReadOnlySpan<float> targets) => (double)targets.Length / OutputSize;

        /// <summary>
        /// Minimum number of samples in a training batch. Generated networks give 2 when a batch norm
        /// has one value per channel and sample (after a dense layer, or where a channel has a single
        /// position), so that a single sample has no variance, and 1 otherwise. The trainer checks a
        /// training set against it before the first step.
        /// </summary>
        int MinimumTrainingBatch => 1;

        /// <summary>
        /// Applies the batch statistics that a training forward pass on <paramref name="workspace"/>
        /// kept while <see cref="Workspace.DefersStatistics"/> was set to the running statistics of
        /// the batch-norm layers, then clears <see cref="Workspace.HasPendingStatistics"/>. Does
        /// nothing when nothing is pending or the network has no batch norm.
        /// </summary>
        /// <param name="workspace">The workspace of that forward pass.</param>
        void CommitStatistics(Workspace workspace)
        {
            ArgumentNullException.ThrowIfNull(workspace);
            workspace.HasPendingStatistics = false;
        }

        /// <summary>
        /// Runs one training step: zeroes the gradients, runs forward and backward over the batch,
        /// and lets <paramref name="optimizer"/> update the parameters. Returns the mean loss of
        /// the batch before the update.
        /// </summary>
        float TrainStep(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, IOptimizer optimizer, Workspace workspace);
    }
}
