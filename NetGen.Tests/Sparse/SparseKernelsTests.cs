using System;
using NetGen.Kernels;
using NetGen.Sparse;
using NetGen.Tests.Kernels;
using static NetGen.Tests.Sparse.SparseTestData;

namespace NetGen.Tests.Sparse
{
    public class SparseKernelsTests
    {
        /// <summary>
        /// Allowed error of an fp32 sum, relative to the sum of the magnitudes of its terms. The
        /// feature-major kernels add a row's terms one after another, and an fp32 sum of n terms
        /// errs by at most about n · 2⁻²⁴ of that magnitude: 4.7e-5 for the 784 inputs tested
        /// here, taken with a margin of 2.
        /// </summary>
        private const double SumTolerance = 1e-4;

        private static readonly int[] SmallColumns = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 31, 33];

        public static readonly TheoryData<Pattern> Patterns = new(AllPatterns);

        public static readonly TheoryData<int> FeatureMajorBatches = new() { 1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 17, 63, 64, 65, 128 };

        public enum Format
        {
            Csr,
            Block,
        }

        public static readonly TheoryData<Format> Formats = new() { Format.Csr, Format.Block };

        [Theory]
        [MemberData(nameof(Patterns))]
        public void CsrForward_MatchesReference_SmallShapes(Pattern pattern)
        {
            foreach (int columns in SmallColumns)
            {
                foreach (int rows in new[] { 0, 1, 2, 7, 8, 9, 17 })
                {
                    foreach (int batch in new[] { 1, 2, 3 })
                    {
                        Check(Format.Csr, featureMajor: false, rows, columns, batch, pattern, seed: rows * 100 + columns);
                    }
                }
            }
        }

        [Theory]
        [MemberData(nameof(Patterns))]
        public void BlockForward_MatchesReference_SmallShapes(Pattern pattern)
        {
            foreach (int columns in SmallColumns)
            {
                foreach (int rows in new[] { 0, 1, 2, 7, 8, 9, 17 })
                {
                    foreach (int batch in new[] { 1, 2, 3 })
                    {
                        Check(Format.Block, featureMajor: false, rows, columns, batch, pattern, seed: rows * 100 + columns);
                    }
                }
            }
        }

        [Theory]
        [MemberData(nameof(FeatureMajorBatches))]
        public void CsrForwardFeatureMajor_MatchesReference_Batches(int batch)
        {
            foreach (Pattern pattern in AllPatterns)
            {
                foreach ((int rows, int columns) in new[] { (13, 33), (9, 17), (1, 8), (5, 1) })
                {
                    Check(Format.Csr, featureMajor: true, rows, columns, batch, pattern, seed: batch);
                }
            }
        }

        [Theory]
        [MemberData(nameof(FeatureMajorBatches))]
        public void BlockForwardFeatureMajor_MatchesReference_Batches(int batch)
        {
            foreach (Pattern pattern in AllPatterns)
            {
                foreach ((int rows, int columns) in new[] { (13, 33), (9, 17), (1, 8), (5, 1) })
                {
                    Check(Format.Block, featureMajor: true, rows, columns, batch, pattern, seed: batch);
                }
            }
        }

        [Theory]
        [MemberData(nameof(Formats))]
        public void Forward_LayerShapes_MatchReference(Format format)
        {
            Check(format, featureMajor: false, rows: 256, columns: 784, batch: 1, Pattern.Random90, seed: 1);
            Check(format, featureMajor: false, rows: 10, columns: 256, batch: 3, Pattern.Random50, seed: 2);
            Check(format, featureMajor: true, rows: 256, columns: 784, batch: 128, Pattern.Random90, seed: 3);
            Check(format, featureMajor: true, rows: 100, columns: 300, batch: 33, Pattern.Random50, seed: 4);
        }

        [Theory]
        [InlineData(64)]
        [InlineData(70)]
        [InlineData(72)]
        [InlineData(100)]
        [InlineData(135)]
        [InlineData(200)]
        public void CsrForwardFeatureMajor_ColumnPanelsAndTail_MatchReference(int batch)
        {
            // With AVX-512, chunks of 128 samples take 512-bit panels. The rest takes chunks of 64
            // in 256-bit panels, whose last chunk overlaps samples already done when more than 16
            // are left (batch 100), and the row loop takes what they leave (70, 72, 135, 200).
            foreach (Pattern pattern in AllPatterns)
            {
                Check(Format.Csr, featureMajor: true, rows: 11, columns: 200, batch, pattern, seed: batch);
                Check(Format.Csr, featureMajor: true, rows: 7, columns: 300, batch, pattern, seed: batch + 1);
            }
        }

        [Fact]
        public void CsrForward_ColumnsBeyond16Bits_MatchesReference()
        {
            // More than 65,536 columns: the batch-1 kernel keeps 32-bit column indices.
            const int Rows = 3, Columns = 70_001;
            float[] w = Matrix(Rows, Columns, Pattern.EmptyRowsAndOneFullRow, seed: 4);
            w[(2 * Columns) + Columns - 1] = 0.5f;
            float[] x = Matrix(1, Columns, Pattern.Dense, seed: 5);
            float[] bias = [0.25f, -0.5f, 1f];
            var y = new float[Rows];

            SparseKernels.Forward(CsrMatrix.FromDense(w, Rows, Columns), x, bias, y, 1);

            double[] expected = ReferenceForward(x, w, bias, 1, Columns, Rows);
            double[] scale = ReferenceScale(x, w, bias, 1, Columns, Rows);
            for (int r = 0; r < Rows; r++)
            {
                // An fp32 sum of n terms errs by at most about n · 2⁻²⁴ of the sum of their magnitudes.
                Assert.True(Math.Abs(y[r] - expected[r]) <= Columns * Math.Pow(2, -24) * scale[r], $"row {r}: {y[r]} against {expected[r]}");
            }
        }

        [Fact]
        public void CsrForward_UnstoredInfiniteInput_ContributesNothing()
        {
            // Column 1 is not stored, so its infinite input must not turn the output into NaN.
            CsrMatrix weights = CsrMatrix.FromDense([2f, 0f, 3f], rows: 1, columns: 3);
            float[] y = new float[1];
            SparseKernels.Forward(weights, [1f, float.PositiveInfinity, 1f], [0.5f], y, batch: 1);
            Assert.Equal(5.5f, y[0]);
        }

        [Fact]
        public void Forward_WrongLengths_Throw()
        {
            CsrMatrix csr = CsrMatrix.FromDense(new float[6], rows: 2, columns: 3);
            BlockCsrMatrix block = BlockCsrMatrix.FromDense(new float[6], rows: 2, columns: 3);

            var wrongX = Assert.Throws<ArgumentException>(() => SparseKernels.Forward(csr, new float[5], new float[2], new float[4], batch: 2));
            Assert.Equal("x", wrongX.ParamName);
            Assert.Contains("6", wrongX.Message, StringComparison.Ordinal);

            var wrongBias = Assert.Throws<ArgumentException>(() => SparseKernels.ForwardFeatureMajor(csr, new float[6], new float[3], new float[4], batch: 2));
            Assert.Equal("bias", wrongBias.ParamName);

            var wrongY = Assert.Throws<ArgumentException>(() => SparseKernels.Forward(block, new float[6], new float[2], new float[3], batch: 2));
            Assert.Equal("y", wrongY.ParamName);

            Assert.Throws<ArgumentOutOfRangeException>(() => SparseKernels.ForwardFeatureMajor(block, new float[6], new float[2], new float[4], batch: -1));
            Assert.Throws<ArgumentNullException>(() => SparseKernels.Forward((CsrMatrix)null!, new float[3], new float[2], new float[2], batch: 1));
        }

        [Fact]
        public void Transpose_MatchesReference()
        {
            foreach ((int rows, int columns) in new[] { (0, 5), (1, 1), (3, 17), (17, 3), (128, 33), (40, 40), (8, 8), (16, 24), (9, 15), (23, 8), (784, 128) })
            {
                float[] source = TestValues.Uniform(rows * columns, seed: rows + columns);
                var destination = new GuardedBuffer(rows * columns);
                SparseKernels.Transpose(source, destination.Span, rows, columns);
                Assert.Equal(Transposed(source, rows, columns), destination.ToArray());
                destination.AssertGuardsIntact();
            }
        }

        [Fact]
        public void Transpose_OverlappingSpans_Throws()
        {
            float[] buffer = new float[8];
            var error = Assert.Throws<ArgumentException>(() => SparseKernels.Transpose(buffer, buffer, 2, 4));
            Assert.Equal("destination", error.ParamName);
        }

        [Fact]
        public void Kernels_AllocateNothing()
        {
            const int Rows = 64, Columns = 100, Batch = 20;
            float[] dense = Matrix(Rows, Columns, Pattern.Random50, seed: 5);
            CsrMatrix csr = CsrMatrix.FromDense(dense, Rows, Columns);
            BlockCsrMatrix block = BlockCsrMatrix.FromDense(dense, Rows, Columns);
            float[] x = TestValues.Uniform(Batch * Columns, seed: 6);
            float[] xFeatureMajor = new float[x.Length];
            float[] bias = TestValues.Uniform(Rows, seed: 7);
            float[] y = new float[Batch * Rows];

            void RunAll()
            {
                SparseKernels.Forward(csr, x, bias, y, Batch);
                SparseKernels.Forward(block, x, bias, y, Batch);
                SparseKernels.Transpose(x, xFeatureMajor, Batch, Columns);
                SparseKernels.ForwardFeatureMajor(csr, xFeatureMajor, bias, y, Batch);
                SparseKernels.ForwardFeatureMajor(block, xFeatureMajor, bias, y, Batch);
            }

            RunAll();
            long allocated = SteadyAllocation.MedianBytes(() =>
            {
                RunAll();
            });

            Assert.Equal(0, allocated);
        }

        /// <summary>Runs one kernel on guarded buffers and compares every output with the double-precision reference.</summary>
        private static void Check(Format format, bool featureMajor, int rows, int columns, int batch, Pattern pattern, int seed)
        {
            float[] w = Matrix(rows, columns, pattern, seed);
            float[] x = TestValues.Uniform(batch * columns, seed + 1);
            float[] bias = TestValues.Uniform(rows, seed + 2);
            double[] expected = ReferenceForward(x, w, bias, batch, columns, rows);
            double[] scale = ReferenceScale(x, w, bias, batch, columns, rows);

            var xBuffer = new GuardedBuffer(featureMajor ? Transposed(x, batch, columns) : x);
            var yBuffer = new GuardedBuffer(batch * rows);
            switch (format, featureMajor)
            {
                case (Format.Csr, false):
                    SparseKernels.Forward(CsrMatrix.FromDense(w, rows, columns), xBuffer.Span, bias, yBuffer.Span, batch);
                    break;
                case (Format.Csr, true):
                    SparseKernels.ForwardFeatureMajor(CsrMatrix.FromDense(w, rows, columns), xBuffer.Span, bias, yBuffer.Span, batch);
                    break;
                case (Format.Block, false):
                    SparseKernels.Forward(BlockCsrMatrix.FromDense(w, rows, columns), xBuffer.Span, bias, yBuffer.Span, batch);
                    break;
                default:
                    SparseKernels.ForwardFeatureMajor(BlockCsrMatrix.FromDense(w, rows, columns), xBuffer.Span, bias, yBuffer.Span, batch);
                    break;
            }

            yBuffer.AssertGuardsIntact();
            float[] y = featureMajor ? Transposed(yBuffer.ToArray(), rows, batch) : yBuffer.ToArray();
            for (int b = 0; b < batch; b++)
            {
                for (int o = 0; o < rows; o++)
                {
                    int index = b * rows + o;
                    TestValues.AssertClose(expected[index], y[index], scale[index], SumTolerance,
                        $"{format} {(featureMajor ? "feature-major" : "batch-major")} {pattern} [{rows}x{columns}] batch {batch}: y[{b},{o}]");
                }
            }
        }
    }
}
