using System;
using System.Numerics.Tensors;
using Xunit;

namespace NetGen.Tests.Numerics
{
    /// <summary>
    /// GeneratedCode.IndexOfMax, which Predict and the trainer's accuracy call, against
    /// TensorPrimitives.IndexOfMax as the oracle: short rows take NetGen's own loop, so both must
    /// pick the same index for every input, NaN and signed zeros included.
    /// </summary>
    public class IndexOfMaxTests
    {
        private static readonly float[] Specials =
        {
            float.NaN, -float.NaN, 0f, -0f, float.PositiveInfinity, float.NegativeInfinity, 1f, -1f, float.Epsilon, float.MaxValue,
        };

        [Fact]
        public void IndexOfMax_RandomRows()
        {
            var random = new Random(11);
            for (int length = 0; length <= 70; length++)
            {
                for (int trial = 0; trial < 400; trial++)
                {
                    float[] row = RandomRow(random, length, trial);
                    int expected = TensorPrimitives.IndexOfMax(row);
                    int actual = GeneratedCode.IndexOfMax(row);
                    Assert.True(expected == actual, $"IndexOfMax([{string.Join(", ", row)}]) is {actual}, TensorPrimitives gives {expected}");
                }
            }
        }

        [Fact]
        public void IndexOfMax_ZerosAndNaN()
        {
            Assert.Equal(-1, GeneratedCode.IndexOfMax(ReadOnlySpan<float>.Empty));
            Assert.Equal(1, GeneratedCode.IndexOfMax(new[] { -0f, 0f }));
            Assert.Equal(0, GeneratedCode.IndexOfMax(new[] { 0f, -0f }));
            Assert.Equal(1, GeneratedCode.IndexOfMax(new[] { 1f, float.NaN, 2f, float.NaN }));
            Assert.Equal(0, GeneratedCode.IndexOfMax(new[] { 3f, 3f, 3f }));
        }

        /// <summary>
        /// Returns a row mixing uniform values, repeats of one value (ties) and special values,
        /// with fewer special values in later trials so that rows without NaN are common too.
        /// </summary>
        private static float[] RandomRow(Random random, int length, int trial)
        {
            var row = new float[length];
            float repeated = (random.NextSingle() * 2) - 1;
            for (int i = 0; i < length; i++)
            {
                int kind = random.Next(8 + (trial / 20));
                row[i] = kind switch
                {
                    0 => Specials[random.Next(Specials.Length)],
                    1 or 2 => repeated,
                    _ => (random.NextSingle() * 2) - 1,
                };
            }

            return row;
        }
    }
}
