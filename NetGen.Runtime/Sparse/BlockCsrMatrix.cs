using System;
using NetGen.Kernels;

namespace NetGen.Sparse
{
    /// <summary>
    /// A float matrix stored as 1×8 blocks in CSR order: each stored block is 8 consecutive
    /// columns of one row, starting at a multiple of 8, with one column index and 8 dense values.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Blocks lie on a fixed grid, so block j of a row covers columns [8j, 8j + 8). When the
    /// column count is not a multiple of 8, the last grid block of a row is partial: its values
    /// past the last column are stored as zeros and the kernels never read inputs there.
    /// </para>
    /// <para>
    /// A batch-1 kernel multiplies a block with one 256-bit load of values, one of inputs and one
    /// FMA, so it does 8 multiply-adds for the cost that CSR spends on about one. The structure is
    /// fixed after construction, and the values may be changed in place through <see cref="Values"/>.
    /// Prune with <see cref="BlockPruning"/> first so that whole blocks become zero.
    /// </para>
    /// </remarks>
    public sealed class BlockCsrMatrix
    {
        /// <summary>Number of consecutive columns in one block.</summary>
        public const int BlockWidth = 8;

        private readonly int[] _rowPointers;
        private readonly int[] _blockColumns;
        private readonly float[] _values;

        private BlockCsrMatrix(int rows, int columns, int[] rowPointers, int[] blockColumns, float[] values)
        {
            Rows = rows;
            Columns = columns;
            _rowPointers = rowPointers;
            _blockColumns = blockColumns;
            _values = values;

            long entries = 0;
            foreach (int column in blockColumns)
            {
                entries += Math.Min(BlockWidth, columns - column);
            }

            StoredEntryCount = entries;
        }

        /// <summary>Number of rows (outputs of a layer).</summary>
        public int Rows { get; }

        /// <summary>Number of columns (inputs of a layer).</summary>
        public int Columns { get; }

        /// <summary>Number of stored blocks.</summary>
        public int BlockCount => _blockColumns.Length;

        /// <summary>Number of matrix entries inside stored blocks, not counting the padding of partial blocks. Some of them may be zero.</summary>
        public long StoredEntryCount { get; }

        /// <summary>
        /// Fraction of the <see cref="Rows"/> × <see cref="Columns"/> entries outside every stored
        /// block, from 0 to 1. A matrix with no entries at all has sparsity 0.
        /// </summary>
        public double Sparsity => CsrMatrix.SparsityOf(StoredEntryCount, Rows, Columns);

        /// <summary>Row start offsets in blocks, <see cref="Rows"/> + 1 of them: row r's blocks are [RowPointers[r], RowPointers[r + 1]).</summary>
        public ReadOnlySpan<int> RowPointers => _rowPointers;

        /// <summary>First column of each stored block: a multiple of <see cref="BlockWidth"/>, strictly increasing within a row.</summary>
        public ReadOnlySpan<int> BlockColumns => _blockColumns;

        /// <summary>The values, <see cref="BlockWidth"/> per block in block order; writable. The kernels ignore the padding of partial blocks.</summary>
        public Span<float> Values => _values;

        /// <summary>
        /// Converts a dense row-major matrix, storing every grid block that contains an entry that
        /// is not exactly zero. Zeros inside a stored block are stored as zeros.
        /// </summary>
        /// <param name="dense">The matrix, [rows, columns] row-major.</param>
        /// <param name="rows">Number of rows.</param>
        /// <param name="columns">Number of columns.</param>
        /// <returns>A new matrix that owns copies of the stored values.</returns>
        /// <exception cref="ArgumentOutOfRangeException">A size is negative.</exception>
        /// <exception cref="ArgumentException"><paramref name="dense"/> does not have rows × columns elements.</exception>
        public static BlockCsrMatrix FromDense(ReadOnlySpan<float> dense, int rows, int columns)
        {
            KernelArguments.RequireSize(rows);
            KernelArguments.RequireSize(columns);
            KernelArguments.RequireLength(dense.Length, rows, columns, nameof(dense), nameof(rows), nameof(columns));

            int count = 0;
            for (int r = 0; r < rows; r++)
            {
                ReadOnlySpan<float> row = dense.Slice(r * columns, columns);
                for (int start = 0; start < columns; start += BlockWidth)
                {
                    if (HasNonZero(row, start))
                    {
                        count++;
                    }
                }
            }

            var rowPointers = new int[rows + 1];
            var blockColumns = new int[count];
            var values = new float[count * BlockWidth];
            int next = 0;
            for (int r = 0; r < rows; r++)
            {
                ReadOnlySpan<float> row = dense.Slice(r * columns, columns);
                for (int start = 0; start < columns; start += BlockWidth)
                {
                    if (HasNonZero(row, start))
                    {
                        blockColumns[next] = start;
                        ReadOnlySpan<float> block = row.Slice(start, Math.Min(BlockWidth, columns - start));
                        block.CopyTo(values.AsSpan(next * BlockWidth, BlockWidth));
                        next++;
                    }
                }

                rowPointers[r + 1] = next;
            }

            return new BlockCsrMatrix(rows, columns, rowPointers, blockColumns, values);
        }

        /// <summary>Returns the matrix as a new dense row-major array, [<see cref="Rows"/>, <see cref="Columns"/>], with zeros outside the stored blocks.</summary>
        public float[] ToDense()
        {
            var dense = new float[(long)Rows * Columns];
            ToDense(dense);
            return dense;
        }

        /// <summary>Writes the matrix into a dense row-major span, [<see cref="Rows"/>, <see cref="Columns"/>], overwriting all of it.</summary>
        /// <param name="destination">The span to fill.</param>
        /// <exception cref="ArgumentException"><paramref name="destination"/> does not have Rows × Columns elements.</exception>
        public void ToDense(Span<float> destination)
        {
            KernelArguments.RequireLength(destination.Length, Rows, Columns, nameof(destination), nameof(Rows), nameof(Columns));
            destination.Clear();
            for (int r = 0; r < Rows; r++)
            {
                Span<float> row = destination.Slice(r * Columns, Columns);
                for (int b = _rowPointers[r]; b < _rowPointers[r + 1]; b++)
                {
                    int start = _blockColumns[b];
                    int width = Math.Min(BlockWidth, Columns - start);
                    _values.AsSpan(b * BlockWidth, width).CopyTo(row.Slice(start, width));
                }
            }
        }

        internal int[] RowPointerArray => _rowPointers;

        internal int[] BlockColumnArray => _blockColumns;

        internal float[] ValueArray => _values;

        private static bool HasNonZero(ReadOnlySpan<float> row, int start)
        {
            int end = Math.Min(row.Length, start + BlockWidth);
            for (int c = start; c < end; c++)
            {
                if (row[c] != 0f)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
