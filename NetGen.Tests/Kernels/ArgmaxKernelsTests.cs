using System;
using System.Numerics.Tensors;
using NetGen.Kernels;

namespace NetGen.Tests.Kernels
{
    /// <summary>
    /// Tests of the accuracy counts against a plain argmax written out here: the first NaN, else
    /// the first largest value, with +0 above −0, as TensorPrimitives.IndexOfMax ranks them.
    /// </summary>
    public class ArgmaxKernelsTests
    {
        /// <summary>Widths 1 to 17 (the vector path takes 2, 4, 8 and 16) with row counts around the rows per vector.</summary>
        public static readonly TheoryData<int, int> Shapes = CreateShapes();

        [Theory]
        [MemberData(nameof(Shapes))]
        public void CountSameArgmax_MatchesReference(int rows, int width)
        {
            var outputs = new GuardedBuffer(Values(rows * width, seed: rows + (31 * width)));
            var targets = new GuardedBuffer(Values(rows * width, seed: rows + (37 * width) + 1));

            int count = ArgmaxKernels.CountSameArgmax(outputs.Span, targets.Span, rows, width);

            int expected = 0;
            for (int r = 0; r < rows; r++)
            {
                int predicted = ReferenceArgmax(outputs.Span.Slice(r * width, width));
                expected += predicted == ReferenceArgmax(targets.Span.Slice(r * width, width)) ? 1 : 0;
            }

            Assert.Equal(expected, count);
        }

        [Theory]
        [MemberData(nameof(Shapes))]
        public void CountMatchingLabels_MatchesReference(int rows, int width)
        {
            var outputs = new GuardedBuffer(Values(rows * width, seed: rows + (41 * width)));
            var labels = new int[rows];
            for (int r = 0; r < rows; r++)
            {
                // Every third label is the reference's index, so matches and misses both occur.
                int reference = ReferenceArgmax(outputs.Span.Slice(r * width, width));
                labels[r] = r % 3 == 0 ? reference : (reference + r) % width;
            }

            int count = ArgmaxKernels.CountMatchingLabels(outputs.Span, labels, rows, width);

            int expected = 0;
            for (int r = 0; r < rows; r++)
            {
                expected += ReferenceArgmax(outputs.Span.Slice(r * width, width)) == labels[r] ? 1 : 0;
            }

            Assert.Equal(expected, count);
        }

        [Theory]
        [InlineData(2)]
        [InlineData(3)]
        [InlineData(4)]
        [InlineData(8)]
        [InlineData(10)]
        [InlineData(15)]
        [InlineData(16)]
        public void CountSameArgmax_SpecialValues_RankAsIndexOfMax(int width)
        {
            // Each row of outputs puts one special case at the front; the targets' rows hold the
            // index that TensorPrimitives.IndexOfMax gives, as a one-hot row.
            float[][] cases =
            [
                [-0f, 0f],
                [0f, -0f],
                [float.NaN, 1f],
                [1f, float.NaN],
                [-float.NaN, 3f],
                [float.PositiveInfinity, float.NaN],
                [float.NegativeInfinity, float.NegativeInfinity],
                [2f, 2f],
                [-1f, -2f],
                [float.MaxValue, float.PositiveInfinity],
            ];
            int rows = cases.Length * 2;
            var outputs = new float[rows * width];
            var targets = new float[rows * width];
            outputs.AsSpan().Fill(float.NegativeInfinity);
            for (int r = 0; r < rows; r++)
            {
                float[] special = cases[r % cases.Length];

                // The second copy of each case sits at the end of its row.
                int start = r < cases.Length ? 0 : width - special.Length;
                special.CopyTo(outputs, (r * width) + start);
                targets[(r * width) + TensorPrimitives.IndexOfMax(outputs.AsSpan(r * width, width))] = 1;
                Assert.Equal(TensorPrimitives.IndexOfMax(outputs.AsSpan(r * width, width)), ReferenceArgmax(outputs.AsSpan(r * width, width)));
            }

            Assert.Equal(rows, ArgmaxKernels.CountSameArgmax(outputs, targets, rows, width));
        }

        [Fact]
        public void Counts_WrongArguments_Throw()
        {
            Assert.Equal("targets", Assert.Throws<ArgumentException>(() => ArgmaxKernels.CountSameArgmax(new float[8], new float[6], 2, 4)).ParamName);
            Assert.Equal("outputs", Assert.Throws<ArgumentException>(() => ArgmaxKernels.CountSameArgmax(new float[7], new float[8], 2, 4)).ParamName);
            Assert.Equal("labels", Assert.Throws<ArgumentException>(() => ArgmaxKernels.CountMatchingLabels(new float[8], new int[3], 2, 4)).ParamName);
            Assert.Equal("width", Assert.Throws<ArgumentOutOfRangeException>(() => ArgmaxKernels.CountSameArgmax([], [], 2, 0)).ParamName);
            Assert.Equal("rows", Assert.Throws<ArgumentOutOfRangeException>(() => ArgmaxKernels.CountMatchingLabels([], [], -1, 4)).ParamName);
        }

        /// <summary>The first NaN, else the first largest value, where +0 ranks above −0.</summary>
        private static int ReferenceArgmax(ReadOnlySpan<float> row)
        {
            for (int i = 0; i < row.Length; i++)
            {
                if (float.IsNaN(row[i]))
                {
                    return i;
                }
            }

            int best = 0;
            for (int i = 1; i < row.Length; i++)
            {
                bool positiveOverNegativeZero = row[i] == 0 && row[best] == 0 && float.IsNegative(row[best]) && !float.IsNegative(row[i]);
                if (row[i] > row[best] || positiveOverNegativeZero)
                {
                    best = i;
                }
            }

            return best;
        }

        /// <summary>
        /// Values from a small set, so rows often tie, with a NaN, a −0 or an infinity in about one
        /// value of 20.
        /// </summary>
        private static float[] Values(int length, int seed)
        {
            var random = new Random(seed);
            float[] special = [float.NaN, -float.NaN, -0f, 0f, float.PositiveInfinity, float.NegativeInfinity];
            var values = new float[length];
            for (int i = 0; i < length; i++)
            {
                values[i] = random.Next(20) == 0 ? special[random.Next(special.Length)] : random.Next(-3, 4) * 0.5f;
            }

            return values;
        }

        private static TheoryData<int, int> CreateShapes()
        {
            var shapes = new TheoryData<int, int>();
            for (int width = 1; width <= 17; width++)
            {
                foreach (int rows in new[] { 0, 1, 7, 8, 9, 33, 200 })
                {
                    shapes.Add(rows, width);
                }
            }

            return shapes;
        }
    }
}
