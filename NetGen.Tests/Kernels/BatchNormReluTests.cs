using System;
using NetGen.Kernels;

namespace NetGen.Tests.Kernels
{
    /// <summary>
    /// Batch normalisation with a fused ReLU, under each SIMD width cap, against the double
    /// reference of <see cref="NormKernelsTests"/> followed by max(0, ·) and its central differences.
    /// </summary>
    [Collection(SimdWidthCollection.Name)]
    public class BatchNormReluTests
    {
        /// <summary>Allowed error of a forward value, relative and absolute, as in <see cref="NormKernelsTests"/>.</summary>
        private const double ForwardTolerance = 1e-5;

        private const float Epsilon = 1e-5f;

        /// <summary>Batch, channels, spatial: rows shorter than, equal to and longer than 4, 8 and 16 lanes, and longer than one fp32 chunk.</summary>
        private static readonly (int Batch, int Channels, int Spatial)[] Shapes =
        {
            (3, 2, 1),
            (2, 3, 3),
            (2, 2, 7),
            (3, 2, 15),
            (2, 3, 16),
            (2, 2, 17),
            (2, 2, 33),
            (3, 2, 196),
            (2, 1, 4100),
        };

        /// <summary>Shapes small enough for central differences over every input.</summary>
        private static readonly (int Batch, int Channels, int Spatial)[] GradientShapes =
        {
            (3, 2, 1),
            (2, 2, 5),
            (2, 2, 9),
            (2, 1, 17),
            (1, 2, 33),
        };

        private static readonly int[] WidthCaps = { 512, 256, 128, 0 };

        public static TheoryData<int, int> ShapeCases => Cases(Shapes.Length);

        public static TheoryData<int, int> GradientCases => Cases(GradientShapes.Length);

        [Theory]
        [MemberData(nameof(ShapeCases))]
        public void Forward_MatchesReference(int index, int widthCap)
        {
            (int batch, int channels, int spatial) = Shapes[index];
            int length = batch * channels * spatial;
            float[] x = NormKernelsTests.Values(length, seed: index, offset: 0.3f, scale: 2f);
            float[] gamma = NormKernelsTests.Values(channels, seed: 50 + index, offset: 1f, scale: 0.5f);
            float[] beta = NormKernelsTests.Values(channels, seed: 60 + index, offset: 0f, scale: 1f);
            var y = new GuardedBuffer(length);
            var xhat = new GuardedBuffer(length);
            var mean = new float[channels];
            var invStd = new float[channels];

            WithWidthCap(widthCap, () => NormKernels.BatchNormReluTrainForward(x, gamma, beta, y.Span, xhat.Span, mean, invStd, batch, channels, spatial, Epsilon));

            var reference = NormKernelsTests.ReferenceBatchNorm(NormKernelsTests.Widen(x), NormKernelsTests.Widen(gamma), NormKernelsTests.Widen(beta), batch, channels, spatial, Epsilon);
            for (int c = 0; c < channels; c++)
            {
                ReferenceMath.AssertNear(reference.Mean[c], mean[c], 1e-7, 1e-6, $"mean[{c}]");
                ReferenceMath.AssertNear(1 / Math.Sqrt(reference.Variance[c] + Epsilon), invStd[c], ForwardTolerance, 0, $"invStd[{c}]");
            }

            for (int i = 0; i < length; i++)
            {
                ReferenceMath.AssertNear(reference.Xhat[i], xhat[i], ForwardTolerance, ForwardTolerance, $"xhat[{i}]");
                ReferenceMath.AssertNear(Math.Max(0, reference.Y[i]), y[i], ForwardTolerance, ForwardTolerance, $"y[{i}]");
            }

            y.AssertGuardsIntact();
            xhat.AssertGuardsIntact();
        }

        [Theory]
        [MemberData(nameof(GradientCases))]
        public void Backward_MatchesFiniteDifferences(int index, int widthCap)
        {
            (int batch, int channels, int spatial) = GradientShapes[index];
            int length = batch * channels * spatial;
            float[] x = NormKernelsTests.Values(length, seed: 70 + index, offset: 0.5f, scale: 2f);
            float[] gamma = NormKernelsTests.Values(channels, seed: 71, offset: 1f, scale: 0.5f);
            float[] beta = NormKernelsTests.Values(channels, seed: 72, offset: 0f, scale: 1f);
            float[] dy = NormKernelsTests.Values(length, seed: 73 + index, offset: 0f, scale: 1f);
            var y = new float[length];
            var xhat = new float[length];
            var mean = new float[channels];
            var invStd = new float[channels];
            var dx = new GuardedBuffer(length);
            float[] dgamma = NormKernelsTests.Values(channels, seed: 74, offset: 0f, scale: 1f);
            float[] dbeta = NormKernelsTests.Values(channels, seed: 75, offset: 0f, scale: 1f);
            double[] dgammaBefore = NormKernelsTests.Widen(dgamma);
            double[] dbetaBefore = NormKernelsTests.Widen(dbeta);

            WithWidthCap(widthCap, () =>
            {
                NormKernels.BatchNormReluTrainForward(x, gamma, beta, y, xhat, mean, invStd, batch, channels, spatial, Epsilon);
                NormKernels.BatchNormReluBackward(dy, xhat, gamma, beta, invStd, dx.Span, dgamma, dbeta, batch, channels, spatial);
            });

            double[] xValues = NormKernelsTests.Widen(x), gammaValues = NormKernelsTests.Widen(gamma), betaValues = NormKernelsTests.Widen(beta);
            double[] weights = NormKernelsTests.Widen(dy);
            double Loss()
            {
                double[] outputs = NormKernelsTests.ReferenceBatchNorm(xValues, gammaValues, betaValues, batch, channels, spatial, Epsilon).Y;
                return NormKernelsTests.WeightedSum(Array.ConvertAll(outputs, value => Math.Max(0, value)), weights);
            }

            PoolKernelsTests.AssertGradient(NormKernelsTests.Gradient(xValues, Loss), dx.ToArray(), "dx");
            PoolKernelsTests.AssertGradient(NormKernelsTests.Add(dgammaBefore, NormKernelsTests.Gradient(gammaValues, Loss)), dgamma, "dgamma");
            PoolKernelsTests.AssertGradient(NormKernelsTests.Add(dbetaBefore, NormKernelsTests.Gradient(betaValues, Loss)), dbeta, "dbeta");
            dx.AssertGuardsIntact();
        }

        [Fact]
        public void Forward_NaN_StaysNaN()
        {
            const int batch = 2, channels = 1, spatial = 20;
            float[] x = NormKernelsTests.Values(batch * spatial, seed: 3, offset: 0f, scale: 1f);
            float[] gamma = { 1f };
            float[] beta = { float.NaN };
            var y = new float[x.Length];
            var xhat = new float[x.Length];

            NormKernels.BatchNormReluTrainForward(x, gamma, beta, y, xhat, new float[1], new float[1], batch, channels, spatial, Epsilon);

            Assert.All(y, value => Assert.True(float.IsNaN(value), $"ReLU of NaN gave {value}."));
        }

        [Fact]
        public void Backward_NegativeOutputs_GetZeroGradient()
        {
            // β = −100 makes every output negative, so ReLU passes no gradient and dx, dγ and dβ stay 0.
            const int batch = 2, channels = 1, spatial = 18;
            float[] x = NormKernelsTests.Values(batch * spatial, seed: 4, offset: 0f, scale: 1f);
            float[] gamma = { 1f };
            float[] beta = { -100f };
            float[] dy = NormKernelsTests.Values(x.Length, seed: 5, offset: 0f, scale: 1f);
            var y = new float[x.Length];
            var xhat = new float[x.Length];
            var invStd = new float[1];
            var dx = new float[x.Length];
            var dgamma = new float[1];
            var dbeta = new float[1];

            NormKernels.BatchNormReluTrainForward(x, gamma, beta, y, xhat, new float[1], invStd, batch, channels, spatial, Epsilon);
            NormKernels.BatchNormReluBackward(dy, xhat, gamma, beta, invStd, dx, dgamma, dbeta, batch, channels, spatial);

            Assert.All(y, value => Assert.Equal(0f, value));
            Assert.All(dx, value => Assert.Equal(0f, value));
            Assert.Equal(0f, dgamma[0]);
            Assert.Equal(0f, dbeta[0]);
        }

        [Fact]
        public void Kernels_AllocateNothing()
        {
            const int batch = 4, channels = 3, spatial = 20;
            int length = batch * channels * spatial;
            float[] x = NormKernelsTests.Values(length, seed: 1, offset: 0f, scale: 1f);
            float[] gamma = NormKernelsTests.Values(channels, seed: 2, offset: 1f, scale: 0.5f);
            float[] beta = NormKernelsTests.Values(channels, seed: 3, offset: 0f, scale: 1f);
            var y = new float[length];
            var xhat = new float[length];
            var dx = new float[length];
            var statistics = new float[4 * channels];
            RunBoth();

            Assert.Equal(0, SteadyAllocation.MedianBytes(() =>
            {
                RunBoth();
            }));

            void RunBoth()
            {
                Span<float> mean = statistics.AsSpan(0, channels), invStd = statistics.AsSpan(channels, channels);
                NormKernels.BatchNormReluTrainForward(x, gamma, beta, y, xhat, mean, invStd, batch, channels, spatial, Epsilon);
                NormKernels.BatchNormReluBackward(y, xhat, gamma, beta, invStd, dx, statistics.AsSpan(2 * channels, channels), statistics.AsSpan(3 * channels, channels), batch, channels, spatial);
            }
        }

        private static TheoryData<int, int> Cases(int shapeCount)
        {
            var data = new TheoryData<int, int>();
            for (int index = 0; index < shapeCount; index++)
            {
                foreach (int cap in WidthCaps)
                {
                    data.Add(index, cap);
                }
            }

            return data;
        }

        /// <summary>Runs <paramref name="call"/> with <see cref="SimdWidth.MaximumBits"/> set to <paramref name="widthCap"/>, then restores the default.</summary>
        private static void WithWidthCap(int widthCap, Action call)
        {
            SimdWidth.MaximumBits = widthCap;
            try
            {
                call();
            }
            finally
            {
                SimdWidth.MaximumBits = SimdWidth.Unlimited;
            }
        }
    }
}
