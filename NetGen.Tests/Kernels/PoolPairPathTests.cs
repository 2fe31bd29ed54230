using System;
using NetGen.Kernels;

namespace NetGen.Tests.Kernels
{
    /// <summary>
    /// Max pooling with 2×2 windows at stride 2 without padding, whose forward and backward
    /// kernels have their own vector paths, under each SIMD width cap, against the
    /// double-precision reference of <see cref="PoolKernelsTests"/> and a plain scatter of dy.
    /// </summary>
    [Collection(SimdWidthCollection.Name)]
    public class PoolPairPathTests
    {
        /// <summary>
        /// Channels, height and width: output rows shorter than, equal to and longer than 8 and 16
        /// outputs, odd sizes that drop the last row or column, and the Fashion-MNIST CNN's layers.
        /// </summary>
        public static readonly TheoryData<int, int, int, int> Shapes = new()
        {
            { 1, 2, 2, 512 },
            { 3, 5, 7, 512 },
            { 2, 14, 14, 512 },
            { 2, 28, 28, 512 },
            { 1, 4, 16, 512 },
            { 2, 6, 17, 512 },
            { 1, 3, 32, 512 },
            { 2, 5, 33, 512 },
            { 1, 4, 35, 512 },
            { 3, 5, 7, 256 },
            { 2, 14, 14, 256 },
            { 1, 4, 16, 256 },
            { 2, 6, 17, 256 },
            { 2, 5, 33, 256 },
            { 2, 14, 14, 0 },
            { 2, 5, 33, 0 },
        };

        [Theory]
        [MemberData(nameof(Shapes))]
        public void MaxForward_PairPath_MatchesReference(int channels, int height, int width, int widthCap)
        {
            var g = new PoolGeometry(channels, height, width, 2, 2, 2, 2, 0, 0);
            foreach (int batch in new[] { 1, 3 })
            {
                float[] x = PoolKernelsTests.DistinctValues(batch * g.InputLength, seed: batch + width);
                var y = new GuardedBuffer(batch * g.OutputLength);
                var argmax = new int[batch * g.OutputLength];

                WithWidthCap(widthCap, () => PoolKernels.MaxForward(x, y.Span, argmax, batch, g));

                var (expected, expectedIndex) = PoolKernelsTests.ReferenceMax(PoolKernelsTests.Widen(x), batch, g);
                for (int k = 0; k < expected.Length; k++)
                {
                    Assert.Equal((float)expected[k], y[k]);
                    Assert.Equal(expectedIndex[k], argmax[k]);
                }

                y.AssertGuardsIntact();
            }
        }

        [Theory]
        [MemberData(nameof(Shapes))]
        public void MaxForward_PairPathNaNAndTies_MatchReference(int channels, int height, int width, int widthCap)
        {
            var g = new PoolGeometry(channels, height, width, 2, 2, 2, 2, 0, 0);
            const int batch = 2;
            var random = new Random(width + height);
            var x = new float[batch * g.InputLength];
            for (int k = 0; k < x.Length; k++)
            {
                // Few distinct values give ties in most windows; NaN and ±∞ are sprinkled in.
                x[k] = random.Next(8) switch
                {
                    0 => float.NaN,
                    1 => float.NegativeInfinity,
                    2 => float.PositiveInfinity,
                    int value => value,
                };
            }

            var y = new float[batch * g.OutputLength];
            var argmax = new int[batch * g.OutputLength];

            WithWidthCap(widthCap, () => PoolKernels.MaxForward(x, y, argmax, batch, g));

            var (expected, expectedIndex) = PoolKernelsTests.ReferenceMax(PoolKernelsTests.Widen(x), batch, g);
            for (int k = 0; k < expected.Length; k++)
            {
                Assert.Equal((float)expected[k], y[k]);
                Assert.Equal(expectedIndex[k], argmax[k]);
            }
        }

        [Theory]
        [MemberData(nameof(Shapes))]
        public void MaxBackward_PairPath_MatchesScatter(int channels, int height, int width, int widthCap)
        {
            var g = new PoolGeometry(channels, height, width, 2, 2, 2, 2, 0, 0);
            foreach (int batch in new[] { 1, 3 })
            {
                float[] x = PoolKernelsTests.DistinctValues(batch * g.InputLength, seed: batch + width);
                float[] dy = PoolKernelsTests.DistinctValues(batch * g.OutputLength, seed: batch + height);
                var (_, argmax) = PoolKernelsTests.ReferenceMax(PoolKernelsTests.Widen(x), batch, g);
                var dx = new GuardedBuffer(batch * g.InputLength);
                dx.Span.Fill(float.NaN);

                WithWidthCap(widthCap, () => PoolKernels.MaxBackward(dy, argmax, dx.Span, batch, g));

                var expected = new float[batch * g.InputLength];
                for (int k = 0; k < dy.Length; k++)
                {
                    expected[(k / g.OutputLength * g.InputLength) + argmax[k]] += dy[k];
                }

                for (int i = 0; i < expected.Length; i++)
                {
                    Assert.Equal(expected[i], dx[i]);
                }

                dx.AssertGuardsIntact();
            }
        }

        [Fact]
        public void MaxBackward_ArgmaxOutsideWindow_Scatters()
        {
            // An argmax inside the sample but outside its window takes the general path, which adds
            // the gradient where the argmax points.
            var g = new PoolGeometry(1, 4, 40, 2, 2, 2, 2, 0, 0);
            float[] dy = PoolKernelsTests.DistinctValues(g.OutputLength, seed: 8);
            var argmax = new int[g.OutputLength];
            for (int k = 0; k < argmax.Length; k++)
            {
                argmax[k] = (k / g.OutWidth * 2 * g.InWidth) + (2 * (k % g.OutWidth));
            }

            argmax[3] = 0;
            var dx = new float[g.InputLength];
            dx.AsSpan().Fill(float.NaN);

            PoolKernels.MaxBackward(dy, argmax, dx, 1, g);

            var expected = new float[g.InputLength];
            for (int k = 0; k < dy.Length; k++)
            {
                expected[argmax[k]] += dy[k];
            }

            Assert.Equal(expected, dx);
        }

        [Fact]
        public void PairPath_AllocatesNothing()
        {
            var g = new PoolGeometry(4, 14, 14, 2, 2, 2, 2, 0, 0);
            const int batch = 3;
            float[] x = PoolKernelsTests.DistinctValues(batch * g.InputLength, seed: 5);
            var y = new float[batch * g.OutputLength];
            var argmax = new int[batch * g.OutputLength];
            var dx = new float[x.Length];
            PoolKernels.MaxForward(x, y, argmax, batch, g);
            PoolKernels.MaxBackward(y, argmax, dx, batch, g);

            Assert.Equal(0, SteadyAllocation.MedianBytes(() =>
            {
                PoolKernels.MaxForward(x, y, argmax, batch, g);
                PoolKernels.MaxBackward(y, argmax, dx, batch, g);
            }));
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
