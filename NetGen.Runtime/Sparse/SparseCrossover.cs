using System;
using NetGen.Kernels;

namespace NetGen.Sparse
{
    /// <summary>
    /// Decides whether a layer runs faster with the sparse kernels than with
    /// <see cref="DenseKernels.Forward"/>, from a cost model whose constants were measured on one machine.
    /// </summary>
    /// <remarks>
    /// <para>
    /// A format's cost, in units of the dense kernel's time for the same layer and batch, is its
    /// stored entries over (1 − its threshold sparsity) divided by rows × columns. At batches of
    /// <see cref="FeatureMajorMinBatch"/> and more, the sparse kernels run feature-major, so the
    /// cost adds two transposes: <see cref="TransposeCostPerFeature"/> × (rows + columns) / (rows × columns).
    /// That term is what keeps a small layer such as 128×10 dense at batch 128.
    /// </para>
    /// <para>
    /// The constants come from sweeps over 50, 80, 90 and 95 % sparsity on 784×256, 784×512,
    /// 256×256 and 128×10 layers at batch 1 and 128, and for feature-major CSR over 30 to 80 % at
    /// batch 64, 100 and 128. They ran on a 2-core AMD EPYC VM (CPU family 26 model 2, Zen 5, with
    /// AVX-512) while other processes kept the load average between 4 and 25, so each constant is
    /// rounded towards dense. docs/sparsity.md lists the measurements.
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
        /// beat dense from 78–85 % sparsity on the three large shapes and from about 88 % on 128×10.
        /// </summary>
        public const double CsrVectorMinSparsity = 0.88;

        /// <summary>
        /// Feature-major CSR without the transposes, on activations at 64-byte boundaries, beat dense
        /// on the four measured shapes from 30–60 % sparsity at batch 128 and 35–70 % at batch 64.
        /// At batch 100, whose rows do not start on cache lines, it needed 55–80 %. One threshold
        /// serves every batch of <see cref="FeatureMajorMinBatch"/> and more, so it is the highest of these.
        /// </summary>
        /// <remarks>
        /// NOTE: at batch 128 this keeps layers from 60 to 80 % sparsity dense, where the sparse
        /// kernel measured 1.6 to 2.8 times faster on 784×256.
        /// </remarks>
        public const double CsrFeatureMajorMinSparsity = 0.80;

        /// <summary>Batch-1 1×8 block CSR beat dense from about 50 % of blocks pruned on every measured shape.</summary>
        public const double BlockVectorMinSparsity = 0.60;

        /// <summary>
        /// Time to transpose one feature of a batch (batch floats), in units of the dense kernel's
        /// time per weight at the same batch: 4–7 measured at batch 128, rounded up.
        /// </summary>
        public const double TransposeCostPerFeature = 8.0;

        /// <summary>Smallest batch for which the feature-major threshold applies: one 256-bit vector of samples.</summary>
        public const int FeatureMajorMinBatch = 8;

        /// <summary>
        /// Returns whether a CSR layer with <paramref name="nonZeros"/> stored weights is expected to
        /// run at least as fast as the dense kernel at this batch size: batch-major SpMV below a batch of
        /// <see cref="FeatureMajorMinBatch"/>, feature-major SpMM with its two transposes from there on.
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
            return rows > 0 && columns > 0 && Cost(sparsity, CsrThreshold(batch), rows, columns, batch) <= 1.0;
        }

        /// <summary>
        /// Returns whether a 1×8 block-sparse layer is expected to run at least as fast as the dense kernel.
        /// At batches of <see cref="FeatureMajorMinBatch"/> and more the block kernel does the
        /// same work per stored entry as feature-major CSR, so the CSR threshold applies.
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
            return rows > 0 && columns > 0 && Cost(sparsity, BlockThreshold(batch), rows, columns, batch) <= 1.0;
        }

        /// <summary>
        /// Returns the format expected to run a layer fastest at this batch size: dense, CSR or
        /// 1×8 block CSR, by the cost model of this class. A sparse format wins over dense exactly
        /// where <see cref="ShouldUseSparse"/> or <see cref="ShouldUseBlockSparse"/> return true, and a
        /// tie between the two sparse formats goes to CSR.
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
            if (rows == 0 || columns == 0)
            {
                return SparseFormat.Dense;
            }

            double csrCost = Cost(csrSparsity, CsrThreshold(batch), rows, columns, batch);
            double blockCost = Cost(blockSparsity, BlockThreshold(batch), rows, columns, batch);
            if (csrCost > 1.0 && blockCost > 1.0)
            {
                return SparseFormat.Dense;
            }

            return csrCost <= blockCost ? SparseFormat.Csr : SparseFormat.BlockCsr;
        }

        private static double CsrThreshold(int batch) => batch >= FeatureMajorMinBatch ? CsrFeatureMajorMinSparsity : CsrVectorMinSparsity;

        private static double BlockThreshold(int batch) => batch >= FeatureMajorMinBatch ? CsrFeatureMajorMinSparsity : BlockVectorMinSparsity;

        /// <summary>Expected time of a sparse format over the dense kernel's time for the same layer and batch.</summary>
        private static double Cost(double sparsity, double threshold, int rows, int columns, int batch)
        {
            double cost = (1.0 - sparsity) / (1.0 - threshold);
            if (batch >= FeatureMajorMinBatch)
            {
                cost += TransposeCostPerFeature * ((double)rows + columns) / ((double)rows * columns);
            }

            return cost;
        }

        private static double SparsityOf(int rows, int columns, long stored, int batch, string name)
        {
            ArgumentRules.RequireAtLeast(rows, 0, "Pass the weight matrix's row count, the layer's outputs.");
            ArgumentRules.RequireAtLeast(columns, 0, "Pass the weight matrix's column count, the layer's inputs.");
            ArgumentRules.RequireAtLeast(batch, 1, "Pass the number of samples per call, 1 for single-sample inference.");
            long total = (long)rows * columns;
            if (stored < 0 || stored > total)
            {
                throw new ArgumentOutOfRangeException(name, stored, $"The count '{name}' must be in [0, {total}] (rows {rows} × columns {columns}).");
            }

            return CsrMatrix.SparsityOf(stored, rows, columns);
        }
    }
}
