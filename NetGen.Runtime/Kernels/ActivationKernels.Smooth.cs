using System;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace NetGen.Kernels
{
    // Smooth activations: LeCun's scaled tanh, softsign, softplus, SiLU and the two GELUs.
    // Backward steps take the output y where f′ follows from it (LeCun tanh, softsign, softplus)
    // and the input x otherwise (SiLU, GELU); the parameter name says which.
    public static partial class ActivationKernels
    {
        /// <summary>Amplitude A of LeCun's tanh, A·tanh(2x/3), from LeCun et al., "Efficient BackProp" (1998).</summary>
        private const float LeCunAmplitude = 1.7159f;

        /// <summary>Input scale of LeCun's tanh.</summary>
        private const float LeCunInputScale = 2f / 3f;

        /// <summary>Softplus returns x itself above this input, as torch.nn.Softplus with threshold 20 and beta 1.</summary>
        private const double SoftplusThreshold = 20;

        /// <summary>√(2/π), the scale inside the tanh approximation of GELU.</summary>
        private const double SqrtTwoOverPi = 0.79788456080286535588;

        /// <summary>Coefficient of x³ in the tanh approximation of GELU.</summary>
        private const double GeluCubicCoefficient = 0.044715;

        /// <summary>Floats of stack scratch that <see cref="Silu(ReadOnlySpan{float}, Span{float})"/> processes at a time; 1 KB.</summary>
        private const int SiluChunkLength = 256;

        /// <summary>
        /// Replaces every value x with LeCun's scaled tanh, 1.7159·tanh(2x/3), whose outputs at ±1
        /// are ±1 and whose slope there is close to 1.
        /// </summary>
        /// <remarks>
        /// NOTE: TensorPrimitives.Tanh errs by up to about 6e-8 absolute, so this result errs by up
        /// to about 2e-7 absolute, and inputs near 0 lose relative precision.
        /// </remarks>
        /// <param name="values">Values to transform in place.</param>
        public static void LeCunTanh(Span<float> values) => LeCunTanh(values, values);

        /// <summary>Writes LeCun's scaled tanh of <paramref name="input"/> into <paramref name="output"/>; see <see cref="LeCunTanh(Span{float})"/>.</summary>
        /// <param name="input">Values x.</param>
        /// <param name="output">Receives f(x); the same length as <paramref name="input"/>, and either the same span or not overlapping it.</param>
        /// <exception cref="ArgumentException">The spans differ in length or partly overlap.</exception>
        public static void LeCunTanh(ReadOnlySpan<float> input, Span<float> output)
        {
            RequireMappable(input, output);
            for (int start = 0; start < input.Length; start = CacheBlocks.Next(input.Length, start))
            {
                Span<float> block = CacheBlocks.Slice(output, start);
                TensorPrimitives.Multiply(CacheBlocks.Slice(input, start), LeCunInputScale, block);
                TensorPrimitives.Tanh(block, block);
                TensorPrimitives.Multiply(block, LeCunAmplitude, block);
            }
        }

        /// <summary>
        /// Multiplies each gradient by the derivative of LeCun's tanh expressed through its output,
        /// (2/3)·1.7159·(1 − (y/1.7159)²).
        /// </summary>
        /// <param name="output">The LeCun tanh outputs y of the forward pass.</param>
        /// <param name="gradient">Gradient with respect to y on entry, with respect to x on return; the same length as <paramref name="output"/>.</param>
        /// <exception cref="ArgumentException">The spans differ in length.</exception>
        public static void LeCunTanhBackward(ReadOnlySpan<float> output, Span<float> gradient)
        {
            KernelArguments.RequireSameLength(gradient.Length, output.Length, nameof(gradient), nameof(output));
            ScaleGradient(output, gradient, default(LeCunTanhDerivative));
        }

        /// <summary>Replaces every value x with softsign, x/(1 + |x|). NaN stays NaN.</summary>
        /// <param name="values">Values to transform in place.</param>
        public static void Softsign(Span<float> values) => Softsign(values, values);

        /// <summary>Writes softsign of <paramref name="input"/> into <paramref name="output"/>; see <see cref="Softsign(Span{float})"/>.</summary>
        /// <param name="input">Values x.</param>
        /// <param name="output">Receives f(x); the same length as <paramref name="input"/>, and either the same span or not overlapping it.</param>
        /// <exception cref="ArgumentException">The spans differ in length or partly overlap.</exception>
        public static void Softsign(ReadOnlySpan<float> input, Span<float> output)
        {
            RequireMappable(input, output);
            Map(input, output, default(SoftsignFunction));
        }

        /// <summary>Multiplies each gradient by the softsign derivative expressed through its output, (1 − |y|)².</summary>
        /// <param name="output">The softsign outputs y of the forward pass.</param>
        /// <param name="gradient">Gradient with respect to y on entry, with respect to x on return; the same length as <paramref name="output"/>.</param>
        /// <exception cref="ArgumentException">The spans differ in length.</exception>
        public static void SoftsignBackward(ReadOnlySpan<float> output, Span<float> gradient)
        {
            KernelArguments.RequireSameLength(gradient.Length, output.Length, nameof(gradient), nameof(output));
            ScaleGradient(output, gradient, default(SoftsignDerivative));
        }

        /// <summary>
        /// Replaces every value x with softplus as torch.nn.Softplus with beta 1 and threshold 20:
        /// x where x &gt; 20, else ln(1 + e^x). NaN stays NaN.
        /// </summary>
        /// <remarks>ln(1 + e^x) is evaluated in double without cancellation, so very negative x give e^x rather than 0.</remarks>
        /// <param name="values">Values to transform in place.</param>
        public static void Softplus(Span<float> values) => Softplus(values, values);

        /// <summary>Writes softplus of <paramref name="input"/> into <paramref name="output"/>; see <see cref="Softplus(Span{float})"/>.</summary>
        /// <param name="input">Values x.</param>
        /// <param name="output">Receives f(x); the same length as <paramref name="input"/>, and either the same span or not overlapping it.</param>
        /// <exception cref="ArgumentException">The spans differ in length or partly overlap.</exception>
        public static void Softplus(ReadOnlySpan<float> input, Span<float> output)
        {
            RequireMappable(input, output);
            MapScalar(input, output, default(SoftplusFunction));
        }

        /// <summary>
        /// Multiplies each gradient by the softplus derivative σ(x), expressed through the output y as
        /// 1 − e^(−y) and evaluated as −expm1(−y) in double, so that tiny outputs keep full precision.
        /// </summary>
        /// <remarks>
        /// Above the threshold PyTorch uses a derivative of exactly 1; here it is 1 − e^(−x), which
        /// rounds to 1 in float for every x &gt; 20.
        /// </remarks>
        /// <param name="output">The softplus outputs y of the forward pass.</param>
        /// <param name="gradient">Gradient with respect to y on entry, with respect to x on return; the same length as <paramref name="output"/>.</param>
        /// <exception cref="ArgumentException">The spans differ in length.</exception>
        public static void SoftplusBackward(ReadOnlySpan<float> output, Span<float> gradient)
        {
            KernelArguments.RequireSameLength(gradient.Length, output.Length, nameof(gradient), nameof(output));
            ScaleGradientScalar(output, gradient, default(SoftplusDerivative));
        }

        /// <summary>Replaces every value x with SiLU (swish), x·σ(x), as torch.nn.SiLU. NaN stays NaN.</summary>
        /// <param name="values">Values to transform in place.</param>
        public static void Silu(Span<float> values) => Silu(values, values);

        /// <summary>Writes SiLU of <paramref name="input"/> into <paramref name="output"/>; see <see cref="Silu(Span{float})"/>.</summary>
        /// <param name="input">Values x.</param>
        /// <param name="output">Receives f(x); the same length as <paramref name="input"/>, and either the same span or not overlapping it.</param>
        /// <exception cref="ArgumentException">The spans differ in length or partly overlap.</exception>
        public static void Silu(ReadOnlySpan<float> input, Span<float> output)
        {
            RequireMappable(input, output);

            // σ(x) goes to stack scratch first, because in place the output overwrites x.
            Span<float> sigmoid = stackalloc float[SiluChunkLength];
            for (int start = 0; start < input.Length; start += SiluChunkLength)
            {
                int length = Math.Min(SiluChunkLength, input.Length - start);
                ReadOnlySpan<float> x = input.Slice(start, length);
                Span<float> s = sigmoid.Slice(0, length);
                TensorPrimitives.Sigmoid(x, s);
                TensorPrimitives.Multiply(x, s, output.Slice(start, length));
            }
        }

        /// <summary>Multiplies each gradient by SiLU′ = σ(x)·(1 + x·(1 − σ(x))), evaluated in double.</summary>
        /// <param name="input">The SiLU inputs x of the forward pass.</param>
        /// <param name="gradient">Gradient with respect to y on entry, with respect to x on return; the same length as <paramref name="input"/>.</param>
        /// <exception cref="ArgumentException">The spans differ in length.</exception>
        public static void SiluBackward(ReadOnlySpan<float> input, Span<float> gradient)
        {
            KernelArguments.RequireSameLength(gradient.Length, input.Length, nameof(gradient), nameof(input));
            ScaleGradientScalar(input, gradient, default(SiluDerivative));
        }

        /// <summary>
        /// Replaces every value x with the exact GELU, x·Φ(x) with Φ the standard normal CDF, as
        /// torch.nn.GELU with approximate='none'. NaN stays NaN.
        /// </summary>
        /// <remarks>
        /// Φ is evaluated in double from a series for erf and a continued fraction for erfc, so the
        /// negative tail keeps full relative precision. That costs up to about 40 terms per element.
        /// </remarks>
        /// <param name="values">Values to transform in place.</param>
        public static void GeluErf(Span<float> values) => GeluErf(values, values);

        /// <summary>Writes the exact GELU of <paramref name="input"/> into <paramref name="output"/>; see <see cref="GeluErf(Span{float})"/>.</summary>
        /// <param name="input">Values x.</param>
        /// <param name="output">Receives f(x); the same length as <paramref name="input"/>, and either the same span or not overlapping it.</param>
        /// <exception cref="ArgumentException">The spans differ in length or partly overlap.</exception>
        public static void GeluErf(ReadOnlySpan<float> input, Span<float> output)
        {
            RequireMappable(input, output);
            MapScalar(input, output, default(GeluErfFunction));
        }

        /// <summary>Multiplies each gradient by the exact GELU derivative Φ(x) + x·φ(x), with φ the standard normal density.</summary>
        /// <param name="input">The GELU inputs x of the forward pass.</param>
        /// <param name="gradient">Gradient with respect to y on entry, with respect to x on return; the same length as <paramref name="input"/>.</param>
        /// <exception cref="ArgumentException">The spans differ in length.</exception>
        public static void GeluErfBackward(ReadOnlySpan<float> input, Span<float> gradient)
        {
            KernelArguments.RequireSameLength(gradient.Length, input.Length, nameof(gradient), nameof(input));
            ScaleGradientScalar(input, gradient, default(GeluErfDerivative));
        }

        /// <summary>
        /// Replaces every value x with the tanh approximation of GELU,
        /// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), as torch.nn.GELU with approximate='tanh'. NaN stays NaN.
        /// </summary>
        /// <remarks>
        /// The kernel uses the identity 0.5·(1 + tanh(u)) = σ(2u) in double, which avoids the
        /// cancellation of 1 + tanh(u) for negative x, so it is more accurate there than PyTorch's float result.
        /// </remarks>
        /// <param name="values">Values to transform in place.</param>
        public static void GeluTanh(Span<float> values) => GeluTanh(values, values);

        /// <summary>Writes the tanh-approximated GELU of <paramref name="input"/> into <paramref name="output"/>; see <see cref="GeluTanh(Span{float})"/>.</summary>
        /// <param name="input">Values x.</param>
        /// <param name="output">Receives f(x); the same length as <paramref name="input"/>, and either the same span or not overlapping it.</param>
        /// <exception cref="ArgumentException">The spans differ in length or partly overlap.</exception>
        public static void GeluTanh(ReadOnlySpan<float> input, Span<float> output)
        {
            RequireMappable(input, output);
            MapScalar(input, output, default(GeluTanhFunction));
        }

        /// <summary>
        /// Multiplies each gradient by the derivative of the tanh-approximated GELU,
        /// s + 2x·s·(1 − s)·u′ with s = σ(2u), u = √(2/π)·(x + 0.044715·x³) and u′ = √(2/π)·(1 + 3·0.044715·x²).
        /// </summary>
        /// <param name="input">The GELU inputs x of the forward pass.</param>
        /// <param name="gradient">Gradient with respect to y on entry, with respect to x on return; the same length as <paramref name="input"/>.</param>
        /// <exception cref="ArgumentException">The spans differ in length.</exception>
        public static void GeluTanhBackward(ReadOnlySpan<float> input, Span<float> gradient)
        {
            KernelArguments.RequireSameLength(gradient.Length, input.Length, nameof(gradient), nameof(input));
            ScaleGradientScalar(input, gradient, default(GeluTanhDerivative));
        }

        private readonly struct LeCunTanhDerivative : IVectorGradient
        {
            // (2/3)·A·(1 − (y/A)²) = (2/3)·A − (2/(3A))·y².
            private const float Slope = (float)(2.0 / 3.0 * LeCunAmplitude);
            private const float Curvature = (float)(2.0 / (3.0 * LeCunAmplitude));

            public float Apply(float output, float gradient) => gradient * (Slope - Curvature * output * output);

            public Vector128<float> Apply(Vector128<float> output, Vector128<float> gradient) =>
                gradient * (Vector128.Create(Slope) - Vector128.Create(Curvature) * output * output);

            public Vector256<float> Apply(Vector256<float> output, Vector256<float> gradient) =>
                gradient * (Vector256.Create(Slope) - Vector256.Create(Curvature) * output * output);
        }

        private readonly struct SoftsignFunction : IVectorFunction
        {
            public float Apply(float x) => x / (1f + Math.Abs(x));

            public Vector128<float> Apply(Vector128<float> x) => x / (Vector128<float>.One + Vector128.Abs(x));

            public Vector256<float> Apply(Vector256<float> x) => x / (Vector256<float>.One + Vector256.Abs(x));
        }

        private readonly struct SoftsignDerivative : IVectorGradient
        {
            public float Apply(float output, float gradient)
            {
                float complement = 1f - Math.Abs(output);
                return gradient * (complement * complement);
            }

            public Vector128<float> Apply(Vector128<float> output, Vector128<float> gradient)
            {
                Vector128<float> complement = Vector128<float>.One - Vector128.Abs(output);
                return gradient * (complement * complement);
            }

            public Vector256<float> Apply(Vector256<float> output, Vector256<float> gradient)
            {
                Vector256<float> complement = Vector256<float>.One - Vector256.Abs(output);
                return gradient * (complement * complement);
            }
        }

        private readonly struct SoftplusFunction : IScalarFunction
        {
            public double Apply(double x) => x > SoftplusThreshold ? x : LogP1(Math.Exp(x));
        }

        private readonly struct SoftplusDerivative : IScalarFunction
        {
            public double Apply(double output) => -ExpM1(-output);
        }

        private readonly struct SiluDerivative : IScalarFunction
        {
            public double Apply(double x)
            {
                (double sigmoid, double complement) = SigmoidPair(x);
                return sigmoid * (1.0 + x * complement);
            }
        }

        private readonly struct GeluErfFunction : IScalarFunction
        {
            public double Apply(double x) => x * NormalCdf(x);
        }

        private readonly struct GeluErfDerivative : IScalarFunction
        {
            public double Apply(double x) => NormalCdf(x) + x * NormalDensity(x);
        }

        private readonly struct GeluTanhFunction : IScalarFunction
        {
            public double Apply(double x)
            {
                double u = SqrtTwoOverPi * (x + GeluCubicCoefficient * x * x * x);
                return x * SigmoidPair(2.0 * u).Sigmoid;
            }
        }

        private readonly struct GeluTanhDerivative : IScalarFunction
        {
            public double Apply(double x)
            {
                double u = SqrtTwoOverPi * (x + GeluCubicCoefficient * x * x * x);
                double uSlope = SqrtTwoOverPi * (1.0 + 3.0 * GeluCubicCoefficient * x * x);
                (double sigmoid, double complement) = SigmoidPair(2.0 * u);

                // x·u′ first: for |x| up to float's maximum it stays below 1e117, and the
                // product with s·(1 − s), which underflows to 0 for large |x|, stays finite.
                return sigmoid + 2.0 * (x * uSlope) * (sigmoid * complement);
            }
        }
    }
}
