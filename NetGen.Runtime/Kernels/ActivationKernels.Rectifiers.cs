using System;
using System.Runtime.Intrinsics;

namespace NetGen.Kernels
{
    // Leaky ReLU and ELU. Their backward steps take the forward output y, which has the sign of
    // the input when the slope or alpha is not negative.
    public static partial class ActivationKernels
    {
        /// <summary>
        /// Replaces every value x with Leaky ReLU: x where x &gt; 0, else <paramref name="negativeSlope"/>·x,
        /// as torch.nn.LeakyReLU. NaN stays NaN.
        /// </summary>
        /// <param name="values">Values to transform in place.</param>
        /// <param name="negativeSlope">Slope for x ≤ 0; PyTorch's default is 0.01.</param>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="negativeSlope"/> is NaN or infinite.</exception>
        public static void LeakyRelu(Span<float> values, float negativeSlope) => LeakyRelu(values, values, negativeSlope);

        /// <summary>Writes Leaky ReLU of <paramref name="input"/> into <paramref name="output"/>; see <see cref="LeakyRelu(Span{float}, float)"/>.</summary>
        /// <param name="input">Values x.</param>
        /// <param name="output">Receives f(x); the same length as <paramref name="input"/>, and either the same span or not overlapping it.</param>
        /// <param name="negativeSlope">Slope for x ≤ 0; PyTorch's default is 0.01.</param>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="negativeSlope"/> is NaN or infinite.</exception>
        /// <exception cref="ArgumentException">The spans differ in length or partly overlap.</exception>
        public static void LeakyRelu(ReadOnlySpan<float> input, Span<float> output, float negativeSlope)
        {
            RequireMappable(input, output);
            RequireFinite(negativeSlope, nameof(negativeSlope));
            Map(input, output, new LeakyReluFunction(negativeSlope));
        }

        /// <summary>
        /// Multiplies each gradient by Leaky ReLU′: 1 where the output is positive, else
        /// <paramref name="negativeSlope"/>, so the derivative at 0 is the slope, as in PyTorch.
        /// </summary>
        /// <remarks>
        /// The output has the sign of the input only when the slope is not negative, so a negative
        /// slope is rejected here. A NaN gradient stays NaN.
        /// </remarks>
        /// <param name="output">The Leaky ReLU outputs y of the forward pass.</param>
        /// <param name="gradient">Gradient with respect to y on entry, with respect to x on return; the same length as <paramref name="output"/>.</param>
        /// <param name="negativeSlope">The slope the forward pass used, zero or positive.</param>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="negativeSlope"/> is negative, NaN or infinite.</exception>
        /// <exception cref="ArgumentException">The spans differ in length.</exception>
        public static void LeakyReluBackward(ReadOnlySpan<float> output, Span<float> gradient, float negativeSlope)
        {
            KernelArguments.RequireSameLength(gradient.Length, output.Length, nameof(gradient), nameof(output));
            RequireFiniteNonNegative(negativeSlope, nameof(negativeSlope),
                "The backward step reads the sign of the input from the output, which a negative slope flips.");
            ScaleGradient(output, gradient, new LeakyReluDerivative(negativeSlope));
        }

        /// <summary>
        /// Replaces every value x with ELU: x where x &gt; 0, else <paramref name="alpha"/>·(e^x − 1), as
        /// torch.nn.ELU. NaN stays NaN.
        /// </summary>
        /// <remarks>e^x − 1 is evaluated in double without cancellation, so small negative x keep full relative precision.</remarks>
        /// <param name="values">Values to transform in place.</param>
        /// <param name="alpha">Scale of the negative part; PyTorch's default is 1.</param>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> is NaN or infinite.</exception>
        public static void Elu(Span<float> values, float alpha) => Elu(values, values, alpha);

        /// <summary>Writes ELU of <paramref name="input"/> into <paramref name="output"/>; see <see cref="Elu(Span{float}, float)"/>.</summary>
        /// <param name="input">Values x.</param>
        /// <param name="output">Receives f(x); the same length as <paramref name="input"/>, and either the same span or not overlapping it.</param>
        /// <param name="alpha">Scale of the negative part; PyTorch's default is 1.</param>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> is NaN or infinite.</exception>
        /// <exception cref="ArgumentException">The spans differ in length or partly overlap.</exception>
        public static void Elu(ReadOnlySpan<float> input, Span<float> output, float alpha)
        {
            RequireMappable(input, output);
            RequireFinite(alpha, nameof(alpha));
            MapScalar(input, output, new EluFunction(alpha));
        }

        /// <summary>
        /// Multiplies each gradient by ELU′: 1 where the output y is positive, else y + α (which
        /// equals α·e^x), as PyTorch computes it from the result.
        /// </summary>
        /// <remarks>
        /// The output has the sign of the input only when α is not negative, so a negative α is
        /// rejected here, as PyTorch does for this form.
        /// </remarks>
        /// <param name="output">The ELU outputs y of the forward pass.</param>
        /// <param name="gradient">Gradient with respect to y on entry, with respect to x on return; the same length as <paramref name="output"/>.</param>
        /// <param name="alpha">The α the forward pass used, zero or positive.</param>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> is negative, NaN or infinite.</exception>
        /// <exception cref="ArgumentException">The spans differ in length.</exception>
        public static void EluBackward(ReadOnlySpan<float> output, Span<float> gradient, float alpha)
        {
            KernelArguments.RequireSameLength(gradient.Length, output.Length, nameof(gradient), nameof(output));
            RequireFiniteNonNegative(alpha, nameof(alpha),
                "The backward step reads the sign of the input from the output, which a negative alpha flips.");
            ScaleGradient(output, gradient, new EluDerivative(alpha));
        }

        private readonly struct LeakyReluFunction(float slope) : IVectorFunction
        {
            public float Apply(float x) => x > 0f ? x : x * slope;

            // A NaN lane fails the comparison and takes NaN · slope, which is NaN.
            public Vector128<float> Apply(Vector128<float> x) =>
                Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<float>.Zero), x, x * Vector128.Create(slope));

            public Vector256<float> Apply(Vector256<float> x) =>
                Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), x, x * Vector256.Create(slope));
        }

        private readonly struct LeakyReluDerivative(float slope) : IVectorGradient
        {
            public float Apply(float output, float gradient) => gradient * (output > 0f ? 1f : slope);

            public Vector128<float> Apply(Vector128<float> output, Vector128<float> gradient) =>
                gradient * Vector128.ConditionalSelect(Vector128.GreaterThan(output, Vector128<float>.Zero), Vector128<float>.One, Vector128.Create(slope));

            public Vector256<float> Apply(Vector256<float> output, Vector256<float> gradient) =>
                gradient * Vector256.ConditionalSelect(Vector256.GreaterThan(output, Vector256<float>.Zero), Vector256<float>.One, Vector256.Create(slope));
        }

        private readonly struct EluFunction(float alpha) : IScalarFunction
        {
            public double Apply(double x) => x > 0 ? x : alpha * ExpM1(x);
        }

        private readonly struct EluDerivative(float alpha) : IVectorGradient
        {
            public float Apply(float output, float gradient) => gradient * (output > 0f ? 1f : output + alpha);

            public Vector128<float> Apply(Vector128<float> output, Vector128<float> gradient) =>
                gradient * Vector128.ConditionalSelect(Vector128.GreaterThan(output, Vector128<float>.Zero), Vector128<float>.One, output + Vector128.Create(alpha));

            public Vector256<float> Apply(Vector256<float> output, Vector256<float> gradient) =>
                gradient * Vector256.ConditionalSelect(Vector256.GreaterThan(output, Vector256<float>.Zero), Vector256<float>.One, output + Vector256.Create(alpha));
        }
    }
}
