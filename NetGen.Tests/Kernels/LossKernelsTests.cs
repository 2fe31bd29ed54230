using System;
using System.Linq;
using System.Runtime.InteropServices;
using NetGen.Kernels;

namespace NetGen.Tests.Kernels
{
    public class LossKernelsTests
    {
        /// <summary>
        /// Allowed error of a loss, relative to the sum of the magnitudes of its terms. Each row is
        /// summed in fp32 over at most 600 terms here, which errs by at most n · 2⁻²⁴ of that
        /// magnitude and much less with vector partial sums. Exp and log add a few units in the last place.
        /// </summary>
        private const double LossTolerance = 1e-5;

        /// <summary>
        /// Allowed error of a gradient element, relative to |softmax| + |target| (or |y − t|) over
        /// the batch. Softmax divides an exponential, accurate to a few units in the last place,
        /// by an fp32 sum of the row, so it carries that sum's relative error too.
        /// </summary>
        private const double GradientTolerance = 1e-5;

        public static readonly TheoryData<int> Batches = new() { 1, 2, 3, 5, 8 };

        [Theory]
        [MemberData(nameof(Batches))]
        public void SquaredError_MatchesReference_AllSmallShapes(int batch)
        {
            for (int outputs = 0; outputs <= 17; outputs++)
            {
                CheckSquaredError(batch, outputs, seed: outputs);
            }
        }

        [Fact]
        public void SquaredError_MatchesReference_LargeShape() => CheckSquaredError(batch: 7, outputs: 300, seed: 5);

        [Fact]
        public void SquaredErrors_SquareAboveFloatRange_StayFinite()
        {
            // One difference of 2e19 among 1,000 values: its square, 4e38, exceeds float's range,
            // but the mean squared error 4e35 and the squared error 2e37 (½ · 4e38 / 20) do not.
            const int Batch = 20, Outputs = 50;
            var output = new float[Batch * Outputs];
            output[417] = 2e19f;
            var target = new float[Batch * Outputs];
            double square = (double)2e19f * 2e19f;

            float meanSquared = LossKernels.MeanSquaredErrorLoss(output, target, Batch, Outputs);
            float squared = LossKernels.SquaredError(output, target, new float[Batch * Outputs], Batch, Outputs);

            TestValues.AssertClose(square / (Batch * Outputs), meanSquared, square / (Batch * Outputs), LossTolerance, "mean squared error");
            TestValues.AssertClose(0.5 * square / Batch, squared, 0.5 * square / Batch, LossTolerance, "squared error");
        }

        [Fact]
        public void Losses_OverlappingGradient_Throws()
        {
            // The gradient may be the output span itself, nothing else: a shifted overlap with the
            // output or any overlap with the target would be read after it was written.
            const int Batch = 4, Outputs = 3, Length = Batch * Outputs;
            var losses = new (string Name, Func<float[], int, int, int, float> Run)[]
            {
                ("SquaredError", (b, o, t, g) => LossKernels.SquaredError(b.AsSpan(o, Length), b.AsSpan(t, Length), b.AsSpan(g, Length), Batch, Outputs)),
                ("MeanSquaredError", (b, o, t, g) => LossKernels.MeanSquaredError(b.AsSpan(o, Length), b.AsSpan(t, Length), b.AsSpan(g, Length), Batch, Outputs)),
                ("AbsoluteError", (b, o, t, g) => LossKernels.AbsoluteError(b.AsSpan(o, Length), b.AsSpan(t, Length), b.AsSpan(g, Length), Batch, Outputs)),
                ("Huber", (b, o, t, g) => LossKernels.Huber(b.AsSpan(o, Length), b.AsSpan(t, Length), b.AsSpan(g, Length), Batch, Outputs, 1f)),
                ("SoftmaxCrossEntropy", (b, o, t, g) => LossKernels.SoftmaxCrossEntropy(b.AsSpan(o, Length), b.AsSpan(t, Length), b.AsSpan(g, Length), Batch, Outputs)),
                ("BinaryCrossEntropyWithLogits", (b, o, t, g) => LossKernels.BinaryCrossEntropyWithLogits(b.AsSpan(o, Length), b.AsSpan(t, Length), b.AsSpan(g, Length), Batch, Outputs)),
            };

            // Offsets of output, target and gradient in one buffer of three spans' room.
            var placements = new (int Output, int Target, int Gradient)[] { (0, 2 * Length, 1), (1, 2 * Length, 0), (0, Length, Length + 2), (0, Length, Length) };
            foreach (var (name, run) in losses)
            {
                foreach (var (output, target, gradient) in placements)
                {
                    float[] buffer = TestValues.Uniform(3 * Length, 4);
                    float[] before = (float[])buffer.Clone();
                    var error = Assert.Throws<ArgumentException>(() => run(buffer, output, target, gradient));
                    Assert.Equal("gradient", error.ParamName);
                    Assert.Equal(before, buffer);
                }
            }
        }

        [Fact]
        public void Losses_GradientHalfAFloatIntoOutput_Throws()
        {
            // Spans cast from bytes may start between two floats: the gradient here starts 2 bytes into the output.
            byte[] bytes = new byte[(6 * sizeof(float)) + 2];
            float[] target = new float[6];
            var error = Assert.Throws<ArgumentException>(() => LossKernels.SquaredError(
                MemoryMarshal.Cast<byte, float>(bytes.AsSpan(0, 6 * sizeof(float))),
                target,
                MemoryMarshal.Cast<byte, float>(bytes.AsSpan(2, 6 * sizeof(float))),
                2,
                3));
            Assert.Equal("gradient", error.ParamName);
        }

        [Fact]
        public void SoftmaxCrossEntropy_GradientOverlappingClassWeights_Throws()
        {
            const int Batch = 3, Classes = 4;
            float[] logits = TestValues.Uniform(Batch * Classes, 1), target = new float[Batch * Classes];
            float[] gradient = new float[Batch * Classes];
            var error = Assert.Throws<ArgumentException>(() =>
                LossKernels.SoftmaxCrossEntropy(logits, target, gradient, Batch, Classes, 0f, gradient.AsSpan(0, Classes)));
            Assert.Equal("gradient", error.ParamName);
        }

        [Fact]
        public void SquaredErrors_GradientIsOutput_SameResult()
        {
            // A caller may pass one span as both the output and the gradient. The loss must still
            // be that of the outputs, not of the differences written over them.
            const int Batch = 6, Outputs = 5;
            float[] target = TestValues.Uniform(Batch * Outputs, 2);
            foreach (bool mean in new[] { false, true })
            {
                float[] output = TestValues.Uniform(Batch * Outputs, 1, scale: 3f);
                float[] separate = new float[output.Length];
                float expected = mean
                    ? LossKernels.MeanSquaredError(output, target, separate, Batch, Outputs)
                    : LossKernels.SquaredError(output, target, separate, Batch, Outputs);

                float inPlace = mean
                    ? LossKernels.MeanSquaredError(output, target, output, Batch, Outputs)
                    : LossKernels.SquaredError(output, target, output, Batch, Outputs);

                Assert.Equal(expected, inPlace);
                Assert.Equal(separate, output);
            }
        }

        [Theory]
        [InlineData(10)] // one row per 512-bit vector
        [InlineData(40)] // the general kernel
        public void SoftmaxCrossEntropy_GradientIsLogits_SameResult(int outputs)
        {
            // Each row's gradient overwrites its logits; the rows after it must still be read intact.
            const int Batch = 7;
            float[] target = TestValues.OneHot(Batch, outputs, 2);
            float[] logits = TestValues.Uniform(Batch * outputs, 1, scale: 4f);
            float[] separate = new float[logits.Length];
            float expected = LossKernels.SoftmaxCrossEntropy(logits, target, separate, Batch, outputs);

            float inPlace = LossKernels.SoftmaxCrossEntropy(logits, target, logits, Batch, outputs);

            Assert.Equal(expected, inPlace);
            Assert.Equal(separate, logits);
        }

        [Theory]
        [MemberData(nameof(Batches))]
        public void SoftmaxCrossEntropy_MatchesReference_AllSmallShapes(int batch)
        {
            for (int outputs = 0; outputs <= 17; outputs++)
            {
                CheckSoftmaxCrossEntropy(TestValues.Uniform(batch * outputs, outputs, scale: 5f), TestValues.OneHot(batch, outputs, outputs + 1), batch, outputs);
                CheckSoftmaxCrossEntropy(TestValues.Uniform(batch * outputs, outputs, scale: 5f), TestValues.Probabilities(batch, outputs, outputs + 2), batch, outputs);
            }
        }

        [Fact]
        public void SoftmaxCrossEntropy_LongRows_MatchReference() =>
            // 600 classes take three pieces of the 256-float scratch in SoftmaxCrossEntropyLoss.
            CheckSoftmaxCrossEntropy(TestValues.Uniform(3 * 600, 1, scale: 5f), TestValues.Probabilities(3, 600, 2), 3, 600);

        [Fact]
        public void SoftmaxCrossEntropy_ThreeCacheBlocks_MatchesReference() =>
            // 3,300 × 10 gradients: two whole cache blocks of the final division and part of a third.
            CheckSoftmaxCrossEntropy(TestValues.Uniform(3300 * 10, 4, scale: 5f), TestValues.OneHot(3300, 10, 5), 3300, 10);

        [Fact]
        public void SoftmaxCrossEntropy_HugeLogits_StaysFinite()
        {
            const int Batch = 4, Outputs = 10;
            float[] logits = TestValues.Uniform(Batch * Outputs, 3);
            for (int k = 0; k < logits.Length; k++)
            {
                logits[k] = logits[k] >= 0 ? 1e4f : -1e4f;
            }

            logits[0] = 1e4f;
            logits[Outputs] = -1e4f;
            float[] target = TestValues.OneHot(Batch, Outputs, 4);
            float[] gradient = new float[Batch * Outputs];

            float loss = LossKernels.SoftmaxCrossEntropy(logits, target, gradient, Batch, Outputs);

            Assert.True(float.IsFinite(loss), $"The loss must stay finite, got {loss}.");
            Assert.All(gradient, value => Assert.True(float.IsFinite(value), $"Every gradient must stay finite, got {value}."));
            CheckSoftmaxCrossEntropy(logits, target, Batch, Outputs);
        }

        [Fact]
        public void SoftmaxLoss_MatchesTrainingLoss()
        {
            // Evaluation and training report the same loss for the same outputs.
            for (int outputs = 1; outputs <= 20; outputs++)
            {
                const int Batch = 9;
                float[] logits = TestValues.Uniform(Batch * outputs, outputs, scale: 6f);
                float[] target = TestValues.Probabilities(Batch, outputs, outputs + 1);

                float training = LossKernels.SoftmaxCrossEntropy(logits, target, new float[logits.Length], Batch, outputs);
                float evaluation = LossKernels.SoftmaxCrossEntropyLoss(logits, target, Batch, outputs);

                Assert.Equal(BitConverter.SingleToInt32Bits(training), BitConverter.SingleToInt32Bits(evaluation));
            }
        }

        [Theory]
        [InlineData(2)]
        [InlineData(7)]
        [InlineData(10)]
        [InlineData(16)]
        public void SoftmaxCrossEntropy_CertainPrediction_LossIsZero(int outputs)
        {
            // Logits of 0 at the target and −200 elsewhere: e^−200 is 0 in fp32, so the loss is
            // log(e^0) = 0 exactly and the gradient 0.
            float[] logits = Enumerable.Repeat(-200f, outputs * outputs).ToArray();
            float[] target = new float[outputs * outputs];
            for (int b = 0; b < outputs; b++)
            {
                logits[(b * outputs) + b] = 0f;
                target[(b * outputs) + b] = 1f;
            }

            float[] gradient = new float[logits.Length];
            float loss = LossKernels.SoftmaxCrossEntropy(logits, target, gradient, outputs, outputs);

            Assert.Equal(0f, loss);
            Assert.Equal(0f, LossKernels.SoftmaxCrossEntropyLoss(logits, target, outputs, outputs));
            Assert.All(gradient, g => Assert.Equal(0f, g));
        }

        [Theory]
        [InlineData(10)]
        [InlineData(16)]
        public void SoftmaxCrossEntropy_LargeLogitAtAnyClass_StaysFinite(int outputs)
        {
            // e^100 overflows fp32, so the shift must be the row's true maximum wherever it sits.
            float[] logits = new float[outputs * outputs];
            for (int b = 0; b < outputs; b++)
            {
                logits[(b * outputs) + b] = 100f;
            }

            float[] target = TestValues.OneHot(outputs, outputs, 3);
            float[] gradient = new float[logits.Length];

            float loss = LossKernels.SoftmaxCrossEntropy(logits, target, gradient, outputs, outputs);

            // Each row's loss is about 0 where the target sits at the large logit and 100 elsewhere.
            // The reference check would fail on subnormal gradients such as e^−100 / B.
            int hits = Enumerable.Range(0, outputs).Count(b => target[(b * outputs) + b] == 1f);
            Assert.Equal(100.0 * (outputs - hits) / outputs, loss, 1e-4);
            Assert.All(gradient, value => Assert.True(float.IsFinite(value), $"Every gradient must stay finite, got {value}."));
        }

        [Fact]
        public void SoftmaxCrossEntropy_NaNLogit_SpoilsOnlyItsRow()
        {
            const int Batch = 3, Outputs = 11;
            float[] logits = TestValues.Uniform(Batch * Outputs, 5);
            logits[Outputs + 4] = float.NaN;
            float[] target = TestValues.OneHot(Batch, Outputs, 6);
            float[] gradient = new float[Batch * Outputs];

            float loss = LossKernels.SoftmaxCrossEntropy(logits, target, gradient, Batch, Outputs);
            float lossOnly = LossKernels.SoftmaxCrossEntropyLoss(logits, target, Batch, Outputs);

            Assert.True(float.IsNaN(loss), $"The mean loss must be NaN, got {loss}.");
            Assert.True(float.IsNaN(lossOnly), $"The evaluation loss must be NaN, got {lossOnly}.");
            for (int o = 0; o < Outputs; o++)
            {
                Assert.True(float.IsNaN(gradient[Outputs + o]), $"gradient[1,{o}] must be NaN, got {gradient[Outputs + o]}.");
                Assert.True(float.IsFinite(gradient[o]), $"gradient[0,{o}] must stay finite, got {gradient[o]}.");
                Assert.True(float.IsFinite(gradient[2 * Outputs + o]), $"gradient[2,{o}] must stay finite, got {gradient[2 * Outputs + o]}.");
            }
        }

        [Theory]
        [MemberData(nameof(Batches))]
        public void Softmax_MatchesReference_AllSmallShapes(int batch)
        {
            for (int outputs = 0; outputs <= 17; outputs++)
            {
                float[] logits = TestValues.Uniform(batch * outputs, outputs, scale: 20f);
                var values = new GuardedBuffer(logits);

                LossKernels.Softmax(values.Span, batch, outputs);

                for (int b = 0; b < batch; b++)
                {
                    double[] expected = ReferenceSoftmax(logits.AsSpan(b * outputs, outputs));
                    for (int o = 0; o < outputs; o++)
                    {
                        TestValues.AssertClose(expected[o], values[b * outputs + o], expected[o], GradientTolerance, $"softmax[{b},{o}] of {outputs}");
                    }
                }

                values.AssertGuardsIntact();
            }
        }

        [Fact]
        public void Softmax_HugeLogitsAndNaN_MatchLogSumExp()
        {
            float[] values = { 1e4f, -1e4f, 1e4f, 0f, float.NaN, 1f };

            LossKernels.Softmax(values, 2, 3);

            Assert.Equal(new[] { 0.5f, 0f, 0.5f }, values[..3]);
            Assert.All(values[3..], value => Assert.True(float.IsNaN(value), $"A row with NaN must become NaN, got {value}."));
        }

        [Fact]
        public void Losses_WrongArguments_Throw()
        {
            var six = new float[6];
            var five = new float[5];

            AssertLengthError("output", () => LossKernels.SquaredError(five, six, six, 2, 3));
            AssertLengthError("target", () => LossKernels.SquaredError(six, five, six, 2, 3));
            AssertLengthError("gradient", () => LossKernels.SquaredError(six, six, five, 2, 3));
            AssertLengthError("logits", () => LossKernels.SoftmaxCrossEntropy(five, six, six, 2, 3));
            AssertLengthError("target", () => LossKernels.SoftmaxCrossEntropy(six, five, six, 2, 3));
            AssertLengthError("gradient", () => LossKernels.SoftmaxCrossEntropy(six, six, five, 2, 3));
            AssertLengthError("output", () => LossKernels.SquaredErrorLoss(five, six, 2, 3));
            AssertLengthError("target", () => LossKernels.SquaredErrorLoss(six, five, 2, 3));
            AssertLengthError("logits", () => LossKernels.SoftmaxCrossEntropyLoss(five, six, 2, 3));
            AssertLengthError("target", () => LossKernels.SoftmaxCrossEntropyLoss(six, five, 2, 3));
            AssertLengthError("values", () => LossKernels.Softmax(five, 2, 3));

            ArgumentOutOfRangeException zeroBatch = Assert.Throws<ArgumentOutOfRangeException>(() => LossKernels.SquaredErrorLoss([], [], 0, 3));
            Assert.Equal("batch", zeroBatch.ParamName);
            Assert.Equal("outputs", Assert.Throws<ArgumentOutOfRangeException>(() => LossKernels.Softmax([], 0, -1)).ParamName);
        }

        [Fact]
        public void AllKernels_AllocateNothing()
        {
            const int Batch = 5, Outputs = 13;
            float[] output = TestValues.Uniform(Batch * Outputs, 1);
            float[] target = TestValues.OneHot(Batch, Outputs, 2);
            float[] gradient = new float[Batch * Outputs];

            void RunAll()
            {
                LossKernels.SquaredError(output, target, gradient, Batch, Outputs);
                LossKernels.SoftmaxCrossEntropy(output, target, gradient, Batch, Outputs);
                LossKernels.SquaredErrorLoss(output, target, Batch, Outputs);
                LossKernels.SoftmaxCrossEntropyLoss(output, target, Batch, Outputs);
                LossKernels.Softmax(gradient, Batch, Outputs);
            }

            RunAll();
            Assert.Equal(0, SteadyAllocation.MedianBytes(() =>
            {
                RunAll();
            }));
        }

        private static void CheckSquaredError(int batch, int outputs, int seed)
        {
            float[] output = TestValues.Uniform(batch * outputs, seed, scale: 3f);
            float[] target = TestValues.Uniform(batch * outputs, seed + 1);
            var gradient = new GuardedBuffer(batch * outputs);

            float loss = LossKernels.SquaredError(output, target, gradient.Span, batch, outputs);
            float lossOnly = LossKernels.SquaredErrorLoss(output, target, batch, outputs);

            double expectedLoss = 0;
            for (int k = 0; k < output.Length; k++)
            {
                double difference = (double)output[k] - target[k];
                expectedLoss += 0.5 * difference * difference / batch;
                TestValues.AssertClose(difference / batch, gradient[k], Math.Abs(difference / batch), GradientTolerance, $"gradient[{k}] of {batch}x{outputs}");
            }

            // Every term is non-negative, so the loss itself is the sum of the term magnitudes.
            TestValues.AssertClose(expectedLoss, loss, expectedLoss, LossTolerance, $"squared error of {batch}x{outputs}");
            TestValues.AssertClose(expectedLoss, lossOnly, expectedLoss, LossTolerance, $"squared error loss of {batch}x{outputs}");

            // Evaluation reports the loss of SquaredErrorLoss and training that of SquaredError, so they must agree to the bit.
            Assert.Equal(loss, lossOnly);
            gradient.AssertGuardsIntact();
        }

        private static void CheckSoftmaxCrossEntropy(float[] logits, float[] target, int batch, int outputs)
        {
            var gradient = new GuardedBuffer(batch * outputs);

            float loss = LossKernels.SoftmaxCrossEntropy(logits, target, gradient.Span, batch, outputs);
            float lossOnly = LossKernels.SoftmaxCrossEntropyLoss(logits, target, batch, outputs);

            double expectedLoss = 0, scale = 0;
            for (int b = 0; b < batch; b++)
            {
                ReadOnlySpan<float> row = logits.AsSpan(b * outputs, outputs);
                double max = double.NegativeInfinity;
                foreach (float value in row)
                {
                    max = Math.Max(max, value);
                }

                double expSum = 0;
                foreach (float value in row)
                {
                    expSum += Math.Exp(value - max);
                }

                double logSumExp = max + Math.Log(expSum);
                double[] softmax = ReferenceSoftmax(row);
                for (int o = 0; o < outputs; o++)
                {
                    double t = target[b * outputs + o];
                    expectedLoss -= t * (row[o] - logSumExp) / batch;

                    // log Σ e^(y−m) has an absolute error equal to the relative error of the sum,
                    // so each target gets one unit of scale besides |y − m| + log Σ e^(y−m).
                    scale += Math.Abs(t) * (Math.Abs(row[o] - max) + Math.Log(expSum) + 1) / batch;
                    TestValues.AssertClose((softmax[o] - t) / batch, gradient[b * outputs + o], (softmax[o] + Math.Abs(t)) / batch, GradientTolerance,
                        $"gradient[{b},{o}] of {batch}x{outputs}");
                }
            }

            TestValues.AssertClose(expectedLoss, loss, scale, LossTolerance, $"softmax cross-entropy of {batch}x{outputs}");
            TestValues.AssertClose(expectedLoss, lossOnly, scale, LossTolerance, $"softmax cross-entropy loss of {batch}x{outputs}");
            gradient.AssertGuardsIntact();
        }

        private static double[] ReferenceSoftmax(ReadOnlySpan<float> row)
        {
            double max = double.NegativeInfinity;
            foreach (float value in row)
            {
                max = Math.Max(max, value);
            }

            var result = new double[row.Length];
            double sum = 0;
            for (int k = 0; k < row.Length; k++)
            {
                result[k] = Math.Exp(row[k] - max);
                sum += result[k];
            }

            for (int k = 0; k < row.Length; k++)
            {
                result[k] /= sum;
            }

            return result;
        }

        private static void AssertLengthError(string parameter, Action call)
        {
            ArgumentException error = Assert.Throws<ArgumentException>(call);
            Assert.Equal(parameter, error.ParamName);
            Assert.Contains("exactly 6 elements (batch 2 × outputs 3)", error.Message, StringComparison.Ordinal);
            Assert.Contains("it has 5", error.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void SoftmaxCrossEntropyWeight_SumsWeightedTargets()
        {
            // W = Σ_n Σ_c w_c·((1 − ε)·t_nc + ε/C), by hand for 3 samples of 3 classes.
            float[] targets = { 1f, 0f, 0f, 0f, 0.5f, 0.5f, 0.2f, 0f, 2f };
            float[] weights = { 2f, 0f, 3f };
            const float smoothing = 0.25f;
            double expected = 0;
            for (int n = 0; n < 3; n++)
            {
                for (int c = 0; c < 3; c++)
                {
                    expected += weights[c] * ((1 - 0.25) * targets[n * 3 + c] + 0.25 / 3);
                }
            }

            Assert.Equal(expected, LossKernels.SoftmaxCrossEntropyWeight(targets, 3, 3, smoothing, weights), 12);
            Assert.Equal(1.0 + 1.0 + 2.2, LossKernels.SoftmaxCrossEntropyWeight(targets, 3, 3, 0f, default), 6);
            Assert.Throws<ArgumentException>(() => LossKernels.SoftmaxCrossEntropyWeight(targets, 2, 3, 0f, default));
        }

        private static void AssertLengthError(string parameter, Func<float> call) => AssertLengthError(parameter, () => { call(); });
    }
}
