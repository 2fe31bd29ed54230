using System;
using System.Numerics.Tensors;

namespace NetGen
{
    // A batch of one chunk on several threads: the threads share the large dense layers (see
    // LayerSplit), and each steps the parameters whose gradient it computed.
    public sealed partial class Trainer<TNetwork>
    {
        // Splits the large layers of a batch of one chunk between the threads; null on one thread.
        private readonly LayerSplit? _layerSplit;

        // Whether workspace 0's gradients are all zero, because the last shared step cleared each
        // range after stepping it, while it was still in its thread's cache. The next step then
        // skips clearing them on the calling thread, which would pull every line to one core.
        private bool _gradientsClear;

        /// <summary>Number of layer passes that the threads have shared, for tests.</summary>
        internal long SharedLayerPasses => _layerSplit?.Passes ?? 0;

        /// <summary>Runs part p of the current shared layer on worker p, for every p below <paramref name="parts"/>.</summary>
        private void RunLayerParts(int parts)
        {
            _phase = Phase.LayerPart;
            _pool.RunPerWorker(parts);
        }

        /// <summary>
        /// Runs forward and backward on the only chunk of a batch on the calling thread, which
        /// lets exceptions pass unwrapped on any machine. With several threads its dense kernels
        /// hand ranges of the large layers to them.
        /// </summary>
        private void TrainOneChunk()
        {
            if (_layerSplit is null)
            {
                TrainChunk(0);
                return;
            }

            _layerSplit.Begin(_workspaces[0]);
            try
            {
                TrainChunk(0);
            }
            finally
            {
                _layerSplit.End();
            }
        }

        /// <summary>
        /// Evaluates a batch of one chunk on the calling thread, with the threads sharing its large
        /// dense layers as in training (the forward pass gives the same bits either way).
        /// </summary>
        private void EvaluateOneChunk()
        {
            if (_layerSplit is null)
            {
                EvaluateChunk(0, _workspaces[0]);
                return;
            }

            _layerSplit.Begin(_workspaces[0]);
            try
            {
                EvaluateChunk(0, _workspaces[0]);
            }
            finally
            {
                _layerSplit.End();
            }
        }

        /// <summary>
        /// Checks the gradient of a one-chunk batch whose layers the threads shared, each thread its
        /// own ranges, and then steps them, unless the optimizer is not elementwise or the ranges
        /// overlap. Returns whether it stepped; the caller then steps on the calling thread.
        /// </summary>
        private bool TryStepSharedRanges(float loss)
        {
            LayerSplit? split = _layerSplit;
            if (split is null || _optimizer is not IElementwiseOptimizer elementwise || !split.SortRanges())
            {
                return false;
            }

            // Every range is checked before any is stepped, so a NaN leaves all parameters as they were.
            Span<float> gradients = _workspaces[0].Gradients;
            _nonFiniteSum = false;
            _phase = Phase.CheckOwnedGradients;
            _pool.RunPerWorker(split.Owners);
            if (_nonFiniteSum)
            {
                GeneratedCode.CheckGradients(gradients, loss);
            }

            elementwise.BeginStep(gradients.Length);
            _phase = Phase.StepOwnedParameters;
            _pool.RunPerWorker(split.Owners);
            _gradientsClear = true;
            return true;
        }

        /// <summary>
        /// Checks or steps the gradient ranges that worker <paramref name="worker"/> computed;
        /// worker 0 also takes every gradient outside the recorded ranges.
        /// </summary>
        private void ProcessOwnedRanges(int worker, bool step)
        {
            LayerSplit split = _layerSplit!;
            int cursor = 0;
            for (int k = 0; k < split.RangeCount; k++)
            {
                (int start, int length, int owner) = split.Range(k);
                if (worker == 0 && start > cursor)
                {
                    ProcessRange(cursor, start - cursor, step);
                }

                if (owner == worker)
                {
                    ProcessRange(start, length, step);
                }

                cursor = start + length;
            }

            int total = _workspaces[0].Gradients.Length;
            if (worker == 0 && cursor < total)
            {
                ProcessRange(cursor, total - cursor, step);
            }
        }

        /// <summary>
        /// Flags NaN or an infinity in <paramref name="length"/> gradients from <paramref name="start"/>,
        /// or steps their parameters and clears them, a block at a time.
        /// </summary>
        private void ProcessRange(int start, int length, bool step)
        {
            Span<float> gradients = _workspaces[0].Gradients.Slice(start, length);
            if (!step)
            {
                if (!TensorPrimitives.IsFiniteAll(gradients))
                {
                    _nonFiniteSum = true;
                }

                return;
            }

            var optimizer = (IElementwiseOptimizer)_optimizer;
            Span<float> parameters = _network.Parameters.Slice(start, length);
            for (int offset = 0; offset < length; offset += SumBlockLength)
            {
                int blockLength = Math.Min(SumBlockLength, length - offset);
                Span<float> block = gradients.Slice(offset, blockLength);
                optimizer.StepRange(start + offset, parameters.Slice(offset, blockLength), block);
                block.Clear();
            }
        }
    }
}
