using System;
using System.Collections.Generic;

namespace NetGen.Sparse
{
    /// <summary>How <see cref="PruningOptimizer"/> selects the weights to prune.</summary>
    public enum PruningGranularity
    {
        /// <summary>Single weights of smallest magnitude, per layer (<see cref="MagnitudePruning"/>).</summary>
        Weight,

        /// <summary>Whole 1×8 blocks of smallest L2 norm, per layer (<see cref="BlockPruning"/>), for <see cref="BlockCsrMatrix"/>.</summary>
        Block,
    }

    /// <summary>A weight matrix inside a network's parameter buffer: where it starts, its shape [rows, columns] and how it is pruned.</summary>
    /// <param name="Offset">Index of the first weight in the parameter buffer.</param>
    /// <param name="Rows">Rows (outputs of the layer).</param>
    /// <param name="Columns">Columns (inputs of the layer).</param>
    /// <param name="Granularity">Whether single weights or 1×8 blocks of this layer are pruned.</param>
    public readonly record struct PrunedWeights(int Offset, int Rows, int Columns, PruningGranularity Granularity = PruningGranularity.Weight)
    {
        /// <summary>
        /// Locates a weight view, such as a generated network's <c>Dense1Weight</c>, inside its
        /// parameter buffer, such as the network's <c>Parameters</c>.
        /// </summary>
        /// <param name="parameters">The whole parameter buffer.</param>
        /// <param name="weights">The layer's weights, rows × columns values inside <paramref name="parameters"/>.</param>
        /// <param name="rows">Rows (outputs of the layer).</param>
        /// <param name="columns">Columns (inputs of the layer).</param>
        /// <param name="granularity">Whether single weights or 1×8 blocks of this layer are pruned.</param>
        /// <returns>The offset of <paramref name="weights"/> in <paramref name="parameters"/> with the shape and granularity.</returns>
        /// <exception cref="ArgumentException"><paramref name="weights"/> is not rows × columns values inside <paramref name="parameters"/>.</exception>
        public static PrunedWeights Locate(ReadOnlySpan<float> parameters, ReadOnlySpan<float> weights, int rows, int columns, PruningGranularity granularity = PruningGranularity.Weight)
        {
            Kernels.KernelArguments.RequireSize(rows);
            Kernels.KernelArguments.RequireSize(columns);
            Kernels.KernelArguments.RequireLength(weights.Length, rows, columns, nameof(weights), nameof(rows), nameof(columns));
            int offset = 0;
            if (weights.Length > 0 && (!parameters.Overlaps(weights, out offset) || offset < 0 || offset + weights.Length > parameters.Length))
            {
                throw new ArgumentException("The weights must lie inside the parameter buffer; pass a view of the same network's Parameters.", nameof(weights));
            }

            return new PrunedWeights(offset, rows, columns, granularity);
        }
    }

    /// <summary>
    /// An optimizer that prunes during training: after every step of the wrapped optimizer it
    /// applies each layer's pruning mask, and at the pruning steps of a
    /// <see cref="GradualPruningSchedule"/> it first recomputes the masks for the scheduled sparsity.
    /// </summary>
    /// <remarks>
    /// Applying the mask after every step matters because the state of SGD momentum or Adam keeps
    /// moving a pruned weight away from zero. Pass it to <see cref="Trainer{TNetwork}"/> in place of
    /// the wrapped optimizer. Steps are counted from 0 on the first <see cref="Step"/> call, and
    /// the schedule's steps are these counts. <see cref="Reset"/> resets the wrapped optimizer
    /// only: the masks and the step count stay.
    /// </remarks>
    public sealed class PruningOptimizer : IOptimizer
    {
        private readonly IOptimizer _inner;
        private readonly GradualPruningSchedule _schedule;
        private readonly PrunedWeights[] _layers;
        private readonly PruningMask?[] _masks;

        /// <summary>Wraps an optimizer.</summary>
        /// <param name="inner">The optimizer that updates the parameters.</param>
        /// <param name="schedule">When to prune and to what sparsity; every listed layer gets the same target.</param>
        /// <param name="layers">The weight matrices to prune, by position in the parameter buffer, each with its granularity. Biases are usually left out.</param>
        /// <exception cref="ArgumentNullException">An argument is null.</exception>
        /// <exception cref="ArgumentException">A layer has a negative offset or size, or a granularity that is not a defined value.</exception>
        public PruningOptimizer(IOptimizer inner, GradualPruningSchedule schedule, IReadOnlyList<PrunedWeights> layers)
        {
            ArgumentNullException.ThrowIfNull(inner);
            ArgumentNullException.ThrowIfNull(schedule);
            ArgumentNullException.ThrowIfNull(layers);
            _layers = new PrunedWeights[layers.Count];
            for (int i = 0; i < _layers.Length; i++)
            {
                PrunedWeights layer = layers[i];
                if (layer.Offset < 0 || layer.Rows < 0 || layer.Columns < 0)
                {
                    throw new ArgumentException($"Layer {i} has offset {layer.Offset}, rows {layer.Rows} and columns {layer.Columns}, but none may be negative.", nameof(layers));
                }

                if (!Enum.IsDefined(layer.Granularity))
                {
                    throw new ArgumentException($"Layer {i} has granularity {(int)layer.Granularity}, but it must be Weight or Block.", nameof(layers));
                }

                _layers[i] = layer;
            }

            _inner = inner;
            _schedule = schedule;
            _masks = new PruningMask?[_layers.Length];
        }

        /// <summary>Number of <see cref="Step"/> calls so far.</summary>
        public long StepCount { get; private set; }

        /// <summary>Target sparsity of the masks now in force; 0 before the first pruning step.</summary>
        public double CurrentSparsity { get; private set; }

        /// <inheritdoc/>
        public float LearningRate
        {
            get => _inner.LearningRate;
            set => _inner.LearningRate = value;
        }

        /// <summary>
        /// Runs the wrapped optimizer's step, recomputes the masks when this step is a pruning step
        /// of the schedule, and applies the masks.
        /// </summary>
        /// <param name="parameters">The network's parameters, updated in place.</param>
        /// <param name="gradients">Their gradients.</param>
        /// <exception cref="ArgumentException">A layer lies outside <paramref name="parameters"/>.</exception>
        public void Step(Span<float> parameters, ReadOnlySpan<float> gradients)
        {
            foreach (PrunedWeights layer in _layers)
            {
                if ((long)layer.Offset + ((long)layer.Rows * layer.Columns) > parameters.Length)
                {
                    throw new ArgumentException(
                        $"A pruned layer ends at {(long)layer.Offset + ((long)layer.Rows * layer.Columns)}, past the {parameters.Length} parameters. Check the offsets given to the PruningOptimizer.",
                        nameof(parameters));
                }
            }

            _inner.Step(parameters, gradients);
            long step = StepCount++;
            if (_schedule.IsPruningStep(step))
            {
                CurrentSparsity = _schedule.SparsityAt(step);
                for (int i = 0; i < _layers.Length; i++)
                {
                    ReadOnlySpan<float> weights = WeightsOf(parameters, _layers[i]);
                    _masks[i] = _layers[i].Granularity == PruningGranularity.Block
                        ? BlockPruning.ComputeMask(weights, _layers[i].Rows, _layers[i].Columns, CurrentSparsity)
                        : MagnitudePruning.ComputeMask(weights, CurrentSparsity);
                }
            }

            for (int i = 0; i < _layers.Length; i++)
            {
                _masks[i]?.Apply(WeightsOf(parameters, _layers[i]));
            }
        }

        /// <inheritdoc/>
        public void Reset() => _inner.Reset();

        private static Span<float> WeightsOf(Span<float> parameters, PrunedWeights layer) =>
            parameters.Slice(layer.Offset, layer.Rows * layer.Columns);
    }
}
