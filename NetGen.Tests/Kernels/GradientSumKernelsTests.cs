using System;
using NetGen.Kernels;

namespace NetGen.Tests.Kernels
{
    /// <summary>
    /// Tests of the trainer's chunk-gradient sums against sums written out here, one float at a
    /// time: each product rounded to float, then added. Every vector width runs, since the kernels
    /// pick 512, 256 and 128-bit loops and a scalar tail by length.
    /// </summary>
    [Collection(SimdWidthCollection.Name)]
    public class GradientSumKernelsTests
    {
        private const float FirstWeight = 0.3f;
        private const float SecondWeight = 0.7f;

        /// <summary>Lengths that end in every kind of tail, under each width cap.</summary>
        public static readonly TheoryData<int, int> Cases = CreateCases();

        [Theory]
        [MemberData(nameof(Cases))]
        public void WeightedPair_MatchesRoundedProducts(int length, int widthCap)
        {
            float[] first = Values(length, seed: length);
            float[] second = Values(length, seed: length + 1000);
            var destination = new GuardedBuffer(length);

            bool finite = WithWidthCap(widthCap, () => GradientSumKernels.WeightedPair(first, FirstWeight, second, SecondWeight, destination.Span));

            Assert.True(finite);
            for (int i = 0; i < length; i++)
            {
                float expected = (first[i] * FirstWeight) + (second[i] * SecondWeight);
                Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(destination[i]));
            }

            destination.AssertGuardsIntact();
        }

        [Theory]
        [MemberData(nameof(Cases))]
        public void AddWeightedAndWeighted_MatchReference(int length, int widthCap)
        {
            float[] gradient = Values(length, seed: length + 2000);
            float[] start = Values(length, seed: length + 3000);
            var sum = new GuardedBuffer(start);
            var product = new GuardedBuffer(length);

            bool sumFinite = WithWidthCap(widthCap, () => GradientSumKernels.AddWeighted(gradient, SecondWeight, sum.Span));
            bool productFinite = WithWidthCap(widthCap, () => GradientSumKernels.Weighted(gradient, FirstWeight, product.Span));

            Assert.True(sumFinite);
            Assert.True(productFinite);
            for (int i = 0; i < length; i++)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(start[i] + (gradient[i] * SecondWeight)), BitConverter.SingleToInt32Bits(sum[i]));
                Assert.Equal(BitConverter.SingleToInt32Bits(gradient[i] * FirstWeight), BitConverter.SingleToInt32Bits(product[i]));
            }

            sum.AssertGuardsIntact();
            product.AssertGuardsIntact();
        }

        [Theory]
        [InlineData(512)]
        [InlineData(256)]
        [InlineData(128)]
        [InlineData(0)]
        public void Kernels_ReportNonFiniteAnywhere(int widthCap)
        {
            const int Length = 37; // two 16-float vectors, then a tail of 5 floats
            float[] bad = [float.NaN, float.PositiveInfinity, float.NegativeInfinity];
            for (int position = 0; position < Length; position++)
            {
                foreach (float value in bad)
                {
                    float[] gradient = Values(Length, seed: position);
                    gradient[position] = value;
                    float[] sum = Values(Length, seed: position + 1);

                    Assert.False(WithWidthCap(widthCap, () => GradientSumKernels.WeightedPair(Values(Length, seed: 5), FirstWeight, gradient, SecondWeight, new float[Length])));
                    Assert.False(WithWidthCap(widthCap, () => GradientSumKernels.WeightedPair(gradient, FirstWeight, Values(Length, seed: 5), SecondWeight, new float[Length])));
                    Assert.False(WithWidthCap(widthCap, () => GradientSumKernels.AddWeighted(gradient, SecondWeight, sum)));
                    Assert.False(WithWidthCap(widthCap, () => GradientSumKernels.Weighted(gradient, FirstWeight, new float[Length])));
                }
            }
        }

        [Theory]
        [InlineData(512)]
        [InlineData(0)]
        public void WeightedPair_ReportsOverflow(int widthCap)
        {
            // Both products are finite, 3e38 each, and their sum rounds to infinity.
            float[] large = new float[20];
            Array.Fill(large, 3e38f);
            var destination = new float[20];

            bool finite = WithWidthCap(widthCap, () => GradientSumKernels.WeightedPair(large, 1f, large, 1f, destination));

            Assert.False(finite);
            Assert.True(float.IsPositiveInfinity(destination[19]));
        }

        [Fact]
        public void WeightedPair_LengthMismatch_Throws()
        {
            var error = Assert.Throws<ArgumentException>(() => GradientSumKernels.WeightedPair(new float[4], 1f, new float[3], 1f, new float[4]));

            Assert.Contains("second", error.Message, StringComparison.Ordinal);
        }

        private static TheoryData<int, int> CreateCases()
        {
            var data = new TheoryData<int, int>();
            foreach (int widthCap in new[] { 512, 256, 128, 0 })
            {
                foreach (int length in new[] { 0, 1, 3, 4, 7, 8, 15, 16, 17, 31, 33, 4096, 4099 })
                {
                    data.Add(length, widthCap);
                }
            }

            return data;
        }

        /// <summary>Values spread over several binades, with both signs, so that products round.</summary>
        private static float[] Values(int length, int seed)
        {
            var random = new Random(seed);
            var values = new float[length];
            for (int i = 0; i < length; i++)
            {
                values[i] = (float)((random.NextDouble() - 0.5) * Math.Pow(2, random.Next(-20, 20)));
            }

            return values;
        }

        private static bool WithWidthCap(int widthCap, Func<bool> call)
        {
            SimdWidth.MaximumBits = widthCap;
            try
            {
                return call();
            }
            finally
            {
                SimdWidth.MaximumBits = SimdWidth.Unlimited;
            }
        }
    }
}
