using System;
using System.Collections.Generic;
using NetGen.Kernels;

namespace NetGen.Tests.Kernels
{
    public class ConvKernelsTests
    {
        /// <summary>
        /// Allowed error of an fp32 sum, relative to the sum of the magnitudes of its terms. The
        /// largest sums here have a few thousand terms (a weight gradient over 3 samples of 28×28
        /// positions), and an fp32 sum of n terms split over 8 or more partial sums errs by at most
        /// about (n / 8) · 2⁻²⁴ of that magnitude: 3e-5 for n = 4,000, taken with a margin.
        /// </summary>
        private const double SumTolerance = 1e-4;

        /// <summary>Step of the central finite differences. The double reference is linear in x and w, so the step's size only matters for rounding.</summary>
        private const double FiniteDifferenceStep = 1e-3;

        /// <summary>Agreement required between a finite difference of the double reference and the analytic transpose: both are exact up to double rounding.</summary>
        private const double FiniteDifferenceTolerance = 1e-8;

        public static readonly IReadOnlyList<ConvCase> Cases = BuildCases();

        public static readonly TheoryData<int> CaseIndices = IndicesOf(Cases.Count);

        /// <summary>One test geometry with its batch size.</summary>
        public sealed record ConvCase(ConvGeometry Geometry, int Batch)
        {
            public override string ToString() => $"{Geometry}, batch {Batch}";
        }

        [Theory]
        [MemberData(nameof(CaseIndices))]
        public void Forward_MatchesReference(int index)
        {
            ConvCase c = Cases[index];
            ConvGeometry g = c.Geometry;
            float[] x = TestValues.Uniform(c.Batch * g.InputLength, seed: index);
            float[] w = TestValues.Uniform(g.WeightLength, seed: 1000 + index);
            float[] bias = TestValues.Uniform(g.OutChannels, seed: 2000 + index);
            (double[] expected, double[] magnitude) = ReferenceForward(x, w, bias, c.Batch, g);

            foreach (ConvAlgorithm algorithm in AlgorithmsFor(g))
            {
                var y = new GuardedBuffer(c.Batch * g.OutputLength);
                y.Span.Fill(float.NaN);
                float[] scratch = NaNScratch(g);
                if (algorithm == g.ForwardAlgorithm)
                {
                    ConvKernels.Forward(x, w, bias, y.Span, scratch, c.Batch, g);
                }
                else
                {
                    ConvKernels.ForwardWith(algorithm, x, w, bias, y.Span, scratch, c.Batch, g);
                }

                y.AssertGuardsIntact();
                AssertAllClose(expected, magnitude, y.ToArray(), $"{algorithm} forward of {c}");
            }
        }

        [Theory]
        [MemberData(nameof(CaseIndices))]
        public void Forward_WithoutBias_MatchesReference(int index)
        {
            ConvCase c = Cases[index];
            ConvGeometry g = c.Geometry;
            float[] x = TestValues.Uniform(c.Batch * g.InputLength, seed: 3000 + index);
            float[] w = TestValues.Uniform(g.WeightLength, seed: 4000 + index);
            (double[] expected, double[] magnitude) = ReferenceForward(x, w, new float[g.OutChannels], c.Batch, g);

            foreach (ConvAlgorithm algorithm in AlgorithmsFor(g))
            {
                var y = new float[c.Batch * g.OutputLength];
                ConvKernels.ForwardWith(algorithm, x, w, ReadOnlySpan<float>.Empty, y, NaNScratch(g), c.Batch, g);
                AssertAllClose(expected, magnitude, y, $"{algorithm} forward without bias of {c}");
            }
        }

        [Theory]
        [MemberData(nameof(CaseIndices))]
        public void BackwardInput_MatchesTranspose(int index)
        {
            ConvCase c = Cases[index];
            ConvGeometry g = c.Geometry;
            float[] dy = TestValues.Uniform(c.Batch * g.OutputLength, seed: 5000 + index);
            float[] w = TestValues.Uniform(g.WeightLength, seed: 6000 + index);
            (double[] expected, double[] magnitude) = ReferenceBackwardInput(dy, w, c.Batch, g);

            foreach (ConvAlgorithm algorithm in AlgorithmsFor(g))
            {
                var dx = new GuardedBuffer(c.Batch * g.InputLength);
                dx.Span.Fill(float.NaN);
                ConvKernels.BackwardInputWith(algorithm, dy, w, dx.Span, NaNScratch(g), c.Batch, g);
                dx.AssertGuardsIntact();
                AssertAllClose(expected, magnitude, dx.ToArray(), $"{algorithm} backward input of {c}");
            }
        }

        [Theory]
        [MemberData(nameof(CaseIndices))]
        public void AccumulateGradients_MatchesTranspose(int index)
        {
            ConvCase c = Cases[index];
            ConvGeometry g = c.Geometry;
            float[] dy = TestValues.Uniform(c.Batch * g.OutputLength, seed: 7000 + index);
            float[] x = TestValues.Uniform(c.Batch * g.InputLength, seed: 8000 + index);
            float[] initialDw = TestValues.Uniform(g.WeightLength, seed: 9000 + index);
            float[] initialDbias = TestValues.Uniform(g.OutChannels, seed: 9500 + index);
            (double[] dwExpected, double[] dwMagnitude, double[] dbiasExpected, double[] dbiasMagnitude) = ReferenceGradients(dy, x, c.Batch, g);
            for (int k = 0; k < dwExpected.Length; k++)
            {
                dwExpected[k] += initialDw[k];
                dwMagnitude[k] += Math.Abs(initialDw[k]);
            }

            for (int k = 0; k < dbiasExpected.Length; k++)
            {
                dbiasExpected[k] += initialDbias[k];
                dbiasMagnitude[k] += Math.Abs(initialDbias[k]);
            }

            foreach (ConvAlgorithm algorithm in AlgorithmsFor(g))
            {
                var dw = new GuardedBuffer(initialDw);
                var dbias = new GuardedBuffer(initialDbias);
                if (algorithm == g.WeightGradientAlgorithm)
                {
                    ConvKernels.AccumulateGradients(dy, x, dw.Span, dbias.Span, NaNScratch(g), c.Batch, g);
                }
                else
                {
                    ConvKernels.AccumulateGradientsWith(algorithm, dy, x, dw.Span, dbias.Span, NaNScratch(g), c.Batch, g);
                }

                dw.AssertGuardsIntact();
                dbias.AssertGuardsIntact();
                AssertAllClose(dwExpected, dwMagnitude, dw.ToArray(), $"{algorithm} weight gradient of {c}");
                AssertAllClose(dbiasExpected, dbiasMagnitude, dbias.ToArray(), $"{algorithm} bias gradient of {c}");
            }
        }

        [Fact]
        public void AccumulateGradients_WithoutBias_LeavesOnlyWeights()
        {
            ConvGeometry g = Cases[0].Geometry;
            int batch = Cases[0].Batch;
            float[] dy = TestValues.Uniform(batch * g.OutputLength, seed: 11);
            float[] x = TestValues.Uniform(batch * g.InputLength, seed: 12);
            (double[] dwExpected, double[] dwMagnitude, _, _) = ReferenceGradients(dy, x, batch, g);
            var dw = new float[g.WeightLength];
            ConvKernels.AccumulateGradients(dy, x, dw, Span<float>.Empty, NaNScratch(g), batch, g);
            AssertAllClose(dwExpected, dwMagnitude, dw, $"weight gradient without bias of {Cases[0]}");
        }

        /// <summary>
        /// Checks the transposes used above against central finite differences of the scalar loss
        /// L = Σ r·conv(x, w) of the double reference, then the kernels against those differences.
        /// </summary>
        [Theory]
        [MemberData(nameof(CaseIndices))]
        public void Gradients_MatchFiniteDifferences(int index)
        {
            ConvCase c = Cases[index];
            ConvGeometry g = c.Geometry;
            float[] x = TestValues.Uniform(c.Batch * g.InputLength, seed: 12000 + index);
            float[] w = TestValues.Uniform(g.WeightLength, seed: 13000 + index);
            float[] bias = TestValues.Uniform(g.OutChannels, seed: 14000 + index);
            float[] r = TestValues.Uniform(c.Batch * g.OutputLength, seed: 15000 + index);

            (double[] dxTranspose, double[] dxMagnitude) = ReferenceBackwardInput(r, w, c.Batch, g);
            (double[] dwTranspose, double[] dwMagnitude, double[] dbiasTranspose, double[] dbiasMagnitude) = ReferenceGradients(r, x, c.Batch, g);
            var dx = new float[x.Length];
            var dw = new float[w.Length];
            var dbias = new float[bias.Length];
            ConvKernels.BackwardInput(r, w, dx, NaNScratch(g), c.Batch, g);
            ConvKernels.AccumulateGradients(r, x, dw, dbias, NaNScratch(g), c.Batch, g);

            double[] xd = Array.ConvertAll(x, v => (double)v);
            double[] wd = Array.ConvertAll(w, v => (double)v);
            double[] biasd = Array.ConvertAll(bias, v => (double)v);
            var random = new Random(index);
            for (int probe = 0; probe < 6; probe++)
            {
                int i = random.Next(xd.Length);
                double fd = CentralDifference(xd, i, () => Loss(xd, wd, biasd, r, c.Batch, g));
                Assert.True(Math.Abs(fd - dxTranspose[i]) <= FiniteDifferenceTolerance * (1 + dxMagnitude[i]), $"dx[{i}] of {c}: finite difference {fd:R}, transpose {dxTranspose[i]:R}.");
                TestValues.AssertClose(fd, dx[i], dxMagnitude[i] + 1e-30, SumTolerance, $"dx[{i}] against the finite difference, {c}");

                int k = random.Next(wd.Length);
                fd = CentralDifference(wd, k, () => Loss(xd, wd, biasd, r, c.Batch, g));
                Assert.True(Math.Abs(fd - dwTranspose[k]) <= FiniteDifferenceTolerance * (1 + dwMagnitude[k]), $"dw[{k}] of {c}: finite difference {fd:R}, transpose {dwTranspose[k]:R}.");
                TestValues.AssertClose(fd, dw[k], dwMagnitude[k] + 1e-30, SumTolerance, $"dw[{k}] against the finite difference, {c}");

                int o = random.Next(biasd.Length);
                fd = CentralDifference(biasd, o, () => Loss(xd, wd, biasd, r, c.Batch, g));
                Assert.True(Math.Abs(fd - dbiasTranspose[o]) <= FiniteDifferenceTolerance * (1 + dbiasMagnitude[o]), $"dbias[{o}] of {c}: finite difference {fd:R}, transpose {dbiasTranspose[o]:R}.");
                TestValues.AssertClose(fd, dbias[o], dbiasMagnitude[o] + 1e-30, SumTolerance, $"dbias[{o}] against the finite difference, {c}");
            }
        }

        [Fact]
        public void OutputSize_MatchesTorchFormula()
        {
            for (int input = 1; input <= 12; input++)
            {
                for (int kernel = 1; kernel <= 5; kernel++)
                {
                    for (int stride = 1; stride <= 4; stride++)
                    {
                        for (int padBefore = 0; padBefore <= 3; padBefore++)
                        {
                            for (int padAfter = 0; padAfter <= 3; padAfter++)
                            {
                                for (int dilation = 1; dilation <= 3; dilation++)
                                {
                                    // torch.nn.Conv2d: ⌊(in + pads − dilation·(kernel − 1) − 1) / stride⌋ + 1, with floor division in Python.
                                    int numerator = input + padBefore + padAfter - (dilation * (kernel - 1)) - 1;
                                    int torch = (int)Math.Floor(numerator / (double)stride) + 1;

                                    // The same count by enumeration: window starts o·stride whose last tap stays inside the padded input.
                                    int enumerated = 0;
                                    while ((enumerated * stride) + (dilation * (kernel - 1)) <= input + padBefore + padAfter - 1)
                                    {
                                        enumerated++;
                                    }

                                    int actual = ConvArithmetic.OutputSize(input, kernel, stride, padBefore, padAfter, dilation);
                                    string where = $"input {input}, kernel {kernel}, stride {stride}, padding {padBefore}+{padAfter}, dilation {dilation}";
                                    Assert.True(enumerated == Math.Max(0, torch), $"{where}: enumeration {enumerated}, torch formula {torch}.");
                                    if (torch >= 1)
                                    {
                                        Assert.True(actual == torch, $"{where}: OutputSize {actual}, torch formula {torch}.");
                                    }
                                    else
                                    {
                                        Assert.True(actual < 1, $"{where}: OutputSize {actual}, but the window does not fit.");
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        [Fact]
        public void Geometry_DerivesSizes()
        {
            var g = new ConvGeometry(6, 13, 11, 4, 3, 2, 2, 3, 1, 0, 2, 1, 2, 1, 2);
            Assert.Equal(ConvArithmetic.OutputSize(13, 3, 2, 1, 2, 2), g.OutHeight);
            Assert.Equal(ConvArithmetic.OutputSize(11, 2, 3, 0, 1, 1), g.OutWidth);
            Assert.Equal(6 * 13 * 11, g.InputLength);
            Assert.Equal(4 * g.OutHeight * g.OutWidth, g.OutputLength);
            Assert.Equal(4 * 3 * 3 * 2, g.WeightLength);
            Assert.True(g.ScratchLength > 0);
        }

        public static readonly TheoryData<string, int> BadValues = new()
        {
            { "inChannels", 0 },
            { "inHeight", 0 },
            { "inWidth", -1 },
            { "outChannels", 0 },
            { "kernelHeight", 0 },
            { "kernelWidth", -2 },
            { "strideHeight", 0 },
            { "strideWidth", -1 },
            { "padTop", -1 },
            { "padLeft", -1 },
            { "padBottom", -3 },
            { "padRight", -1 },
            { "dilationHeight", 0 },
            { "dilationWidth", -1 },
            { "groups", 0 },
        };

        [Theory]
        [MemberData(nameof(BadValues))]
        public void Geometry_OutOfRangeValue_Throws(string name, int value)
        {
            var values = new Dictionary<string, int>
            {
                ["inChannels"] = 4, ["inHeight"] = 8, ["inWidth"] = 8, ["outChannels"] = 4,
                ["kernelHeight"] = 3, ["kernelWidth"] = 3, ["strideHeight"] = 1, ["strideWidth"] = 1,
                ["padTop"] = 1, ["padLeft"] = 1, ["padBottom"] = 1, ["padRight"] = 1,
                ["dilationHeight"] = 1, ["dilationWidth"] = 1, ["groups"] = 2,
            };
            values[name] = value;
            ArgumentException error = Assert.Throws<ArgumentException>(() => Create(values));
            Assert.Equal(name, error.ParamName);
            Assert.Contains($"'{name}'", error.Message);
            Assert.Contains($"it is {value}", error.Message);
        }

        [Fact]
        public void Geometry_GroupsNotDividingChannels_Throws()
        {
            ArgumentException inError = Assert.Throws<ArgumentException>(() => new ConvGeometry(6, 8, 8, 8, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 4));
            Assert.Equal("groups", inError.ParamName);
            Assert.Contains("inChannels 6", inError.Message);
            Assert.Contains("it is 4", inError.Message);

            ArgumentException outError = Assert.Throws<ArgumentException>(() => new ConvGeometry(4, 8, 8, 6, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 4));
            Assert.Equal("groups", outError.ParamName);
            Assert.Contains("outChannels 6", outError.Message);
        }

        [Fact]
        public void Geometry_KernelLargerThanInput_Throws()
        {
            ArgumentException heightError = Assert.Throws<ArgumentException>(() => new ConvGeometry(1, 4, 9, 1, 3, 3, 1, 1, 0, 0, 0, 0, 2, 1, 1));
            Assert.Equal("kernelHeight", heightError.ParamName);
            Assert.Contains("padded input height is 4", heightError.Message);
            Assert.Contains("spans 5", heightError.Message);

            ArgumentException widthError = Assert.Throws<ArgumentException>(() => new ConvGeometry(1, 9, 2, 1, 3, 4, 1, 1, 0, 0, 0, 1, 1, 1, 1));
            Assert.Equal("kernelWidth", widthError.ParamName);
            Assert.Contains("padded input width is 3", widthError.Message);
        }

        [Fact]
        public void Geometry_TooLarge_Throws()
        {
            ArgumentException error = Assert.Throws<ArgumentException>(() => new ConvGeometry(4096, 512, 512, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1));
            Assert.Contains("Split the layer", error.Message);
        }

        [Fact]
        public void Kernels_WrongSpanLengths_Throw()
        {
            var g = new ConvGeometry(2, 6, 7, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
            const int batch = 2;
            var x = new float[batch * g.InputLength];
            var w = new float[g.WeightLength];
            var bias = new float[g.OutChannels];
            var y = new float[batch * g.OutputLength];
            var scratch = new float[g.ScratchLength];

            AssertSpanError("x", () => ConvKernels.Forward(x.AsSpan(1), w, bias, y, scratch, batch, g));
            AssertSpanError("w", () => ConvKernels.Forward(x, w.AsSpan(1), bias, y, scratch, batch, g));
            AssertSpanError("bias", () => ConvKernels.Forward(x, w, bias.AsSpan(1), y, scratch, batch, g));
            AssertSpanError("y", () => ConvKernels.Forward(x, w, bias, y.AsSpan(1), scratch, batch, g));
            AssertSpanError("scratch", () => ConvKernels.Forward(x, w, bias, y, scratch.AsSpan(1), batch, g));
            AssertSpanError("dy", () => ConvKernels.BackwardInput(y.AsSpan(1), w, x, scratch, batch, g));
            AssertSpanError("dx", () => ConvKernels.BackwardInput(y, w, x.AsSpan(1), scratch, batch, g));
            AssertSpanError("scratch", () => ConvKernels.BackwardInput(y, w, x, scratch.AsSpan(1), batch, g));
            AssertSpanError("dw", () => ConvKernels.AccumulateGradients(y, x, w.AsSpan(1), bias, scratch, batch, g));
            AssertSpanError("dbias", () => ConvKernels.AccumulateGradients(y, x, w, bias.AsSpan(1), scratch, batch, g));
            AssertSpanError("x", () => ConvKernels.AccumulateGradients(y, x.AsSpan(1), w, bias, scratch, batch, g));
            Assert.Throws<ArgumentOutOfRangeException>(() => ConvKernels.Forward(x, w, bias, y, scratch, -1, g));

            ArgumentException defaultError = Assert.Throws<ArgumentException>(() => ConvKernels.Forward(x, w, bias, y, scratch, batch, default));
            Assert.Equal("g", defaultError.ParamName);
            Assert.Contains("ConvGeometry constructor", defaultError.Message);
        }

        [Fact]
        public void Kernels_WrongSpanLength_LeaveOutputsUntouched()
        {
            var g = new ConvGeometry(2, 6, 7, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
            var x = new float[g.InputLength];
            var y = new float[g.OutputLength];
            y.AsSpan().Fill(5f);
            Assert.Throws<ArgumentException>(() => ConvKernels.Forward(x, new float[g.WeightLength], new float[g.OutChannels], y, new float[g.ScratchLength - 1], 1, g));
            Assert.All(y, value => Assert.Equal(5f, value));
        }

        [Fact]
        public void Kernels_AllocateNothing()
        {
            foreach (ConvGeometry g in new[] { FashionFirst, FashionSecond, LeNetFirst, LeNetSecond, Depthwise, Strided })
            {
                const int batch = 2;
                var x = TestValues.Uniform(batch * g.InputLength, seed: 1);
                var w = TestValues.Uniform(g.WeightLength, seed: 2);
                var bias = new float[g.OutChannels];
                var y = new float[batch * g.OutputLength];
                var dx = new float[batch * g.InputLength];
                var dw = new float[g.WeightLength];
                var scratch = new float[g.ScratchLength];
                RunAll(x, w, bias, y, dx, dw, scratch, batch, g);

                long allocated = SteadyAllocation.MedianBytes(() =>
                {
                    for (int i = 0; i < 3; i++)
                    {
                        RunAll(x, w, bias, y, dx, dw, scratch, batch, g);
                    }
                });

                Assert.True(allocated == 0, $"The kernels allocated for {g}.");
            }
        }

        [Fact]
        public void Kernels_BatchZero_DoNothing()
        {
            ConvGeometry g = FashionFirst;
            ConvKernels.Forward(ReadOnlySpan<float>.Empty, new float[g.WeightLength], ReadOnlySpan<float>.Empty, Span<float>.Empty, new float[g.ScratchLength], 0, g);
            var dbias = new float[g.OutChannels];
            ConvKernels.AccumulateGradients(ReadOnlySpan<float>.Empty, ReadOnlySpan<float>.Empty, new float[g.WeightLength], dbias, new float[g.ScratchLength], 0, g);
            Assert.All(dbias, value => Assert.Equal(0f, value));
        }

        [Fact]
        public void Geometry_HotShapes_PickMeasuredAlgorithms()
        {
            Assert.Equal(ConvAlgorithm.Direct, Depthwise.ForwardAlgorithm);
            Assert.Equal(ConvAlgorithm.Direct, Depthwise.BackwardInputAlgorithm);
            Assert.Equal(ConvAlgorithm.Direct, Depthwise.WeightGradientAlgorithm);
            Assert.Equal(ConvAlgorithm.Direct, LeNetFirst.ForwardAlgorithm);
            Assert.Equal(ConvAlgorithm.Direct, LeNetFirst.BackwardInputAlgorithm);
            Assert.Equal(ConvAlgorithm.Im2Col, LeNetFirst.WeightGradientAlgorithm);
            Assert.Equal(ConvAlgorithm.Im2Col, LeNetSecond.ForwardAlgorithm);
            Assert.Equal(ConvAlgorithm.Direct, LeNetSecond.BackwardInputAlgorithm);
            Assert.Equal(ConvAlgorithm.Im2Col, LeNetSecond.WeightGradientAlgorithm);
            Assert.Equal(ConvAlgorithm.Im2Col, FashionFirst.ForwardAlgorithm);
            Assert.Equal(ConvAlgorithm.Im2Col, FashionFirst.BackwardInputAlgorithm);
            Assert.Equal(ConvAlgorithm.Im2Col, FashionFirst.WeightGradientAlgorithm);
            Assert.Equal(ConvAlgorithm.Im2Col, FashionSecond.ForwardAlgorithm);
            Assert.Equal(ConvAlgorithm.Im2Col, FashionSecond.BackwardInputAlgorithm);
            Assert.Equal(ConvAlgorithm.Im2Col, FashionSecond.WeightGradientAlgorithm);
            Assert.Equal(ConvAlgorithm.Im2Col, Strided.ForwardAlgorithm);
            Assert.Equal(ConvAlgorithm.Im2Col, Strided.BackwardInputAlgorithm);
            Assert.Equal(ConvAlgorithm.Im2Col, Strided.WeightGradientAlgorithm);
        }

        internal static readonly ConvGeometry FashionFirst = new(1, 28, 28, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        internal static readonly ConvGeometry FashionSecond = new(32, 14, 14, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        internal static readonly ConvGeometry LeNetFirst = new(1, 28, 28, 6, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1);
        internal static readonly ConvGeometry LeNetSecond = new(6, 12, 12, 16, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1);
        internal static readonly ConvGeometry Depthwise = new(32, 14, 14, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 32);
        internal static readonly ConvGeometry Strided = new(8, 15, 15, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1);

        private static void RunAll(float[] x, float[] w, float[] bias, float[] y, float[] dx, float[] dw, float[] scratch, int batch, in ConvGeometry g)
        {
            ConvKernels.Forward(x, w, bias, y, scratch, batch, g);
            ConvKernels.BackwardInput(y, w, dx, scratch, batch, g);
            ConvKernels.AccumulateGradients(y, x, dw, bias, scratch, batch, g);
        }

        private static ConvGeometry Create(Dictionary<string, int> v) => new(
            v["inChannels"], v["inHeight"], v["inWidth"], v["outChannels"], v["kernelHeight"], v["kernelWidth"],
            v["strideHeight"], v["strideWidth"], v["padTop"], v["padLeft"], v["padBottom"], v["padRight"],
            v["dilationHeight"], v["dilationWidth"], v["groups"]);

        private static void AssertSpanError(string name, Action call)
        {
            ArgumentException error = Assert.Throws<ArgumentException>(call);
            Assert.Equal(name, error.ParamName);
            Assert.Contains($"'{name}'", error.Message);
        }

        /// <summary>Returns the algorithms the kernels can run for <paramref name="g"/>: the direct one needs stride 1.</summary>
        private static IEnumerable<ConvAlgorithm> AlgorithmsFor(ConvGeometry g)
        {
            yield return ConvAlgorithm.Im2Col;
            if (g.StrideHeight == 1 && g.StrideWidth == 1)
            {
                yield return ConvAlgorithm.Direct;
            }
        }

        /// <summary>Returns scratch long enough for either algorithm, filled with NaN so a kernel that reads it before writing fails.</summary>
        internal static float[] NaNScratch(ConvGeometry g)
        {
            long length = ConvKernels.Im2ColScratchLength(g);
            if (g.StrideHeight == 1 && g.StrideWidth == 1)
            {
                length = Math.Max(length, ConvKernels.DirectScratchLength(g));
            }

            var scratch = new float[checked((int)length)];
            scratch.AsSpan().Fill(float.NaN);
            return scratch;
        }

        internal static void AssertAllClose(double[] expected, double[] magnitude, float[] actual, string what)
        {
            Assert.Equal(expected.Length, actual.Length);
            for (int k = 0; k < expected.Length; k++)
            {
                TestValues.AssertClose(expected[k], actual[k], magnitude[k] + 1e-30, SumTolerance, $"{what}, element {k}");
            }
        }

        /// <summary>Returns the input index that output (oh, ow) reads with tap (kh, kw), or −1 in the padding.</summary>
        private static int InputIndex(ConvGeometry g, int oh, int ow, int kh, int kw)
        {
            int ih = (oh * g.StrideHeight) - g.PadTop + (kh * g.DilationHeight);
            int iw = (ow * g.StrideWidth) - g.PadLeft + (kw * g.DilationWidth);
            if (ih < 0 || ih >= g.InHeight || iw < 0 || iw >= g.InWidth)
            {
                return -1;
            }

            return (ih * g.InWidth) + iw;
        }

        /// <summary>The convolution in double by its definition, with the sum of the magnitudes of each output's terms.</summary>
        internal static (double[] Values, double[] Magnitudes) ReferenceForward(float[] x, float[] w, float[] bias, int batch, ConvGeometry g)
        {
            var values = new double[batch * g.OutputLength];
            var magnitudes = new double[values.Length];
            int inPerGroup = g.InChannels / g.Groups, outPerGroup = g.OutChannels / g.Groups;
            for (int b = 0; b < batch; b++)
            {
                for (int co = 0; co < g.OutChannels; co++)
                {
                    int group = co / outPerGroup;
                    for (int oh = 0; oh < g.OutHeight; oh++)
                    {
                        for (int ow = 0; ow < g.OutWidth; ow++)
                        {
                            double sum = bias[co], magnitude = Math.Abs(bias[co]);
                            for (int ci = 0; ci < inPerGroup; ci++)
                            {
                                for (int kh = 0; kh < g.KernelHeight; kh++)
                                {
                                    for (int kw = 0; kw < g.KernelWidth; kw++)
                                    {
                                        int input = InputIndex(g, oh, ow, kh, kw);
                                        if (input < 0)
                                        {
                                            continue;
                                        }

                                        double term = (double)w[(((co * inPerGroup) + ci) * g.KernelHeight + kh) * g.KernelWidth + kw]
                                            * x[(b * g.InputLength) + (((group * inPerGroup) + ci) * g.InHeight * g.InWidth) + input];
                                        sum += term;
                                        magnitude += Math.Abs(term);
                                    }
                                }
                            }

                            int index = (b * g.OutputLength) + (((co * g.OutHeight) + oh) * g.OutWidth) + ow;
                            values[index] = sum;
                            magnitudes[index] = magnitude;
                        }
                    }
                }
            }

            return (values, magnitudes);
        }

        /// <summary>The input gradient in double as the transpose of the definition: every term w·x scatters w·dy into x's position.</summary>
        internal static (double[] Values, double[] Magnitudes) ReferenceBackwardInput(float[] dy, float[] w, int batch, ConvGeometry g)
        {
            var values = new double[batch * g.InputLength];
            var magnitudes = new double[values.Length];
            int inPerGroup = g.InChannels / g.Groups, outPerGroup = g.OutChannels / g.Groups;
            for (int b = 0; b < batch; b++)
            {
                for (int co = 0; co < g.OutChannels; co++)
                {
                    int group = co / outPerGroup;
                    for (int oh = 0; oh < g.OutHeight; oh++)
                    {
                        for (int ow = 0; ow < g.OutWidth; ow++)
                        {
                            double gradient = dy[(b * g.OutputLength) + (((co * g.OutHeight) + oh) * g.OutWidth) + ow];
                            for (int ci = 0; ci < inPerGroup; ci++)
                            {
                                for (int kh = 0; kh < g.KernelHeight; kh++)
                                {
                                    for (int kw = 0; kw < g.KernelWidth; kw++)
                                    {
                                        int input = InputIndex(g, oh, ow, kh, kw);
                                        if (input < 0)
                                        {
                                            continue;
                                        }

                                        double term = w[(((co * inPerGroup) + ci) * g.KernelHeight + kh) * g.KernelWidth + kw] * gradient;
                                        int index = (b * g.InputLength) + (((group * inPerGroup) + ci) * g.InHeight * g.InWidth) + input;
                                        values[index] += term;
                                        magnitudes[index] += Math.Abs(term);
                                    }
                                }
                            }
                        }
                    }
                }
            }

            return (values, magnitudes);
        }

        /// <summary>The weight and bias gradients in double as the transpose of the definition.</summary>
        internal static (double[] Dw, double[] DwMagnitudes, double[] Dbias, double[] DbiasMagnitudes) ReferenceGradients(float[] dy, float[] x, int batch, ConvGeometry g)
        {
            var dw = new double[g.WeightLength];
            var dwMagnitudes = new double[dw.Length];
            var dbias = new double[g.OutChannels];
            var dbiasMagnitudes = new double[dbias.Length];
            int inPerGroup = g.InChannels / g.Groups, outPerGroup = g.OutChannels / g.Groups;
            for (int b = 0; b < batch; b++)
            {
                for (int co = 0; co < g.OutChannels; co++)
                {
                    int group = co / outPerGroup;
                    for (int oh = 0; oh < g.OutHeight; oh++)
                    {
                        for (int ow = 0; ow < g.OutWidth; ow++)
                        {
                            double gradient = dy[(b * g.OutputLength) + (((co * g.OutHeight) + oh) * g.OutWidth) + ow];
                            dbias[co] += gradient;
                            dbiasMagnitudes[co] += Math.Abs(gradient);
                            for (int ci = 0; ci < inPerGroup; ci++)
                            {
                                for (int kh = 0; kh < g.KernelHeight; kh++)
                                {
                                    for (int kw = 0; kw < g.KernelWidth; kw++)
                                    {
                                        int input = InputIndex(g, oh, ow, kh, kw);
                                        if (input < 0)
                                        {
                                            continue;
                                        }

                                        double term = gradient * x[(b * g.InputLength) + (((group * inPerGroup) + ci) * g.InHeight * g.InWidth) + input];
                                        int index = (((co * inPerGroup) + ci) * g.KernelHeight + kh) * g.KernelWidth + kw;
                                        dw[index] += term;
                                        dwMagnitudes[index] += Math.Abs(term);
                                    }
                                }
                            }
                        }
                    }
                }
            }

            return (dw, dwMagnitudes, dbias, dbiasMagnitudes);
        }

        /// <summary>L = Σ r·y with y the double convolution of x, w and bias.</summary>
        private static double Loss(double[] x, double[] w, double[] bias, float[] r, int batch, ConvGeometry g)
        {
            double loss = 0;
            int inPerGroup = g.InChannels / g.Groups, outPerGroup = g.OutChannels / g.Groups;
            for (int b = 0; b < batch; b++)
            {
                for (int co = 0; co < g.OutChannels; co++)
                {
                    int group = co / outPerGroup;
                    for (int oh = 0; oh < g.OutHeight; oh++)
                    {
                        for (int ow = 0; ow < g.OutWidth; ow++)
                        {
                            double sum = bias[co];
                            for (int ci = 0; ci < inPerGroup; ci++)
                            {
                                for (int kh = 0; kh < g.KernelHeight; kh++)
                                {
                                    for (int kw = 0; kw < g.KernelWidth; kw++)
                                    {
                                        int input = InputIndex(g, oh, ow, kh, kw);
                                        if (input >= 0)
                                        {
                                            sum += w[(((co * inPerGroup) + ci) * g.KernelHeight + kh) * g.KernelWidth + kw]
                                                * x[(b * g.InputLength) + (((group * inPerGroup) + ci) * g.InHeight * g.InWidth) + input];
                                        }
                                    }
                                }
                            }

                            loss += r[(b * g.OutputLength) + (((co * g.OutHeight) + oh) * g.OutWidth) + ow] * sum;
                        }
                    }
                }
            }

            return loss;
        }

        private static double CentralDifference(double[] values, int index, Func<double> loss)
        {
            double saved = values[index];
            values[index] = saved + FiniteDifferenceStep;
            double plus = loss();
            values[index] = saved - FiniteDifferenceStep;
            double minus = loss();
            values[index] = saved;
            return (plus - minus) / (2 * FiniteDifferenceStep);
        }

        /// <summary>
        /// Builds the test geometries. A grid covers stride 1–3, dilation 1–3 and groups 1, 2 and
        /// depthwise, alternating 1-D and 2-D, with asymmetric padding 0–2 and sizes that are not
        /// multiples of 8. Hand-picked shapes follow: the hot layers, output channels that leave a
        /// partial tile, and outputs shorter than 8 or 4 floats, which run 128-bit and scalar code.
        /// </summary>
        private static IReadOnlyList<ConvCase> BuildCases()
        {
            var cases = new List<ConvCase>();
            int[][] paddings = { new[] { 0, 0, 0, 0 }, new[] { 1, 0, 2, 1 }, new[] { 2, 2, 0, 1 }, new[] { 0, 1, 1, 2 }, new[] { 2, 1, 1, 0 } };
            int index = 0;
            for (int stride = 1; stride <= 3; stride++)
            {
                for (int dilation = 1; dilation <= 3; dilation++)
                {
                    foreach (int groupKind in new[] { 1, 2, 0 })
                    {
                        for (int dimensions = 1; dimensions <= 2; dimensions++, index++)
                        {
                            int inChannels = groupKind == 0 ? 3 : 4;
                            int groups = groupKind == 0 ? inChannels : groupKind;
                            int outChannels = groupKind == 0 ? 2 * inChannels : 2 + (index % 3 * 2) + (groups == 2 ? 0 : 1);
                            outChannels = outChannels / groups * groups;
                            int[] pad = paddings[index % paddings.Length];
                            int width = 9 + (index % 11);
                            int kernelWidth = 1 + (index % 3);
                            int strideWidth = (stride + index) % 3 == 0 ? Math.Max(1, stride - 1) : stride;
                            ConvGeometry g = dimensions == 1
                                ? new ConvGeometry(inChannels, 1, width + 5, outChannels, 1, kernelWidth + 1, 1, stride, 0, pad[1], 0, pad[3], 1, dilation, groups)
                                : new ConvGeometry(inChannels, 7 + (index % 5), width, outChannels, 1 + ((index + 1) % 3), kernelWidth, stride, strideWidth,
                                    pad[0], pad[1], pad[2], pad[3], dilation, 1 + ((dilation + index) % 3), groups);
                            cases.Add(new ConvCase(g, index % 2 == 0 ? 1 : 3));
                        }
                    }
                }
            }

            cases.Add(new ConvCase(new ConvGeometry(1, 28, 28, 6, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1), 1));
            cases.Add(new ConvCase(new ConvGeometry(3, 11, 13, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1), 3));
            cases.Add(new ConvCase(new ConvGeometry(6, 9, 10, 12, 3, 3, 1, 1, 2, 0, 1, 2, 2, 3, 6), 3));
            cases.Add(new ConvCase(new ConvGeometry(4, 6, 7, 4, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 2), 1));
            cases.Add(new ConvCase(new ConvGeometry(3, 3, 3, 5, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1), 3));
            cases.Add(new ConvCase(new ConvGeometry(2, 1, 5, 3, 1, 2, 1, 1, 0, 0, 0, 0, 1, 1, 1), 3));
            cases.Add(new ConvCase(new ConvGeometry(2, 2, 3, 9, 2, 2, 1, 1, 0, 0, 0, 0, 1, 1, 1), 1));
            cases.Add(new ConvCase(new ConvGeometry(8, 15, 9, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1), 1));
            cases.Add(new ConvCase(new ConvGeometry(2, 13, 15, 7, 5, 5, 3, 2, 2, 1, 0, 2, 1, 1, 1), 3));
            cases.Add(new ConvCase(new ConvGeometry(5, 9, 11, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 5), 3));
            cases.Add(new ConvCase(new ConvGeometry(6, 12, 12, 16, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1), 1));
            cases.Add(new ConvCase(new ConvGeometry(8, 15, 15, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1), 1));

            // 18,432 weights: the im2col weight gradient adds them in two cache blocks, per pair of samples and for the odd one.
            cases.Add(new ConvCase(new ConvGeometry(32, 5, 5, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1), 3));
            return cases;
        }

        private static TheoryData<int> IndicesOf(int count)
        {
            var data = new TheoryData<int>();
            for (int k = 0; k < count; k++)
            {
                data.Add(k);
            }

            return data;
        }
    }
}
