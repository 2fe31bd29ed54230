using System;
using System.Numerics.Tensors;

namespace NetGen.Kernels
{
    public static partial class NormKernels
    {
        /// <summary>
        /// Largest channel count for which the dense path keeps its per-channel sums on the stack
        /// (three buffers of this many floats, 12 KB in all).
        /// </summary>
        private const int MaxStackChannels = 1024;

        /// <summary>
        /// Whether batch normalisation over [batch, channels] with S = 1 takes the dense path,
        /// which vectorises across channels and sums each channel over the batch in fp32.
        /// Larger shapes take the per-channel path, which sums in double.
        /// </summary>
        private static bool UsesDensePath(int batch, int channels, int spatial) =>
            spatial == 1 && channels <= MaxStackChannels && batch <= ChunkLength;

        /// <summary>
        /// <see cref="BatchNormTrainForward"/> for dense features, x [B, C]: the same corrected
        /// two-pass statistics, with each step one vector operation per sample row.
        /// </summary>
        private static void BatchNormTrainForwardDense(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
            Span<float> y, Span<float> xhat, Span<float> mean, Span<float> invStd, int batch, int channels, float epsilon)
        {
            Span<float> deviationSum = stackalloc float[channels];
            Span<float> squareSum = stackalloc float[channels];

            // First pass: the estimate of the mean, kept in mean.
            mean.Clear();
            for (int b = 0; b < batch; b++)
            {
                TensorPrimitives.Add(mean, x.Slice(b * channels, channels), mean);
            }

            TensorPrimitives.Multiply(mean, 1f / batch, mean);

            // Second pass: deviations from the estimate, kept in xhat, with their sum and sum of squares.
            for (int b = 0; b < batch; b++)
            {
                Span<float> deviation = xhat.Slice(b * channels, channels);
                TensorPrimitives.Subtract(x.Slice(b * channels, channels), mean, deviation);
                TensorPrimitives.Add(deviationSum, deviation, deviationSum);
                TensorPrimitives.MultiplyAdd(deviation, deviation, squareSum, squareSum);
            }

            // deviationSum becomes −correction, which the third pass adds to each deviation.
            for (int c = 0; c < channels; c++)
            {
                double correction = (double)deviationSum[c] / batch;
                double variance = Math.Max((double)squareSum[c] / batch - correction * correction, 0);
                mean[c] = (float)(mean[c] + correction);
                invStd[c] = (float)(1 / Math.Sqrt(variance + epsilon));
                deviationSum[c] = (float)-correction;
            }

            // Third pass: xhat = (deviation − correction)·invStd and y = gamma·xhat + beta.
            for (int b = 0; b < batch; b++)
            {
                Span<float> normalised = xhat.Slice(b * channels, channels);
                TensorPrimitives.AddMultiply(normalised, deviationSum, invStd, normalised);
                TensorPrimitives.MultiplyAdd(normalised, gamma, beta, y.Slice(b * channels, channels));
            }
        }

        /// <summary><see cref="BatchNormBackward"/> for dense features, dy and xhat [B, C].</summary>
        private static void BatchNormBackwardDense(ReadOnlySpan<float> dy, ReadOnlySpan<float> xhat, ReadOnlySpan<float> gamma,
            ReadOnlySpan<float> invStd, Span<float> dx, Span<float> dgamma, Span<float> dbeta, int batch, int channels)
        {
            Span<float> gradientSum = stackalloc float[channels];
            Span<float> projection = stackalloc float[channels];
            Span<float> scale = stackalloc float[channels];
            for (int b = 0; b < batch; b++)
            {
                ReadOnlySpan<float> dyRow = dy.Slice(b * channels, channels);
                TensorPrimitives.Add(gradientSum, dyRow, gradientSum);
                TensorPrimitives.MultiplyAdd(dyRow, xhat.Slice(b * channels, channels), projection, projection);
            }

            TensorPrimitives.Add(dbeta, gradientSum, dbeta);
            TensorPrimitives.Add(dgamma, projection, dgamma);

            // dx = gamma·invStd·(dy − Σdy/n − xhat·Σ(dy·xhat)/n), with the two sums scaled in place.
            TensorPrimitives.Multiply(gamma, invStd, scale);
            TensorPrimitives.Multiply(gradientSum, 1f / batch, gradientSum);
            TensorPrimitives.Multiply(projection, -1f / batch, projection);
            for (int b = 0; b < batch; b++)
            {
                Span<float> dxRow = dx.Slice(b * channels, channels);
                TensorPrimitives.Subtract(dy.Slice(b * channels, channels), gradientSum, dxRow);
                TensorPrimitives.MultiplyAdd(xhat.Slice(b * channels, channels), projection, dxRow, dxRow);
                TensorPrimitives.Multiply(dxRow, scale, dxRow);
            }
        }

        /// <summary><see cref="BatchNormEvalForward"/> for dense features, x [B, C].</summary>
        private static void BatchNormEvalForwardDense(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
            ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, Span<float> y, int batch, int channels, float epsilon)
        {
            Span<float> scale = stackalloc float[channels];
            for (int c = 0; c < channels; c++)
            {
                scale[c] = (float)(gamma[c] / Math.Sqrt((double)runningVar[c] + epsilon));
            }

            for (int b = 0; b < batch; b++)
            {
                Span<float> yRow = y.Slice(b * channels, channels);
                TensorPrimitives.Subtract(x.Slice(b * channels, channels), runningMean, yRow);
                TensorPrimitives.MultiplyAdd(yRow, scale, beta, yRow);
            }
        }

        /// <summary><see cref="BatchNormEvalBackward"/> for dense features, dy and x [B, C].</summary>
        private static void BatchNormEvalBackwardDense(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> gamma,
            ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, Span<float> dx, Span<float> dgamma, Span<float> dbeta,
            int batch, int channels, float epsilon)
        {
            Span<float> gradientSum = stackalloc float[channels];
            Span<float> projection = stackalloc float[channels];
            Span<float> scale = stackalloc float[channels];
            for (int c = 0; c < channels; c++)
            {
                scale[c] = (float)(gamma[c] / Math.Sqrt((double)runningVar[c] + epsilon));
            }

            for (int b = 0; b < batch; b++)
            {
                ReadOnlySpan<float> dyRow = dy.Slice(b * channels, channels);
                Span<float> dxRow = dx.Slice(b * channels, channels);

                // dx contains x − runningMean until its product with dy has been added to the projection.
                TensorPrimitives.Subtract(x.Slice(b * channels, channels), runningMean, dxRow);
                TensorPrimitives.MultiplyAdd(dyRow, dxRow, projection, projection);
                TensorPrimitives.Add(gradientSum, dyRow, gradientSum);
                TensorPrimitives.Multiply(dyRow, scale, dxRow);
            }

            for (int c = 0; c < channels; c++)
            {
                dbeta[c] += gradientSum[c];
                dgamma[c] += (float)(projection[c] / Math.Sqrt((double)runningVar[c] + epsilon));
            }
        }
    }
}
