using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using NetGen.Kernels;

namespace NetGen
{
    /// <summary>
    /// Shares the large dense layers of one trainer step between the trainer's threads. Thread p
    /// computes range p of a layer's outputs in the forward pass, the same rows of its weight
    /// gradient in the backward pass, and then the step of those parameters. A thread that has
    /// finished its own range takes that of a thread that has not started yet.
    /// </summary>
    /// <remarks>
    /// <para>
    /// A batch of one chunk used to run on the calling thread alone. Splitting it into chunks
    /// instead makes every thread read all weights, write a gradient as large as the parameters,
    /// and sum the chunk gradients. For 784 → 128 → 10 that moves about 800 KB of cache lines
    /// between the two cores per thread and step. Here each thread keeps its own rows of the weights and
    /// of their gradient in its own cache. Only the layer's activations cross between the cores.
    /// </para>
    /// <para>
    /// The trainer sets <see cref="Current"/> on its calling thread for the forward and backward
    /// passes of a batch of one chunk. <see cref="DenseKernels.Forward"/> and
    /// <see cref="DenseKernels.AccumulateGradients"/> then hand layers with at least
    /// <see cref="MinimumWork"/> multiply-adds to <see cref="TryForward"/> and
    /// <see cref="TryAccumulateWeightGradient"/>. Every other kernel, the bias gradient included,
    /// runs on the calling thread. Each range runs the kernel that the whole layer runs, so the
    /// parameters get the same bits as on one thread.
    /// </para>
    /// </remarks>
    internal sealed unsafe class LayerSplit
    {
        /// <summary>
        /// Multiply-adds (batch × inputs × outputs) below which a layer stays on one thread:
        /// 2^20, about 10 µs on one core, against a few microseconds to start and join the threads.
        /// </summary>
        internal const long MinimumWork = 1L << 20;

        /// <summary>Most weight-gradient ranges that one step records; later ones are stepped by thread 0.</summary>
        private const int MaxRanges = 64;

        [ThreadStatic]
        private static LayerSplit? t_current;

        private readonly int _threads;
        private readonly Action<int> _runParts;

        // The layer that the parts compute now: pointers into buffers that the calling thread
        // keeps pinned until every part has finished.
        private bool _backward;
        private float* _x;
        private float* _w;      // weights, or dy in the backward pass
        private float* _bias;   // biases, or null in the backward pass
        private float* _y;      // outputs, or the weight gradient in the backward pass
        private int _batch;
        private int _inputs;
        private int _outputs;
        private readonly int[] _boundaries;

        // Weight-gradient ranges of this step, as indices into the workspace's gradients.
        private Workspace? _workspace;
        private readonly int[] _rangeStarts = new int[MaxRanges];
        private readonly int[] _rangeLengths = new int[MaxRanges];
        private readonly int[] _rangeOwners = new int[MaxRanges];
        private int _rangeCount;

        /// <summary>Creates the split for <paramref name="threads"/> workers.</summary>
        /// <param name="threads">Workers of the trainer's pool, the calling thread included; at least 2.</param>
        /// <param name="runParts">Runs <see cref="RunPart"/>(p) for every p below its argument, on worker p where it can, and returns when all have finished.</param>
        public LayerSplit(int threads, Action<int> runParts)
        {
            _threads = threads;
            _runParts = runParts;
            _boundaries = new int[threads + 1];
        }

        /// <summary>The split that the kernels on this thread use, or null outside a shared step.</summary>
        internal static LayerSplit? Current => t_current;

        /// <summary>Returns whether a layer is large enough to share; the kernels test it before they read <see cref="Current"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal static bool Shares(int batch, int inputs, int outputs) =>
            (long)batch * inputs * outputs >= MinimumWork && outputs >= 2 * DenseKernels.SplitAlignment;

        /// <summary>Number of layer passes that the workers have shared, for tests that check that a network's layers split.</summary>
        internal long Passes { get; private set; }

        /// <summary>Number of workers that own a recorded range, at least 1; <see cref="SortRanges"/> sets it.</summary>
        public int Owners { get; private set; } = 1;

        /// <summary>Number of weight-gradient ranges that this step has recorded.</summary>
        public int RangeCount => _rangeCount;

        /// <summary>Returns recorded range <paramref name="index"/>: its first gradient index, its length and the worker that owns it.</summary>
        public (int Start, int Length, int Owner) Range(int index) => (_rangeStarts[index], _rangeLengths[index], _rangeOwners[index]);

        /// <summary>
        /// Sorts the recorded ranges by their first gradient. Returns false when two overlap, which
        /// happens only if a step adds to the same gradients twice; they cannot be stepped by owner then.
        /// </summary>
        public bool SortRanges()
        {
            for (int i = 1; i < _rangeCount; i++)
            {
                (int start, int length, int owner) = Range(i);
                int j = i - 1;
                for (; j >= 0 && _rangeStarts[j] > start; j--)
                {
                    (_rangeStarts[j + 1], _rangeLengths[j + 1], _rangeOwners[j + 1]) = Range(j);
                }

                (_rangeStarts[j + 1], _rangeLengths[j + 1], _rangeOwners[j + 1]) = (start, length, owner);
            }

            Owners = 1;
            for (int i = 0; i < _rangeCount; i++)
            {
                if (i > 0 && _rangeStarts[i] < _rangeStarts[i - 1] + _rangeLengths[i - 1])
                {
                    return false;
                }

                Owners = Math.Max(Owners, _rangeOwners[i] + 1);
            }

            return true;
        }

        /// <summary>
        /// Makes the kernels on the calling thread share layers until <see cref="End"/>, and
        /// clears the ranges of the last step. Gradients are recorded relative to
        /// <paramref name="workspace"/>'s.
        /// </summary>
        public void Begin(Workspace workspace)
        {
            _workspace = workspace;
            _rangeCount = 0;
            t_current = this;
        }

        /// <summary>Stops sharing layers on the calling thread; the recorded ranges stay.</summary>
        public void End()
        {
            t_current = null;
            _workspace = null;
        }

        /// <summary>
        /// Runs a forward pass that <see cref="DenseKernels.Forward"/> has checked on all workers,
        /// each on its range of the outputs. Returns false, having done nothing, when the layer
        /// does not split into ranges that give the whole call's bits.
        /// </summary>
        public bool TryForward(ref float x, ref float w, ref float bias, ref float y, int batch, int inputs, int outputs)
        {
            int parts = SetBoundaries(outputs);
            if (parts < 2 || !DenseKernels.ForwardSplits(batch, inputs, outputs))
            {
                return false;
            }

            fixed (float* px = &x, pw = &w, pbias = &bias, py = &y)
            {
                Run(backward: false, px, pw, pbias, py, batch, inputs, outputs, parts);
            }

            return true;
        }

        /// <summary>
        /// Adds a weight gradient that <see cref="DenseKernels.AccumulateGradients"/> has checked
        /// on all workers, each on its range of rows, and records the ranges when
        /// <paramref name="dw"/> lies in the workspace's gradients. Returns false, having done
        /// nothing, when the layer does not split.
        /// </summary>
        public bool TryAccumulateWeightGradient(ref float dy, ref float x, Span<float> dw, int batch, int inputs, int outputs)
        {
            int parts = SetBoundaries(outputs);
            if (parts < 2 || !DenseKernels.WeightGradientSplits(batch, inputs, outputs))
            {
                return false;
            }

            ref float dwStart = ref MemoryMarshal.GetReference(dw);
            fixed (float* pdy = &dy, px = &x, pdw = &dwStart)
            {
                Run(backward: true, px, pdy, null, pdw, batch, inputs, outputs, parts);
            }

            RecordRanges(ref dwStart, inputs, parts);
            return true;
        }

        /// <summary>Runs part <paramref name="part"/> of the current layer; the trainer's pool calls it, on worker <paramref name="part"/> unless that worker is late.</summary>
        public void RunPart(int part)
        {
            int first = _boundaries[part];
            int count = _boundaries[part + 1] - first;
            if (_backward)
            {
                DenseKernels.WeightGradientRange(ref *_w, ref *_x, ref *_y, _batch, _inputs, _outputs, first, count);
            }
            else
            {
                DenseKernels.ForwardRange(ref *_x, ref *_w, ref *_bias, ref *_y, _batch, _inputs, _outputs, first, count);
            }
        }

        private void Run(bool backward, float* x, float* w, float* bias, float* y, int batch, int inputs, int outputs, int parts)
        {
            Passes++;
            _backward = backward;
            _x = x;
            _w = w;
            _bias = bias;
            _y = y;
            (_batch, _inputs, _outputs) = (batch, inputs, outputs);
            try
            {
                _runParts(parts);
            }
            finally
            {
                // The buffers are unpinned when the caller returns; no part may use them after.
                _x = _w = _bias = _y = null;
            }
        }

        /// <summary>
        /// Cuts <paramref name="outputs"/> into as many ranges as there are workers, at most one per
        /// <see cref="DenseKernels.SplitAlignment"/> outputs. Each range starts at a multiple of it
        /// and has at least that many outputs. Inner boundaries sit at the multiple nearest to an
        /// even cut. Returns the number of ranges.
        /// </summary>
        internal int SetBoundaries(int outputs)
        {
            const int Alignment = DenseKernels.SplitAlignment;
            int panels = outputs / Alignment;
            int parts = Math.Min(_threads, panels);
            _boundaries[0] = 0;
            for (int p = 1; p < parts; p++)
            {
                // Panel p·outputs / (parts·32), rounded, kept between its neighbours' minimum sizes.
                long nearest = (((long)2 * p * outputs) + (parts * Alignment)) / (2L * parts * Alignment);
                _boundaries[p] = (int)Math.Clamp(nearest, p, panels - (parts - p)) * Alignment;
            }

            _boundaries[parts] = outputs;
            return parts;
        }

        /// <summary>Returns the first output of range <paramref name="part"/> that <see cref="SetBoundaries"/> set, or its end for <paramref name="part"/> = the range count.</summary>
        internal int Boundary(int part) => _boundaries[part];

        /// <summary>Records the rows that each part added to, as ranges of the workspace's gradients.</summary>
        private void RecordRanges(ref float dw, int inputs, int parts)
        {
            if (_workspace is null)
            {
                return;
            }

            Span<float> gradients = _workspace.Gradients;
            long offset = Unsafe.ByteOffset(ref MemoryMarshal.GetReference(gradients), ref dw) / sizeof(float);
            long end = offset + ((long)_boundaries[parts] * inputs);
            if (offset < 0 || end > gradients.Length)
            {
                return;
            }

            for (int p = 0; p < parts && _rangeCount < MaxRanges; p++)
            {
                _rangeStarts[_rangeCount] = (int)offset + (_boundaries[p] * inputs);
                _rangeLengths[_rangeCount] = (_boundaries[p + 1] - _boundaries[p]) * inputs;
                _rangeOwners[_rangeCount] = p;
                _rangeCount++;
            }
        }
    }
}
