using System;
using NetGen.Kernels;

namespace NetGen.Tests.Kernels
{
    public class PoolKernelsTests
    {
        /// <summary>
        /// Allowed error of an fp32 window sum, relative to the largest magnitude involved: windows
        /// and global pools here add at most a few hundred terms, each rounding by 2⁻²⁴ ≈ 6e-8.
        /// </summary>
        private const double SumTolerance = 1e-5;

        /// <summary>
        /// Allowed error of a gradient against central differences of the double reference,
        /// relative to the largest gradient: the kernels round in fp32 and the differences err by
        /// about h² with h = 1e-6.
        /// </summary>
        private const double GradientTolerance = 1e-4;

        /// <summary>Step of the central differences. Test inputs are at least 1e-3 apart, so no maximum changes within ±h.</summary>
        private const double Step = 1e-6;

        /// <summary>
        /// Channels, input height and width, kernel, stride and padding, covering overlap, gaps,
        /// padding, non-square and 1-D shapes. Rows of 8 and more outputs at stride 1 or 2 take
        /// the vectorised max-pooling path on machines with AVX2.
        /// </summary>
        public static readonly TheoryData<int, int, int, int, int, int, int, int, int> Geometries = new()
        {
            { 1, 4, 4, 2, 2, 2, 2, 0, 0 },
            { 2, 5, 5, 3, 3, 1, 1, 1, 1 },
            { 3, 7, 6, 3, 2, 2, 1, 1, 1 },
            { 2, 1, 9, 1, 3, 1, 2, 0, 1 },
            { 1, 6, 6, 3, 3, 2, 2, 0, 0 },
            { 2, 5, 7, 2, 3, 3, 2, 1, 1 },
            { 1, 3, 3, 3, 3, 1, 1, 1, 1 },
            { 1, 1, 1, 1, 1, 1, 1, 0, 0 },
            { 4, 9, 8, 4, 5, 3, 2, 2, 2 },
            { 2, 5, 30, 2, 2, 2, 2, 0, 0 },
            { 1, 4, 33, 3, 3, 2, 2, 1, 1 },
            { 1, 3, 21, 3, 5, 1, 1, 1, 2 },
            { 2, 3, 26, 2, 3, 1, 3, 0, 1 },
            { 1, 2, 16, 1, 2, 1, 2, 0, 1 },
            { 1, 1, 40, 1, 4, 1, 1, 0, 2 },
        };

        [Theory]
        [MemberData(nameof(Geometries))]
        public void Geometry_OutputSize_MatchesTorchFormula(int channels, int height, int width, int kernelHeight, int kernelWidth, int strideHeight, int strideWidth, int padHeight, int padWidth)
        {
            var g = new PoolGeometry(channels, height, width, kernelHeight, kernelWidth, strideHeight, strideWidth, padHeight, padWidth);

            // torch.nn.MaxPool2d documents H_out = ⌊(H + 2·padding − dilation·(kernel − 1) − 1) / stride + 1⌋.
            int expectedHeight = (int)Math.Floor((height + 2.0 * padHeight - (kernelHeight - 1) - 1) / strideHeight + 1);
            int expectedWidth = (int)Math.Floor((width + 2.0 * padWidth - (kernelWidth - 1) - 1) / strideWidth + 1);
            Assert.Equal(expectedHeight, g.OutHeight);
            Assert.Equal(expectedWidth, g.OutWidth);
            Assert.Equal(channels * height * width, g.InputLength);
            Assert.Equal(channels * expectedHeight * expectedWidth, g.OutputLength);
        }

        [Theory]
        [InlineData(0, 4, 4, 2, 2, 2, 2, 0, 0, "channels")]
        [InlineData(1, 0, 4, 2, 2, 2, 2, 0, 0, "inHeight")]
        [InlineData(1, 4, -1, 2, 2, 2, 2, 0, 0, "inWidth")]
        [InlineData(1, 4, 4, 0, 2, 2, 2, 0, 0, "kernelHeight")]
        [InlineData(1, 4, 4, 2, 0, 2, 2, 0, 0, "kernelWidth")]
        [InlineData(1, 4, 4, 2, 2, 0, 2, 0, 0, "strideHeight")]
        [InlineData(1, 4, 4, 2, 2, 2, -3, 0, 0, "strideWidth")]
        [InlineData(1, 4, 4, 2, 2, 2, 2, -1, 0, "padHeight")]
        [InlineData(1, 4, 4, 3, 3, 1, 1, 1, 2, "padWidth")]
        [InlineData(1, 4, 4, 2, 2, 1, 1, 2, 0, "padHeight")]
        public void Geometry_InvalidSize_Throws(int channels, int height, int width, int kernelHeight, int kernelWidth, int strideHeight, int strideWidth, int padHeight, int padWidth, string parameter)
        {
            var exception = Assert.Throws<ArgumentOutOfRangeException>(() =>
                new PoolGeometry(channels, height, width, kernelHeight, kernelWidth, strideHeight, strideWidth, padHeight, padWidth));
            Assert.Equal(parameter, exception.ParamName);
            Assert.Contains($"'{parameter}'", exception.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Geometry_KernelLargerThanInput_Throws()
        {
            var exception = Assert.Throws<ArgumentException>(() => new PoolGeometry(1, 4, 2, 2, 5, 1, 1, 0, 1));
            Assert.Equal("kernelWidth", exception.ParamName);
            Assert.Contains("larger than the padded input", exception.Message, StringComparison.Ordinal);
        }

        [Theory]
        [MemberData(nameof(Geometries))]
        public void MaxForward_MatchesReference(int channels, int height, int width, int kernelHeight, int kernelWidth, int strideHeight, int strideWidth, int padHeight, int padWidth)
        {
            var g = new PoolGeometry(channels, height, width, kernelHeight, kernelWidth, strideHeight, strideWidth, padHeight, padWidth);
            foreach (int batch in new[] { 0, 1, 3 })
            {
                float[] x = DistinctValues(batch * g.InputLength, seed: batch + 11);
                var y = new GuardedBuffer(batch * g.OutputLength);
                var argmax = new int[batch * g.OutputLength];

                PoolKernels.MaxForward(x, y.Span, argmax, batch, g);

                var (expected, expectedIndex) = ReferenceMax(Widen(x), batch, g);
                for (int k = 0; k < expected.Length; k++)
                {
                    Assert.Equal((float)expected[k], y[k]);
                    Assert.Equal(expectedIndex[k], argmax[k]);
                }

                y.AssertGuardsIntact();
            }
        }

        [Fact]
        public void MaxForward_Ties_PickFirstMaximum()
        {
            // Every value is equal, so the first in-bounds element of each window (row-major) is the argmax.
            var g = new PoolGeometry(2, 4, 5, 3, 3, 1, 2, 1, 1);
            var x = new float[2 * g.InputLength];
            x.AsSpan().Fill(0.5f);
            var y = new float[2 * g.OutputLength];
            var argmax = new int[2 * g.OutputLength];

            PoolKernels.MaxForward(x, y, argmax, 2, g);

            for (int b = 0; b < 2; b++)
            {
                for (int c = 0; c < g.Channels; c++)
                {
                    for (int oh = 0; oh < g.OutHeight; oh++)
                    {
                        for (int ow = 0; ow < g.OutWidth; ow++)
                        {
                            int h = Math.Max(oh * g.StrideHeight - g.PadHeight, 0);
                            int w = Math.Max(ow * g.StrideWidth - g.PadWidth, 0);
                            int k = ((b * g.Channels + c) * g.OutHeight + oh) * g.OutWidth + ow;
                            Assert.Equal(c * g.InHeight * g.InWidth + h * g.InWidth + w, argmax[k]);
                            Assert.Equal(0.5f, y[k]);
                        }
                    }
                }
            }
        }

        [Fact]
        public void MaxForward_TieInWindow_PicksFirst()
        {
            // One 3×3 window over a 3×3 input: the maximum 2 appears at (0, 2) and (1, 0); (0, 2) comes first.
            var g = new PoolGeometry(1, 3, 3, 3, 3, 1, 1, 0, 0);
            float[] x = { 1, 0, 2, 2, 1, 0, 0, 2, 1 };
            var y = new float[1];
            var argmax = new int[1];

            PoolKernels.MaxForward(x, y, argmax, 1, g);

            Assert.Equal(2f, y[0]);
            Assert.Equal(2, argmax[0]);
        }

        [Fact]
        public void MaxForward_NaN_Propagates()
        {
            // 1×4×4 input, 2×2 windows at stride 2: NaN at (0, 1) and (1, 0) lies in window (0, 0) only.
            var g = new PoolGeometry(1, 4, 4, 2, 2, 2, 2, 0, 0);
            float[] x = DistinctValues(g.InputLength, seed: 3);
            x[1] = float.NaN;
            x[4] = float.NaN;
            var y = new float[g.OutputLength];
            var argmax = new int[g.OutputLength];

            PoolKernels.MaxForward(x, y, argmax, 1, g);

            Assert.True(float.IsNaN(y[0]), $"The window containing NaN gave {y[0]}.");
            Assert.Equal(1, argmax[0]);
            var (expected, _) = ReferenceMax(Widen(x), 1, g);
            for (int k = 1; k < y.Length; k++)
            {
                Assert.Equal((float)expected[k], y[k]);
            }
        }

        [Theory]
        [MemberData(nameof(Geometries))]
        public void MaxForward_NaNAndInfinity_MatchReference(int channels, int height, int width, int kernelHeight, int kernelWidth, int strideHeight, int strideWidth, int padHeight, int padWidth)
        {
            var g = new PoolGeometry(channels, height, width, kernelHeight, kernelWidth, strideHeight, strideWidth, padHeight, padWidth);
            const int batch = 2;
            float[] x = DistinctValues(batch * g.InputLength, seed: 13);
            var random = new Random(14);
            for (int k = 0; k < x.Length / 5; k++)
            {
                x[random.Next(x.Length)] = float.NaN;
                x[random.Next(x.Length)] = float.NegativeInfinity;
                x[random.Next(x.Length)] = float.PositiveInfinity;
            }

            var y = new float[batch * g.OutputLength];
            var argmax = new int[batch * g.OutputLength];

            PoolKernels.MaxForward(x, y, argmax, batch, g);

            var (expected, expectedIndex) = ReferenceMax(Widen(x), batch, g);
            for (int k = 0; k < expected.Length; k++)
            {
                Assert.Equal((float)expected[k], y[k]);
                Assert.Equal(expectedIndex[k], argmax[k]);
            }
        }

        [Fact]
        public void MaxForward_NegativeInfinity_KeepsInBoundsArgmax()
        {
            // Padding counts as −∞ too, but the argmax must still name an input element.
            var g = new PoolGeometry(1, 2, 2, 2, 2, 1, 1, 1, 1);
            float[] x = { float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity };
            var y = new float[g.OutputLength];
            var argmax = new int[g.OutputLength];

            PoolKernels.MaxForward(x, y, argmax, 1, g);

            Assert.All(y, value => Assert.Equal(float.NegativeInfinity, value));
            Assert.Equal(new[] { 0, 0, 1, 0, 0, 1, 2, 2, 3 }, argmax);
        }

        [Theory]
        [MemberData(nameof(Geometries))]
        public void MaxBackward_MatchesFiniteDifferences(int channels, int height, int width, int kernelHeight, int kernelWidth, int strideHeight, int strideWidth, int padHeight, int padWidth)
        {
            var g = new PoolGeometry(channels, height, width, kernelHeight, kernelWidth, strideHeight, strideWidth, padHeight, padWidth);
            const int batch = 2;
            float[] x = DistinctValues(batch * g.InputLength, seed: 5);
            float[] dy = TestValues.Uniform(batch * g.OutputLength, seed: 6);
            var y = new float[batch * g.OutputLength];
            var argmax = new int[batch * g.OutputLength];
            var dx = new GuardedBuffer(batch * g.InputLength);
            dx.Span.Fill(123f);

            PoolKernels.MaxForward(x, y, argmax, batch, g);
            PoolKernels.MaxBackward(dy, argmax, dx.Span, batch, g);

            double[] expected = FiniteDifferences(Widen(x), Widen(dy), input => ReferenceMax(input, batch, g).Output);
            AssertGradient(expected, dx.ToArray(), "dx");
            dx.AssertGuardsIntact();
        }

        [Fact]
        public void MaxBackward_OverlappingWindows_Accumulates()
        {
            // 1×1×5 input, windows of 3 at stride 1: the maximum at w = 2 wins all three windows.
            var g = new PoolGeometry(1, 1, 5, 1, 3, 1, 1, 0, 0);
            float[] x = { 0, 1, 9, 1, 0 };
            float[] dy = { 0.5f, 0.25f, 2f };
            var y = new float[3];
            var argmax = new int[3];
            var dx = new float[5];

            PoolKernels.MaxForward(x, y, argmax, 1, g);
            PoolKernels.MaxBackward(dy, argmax, dx, 1, g);

            Assert.Equal(new[] { 2, 2, 2 }, argmax);
            Assert.Equal(new[] { 0f, 0f, 2.75f, 0f, 0f }, dx);
        }

        [Fact]
        public void MaxBackward_ArgmaxOutsideSample_Throws()
        {
            var g = new PoolGeometry(1, 2, 2, 2, 2, 2, 2, 0, 0);
            var dx = new float[4];

            var exception = Assert.Throws<ArgumentOutOfRangeException>(() => PoolKernels.MaxBackward(new float[1], new[] { 4 }, dx, 1, g));

            Assert.Equal("argmax", exception.ParamName);
            Assert.Contains("argmax[0] is 4", exception.Message, StringComparison.Ordinal);
        }

        [Theory]
        [MemberData(nameof(Geometries))]
        public void AvgForward_MatchesReference(int channels, int height, int width, int kernelHeight, int kernelWidth, int strideHeight, int strideWidth, int padHeight, int padWidth)
        {
            var g = new PoolGeometry(channels, height, width, kernelHeight, kernelWidth, strideHeight, strideWidth, padHeight, padWidth);
            foreach (int batch in new[] { 0, 1, 3 })
            {
                float[] x = TestValues.Uniform(batch * g.InputLength, seed: batch + 21);
                var y = new GuardedBuffer(batch * g.OutputLength);

                PoolKernels.AvgForward(x, y.Span, batch, g);

                double[] expected = ReferenceAvg(Widen(x), batch, g);
                for (int k = 0; k < expected.Length; k++)
                {
                    TestValues.AssertClose(expected[k], y[k], 1, SumTolerance, $"y[{k}]");
                }

                y.AssertGuardsIntact();
            }
        }

        [Fact]
        public void AvgForward_Padding_CountsAsZero()
        {
            // A 3×3 window with padding 1 at the corner of a 2×2 input of ones covers 4 ones and 5 zeros.
            var g = new PoolGeometry(1, 2, 2, 3, 3, 1, 1, 1, 1);
            float[] x = { 1, 1, 1, 1 };
            var y = new float[g.OutputLength];

            PoolKernels.AvgForward(x, y, 1, g);

            Assert.All(y, value => Assert.Equal(4f / 9f, value, 6));
        }

        [Theory]
        [MemberData(nameof(Geometries))]
        public void AvgBackward_MatchesFiniteDifferences(int channels, int height, int width, int kernelHeight, int kernelWidth, int strideHeight, int strideWidth, int padHeight, int padWidth)
        {
            var g = new PoolGeometry(channels, height, width, kernelHeight, kernelWidth, strideHeight, strideWidth, padHeight, padWidth);
            const int batch = 2;
            float[] x = TestValues.Uniform(batch * g.InputLength, seed: 7);
            float[] dy = TestValues.Uniform(batch * g.OutputLength, seed: 8);
            var dx = new GuardedBuffer(batch * g.InputLength);
            dx.Span.Fill(123f);

            PoolKernels.AvgBackward(dy, dx.Span, batch, g);

            double[] expected = FiniteDifferences(Widen(x), Widen(dy), input => ReferenceAvg(input, batch, g));
            AssertGradient(expected, dx.ToArray(), "dx");
            dx.AssertGuardsIntact();
        }

        [Theory]
        [InlineData(1, 1, 1)]
        [InlineData(2, 3, 5)]
        [InlineData(3, 4, 49)]
        [InlineData(0, 4, 9)]
        [InlineData(2, 2, 4100)]
        public void GlobalAvgForward_MatchesReference(int batch, int channels, int spatial)
        {
            float[] x = TestValues.Uniform(batch * channels * spatial, seed: spatial);
            var y = new GuardedBuffer(batch * channels);

            PoolKernels.GlobalAvgForward(x, y.Span, batch, channels, spatial);

            double[] expected = ReferenceGlobalAvg(Widen(x), batch, channels, spatial);
            for (int k = 0; k < expected.Length; k++)
            {
                TestValues.AssertClose(expected[k], y[k], 1, SumTolerance, $"y[{k}]");
            }

            y.AssertGuardsIntact();
        }

        [Theory]
        [InlineData(1, 1, 1)]
        [InlineData(2, 3, 5)]
        [InlineData(3, 4, 49)]
        public void GlobalAvgBackward_MatchesFiniteDifferences(int batch, int channels, int spatial)
        {
            float[] x = TestValues.Uniform(batch * channels * spatial, seed: 9);
            float[] dy = TestValues.Uniform(batch * channels, seed: 10);
            var dx = new GuardedBuffer(batch * channels * spatial);
            dx.Span.Fill(123f);

            PoolKernels.GlobalAvgBackward(dy, dx.Span, batch, channels, spatial);

            double[] expected = FiniteDifferences(Widen(x), Widen(dy), input => ReferenceGlobalAvg(input, batch, channels, spatial));
            AssertGradient(expected, dx.ToArray(), "dx");
            dx.AssertGuardsIntact();
        }

        [Fact]
        public void GlobalAvg_ZeroSpatial_Throws()
        {
            var exception = Assert.Throws<ArgumentOutOfRangeException>(() => PoolKernels.GlobalAvgForward(Array.Empty<float>(), new float[2], 1, 2, 0));
            Assert.Equal("spatial", exception.ParamName);
        }

        [Fact]
        public void Kernels_WrongLengths_Throw()
        {
            var g = new PoolGeometry(2, 4, 4, 2, 2, 2, 2, 0, 0);
            var x = new float[2 * g.InputLength];
            var y = new float[2 * g.OutputLength];
            var argmax = new int[2 * g.OutputLength];

            AssertLengthError("x", () => PoolKernels.MaxForward(x.AsSpan(1), y, argmax, 2, g));
            AssertLengthError("y", () => PoolKernels.MaxForward(x, y.AsSpan(1), argmax, 2, g));
            AssertLengthError("argmax", () => PoolKernels.MaxForward(x, y, argmax.AsSpan(1), 2, g));
            AssertLengthError("dx", () => PoolKernels.MaxBackward(y, argmax, x.AsSpan(1), 2, g));
            AssertLengthError("dy", () => PoolKernels.MaxBackward(y.AsSpan(1), argmax, x, 2, g));
            AssertLengthError("argmax", () => PoolKernels.MaxBackward(y, argmax.AsSpan(1), x, 2, g));
            AssertLengthError("x", () => PoolKernels.AvgForward(x, y, 3, g));
            AssertLengthError("dy", () => PoolKernels.AvgBackward(y.AsSpan(1), x, 2, g));
            AssertLengthError("x", () => PoolKernels.GlobalAvgForward(x.AsSpan(1), new float[4], 2, 2, 16));
            AssertLengthError("y", () => PoolKernels.GlobalAvgForward(x, new float[5], 2, 2, 16));
            AssertLengthError("dx", () => PoolKernels.GlobalAvgBackward(new float[4], x.AsSpan(1), 2, 2, 16));
            Assert.Throws<ArgumentOutOfRangeException>("batch", () => PoolKernels.AvgForward(x, y, -1, g));
        }

        [Fact]
        public void Kernels_AllocateNothing()
        {
            var g = new PoolGeometry(3, 8, 8, 3, 3, 2, 2, 1, 1);
            const int batch = 4;
            float[] x = DistinctValues(batch * g.InputLength, seed: 1);
            var y = new float[batch * g.OutputLength];
            var argmax = new int[batch * g.OutputLength];
            var dx = new float[batch * g.InputLength];
            var pooled = new float[batch * g.Channels];
            RunAll();

            Assert.Equal(0, SteadyAllocation.MedianBytes(() =>
            {
                RunAll();
            }));

            void RunAll()
            {
                PoolKernels.MaxForward(x, y, argmax, batch, g);
                PoolKernels.MaxBackward(y, argmax, dx, batch, g);
                PoolKernels.AvgForward(x, y, batch, g);
                PoolKernels.AvgBackward(y, dx, batch, g);
                PoolKernels.GlobalAvgForward(x, pooled, batch, g.Channels, g.InHeight * g.InWidth);
                PoolKernels.GlobalAvgBackward(pooled, dx, batch, g.Channels, g.InHeight * g.InWidth);
            }
        }

        private static void AssertLengthError(string parameter, Action call)
        {
            var exception = Assert.Throws<ArgumentException>(call);
            Assert.Equal(parameter, exception.ParamName);
            Assert.Contains($"'{parameter}' must have exactly", exception.Message, StringComparison.Ordinal);
        }

        /// <summary>Returns a shuffled set of values k·0.01 − 0.5·length·0.01, so any two differ by at least 0.01 and no window has a tie.</summary>
        internal static float[] DistinctValues(int length, int seed)
        {
            var random = new Random(seed);
            var values = new float[length];
            for (int k = 0; k < length; k++)
            {
                values[k] = (k - length / 2) * 0.01f;
            }

            random.Shuffle(values);
            return values;
        }

        internal static double[] Widen(float[] values) => Array.ConvertAll(values, value => (double)value);

        /// <summary>Visits every window: (sample, channel, output index, and the window's in-bounds input indices within the sample).</summary>
        private static void ForEachWindow(int batch, PoolGeometry g, Action<int, int, int, int, int, int> visit)
        {
            for (int b = 0; b < batch; b++)
            {
                for (int c = 0; c < g.Channels; c++)
                {
                    for (int oh = 0; oh < g.OutHeight; oh++)
                    {
                        for (int ow = 0; ow < g.OutWidth; ow++)
                        {
                            int outIndex = ((b * g.Channels + c) * g.OutHeight + oh) * g.OutWidth + ow;
                            for (int i = 0; i < g.KernelHeight; i++)
                            {
                                for (int j = 0; j < g.KernelWidth; j++)
                                {
                                    int h = oh * g.StrideHeight - g.PadHeight + i;
                                    int w = ow * g.StrideWidth - g.PadWidth + j;
                                    int inside = h >= 0 && h < g.InHeight && w >= 0 && w < g.InWidth ? 1 : 0;
                                    visit(b, outIndex, inside, c * g.InHeight * g.InWidth + h * g.InWidth + w, i, j);
                                }
                            }
                        }
                    }
                }
            }
        }

        /// <summary>Max pooling in double with padding as −∞, keeping the first maximum of a row-major scan and letting NaN win.</summary>
        internal static (double[] Output, int[] Index) ReferenceMax(double[] x, int batch, PoolGeometry g)
        {
            var output = new double[batch * g.OutputLength];
            var index = new int[batch * g.OutputLength];
            output.AsSpan().Fill(double.NegativeInfinity);
            index.AsSpan().Fill(-1);
            ForEachWindow(batch, g, (b, outIndex, inside, sampleIndex, _, _) =>
            {
                if (inside == 0 || double.IsNaN(output[outIndex]))
                {
                    return;
                }

                double value = x[b * g.InputLength + sampleIndex];
                if (index[outIndex] < 0 || value > output[outIndex] || double.IsNaN(value))
                {
                    output[outIndex] = value;
                    index[outIndex] = sampleIndex;
                }
            });
            return (output, index);
        }

        /// <summary>Average pooling in double: the window's sum over in-bounds elements divided by the full window size.</summary>
        private static double[] ReferenceAvg(double[] x, int batch, PoolGeometry g)
        {
            var output = new double[batch * g.OutputLength];
            ForEachWindow(batch, g, (b, outIndex, inside, sampleIndex, _, _) =>
            {
                if (inside == 1)
                {
                    output[outIndex] += x[b * g.InputLength + sampleIndex] / (g.KernelHeight * g.KernelWidth);
                }
            });
            return output;
        }

        private static double[] ReferenceGlobalAvg(double[] x, int batch, int channels, int spatial)
        {
            var output = new double[batch * channels];
            for (int plane = 0; plane < batch * channels; plane++)
            {
                double sum = 0;
                for (int s = 0; s < spatial; s++)
                {
                    sum += x[plane * spatial + s];
                }

                output[plane] = sum / spatial;
            }

            return output;
        }

        /// <summary>Returns ∂L/∂x for the scalar loss L = Σ_k weights[k]·layer(x)[k], by central differences.</summary>
        internal static double[] FiniteDifferences(double[] x, double[] weights, Func<double[], double[]> layer)
        {
            var gradient = new double[x.Length];
            var probe = (double[])x.Clone();
            for (int i = 0; i < x.Length; i++)
            {
                probe[i] = x[i] + Step;
                double above = Loss(layer(probe), weights);
                probe[i] = x[i] - Step;
                double below = Loss(layer(probe), weights);
                probe[i] = x[i];
                gradient[i] = (above - below) / (2 * Step);
            }

            return gradient;
        }

        private static double Loss(double[] output, double[] weights)
        {
            double loss = 0;
            for (int k = 0; k < output.Length; k++)
            {
                loss += weights[k] * output[k];
            }

            return loss;
        }

        internal static void AssertGradient(double[] expected, float[] actual, string name)
        {
            Assert.Equal(expected.Length, actual.Length);
            double scale = 1e-3;
            foreach (double value in expected)
            {
                scale = Math.Max(scale, Math.Abs(value));
            }

            for (int i = 0; i < expected.Length; i++)
            {
                TestValues.AssertClose(expected[i], actual[i], scale, GradientTolerance, $"{name}[{i}]");
            }
        }
    }
}
