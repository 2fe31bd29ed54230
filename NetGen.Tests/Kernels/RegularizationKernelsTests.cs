using System;
using NetGen.Kernels;

namespace NetGen.Tests.Kernels
{
    public class RegularizationKernelsTests
    {
        /// <summary>
        /// Allowed relative error of a penalty: fp32 sums over pieces of 4096 weights err by at most
        /// 4096 · 2⁻²⁴ ≈ 2.4e-4 of the sum in the worst case, and far less with vector partial sums;
        /// 1e-5 is loose enough for those and tight enough to catch a missing ½ or λ.
        /// </summary>
        private const double PenaltyTolerance = 1e-5;

        /// <summary>Allowed relative error of a gradient element: one fused or separate multiply-add in fp32.</summary>
        private const double GradientTolerance = 1.2e-7;

        private const float Lambda = 0.03f;

        public static readonly TheoryData<int> Lengths = CreateLengths();

        [Theory]
        [MemberData(nameof(Lengths))]
        public void L2Penalty_MatchesReference(int length)
        {
            float[] weights = TestValues.Uniform(length, length, scale: 2f);
            float[] initial = TestValues.Uniform(length, length + 1);
            var gradient = new GuardedBuffer(initial);

            float penalty = RegularizationKernels.L2Penalty(weights, gradient.Span, Lambda);

            double expected = 0;
            for (int k = 0; k < length; k++)
            {
                expected += 0.5 * Lambda * weights[k] * weights[k];
                double expectedGradient = initial[k] + (double)Lambda * weights[k];
                ReferenceMath.AssertNear(expectedGradient, gradient[k], 0, GradientTolerance * (Math.Abs(initial[k]) + Math.Abs(Lambda * weights[k])), $"gradient[{k}] of {length}");
            }

            ReferenceMath.AssertNear(expected, penalty, PenaltyTolerance, 0, $"L2 penalty of {length}");
            gradient.AssertGuardsIntact();
        }

        [Theory]
        [MemberData(nameof(Lengths))]
        public void L1Penalty_MatchesReference(int length)
        {
            float[] weights = TestValues.Uniform(length, length, scale: 2f);
            for (int k = 0; k < length; k += 5)
            {
                weights[k] = 0f;
            }

            float[] initial = TestValues.Uniform(length, length + 1);
            var gradient = new GuardedBuffer(initial);

            float penalty = RegularizationKernels.L1Penalty(weights, gradient.Span, Lambda);

            double expected = 0;
            for (int k = 0; k < length; k++)
            {
                expected += Lambda * Math.Abs(weights[k]);
                double expectedGradient = initial[k] + Lambda * Math.Sign(weights[k]);
                ReferenceMath.AssertNear(expectedGradient, gradient[k], 0, GradientTolerance * (Math.Abs(initial[k]) + Lambda), $"gradient[{k}] of {length}");
            }

            ReferenceMath.AssertNear(expected, penalty, PenaltyTolerance, 0, $"L1 penalty of {length}");
            gradient.AssertGuardsIntact();
        }

        [Fact]
        public void L1Penalty_ZeroWeight_AddsNothing()
        {
            float[] weights = { 0f, -0f, 2f, -3f };
            float[] gradient = { 1f, 1f, 1f, 1f };

            float penalty = RegularizationKernels.L1Penalty(weights, gradient, 0.5f);

            Assert.Equal(2.5f, penalty);
            Assert.Equal(new[] { 1f, 1f, 1.5f, 0.5f }, gradient);
        }

        [Fact]
        public void Penalties_LongVector_SumAcrossPieces()
        {
            // 10 000 weights of 0.5 span three 4096-weight pieces: ½λ·2500 and λ·5000.
            var weights = new float[10_000];
            weights.AsSpan().Fill(0.5f);
            var gradient = new float[10_000];

            Assert.Equal(0.5 * Lambda * 2500, RegularizationKernels.L2Penalty(weights, gradient, Lambda), 1e-3);
            Assert.Equal(Lambda * 5000.0, RegularizationKernels.L1Penalty(weights, gradient, Lambda), 1e-3);
        }

        [Fact]
        public void Penalties_InvalidArguments_Throw()
        {
            var four = new float[4];
            var three = new float[3];

            foreach (float lambda in new[] { -0.1f, float.NaN, float.PositiveInfinity })
            {
                Assert.Equal("lambda", Assert.Throws<ArgumentOutOfRangeException>(() => RegularizationKernels.L2Penalty(four, four, lambda)).ParamName);
                Assert.Equal("lambda", Assert.Throws<ArgumentOutOfRangeException>(() => RegularizationKernels.L1Penalty(four, four, lambda)).ParamName);
            }

            ArgumentException error = Assert.Throws<ArgumentException>(() => RegularizationKernels.L2Penalty(four, three, Lambda));
            Assert.Equal("gradient", error.ParamName);
            Assert.Contains("exactly 4 elements", error.Message, StringComparison.Ordinal);
            Assert.Equal("gradient", Assert.Throws<ArgumentException>(() => RegularizationKernels.L1Penalty(four, three, Lambda)).ParamName);
        }

        [Fact]
        public void Penalties_AllocateNothing()
        {
            float[] weights = TestValues.Uniform(5000, 1);
            float[] gradient = new float[5000];

            void RunAll()
            {
                RegularizationKernels.L2Penalty(weights, gradient, Lambda);
                RegularizationKernels.L1Penalty(weights, gradient, Lambda);
            }

            RunAll();
            Assert.Equal(0, SteadyAllocation.MedianBytes(() =>
            {
                RunAll();
            }));
        }

        private static TheoryData<int> CreateLengths()
        {
            var lengths = new TheoryData<int>();
            for (int length = 0; length <= 17; length++)
            {
                lengths.Add(length);
            }

            lengths.Add(1001);
            lengths.Add(9000);

            // Two whole cache blocks and part of a third (see CacheBlocks).
            lengths.Add((2 * CacheBlocks.Length) + 37);
            return lengths;
        }
    }
}
