using System;
using NetGen.Kernels;

namespace NetGen.Sparse
{
    /// <summary>
    /// A float matrix in compressed sparse row (CSR) form: for each row, the column indices and
    /// values of its stored entries. It is the sparse counterpart of a dense weight matrix
    /// [outputs, inputs] in the torch.nn.Linear layout, so a row is an output and a column an input.
    /// </summary>
    /// <remarks>
    /// The entries of row r are at positions <c>RowPointers[r] ≤ k &lt; RowPointers[r + 1]</c> of
    /// <see cref="ColumnIndices"/> and <see cref="Values"/>, with column indices strictly
    /// increasing. The structure is fixed after construction. The values may be changed in place
    /// through <see cref="Values"/>, for example by training, and a value set to zero stays stored.
    /// </remarks>
    public sealed class CsrMatrix
    {
        private readonly int[] _rowPointers;
        private readonly int[] _columnIndices;
        private readonly float[] _values;
        private readonly ushort[]? _shortColumnIndices;
        private readonly int[] _panelPointers;

        private CsrMatrix(int rows, int columns, int[] rowPointers, int[] columnIndices, float[] values)
        {
            Rows = rows;
            Columns = columns;
            _rowPointers = rowPointers;
            _columnIndices = columnIndices;
            _values = values;

            // A second copy of the column indices in 16 bits lets the batch-1 kernel load four
            // of them with one 64-bit load, which cuts its loads per stored weight.
            _panelPointers = BuildPanelPointers(rows, columns, rowPointers, columnIndices);
            if (columns <= ShortIndexLimit)
            {
                _shortColumnIndices = new ushort[columnIndices.Length];
                for (int k = 0; k < columnIndices.Length; k++)
                {
                    _shortColumnIndices[k] = (ushort)columnIndices[k];
                }
            }
        }

        /// <summary>Number of rows (outputs of a layer).</summary>
        public int Rows { get; }

        /// <summary>Number of columns (inputs of a layer).</summary>
        public int Columns { get; }

        /// <summary>Number of stored entries. Entries stored through <see cref="Create"/> count even when their value is zero.</summary>
        public int NonZeroCount => _values.Length;

        /// <summary>
        /// Fraction of the <see cref="Rows"/> × <see cref="Columns"/> entries that are not stored,
        /// from 0 (dense) to 1 (empty). A matrix with no entries at all has sparsity 0.
        /// </summary>
        public double Sparsity => SparsityOf(NonZeroCount, Rows, Columns);

        /// <summary>Row start offsets, <see cref="Rows"/> + 1 of them: row r is stored at [RowPointers[r], RowPointers[r + 1]).</summary>
        public ReadOnlySpan<int> RowPointers => _rowPointers;

        /// <summary>Column index of each stored entry, strictly increasing within a row.</summary>
        public ReadOnlySpan<int> ColumnIndices => _columnIndices;

        /// <summary>Value of each stored entry, in the order of <see cref="ColumnIndices"/>; writable.</summary>
        public Span<float> Values => _values;

        /// <summary>
        /// Converts a dense row-major matrix, storing every entry that is not exactly zero
        /// (both +0 and −0 are dropped; NaN and infinities are stored).
        /// </summary>
        /// <param name="dense">The matrix, [rows, columns] row-major.</param>
        /// <param name="rows">Number of rows.</param>
        /// <param name="columns">Number of columns.</param>
        /// <returns>A new matrix that owns copies of the stored values.</returns>
        /// <exception cref="ArgumentOutOfRangeException">A size is negative.</exception>
        /// <exception cref="ArgumentException"><paramref name="dense"/> does not have rows × columns elements.</exception>
        public static CsrMatrix FromDense(ReadOnlySpan<float> dense, int rows, int columns)
        {
            KernelArguments.RequireSize(rows);
            KernelArguments.RequireSize(columns);
            KernelArguments.RequireLength(dense.Length, rows, columns, nameof(dense), nameof(rows), nameof(columns));

            int count = 0;
            foreach (float value in dense)
            {
                if (value != 0f)
                {
                    count++;
                }
            }

            var rowPointers = new int[rows + 1];
            var columnIndices = new int[count];
            var values = new float[count];
            int next = 0;
            for (int r = 0; r < rows; r++)
            {
                ReadOnlySpan<float> row = dense.Slice(r * columns, columns);
                for (int c = 0; c < columns; c++)
                {
                    if (row[c] != 0f)
                    {
                        columnIndices[next] = c;
                        values[next] = row[c];
                        next++;
                    }
                }

                rowPointers[r + 1] = next;
            }

            return new CsrMatrix(rows, columns, rowPointers, columnIndices, values);
        }

        /// <summary>
        /// Creates a matrix from its CSR arrays, after checking that they describe a valid matrix.
        /// The arrays are copied, so the caller may reuse them.
        /// </summary>
        /// <param name="rows">Number of rows.</param>
        /// <param name="columns">Number of columns.</param>
        /// <param name="rowPointers">Row start offsets: <paramref name="rows"/> + 1 of them, starting at 0, non-decreasing, ending at the entry count.</param>
        /// <param name="columnIndices">Column index of each entry: in [0, columns) and strictly increasing within each row.</param>
        /// <param name="values">Value of each entry, the same count as <paramref name="columnIndices"/>. Zeros are kept as stored entries.</param>
        /// <returns>A new matrix.</returns>
        /// <exception cref="ArgumentOutOfRangeException">A size is negative.</exception>
        /// <exception cref="ArgumentException">The arrays do not describe a valid CSR matrix; the message names the row and entry.</exception>
        public static CsrMatrix Create(int rows, int columns, ReadOnlySpan<int> rowPointers, ReadOnlySpan<int> columnIndices, ReadOnlySpan<float> values)
        {
            KernelArguments.RequireSize(rows);
            KernelArguments.RequireSize(columns);
            Validate(rows, columns, rowPointers, columnIndices, values);
            return new CsrMatrix(rows, columns, rowPointers.ToArray(), columnIndices.ToArray(), values.ToArray());
        }

        /// <summary>Returns the matrix as a new dense row-major array, [<see cref="Rows"/>, <see cref="Columns"/>], with zeros where no entry is stored.</summary>
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
                for (int k = _rowPointers[r]; k < _rowPointers[r + 1]; k++)
                {
                    row[_columnIndices[k]] = _values[k];
                }
            }
        }

        /// <summary>
        /// Copies the entries at the stored positions from a dense matrix of the same shape into
        /// <see cref="Values"/>, keeping the structure. Use it after training the dense weights
        /// under a pruning mask whose kept positions match this matrix.
        /// </summary>
        /// <param name="dense">The matrix, [<see cref="Rows"/>, <see cref="Columns"/>] row-major.</param>
        /// <exception cref="ArgumentException"><paramref name="dense"/> does not have Rows × Columns elements.</exception>
        public void CopyValuesFrom(ReadOnlySpan<float> dense)
        {
            KernelArguments.RequireLength(dense.Length, Rows, Columns, nameof(dense), nameof(Rows), nameof(Columns));
            for (int r = 0; r < Rows; r++)
            {
                ReadOnlySpan<float> row = dense.Slice(r * Columns, Columns);
                for (int k = _rowPointers[r]; k < _rowPointers[r + 1]; k++)
                {
                    _values[k] = row[_columnIndices[k]];
                }
            }
        }

        internal int[] RowPointerArray => _rowPointers;

        internal int[] ColumnIndexArray => _columnIndices;

        internal float[] ValueArray => _values;

        /// <summary>The column indices as 16-bit values, or null when <see cref="Columns"/> exceeds <see cref="ShortIndexLimit"/>.</summary>
        internal ushort[]? ShortColumnIndexArray => _shortColumnIndices;

        /// <summary>
        /// Number of columns in one panel of the feature-major kernel. The inputs of a panel take
        /// 24 KiB for a 256-bit chunk of 64 samples and 48 KiB for a 512-bit chunk of 128. On the Zen 5
        /// machine of docs/sparsity.md (48 KiB of L1 data cache), widths from 72 to 96 ran within 3 % of
        /// each other at batch 128. Narrower panels were slower because each row then loads and
        /// stores its partial sums more often per stored entry.
        /// </summary>
        internal const int PanelColumns = 96;

        /// <summary>Number of column panels, ⌈<see cref="Columns"/> / <see cref="PanelColumns"/>⌉.</summary>
        internal int PanelCount => (Columns + PanelColumns - 1) / PanelColumns;

        /// <summary>
        /// For row r and panel p, at [r · (PanelCount + 1) + p], the first entry of the row whose
        /// column is at least p · <see cref="PanelColumns"/>; the last value of each row is its end.
        /// </summary>
        internal int[] PanelPointerArray => _panelPointers;

        /// <summary>Largest column count whose indices fit in 16 bits.</summary>
        internal const int ShortIndexLimit = ushort.MaxValue + 1;

        internal static double SparsityOf(long stored, int rows, int columns)
        {
            long total = (long)rows * columns;
            return total == 0 ? 0.0 : 1.0 - (double)stored / total;
        }

        private static int[] BuildPanelPointers(int rows, int columns, int[] rowPointers, int[] columnIndices)
        {
            int panels = (columns + PanelColumns - 1) / PanelColumns;
            var pointers = new int[(long)rows * (panels + 1)];
            for (int r = 0; r < rows; r++)
            {
                int k = rowPointers[r];
                int end = rowPointers[r + 1];
                int first = r * (panels + 1);
                for (int p = 0; p < panels; p++)
                {
                    while (k < end && columnIndices[k] < p * PanelColumns)
                    {
                        k++;
                    }

                    pointers[first + p] = k;
                }

                pointers[first + panels] = end;
            }

            return pointers;
        }

        private static void Validate(int rows, int columns, ReadOnlySpan<int> rowPointers, ReadOnlySpan<int> columnIndices, ReadOnlySpan<float> values)
        {
            if (rowPointers.Length != rows + 1)
            {
                throw new ArgumentException(
                    $"The row pointers must have rows + 1 = {rows + 1} elements, but there are {rowPointers.Length}. Pass one start offset per row followed by the entry count.",
                    nameof(rowPointers));
            }

            if (values.Length != columnIndices.Length)
            {
                throw new ArgumentException(
                    $"There must be one value per column index: {columnIndices.Length} column indices, but {values.Length} values.",
                    nameof(values));
            }

            if (rowPointers[0] != 0)
            {
                throw new ArgumentException(
                    $"The row pointers must start at 0, but rowPointers[0] is {rowPointers[0]}.",
                    nameof(rowPointers));
            }

            if (rowPointers[rows] != columnIndices.Length)
            {
                throw new ArgumentException(
                    $"The last row pointer must equal the entry count {columnIndices.Length}, but rowPointers[{rows}] is {rowPointers[rows]}.",
                    nameof(rowPointers));
            }

            for (int r = 0; r < rows; r++)
            {
                int start = rowPointers[r];
                int end = rowPointers[r + 1];
                if (end < start)
                {
                    throw new ArgumentException(
                        $"The row pointers must not decrease, but row {r} starts at {start} and rowPointers[{r + 1}] is {end}.",
                        nameof(rowPointers));
                }

                if (end > columnIndices.Length)
                {
                    throw new ArgumentException(
                        $"The row pointers must not exceed the entry count {columnIndices.Length}, but rowPointers[{r + 1}] is {end}.",
                        nameof(rowPointers));
                }

                for (int k = start; k < end; k++)
                {
                    int column = columnIndices[k];
                    if ((uint)column >= (uint)columns)
                    {
                        throw new ArgumentException(
                            $"Column index {column} at entry {k} (row {r}) is out of range: it must be in [0, {columns}).",
                            nameof(columnIndices));
                    }

                    if (k > start && column <= columnIndices[k - 1])
                    {
                        throw new ArgumentException(
                            $"Column indices must be strictly increasing within a row, but row {r} has {columnIndices[k - 1]} at entry {k - 1} followed by {column} at entry {k}. Sort each row and merge duplicates.",
                            nameof(columnIndices));
                    }
                }
            }
        }
    }
}
