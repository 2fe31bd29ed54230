using System;
using System.Numerics.Tensors;

namespace NetGen.Kernels
{
    public static partial class NormKernels
    {
        /// <summary>
        /// Computes layer normalisation over each sample, as torch.nn.LayerNorm with
        /// <c>normalized_shape</c> equal to the sample's shape and elementwise affine:
        /// <c>y[b,f] = gamma[f]·xhat[b,f] + beta[f]</c> with
        /// <c>xhat[b,f] = (x[b,f] − mean_b) / sqrt(var_b + epsilon)</c>, where mean_b and the biased
        /// variance var_b are taken over the sample's F values.
        /// </summary>
        /// <param name="x">Inputs, [batch, features].</param>
        /// <param name="gamma">Scales, [features].</param>
        /// <param name="beta">Shifts, [features].</param>
        /// <param name="y">Outputs, [batch, features]; overwritten.</param>
        /// <param name="xhat">Normalised inputs for the backward pass, [batch, features]; overwritten.</param>
        /// <param name="invStd">1 / sqrt(var_b + epsilon) per sample, [batch]; overwritten.</param>
        /// <param name="batch">Number of samples B.</param>
        /// <param name="features">Values per sample F, at least 1.</param>
        /// <param name="epsilon">Added to the variance, finite and zero or positive; torch uses 1e-5.</param>
        /// <exception cref="ArgumentOutOfRangeException">
        /// <paramref name="batch"/> is negative, <paramref name="features"/> is below 1, or
        /// <paramref name="epsilon"/> is negative or not finite.
        /// </exception>
        /// <exception cref="ArgumentException">A span's length differs from its shape.</exception>
        public static void LayerNormForward(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
            Span<float> y, Span<float> xhat, Span<float> invStd, int batch, int features, float epsilon)
        {
            RequireLayerNormSizes(batch, features);
            RequireEpsilon(epsilon);
            KernelArguments.RequireLength(x.Length, batch, features, nameof(x), nameof(batch), nameof(features));
            KernelArguments.RequireLength(gamma.Length, features, nameof(gamma), nameof(features));
            KernelArguments.RequireLength(beta.Length, features, nameof(beta), nameof(features));
            KernelArguments.RequireLength(y.Length, batch, features, nameof(y), nameof(batch), nameof(features));
            KernelArguments.RequireLength(xhat.Length, batch, features, nameof(xhat), nameof(batch), nameof(features));
            KernelArguments.RequireLength(invStd.Length, batch, nameof(invStd), nameof(batch));

            for (int b = 0; b < batch; b++)
            {
                ReadOnlySpan<float> xRow = x.Slice(b * features, features);
                Span<float> xhatRow = xhat.Slice(b * features, features);

                // The corrected two-pass scheme of the class remarks, with the deviations kept in xhat.
                float estimate = (float)(Sum(xRow) / features);
                MultiplyAdd(xRow, 1f, -estimate, xhatRow);
                double correction = Sum(xhatRow) / features;
                double variance = Math.Max(SumOfSquares(xhatRow) / features - correction * correction, 0);
                float scale = (float)(1 / Math.Sqrt(variance + epsilon));
                invStd[b] = scale;

                MultiplyAdd(xhatRow, scale, (float)(-correction * scale), xhatRow);
                TensorPrimitives.MultiplyAdd(xhatRow, gamma, beta, y.Slice(b * features, features));
            }
        }

        /// <summary>
        /// Computes the gradients of <see cref="LayerNormForward"/>. With g = dy·gamma per sample,
        /// <c>dx = invStd_b·(g − mean(g) − xhat·mean(g·xhat))</c>, <c>dgamma[f] += Σ_b dy·xhat</c> and
        /// <c>dbeta[f] += Σ_b dy</c>. It differentiates <c>y = gamma·(x − mean_b)·invStd_b + beta</c>
        /// with mean_b and invStd_b functions of the sample's x.
        /// </summary>
        /// <param name="dy">Gradient with respect to the output, [batch, features].</param>
        /// <param name="xhat">Normalised inputs from the forward pass, [batch, features].</param>
        /// <param name="gamma">Scales, [features].</param>
        /// <param name="invStd">invStd from the forward pass, [batch].</param>
        /// <param name="dx">Gradient with respect to the input, [batch, features]; overwritten.</param>
        /// <param name="dgamma">Scale gradient, [features]; added to.</param>
        /// <param name="dbeta">Shift gradient, [features]; added to.</param>
        /// <param name="batch">Number of samples B.</param>
        /// <param name="features">Values per sample F, at least 1.</param>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is negative, or <paramref name="features"/> is below 1.</exception>
        /// <exception cref="ArgumentException">A span's length differs from its shape.</exception>
        public static void LayerNormBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> xhat, ReadOnlySpan<float> gamma,
            ReadOnlySpan<float> invStd, Span<float> dx, Span<float> dgamma, Span<float> dbeta, int batch, int features)
        {
            RequireLayerNormSizes(batch, features);
            KernelArguments.RequireLength(dy.Length, batch, features, nameof(dy), nameof(batch), nameof(features));
            KernelArguments.RequireLength(xhat.Length, batch, features, nameof(xhat), nameof(batch), nameof(features));
            KernelArguments.RequireLength(gamma.Length, features, nameof(gamma), nameof(features));
            KernelArguments.RequireLength(invStd.Length, batch, nameof(invStd), nameof(batch));
            KernelArguments.RequireLength(dx.Length, batch, features, nameof(dx), nameof(batch), nameof(features));
            KernelArguments.RequireLength(dgamma.Length, features, nameof(dgamma), nameof(features));
            KernelArguments.RequireLength(dbeta.Length, features, nameof(dbeta), nameof(features));

            for (int b = 0; b < batch; b++)
            {
                ReadOnlySpan<float> dyRow = dy.Slice(b * features, features);
                ReadOnlySpan<float> xhatRow = xhat.Slice(b * features, features);
                Span<float> dxRow = dx.Slice(b * features, features);

                TensorPrimitives.MultiplyAdd(dyRow, xhatRow, dgamma, dgamma);
                TensorPrimitives.Add(dbeta, dyRow, dbeta);

                // dx contains g = dy·gamma while its mean and its projection on xhat are taken.
                TensorPrimitives.Multiply(dyRow, gamma, dxRow);
                double gradientMean = Sum(dxRow) / features;
                double projectionMean = Dot(dxRow, xhatRow) / features;
                TensorPrimitives.MultiplyAdd(xhatRow, (float)-projectionMean, dxRow, dxRow);
                float scale = invStd[b];
                MultiplyAdd(dxRow, scale, (float)(-gradientMean * scale), dxRow);
            }
        }

        private static void RequireLayerNormSizes(int batch, int features)
        {
            KernelArguments.RequireSize(batch);
            if (features < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(features), features, $"Layer normalisation needs at least one value per sample, but 'features' is {features}.");
            }
        }
    }
}
