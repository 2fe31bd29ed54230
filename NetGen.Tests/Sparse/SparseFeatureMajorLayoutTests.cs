using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using NetGen.Kernels;
using NetGen.Sparse;
using NetGen.Tests.Kernels;
using static NetGen.Tests.Sparse.SparseTestData;

namespace NetGen.Tests.Sparse
{
    /// <summary>
    /// Feature-major CSR on buffers at and off 64-byte boundaries, at batch sizes around the
    /// 16-sample vector and the 128-sample panel chunk, with each SIMD width the kernel takes.
    /// </summary>
    [Collection(SimdWidthCollection.Name)]
    public class SparseFeatureMajorLayoutTests
    {
        /// <summary>Allowed error relative to the sum of the magnitudes of the terms, as in <see cref="SparseKernelsTests"/>.</summary>
        private const double SumTolerance = 1e-4;

        /// <summary>Floats of guard on each side of a span inside its aligned buffer.</summary>
        private const int GuardLength = 16;

        private static readonly float GuardValue = BitConverter.Int32BitsToSingle(0x7FC0_BEEF);

        public static readonly TheoryData<int> Batches = new() { 1, 15, 16, 17, 127, 128, 129, 300 };

        [Theory]
        [MemberData(nameof(Batches))]
        public void CsrFeatureMajor_AlignedAndShifted_MatchReference(int batch)
        {
            // Offsets in floats from a 64-byte boundary: 0 aligns every row when the batch is a
            // multiple of 16, and 1 and 12 then make every 512-bit load straddle two cache lines.
            foreach (int offset in new[] { 0, 1, 12 })
            {
                foreach (Pattern pattern in AllPatterns)
                {
                    Check(rows: 19, columns: 300, batch, pattern, offset, seed: batch + offset);
                }

                // The benchmark shapes, where 784 inputs make 9 column panels.
                Check(rows: 40, columns: 784, batch, Pattern.Random90, offset, seed: batch + 1);
                Check(rows: 33, columns: 256, batch, Pattern.Random90, offset, seed: batch + 2);
            }
        }

        [Theory]
        [InlineData(512)]
        [InlineData(256)]
        [InlineData(128)]
        [InlineData(0)]
        public void CsrFeatureMajor_EachSimdWidth_MatchesReference(int widthCap)
        {
            SimdWidth.MaximumBits = widthCap;
            try
            {
                foreach (int batch in new[] { 1, 15, 16, 17, 64, 127, 128, 129, 300 })
                {
                    foreach (Pattern pattern in AllPatterns)
                    {
                        Check(rows: 13, columns: 300, batch, pattern, offset: 0, seed: batch);
                    }
                }
            }
            finally
            {
                SimdWidth.MaximumBits = SimdWidth.Unlimited;
            }
        }

        [Fact]
        public void AlignedBuffer_FirstElement_On64ByteBoundary()
        {
            foreach (int length in new[] { 0, 1, 15, 16, 17, 1000, 100_000 })
            {
                var buffer = new AlignedBuffer(length);
                Span<float> span = buffer.Span;

                Assert.Equal(length, buffer.Length);
                Assert.Equal(length, span.Length);
                Assert.Equal(0L, AddressOf(span) % AlignedBuffer.AlignmentBytes);
                Assert.True(span.IndexOfAnyExcept(0f) < 0, $"A new buffer of {length} floats is not all zeros.");
            }
        }

        [Fact]
        public void AlignedBuffer_NegativeOrHugeLength_Throws()
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => new AlignedBuffer(-1));
            Assert.Throws<ArgumentOutOfRangeException>(() => new AlignedBuffer((long)AlignedBuffer.MaxLength + 1));
        }

        [Fact]
        public void Workspace_Activations_On64ByteBoundary()
        {
            var workspace = new Workspace("test", maxBatchSize: 128, activationsPerSample: 394, parameterCount: 10);

            Assert.Equal(128 * 394, workspace.Activations.Length);
            Assert.Equal(0L, AddressOf(workspace.Activations) % AlignedBuffer.AlignmentBytes);
        }

        [Fact]
        public void CsrFeatureMajor_AlignedBuffers_AllocateNothing()
        {
            const int Rows = 40, Columns = 784, Batch = 128;
            CsrMatrix csr = CsrMatrix.FromDense(Matrix(Rows, Columns, Pattern.Random90, seed: 8), Rows, Columns);
            var x = new AlignedBuffer(Batch * Columns);
            TestValues.Uniform(Batch * Columns, seed: 9).CopyTo(x.Span);
            float[] bias = TestValues.Uniform(Rows, seed: 10);
            var y = new AlignedBuffer(Batch * Rows);

            SparseKernels.ForwardFeatureMajor(csr, x.Span, bias, y.Span, Batch);
            long allocated = SteadyAllocation.MedianBytes(() =>
            {
                SparseKernels.ForwardFeatureMajor(csr, x.Span, bias, y.Span, Batch);
            });

            Assert.Equal(0, allocated);
        }

        private static unsafe long AddressOf(Span<float> span) => (long)Unsafe.AsPointer(ref MemoryMarshal.GetReference(span));

        /// <summary>
        /// Runs feature-major CSR with x and y starting <paramref name="offset"/> floats after a
        /// 64-byte boundary, between guards, and compares every output with the double-precision reference.
        /// </summary>
        private static void Check(int rows, int columns, int batch, Pattern pattern, int offset, int seed)
        {
            float[] w = Matrix(rows, columns, pattern, seed);
            float[] x = TestValues.Uniform(batch * columns, seed + 1);
            float[] bias = TestValues.Uniform(rows, seed + 2);
            double[] expected = ReferenceForward(x, w, bias, batch, columns, rows);
            double[] scale = ReferenceScale(x, w, bias, batch, columns, rows);

            var xBuffer = new AlignedBuffer(GuardLength + offset + x.Length + GuardLength);
            var yBuffer = new AlignedBuffer(GuardLength + offset + (rows * batch) + GuardLength);
            xBuffer.Span.Fill(GuardValue);
            yBuffer.Span.Fill(GuardValue);
            Span<float> xSpan = xBuffer.Span.Slice(GuardLength + offset, x.Length);
            Span<float> ySpan = yBuffer.Span.Slice(GuardLength + offset, rows * batch);
            Transposed(x, batch, columns).CopyTo(xSpan);

            SparseKernels.ForwardFeatureMajor(CsrMatrix.FromDense(w, rows, columns), xSpan, bias, ySpan, batch);

            string context = $"{pattern} [{rows}x{columns}] batch {batch} offset {offset}";
            AssertGuards(yBuffer.Span, GuardLength + offset, rows * batch, context);
            float[] y = Transposed(ySpan.ToArray(), rows, batch);
            for (int b = 0; b < batch; b++)
            {
                for (int o = 0; o < rows; o++)
                {
                    int index = b * rows + o;
                    TestValues.AssertClose(expected[index], y[index], scale[index], SumTolerance, $"{context}: y[{b},{o}]");
                }
            }
        }

        private static void AssertGuards(Span<float> buffer, int start, int length, string context)
        {
            for (int k = 0; k < GuardLength; k++)
            {
                Assert.True(BitConverter.SingleToInt32Bits(buffer[start - 1 - k]) == BitConverter.SingleToInt32Bits(GuardValue),
                    $"{context}: the guard {k + 1} elements before y was overwritten.");
                Assert.True(BitConverter.SingleToInt32Bits(buffer[start + length + k]) == BitConverter.SingleToInt32Bits(GuardValue),
                    $"{context}: the guard {k + 1} elements after y was overwritten.");
            }
        }
    }
}
