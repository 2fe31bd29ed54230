using System;
using System.Collections.Generic;
using NetGen.Kernels;

namespace NetGen.Tests.Kernels
{
    /// <summary>
    /// Tests of Leaky ReLU, ELU, LeCun tanh, softsign, softplus, SiLU and both GELUs against
    /// double-precision references, one table row per activation.
    /// </summary>
    public class ActivationFamilyTests
    {
        /// <summary>Leaky ReLU slope for the tests; not PyTorch's 0.01, so that a kernel ignoring the argument fails.</summary>
        private const float Slope = 0.1f;

        /// <summary>ELU α for the tests; not 1, so that a kernel ignoring the argument fails.</summary>
        private const float Alpha = 1.5f;

        /// <summary>
        /// Allowed relative error of a forward result computed in double and rounded once, or in
        /// one or two fp32 operations: two rounding units of 2⁻²⁴ ≈ 6e-8 is 1.2e-7.
        /// </summary>
        private const double RoundedTolerance = 1.2e-7;

        /// <summary>
        /// Allowed relative error of SiLU, whose sigmoid comes from TensorPrimitives; the existing
        /// sigmoid test bounds that at 1e-6, and the product adds one rounding.
        /// </summary>
        private const double SiluTolerance = 1.1e-6;

        /// <summary>
        /// Allowed absolute error of LeCun tanh: TensorPrimitives.Tanh errs by up to about
        /// 6e-8 absolute, scaled by 1.7159, plus the roundings of 2x/3 and of the product.
        /// </summary>
        private const double LeCunAbsoluteTolerance = 3e-7;

        /// <summary>
        /// Allowed error of a backward step, relative to |g| times the sum of the magnitudes of
        /// the terms in f′. Up to four fp32 operations each round once, 4 · 2⁻²⁴ ≈ 2.4e-7.
        /// </summary>
        private const double BackwardTolerance = 3e-7;

        /// <summary>
        /// Allowed relative difference between a reference derivative and a central difference of
        /// the reference function with h = 1e-5·max(1, |x|): the truncation error h²·f‴/6 is about
        /// 1e-11, and cancellation in double adds about 1e-16/h = 1e-11.
        /// </summary>
        private const double FiniteDifferenceTolerance = 1e-7;

        /// <summary>
        /// Absolute error allowed where results are subnormal or below 1e-30, which TensorPrimitives
        /// may flush to zero; such values are zero at the scale of any activation.
        /// </summary>
        private const double TinyAbsolute = 1e-30;

        /// <summary>Inputs far outside the usual range: beyond exp's float overflow at 88.7, and near float's limits.</summary>
        private static readonly float[] LargeInputs = { 1e4f, -1e4f, 88f, -88f, 89f, -89f, 1e30f, -1e30f };

        private static readonly Dictionary<string, ActivationCase> Cases = CreateCases();

        /// <summary>Every activation with lengths 0 to 17 and a few longer ones, to reach every vector tail.</summary>
        public static readonly TheoryData<string, int> CasesAndLengths = CreateCasesAndLengths();

        public static readonly TheoryData<string> CaseNames = CreateCaseNames();

        private delegate void InPlace(Span<float> values);

        private delegate void OutOfPlace(ReadOnlySpan<float> input, Span<float> output);

        private delegate void Backward(ReadOnlySpan<float> saved, Span<float> gradient);

        [Theory]
        [MemberData(nameof(CasesAndLengths))]
        public void Forward_InPlace_MatchesReference(string name, int length)
        {
            ActivationCase activation = Cases[name];
            float[] input = TestValues.Uniform(length, length, scale: activation.InputScale);
            var values = new GuardedBuffer(input);

            activation.InPlace(values.Span);

            for (int k = 0; k < length; k++)
            {
                activation.AssertForward(input[k], values[k], $"{name}({input[k]:R}) at {k} of {length}");
            }

            values.AssertGuardsIntact();
        }

        [Theory]
        [MemberData(nameof(CasesAndLengths))]
        public void Forward_OutOfPlace_MatchesReferenceAndKeepsInput(string name, int length)
        {
            ActivationCase activation = Cases[name];
            float[] input = TestValues.Uniform(length, length + 7, scale: activation.InputScale);
            float[] original = (float[])input.Clone();
            var output = new GuardedBuffer(length);

            activation.OutOfPlace(input, output.Span);

            Assert.Equal(original, input);
            for (int k = 0; k < length; k++)
            {
                activation.AssertForward(input[k], output[k], $"{name}({input[k]:R}) at {k} of {length}");
            }

            output.AssertGuardsIntact();
        }

        [Theory]
        [MemberData(nameof(CasesAndLengths))]
        public void Backward_MatchesReferenceDerivative(string name, int length)
        {
            ActivationCase activation = Cases[name];
            float[] input = TestValues.Uniform(length, length + 3, scale: activation.InputScale);
            float[] saved = activation.SavedValues(input);
            float[] incoming = TestValues.Uniform(length, length + 4, scale: 3f);
            var gradient = new GuardedBuffer(incoming);

            activation.Backward(saved, gradient.Span);

            for (int k = 0; k < length; k++)
            {
                double derivative = activation.ReferenceBackwardFactor(saved[k]);
                double expected = incoming[k] * derivative;
                double bound = Math.Abs(incoming[k]) * (BackwardTolerance * activation.BackwardScaleAt(saved[k]) + activation.ReferenceBackwardError(saved[k]));
                ReferenceMath.AssertNear(expected, gradient[k], 0, bound + TinyAbsolute, $"{name}′ at saved {saved[k]:R}, k = {k} of {length}");
            }

            gradient.AssertGuardsIntact();
        }

        [Theory]
        [MemberData(nameof(CaseNames))]
        public void ReferenceDerivative_MatchesFiniteDifferences(string name)
        {
            ActivationCase activation = Cases[name];

            // Points away from 0, where Leaky ReLU and ELU have a kink.
            for (double x = -6.05; x <= 6.05; x += 0.1)
            {
                double numeric = ReferenceMath.CentralDifference(activation.Function, x);
                double analytic = activation.Derivative(x);
                ReferenceMath.AssertNear(numeric, analytic, FiniteDifferenceTolerance, 1e-10, $"{name}′({x:R})");

                // The output-based form the kernel uses must agree with the input-based one.
                if (activation.DerivativeFromOutput is { } fromOutput)
                {
                    ReferenceMath.AssertNear(analytic, fromOutput(activation.Function(x)), 1e-9, 1e-12, $"{name}′ from the output at x = {x:R}");
                }
            }
        }

        [Theory]
        [MemberData(nameof(CaseNames))]
        public void LargeInputs_StayFiniteAndMatchReference(string name)
        {
            ActivationCase activation = Cases[name];
            float[] values = (float[])LargeInputs.Clone();

            activation.InPlace(values);

            for (int k = 0; k < values.Length; k++)
            {
                Assert.True(float.IsFinite(values[k]), $"{name}({LargeInputs[k]:R}) must be finite, got {values[k]:R}.");
                activation.AssertForward(LargeInputs[k], values[k], $"{name}({LargeInputs[k]:R})");
            }

            float[] saved = activation.SavedValues(LargeInputs);
            float[] gradient = new float[saved.Length];
            gradient.AsSpan().Fill(1f);

            activation.Backward(saved, gradient);

            for (int k = 0; k < gradient.Length; k++)
            {
                Assert.True(float.IsFinite(gradient[k]), $"{name}′ at x = {LargeInputs[k]:R} must be finite, got {gradient[k]:R}.");
                double expected = activation.ReferenceBackwardFactor(saved[k]);
                double bound = BackwardTolerance * activation.BackwardScaleAt(saved[k]) + activation.ReferenceBackwardError(saved[k]);
                ReferenceMath.AssertNear(expected, gradient[k], 0, bound + TinyAbsolute, $"{name}′ at x = {LargeInputs[k]:R}");
            }
        }

        [Theory]
        [MemberData(nameof(CaseNames))]
        public void NaN_PropagatesThroughForwardAndGradient(string name)
        {
            ActivationCase activation = Cases[name];

            // Lengths 1, 5, 9 and 17 put NaN in the scalar loop, in full vectors and in overlapping tails.
            foreach (int length in new[] { 1, 5, 9, 17 })
            {
                float[] input = TestValues.Uniform(length, length);
                int[] nanIndices = { 0, length / 2, length - 1 };
                foreach (int index in nanIndices)
                {
                    input[index] = float.NaN;
                }

                float[] inPlace = (float[])input.Clone();
                float[] outOfPlace = new float[length];
                activation.InPlace(inPlace);
                activation.OutOfPlace(input, outOfPlace);

                float[] saved = activation.SavedValues(TestValues.Uniform(length, length + 1));
                float[] gradient = new float[length];
                gradient.AsSpan().Fill(float.NaN);
                activation.Backward(saved, gradient);

                for (int k = 0; k < length; k++)
                {
                    bool isNaNInput = Array.IndexOf(nanIndices, k) >= 0;
                    Assert.True(float.IsNaN(inPlace[k]) == isNaNInput, $"{name} in place at {k} of {length}: got {inPlace[k]:R}.");
                    Assert.True(float.IsNaN(outOfPlace[k]) == isNaNInput, $"{name} out of place at {k} of {length}: got {outOfPlace[k]:R}.");
                    Assert.True(float.IsNaN(gradient[k]), $"{name}′ must keep a NaN gradient at {k} of {length}, got {gradient[k]:R}.");
                }
            }
        }

        [Theory]
        [MemberData(nameof(CaseNames))]
        public void WrongLengthsAndPartialOverlap_Throw(string name)
        {
            ActivationCase activation = Cases[name];
            var five = new float[5];
            var four = new float[4];
            var ten = new float[10];

            ArgumentException outputError = Assert.Throws<ArgumentException>(() => activation.OutOfPlace(five, four));
            Assert.Equal("output", outputError.ParamName);
            Assert.Contains("exactly 5 elements", outputError.Message, StringComparison.Ordinal);
            Assert.Contains("it has 4", outputError.Message, StringComparison.Ordinal);

            ArgumentException gradientError = Assert.Throws<ArgumentException>(() => activation.Backward(five, four));
            Assert.Equal("gradient", gradientError.ParamName);
            Assert.Contains("exactly 5 elements", gradientError.Message, StringComparison.Ordinal);

            ArgumentException overlapError = Assert.Throws<ArgumentException>(() => activation.OutOfPlace(ten.AsSpan(0, 6), ten.AsSpan(2, 6)));
            Assert.Equal("output", overlapError.ParamName);
            Assert.Contains("overlaps", overlapError.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Parameters_InvalidValues_Throw()
        {
            var values = new float[3];

            AssertParameterError("negativeSlope", () => ActivationKernels.LeakyRelu(values, float.NaN));
            AssertParameterError("negativeSlope", () => ActivationKernels.LeakyReluBackward(values, values, -0.1f));
            AssertParameterError("negativeSlope", () => ActivationKernels.LeakyReluBackward(values, values, float.PositiveInfinity));
            AssertParameterError("alpha", () => ActivationKernels.Elu(values, values, float.PositiveInfinity));
            AssertParameterError("alpha", () => ActivationKernels.EluBackward(values, values, -1f));
        }

        [Fact]
        public void LeakyRelu_NegativeSlopeForward_MatchesPyTorch()
        {
            // PyTorch accepts any slope in the forward pass; only the output-based backward needs slope ≥ 0.
            float[] values = { -2f, 3f, 0f, -0.5f, 1f, -1f, 2f, -4f, 5f };

            ActivationKernels.LeakyRelu(values, -0.5f);

            Assert.Equal(new[] { 1f, 3f, -0f, 0.25f, 1f, 0.5f, 2f, 2f, 5f }, values);
        }

        [Fact]
        public void LeakyReluBackward_AtZeroOutput_UsesSlope()
        {
            // PyTorch's derivative at x = 0 is the negative slope.
            foreach (int length in new[] { 1, 4, 8 })
            {
                var output = new float[length];
                var gradient = new float[length];
                gradient.AsSpan().Fill(2f);

                ActivationKernels.LeakyReluBackward(output, gradient, Slope);

                Assert.All(gradient, value => Assert.Equal(2f * Slope, value));
            }
        }

        [Fact]
        public void AllKernels_AllocateNothing()
        {
            float[] input = TestValues.Uniform(300, 1, scale: 4f);
            float[] values = new float[300];
            float[] gradient = TestValues.Uniform(300, 2);

            void RunAll()
            {
                foreach (ActivationCase activation in Cases.Values)
                {
                    input.CopyTo(values, 0);
                    activation.InPlace(values);
                    activation.OutOfPlace(input, values);
                    activation.Backward(values, gradient);
                }

                ActivationKernels.SoftmaxRows(values, 20, 15);
                ActivationKernels.SoftmaxRowsBackward(values, gradient, 20, 15);
            }

            RunAll();
            Assert.Equal(0, SteadyAllocation.MedianBytes(() =>
            {
                RunAll();
            }));
        }

        private static void AssertParameterError(string parameter, Action call)
        {
            ArgumentOutOfRangeException error = Assert.Throws<ArgumentOutOfRangeException>(call);
            Assert.Equal(parameter, error.ParamName);
            Assert.Contains("but it is", error.Message, StringComparison.Ordinal);
        }

        private static Dictionary<string, ActivationCase> CreateCases()
        {
            const double LeCunAmplitude = 1.7159;
            const double GeluScale = 0.7978845608028654; // √(2/π)
            const double GeluCubic = 0.044715;

            static double GeluTanhInner(double x) => GeluScale * (x + GeluCubic * x * x * x);

            var cases = new ActivationCase[]
            {
                new("LeakyRelu",
                    values => ActivationKernels.LeakyRelu(values, Slope),
                    (input, output) => ActivationKernels.LeakyRelu(input, output, Slope),
                    (output, gradient) => ActivationKernels.LeakyReluBackward(output, gradient, Slope),
                    x => x > 0 ? x : Slope * x,
                    x => x > 0 ? 1 : Slope,
                    y => y > 0 ? 1 : Slope)
                {
                    InputScale = 4f,
                    BackwardScale = y => y > 0 ? 1 : Slope,
                },
                new("Elu",
                    values => ActivationKernels.Elu(values, Alpha),
                    (input, output) => ActivationKernels.Elu(input, output, Alpha),
                    (output, gradient) => ActivationKernels.EluBackward(output, gradient, Alpha),
                    x => x > 0 ? x : Alpha * ReferenceMath.ExpM1(x),
                    x => x > 0 ? 1 : Alpha * Math.Exp(x),
                    y => y > 0 ? 1 : y + Alpha)
                {
                    InputScale = 4f,
                    BackwardScale = y => 1 + Math.Abs(y) + Alpha,
                },
                new("LeCunTanh",
                    ActivationKernels.LeCunTanh,
                    ActivationKernels.LeCunTanh,
                    ActivationKernels.LeCunTanhBackward,
                    x => LeCunAmplitude * Math.Tanh(2 * x / 3),
                    x => LeCunAmplitude * 2 / 3 * (1 - Math.Pow(Math.Tanh(2 * x / 3), 2)),
                    y => 2.0 / 3 * LeCunAmplitude * (1 - Math.Pow(y / LeCunAmplitude, 2)))
                {
                    InputScale = 5f,
                    ForwardAbsolute = LeCunAbsoluteTolerance,
                    ForwardRelative = 2 * RoundedTolerance,
                    BackwardScale = y => 2.0 / 3 * LeCunAmplitude + 2.0 / (3 * LeCunAmplitude) * y * y,
                },
                new("Softsign",
                    ActivationKernels.Softsign,
                    ActivationKernels.Softsign,
                    ActivationKernels.SoftsignBackward,
                    x => x / (1 + Math.Abs(x)),
                    x => 1 / Math.Pow(1 + Math.Abs(x), 2),
                    y => Math.Pow(1 - Math.Abs(y), 2))
                {
                    InputScale = 8f,
                    ForwardRelative = 2 * RoundedTolerance,
                    BackwardScale = y => Math.Pow(1 - Math.Abs(y), 2),
                },
                new("Softplus",
                    ActivationKernels.Softplus,
                    ActivationKernels.Softplus,
                    ActivationKernels.SoftplusBackward,
                    x => x > 20 ? x : ReferenceMath.LogP1(Math.Exp(x)),
                    ReferenceMath.Sigmoid,
                    y => -ReferenceMath.ExpM1(-y))
                {
                    InputScale = 25f,
                    BackwardScale = y => -ReferenceMath.ExpM1(-y),
                },
                new("Silu",
                    ActivationKernels.Silu,
                    ActivationKernels.Silu,
                    ActivationKernels.SiluBackward,
                    x => x * ReferenceMath.Sigmoid(x),
                    x => ReferenceMath.Sigmoid(x) * (1 + x * (1 - ReferenceMath.Sigmoid(x))),
                    null)
                {
                    InputScale = 10f,
                    ForwardRelative = SiluTolerance,
                },
                new("GeluErf",
                    ActivationKernels.GeluErf,
                    ActivationKernels.GeluErf,
                    ActivationKernels.GeluErfBackward,
                    x => x * ReferenceMath.NormalCdf(x),
                    x => ReferenceMath.NormalCdf(x) + x * ReferenceMath.NormalDensity(x),
                    null)
                {
                    InputScale = 9f,
                },
                new("GeluTanh",
                    ActivationKernels.GeluTanh,
                    ActivationKernels.GeluTanh,
                    ActivationKernels.GeluTanhBackward,
                    x => 0.5 * x * (1 + Math.Tanh(GeluTanhInner(x))),
                    x => 0.5 * (1 + Math.Tanh(GeluTanhInner(x)))
                        + 0.5 * x * (1 - Math.Pow(Math.Tanh(GeluTanhInner(x)), 2)) * GeluScale * (1 + 3 * GeluCubic * x * x),
                    null)
                {
                    InputScale = 6f,

                    // The reference's 1 + tanh(u) and 1 − tanh²(u) cancel for negative x: each errs by
                    // about 1e-16 in double, times the factor in front of it.
                    ForwardAbsoluteFromInput = x => 1e-15 * Math.Abs(x),
                    BackwardAbsoluteFromInput = x => 1e-15 * (1 + Math.Abs(x) * GeluScale * (1 + 3 * GeluCubic * x * x)),
                },
            };

            var byName = new Dictionary<string, ActivationCase>();
            foreach (ActivationCase activation in cases)
            {
                byName.Add(activation.Name, activation);
            }

            return byName;
        }

        private static TheoryData<string, int> CreateCasesAndLengths()
        {
            var data = new TheoryData<string, int>();
            foreach (string name in Cases.Keys)
            {
                for (int length = 0; length <= 17; length++)
                {
                    data.Add(name, length);
                }

                data.Add(name, 31);
                data.Add(name, 300);
                data.Add(name, 1001);
                data.Add(name, (2 * CacheBlocks.Length) + 37);
            }

            return data;
        }

        private static TheoryData<string> CreateCaseNames()
        {
            var data = new TheoryData<string>();
            foreach (string name in Cases.Keys)
            {
                data.Add(name);
            }

            return data;
        }

        /// <summary>One activation: its kernels, its double-precision reference and its tolerances.</summary>
        private sealed class ActivationCase(
            string name,
            InPlace inPlace,
            OutOfPlace outOfPlace,
            Backward backward,
            Func<double, double> function,
            Func<double, double> derivative,
            Func<double, double>? derivativeFromOutput)
        {
            public string Name { get; } = name;

            public InPlace InPlace { get; } = inPlace;

            public OutOfPlace OutOfPlace { get; } = outOfPlace;

            /// <summary>The backward kernel; it takes the output when <see cref="DerivativeFromOutput"/> is set, else the input.</summary>
            public Backward Backward { get; } = backward;

            public Func<double, double> Function { get; } = function;

            public Func<double, double> Derivative { get; } = derivative;

            public Func<double, double>? DerivativeFromOutput { get; } = derivativeFromOutput;

            public float InputScale { get; init; } = 1f;

            public double ForwardRelative { get; init; } = RoundedTolerance;

            public double ForwardAbsolute { get; init; }

            public Func<double, double>? ForwardAbsoluteFromInput { get; init; }

            /// <summary>Absolute error of the reference derivative itself, where it cancels.</summary>
            public Func<double, double>? BackwardAbsoluteFromInput { get; init; }

            /// <summary>Sum of the magnitudes of the terms of f′ at a saved value; the input-based kernels compute f′ in double, so |f′| is enough there.</summary>
            public Func<double, double>? BackwardScale { get; init; }

            /// <summary>Returns what the backward kernel takes: y = f(x) rounded to float, or x itself.</summary>
            public float[] SavedValues(float[] input)
            {
                if (DerivativeFromOutput is null)
                {
                    return (float[])input.Clone();
                }

                var output = new float[input.Length];
                for (int k = 0; k < input.Length; k++)
                {
                    output[k] = (float)Function(input[k]);
                }

                return output;
            }

            /// <summary>Returns f′ evaluated from the saved value, in double.</summary>
            public double ReferenceBackwardFactor(float saved) =>
                DerivativeFromOutput is { } fromOutput ? fromOutput(saved) : Derivative(saved);

            public double BackwardScaleAt(float saved) =>
                BackwardScale?.Invoke(saved) ?? Math.Abs(ReferenceBackwardFactor(saved));

            public double ReferenceBackwardError(float saved) => BackwardAbsoluteFromInput?.Invoke(saved) ?? 0;

            public void AssertForward(float x, float actual, string element)
            {
                double absolute = ForwardAbsolute + (ForwardAbsoluteFromInput?.Invoke(x) ?? 0) + TinyAbsolute;
                ReferenceMath.AssertNear(Function(x), actual, ForwardRelative, absolute, element);
            }
        }
    }
}
