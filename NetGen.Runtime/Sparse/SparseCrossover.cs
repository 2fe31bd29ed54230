using System;
using NetGen.Kernels;

namespace NetGen.Sparse
{
    /// <summary>
    /// Decides whether a layer runs faster with the sparse kernels than with
    /// <see cref="DenseKernels.Forward"/>, from sparsity thresholds measured on one machine.
    /// </summary>
    /// <remarks>
    /// <para>
    /// The thresholds come from NetGen.Benchmarks/SparseBenchmarks.cs and from a sweep over
    /// sparsity 0.5 to 0.99 on 784×256 and 256×256 layers. They ran on a 2-core AMD EPYC VM
    /// (Zen 1, AVX2 with FMA, 2.0 GHz nominal) under heavy load from other processes, so each
    /// threshold is rounded towards dense. docs/sparsity.md lists the measurements.
    /// </para>
    /// <para>
    /// NOTE: batches from 2 to 7 were not measured. They use the batch-1 threshold, which
    /// favours dense less than it should, because the dense kernel reuses each weight across
    /// up to 3 samples while the batch-major sparse kernel does not. Other CPUs, wider layers
    /// and layers that do not fit in the L2 cache move the crossover: measure before relying on it.
    /// </para>
    /// </remarks>
    public static class SparseCrossover
    {
        /// <summary>
        /// Batch-1 CSR (<see cref="SparseKernels.Forward(CsrMatrix, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int)"/>)
        /// beat dense from about 87 % sparsity in the sweep, but only from 90 to 95 % on 256×256 in the benchmark.
        /// </summary>
        public const double CsrVectorMinSparsity = 0.92;

        /// <summary>
        /// Feature-major CSR at batch 128, including the two <see cref="SparseKernels.Transpose"/>
        /// calls that convert from and to batch-major layout, beat dense from 50 to 80 % sparsity
        /// on both measured shapes: about 70 % in the sweep on 784×256.
        /// </summary>
        public const double CsrFeatureMajorMinSparsity = 0.70;

        /// <summary>Batch-1 1×8 block CSR beat dense from 50 to 70 % of blocks pruned on both measured shapes.</summary>
        public const double BlockVectorMinSparsity = 0.60;

        /// <summary>Smallest batch for which the feature-major threshold applies: one 256-bit vector of samples.</summary>
        public const int FeatureMajorMinBatch = 8;

        /// <summary>
        /// Returns whether a CSR layer with <paramref name="nonZeros"/> stored weights is expected to
        /// run faster than the dense kernel at this batch size: batch-major SpMV below a batch of
        /// <see cref="FeatureMajorMinBatch"/>, feature-major SpMM from there on.
        /// </summary>
        /// <param name="rows">Rows of the weight matrix (outputs).</param>
        /// <param name="columns">Columns of the weight matrix (inputs).</param>
        /// <param name="nonZeros">Number of stored weights, in [0, rows × columns].</param>
        /// <param name="batch">Number of samples per call, at least 1.</param>
        /// <returns><see langword="true"/> when the sparse kernel is expected to be faster.</returns>
        /// <exception cref="ArgumentOutOfRangeException">An argument is outside its range.</exception>
        public static bool ShouldUseSparse(int rows, int columns, long nonZeros, int batch)
        {
            double sparsity = SparsityOf(rows, columns, nonZeros, batch, nameof(nonZeros));
            return sparsity >= (batch >= FeatureMajorMinBatch ? CsrFeatureMajorMinSparsity : CsrVectorMinSparsity);
        }

        /// <summary>
        /// Returns whether a 1×8 block-sparse layer is expected to run faster than the dense kernel.
        /// At batches of <see cref="FeatureMajorMinBatch"/> and more the block kernel does the
        /// same work per weight as feature-major CSR, so the CSR threshold applies.
        /// </summary>
        /// <param name="rows">Rows of the weight matrix (outputs).</param>
        /// <param name="columns">Columns of the weight matrix (inputs).</param>
        /// <param name="storedEntries">Entries inside stored blocks (<see cref="BlockCsrMatrix.StoredEntryCount"/>), in [0, rows × columns].</param>
        /// <param name="batch">Number of samples per call, at least 1.</param>
        /// <returns><see langword="true"/> when the block-sparse kernel is expected to be faster.</returns>
        /// <exception cref="ArgumentOutOfRangeException">An argument is outside its range.</exception>
        public static bool ShouldUseBlockSparse(int rows, int columns, long storedEntries, int batch)
        {
            double sparsity = SparsityOf(rows, columns, storedEntries, batch, nameof(storedEntries));
            return sparsity >= (batch >= FeatureMajorMinBatch ? CsrFeatureMajorMinSparsity : BlockVectorMinSparsity);
        }

        /// <summary>
        /// Returns the format expected to run a layer fastest at this batch size: dense, CSR or
        /// 1×8 block CSR. Each format's cost is its stored entries divided by (1 − its threshold
        /// sparsity), so that a sparse format wins over dense exactly where
        /// <see cref="ShouldUseSparse"/> or <see cref="ShouldUseBlockSparse"/> say so, and the two
        /// sparse formats compare by the same measure. A tie between the sparse formats goes to CSR.
        /// </summary>
        /// <param name="rows">Rows of the weight matrix (outputs).</param>
        /// <param name="columns">Columns of the weight matrix (inputs).</param>
        /// <param name="nonZeros">Number of nonzero weights, which CSR stores, in [0, rows × columns].</param>
        /// <param name="blockStoredEntries">Entries inside the 1×8 blocks that hold a nonzero weight (<see cref="BlockCsrMatrix.StoredEntryCount"/>), in [0, rows × columns].</param>
        /// <param name="batch">Number of samples per call, at least 1.</param>
        /// <returns>The format with the lowest expected cost.</returns>
        /// <exception cref="ArgumentOutOfRangeException">An argument is outside its range.</exception>
        public static SparseFormat Choose(int rows, int columns, long nonZeros, long blockStoredEntries, int batch)
        {
            double csrSparsity = SparsityOf(rows, columns, nonZeros, batch, nameof(nonZeros));
            double blockSparsity = SparsityOf(rows, columns, blockStoredEntries, batch, nameof(blockStoredEntries));
            bool featureMajor = batch >= FeatureMajorMinBatch;
            double csrThreshold = featureMajor ? CsrFeatureMajorMinSparsity : CsrVectorMinSparsity;
            double blockThreshold = featureMajor ? CsrFeatureMajorMinSparsity : BlockVectorMinSparsity;

            // Costs in units of the dense kernel's time per weight, relative to the whole matrix.
            double csrCost = (1.0 - csrSparsity) / (1.0 - csrThreshold);
            double blockCost = (1.0 - blockSparsity) / (1.0 - blockThreshold);
            if (rows == 0 || columns == 0 || (csrCost > 1.0 && blockCost > 1.0))
            {
                return SparseFormat.Dense;
            }

            return csrCost <= blockCost ? SparseFormat.Csr : SparseFormat.BlockCsr;
        }

        private static double SparsityOf(int rows, int columns, long stored, int batch, string name)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(rows);
            ArgumentOutOfRangeException.ThrowIfNegative(columns);
            ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
            long total = (long)rows * columns;
            if (stored < 0 || stored > total)
            {
                throw new ArgumentOutOfRangeException(name, stored, $"The count '{name}' must be in [0, {total}] (rows {rows} × columns {columns}).");
            }

            return CsrMatrix.SparsityOf(stored, rows, columns);
        }
    }
}
