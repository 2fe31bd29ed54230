using System;

namespace NetGen.Quantization
{
    /// <summary>
    /// Fake quantization for quantization-aware training: the forward pass quantizes and
    /// dequantizes in fp32, and the backward pass uses the straight-through estimator.
    /// </summary>
    /// <remarks>
    /// The gradient convention is torch.ao.quantization.FakeQuantize's: with
    /// <c>q = roundHalfToEven(x / scale) + zeroPoint</c> before saturation, the gradient passes
    /// unchanged where <c>qmin ≤ q ≤ qmax</c> and is 0 where q saturates. A NaN input gives a NaN
    /// output and a zero gradient.
    /// </remarks>
    public static class FakeQuantization
    {
        /// <summary>Writes <c>y = (saturate(roundHalfToEven(x / scale) + z) − z) · scale</c>.</summary>
        /// <param name="x">Inputs.</param>
        /// <param name="parameters">The quantization to simulate.</param>
        /// <param name="y">Outputs, as long as <paramref name="x"/>; overwritten. May be the same span as <paramref name="x"/>.</param>
        /// <exception cref="ArgumentException">The lengths differ.</exception>
        public static void Forward(ReadOnlySpan<float> x, QuantizationParameters parameters, Span<float> y)
        {
            RequireSameLength(x.Length, y.Length, nameof(y));
            float scale = parameters.Scale;
            int zeroPoint = parameters.ZeroPoint, minimum = parameters.QuantizedMinimum, maximum = parameters.QuantizedMaximum;
            for (int i = 0; i < x.Length; i++)
            {
                float value = x[i];
                if (float.IsNaN(value))
                {
                    y[i] = value;
                    continue;
                }

                float q = Math.Clamp(MathF.Round(value / scale, MidpointRounding.ToEven) + zeroPoint, minimum, maximum);
                y[i] = (q - zeroPoint) * scale;
            }
        }

        /// <summary>
        /// Writes the straight-through gradient <c>dx = dy</c> where <c>qmin ≤ roundHalfToEven(x / scale) + z ≤ qmax</c>, else 0.
        /// It differentiates <see cref="Forward"/>.
        /// </summary>
        /// <param name="x">The inputs of the forward pass.</param>
        /// <param name="dy">Gradient with respect to the output.</param>
        /// <param name="parameters">The quantization of the forward pass.</param>
        /// <param name="dx">Gradient with respect to the input; overwritten.</param>
        /// <exception cref="ArgumentException">The lengths differ.</exception>
        public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, QuantizationParameters parameters, Span<float> dx)
        {
            RequireSameLength(x.Length, dy.Length, nameof(dy));
            RequireSameLength(x.Length, dx.Length, nameof(dx));
            float scale = parameters.Scale;
            int zeroPoint = parameters.ZeroPoint, minimum = parameters.QuantizedMinimum, maximum = parameters.QuantizedMaximum;
            for (int i = 0; i < x.Length; i++)
            {
                float q = MathF.Round(x[i] / scale, MidpointRounding.ToEven) + zeroPoint;
                dx[i] = q >= minimum && q <= maximum ? dy[i] : 0f;
            }
        }

        /// <summary>
        /// Replaces each row of a weight matrix with its int8 approximation, in place: the values
        /// that <see cref="QuantizedWeights.Quantize"/> stores, times their row's scale, so a network
        /// trained on them sees the weights its int8 form will have.
        /// </summary>
        /// <param name="weights">Weights, [outputs, inputs] row-major; each finite.</param>
        /// <param name="outputs">Number of rows O.</param>
        /// <param name="inputs">Number of columns I.</param>
        /// <exception cref="ArgumentException">The length differs from outputs × inputs, or a weight is NaN or infinite.</exception>
        public static void QuantizeWeightRows(Span<float> weights, int outputs, int inputs)
        {
            QuantizedWeights quantized = QuantizedWeights.Quantize(weights, outputs, inputs);
            quantized.Dequantize(weights);
        }

        private static void RequireSameLength(int expected, int actual, string name)
        {
            if (expected != actual)
            {
                throw new ArgumentException($"The span '{name}' must have exactly {expected} elements (the length of 'x'), but it has {actual}.", name);
            }
        }
    }
}
