using System;
using NetGen.Kernels;

namespace NetGen.Sparse
{
    /// <summary>
    /// Block magnitude pruning for <see cref="BlockCsrMatrix"/>: whole 1×8 blocks of a weight
    /// matrix [rows, columns] are set to zero, those with the smallest L2 norm first.
    /// </summary>
    /// <remarks>
    /// Blocks lie on the grid of <see cref="BlockCsrMatrix"/>: block j of a row covers columns
    /// [8j, 8j + 8), and the last block of a row is partial when the column count is not a
    /// multiple of 8. The target is a fraction of blocks, and exactly
    /// <see cref="MagnitudePruning.PrunedCount"/>(block count, sparsity) blocks are pruned. Among
    /// blocks of equal norm the one with the lower index (row-major) is pruned first.
    /// </remarks>
    public static class BlockPruning
    {
        /// <summary>Returns the number of 1×8 grid blocks of a [rows, columns] matrix, partial blocks included.</summary>
        /// <param name="rows">Number of rows.</param>
        /// <param name="columns">Number of columns.</param>
        /// <returns>rows × ⌈columns / 8⌉.</returns>
        public static int BlockCount(int rows, int columns)
        {
            KernelArguments.RequireSize(rows);
            KernelArguments.RequireSize(columns);
            return checked(rows * BlocksPerRow(columns));
        }

        /// <summary>Computes the mask that prunes the 1×8 blocks of smallest L2 norm to reach <paramref name="sparsity"/>, without changing the weights.</summary>
        /// <param name="weights">The weights, [rows, columns] row-major.</param>
        /// <param name="rows">Number of rows.</param>
        /// <param name="columns">Number of columns.</param>
        /// <param name="sparsity">Target fraction of pruned blocks, in [0, 1].</param>
        /// <returns>The mask, one entry per weight.</returns>
        /// <exception cref="ArgumentOutOfRangeException">A size is negative, or <paramref name="sparsity"/> is outside [0, 1].</exception>
        /// <exception cref="ArgumentException"><paramref name="weights"/> does not have rows × columns elements, or a weight is NaN.</exception>
        public static PruningMask ComputeMask(ReadOnlySpan<float> weights, int rows, int columns, double sparsity)
        {
            int blockCount = BlockCount(rows, columns);
            KernelArguments.RequireLength(weights.Length, rows, columns, nameof(weights), nameof(rows), nameof(columns));
            int pruned = MagnitudePruning.PrunedCount(blockCount, sparsity);
            int blocksPerRow = BlocksPerRow(columns);
            const int Width = BlockCsrMatrix.BlockWidth;

            var norms = new double[blockCount];
            for (int r = 0; r < rows; r++)
            {
                for (int j = 0; j < blocksPerRow; j++)
                {
                    int start = r * columns + j * Width;
                    int end = r * columns + Math.Min(columns, (j + 1) * Width);
                    double squares = 0;
                    for (int i = start; i < end; i++)
                    {
                        if (float.IsNaN(weights[i]))
                        {
                            throw new ArgumentException($"The weight at index {i} is NaN, which has no magnitude to rank. Check the training run that produced it.", nameof(weights));
                        }

                        squares += (double)weights[i] * weights[i];
                    }

                    norms[r * blocksPerRow + j] = squares;
                }
            }

            var order = new int[blockCount];
            for (int b = 0; b < blockCount; b++)
            {
                order[b] = b;
            }

            Array.Sort(order, (a, b) =>
            {
                int byNorm = norms[a].CompareTo(norms[b]);
                return byNorm != 0 ? byNorm : a.CompareTo(b);
            });

            var keep = new bool[weights.Length];
            keep.AsSpan().Fill(true);
            for (int k = 0; k < pruned; k++)
            {
                int r = order[k] / blocksPerRow;
                int j = order[k] % blocksPerRow;
                int start = r * columns + j * Width;
                int end = r * columns + Math.Min(columns, (j + 1) * Width);
                keep.AsSpan(start, end - start).Clear();
            }

            return PruningMask.FromFlags(keep);
        }

        /// <summary>Sets the 1×8 blocks of smallest L2 norm to zero to reach <paramref name="sparsity"/> and returns the mask to reapply after each optimizer step.</summary>
        /// <param name="weights">The weights, [rows, columns] row-major; changed in place.</param>
        /// <param name="rows">Number of rows.</param>
        /// <param name="columns">Number of columns.</param>
        /// <param name="sparsity">Target fraction of pruned blocks, in [0, 1].</param>
        /// <returns>The mask, one entry per weight.</returns>
        /// <exception cref="ArgumentOutOfRangeException">A size is negative, or <paramref name="sparsity"/> is outside [0, 1].</exception>
        /// <exception cref="ArgumentException"><paramref name="weights"/> does not have rows × columns elements, or a weight is NaN.</exception>
        public static PruningMask Prune(Span<float> weights, int rows, int columns, double sparsity)
        {
            PruningMask mask = ComputeMask(weights, rows, columns, sparsity);
            mask.Apply(weights);
            return mask;
        }

        private static int BlocksPerRow(int columns) => (columns + BlockCsrMatrix.BlockWidth - 1) / BlockCsrMatrix.BlockWidth;
    }
}
