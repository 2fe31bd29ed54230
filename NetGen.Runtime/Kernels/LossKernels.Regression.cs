using System;
using System.Diagnostics.CodeAnalysis;
using System.Numerics.Tensors;

namespace NetGen.Kernels
{
    // Regression losses with PyTorch's default reduction 'mean': the mean over all
    // batch × outputs elements, so the gradient carries the factor 1/(batch · outputs).
    // With outputs = 0 there is no element, and the loss is 0 as elsewhere in this class
    // (PyTorch returns NaN for the mean of an empty tensor).
    public static partial class LossKernels
    {
        /// <summary>
        /// Computes the mean squared error, the mean over all elements of <c>(y − t)²</c> as
        /// torch.nn.MSELoss, and writes its gradient <c>2(y − t) / (batch · outputs)</c>.
        /// </summary>
        /// <remarks>
        /// This differs from <see cref="SquaredError"/>, which halves the squares and averages over the batch only.
        /// </remarks>
        /// <param name="output">Network outputs y, [batch, outputs].</param>
        /// <param name="target">Targets t, [batch, outputs].</param>
        /// <param name="gradient">Gradient with respect to y, [batch, outputs]; overwritten.</param>
        /// <param name="batch">Number of samples B, at least 1.</param>
        /// <param name="outputs">Number of outputs O per sample.</param>
        /// <returns>The loss.</returns>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is less than 1 or <paramref name="outputs"/> is negative.</exception>
        /// <exception cref="ArgumentException">A span's length differs from batch × outputs.</exception>
        public static float MeanSquaredError(ReadOnlySpan<float> output, ReadOnlySpan<float> target, Span<float> gradient, int batch, int outputs)
        {
            RequireLossArguments(output.Length, target.Length, batch, outputs, nameof(output));
            KernelArguments.RequireLength(gradient.Length, batch, outputs, nameof(gradient), nameof(batch), nameof(outputs));
            RequireGradientPlacement(output, target, gradient, nameof(output));
            if (outputs == 0)
            {
                return 0f;
            }

            double count = (double)batch * outputs;
            double total = SquaredDifferences(output, target, gradient, new MultiplyBy((float)(2.0 / count)));
            return (float)(total / count);
        }

        /// <summary>Computes the loss of <see cref="MeanSquaredError"/> without a gradient.</summary>
        /// <param name="output">Network outputs y, [batch, outputs].</param>
        /// <param name="target">Targets t, [batch, outputs].</param>
        /// <param name="batch">Number of samples B, at least 1.</param>
        /// <param name="outputs">Number of outputs O per sample.</param>
        /// <returns>The mean over all elements of <c>(y − t)²</c>.</returns>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is less than 1 or <paramref name="outputs"/> is negative.</exception>
        /// <exception cref="ArgumentException">A span's length differs from batch × outputs.</exception>
        public static float MeanSquaredErrorLoss(ReadOnlySpan<float> output, ReadOnlySpan<float> target, int batch, int outputs)
        {
            RequireLossArguments(output.Length, target.Length, batch, outputs, nameof(output));
            if (outputs == 0)
            {
                return 0f;
            }

            return (float)(SumOfSquaredDifferences(output, target) / ((double)batch * outputs));
        }

        /// <summary>
        /// Computes the mean absolute error, the mean over all elements of <c>|y − t|</c> as
        /// torch.nn.L1Loss, and writes its gradient <c>sign(y − t) / (batch · outputs)</c> with sign(0) = 0.
        /// </summary>
        /// <param name="output">Network outputs y, [batch, outputs].</param>
        /// <param name="target">Targets t, [batch, outputs].</param>
        /// <param name="gradient">Gradient with respect to y, [batch, outputs]; overwritten.</param>
        /// <param name="batch">Number of samples B, at least 1.</param>
        /// <param name="outputs">Number of outputs O per sample.</param>
        /// <returns>The loss.</returns>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is less than 1 or <paramref name="outputs"/> is negative.</exception>
        /// <exception cref="ArgumentException">A span's length differs from batch × outputs.</exception>
        public static float AbsoluteError(ReadOnlySpan<float> output, ReadOnlySpan<float> target, Span<float> gradient, int batch, int outputs)
        {
            RequireLossArguments(output.Length, target.Length, batch, outputs, nameof(output));
            KernelArguments.RequireLength(gradient.Length, batch, outputs, nameof(gradient), nameof(batch), nameof(outputs));
            RequireGradientPlacement(output, target, gradient, nameof(output));
            if (outputs == 0)
            {
                return 0f;
            }

            double count = (double)batch * outputs;
            float step = (float)(1.0 / count);
            double total = 0;
            for (int k = 0; k < output.Length; k++)
            {
                float difference = output[k] - target[k];
                total += Math.Abs(difference);
                gradient[k] = SignOrNaN(difference) * step;
            }

            return (float)(total / count);
        }

        /// <summary>Computes the loss of <see cref="AbsoluteError"/> without a gradient.</summary>
        /// <param name="output">Network outputs y, [batch, outputs].</param>
        /// <param name="target">Targets t, [batch, outputs].</param>
        /// <param name="batch">Number of samples B, at least 1.</param>
        /// <param name="outputs">Number of outputs O per sample.</param>
        /// <returns>The mean over all elements of <c>|y − t|</c>.</returns>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is less than 1 or <paramref name="outputs"/> is negative.</exception>
        /// <exception cref="ArgumentException">A span's length differs from batch × outputs.</exception>
        public static float AbsoluteErrorLoss(ReadOnlySpan<float> output, ReadOnlySpan<float> target, int batch, int outputs)
        {
            RequireLossArguments(output.Length, target.Length, batch, outputs, nameof(output));
            if (outputs == 0)
            {
                return 0f;
            }

            double total = 0;
            for (int k = 0; k < output.Length; k++)
            {
                total += Math.Abs(output[k] - target[k]);
            }

            return (float)(total / ((double)batch * outputs));
        }

        /// <summary>
        /// Computes the Huber loss as torch.nn.HuberLoss, the mean over all elements of
        /// <c>½d²</c> where |d| &lt; δ and <c>δ(|d| − ½δ)</c> elsewhere, with d = y − t, and writes
        /// its gradient: d, or δ·sign(d) where |d| ≥ δ, divided by batch · outputs.
        /// </summary>
        /// <param name="output">Network outputs y, [batch, outputs].</param>
        /// <param name="target">Targets t, [batch, outputs].</param>
        /// <param name="gradient">Gradient with respect to y, [batch, outputs]; overwritten.</param>
        /// <param name="batch">Number of samples B, at least 1.</param>
        /// <param name="outputs">Number of outputs O per sample.</param>
        /// <param name="delta">Threshold δ between the quadratic and the linear part, positive; PyTorch's default is 1.</param>
        /// <returns>The loss.</returns>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is less than 1, <paramref name="outputs"/> is negative, or <paramref name="delta"/> is not a positive finite number.</exception>
        /// <exception cref="ArgumentException">A span's length differs from batch × outputs.</exception>
        public static float Huber(ReadOnlySpan<float> output, ReadOnlySpan<float> target, Span<float> gradient, int batch, int outputs, float delta)
        {
            RequireLossArguments(output.Length, target.Length, batch, outputs, nameof(output));
            KernelArguments.RequireLength(gradient.Length, batch, outputs, nameof(gradient), nameof(batch), nameof(outputs));
            RequireHuberDelta(delta);
            RequireGradientPlacement(output, target, gradient, nameof(output));
            if (outputs == 0)
            {
                return 0f;
            }

            double count = (double)batch * outputs;
            float step = (float)(1.0 / count);
            double total = 0;
            for (int k = 0; k < output.Length; k++)
            {
                float difference = output[k] - target[k];
                total += HuberTerm(difference, delta);
                float slope = Math.Abs(difference) < delta ? difference : delta * SignOrNaN(difference);
                gradient[k] = slope * step;
            }

            return (float)(total / count);
        }

        /// <summary>Computes the loss of <see cref="Huber"/> without a gradient.</summary>
        /// <param name="output">Network outputs y, [batch, outputs].</param>
        /// <param name="target">Targets t, [batch, outputs].</param>
        /// <param name="batch">Number of samples B, at least 1.</param>
        /// <param name="outputs">Number of outputs O per sample.</param>
        /// <param name="delta">Threshold δ between the quadratic and the linear part, positive.</param>
        /// <returns>The mean Huber loss over all elements.</returns>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is less than 1, <paramref name="outputs"/> is negative, or <paramref name="delta"/> is not a positive finite number.</exception>
        /// <exception cref="ArgumentException">A span's length differs from batch × outputs.</exception>
        public static float HuberLoss(ReadOnlySpan<float> output, ReadOnlySpan<float> target, int batch, int outputs, float delta)
        {
            RequireLossArguments(output.Length, target.Length, batch, outputs, nameof(output));
            RequireHuberDelta(delta);
            if (outputs == 0)
            {
                return 0f;
            }

            double total = 0;
            for (int k = 0; k < output.Length; k++)
            {
                total += HuberTerm(output[k] - target[k], delta);
            }

            return (float)(total / ((double)batch * outputs));
        }

        /// <summary>Returns one element's Huber loss in double.</summary>
        private static double HuberTerm(float difference, float delta)
        {
            double magnitude = Math.Abs((double)difference);
            return magnitude < delta ? 0.5 * magnitude * magnitude : delta * (magnitude - 0.5 * delta);
        }

        /// <summary>Returns 1 for a positive value, −1 for a negative one, and the value itself for ±0 and NaN.</summary>
        private static float SignOrNaN(float value) => value > 0f ? 1f : value < 0f ? -1f : value;

        private static void RequireHuberDelta(float delta)
        {
            if (!float.IsFinite(delta) || delta <= 0f)
            {
                ThrowInvalidHuberDelta(delta);
            }
        }

        [DoesNotReturn]
        private static void ThrowInvalidHuberDelta(float delta) =>
            throw new ArgumentOutOfRangeException(
                nameof(delta), delta, $"The Huber threshold 'delta' must be a positive finite number, but it is {delta}. Pass a value such as 1, PyTorch's default.");
    }
}
