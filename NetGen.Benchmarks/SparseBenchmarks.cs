using System;
using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using NetGen.Kernels;
using NetGen.Sparse;

namespace NetGen.Benchmarks
{
    // Sparse kernels against the dense kernel on the same layer. Run with:
    //   dotnet run -c Release --project NetGen.Benchmarks -- --filter '*SparseGoal*' --job short
    // and the whole sweep with '*SparseForwardBenchmarks*'.
    // Each case prunes the same random weights to the given sparsity, by magnitude for CSR and by
    // 1×8 block norm for the block format. The Ratio column is the sparse time over the dense
    // time, so 0.20 means the sparse kernel takes a fifth of the dense time.
    // Activations live in AlignedBuffer, as in a Workspace and SparseModel, so that at batch 128
    // every feature-major row starts on a cache line. CsrUnaligned repeats Csr on plain arrays.

    /// <summary>A pruned layer as a benchmark parameter: shape, batch and the fraction of zero weights.</summary>
    public sealed record SparseCase(int Batch, int Inputs, int Outputs, double Sparsity)
    {
        /// <inheritdoc/>
        public override string ToString() => $"{Inputs}x{Outputs} B{Batch} {Sparsity:P0}";
    }

    /// <summary>
    /// <see cref="DenseKernels.Forward"/> against CSR and 1×8 block CSR on pruned layers. At batch 1
    /// the sparse kernels are the batch-major SpMV; at batch 128 they are the feature-major SpMM,
    /// measured alone and with the two transposes a batch-major caller needs. Subclasses pick the cases.
    /// </summary>
    [MemoryDiagnoser]
    public abstract class SparseForwardBenchmarksBase
    {
        private AlignedBuffer _x = new(0);
        private AlignedBuffer _xFeatureMajor = new(0);
        private float[] _xFeatureMajorArray = [];
        private float[] _dense = [];
        private float[] _bias = [];
        private AlignedBuffer _y = new(0);
        private AlignedBuffer _yFeatureMajor = new(0);
        private float[] _yFeatureMajorArray = [];
        private CsrMatrix _csr = CsrMatrix.FromDense([], 0, 0);
        private BlockCsrMatrix _block = BlockCsrMatrix.FromDense([], 0, 0);

        /// <summary>The layer and sparsity of this run.</summary>
        protected abstract SparseCase Current { get; }

        /// <summary>Fills the buffers from a fixed seed and builds both sparse formats.</summary>
        [GlobalSetup]
        public void Setup()
        {
            var random = new Random(42);
            float[] Fill(int length)
            {
                var values = new float[length];
                for (int k = 0; k < length; k++)
                {
                    values[k] = (float)(random.NextDouble() * 2 - 1);
                }

                return values;
            }

            int batch = Current.Batch, inputs = Current.Inputs, outputs = Current.Outputs;
            _x = new AlignedBuffer(batch * inputs);
            Fill(batch * inputs).CopyTo(_x.Span);
            _xFeatureMajor = new AlignedBuffer(batch * inputs);
            SparseKernels.Transpose(_x.Span, _xFeatureMajor.Span, batch, inputs);
            _xFeatureMajorArray = _xFeatureMajor.Span.ToArray();
            _dense = Fill(outputs * inputs);
            _bias = Fill(outputs);
            _y = new AlignedBuffer(batch * outputs);
            _yFeatureMajor = new AlignedBuffer(batch * outputs);
            _yFeatureMajorArray = new float[batch * outputs];

            float[] pruned = (float[])_dense.Clone();
            MagnitudePruning.Prune(pruned, Current.Sparsity);
            _csr = CsrMatrix.FromDense(pruned, outputs, inputs);

            float[] blockPruned = (float[])_dense.Clone();
            BlockPruning.Prune(blockPruned, outputs, inputs, Current.Sparsity);
            _block = BlockCsrMatrix.FromDense(blockPruned, outputs, inputs);
        }

        /// <summary>The dense kernel on the unpruned weights; its time does not depend on the sparsity.</summary>
        [Benchmark(Baseline = true)]
        public void Dense() => DenseKernels.Forward(_x.Span, _dense, _bias, _y.Span, Current.Batch, Current.Inputs, Current.Outputs);

        /// <summary>CSR: SpMV per sample at batch 1, feature-major SpMM at batch 128.</summary>
        [Benchmark]
        public void Csr()
        {
            if (Current.Batch == 1)
            {
                SparseKernels.Forward(_csr, _x.Span, _bias, _y.Span, 1);
            }
            else
            {
                SparseKernels.ForwardFeatureMajor(_csr, _xFeatureMajor.Span, _bias, _yFeatureMajor.Span, Current.Batch);
            }
        }

        /// <summary>
        /// <see cref="Csr"/> on plain float arrays, whose first element has no particular alignment,
        /// so that 512-bit loads of a row may straddle two cache lines.
        /// </summary>
        [Benchmark]
        public void CsrUnaligned()
        {
            if (Current.Batch == 1)
            {
                SparseKernels.Forward(_csr, _xFeatureMajorArray, _bias, _yFeatureMajorArray, 1);
            }
            else
            {
                SparseKernels.ForwardFeatureMajor(_csr, _xFeatureMajorArray, _bias, _yFeatureMajorArray, Current.Batch);
            }
        }

        /// <summary>Feature-major CSR plus the transposes from and to batch-major layout; the same as <see cref="Csr"/> at batch 1.</summary>
        [Benchmark]
        public void CsrWithTransposes()
        {
            if (Current.Batch == 1)
            {
                SparseKernels.Forward(_csr, _x.Span, _bias, _y.Span, 1);
            }
            else
            {
                SparseKernels.Transpose(_x.Span, _xFeatureMajor.Span, Current.Batch, Current.Inputs);
                SparseKernels.ForwardFeatureMajor(_csr, _xFeatureMajor.Span, _bias, _yFeatureMajor.Span, Current.Batch);
                SparseKernels.Transpose(_yFeatureMajor.Span, _y.Span, Current.Outputs, Current.Batch);
            }
        }

        /// <summary>1×8 block CSR, pruned by block norm to the same sparsity.</summary>
        [Benchmark]
        public void Block()
        {
            if (Current.Batch == 1)
            {
                SparseKernels.Forward(_block, _x.Span, _bias, _y.Span, 1);
            }
            else
            {
                SparseKernels.ForwardFeatureMajor(_block, _xFeatureMajor.Span, _bias, _yFeatureMajor.Span, Current.Batch);
            }
        }
    }

    /// <summary>
    /// The sweep: 784×256, 784×512, 256×256 and 128×10 layers at batch 1 and 128, each at 50, 80,
    /// 90 and 95 % sparsity. That makes 160 benchmarks, an estimated 40 minutes with --job short.
    /// </summary>
    public class SparseForwardBenchmarks : SparseForwardBenchmarksBase
    {
        /// <summary>The layer and sparsity.</summary>
        [ParamsSource(nameof(Cases))]
        public SparseCase Case { get; set; } = new(1, 1, 1, 0);

        /// <inheritdoc/>
        protected override SparseCase Current => Case;

        /// <summary>Every shape at batch 1 and 128 and each sparsity.</summary>
        public static IEnumerable<SparseCase> Cases()
        {
            foreach ((int inputs, int outputs) in new[] { (784, 256), (784, 512), (256, 256), (128, 10) })
            {
                foreach (int batch in new[] { 1, 128 })
                {
                    foreach (double sparsity in new[] { 0.5, 0.8, 0.9, 0.95 })
                    {
                        yield return new SparseCase(batch, inputs, outputs, sparsity);
                    }
                }
            }
        }
    }

    /// <summary>The cases the goals are stated for: 784×256 and 256×256 at 90 % sparsity, batch 1 and 128.</summary>
    public class SparseGoalBenchmarks : SparseForwardBenchmarksBase
    {
        /// <summary>The layer and sparsity.</summary>
        [ParamsSource(nameof(Cases))]
        public SparseCase Case { get; set; } = new(1, 1, 1, 0);

        /// <inheritdoc/>
        protected override SparseCase Current => Case;

        /// <summary>Both shapes at batch 1 and 128, at 90 % sparsity.</summary>
        public static IEnumerable<SparseCase> Cases()
        {
            foreach ((int inputs, int outputs) in new[] { (784, 256), (256, 256) })
            {
                foreach (int batch in new[] { 1, 128 })
                {
                    yield return new SparseCase(batch, inputs, outputs, 0.9);
                }
            }
        }
    }
}
