using System;
using NetGen.Kernels;

namespace NetGen.Tests.Kernels
{
    public class DropoutKernelsTests
    {
        /// <summary>Draws for the statistical tests; the bounds are 4 standard deviations, which a correct generator exceeds with probability about 6e-5.</summary>
        private const int Draws = 1_000_000;

        [Fact]
        public void DropoutRandom_MatchesSplitMix64Reference()
        {
            // SplitMix64 written out from Steele, Lea and Flood (2014), separately from the kernel.
            ulong state = 1234567;
            var random = new DropoutRandom(1234567);

            for (int k = 0; k < 10; k++)
            {
                state += 0x9E3779B97F4A7C15;
                ulong z = state;
                z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
                z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
                z ^= z >> 31;
                Assert.Equal(z, random.NextUInt64());
            }

            Assert.Equal(state, random.State);
        }

        [Fact]
        public void DropoutRandom_Seed1234567_GivesKnownFirstValues()
        {
            // The first two SplitMix64 outputs for seed 1234567, computed with a separate Python implementation.
            var random = new DropoutRandom(1234567);

            Assert.Equal(6457827717110365317UL, random.NextUInt64());
            Assert.Equal(3203168211198807973UL, random.NextUInt64());
        }

        [Theory]
        [InlineData(0.1f)]
        [InlineData(0.3f)]
        [InlineData(0.5f)]
        [InlineData(0.9f)]
        public void Forward_DropFraction_WithinFourSigma(float probability)
        {
            var values = new float[Draws];
            values.AsSpan().Fill(1f);
            var mask = new float[Draws];
            var random = new DropoutRandom(42);

            DropoutKernels.Forward(values, mask, probability, ref random);

            int zeros = 0;
            double outputSum = 0;
            float keepScale = (float)(1.0 / (1.0 - probability));
            for (int k = 0; k < Draws; k++)
            {
                Assert.True(mask[k] == 0f || mask[k] == keepScale, $"mask[{k}] must be 0 or {keepScale:R}, got {mask[k]:R}.");
                Assert.Equal(mask[k], values[k]);
                zeros += mask[k] == 0f ? 1 : 0;
                outputSum += values[k];
            }

            double expectedZeros = (double)Draws * probability;
            double zerosSigma = Math.Sqrt(Draws * probability * (1 - probability));
            Assert.InRange(zeros, expectedZeros - 4 * zerosSigma, expectedZeros + 4 * zerosSigma);

            // Each output is 1/(1 − p) with probability 1 − p, else 0: mean 1, variance p/(1 − p).
            double meanSigma = Math.Sqrt(probability / (1 - probability) / Draws);
            Assert.InRange(outputSum / Draws, 1 - 4 * meanSigma, 1 + 4 * meanSigma);
        }

        [Fact]
        public void Forward_MeanOfOutput_MatchesMeanOfInput()
        {
            float[] input = TestValues.Uniform(Draws, 5, scale: 3f);
            for (int k = 0; k < Draws; k++)
            {
                input[k] += 1f;
            }

            float[] values = (float[])input.Clone();
            var mask = new float[Draws];
            var random = new DropoutRandom(7);
            const float Probability = 0.4f;

            DropoutKernels.Forward(values, mask, Probability, ref random);

            double inputSum = 0, outputSum = 0, inputSquares = 0;
            for (int k = 0; k < Draws; k++)
            {
                inputSum += input[k];
                outputSum += values[k];
                inputSquares += (double)input[k] * input[k];
            }

            // Var(x·m) ≤ E[x²]·p/(1 − p) for the mask m, so its mean's σ is at most √(E[x²]·p/(1 − p)/n).
            double sigma = Math.Sqrt(inputSquares / Draws * Probability / (1 - Probability) / Draws);
            Assert.InRange(outputSum / Draws, inputSum / Draws - 4 * sigma, inputSum / Draws + 4 * sigma);
        }

        [Fact]
        public void Forward_SameSeed_GivesSameMask()
        {
            foreach (int length in new[] { 0, 1, 2, 7, 1000 })
            {
                var first = new float[length];
                var second = new float[length];
                var firstRandom = new DropoutRandom(99);
                var secondRandom = new DropoutRandom(99);

                DropoutKernels.Forward(new float[length], first, 0.5f, ref firstRandom);
                DropoutKernels.Forward(new float[length], second, 0.5f, ref secondRandom);

                Assert.Equal(first, second);
                Assert.Equal(firstRandom.State, secondRandom.State);
            }
        }

        [Fact]
        public void Forward_MaskFollowsDocumentedBitLayout()
        {
            // Each 64-bit draw gives bits 63..40 to the first element and bits 31..8 to the second;
            // an element is dropped when its 24-bit number is below ⌈p·2²⁴⌉.
            const float Probability = 0.3f;
            uint dropBelow = (uint)Math.Ceiling(Probability * 16777216.0);
            var reference = new DropoutRandom(2024);
            var random = new DropoutRandom(2024);
            var mask = new float[9];

            DropoutKernels.Forward(new float[9], mask, Probability, ref random);

            float keepScale = (float)(1.0 / (1.0 - Probability));
            for (int k = 0; k < 9; k += 2)
            {
                ulong bits = reference.NextUInt64();
                Assert.Equal((bits >> 40) < dropBelow ? 0f : keepScale, mask[k]);
                if (k + 1 < 9)
                {
                    Assert.Equal(((bits >> 8) & 0xFFFFFF) < dropBelow ? 0f : keepScale, mask[k + 1]);
                }
            }

            Assert.Equal(reference.State, random.State);
        }

        [Fact]
        public void Forward_ZeroProbability_KeepsValuesAndDrawsNothing()
        {
            float[] values = TestValues.Uniform(13, 1);
            float[] original = (float[])values.Clone();
            var mask = new float[13];
            var random = new DropoutRandom(5);

            DropoutKernels.Forward(values, mask, 0f, ref random);

            Assert.Equal(original, values);
            Assert.All(mask, value => Assert.Equal(1f, value));
            Assert.Equal(5UL, random.State);
        }

        [Fact]
        public void Backward_MultipliesByMask()
        {
            float[] mask = { 0f, 2f, 2f, 0f, 2f };
            float[] gradient = { 1f, 2f, 3f, 4f, 5f };

            DropoutKernels.Backward(mask, gradient);

            Assert.Equal(new[] { 0f, 4f, 6f, 0f, 10f }, gradient);
        }

        [Fact]
        public void Backward_PastOneCacheBlock_MultipliesEveryGradient()
        {
            // Two whole cache blocks and part of a third, so every block and the short last one run.
            int length = (2 * CacheBlocks.Length) + 37;
            var mask = new float[length];
            var gradient = new float[length];
            for (int k = 0; k < length; k++)
            {
                mask[k] = k % 3 == 0 ? 0f : 2f;
                gradient[k] = k + 1;
            }

            DropoutKernels.Backward(mask, gradient);

            for (int k = 0; k < length; k++)
            {
                Assert.Equal(k % 3 == 0 ? 0f : 2f * (k + 1), gradient[k]);
            }
        }

        [Fact]
        public void InvalidArguments_Throw()
        {
            var random = new DropoutRandom(1);
            foreach (float probability in new[] { -0.1f, 1f, float.NaN })
            {
                ArgumentOutOfRangeException error = Assert.Throws<ArgumentOutOfRangeException>(() =>
                {
                    var local = new DropoutRandom(1);
                    DropoutKernels.Forward(new float[3], new float[3], probability, ref local);
                });
                Assert.Equal("probability", error.ParamName);
                Assert.Contains("[0, 1)", error.Message, StringComparison.Ordinal);
            }

            ArgumentException maskError = Assert.Throws<ArgumentException>(() =>
            {
                var local = new DropoutRandom(1);
                DropoutKernels.Forward(new float[3], new float[2], 0.5f, ref local);
            });
            Assert.Equal("mask", maskError.ParamName);
            Assert.Equal("gradient", Assert.Throws<ArgumentException>(() => DropoutKernels.Backward(new float[3], new float[2])).ParamName);
            Assert.Equal(1UL, random.State);
        }

        [Fact]
        public void ForwardAndBackward_AllocateNothing()
        {
            float[] values = TestValues.Uniform(1000, 1);
            var mask = new float[1000];
            var random = new DropoutRandom(3);

            DropoutKernels.Forward(values, mask, 0.2f, ref random);
            DropoutKernels.Backward(mask, values);
            Assert.Equal(0, SteadyAllocation.MedianBytes(() =>
            {
                DropoutKernels.Forward(values, mask, 0.2f, ref random);
                DropoutKernels.Backward(mask, values);
            }));
        }
    }
}
