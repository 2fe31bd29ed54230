using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using NetGen.Data;
using NetGen.Kernels;

namespace NetGen
{
    // Chunked, multithreaded work of the trainer: the phases that the worker pool runs, and the
    // buffers they share. Every phase writes only to the slices of its own items, so threads
    // never write to the same memory.
    public sealed partial class Trainer<TNetwork>
    {
        // Parameters per item of the gradient sum and of a parallel optimizer step. The blocks
        // are fixed, so every parameter's sum runs the same code whatever the thread count.
        // 4096 floats (16 KiB) keep a block's running sum in the L1 or L2 cache while the chunk
        // gradients stream past.
        private const int SumBlockLength = 4096;

        // Training chunk c uses workspace c, whose gradients are that chunk's mean gradient.
        // Evaluation uses workspace w on worker w.
        private readonly Workspace[] _workspaces;
        private readonly float[] _gradients;    // [ParameterCount], gradient of the batch mean; empty when a batch has one chunk
        private readonly double[] _chunkLosses; // mean loss of each chunk of the current batch
        private readonly double[] _chunkWeights; // divisor of each chunk's mean loss: its samples, or their total weight
        private readonly int[] _chunkCorrect;   // correctly classified samples of each chunk
        private readonly WorkerPool _pool;

        // The current phase and its batch, set by the calling thread before it starts the pool.
        private Phase _phase;
        private Dataset? _phaseData;
        private int _phaseStart; // training: position in the sample order; evaluation: sample index
        private int _phaseSize;  // samples in the batch

        // Set by any block of the gradient sum that contains NaN or an infinity.
        private volatile bool _nonFiniteSum;

        private enum Phase
        {
            TrainChunks,
            SumGradients,
            StepParameters,
            EvaluateChunks,
            LayerPart,
            CheckOwnedGradients,
            StepOwnedParameters,
        }

        /// <summary>
        /// Runs forward and backward on every chunk of the training batch at
        /// <paramref name="start"/> in the sample order, sums the chunk gradients and takes one
        /// optimizer step. Returns the batch's loss times its weight, the weight, and the correct count.
        /// </summary>
        /// <remarks>
        /// This method, <see cref="TrainChunk"/> and <see cref="EvaluateChunk"/> are compiled fully
        /// optimized at once, without dynamic PGO. Under PGO, BenchmarkDotNet measured the one-chunk
        /// step of 784 → 128 → 10 at batch 32 at 238–243 µs in three runs on AMD Zen 4. With the
        /// attribute it took 179–181 µs, as TrainStep (179–183 µs), which does the same work.
        /// </remarks>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private (double LossSum, double Weight, int Correct) TrainBatch(Dataset train, int start, int size)
        {
            int chunks = ChunkCount(size);
            _phaseData = train;
            _phaseStart = start;
            _phaseSize = size;
            _phase = Phase.TrainChunks;
            if (chunks == 1)
            {
                TrainOneChunk();
            }
            else
            {
                _pool.Run(chunks);
            }

            _phaseData = null;

            (double lossSum, double weight, int correct) = CombineChunks(chunks);
            if (weight == 0 && _weighsSamples)
            {
                // Every sample weighs 0 under the loss, so the batch has no mean to descend. Like a
                // chunk of weight 0 in a batch, it adds nothing to the epoch and takes no step.
                CommitChunkStatistics(chunks);
                return (0, 0, correct);
            }

            var loss = (float)(lossSum / weight);
            GeneratedCode.CheckLoss(loss);
            if (chunks == 1 && TryStepSharedRanges(loss))
            {
                CommitChunkStatistics(1);
                return (lossSum, weight, correct);
            }

            ReadOnlySpan<float> gradients;
            if (chunks == 1)
            {
                // The sum would multiply the only gradient by n_c / B = 1, which changes no bit.
                gradients = _workspaces[0].Gradients;
                GeneratedCode.CheckGradients(gradients, loss);
            }
            else
            {
                _phase = Phase.SumGradients;
                _nonFiniteSum = false;
                _pool.Run(BlockCount(_gradients.Length));
                gradients = _gradients;
                if (_nonFiniteSum)
                {
                    GeneratedCode.CheckGradients(gradients, loss);
                }
            }

            if (chunks > 1 && _pool.Threads > 1 && _optimizer is IElementwiseOptimizer elementwise)
            {
                // Every thread updates blocks of parameters, as it summed blocks of gradients. A
                // batch of one chunk steps on the calling thread unless TryStepSharedRanges took it.
                elementwise.BeginStep(gradients.Length);
                _phase = Phase.StepParameters;
                _pool.Run(BlockCount(gradients.Length));
            }
            else
            {
                _optimizer.Step(_network.Parameters, gradients);
            }

            CommitChunkStatistics(chunks);
            return (lossSum, weight, correct);
        }

        /// <summary>Returns the number of blocks of <see cref="SumBlockLength"/> parameters that cover <paramref name="length"/>.</summary>
        private static int BlockCount(int length) => (length + SumBlockLength - 1) / SumBlockLength;

        /// <summary>
        /// Runs the optimizer step that <see cref="TrainBatch"/> began on block <paramref name="block"/>
        /// of the parameters, from the sum of the chunk gradients.
        /// </summary>
        private void StepParameterBlock(int block)
        {
            int start = block * SumBlockLength;
            Span<float> parameters = _network.Parameters;
            int length = Math.Min(SumBlockLength, parameters.Length - start);
            ((IElementwiseOptimizer)_optimizer).StepRange(start, parameters.Slice(start, length), _gradients.AsSpan(start, length));
        }

        /// <summary>Applies the batch-norm statistics that the training chunks kept.</summary>
        private void CommitChunkStatistics(int chunks)
        {
            // Batch norms' running statistics move once per chunk, in chunk order, so the result
            // does not depend on which thread finished first. The check skips the call for networks
            // without batch norm, which for a struct network would box it.
            for (int chunk = 0; chunk < chunks; chunk++)
            {
                if (_workspaces[chunk].HasPendingStatistics)
                {
                    _network.CommitStatistics(_workspaces[chunk]);
                }
            }
        }

        /// <summary>
        /// Runs forward on every chunk of the evaluation batch at sample <paramref name="start"/>
        /// and returns the batch's loss times its weight, the weight, and the correct count.
        /// </summary>
        private (double LossSum, double Weight, int Correct) EvaluateBatch(Dataset data, int start, int size)
        {
            int chunks = ChunkCount(size);
            _phaseData = data;
            _phaseStart = start;
            _phaseSize = size;
            _phase = Phase.EvaluateChunks;
            if (chunks == 1)
            {
                EvaluateOneChunk();
            }
            else
            {
                _pool.Run(chunks);
            }

            _phaseData = null;
            return CombineChunks(chunks);
        }

        /// <summary>
        /// Adds up the chunks' losses times their weights, the weights, and the correct counts, in
        /// chunk order. A chunk of weight 0 (every sample of a class weighted 0) has the mean 0/0
        /// and adds nothing, as its samples add nothing to the batch's mean.
        /// </summary>
        private (double LossSum, double Weight, int Correct) CombineChunks(int chunks)
        {
            double lossSum = 0;
            double weight = 0;
            int correct = 0;
            for (int c = 0; c < chunks; c++)
            {
                if (_chunkWeights[c] != 0)
                {
                    lossSum += _chunkLosses[c] * _chunkWeights[c];
                    weight += _chunkWeights[c];
                }

                correct += _chunkCorrect[c];
            }

            return (lossSum, weight, correct);
        }

        /// <summary>Returns the divisor of a chunk's mean loss: its total weight, or its number of samples.</summary>
        private double ChunkWeight(ReadOnlySpan<float> targets, int length)
        {
            if (!_weighsSamples)
            {
                return length;
            }

            double weight = _network.LossWeight(targets);
            if (!double.IsFinite(weight) || weight < 0)
            {
                throw new InvalidOperationException(
                    $"The network's LossWeight returned {weight} for {length} samples, but a loss weight must be finite and zero or positive. For a generated network, check the targets: softmax cross-entropy takes class probabilities, never negative. A hand-written network must fix its LossWeight.");
            }

            return weight;
        }

        /// <summary>Runs item <paramref name="item"/> of the current phase; the worker pool calls it.</summary>
        private void RunItem(int item, int worker)
        {
            switch (_phase)
            {
                case Phase.TrainChunks:
                    TrainChunk(item);
                    break;
                case Phase.SumGradients:
                    SumGradientBlock(item);
                    break;
                case Phase.StepParameters:
                    StepParameterBlock(item);
                    break;
                case Phase.LayerPart:
                    _layerSplit!.RunPart(item);
                    break;
                case Phase.CheckOwnedGradients:
                    ProcessOwnedRanges(item, step: false);
                    break;
                case Phase.StepOwnedParameters:
                    ProcessOwnedRanges(item, step: true);
                    break;
                default:
                    EvaluateChunk(item, _workspaces[worker]);
                    break;
            }
        }

        /// <summary>
        /// Gathers chunk <paramref name="chunk"/> of the training batch into its slices of the batch
        /// buffers, or reads it from the dataset when the epoch keeps the sample order, and leaves
        /// its mean gradient in workspace <paramref name="chunk"/>.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void TrainChunk(int chunk)
        {
            Dataset data = _phaseData!;
            int offset = ChunkOffset(chunk, _phaseSize);
            int length = ChunkLength(chunk, _phaseSize);
            Span<float> outputs = _outputs.AsSpan(offset * _outputSize, length * _outputSize);
            Span<int> labels = data.HasLabels ? _batchLabels.AsSpan(offset, length) : default;
            ReadOnlySpan<float> inputs;
            ReadOnlySpan<float> targets;
            if (_readInPlace)
            {
                ReadInPlace(data, _phaseStart + offset, length, labels, out inputs, out targets);
            }
            else
            {
                Span<float> batchInputs = _batchInputs.Span.Slice(offset * _inputSize, length * _inputSize);
                Span<float> batchTargets = _batchTargets.AsSpan(offset * _outputSize, length * _outputSize);
                Gather(data, _order.AsSpan(_phaseStart + offset, length), batchInputs, batchTargets, labels);
                inputs = batchInputs;
                targets = batchTargets;
            }

            // Training mode turns dropout on; evaluation turns it off again on the same workspace.
            Workspace workspace = _workspaces[chunk];
            workspace.IsTraining = true;
            if (chunk != 0 || !_gradientsClear)
            {
                workspace.ZeroGradients();
            }

            if (chunk == 0)
            {
                _gradientsClear = false;
            }

            _network.Forward(inputs, outputs, workspace);
            _chunkLosses[chunk] = _network.Backward(inputs, targets, workspace);
            _chunkWeights[chunk] = ChunkWeight(targets, length);
            _chunkCorrect[chunk] = CountCorrect(outputs, targets, labels, length);
        }

        /// <summary>
        /// Sets block <paramref name="block"/> of the batch gradient to Σ_c (W_c / W)·g_c, adding
        /// the chunk gradients g_c in chunk order, and flags a block with NaN or an infinity. W_c
        /// is a chunk's weight (its number of samples unless the loss weighs samples) and W the
        /// batch's; chunks of weight 0 are left out.
        /// </summary>
        private void SumGradientBlock(int block)
        {
            int start = block * SumBlockLength;
            int length = Math.Min(SumBlockLength, _gradients.Length - start);
            Span<float> sum = _gradients.AsSpan(start, length);
            int chunks = ChunkCount(_phaseSize);
            double total = 0;
            for (int c = 0; c < chunks; c++)
            {
                total += _chunkWeights[c];
            }

            // The first two chunks of weight above 0 go into the sum in one pass, and each further
            // chunk adds one more. Only the last pass's finiteness counts, because it wrote the sum.
            int first = NextWeightedChunk(0, chunks);
            if (first < 0)
            {
                return;
            }

            int second = NextWeightedChunk(first + 1, chunks);
            bool finite = second < 0
                ? GradientSumKernels.Weighted(ChunkBlock(first, start, length), ChunkSumWeight(first, total), sum)
                : GradientSumKernels.WeightedPair(ChunkBlock(first, start, length), ChunkSumWeight(first, total), ChunkBlock(second, start, length), ChunkSumWeight(second, total), sum);
            int next = second < 0 ? -1 : NextWeightedChunk(second + 1, chunks);
            for (int c = next; c >= 0; c = NextWeightedChunk(c + 1, chunks))
            {
                finite = GradientSumKernels.AddWeighted(ChunkBlock(c, start, length), ChunkSumWeight(c, total), sum);
            }

            if (!finite)
            {
                _nonFiniteSum = true;
            }
        }

        /// <summary>Returns the first chunk from <paramref name="chunk"/> on whose weight is above 0, or −1 when there is none.</summary>
        private int NextWeightedChunk(int chunk, int chunks)
        {
            for (; chunk < chunks; chunk++)
            {
                if (_chunkWeights[chunk] != 0)
                {
                    return chunk;
                }
            }

            return -1;
        }

        /// <summary>Returns the <paramref name="length"/> gradients of chunk <paramref name="chunk"/> from index <paramref name="start"/>.</summary>
        private ReadOnlySpan<float> ChunkBlock(int chunk, int start, int length) => _workspaces[chunk].Gradients.Slice(start, length);

        /// <summary>
        /// Returns W_c / W for chunk <paramref name="chunk"/>, where W is <paramref name="total"/>
        /// when the loss weighs samples and otherwise the batch size.
        /// </summary>
        private float ChunkSumWeight(int chunk, double total) =>
            _weighsSamples ? (float)(_chunkWeights[chunk] / total) : (float)ChunkLength(chunk, _phaseSize) / _phaseSize;

        /// <summary>
        /// Runs forward on chunk <paramref name="chunk"/> of the evaluation batch, reading the
        /// samples in place, and records the chunk's mean loss and correct count.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void EvaluateChunk(int chunk, Workspace workspace)
        {
            Dataset data = _phaseData!;
            int offset = ChunkOffset(chunk, _phaseSize);
            int length = ChunkLength(chunk, _phaseSize);
            Span<float> outputs = _outputs.AsSpan(offset * _outputSize, length * _outputSize);
            Span<int> labels = data.HasLabels ? _batchLabels.AsSpan(offset, length) : default;
            ReadInPlace(data, _phaseStart + offset, length, labels, out ReadOnlySpan<float> inputs, out ReadOnlySpan<float> targets);

            workspace.IsTraining = false;
            _network.Forward(inputs, outputs, workspace);
            _chunkLosses[chunk] = BatchLoss(outputs, targets, length);
            _chunkWeights[chunk] = ChunkWeight(targets, length);
            _chunkCorrect[chunk] = CountCorrect(outputs, targets, labels, length);
        }

        /// <summary>
        /// Bytes that the worker threads had allocated when each last finished a phase, for tests
        /// that check that training allocates nothing on those threads either.
        /// </summary>
        internal long WorkerThreadAllocatedBytes => _pool.PoolThreadAllocatedBytes;

        /// <summary>
        /// Returns the number of chunks of a batch of <paramref name="size"/> samples: the batch over
        /// <see cref="ChunkSize"/>, rounded up. With batch statistics and chunk sizes of 1 or 2 it is
        /// at most one per two samples, so that no chunk contains a single sample unless the batch does.
        /// </summary>
        private int ChunkCount(int size)
        {
            // Rounded up without forming size + ChunkSize − 1, which overflows for chunk sizes near int.MaxValue.
            int chunks = size == 0 ? 0 : ((size - 1) / ChunkSize) + 1;
            return _usesBatchStatistics && ChunkSize < 3 ? Math.Min(chunks, Math.Max(1, size / 2)) : chunks;
        }

        // Chunks split a batch as evenly as possible (lengths differ by at most one), so with a
        // chunk size of 3 or more, or ChunkCount's limit, no chunk contains a single sample unless
        // the batch does. Batch norm cannot train on one value per channel.
        private int ChunkLength(int chunk, int size)
        {
            int chunks = ChunkCount(size);
            return (size / chunks) + (chunk < size % chunks ? 1 : 0);
        }

        private int ChunkOffset(int chunk, int size)
        {
            int chunks = ChunkCount(size);
            return (chunk * (size / chunks)) + Math.Min(chunk, size % chunks);
        }

        /// <summary>
        /// Allocates a workspace per chunk of a full training batch, at least one per thread that
        /// an evaluation batch can keep busy, and the per-chunk results.
        /// </summary>
        private (Workspace[] Workspaces, float[] Gradients, double[] ChunkLosses, double[] ChunkWeights, int[] ChunkCorrect) AllocateChunkBuffers()
        {
            int trainingChunks = ChunkCount(BatchSize);
            int evaluationChunks = ChunkCount(EvaluationBatchSize);
            // ChunkCount's limit for batch statistics makes chunks of up to 3 samples from chunk sizes of 1 and 2.
            int largestChunk = _usesBatchStatistics ? Math.Max(ChunkSize, 3) : ChunkSize;
            int capacity = Math.Min(largestChunk, Math.Max(BatchSize, EvaluationBatchSize));

            // Worker w of the pool runs only when a phase has more than w items, so evaluation
            // never needs more than min(Threads, evaluationChunks) workspaces.
            var workspaces = new Workspace[Math.Max(trainingChunks, Math.Min(Threads, evaluationChunks))];
            for (int i = 0; i < workspaces.Length; i++)
            {
                workspaces[i] = _network.CreateWorkspace(capacity);
                workspaces[i].DefersStatistics = true;

                // Each chunk draws its own dropout masks, from a stream fixed by the seed and the
                // chunk index, so masks differ between chunks and repeat between runs.
                workspaces[i].SeedDropout(((ulong)(uint)Seed << 32) | (uint)i);
                if (workspaces[i].MaxBatchSize < capacity)
                {
                    throw new ArgumentException(
                        $"The network's workspace holds batches of {workspaces[i].MaxBatchSize} samples, but the trainer requested {capacity}; CreateWorkspace must honour its maxBatchSize.",
                        "network");
                }

                if (workspaces[i].Gradients.Length != _network.ParameterCount)
                {
                    throw new ArgumentException(
                        $"The network's workspace holds {workspaces[i].Gradients.Length} gradients, but the network has {_network.ParameterCount} parameters; they must be equal.",
                        "network");
                }
            }

            float[] gradients = trainingChunks > 1 ? new float[_network.ParameterCount] : [];
            int maxChunks = Math.Max(trainingChunks, evaluationChunks);
            return (workspaces, gradients, new double[maxChunks], new double[maxChunks], new int[maxChunks]);
        }

        /// <summary>
        /// Points <paramref name="inputs"/> and <paramref name="targets"/> at the dataset's own values
        /// of <paramref name="length"/> samples from <paramref name="first"/> on, and copies their
        /// labels into <paramref name="labels"/> when it is not empty.
        /// </summary>
        private void ReadInPlace(Dataset data, int first, int length, Span<int> labels, out ReadOnlySpan<float> inputs, out ReadOnlySpan<float> targets)
        {
            for (int i = 0; i < labels.Length; i++)
            {
                labels[i] = data.Label(first + i);
            }

            inputs = data.Inputs.Slice(first * _inputSize, length * _inputSize);
            targets = data.Targets.Slice(first * _outputSize, length * _outputSize);
        }

        /// <summary>Copies the samples at <paramref name="indices"/> into the batch buffers.</summary>
        private void Gather(Dataset data, ReadOnlySpan<int> indices, Span<float> inputs, Span<float> targets, Span<int> labels)
        {
            ReadOnlySpan<float> allInputs = data.Inputs;
            ReadOnlySpan<float> allTargets = data.Targets;
            for (int i = 0; i < indices.Length; i++)
            {
                int sample = indices[i];
                allInputs.Slice(sample * _inputSize, _inputSize).CopyTo(inputs.Slice(i * _inputSize, _inputSize));
                allTargets.Slice(sample * _outputSize, _outputSize).CopyTo(targets.Slice(i * _outputSize, _outputSize));
            }

            if (!labels.IsEmpty)
            {
                for (int i = 0; i < indices.Length; i++)
                {
                    labels[i] = data.Label(indices[i]);
                }
            }
        }

        /// <summary>Returns the mean loss of a batch under the network's loss, without a gradient.</summary>
        // The network evaluates its own loss, with the options (Huber δ, label smoothing, class
        // weights) that its declaration sets.
        private double BatchLoss(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, int size) =>
            _network.ComputeLoss(outputs.Slice(0, size * _outputSize), targets.Slice(0, size * _outputSize));

        /// <summary>
        /// Counts the samples whose largest output sits at the label's index, or at the largest
        /// target's index when <paramref name="labels"/> is empty. Ties go to the first index, as
        /// torch.argmax does. Returns 0 for networks with one output, where accuracy is undefined.
        /// </summary>
        private int CountCorrect(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, ReadOnlySpan<int> labels, int size)
        {
            if (_outputSize == 1)
            {
                return 0;
            }

            int length = size * _outputSize;
            return labels.IsEmpty
                ? ArgmaxKernels.CountSameArgmax(outputs.Slice(0, length), targets.Slice(0, length), size, _outputSize)
                : ArgmaxKernels.CountMatchingLabels(outputs.Slice(0, length), labels.Slice(0, size), size, _outputSize);
        }

    }
}
