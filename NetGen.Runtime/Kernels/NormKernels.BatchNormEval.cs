using System;
using System.Numerics.Tensors;

namespace NetGen.Kernels
{
    public static partial class NormKernels
    {
        /// <summary>
        /// Computes batch normalisation in evaluation mode, as torch.nn.BatchNorm1d/2d after
        /// <c>eval()</c>: <c>y = gamma[c]·(x − runningMean[c]) / sqrt(runningVar[c] + epsilon) + beta[c]</c>.
        /// </summary>
        /// <param name="x">Inputs, [batch, channels, spatial].</param>
        /// <param name="gamma">Scales, [channels].</param>
        /// <param name="beta">Shifts, [channels].</param>
        /// <param name="runningMean">Running mean, [channels].</param>
        /// <param name="runningVar">Running variance, [channels].</param>
        /// <param name="y">Outputs, [batch, channels, spatial]; overwritten.</param>
        /// <param name="batch">Number of samples B.</param>
        /// <param name="channels">Number of channels C.</param>
        /// <param name="spatial">Positions per channel S.</param>
        /// <param name="epsilon">Added to the variance, finite and zero or positive; torch uses 1e-5.</param>
        /// <exception cref="ArgumentOutOfRangeException">A size is negative, or <paramref name="epsilon"/> is negative or not finite.</exception>
        /// <exception cref="ArgumentException">A span's length differs from its shape.</exception>
        public static void BatchNormEvalForward(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
            ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, Span<float> y, int batch, int channels, int spatial, float epsilon)
        {
            RequireBatchNormSizes(batch, channels, spatial);
            RequireEpsilon(epsilon);
            RequireTensorLength(x.Length, batch, channels, spatial, nameof(x));
            KernelArguments.RequireLength(gamma.Length, channels, nameof(gamma), nameof(channels));
            KernelArguments.RequireLength(beta.Length, channels, nameof(beta), nameof(channels));
            KernelArguments.RequireLength(runningMean.Length, channels, nameof(runningMean), nameof(channels));
            KernelArguments.RequireLength(runningVar.Length, channels, nameof(runningVar), nameof(channels));
            RequireTensorLength(y.Length, batch, channels, spatial, nameof(y));

            if (UsesDensePath(batch, channels, spatial))
            {
                BatchNormEvalForwardDense(x, gamma, beta, runningMean, runningVar, y, batch, channels, epsilon);
                return;
            }

            int batchStride = channels * spatial;
            for (int c = 0; c < channels; c++)
            {
                // x − runningMean first: folding it into one multiply-add, x·scale + (beta − mean·scale),
                // would cancel digits when x and the mean share a large offset.
                float scale = (float)(gamma[c] / Math.Sqrt((double)runningVar[c] + epsilon));
                for (int b = 0; b < batch; b++)
                {
                    int start = b * batchStride + c * spatial;
                    Span<float> yRow = y.Slice(start, spatial);
                    MultiplyAdd(x.Slice(start, spatial), 1f, -runningMean[c], yRow);
                    MultiplyAdd(yRow, scale, beta[c], yRow);
                }
            }
        }

        /// <summary>
        /// Computes the gradients of <see cref="BatchNormEvalForward"/>, whose statistics are
        /// constants: <c>dx = dy·gamma[c]/sqrt(runningVar[c] + epsilon)</c>,
        /// <c>dgamma[c] += Σ dy·xhat</c> and <c>dbeta[c] += Σ dy</c>, with
        /// <c>xhat = (x − runningMean[c]) / sqrt(runningVar[c] + epsilon)</c> and the sums over batch and spatial positions.
        /// </summary>
        /// <param name="dy">Gradient with respect to the output, [batch, channels, spatial].</param>
        /// <param name="x">Inputs of the forward pass, [batch, channels, spatial].</param>
        /// <param name="gamma">Scales, [channels].</param>
        /// <param name="runningMean">Running mean, [channels].</param>
        /// <param name="runningVar">Running variance, [channels].</param>
        /// <param name="dx">Gradient with respect to the input, [batch, channels, spatial]; overwritten.</param>
        /// <param name="dgamma">Scale gradient, [channels]; added to.</param>
        /// <param name="dbeta">Shift gradient, [channels]; added to.</param>
        /// <param name="batch">Number of samples B.</param>
        /// <param name="channels">Number of channels C.</param>
        /// <param name="spatial">Positions per channel S.</param>
        /// <param name="epsilon">The epsilon of the forward pass.</param>
        /// <exception cref="ArgumentOutOfRangeException">A size is negative, or <paramref name="epsilon"/> is negative or not finite.</exception>
        /// <exception cref="ArgumentException">A span's length differs from its shape.</exception>
        public static void BatchNormEvalBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> gamma,
            ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, Span<float> dx, Span<float> dgamma, Span<float> dbeta,
            int batch, int channels, int spatial, float epsilon)
        {
            RequireBatchNormSizes(batch, channels, spatial);
            RequireEpsilon(epsilon);
            RequireTensorLength(dy.Length, batch, channels, spatial, nameof(dy));
            RequireTensorLength(x.Length, batch, channels, spatial, nameof(x));
            KernelArguments.RequireLength(gamma.Length, channels, nameof(gamma), nameof(channels));
            KernelArguments.RequireLength(runningMean.Length, channels, nameof(runningMean), nameof(channels));
            KernelArguments.RequireLength(runningVar.Length, channels, nameof(runningVar), nameof(channels));
            RequireTensorLength(dx.Length, batch, channels, spatial, nameof(dx));
            KernelArguments.RequireLength(dgamma.Length, channels, nameof(dgamma), nameof(channels));
            KernelArguments.RequireLength(dbeta.Length, channels, nameof(dbeta), nameof(channels));

            if (UsesDensePath(batch, channels, spatial))
            {
                BatchNormEvalBackwardDense(dy, x, gamma, runningMean, runningVar, dx, dgamma, dbeta, batch, channels, epsilon);
                return;
            }

            int batchStride = channels * spatial;
            for (int c = 0; c < channels; c++)
            {
                double invStd = 1 / Math.Sqrt((double)runningVar[c] + epsilon);
                float scale = (float)(gamma[c] * invStd);
                double gradientSum = 0;
                double projection = 0;
                for (int b = 0; b < batch; b++)
                {
                    int start = b * batchStride + c * spatial;
                    ReadOnlySpan<float> dyRow = dy.Slice(start, spatial);
                    Span<float> dxRow = dx.Slice(start, spatial);

                    // dx contains x − runningMean until the dot product with dy has read it.
                    MultiplyAdd(x.Slice(start, spatial), 1f, -runningMean[c], dxRow);
                    if (spatial >= VectorRowThreshold)
                    {
                        gradientSum += Sum(dyRow);
                        projection += Dot(dyRow, dxRow);
                    }
                    else
                    {
                        for (int s = 0; s < spatial; s++)
                        {
                            gradientSum += dyRow[s];
                            projection += (double)dyRow[s] * dxRow[s];
                        }
                    }

                    TensorPrimitives.Multiply(dyRow, scale, dxRow);
                }

                dbeta[c] += (float)gradientSum;
                dgamma[c] += (float)(projection * invStd);
            }
        }
    }
}
