using System;
using System.Diagnostics.CodeAnalysis;
using System.Numerics.Tensors;

namespace NetGen.Kernels
{
    /// <summary>
    /// Weight penalties added to the loss: each returns its value and adds its gradient to an
    /// existing gradient, so it runs after the backward pass has written the loss gradient.
    /// </summary>
    /// <remarks>
    /// The penalty is summed in fp32 over pieces of <see cref="ChunkLength"/> weights and in
    /// double across pieces, so long weight vectors keep about fp32 precision. The kernels allocate nothing.
    /// </remarks>
    public static class RegularizationKernels
    {
        /// <summary>Weights summed in fp32 before the sum moves to double.</summary>
        private const int ChunkLength = 4096;

        /// <summary>
        /// Computes the L2 penalty ½λ‖w‖² and adds its gradient λ·w to <paramref name="gradient"/>.
        /// </summary>
        /// <remarks>
        /// Adding λ·w to the gradient is what torch.optim.SGD's weight_decay = λ does. Adam's
        /// weight_decay does the same, while AdamW decays the weights directly instead.
        /// </remarks>
        /// <param name="weights">Weights w.</param>
        /// <param name="gradient">Gradient of the loss with respect to w, the same length as <paramref name="weights"/>; λ·w is added.</param>
        /// <param name="lambda">Penalty strength λ, finite and zero or positive.</param>
        /// <returns>The penalty ½λ‖w‖².</returns>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="lambda"/> is negative, NaN or infinite.</exception>
        /// <exception cref="ArgumentException">The spans differ in length.</exception>
        public static float L2Penalty(ReadOnlySpan<float> weights, Span<float> gradient, float lambda)
        {
            KernelArguments.RequireSameLength(gradient.Length, weights.Length, nameof(gradient), nameof(weights));
            RequireLambda(lambda);
            if (weights.IsEmpty)
            {
                return 0f;
            }

            for (int start = 0; start < weights.Length; start = CacheBlocks.Next(weights.Length, start))
            {
                Span<float> block = CacheBlocks.Slice(gradient, start);
                TensorPrimitives.MultiplyAdd(CacheBlocks.Slice(weights, start), lambda, block, block);
            }

            double sumOfSquares = 0;
            for (int start = 0; start < weights.Length; start += ChunkLength)
            {
                sumOfSquares += TensorPrimitives.SumOfSquares(weights.Slice(start, Math.Min(ChunkLength, weights.Length - start)));
            }

            return (float)(0.5 * lambda * sumOfSquares);
        }

        /// <summary>
        /// Computes the L1 penalty λ‖w‖₁ and adds its subgradient λ·sign(w) to <paramref name="gradient"/>,
        /// with sign(0) = 0. A NaN weight adds NaN.
        /// </summary>
        /// <param name="weights">Weights w.</param>
        /// <param name="gradient">Gradient of the loss with respect to w, the same length as <paramref name="weights"/>; λ·sign(w) is added.</param>
        /// <param name="lambda">Penalty strength λ, finite and zero or positive.</param>
        /// <returns>The penalty λ‖w‖₁.</returns>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="lambda"/> is negative, NaN or infinite.</exception>
        /// <exception cref="ArgumentException">The spans differ in length.</exception>
        public static float L1Penalty(ReadOnlySpan<float> weights, Span<float> gradient, float lambda)
        {
            KernelArguments.RequireSameLength(gradient.Length, weights.Length, nameof(gradient), nameof(weights));
            RequireLambda(lambda);
            if (weights.IsEmpty)
            {
                return 0f;
            }

            for (int k = 0; k < weights.Length; k++)
            {
                float w = weights[k];
                if (w > 0f)
                {
                    gradient[k] += lambda;
                }
                else if (w < 0f)
                {
                    gradient[k] -= lambda;
                }
                else
                {
                    // ±0 adds ±0, and NaN adds NaN.
                    gradient[k] += w * lambda;
                }
            }

            double sumOfMagnitudes = 0;
            for (int start = 0; start < weights.Length; start += ChunkLength)
            {
                sumOfMagnitudes += TensorPrimitives.SumOfMagnitudes(weights.Slice(start, Math.Min(ChunkLength, weights.Length - start)));
            }

            return (float)(lambda * sumOfMagnitudes);
        }

        private static void RequireLambda(float lambda)
        {
            if (!float.IsFinite(lambda) || lambda < 0f)
            {
                ThrowInvalidLambda(lambda);
            }
        }

        [DoesNotReturn]
        private static void ThrowInvalidLambda(float lambda) =>
            throw new ArgumentOutOfRangeException(
                nameof(lambda), lambda, $"The penalty strength 'lambda' must be finite and zero or positive, but it is {lambda}. Pass 0 to turn the penalty off.");
    }
}
