using System;
using NetGen.Sparse;
using static NetGen.Tests.Sparse.SparseTestData;

namespace NetGen.Tests.Sparse
{
    public class CsrMatrixTests
    {
        [Fact]
        public void FromDense_StoresNonZerosInRowOrder()
        {
            float[] dense =
            [
                0f, 2f, 0f, -0f,
                0f, 0f, 0f, 0f,
                1f, 0f, float.NaN, 4f,
            ];
            CsrMatrix matrix = CsrMatrix.FromDense(dense, rows: 3, columns: 4);

            Assert.Equal([0, 1, 1, 4], matrix.RowPointers.ToArray());
            Assert.Equal([1, 0, 2, 3], matrix.ColumnIndices.ToArray());
            Assert.Equal([2f, 1f, float.NaN, 4f], matrix.Values.ToArray());
            Assert.Equal(4, matrix.NonZeroCount);
            Assert.Equal(1 - 4 / 12.0, matrix.Sparsity, precision: 12);
        }

        [Theory]
        [InlineData(Pattern.Random90)]
        [InlineData(Pattern.AllZeros)]
        [InlineData(Pattern.SingleNonZero)]
        [InlineData(Pattern.EmptyRowsAndOneFullRow)]
        [InlineData(Pattern.Dense)]
        public void ToDense_RoundTripsFromDense(Pattern pattern)
        {
            foreach ((int rows, int columns) in new[] { (0, 0), (0, 3), (3, 0), (1, 1), (9, 17), (31, 33) })
            {
                float[] dense = Matrix(rows, columns, pattern, seed: rows + columns);
                Assert.Equal(dense, CsrMatrix.FromDense(dense, rows, columns).ToDense());
                Assert.Equal(dense, BlockCsrMatrix.FromDense(dense, rows, columns).ToDense());
            }
        }

        [Fact]
        public void Create_AcceptsEmptyRowsAndStoredZeros()
        {
            CsrMatrix matrix = CsrMatrix.Create(rows: 3, columns: 5, [0, 0, 2, 2], [1, 4], [0f, 7f]);

            Assert.Equal(2, matrix.NonZeroCount);
            Assert.Equal(new float[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0 }, matrix.ToDense());
        }

        [Fact]
        public void Create_CopiesItsArrays()
        {
            int[] columns = [0, 2];
            float[] values = [1f, 2f];
            CsrMatrix matrix = CsrMatrix.Create(rows: 1, columns: 3, [0, 2], columns, values);
            columns[1] = 1;
            values[1] = 9f;

            Assert.Equal([0, 2], matrix.ColumnIndices.ToArray());
            Assert.Equal([1f, 2f], matrix.Values.ToArray());
        }

        public static readonly TheoryData<string, int[], int[], float[], string, string> InvalidArrays = new()
        {
            // description, row pointers, column indices, values, parameter name, text the message must contain
            { "too few row pointers", [0, 1], [0], [1f], "rowPointers", "3 elements, but there are 2" },
            { "first pointer not 0", [1, 1, 1], [0], [1f], "rowPointers", "rowPointers[0] is 1" },
            { "last pointer not the count", [0, 1, 1], [0, 1], [1f, 1f], "rowPointers", "rowPointers[2] is 1" },
            { "decreasing pointers", [0, -1, 1], [0], [1f], "rowPointers", "row 0 starts at 0 and rowPointers[1] is -1" },
            { "pointer past the count", [0, 3, 2], [0, 1], [1f, 1f], "rowPointers", "rowPointers[1] is 3" },
            { "column too large", [0, 1, 1], [4], [1f], "columnIndices", "Column index 4 at entry 0 (row 0)" },
            { "negative column", [0, 0, 1], [-1], [1f], "columnIndices", "Column index -1 at entry 0 (row 1)" },
            { "unsorted columns", [0, 2, 2], [3, 1], [1f, 1f], "columnIndices", "row 0 has 3 at entry 0 followed by 1 at entry 1" },
            { "duplicate columns", [0, 0, 2], [2, 2], [1f, 1f], "columnIndices", "row 1 has 2 at entry 0 followed by 2 at entry 1" },
            { "values count differs", [0, 1, 1], [0], [1f, 2f], "values", "1 column indices, but 2 values" },
        };

        [Theory]
        [MemberData(nameof(InvalidArrays))]
        public void Create_InvalidArrays_ThrowNamingTheProblem(string description, int[] rowPointers, int[] columnIndices, float[] values, string parameter, string message)
        {
            var error = Assert.Throws<ArgumentException>(() => CsrMatrix.Create(rows: 2, columns: 4, rowPointers, columnIndices, values));
            Assert.True(parameter == error.ParamName, $"{description}: parameter {error.ParamName}");
            Assert.Contains(message, error.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void FromDense_WrongLength_Throws()
        {
            var error = Assert.Throws<ArgumentException>(() => CsrMatrix.FromDense(new float[5], rows: 2, columns: 3));
            Assert.Equal("dense", error.ParamName);
            Assert.Throws<ArgumentOutOfRangeException>(() => CsrMatrix.FromDense([], rows: -1, columns: 0));
            Assert.Throws<ArgumentException>(() => BlockCsrMatrix.FromDense(new float[5], rows: 2, columns: 3));
        }

        [Fact]
        public void CopyValuesFrom_KeepsStructure()
        {
            CsrMatrix matrix = CsrMatrix.FromDense([1f, 0f, 2f, 0f], rows: 2, columns: 2);
            matrix.CopyValuesFrom([5f, 6f, 0f, 8f]);

            Assert.Equal([0, 1, 2], matrix.RowPointers.ToArray());
            Assert.Equal([5f, 0f], matrix.Values.ToArray());
            Assert.Equal([5f, 0f, 0f, 0f], matrix.ToDense());
        }

        [Fact]
        public void BlockCsr_StoresGridBlocksWithPaddedTail()
        {
            // 2 rows × 11 columns: grid blocks cover columns [0, 8) and [8, 11).
            var dense = new float[22];
            dense[3] = 1f;          // row 0, block 0
            dense[11 + 9] = 2f;     // row 1, block 1 (partial)
            BlockCsrMatrix matrix = BlockCsrMatrix.FromDense(dense, rows: 2, columns: 11);

            Assert.Equal([0, 1, 2], matrix.RowPointers.ToArray());
            Assert.Equal([0, 8], matrix.BlockColumns.ToArray());
            Assert.Equal(16, matrix.Values.Length);
            Assert.Equal(2f, matrix.Values[8 + 1]);
            Assert.Equal(0f, matrix.Values[8 + 3]);
            Assert.Equal(8 + 3, matrix.StoredEntryCount);
            Assert.Equal(1 - 11 / 22.0, matrix.Sparsity, precision: 12);
        }
    }
}
