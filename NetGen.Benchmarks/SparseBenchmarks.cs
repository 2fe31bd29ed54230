using System;
using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using NetGen.Kernels;
using NetGen.Sparse;

namespace NetGen.Benchmarks
{
    // Sparse kernels against the dense kernel on the same layer. Run with:
    //   dotnet run -c Release --project NetGen.Benchmarks -- --filter '*SparseForward*' --job short
    // Each case prunes the same random weights to the given sparsity, by magnitude for CSR and by
    // 1×8 block norm for the block format. The Ratio column is the sparse time over the dense
    // time, so 0.20 means the sparse kernel takes a fifth of the dense time.

    /// <summary>A pruned layer as a benchmark parameter: shape, batch and the fraction of zero weights.</summary>
    public sealed record SparseCase(int Batch, int Inputs, int Outputs, double Sparsity)
    {
        /// <inheritdoc/>
        public override string ToString() => $"{Inputs}x{Outputs} B{Batch} {Sparsity:P0}";
    }

    /// <summary>
    /// <see cref="DenseKernels.Forward"/> against CSR and 1×8 block CSR at 50, 80, 90 and 95 %
    /// sparsity. At batch 1 the sparse kernels are the batch-major SpMV; at batch 128 they are the
    /// feature-major SpMM, measured alone and with the two transposes a batch-major caller needs.
    /// </summary>
    [MemoryDiagnoser]
    public class SparseForwardBenchmarks
    {
        private float[] _x = [];
        private float[] _xFeatureMajor = [];
        private float[] _dense = [];
        private float[] _bias = [];
        private float[] _y = [];
        private float[] _yFeatureMajor = [];
        private CsrMatrix _csr = CsrMatrix.FromDense([], 0, 0);
        private BlockCsrMatrix _block = BlockCsrMatrix.FromDense([], 0, 0);

        /// <summary>The layer and sparsity.</summary>
        [ParamsSource(nameof(Cases))]
        public SparseCase Case { get; set; } = new(1, 1, 1, 0);

        /// <summary>Both layer shapes at batch 1 and 128 and each sparsity.</summary>
        public static IEnumerable<SparseCase> Cases()
        {
            foreach ((int inputs, int outputs) in new[] { (784, 256), (256, 256) })
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

            int batch = Case.Batch, inputs = Case.Inputs, outputs = Case.Outputs;
            _x = Fill(batch * inputs);
            _xFeatureMajor = new float[_x.Length];
            SparseKernels.Transpose(_x, _xFeatureMajor, batch, inputs);
            _dense = Fill(outputs * inputs);
            _bias = Fill(outputs);
            _y = new float[batch * outputs];
            _yFeatureMajor = new float[batch * outputs];

            float[] pruned = (float[])_dense.Clone();
            MagnitudePruning.Prune(pruned, Case.Sparsity);
            _csr = CsrMatrix.FromDense(pruned, outputs, inputs);

            float[] blockPruned = (float[])_dense.Clone();
            BlockPruning.Prune(blockPruned, outputs, inputs, Case.Sparsity);
            _block = BlockCsrMatrix.FromDense(blockPruned, outputs, inputs);
        }

        /// <summary>The dense kernel on the unpruned weights; its time does not depend on the sparsity.</summary>
        [Benchmark(Baseline = true)]
        public void Dense() => DenseKernels.Forward(_x, _dense, _bias, _y, Case.Batch, Case.Inputs, Case.Outputs);

        /// <summary>CSR: SpMV per sample at batch 1, feature-major SpMM at batch 128.</summary>
        [Benchmark]
        public void Csr()
        {
            if (Case.Batch == 1)
            {
                SparseKernels.Forward(_csr, _x, _bias, _y, 1);
            }
            else
            {
                SparseKernels.ForwardFeatureMajor(_csr, _xFeatureMajor, _bias, _yFeatureMajor, Case.Batch);
            }
        }

        /// <summary>Feature-major CSR plus the transposes from and to batch-major layout; the same as <see cref="Csr"/> at batch 1.</summary>
        [Benchmark]
        public void CsrWithTransposes()
        {
            if (Case.Batch == 1)
            {
                SparseKernels.Forward(_csr, _x, _bias, _y, 1);
            }
            else
            {
                SparseKernels.Transpose(_x, _xFeatureMajor, Case.Batch, Case.Inputs);
                SparseKernels.ForwardFeatureMajor(_csr, _xFeatureMajor, _bias, _yFeatureMajor, Case.Batch);
                SparseKernels.Transpose(_yFeatureMajor, _y, Case.Outputs, Case.Batch);
            }
        }

        /// <summary>1×8 block CSR, pruned by block norm to the same sparsity.</summary>
        [Benchmark]
        public void Block()
        {
            if (Case.Batch == 1)
            {
                SparseKernels.Forward(_block, _x, _bias, _y, 1);
            }
            else
            {
                SparseKernels.ForwardFeatureMajor(_block, _xFeatureMajor, _bias, _yFeatureMajor, Case.Batch);
            }
        }
    }
}
