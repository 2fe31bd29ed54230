using System;
using System.Diagnostics.CodeAnalysis;
using System.Numerics.Tensors;

namespace NetGen.Kernels
{
    public static partial class NormKernels
    {
        /// <summary>
        /// Computes batch normalisation in training mode, as torch.nn.BatchNorm1d/2d:
        /// <c>y = gamma[c]·xhat + beta[c]</c> with <c>xhat = (x − mean[c]) / sqrt(var[c] + epsilon)</c>,
        /// where mean and the biased variance var are taken per channel over the batch and the
        /// spatial positions, n = B·S values.
        /// </summary>
        /// <param name="x">Inputs, [batch, channels, spatial].</param>
        /// <param name="gamma">Scales, [channels].</param>
        /// <param name="beta">Shifts, [channels].</param>
        /// <param name="y">Outputs, [batch, channels, spatial]; overwritten.</param>
        /// <param name="xhat">Normalised inputs for the backward pass, [batch, channels, spatial]; overwritten.</param>
        /// <param name="mean">Batch mean per channel, [channels]; overwritten.</param>
        /// <param name="invStd">1 / sqrt(biased batch variance + epsilon) per channel, [channels]; overwritten.</param>
        /// <param name="batch">Number of samples B.</param>
        /// <param name="channels">Number of channels C.</param>
        /// <param name="spatial">Positions per channel S.</param>
        /// <param name="epsilon">Added to the variance, finite and zero or positive; torch uses 1e-5.</param>
        /// <exception cref="ArgumentOutOfRangeException">
        /// A size is negative, B·S is below 2 (torch rejects one value per channel in training as well), or
        /// <paramref name="epsilon"/> is negative or not finite.
        /// </exception>
        /// <exception cref="ArgumentException">A span's length differs from its shape.</exception>
        public static void BatchNormTrainForward(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
            Span<float> y, Span<float> xhat, Span<float> mean, Span<float> invStd, int batch, int channels, int spatial, float epsilon)
        {
            RequireTrainForwardArguments(x, gamma, beta, y, xhat, mean, invStd, batch, channels, spatial, epsilon);
            if (UsesDensePath(batch, channels, spatial))
            {
                BatchNormTrainForwardDense(x, gamma, beta, y, xhat, mean, invStd, batch, channels, epsilon);
                return;
            }

            BatchNormTrainForwardRows(x, gamma, beta, y, xhat, mean, invStd, batch, channels, spatial, epsilon, relu: false);
        }

        private static void RequireTrainForwardArguments(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
            Span<float> y, Span<float> xhat, Span<float> mean, Span<float> invStd, int batch, int channels, int spatial, float epsilon)
        {
            RequireBatchNormSizes(batch, channels, spatial);
            RequireTrainingCount(batch, spatial);
            RequireEpsilon(epsilon);
            RequireTensorLength(x.Length, batch, channels, spatial, nameof(x));
            KernelArguments.RequireLength(gamma.Length, channels, nameof(gamma), nameof(channels));
            KernelArguments.RequireLength(beta.Length, channels, nameof(beta), nameof(channels));
            RequireTensorLength(y.Length, batch, channels, spatial, nameof(y));
            RequireTensorLength(xhat.Length, batch, channels, spatial, nameof(xhat));
            KernelArguments.RequireLength(mean.Length, channels, nameof(mean), nameof(channels));
            KernelArguments.RequireLength(invStd.Length, channels, nameof(invStd), nameof(channels));
        }

        /// <summary>
        /// Updates the running statistics after a training forward pass, as torch.nn.BatchNorm1d/2d
        /// does with <c>momentum</c>: <c>running = (1 − momentum)·running + momentum·batchStatistic</c>,
        /// using the batch mean and the unbiased batch variance <c>var·n/(n − 1)</c>.
        /// </summary>
        /// <remarks>
        /// The biased variance is recovered from <paramref name="invStd"/> as <c>1/invStd² − epsilon</c>
        /// in double and clamped at 0, so pass the <paramref name="epsilon"/> that the forward pass
        /// used. For a variance far below epsilon the recovered value carries the float rounding of
        /// invStd, about 1e-7·epsilon.
        /// </remarks>
        /// <param name="mean">Batch mean per channel from <see cref="BatchNormTrainForward"/>, [C].</param>
        /// <param name="invStd">1 / sqrt(biased batch variance + epsilon) from <see cref="BatchNormTrainForward"/>, [C].</param>
        /// <param name="runningMean">Running mean, [C]; updated in place.</param>
        /// <param name="runningVar">Running unbiased variance, [C]; updated in place.</param>
        /// <param name="count">Values per channel that the statistics came from, n = B·S, at least 2.</param>
        /// <param name="momentum">Weight of the new batch, from 0 to 1; torch uses 0.1.</param>
        /// <param name="epsilon">The epsilon of the forward pass.</param>
        /// <exception cref="ArgumentOutOfRangeException">
        /// <paramref name="count"/> is below 2 (the unbiased variance divides by n − 1), or
        /// <paramref name="momentum"/> or <paramref name="epsilon"/> is out of range.
        /// </exception>
        /// <exception cref="ArgumentException">The spans differ in length.</exception>
        public static void UpdateRunningStatistics(ReadOnlySpan<float> mean, ReadOnlySpan<float> invStd, Span<float> runningMean,
            Span<float> runningVar, int count, float momentum, float epsilon)
        {
            if (count < 2)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(count),
                    count,
                    $"The unbiased variance divides by count − 1, so 'count' (batch × spatial) must be at least 2, but it is {count}. torch rejects a training batch with one value per channel for the same reason.");
            }

            if (!(momentum >= 0 && momentum <= 1))
            {
                throw new ArgumentOutOfRangeException(nameof(momentum), momentum, $"'momentum' must be from 0 to 1, but it is {momentum}. torch uses 0.1.");
            }

            RequireEpsilon(epsilon);
            KernelArguments.RequireSameLength(invStd.Length, mean.Length, nameof(invStd), nameof(mean));
            KernelArguments.RequireSameLength(runningMean.Length, mean.Length, nameof(runningMean), nameof(mean));
            KernelArguments.RequireSameLength(runningVar.Length, mean.Length, nameof(runningVar), nameof(mean));

            double keep = 1 - (double)momentum;
            double unbiasing = count / (count - 1.0);
            for (int c = 0; c < mean.Length; c++)
            {
                double scale = invStd[c];
                double variance = Math.Max(1 / (scale * scale) - epsilon, 0);
                runningMean[c] = (float)(keep * runningMean[c] + momentum * (double)mean[c]);
                runningVar[c] = (float)(keep * runningVar[c] + momentum * variance * unbiasing);
            }
        }

        /// <summary>
        /// Computes the gradients of <see cref="BatchNormTrainForward"/>, whose statistics depend on
        /// the batch: <c>dx = gamma·invStd/n · (n·dy − Σdy − xhat·Σ(dy·xhat))</c> with the sums over the
        /// channel's n = B·S values, <c>dgamma[c] += Σ dy·xhat</c> and <c>dbeta[c] += Σ dy</c>.
        /// It differentiates <c>y = gamma·(x − mean)·invStd + beta</c> with mean and invStd functions of x.
        /// </summary>
        /// <param name="dy">Gradient with respect to the output, [batch, channels, spatial].</param>
        /// <param name="xhat">Normalised inputs from the forward pass, [batch, channels, spatial].</param>
        /// <param name="gamma">Scales, [channels].</param>
        /// <param name="invStd">invStd from the forward pass, [channels].</param>
        /// <param name="dx">Gradient with respect to the input, [batch, channels, spatial]; overwritten.</param>
        /// <param name="dgamma">Scale gradient, [channels]; added to.</param>
        /// <param name="dbeta">Shift gradient, [channels]; added to.</param>
        /// <param name="batch">Number of samples B.</param>
        /// <param name="channels">Number of channels C.</param>
        /// <param name="spatial">Positions per channel S.</param>
        /// <exception cref="ArgumentOutOfRangeException">A size is negative, or B·S is below 2.</exception>
        /// <exception cref="ArgumentException">A span's length differs from its shape.</exception>
        public static void BatchNormBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> xhat, ReadOnlySpan<float> gamma,
            ReadOnlySpan<float> invStd, Span<float> dx, Span<float> dgamma, Span<float> dbeta, int batch, int channels, int spatial)
        {
            RequireBackwardArguments(dy, xhat, gamma, invStd, dx, dgamma, dbeta, batch, channels, spatial);
            if (UsesDensePath(batch, channels, spatial))
            {
                BatchNormBackwardDense(dy, xhat, gamma, invStd, dx, dgamma, dbeta, batch, channels);
                return;
            }

            BatchNormBackwardRows(dy, xhat, gamma, default, invStd, dx, dgamma, dbeta, batch, channels, spatial, relu: false);
        }

        private static void RequireBackwardArguments(ReadOnlySpan<float> dy, ReadOnlySpan<float> xhat, ReadOnlySpan<float> gamma,
            ReadOnlySpan<float> invStd, Span<float> dx, Span<float> dgamma, Span<float> dbeta, int batch, int channels, int spatial)
        {
            RequireBatchNormSizes(batch, channels, spatial);
            RequireTrainingCount(batch, spatial);
            RequireTensorLength(dy.Length, batch, channels, spatial, nameof(dy));
            RequireTensorLength(xhat.Length, batch, channels, spatial, nameof(xhat));
            KernelArguments.RequireLength(gamma.Length, channels, nameof(gamma), nameof(channels));
            KernelArguments.RequireLength(invStd.Length, channels, nameof(invStd), nameof(channels));
            RequireTensorLength(dx.Length, batch, channels, spatial, nameof(dx));
            KernelArguments.RequireLength(dgamma.Length, channels, nameof(dgamma), nameof(channels));
            KernelArguments.RequireLength(dbeta.Length, channels, nameof(dbeta), nameof(channels));
        }

        private static void RequireBatchNormSizes(int batch, int channels, int spatial)
        {
            KernelArguments.RequireSize(batch);
            KernelArguments.RequireSize(channels);
            KernelArguments.RequireSize(spatial);
        }

        private static void RequireTrainingCount(int batch, int spatial)
        {
            if ((long)batch * spatial < 2)
            {
                ThrowTooFewValues(batch, spatial);
            }
        }

        [DoesNotReturn]
        private static void ThrowTooFewValues(int batch, int spatial) =>
            throw new ArgumentOutOfRangeException(
                nameof(batch),
                batch,
                $"Batch normalisation in training needs at least 2 values per channel, but batch {batch} × spatial {spatial} = {(long)batch * spatial}. torch rejects this case too. Use a larger batch, or the evaluation kernels with the running statistics.");
    }
}
