using System;

namespace NetGen.Quantization
{
    /// <summary>
    /// Fine-tunes a trained network with fake-quantized weights (quantization-aware training), so
    /// that its int8 form loses less accuracy. Each step runs the network on weights rounded to
    /// their int8 values and applies the gradient, by the straight-through estimator, to fp32
    /// master weights that this object keeps.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Weights are quantized per row with the row's largest magnitude as the end of the range, so
    /// no weight saturates and the straight-through gradient passes every weight unchanged
    /// (<see cref="FakeQuantization.Backward"/> would return dy everywhere). Biases stay fp32, as
    /// the int32 bias of the converted layer represents them to within half a step of
    /// inputScale · weightScale.
    /// </para>
    /// <para>
    /// NOTE: only the weights are fake-quantized. The generated training step has no hook between
    /// layers, so hidden activations meet their uint8 rounding only when the network is converted;
    /// inputs can be fake-quantized by the caller before each step.
    /// </para>
    /// </remarks>
    /// <typeparam name="TNetwork">A generated network type.</typeparam>
    public sealed class QuantizationAwareTraining<TNetwork>
        where TNetwork : ITrainableNetwork
    {
        private readonly TNetwork _network;
        private readonly IOptimizer _optimizer;
        private readonly FakeQuantizeParameters _fakeQuantize;
        private readonly float[] _master;
        private readonly float[] _outputs;

        // The network's parameters do change in a skipped step: they hold the fake-quantized master weights.
        private const string SkippedStepUnchanged = "the master weights and the batch-norm running statistics";

        /// <summary>Rounds the weights inside a parameter buffer of the network to their int8 values, in place.</summary>
        /// <param name="parameters">The network's parameter buffer layout, [ParameterCount].</param>
        public delegate void FakeQuantizeParameters(Span<float> parameters);

        /// <summary>Starts fine-tuning from the network's current parameters.</summary>
        /// <param name="network">The trained network; its parameters change on every step.</param>
        /// <param name="optimizer">Updates the fp32 master weights.</param>
        /// <param name="fakeQuantize">Rounds the weights of every int8 layer, such as the generated <c>Quantized.FakeQuantizeWeights</c>.</param>
        /// <param name="maxBatchSize">Largest batch that <see cref="TrainStep"/> takes.</param>
        public QuantizationAwareTraining(TNetwork network, IOptimizer optimizer, FakeQuantizeParameters fakeQuantize, int maxBatchSize)
        {
            ArgumentNullException.ThrowIfNull(network);
            ArgumentNullException.ThrowIfNull(optimizer);
            ArgumentNullException.ThrowIfNull(fakeQuantize);
            ArgumentRules.RequireAtLeast(maxBatchSize, 1, "Pass the largest batch that TrainStep will receive, such as the training batch size.");
            int widest = Math.Max(Math.Max(network.InputSize, network.OutputSize), 1);
            if (maxBatchSize > Array.MaxLength / widest)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(maxBatchSize), maxBatchSize, $"A batch of {maxBatchSize} samples of {widest} values does not fit in one array; pass at most {Array.MaxLength / widest}, or less where a hidden layer is wider.");
            }

            _network = network;
            _optimizer = optimizer;
            _fakeQuantize = fakeQuantize;

            // The workspace checks the batch against every layer's size before the outputs are allocated.
            // It trains, as torch's model.train() during quantization-aware training: batch norm
            // normalises with batch statistics and dropout is active.
            Workspace = network.CreateWorkspace(maxBatchSize);
            Workspace.IsTraining = true;
            _master = network.Parameters.ToArray();
            _outputs = new float[maxBatchSize * network.OutputSize];
        }

        /// <summary>
        /// The buffers the training steps use. Its <see cref="Workspace.IsTraining"/> starts true. Set
        /// it to false to fine-tune with batch norm frozen at its running statistics and dropout off.
        /// </summary>
        public Workspace Workspace { get; }

        /// <summary>The fp32 master parameters that the optimizer updates.</summary>
        public ReadOnlySpan<float> MasterParameters => _master;

        /// <summary>
        /// Runs one step: loads the fake-quantized master weights into the network, runs forward and
        /// backward over the batch, and updates the master weights. Returns the batch's mean loss.
        /// </summary>
        /// <exception cref="ArgumentException">
        /// The inputs or targets are not one batch that fits the workspace, or the workspace trains
        /// and the batch is smaller than the network's <see cref="ITrainableNetwork.MinimumTrainingBatch"/>.
        /// </exception>
        /// <exception cref="ArithmeticException">
        /// The loss or a gradient is NaN or infinite. The master weights and the batch-norm running
        /// statistics are unchanged, and the network's parameters hold the fake-quantized master
        /// weights, as after every step; <see cref="CopyMasterToNetwork"/> restores the fp32 weights.
        /// </exception>
        /// <remarks>
        /// Batch-norm running statistics move once the step has passed its checks and the optimizer
        /// has stepped, as in the generated TrainStep.
        /// </remarks>
        public float TrainStep(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets)
        {
            // Checked before the network's parameters change, so a batch of the wrong shape or size leaves them as they were.
            int batch = GeneratedCode.BatchSize(inputs.Length, _network.InputSize, Workspace, _network.Architecture, nameof(inputs));
            GeneratedCode.CheckBatchLength(targets.Length, batch, _network.OutputSize, nameof(targets), "'inputs'");
            if (Workspace.IsTraining && batch < _network.MinimumTrainingBatch)
            {
                throw new ArgumentException(
                    $"The batch holds {batch} sample(s), but this network trains on batches of at least {_network.MinimumTrainingBatch}. In a generated network the reason is a batch norm with one value per channel and sample, which has no variance over a single sample. " +
                    "Pass a larger batch, or set Workspace.IsTraining to false to fine-tune with batch norm frozen.",
                    nameof(inputs));
            }

            Span<float> parameters = _network.Parameters;
            _master.CopyTo(parameters);
            _fakeQuantize(parameters);

            Workspace.ZeroGradients();
            Workspace.DefersStatistics = true;
            float loss;
            try
            {
                _network.Forward(inputs, _outputs.AsSpan(0, batch * _network.OutputSize), Workspace);
                loss = _network.Backward(inputs, targets, Workspace);
                GeneratedCode.CheckLoss(loss, SkippedStepUnchanged);
                GeneratedCode.CheckGradients(Workspace.Gradients, loss, SkippedStepUnchanged);

                // Straight-through estimator: d loss / d master = d loss / d (fake-quantized weight).
                _optimizer.Step(_master, Workspace.Gradients);
            }
            catch
            {
                // Statistics kept from a rejected batch must never reach the running statistics.
                Workspace.HasPendingStatistics = false;
                throw;
            }

            // The check skips the call for networks without batch norm, which for a struct network would box it.
            if (Workspace.HasPendingStatistics)
            {
                _network.CommitStatistics(Workspace);
            }

            return loss;
        }

        /// <summary>Copies the fp32 master parameters into the network, ready for conversion to int8.</summary>
        public void CopyMasterToNetwork() => _master.CopyTo(_network.Parameters);
    }
}
