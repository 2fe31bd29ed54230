using System;
using NetGen.Kernels;

namespace NetGen.Tests.Kernels
{
    public class ActivationKernelsTests
    {
        /// <summary>
        /// Allowed relative error of sigmoid against the double-precision function. TensorPrimitives
        /// documents no bound; 1e-6 is about 8 fp32 units in the last place, loose enough for a
        /// vectorised approximation and tight enough to catch a wrong formula.
        /// </summary>
        private const double SigmoidTolerance = 1e-6;

        /// <summary>
        /// Allowed absolute error of tanh. With AVX2 and FMA the kernel's rational function errs by
        /// at most 3.6e-7 relative, so at most 3.6e-7 absolute. Elsewhere TensorPrimitives.Tanh errs
        /// by about one unit of 2⁻²⁴ (6e-8) absolute for every input, 0 included.
        /// </summary>
        private const double TanhAbsoluteTolerance = 3.7e-7;

        /// <summary>
        /// Allowed error of a backward step, relative to |g| times the sum of the magnitudes of the
        /// terms in f′ (1 + y² for tanh, |y| + y² for sigmoid). Each fp32 operation rounds once,
        /// so three operations err by at most 3 · 2⁻²⁴ ≈ 1.8e-7 of that scale.
        /// </summary>
        private const double BackwardTolerance = 3e-7;

        /// <summary>Lengths 0 to 2 × (widest vector) + 1 and a few longer ones, to reach every tail.</summary>
        public static readonly TheoryData<int> Lengths = CreateLengths();

        [Theory]
        [MemberData(nameof(Lengths))]
        public void Relu_MatchesMaxWithZero(int length)
        {
            float[] input = TestValues.Uniform(length, length, scale: 4f);
            var values = new GuardedBuffer(input);

            ActivationKernels.Relu(values.Span);

            for (int k = 0; k < length; k++)
            {
                Assert.Equal(input[k] > 0 ? input[k] : 0f, values[k]);
            }

            values.AssertGuardsIntact();
        }

        [Theory]
        [MemberData(nameof(Lengths))]
        public void Tanh_MatchesDoublePrecision(int length)
        {
            float[] input = TestValues.Uniform(length, length, scale: 6f);
            var values = new GuardedBuffer(input);

            ActivationKernels.Tanh(values.Span);

            for (int k = 0; k < length; k++)
            {
                double expected = Math.Tanh(input[k]);
                TestValues.AssertClose(expected, values[k], 1, TanhAbsoluteTolerance, $"tanh({input[k]:R})");
            }

            values.AssertGuardsIntact();
        }

        [Fact]
        public void Tanh_SmallInputs_KeepRelativeAccuracy()
        {
            // The rational kernel runs where AVX2 and FMA exist; TensorPrimitives.Tanh elsewhere is
            // accurate only to about 6e-8 absolute, which this test does not expect of it.
            if (!System.Runtime.Intrinsics.X86.Fma.IsSupported)
            {
                return;
            }

            float[] input = { 1e-30f, -1e-30f, 1e-8f, -3e-6f, 1e-3f, -0.02f, 0.3f, -0f, 0f, 5e-5f, 2e-7f, -4e-4f, 1e-20f, 0.1f, -0.5f, 7e-8f, 1e-10f };
            float[] values = (float[])input.Clone();

            ActivationKernels.Tanh(values);

            for (int k = 0; k < input.Length; k++)
            {
                double expected = Math.Tanh(input[k]);
                double error = expected == 0 ? Math.Abs(values[k]) : Math.Abs(values[k] - expected) / Math.Abs(expected);
                Assert.True(error <= 5e-7, $"tanh({input[k]:R}) = {values[k]:R}, expected {expected:R}; relative error {error:E2}");
                Assert.True(float.IsNegative(values[k]) == float.IsNegative(input[k]), $"tanh({input[k]:R}) = {values[k]:R} has the wrong sign");
            }
        }

        [Theory]
        [MemberData(nameof(Lengths))]
        public void Sigmoid_MatchesDoublePrecision(int length)
        {
            float[] input = TestValues.Uniform(length, length, scale: 12f);
            var values = new GuardedBuffer(input);

            ActivationKernels.Sigmoid(values.Span);

            for (int k = 0; k < length; k++)
            {
                double expected = 1 / (1 + Math.Exp(-input[k]));
                TestValues.AssertClose(expected, values[k], expected, SigmoidTolerance, $"sigmoid({input[k]:R})");
            }

            values.AssertGuardsIntact();
        }

        [Fact]
        public void Activations_SpecialValues_MatchPyTorch()
        {
            float[] input = { float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, -1f, 1f, 100f, -100f };

            float[] relu = (float[])input.Clone();
            ActivationKernels.Relu(relu);
            Assert.True(float.IsNaN(relu[0]), "ReLU(NaN) must be NaN.");
            Assert.Equal(new[] { float.PositiveInfinity, 0f, 0f, 0f, 0f, 1f, 100f, 0f }, relu[1..]);

            float[] tanh = (float[])input.Clone();
            ActivationKernels.Tanh(tanh);
            Assert.True(float.IsNaN(tanh[0]), "tanh(NaN) must be NaN.");
            double[] tanhExpected = { 1, -1, 0, 0, Math.Tanh(-1), Math.Tanh(1), 1, -1 };
            for (int k = 0; k < tanhExpected.Length; k++)
            {
                TestValues.AssertClose(tanhExpected[k], tanh[k + 1], 1, TanhAbsoluteTolerance, $"tanh({input[k + 1]})");
            }

            float[] sigmoid = (float[])input.Clone();
            ActivationKernels.Sigmoid(sigmoid);
            Assert.True(float.IsNaN(sigmoid[0]), "sigmoid(NaN) must be NaN.");
            double[] sigmoidExpected = { 1, 0, 0.5, 0.5, 1 / (1 + Math.E), 1 / (1 + 1 / Math.E), 1 };
            for (int k = 0; k < sigmoidExpected.Length; k++)
            {
                TestValues.AssertClose(sigmoidExpected[k], sigmoid[k + 1], sigmoidExpected[k], SigmoidTolerance, $"sigmoid({input[k + 1]})");
            }

            // σ(−100) ≈ 3.7e-44 is a subnormal float, which TensorPrimitives may flush to 0.
            Assert.InRange(sigmoid[8], 0f, 1e-43f);
        }

        [Theory]
        [MemberData(nameof(Lengths))]
        public void ReluBackward_MatchesStepDerivative(int length)
        {
            float[] output = TestValues.Uniform(length, length);
            for (int k = 0; k < length; k += 3)
            {
                output[k] = Math.Max(0f, output[k]);
            }

            float[] incoming = TestValues.Uniform(length, length + 1);
            var gradient = new GuardedBuffer(incoming);

            ActivationKernels.ReluBackward(output, gradient.Span);

            for (int k = 0; k < length; k++)
            {
                Assert.Equal(output[k] > 0 ? incoming[k] : 0f, gradient[k]);
            }

            gradient.AssertGuardsIntact();
        }

        [Theory]
        [MemberData(nameof(Lengths))]
        public void TanhBackward_MatchesOneMinusSquare(int length)
        {
            float[] output = TestValues.Uniform(length, length);
            float[] incoming = TestValues.Uniform(length, length + 1, scale: 3f);
            var gradient = new GuardedBuffer(incoming);

            ActivationKernels.TanhBackward(output, gradient.Span);

            for (int k = 0; k < length; k++)
            {
                double y = output[k];
                double expected = incoming[k] * (1 - y * y);
                TestValues.AssertClose(expected, gradient[k], Math.Abs(incoming[k]) * (1 + y * y), BackwardTolerance, $"tanh′ at y = {y:R}");
            }

            gradient.AssertGuardsIntact();
        }

        [Theory]
        [MemberData(nameof(Lengths))]
        public void SigmoidBackward_MatchesYTimesOneMinusY(int length)
        {
            float[] output = TestValues.Uniform(length, length);
            for (int k = 0; k < length; k++)
            {
                output[k] = (output[k] + 1) / 2;
            }

            float[] incoming = TestValues.Uniform(length, length + 1, scale: 3f);
            var gradient = new GuardedBuffer(incoming);

            ActivationKernels.SigmoidBackward(output, gradient.Span);

            for (int k = 0; k < length; k++)
            {
                double y = output[k];
                double expected = incoming[k] * y * (1 - y);
                TestValues.AssertClose(expected, gradient[k], Math.Abs(incoming[k]) * (Math.Abs(y) + y * y), BackwardTolerance, $"σ′ at y = {y:R}");
            }

            gradient.AssertGuardsIntact();
        }

        [Fact]
        public void ReluBackward_AtZeroOutput_GivesZero()
        {
            // Lengths 1, 4 and 8 take the scalar, 128-bit and 256-bit paths on a machine with AVX2.
            foreach (int length in new[] { 1, 4, 8 })
            {
                var output = new float[length];
                float[] gradient = new float[length];
                gradient.AsSpan().Fill(2.5f);

                ActivationKernels.ReluBackward(output, gradient);

                Assert.All(gradient, value => Assert.Equal(0f, value));
            }
        }

        [Fact]
        public void ReluBackward_NaNGradient_Propagates()
        {
            foreach (int length in new[] { 3, 4, 8, 11 })
            {
                var output = new float[length];
                output.AsSpan().Fill(-1f);
                output[0] = 1f;
                var gradient = new float[length];
                gradient.AsSpan().Fill(float.NaN);

                ActivationKernels.ReluBackward(output, gradient);

                Assert.All(gradient, value => Assert.True(float.IsNaN(value), $"Expected NaN for length {length}, got {value}."));
            }
        }

        [Fact]
        public void TanhAndSigmoidBackward_NaN_Propagates()
        {
            float[] output = { 0.5f, float.NaN, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f };
            float[] tanhGradient = { float.NaN, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f };
            float[] sigmoidGradient = (float[])tanhGradient.Clone();

            ActivationKernels.TanhBackward(output, tanhGradient);
            ActivationKernels.SigmoidBackward(output, sigmoidGradient);

            Assert.True(float.IsNaN(tanhGradient[0]), "tanh′ must keep a NaN gradient.");
            Assert.True(float.IsNaN(tanhGradient[1]), "tanh′ at a NaN output must be NaN.");
            Assert.True(float.IsNaN(sigmoidGradient[0]), "σ′ must keep a NaN gradient.");
            Assert.True(float.IsNaN(sigmoidGradient[1]), "σ′ at a NaN output must be NaN.");
            Assert.Equal(0.75f, tanhGradient[2]);
            Assert.Equal(0.25f, sigmoidGradient[2]);
        }

        [Fact]
        public void Backward_WrongGradientLength_Throws()
        {
            var output = new float[5];
            var gradient = new float[4];

            foreach (Action call in new Action[]
            {
                () => ActivationKernels.ReluBackward(output, gradient),
                () => ActivationKernels.TanhBackward(output, gradient),
                () => ActivationKernels.SigmoidBackward(output, gradient),
            })
            {
                ArgumentException error = Assert.Throws<ArgumentException>(call);
                Assert.Equal("gradient", error.ParamName);
                Assert.Contains("exactly 5 elements", error.Message, StringComparison.Ordinal);
                Assert.Contains("it has 4", error.Message, StringComparison.Ordinal);
            }
        }

        [Fact]
        public void AllKernels_AllocateNothing()
        {
            float[] values = TestValues.Uniform(37, 1);
            float[] gradient = TestValues.Uniform(37, 2);

            void RunAll()
            {
                ActivationKernels.Relu(values);
                ActivationKernels.Tanh(values);
                ActivationKernels.Sigmoid(values);
                ActivationKernels.ReluBackward(values, gradient);
                ActivationKernels.TanhBackward(values, gradient);
                ActivationKernels.SigmoidBackward(values, gradient);
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

            lengths.Add(31);
            lengths.Add(64);
            lengths.Add(1001);

            // Two whole cache blocks and part of a third (see CacheBlocks).
            lengths.Add((2 * CacheBlocks.Length) + 37);
            return lengths;
        }
    }
}
