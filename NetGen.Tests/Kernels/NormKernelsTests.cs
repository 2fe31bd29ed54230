using System;
using NetGen.Kernels;

namespace NetGen.Tests.Kernels
{
    public class NormKernelsTests
    {
        /// <summary>
        /// Allowed error of a forward value, relative and absolute: the kernels keep statistics in
        /// double and round each output a few times in fp32 (2⁻²⁴ ≈ 6e-8 each) on values of order 1 to 10.
        /// </summary>
        private const double ForwardTolerance = 1e-5;

        /// <summary>
        /// Allowed error of a gradient against central differences of the double reference,
        /// relative to the largest gradient: the kernels round in fp32, and the differences err by
        /// about h² with h = 1e-6.
        /// </summary>
        private const double GradientTolerance = 1e-4;

        private const double Step = 1e-6;

        private const float Epsilon = 1e-5f;

        /// <summary>
        /// Batch, channels, spatial: dense features (S = 1) on the dense path and, with more than
        /// 1024 channels, on the per-channel path; short rows summed in scalar loops; rows of 16 and more summed in vectors.
        /// </summary>
        public static readonly TheoryData<int, int, int> BatchNormShapes = new()
        {
            { 2, 3, 1 },
            { 8, 5, 1 },
            { 3, 1030, 1 },
            { 3, 2, 7 },
            { 2, 3, 20 },
            { 4, 2, 64 },
            { 1, 3, 17 },
            { 2, 1, 4100 },
        };

        /// <summary>Shapes small enough for central differences over every input.</summary>
        public static readonly TheoryData<int, int, int> BatchNormGradientShapes = new()
        {
            { 2, 3, 1 },
            { 3, 17, 1 },
            { 2, 1025, 1 },
            { 4, 2, 3 },
            { 2, 2, 17 },
            { 1, 2, 5 },
        };

        public static readonly TheoryData<int, int> LayerNormShapes = new()
        {
            { 1, 1 },
            { 3, 5 },
            { 2, 16 },
            { 4, 37 },
            { 0, 8 },
            { 2, 5000 },
        };

        [Theory]
        [MemberData(nameof(BatchNormShapes))]
        public void BatchNormTrainForward_MatchesReference(int batch, int channels, int spatial)
        {
            float[] x = Values(batch * channels * spatial, seed: spatial, offset: 0.3f, scale: 2f);
            CheckBatchNormTrainForward(x, batch, channels, spatial);
        }

        [Theory]
        [InlineData(16, 3, 1)]
        [InlineData(16, 1030, 1)]
        [InlineData(4, 2, 50)]
        [InlineData(5, 3, 3)]
        public void BatchNormTrainForward_LargeOffset_KeepsVariance(int batch, int channels, int spatial)
        {
            // 1000 + uniform noise of ±0.01: E[x²] − E[x]² in fp32 would lose every digit of the variance, about 3e-5.
            float[] x = Values(batch * channels * spatial, seed: 4, offset: 1000f, scale: 0.01f);
            CheckBatchNormTrainForward(x, batch, channels, spatial);
        }

        [Fact]
        public void BatchNormTrainForward_OneValuePerChannel_Throws()
        {
            var exception = Assert.Throws<ArgumentOutOfRangeException>(() => NormKernels.BatchNormTrainForward(
                new float[3], new float[3], new float[3], new float[3], new float[3], new float[3], new float[3], 1, 3, 1, Epsilon));

            Assert.Equal("batch", exception.ParamName);
            Assert.Contains("at least 2 values per channel", exception.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void UpdateRunningStatistics_FollowsTorchFormula()
        {
            // torch.nn.BatchNorm2d starts with running_mean = 0 and running_var = 1, uses momentum 0.1,
            // and updates with the unbiased variance var·n/(n − 1).
            const int batch = 3, channels = 4, spatial = 5;
            const float momentum = 0.1f;
            int count = batch * spatial;
            var runningMean = new float[channels];
            var runningVar = new float[] { 1, 1, 1, 1 };
            var expectedMean = new double[channels];
            var expectedVar = new double[] { 1, 1, 1, 1 };

            for (int step = 0; step < 3; step++)
            {
                float[] x = Values(batch * channels * spatial, seed: 30 + step, offset: step, scale: 1.5f);
                var buffers = new BatchNormBuffers(batch, channels, spatial);
                NormKernels.BatchNormTrainForward(x, buffers.Gamma, buffers.Beta, buffers.Y, buffers.Xhat, buffers.Mean, buffers.InvStd, batch, channels, spatial, Epsilon);
                NormKernels.UpdateRunningStatistics(buffers.Mean, buffers.InvStd, runningMean, runningVar, count, momentum, Epsilon);

                var reference = ReferenceBatchNorm(Widen(x), Widen(buffers.Gamma), Widen(buffers.Beta), batch, channels, spatial, Epsilon);
                for (int c = 0; c < channels; c++)
                {
                    expectedMean[c] = (1 - 0.1) * expectedMean[c] + 0.1 * reference.Mean[c];
                    expectedVar[c] = (1 - 0.1) * expectedVar[c] + 0.1 * reference.Variance[c] * count / (count - 1);
                    ReferenceMath.AssertNear(expectedMean[c], runningMean[c], ForwardTolerance, ForwardTolerance, $"step {step} runningMean[{c}]");
                    ReferenceMath.AssertNear(expectedVar[c], runningVar[c], ForwardTolerance, ForwardTolerance, $"step {step} runningVar[{c}]");
                }
            }
        }

        [Theory]
        [InlineData(1, 0.1f, 1e-5f, "count")]
        [InlineData(2, 1.5f, 1e-5f, "momentum")]
        [InlineData(2, float.NaN, 1e-5f, "momentum")]
        [InlineData(2, 0.1f, -1f, "epsilon")]
        [InlineData(2, 0.1f, float.PositiveInfinity, "epsilon")]
        public void UpdateRunningStatistics_InvalidArgument_Throws(int count, float momentum, float epsilon, string parameter)
        {
            var exception = Assert.Throws<ArgumentOutOfRangeException>(() => NormKernels.UpdateRunningStatistics(
                new float[2], new float[2], new float[2], new float[2], count, momentum, epsilon));
            Assert.Equal(parameter, exception.ParamName);
        }

        [Theory]
        [MemberData(nameof(BatchNormGradientShapes))]
        public void BatchNormBackward_MatchesFiniteDifferences(int batch, int channels, int spatial)
        {
            int length = batch * channels * spatial;
            float[] x = Values(length, seed: 40, offset: 0.5f, scale: 2f);
            float[] gamma = Values(channels, seed: 41, offset: 1f, scale: 0.5f);
            float[] beta = Values(channels, seed: 42, offset: 0f, scale: 1f);
            float[] dy = Values(length, seed: 43, offset: 0f, scale: 1f);
            var y = new float[length];
            var xhat = new float[length];
            var mean = new float[channels];
            var invStd = new float[channels];
            var dx = new GuardedBuffer(length);
            dx.Span.Fill(123f);
            float[] dgamma = Values(channels, seed: 44, offset: 0f, scale: 1f);
            float[] dbeta = Values(channels, seed: 45, offset: 0f, scale: 1f);
            double[] dgammaBefore = Widen(dgamma);
            double[] dbetaBefore = Widen(dbeta);

            NormKernels.BatchNormTrainForward(x, gamma, beta, y, xhat, mean, invStd, batch, channels, spatial, Epsilon);
            NormKernels.BatchNormBackward(dy, xhat, gamma, invStd, dx.Span, dgamma, dbeta, batch, channels, spatial);

            double[] xValues = Widen(x), gammaValues = Widen(gamma), betaValues = Widen(beta), weights = Widen(dy);
            double Loss() => WeightedSum(ReferenceBatchNorm(xValues, gammaValues, betaValues, batch, channels, spatial, Epsilon).Y, weights);
            PoolKernelsTests.AssertGradient(Gradient(xValues, Loss), dx.ToArray(), "dx");
            PoolKernelsTests.AssertGradient(Add(dgammaBefore, Gradient(gammaValues, Loss)), dgamma, "dgamma");
            PoolKernelsTests.AssertGradient(Add(dbetaBefore, Gradient(betaValues, Loss)), dbeta, "dbeta");
            dx.AssertGuardsIntact();
        }

        [Theory]
        [MemberData(nameof(BatchNormShapes))]
        public void BatchNormEvalForward_MatchesReference(int batch, int channels, int spatial)
        {
            int length = batch * channels * spatial;
            float[] x = Values(length, seed: 50, offset: 1000f, scale: 0.5f);
            float[] gamma = Values(channels, seed: 51, offset: 1f, scale: 0.5f);
            float[] beta = Values(channels, seed: 52, offset: 0f, scale: 1f);
            float[] runningMean = Values(channels, seed: 53, offset: 1000f, scale: 0.1f);
            float[] runningVar = Values(channels, seed: 54, offset: 0.3f, scale: 0.2f);
            var y = new GuardedBuffer(length);

            NormKernels.BatchNormEvalForward(x, gamma, beta, runningMean, runningVar, y.Span, batch, channels, spatial, Epsilon);

            double[] expected = ReferenceBatchNormEval(Widen(x), Widen(gamma), Widen(beta), Widen(runningMean), Widen(runningVar), batch, channels, spatial, Epsilon);
            for (int i = 0; i < length; i++)
            {
                ReferenceMath.AssertNear(expected[i], y[i], ForwardTolerance, ForwardTolerance, $"y[{i}]");
            }

            y.AssertGuardsIntact();
        }

        [Theory]
        [MemberData(nameof(BatchNormGradientShapes))]
        public void BatchNormEvalBackward_MatchesFiniteDifferences(int batch, int channels, int spatial)
        {
            int length = batch * channels * spatial;
            float[] x = Values(length, seed: 60, offset: 0.5f, scale: 2f);
            float[] gamma = Values(channels, seed: 61, offset: 1f, scale: 0.5f);
            float[] beta = Values(channels, seed: 62, offset: 0f, scale: 1f);
            float[] runningMean = Values(channels, seed: 63, offset: 0.2f, scale: 0.5f);
            float[] runningVar = Values(channels, seed: 64, offset: 1f, scale: 0.5f);
            float[] dy = Values(length, seed: 65, offset: 0f, scale: 1f);
            var dx = new GuardedBuffer(length);
            dx.Span.Fill(123f);
            float[] dgamma = Values(channels, seed: 66, offset: 0f, scale: 1f);
            float[] dbeta = Values(channels, seed: 67, offset: 0f, scale: 1f);
            double[] dgammaBefore = Widen(dgamma);
            double[] dbetaBefore = Widen(dbeta);

            NormKernels.BatchNormEvalBackward(dy, x, gamma, runningMean, runningVar, dx.Span, dgamma, dbeta, batch, channels, spatial, Epsilon);

            double[] xValues = Widen(x), gammaValues = Widen(gamma), betaValues = Widen(beta), weights = Widen(dy);
            double Loss() => WeightedSum(ReferenceBatchNormEval(xValues, gammaValues, betaValues, Widen(runningMean), Widen(runningVar), batch, channels, spatial, Epsilon), weights);
            PoolKernelsTests.AssertGradient(Gradient(xValues, Loss), dx.ToArray(), "dx");
            PoolKernelsTests.AssertGradient(Add(dgammaBefore, Gradient(gammaValues, Loss)), dgamma, "dgamma");
            PoolKernelsTests.AssertGradient(Add(dbetaBefore, Gradient(betaValues, Loss)), dbeta, "dbeta");
            dx.AssertGuardsIntact();
        }

        [Theory]
        [MemberData(nameof(LayerNormShapes))]
        public void LayerNormForward_MatchesReference(int batch, int features)
        {
            float[] x = Values(batch * features, seed: features, offset: -0.4f, scale: 3f);
            CheckLayerNormForward(x, batch, features);
        }

        [Fact]
        public void LayerNormForward_LargeOffset_KeepsVariance()
        {
            float[] x = Values(4 * 300, seed: 70, offset: 1000f, scale: 0.01f);
            CheckLayerNormForward(x, 4, 300);
        }

        [Theory]
        [InlineData(1, 1)]
        [InlineData(2, 5)]
        [InlineData(3, 19)]
        public void LayerNormBackward_MatchesFiniteDifferences(int batch, int features)
        {
            int length = batch * features;
            float[] x = Values(length, seed: 80, offset: 0.5f, scale: 2f);
            float[] gamma = Values(features, seed: 81, offset: 1f, scale: 0.5f);
            float[] beta = Values(features, seed: 82, offset: 0f, scale: 1f);
            float[] dy = Values(length, seed: 83, offset: 0f, scale: 1f);
            var y = new float[length];
            var xhat = new float[length];
            var invStd = new float[batch];
            var dx = new GuardedBuffer(length);
            dx.Span.Fill(123f);
            float[] dgamma = Values(features, seed: 84, offset: 0f, scale: 1f);
            float[] dbeta = Values(features, seed: 85, offset: 0f, scale: 1f);
            double[] dgammaBefore = Widen(dgamma);
            double[] dbetaBefore = Widen(dbeta);

            NormKernels.LayerNormForward(x, gamma, beta, y, xhat, invStd, batch, features, Epsilon);
            NormKernels.LayerNormBackward(dy, xhat, gamma, invStd, dx.Span, dgamma, dbeta, batch, features);

            double[] xValues = Widen(x), gammaValues = Widen(gamma), betaValues = Widen(beta), weights = Widen(dy);
            double Loss() => WeightedSum(ReferenceLayerNorm(xValues, gammaValues, betaValues, batch, features, Epsilon).Y, weights);
            PoolKernelsTests.AssertGradient(Gradient(xValues, Loss), dx.ToArray(), "dx");
            PoolKernelsTests.AssertGradient(Add(dgammaBefore, Gradient(gammaValues, Loss)), dgamma, "dgamma");
            PoolKernelsTests.AssertGradient(Add(dbetaBefore, Gradient(betaValues, Loss)), dbeta, "dbeta");
            dx.AssertGuardsIntact();
        }

        [Fact]
        public void Kernels_WrongLengths_Throw()
        {
            const int batch = 2, channels = 3, spatial = 4;
            var t = new float[batch * channels * spatial];
            var c = new float[channels];

            AssertLengthError("x", () => NormKernels.BatchNormTrainForward(t.AsSpan(1), c, c, t, t, c, c, batch, channels, spatial, Epsilon));
            AssertLengthError("gamma", () => NormKernels.BatchNormTrainForward(t, c.AsSpan(1), c, t, t, c, c, batch, channels, spatial, Epsilon));
            AssertLengthError("xhat", () => NormKernels.BatchNormTrainForward(t, c, c, t, t.AsSpan(1), c, c, batch, channels, spatial, Epsilon));
            AssertLengthError("invStd", () => NormKernels.BatchNormTrainForward(t, c, c, t, t, c, c.AsSpan(1), batch, channels, spatial, Epsilon));
            AssertLengthError("runningVar", () => NormKernels.UpdateRunningStatistics(c, c, c, c.AsSpan(1), 8, 0.1f, Epsilon));
            AssertLengthError("dx", () => NormKernels.BatchNormBackward(t, t, c, c, t.AsSpan(1), c, c, batch, channels, spatial));
            AssertLengthError("dbeta", () => NormKernels.BatchNormBackward(t, t, c, c, t, c, c.AsSpan(1), batch, channels, spatial));
            AssertLengthError("runningMean", () => NormKernels.BatchNormEvalForward(t, c, c, c.AsSpan(1), c, t, batch, channels, spatial, Epsilon));
            AssertLengthError("y", () => NormKernels.BatchNormEvalForward(t, c, c, c, c, t.AsSpan(1), batch, channels, spatial, Epsilon));
            AssertLengthError("dgamma", () => NormKernels.BatchNormEvalBackward(t, t, c, c, c, t, c.AsSpan(1), c, batch, channels, spatial, Epsilon));
            AssertLengthError("invStd", () => NormKernels.LayerNormForward(t, new float[12], new float[12], t, t, new float[3], batch, 12, Epsilon));
            AssertLengthError("gamma", () => NormKernels.LayerNormBackward(t, t, new float[11], new float[2], t, new float[12], new float[12], batch, 12));
        }

        [Fact]
        public void Kernels_InvalidEpsilonOrFeatures_Throw()
        {
            var t = new float[8];
            var c = new float[2];

            Assert.Throws<ArgumentOutOfRangeException>("epsilon", () => NormKernels.BatchNormTrainForward(t, c, c, t, t, c, c, 2, 2, 2, float.NaN));
            Assert.Throws<ArgumentOutOfRangeException>("epsilon", () => NormKernels.BatchNormEvalForward(t, c, c, c, c, t, 2, 2, 2, -1e-5f));
            Assert.Throws<ArgumentOutOfRangeException>("features", () => NormKernels.LayerNormForward(t, c, c, t, t, c, 2, 0, Epsilon));
            Assert.Throws<ArgumentOutOfRangeException>("channels", () => NormKernels.BatchNormEvalForward(t, c, c, c, c, t, 2, -2, 2, Epsilon));
        }

        [Theory]
        [InlineData(3, 20)]
        [InlineData(12, 1)]
        public void Kernels_AllocateNothing(int channels, int spatial)
        {
            const int batch = 4;
            int features = channels * spatial;
            int length = batch * features;
            float[] x = Values(length, seed: 1, offset: 0f, scale: 1f);
            var buffers = new BatchNormBuffers(batch, channels, spatial);
            var dx = new float[length];
            var runningMean = new float[channels];
            var runningVar = new float[channels];
            var layerGamma = new float[features];
            var layerBeta = new float[features];
            var layerInvStd = new float[batch];
            RunAll();

            Assert.Equal(0, SteadyAllocation.MedianBytes(() =>
            {
                RunAll();
            }));

            void RunAll()
            {
                NormKernels.BatchNormTrainForward(x, buffers.Gamma, buffers.Beta, buffers.Y, buffers.Xhat, buffers.Mean, buffers.InvStd, batch, channels, spatial, Epsilon);
                NormKernels.UpdateRunningStatistics(buffers.Mean, buffers.InvStd, runningMean, runningVar, batch * spatial, 0.1f, Epsilon);
                NormKernels.BatchNormBackward(buffers.Y, buffers.Xhat, buffers.Gamma, buffers.InvStd, dx, buffers.Mean, buffers.InvStd, batch, channels, spatial);
                NormKernels.BatchNormEvalForward(x, buffers.Gamma, buffers.Beta, runningMean, runningVar, buffers.Y, batch, channels, spatial, Epsilon);
                NormKernels.BatchNormEvalBackward(buffers.Y, x, buffers.Gamma, runningMean, runningVar, dx, buffers.Mean, buffers.InvStd, batch, channels, spatial, Epsilon);
                NormKernels.LayerNormForward(x, layerGamma, layerBeta, buffers.Y, buffers.Xhat, layerInvStd, batch, features, Epsilon);
                NormKernels.LayerNormBackward(buffers.Y, buffers.Xhat, layerGamma, layerInvStd, dx, layerGamma, layerBeta, batch, features);
            }
        }

        private static void CheckBatchNormTrainForward(float[] x, int batch, int channels, int spatial)
        {
            var buffers = new BatchNormBuffers(batch, channels, spatial);
            var y = new GuardedBuffer(x.Length);
            var xhat = new GuardedBuffer(x.Length);

            NormKernels.BatchNormTrainForward(x, buffers.Gamma, buffers.Beta, y.Span, xhat.Span, buffers.Mean, buffers.InvStd, batch, channels, spatial, Epsilon);

            var reference = ReferenceBatchNorm(Widen(x), Widen(buffers.Gamma), Widen(buffers.Beta), batch, channels, spatial, Epsilon);
            for (int c = 0; c < channels; c++)
            {
                // The deviations from the first estimate round in fp32 relative to the inputs (up to about 3 here), so the mean gets an absolute margin.
                ReferenceMath.AssertNear(reference.Mean[c], buffers.Mean[c], 1e-7, 1e-6, $"mean[{c}]");
                ReferenceMath.AssertNear(1 / Math.Sqrt(reference.Variance[c] + Epsilon), buffers.InvStd[c], ForwardTolerance, 0, $"invStd[{c}]");
            }

            for (int i = 0; i < x.Length; i++)
            {
                ReferenceMath.AssertNear(reference.Xhat[i], xhat[i], ForwardTolerance, ForwardTolerance, $"xhat[{i}]");
                ReferenceMath.AssertNear(reference.Y[i], y[i], ForwardTolerance, ForwardTolerance, $"y[{i}]");
            }

            y.AssertGuardsIntact();
            xhat.AssertGuardsIntact();
        }

        private static void CheckLayerNormForward(float[] x, int batch, int features)
        {
            float[] gamma = Values(features, seed: 90, offset: 1f, scale: 0.5f);
            float[] beta = Values(features, seed: 91, offset: 0f, scale: 1f);
            var y = new GuardedBuffer(x.Length);
            var xhat = new GuardedBuffer(x.Length);
            var invStd = new GuardedBuffer(batch);

            NormKernels.LayerNormForward(x, gamma, beta, y.Span, xhat.Span, invStd.Span, batch, features, Epsilon);

            var reference = ReferenceLayerNorm(Widen(x), Widen(gamma), Widen(beta), batch, features, Epsilon);
            for (int b = 0; b < batch; b++)
            {
                ReferenceMath.AssertNear(reference.InvStd[b], invStd[b], ForwardTolerance, 0, $"invStd[{b}]");
            }

            for (int i = 0; i < x.Length; i++)
            {
                ReferenceMath.AssertNear(reference.Xhat[i], xhat[i], ForwardTolerance, ForwardTolerance, $"xhat[{i}]");
                ReferenceMath.AssertNear(reference.Y[i], y[i], ForwardTolerance, ForwardTolerance, $"y[{i}]");
            }

            y.AssertGuardsIntact();
            xhat.AssertGuardsIntact();
            invStd.AssertGuardsIntact();
        }

        private static void AssertLengthError(string parameter, Action call)
        {
            var exception = Assert.Throws<ArgumentException>(call);
            Assert.Equal(parameter, exception.ParamName);
            Assert.Contains($"'{parameter}' must have exactly", exception.Message, StringComparison.Ordinal);
        }

        /// <summary>Returns offset + scale·u with u uniform in [−1, 1) from a fixed seed.</summary>
        internal static float[] Values(int length, int seed, float offset, float scale)
        {
            float[] values = TestValues.Uniform(length, seed, scale);
            for (int i = 0; i < length; i++)
            {
                values[i] += offset;
            }

            return values;
        }

        internal static double[] Widen(float[] values) => Array.ConvertAll(values, value => (double)value);

        internal static double[] Add(double[] left, double[] right)
        {
            var sum = new double[left.Length];
            for (int i = 0; i < sum.Length; i++)
            {
                sum[i] = left[i] + right[i];
            }

            return sum;
        }

        internal static double WeightedSum(double[] values, double[] weights)
        {
            double sum = 0;
            for (int i = 0; i < values.Length; i++)
            {
                sum += values[i] * weights[i];
            }

            return sum;
        }

        /// <summary>Returns ∂loss/∂values by central differences, perturbing <paramref name="values"/> in place and restoring it.</summary>
        internal static double[] Gradient(double[] values, Func<double> loss)
        {
            var gradient = new double[values.Length];
            for (int i = 0; i < values.Length; i++)
            {
                double saved = values[i];
                values[i] = saved + Step;
                double above = loss();
                values[i] = saved - Step;
                double below = loss();
                values[i] = saved;
                gradient[i] = (above - below) / (2 * Step);
            }

            return gradient;
        }

        /// <summary>
        /// Batch normalisation in training mode in double, as torch.nn.BatchNorm2d documents it:
        /// per channel, the mean and the biased variance over batch and spatial positions.
        /// </summary>
        internal static (double[] Y, double[] Xhat, double[] Mean, double[] Variance) ReferenceBatchNorm(
            double[] x, double[] gamma, double[] beta, int batch, int channels, int spatial, double epsilon)
        {
            var y = new double[x.Length];
            var xhat = new double[x.Length];
            var mean = new double[channels];
            var variance = new double[channels];
            int count = batch * spatial;
            for (int c = 0; c < channels; c++)
            {
                for (int b = 0; b < batch; b++)
                {
                    for (int s = 0; s < spatial; s++)
                    {
                        mean[c] += x[(b * channels + c) * spatial + s] / count;
                    }
                }

                for (int b = 0; b < batch; b++)
                {
                    for (int s = 0; s < spatial; s++)
                    {
                        double deviation = x[(b * channels + c) * spatial + s] - mean[c];
                        variance[c] += deviation * deviation / count;
                    }
                }

                for (int b = 0; b < batch; b++)
                {
                    for (int s = 0; s < spatial; s++)
                    {
                        int i = (b * channels + c) * spatial + s;
                        xhat[i] = (x[i] - mean[c]) / Math.Sqrt(variance[c] + epsilon);
                        y[i] = gamma[c] * xhat[i] + beta[c];
                    }
                }
            }

            return (y, xhat, mean, variance);
        }

        private static double[] ReferenceBatchNormEval(double[] x, double[] gamma, double[] beta, double[] runningMean, double[] runningVar,
            int batch, int channels, int spatial, double epsilon)
        {
            var y = new double[x.Length];
            for (int b = 0; b < batch; b++)
            {
                for (int c = 0; c < channels; c++)
                {
                    for (int s = 0; s < spatial; s++)
                    {
                        int i = (b * channels + c) * spatial + s;
                        y[i] = (x[i] - runningMean[c]) / Math.Sqrt(runningVar[c] + epsilon) * gamma[c] + beta[c];
                    }
                }
            }

            return y;
        }

        /// <summary>Layer normalisation in double, as torch.nn.LayerNorm documents it: mean and biased variance per sample.</summary>
        private static (double[] Y, double[] Xhat, double[] InvStd) ReferenceLayerNorm(double[] x, double[] gamma, double[] beta, int batch, int features, double epsilon)
        {
            var y = new double[x.Length];
            var xhat = new double[x.Length];
            var invStd = new double[batch];
            for (int b = 0; b < batch; b++)
            {
                double mean = 0;
                for (int f = 0; f < features; f++)
                {
                    mean += x[b * features + f] / features;
                }

                double variance = 0;
                for (int f = 0; f < features; f++)
                {
                    double deviation = x[b * features + f] - mean;
                    variance += deviation * deviation / features;
                }

                invStd[b] = 1 / Math.Sqrt(variance + epsilon);
                for (int f = 0; f < features; f++)
                {
                    int i = b * features + f;
                    xhat[i] = (x[i] - mean) * invStd[b];
                    y[i] = gamma[f] * xhat[i] + beta[f];
                }
            }

            return (y, xhat, invStd);
        }

        /// <summary>Buffers of one batch-normalisation layer, with gamma and beta drawn from fixed seeds.</summary>
        private sealed class BatchNormBuffers
        {
            public BatchNormBuffers(int batch, int channels, int spatial)
            {
                Gamma = Values(channels, seed: 100, offset: 1f, scale: 0.5f);
                Beta = Values(channels, seed: 101, offset: 0f, scale: 1f);
                Y = new float[batch * channels * spatial];
                Xhat = new float[batch * channels * spatial];
                Mean = new float[channels];
                InvStd = new float[channels];
            }

            public float[] Gamma { get; }

            public float[] Beta { get; }

            public float[] Y { get; }

            public float[] Xhat { get; }

            public float[] Mean { get; }

            public float[] InvStd { get; }
        }
    }
}
