using System;
using NetGen.Kernels;

namespace NetGen.Tests.Kernels
{
    /// <summary>
    /// Tests of the mean-reduced losses (MSE, L1, Huber, binary cross-entropy on logits) and of
    /// softmax cross-entropy with label smoothing and class weights, against double-precision references.
    /// </summary>
    public class LossFamilyTests
    {
        /// <summary>Huber threshold for the tests; not PyTorch's 1, so that a kernel ignoring the argument fails.</summary>
        private const float HuberDelta = 0.7f;

        /// <summary>
        /// Allowed error of a loss, relative to the sum of the magnitudes of its terms. Terms are
        /// summed in double or in fp32 rows of at most 600 elements, which errs by at most
        /// n · 2⁻²⁴ ≈ 3.6e-5 of that magnitude and far less with vector partial sums.
        /// </summary>
        private const double LossTolerance = 1e-5;

        /// <summary>
        /// Allowed error of a gradient element, relative to the magnitudes of its terms: a few fp32
        /// roundings, plus the relative error of a softmax row sum for cross-entropy.
        /// </summary>
        private const double GradientTolerance = 1e-5;

        /// <summary>
        /// Allowed difference between a kernel's gradient and central differences of the double
        /// reference loss with h = 1e-4: the truncation error h²·f‴/6 is below 1e-8 for these
        /// smooth losses, and the fp32 gradient carries about 1e-7 relative error.
        /// </summary>
        private const double FiniteDifferenceTolerance = 1e-5;

        public static readonly TheoryData<int> Batches = new() { 1, 2, 3, 5 };

        private delegate float LossWithGradient(ReadOnlySpan<float> output, ReadOnlySpan<float> target, Span<float> gradient, int batch, int outputs);

        private delegate float LossOnly(ReadOnlySpan<float> output, ReadOnlySpan<float> target, int batch, int outputs);

        private delegate double ReferenceLoss(double[] output, float[] target, int batch, int outputs);

        private delegate double[] ReferenceGradient(double[] output, float[] target, int batch, int outputs);

        [Theory]
        [MemberData(nameof(Batches))]
        public void MeanSquaredError_AllSmallShapes_MatchReference(int batch)
        {
            for (int outputs = 0; outputs <= 17; outputs++)
            {
                CheckElementwiseLoss(
                    LossKernels.MeanSquaredError, LossKernels.MeanSquaredErrorLoss,
                    ReferenceMeanSquaredError, ReferenceMeanSquaredErrorGradient, batch, outputs, seed: outputs);
            }
        }

        [Theory]
        [MemberData(nameof(Batches))]
        public void AbsoluteError_AllSmallShapes_MatchReference(int batch)
        {
            for (int outputs = 0; outputs <= 17; outputs++)
            {
                CheckElementwiseLoss(
                    LossKernels.AbsoluteError, LossKernels.AbsoluteErrorLoss,
                    ReferenceAbsoluteError, ReferenceAbsoluteErrorGradient, batch, outputs, seed: outputs);
            }
        }

        [Theory]
        [MemberData(nameof(Batches))]
        public void Huber_AllSmallShapes_MatchReference(int batch)
        {
            for (int outputs = 0; outputs <= 17; outputs++)
            {
                CheckElementwiseLoss(
                    HuberWithDelta, HuberLossWithDelta,
                    ReferenceHuber, ReferenceHuberGradient, batch, outputs, seed: outputs);
            }
        }

        [Theory]
        [MemberData(nameof(Batches))]
        public void BinaryCrossEntropyWithLogits_AllSmallShapes_MatchReference(int batch)
        {
            for (int outputs = 0; outputs <= 17; outputs++)
            {
                CheckElementwiseLoss(
                    LossKernels.BinaryCrossEntropyWithLogits, LossKernels.BinaryCrossEntropyWithLogitsLoss,
                    ReferenceBinaryCrossEntropy, ReferenceBinaryCrossEntropyGradient, batch, outputs, seed: outputs, probabilityTargets: true);
            }
        }

        [Fact]
        public void ElementwiseLosses_LargeShape_MatchReference()
        {
            CheckElementwiseLoss(LossKernels.MeanSquaredError, LossKernels.MeanSquaredErrorLoss, ReferenceMeanSquaredError, ReferenceMeanSquaredErrorGradient, 7, 300, 5);
            CheckElementwiseLoss(LossKernels.AbsoluteError, LossKernels.AbsoluteErrorLoss, ReferenceAbsoluteError, ReferenceAbsoluteErrorGradient, 7, 300, 6);
            CheckElementwiseLoss(HuberWithDelta, HuberLossWithDelta, ReferenceHuber, ReferenceHuberGradient, 7, 300, 7);
            CheckElementwiseLoss(
                LossKernels.BinaryCrossEntropyWithLogits, LossKernels.BinaryCrossEntropyWithLogitsLoss,
                ReferenceBinaryCrossEntropy, ReferenceBinaryCrossEntropyGradient, 7, 300, 8, probabilityTargets: true);
        }

        [Fact]
        public void ElementwiseLossGradients_MatchFiniteDifferences()
        {
            const int Batch = 3, Outputs = 5;
            float[] output = TestValues.Uniform(Batch * Outputs, 11, scale: 2f);
            float[] target = TestValues.Uniform(Batch * Outputs, 12);

            // Keep every difference away from the kinks of |d| at 0 and of Huber at ±δ.
            for (int k = 0; k < output.Length; k++)
            {
                double difference = output[k] - target[k];
                if (Math.Abs(difference) < 0.05 || Math.Abs(Math.Abs(difference) - HuberDelta) < 0.05)
                {
                    output[k] += 0.2f;
                }
            }

            float[] probabilities = TestValues.Probabilities(Batch, Outputs, 13);
            CheckFiniteDifferences(LossKernels.MeanSquaredError, ReferenceMeanSquaredError, output, target, Batch, Outputs, "MSE");
            CheckFiniteDifferences(LossKernels.AbsoluteError, ReferenceAbsoluteError, output, target, Batch, Outputs, "L1");
            CheckFiniteDifferences(HuberWithDelta, ReferenceHuber, output, target, Batch, Outputs, "Huber");
            CheckFiniteDifferences(LossKernels.BinaryCrossEntropyWithLogits, ReferenceBinaryCrossEntropy, output, probabilities, Batch, Outputs, "BCE");
        }

        [Fact]
        public void AbsoluteError_ZeroDifference_GivesZeroGradient()
        {
            float[] output = { 1f, 2f, 3f, -4f, 5f, 6f, 7f, 8f, 9f };
            float[] target = { 1f, 1f, 3f, -3f, 5f, 6f, 7f, 8f, 9f };
            var gradient = new float[9];

            float loss = LossKernels.AbsoluteError(output, target, gradient, 3, 3);

            Assert.Equal(2f / 9f, loss, 6);
            Assert.Equal(new[] { 0f, 1f / 9f, 0f, -1f / 9f, 0f, 0f, 0f, 0f, 0f }, gradient);
        }

        [Fact]
        public void Huber_BothBranches_MatchPyTorchFormula()
        {
            // d = 0.5 is quadratic: 0.125, slope 0.5. d = −3 is linear: 2·(3 − 1) = 4, slope −2.
            float[] output = { 0.5f, -3f };
            float[] target = { 0f, 0f };
            var gradient = new float[2];

            float loss = LossKernels.Huber(output, target, gradient, 1, 2, 2f);

            Assert.Equal((0.125f + 4f) / 2f, loss);
            Assert.Equal(new[] { 0.25f, -1f }, gradient);
        }

        [Fact]
        public void BinaryCrossEntropy_HugeLogits_StayFinite()
        {
            float[] logits = { 1e4f, -1e4f, 1e30f, -1e30f, 88f, -88f, 1e4f, -1e30f };
            float[] target = { 1f, 0f, 0.3f, 0.3f, 1f, 0f, 0f, 1f };
            var gradient = new float[logits.Length];

            float loss = LossKernels.BinaryCrossEntropyWithLogits(logits, target, gradient, 2, 4);

            Assert.True(float.IsFinite(loss), $"The loss must stay finite, got {loss}.");
            Assert.All(gradient, value => Assert.True(float.IsFinite(value), $"Every gradient must stay finite, got {value}."));
            double[] logitsDouble = Array.ConvertAll(logits, value => (double)value);
            double expected = ReferenceBinaryCrossEntropy(logitsDouble, target, 2, 4);
            ReferenceMath.AssertNear(expected, loss, LossTolerance, 0, "BCE of huge logits");
            double[] expectedGradient = ReferenceBinaryCrossEntropyGradient(logitsDouble, target, 2, 4);
            for (int k = 0; k < logits.Length; k++)
            {
                ReferenceMath.AssertNear(expectedGradient[k], gradient[k], GradientTolerance, 1e-12, $"BCE gradient at logit {logits[k]:R}");
            }
        }

        [Fact]
        public void SoftmaxCrossEntropy_SmoothingAndWeights_MatchHandWorkedCase()
        {
            // Logits ln(1, 2, 5) and ln(3, 1, 4) give p = (1, 2, 5)/8 and (3, 1, 4)/8. Targets are
            // classes 2 and 0, ε = 0.3 and C = 3, so t′ = (0.1, 0.1, 0.8) and (0.8, 0.1, 0.1).
            // With w = (2, 1, 0.5): W₀ = 0.2 + 0.1 + 0.4 = 0.7 and W₁ = 1.6 + 0.1 + 0.05 = 1.75.
            // ℓ₀ = 0.2·ln 8 + 0.1·ln 4 + 0.4·ln(8/5) = 2 ln 2 − 0.4 ln 5.
            // ℓ₁ = 1.6·ln(8/3) + 0.1·ln 8 + 0.05·ln 2 = 5.15 ln 2 − 1.6 ln 3.
            float[] logits = { 0f, MathF.Log(2), MathF.Log(5), MathF.Log(3), 0f, MathF.Log(4) };
            float[] target = { 0f, 0f, 1f, 1f, 0f, 0f };
            float[] weights = { 2f, 1f, 0.5f };
            var gradient = new float[6];

            float loss = LossKernels.SoftmaxCrossEntropy(logits, target, gradient, 2, 3, 0.3f, weights);
            float lossOnly = LossKernels.SoftmaxCrossEntropyLoss(logits, target, 2, 3, 0.3f, weights);

            double expectedLoss = (7.15 * Math.Log(2) - 0.4 * Math.Log(5) - 1.6 * Math.Log(3)) / 2.45;

            // Row gradients W·p − w ⊙ t′: 0.7·(1, 2, 5)/8 − (0.2, 0.1, 0.4) and 1.75·(3, 1, 4)/8 − (1.6, 0.1, 0.05).
            double[] expectedGradient = { -0.1125 / 2.45, 0.075 / 2.45, 0.0375 / 2.45, -0.94375 / 2.45, 0.11875 / 2.45, 0.825 / 2.45 };
            ReferenceMath.AssertNear(expectedLoss, loss, LossTolerance, 0, "hand-worked loss");
            ReferenceMath.AssertNear(expectedLoss, lossOnly, LossTolerance, 0, "hand-worked evaluation loss");
            for (int k = 0; k < 6; k++)
            {
                ReferenceMath.AssertNear(expectedGradient[k], gradient[k], GradientTolerance, 1e-7, $"hand-worked gradient[{k}]");
            }
        }

        [Fact]
        public void SoftmaxCrossEntropy_WeightsWithoutSmoothing_MatchPyTorchWeightedMean()
        {
            // PyTorch with class-index targets (2, 0) and weights (2, 1, 0.5):
            // (w₂·(−log p₂) + w₀·(−log p₀)) / (w₂ + w₀) = (0.5·ln(8/5) + 2·ln(8/3)) / 2.5.
            float[] logits = { 0f, MathF.Log(2), MathF.Log(5), MathF.Log(3), 0f, MathF.Log(4) };
            float[] target = { 0f, 0f, 1f, 1f, 0f, 0f };
            float[] weights = { 2f, 1f, 0.5f };
            var gradient = new float[6];

            float loss = LossKernels.SoftmaxCrossEntropy(logits, target, gradient, 2, 3, 0f, weights);

            ReferenceMath.AssertNear((0.5 * Math.Log(1.6) + 2 * Math.Log(8.0 / 3)) / 2.5, loss, LossTolerance, 0, "weighted loss");
            double[] expectedGradient = { 0.0625 / 2.5, 0.125 / 2.5, -0.1875 / 2.5, -1.25 / 2.5, 0.25 / 2.5, 1.0 / 2.5 };
            for (int k = 0; k < 6; k++)
            {
                ReferenceMath.AssertNear(expectedGradient[k], gradient[k], GradientTolerance, 1e-7, $"weighted gradient[{k}]");
            }
        }

        [Fact]
        public void SoftmaxCrossEntropy_SmoothingWithoutWeights_MatchesPlainMean()
        {
            // With all weights 1, every W_n is 1 and the loss is the mean over samples of −Σ t′ log p,
            // which is PyTorch's label_smoothing result. Class 1 of 4, ε = 0.2: t′ = (0.05, 0.85, 0.05, 0.05).
            float[] logits = { 1f, 2f, 3f, 4f };
            float[] target = { 0f, 1f, 0f, 0f };
            var gradient = new float[4];

            float loss = LossKernels.SoftmaxCrossEntropy(logits, target, gradient, 1, 4, 0.2f, ReadOnlySpan<float>.Empty);

            double logSumExp = Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3) + Math.Exp(4));
            double[] smoothed = { 0.05, 0.85, 0.05, 0.05 };
            double expected = 0;
            for (int c = 0; c < 4; c++)
            {
                expected -= smoothed[c] * (logits[c] - logSumExp);
                ReferenceMath.AssertNear(Math.Exp(logits[c] - logSumExp) - smoothed[c], gradient[c], GradientTolerance, 1e-7, $"gradient[{c}]");
            }

            ReferenceMath.AssertNear(expected, loss, LossTolerance, 0, "smoothed loss");
        }

        [Theory]
        [MemberData(nameof(Batches))]
        public void SoftmaxCrossEntropyWithOptions_AllSmallShapes_MatchReference(int batch)
        {
            for (int outputs = 0; outputs <= 17; outputs++)
            {
                float[] logits = TestValues.Uniform(batch * outputs, outputs, scale: 5f);
                float[] weights = RandomWeights(outputs, outputs + 5);
                CheckSoftmaxCrossEntropy(logits, TestValues.OneHot(batch, outputs, outputs + 1), batch, outputs, 0.1f, weights);
                CheckSoftmaxCrossEntropy(logits, TestValues.Probabilities(batch, outputs, outputs + 2), batch, outputs, 0.25f, weights);
                CheckSoftmaxCrossEntropy(logits, TestValues.OneHot(batch, outputs, outputs + 3), batch, outputs, 0f, Array.Empty<float>());
            }
        }

        [Fact]
        public void SoftmaxCrossEntropyWithOptions_LongRows_MatchReference() =>
            // 600 classes take three pieces of the 256-float scratch in the evaluation loss.
            CheckSoftmaxCrossEntropy(TestValues.Uniform(3 * 600, 1, scale: 5f), TestValues.Probabilities(3, 600, 2), 3, 600, 0.05f, RandomWeights(600, 3));

        [Fact]
        public void SoftmaxCrossEntropyWithOptions_GradientMatchesFiniteDifferences()
        {
            const int Batch = 3, Outputs = 4;
            float[] logits = TestValues.Uniform(Batch * Outputs, 21, scale: 2f);
            float[] target = TestValues.Probabilities(Batch, Outputs, 22);
            float[] weights = { 0.5f, 2f, 1f, 1.5f };
            LossWithGradient kernel = (z, t, g, b, o) => LossKernels.SoftmaxCrossEntropy(z, t, g, b, o, 0.15f, weights);
            ReferenceLoss reference = (z, t, b, o) => ReferenceSoftmaxCrossEntropy(z, t, b, o, 0.15, weights).Loss;

            CheckFiniteDifferences(kernel, reference, logits, target, Batch, Outputs, "weighted smoothed cross-entropy");
        }

        [Fact]
        public void SoftmaxCrossEntropyWithOptions_HugeLogits_StayFinite()
        {
            float[] logits = { 1e4f, -1e4f, 1e30f, -1e30f, 0f, 88f, -88f, 1e4f };
            float[] target = { 0f, 1f, 0f, 0f, 0f, 0f, 0f, 1f };
            float[] weights = { 1f, 2f, 0.5f, 3f };
            var gradient = new float[8];

            float loss = LossKernels.SoftmaxCrossEntropy(logits, target, gradient, 2, 4, 0.1f, weights);
            float lossOnly = LossKernels.SoftmaxCrossEntropyLoss(logits, target, 2, 4, 0.1f, weights);

            Assert.True(float.IsFinite(loss), $"The loss must stay finite, got {loss}.");
            Assert.True(float.IsFinite(lossOnly), $"The evaluation loss must stay finite, got {lossOnly}.");
            Assert.All(gradient, value => Assert.True(float.IsFinite(value), $"Every gradient must stay finite, got {value}."));
            (double expected, _) = ReferenceSoftmaxCrossEntropy(Array.ConvertAll(logits, value => (double)value), target, 2, 4, 0.1, weights);
            ReferenceMath.AssertNear(expected, loss, LossTolerance, 0, "cross-entropy of huge logits");
        }

        [Fact]
        public void SoftmaxCrossEntropyWithOptions_InvalidOptions_Throw()
        {
            var six = new float[6];
            float[] ones = { 1f, 1f, 1f };

            foreach (float smoothing in new[] { -0.1f, 1f, float.NaN, float.PositiveInfinity })
            {
                ArgumentOutOfRangeException error = Assert.Throws<ArgumentOutOfRangeException>(
                    () => LossKernels.SoftmaxCrossEntropy(six, six, six, 2, 3, smoothing, ones));
                Assert.Equal("labelSmoothing", error.ParamName);
                Assert.Contains("[0, 1)", error.Message, StringComparison.Ordinal);
                Assert.Equal("labelSmoothing", Assert.Throws<ArgumentOutOfRangeException>(
                    () => LossKernels.SoftmaxCrossEntropyLoss(six, six, 2, 3, smoothing, ones)).ParamName);
            }

            ArgumentException lengthError = Assert.Throws<ArgumentException>(
                () => LossKernels.SoftmaxCrossEntropy(six, six, six, 2, 3, 0f, new float[2]));
            Assert.Equal("classWeights", lengthError.ParamName);
            Assert.Contains("exactly 3 elements", lengthError.Message, StringComparison.Ordinal);

            foreach (float weight in new[] { -1f, float.NaN, float.PositiveInfinity })
            {
                float[] weights = { 1f, weight, 1f };
                ArgumentException error = Assert.Throws<ArgumentException>(() => LossKernels.SoftmaxCrossEntropyLoss(six, six, 2, 3, 0f, weights));
                Assert.Equal("classWeights", error.ParamName);
                Assert.Contains("classWeights[1]", error.Message, StringComparison.Ordinal);
            }
        }

        [Fact]
        public void Huber_InvalidDelta_Throws()
        {
            var six = new float[6];
            foreach (float delta in new[] { 0f, -1f, float.NaN, float.PositiveInfinity })
            {
                Assert.Equal("delta", Assert.Throws<ArgumentOutOfRangeException>(() => LossKernels.Huber(six, six, six, 2, 3, delta)).ParamName);
                Assert.Equal("delta", Assert.Throws<ArgumentOutOfRangeException>(() => LossKernels.HuberLoss(six, six, 2, 3, delta)).ParamName);
            }
        }

        [Fact]
        public void Losses_WrongLengths_Throw()
        {
            var six = new float[6];
            var five = new float[5];

            AssertLengthError("output", () => LossKernels.MeanSquaredError(five, six, six, 2, 3));
            AssertLengthError("target", () => LossKernels.MeanSquaredError(six, five, six, 2, 3));
            AssertLengthError("gradient", () => LossKernels.MeanSquaredError(six, six, five, 2, 3));
            AssertLengthError("output", () => LossKernels.MeanSquaredErrorLoss(five, six, 2, 3));
            AssertLengthError("output", () => LossKernels.AbsoluteError(five, six, six, 2, 3));
            AssertLengthError("gradient", () => LossKernels.AbsoluteError(six, six, five, 2, 3));
            AssertLengthError("target", () => LossKernels.AbsoluteErrorLoss(six, five, 2, 3));
            AssertLengthError("output", () => LossKernels.Huber(five, six, six, 2, 3, 1f));
            AssertLengthError("gradient", () => LossKernels.Huber(six, six, five, 2, 3, 1f));
            AssertLengthError("target", () => LossKernels.HuberLoss(six, five, 2, 3, 1f));
            AssertLengthError("logits", () => LossKernels.BinaryCrossEntropyWithLogits(five, six, six, 2, 3));
            AssertLengthError("gradient", () => LossKernels.BinaryCrossEntropyWithLogits(six, six, five, 2, 3));
            AssertLengthError("target", () => LossKernels.BinaryCrossEntropyWithLogitsLoss(six, five, 2, 3));
            AssertLengthError("logits", () => LossKernels.SoftmaxCrossEntropy(five, six, six, 2, 3, 0f, ReadOnlySpan<float>.Empty));
            AssertLengthError("target", () => LossKernels.SoftmaxCrossEntropy(six, five, six, 2, 3, 0f, ReadOnlySpan<float>.Empty));
            AssertLengthError("gradient", () => LossKernels.SoftmaxCrossEntropy(six, six, five, 2, 3, 0f, ReadOnlySpan<float>.Empty));
            AssertLengthError("logits", () => LossKernels.SoftmaxCrossEntropyLoss(five, six, 2, 3, 0f, ReadOnlySpan<float>.Empty));

            Assert.Equal("batch", Assert.Throws<ArgumentOutOfRangeException>(() => LossKernels.MeanSquaredErrorLoss([], [], 0, 3)).ParamName);
            Assert.Equal("outputs", Assert.Throws<ArgumentOutOfRangeException>(() => LossKernels.HuberLoss([], [], 1, -1, 1f)).ParamName);
        }

        [Fact]
        public void AllLosses_AllocateNothing()
        {
            const int Batch = 5, Outputs = 13;
            float[] output = TestValues.Uniform(Batch * Outputs, 1);
            float[] target = TestValues.OneHot(Batch, Outputs, 2);
            float[] weights = RandomWeights(Outputs, 3);
            float[] gradient = new float[Batch * Outputs];

            void RunAll()
            {
                LossKernels.MeanSquaredError(output, target, gradient, Batch, Outputs);
                LossKernels.MeanSquaredErrorLoss(output, target, Batch, Outputs);
                LossKernels.AbsoluteError(output, target, gradient, Batch, Outputs);
                LossKernels.AbsoluteErrorLoss(output, target, Batch, Outputs);
                LossKernels.Huber(output, target, gradient, Batch, Outputs, 1f);
                LossKernels.HuberLoss(output, target, Batch, Outputs, 1f);
                LossKernels.BinaryCrossEntropyWithLogits(output, target, gradient, Batch, Outputs);
                LossKernels.BinaryCrossEntropyWithLogitsLoss(output, target, Batch, Outputs);
                LossKernels.SoftmaxCrossEntropy(output, target, gradient, Batch, Outputs, 0.1f, weights);
                LossKernels.SoftmaxCrossEntropyLoss(output, target, Batch, Outputs, 0.1f, weights);
            }

            RunAll();
            Assert.Equal(0, SteadyAllocation.MedianBytes(() =>
            {
                RunAll();
            }));
        }

        private static float HuberWithDelta(ReadOnlySpan<float> output, ReadOnlySpan<float> target, Span<float> gradient, int batch, int outputs) =>
            LossKernels.Huber(output, target, gradient, batch, outputs, HuberDelta);

        private static float HuberLossWithDelta(ReadOnlySpan<float> output, ReadOnlySpan<float> target, int batch, int outputs) =>
            LossKernels.HuberLoss(output, target, batch, outputs, HuberDelta);

        private static void CheckElementwiseLoss(
            LossWithGradient kernel, LossOnly lossOnly, ReferenceLoss reference, ReferenceGradient referenceGradient,
            int batch, int outputs, int seed, bool probabilityTargets = false)
        {
            float[] output = TestValues.Uniform(batch * outputs, seed, scale: 3f);
            float[] target = probabilityTargets ? TestValues.Probabilities(batch, outputs, seed + 1) : TestValues.Uniform(batch * outputs, seed + 1);
            var gradient = new GuardedBuffer(batch * outputs);

            float loss = kernel(output, target, gradient.Span, batch, outputs);
            float evaluationLoss = lossOnly(output, target, batch, outputs);

            double[] outputDouble = Array.ConvertAll(output, value => (double)value);
            double expected = reference(outputDouble, target, batch, outputs);
            double[] expectedGradient = referenceGradient(outputDouble, target, batch, outputs);

            // MSE, L1 and Huber have non-negative terms; BCE's terms are bounded by |x| + |x·t| + ln 2 each.
            double scale = Math.Abs(expected);
            if (probabilityTargets)
            {
                scale = 0;
                for (int k = 0; k < output.Length; k++)
                {
                    scale += (2 * Math.Abs(output[k]) + 1) / output.Length;
                }
            }

            ReferenceMath.AssertNear(expected, loss, 0, LossTolerance * scale, $"loss of {batch}x{outputs}");
            ReferenceMath.AssertNear(expected, evaluationLoss, 0, LossTolerance * scale, $"evaluation loss of {batch}x{outputs}");
            for (int k = 0; k < output.Length; k++)
            {
                ReferenceMath.AssertNear(expectedGradient[k], gradient[k], GradientTolerance, 1e-12, $"gradient[{k}] of {batch}x{outputs}");
            }

            gradient.AssertGuardsIntact();
        }

        private static void CheckFiniteDifferences(LossWithGradient kernel, ReferenceLoss reference, float[] output, float[] target, int batch, int outputs, string name)
        {
            var gradient = new float[output.Length];
            kernel(output, target, gradient, batch, outputs);

            const double H = 1e-4;
            double[] point = Array.ConvertAll(output, value => (double)value);
            for (int k = 0; k < output.Length; k++)
            {
                double saved = point[k];
                point[k] = saved + H;
                double plus = reference(point, target, batch, outputs);
                point[k] = saved - H;
                double minus = reference(point, target, batch, outputs);
                point[k] = saved;

                double numeric = (plus - minus) / (2 * H);
                ReferenceMath.AssertNear(numeric, gradient[k], FiniteDifferenceTolerance, 1e-7, $"{name} gradient[{k}] against finite differences");
            }
        }

        private static void CheckSoftmaxCrossEntropy(float[] logits, float[] target, int batch, int outputs, float smoothing, float[] weights)
        {
            var gradient = new GuardedBuffer(batch * outputs);

            float loss = LossKernels.SoftmaxCrossEntropy(logits, target, gradient.Span, batch, outputs, smoothing, weights);
            float evaluationLoss = LossKernels.SoftmaxCrossEntropyLoss(logits, target, batch, outputs, smoothing, weights);

            double[] logitsDouble = Array.ConvertAll(logits, value => (double)value);
            (double expected, double[] expectedGradient) = ReferenceSoftmaxCrossEntropy(logitsDouble, target, batch, outputs, smoothing, weights);
            if (outputs == 0)
            {
                Assert.Equal(0f, loss);
                Assert.Equal(0f, evaluationLoss);
                return;
            }

            // Scale: Σ w·t′·(|z − m| + log Σ e^(z−m) + 1) / Σ W, as the fp32 log-sum-exp errs by about one unit per term.
            double scale = 0, totalWeight = 0;
            double[] magnitude = new double[logits.Length];
            for (int b = 0; b < batch; b++)
            {
                double max = double.NegativeInfinity;
                for (int o = 0; o < outputs; o++)
                {
                    max = Math.Max(max, logits[b * outputs + o]);
                }

                double expSum = 0;
                for (int o = 0; o < outputs; o++)
                {
                    expSum += Math.Exp(logits[b * outputs + o] - max);
                }

                double rowWeight = 0;
                for (int o = 0; o < outputs; o++)
                {
                    double weighted = Weight(weights, o) * ((1 - smoothing) * target[b * outputs + o] + (double)smoothing / outputs);
                    rowWeight += weighted;
                    scale += weighted * (Math.Abs(logits[b * outputs + o] - max) + Math.Log(expSum) + 1);
                }

                for (int o = 0; o < outputs; o++)
                {
                    double weighted = Weight(weights, o) * ((1 - smoothing) * target[b * outputs + o] + (double)smoothing / outputs);
                    magnitude[b * outputs + o] = rowWeight * Math.Exp(logits[b * outputs + o] - max) / expSum + weighted;
                }

                totalWeight += rowWeight;
            }

            ReferenceMath.AssertNear(expected, loss, 0, LossTolerance * scale / totalWeight, $"cross-entropy of {batch}x{outputs}, ε = {smoothing}");
            ReferenceMath.AssertNear(expected, evaluationLoss, 0, LossTolerance * scale / totalWeight, $"evaluation cross-entropy of {batch}x{outputs}, ε = {smoothing}");
            for (int k = 0; k < logits.Length; k++)
            {
                ReferenceMath.AssertNear(expectedGradient[k], gradient[k], 0, GradientTolerance * magnitude[k] / totalWeight + 1e-12, $"gradient[{k}] of {batch}x{outputs}, ε = {smoothing}");
            }

            gradient.AssertGuardsIntact();
        }

        private static float[] RandomWeights(int count, int seed)
        {
            float[] weights = TestValues.Uniform(count, seed);
            for (int k = 0; k < count; k++)
            {
                weights[k] = 0.25f + 2 * Math.Abs(weights[k]);
            }

            return weights;
        }

        private static double Weight(float[] weights, int index) => weights.Length == 0 ? 1 : weights[index];

        private static double ReferenceMeanSquaredError(double[] output, float[] target, int batch, int outputs)
        {
            double sum = 0;
            for (int k = 0; k < output.Length; k++)
            {
                sum += (output[k] - target[k]) * (output[k] - target[k]);
            }

            return output.Length == 0 ? 0 : sum / output.Length;
        }

        private static double[] ReferenceMeanSquaredErrorGradient(double[] output, float[] target, int batch, int outputs) =>
            Array.ConvertAll(Indices(output.Length), k => 2 * (output[k] - target[k]) / output.Length);

        private static double ReferenceAbsoluteError(double[] output, float[] target, int batch, int outputs)
        {
            double sum = 0;
            for (int k = 0; k < output.Length; k++)
            {
                sum += Math.Abs(output[k] - target[k]);
            }

            return output.Length == 0 ? 0 : sum / output.Length;
        }

        private static double[] ReferenceAbsoluteErrorGradient(double[] output, float[] target, int batch, int outputs) =>
            Array.ConvertAll(Indices(output.Length), k => Math.Sign(output[k] - target[k]) / (double)output.Length);

        private static double ReferenceHuber(double[] output, float[] target, int batch, int outputs)
        {
            double sum = 0;
            for (int k = 0; k < output.Length; k++)
            {
                double d = Math.Abs(output[k] - target[k]);
                sum += d < HuberDelta ? d * d / 2 : HuberDelta * (d - HuberDelta / 2.0);
            }

            return output.Length == 0 ? 0 : sum / output.Length;
        }

        private static double[] ReferenceHuberGradient(double[] output, float[] target, int batch, int outputs) =>
            Array.ConvertAll(Indices(output.Length), k =>
            {
                double d = output[k] - target[k];
                return Math.Clamp(d, -HuberDelta, HuberDelta) / output.Length;
            });

        /// <summary>−[t·log σ(x) + (1 − t)·log(1 − σ(x))] per element, with log σ(x) = −log(1 + e^(−x)) taken from the non-overflowing side.</summary>
        private static double ReferenceBinaryCrossEntropy(double[] logits, float[] target, int batch, int outputs)
        {
            static double LogSigmoid(double x) => x >= 0 ? -ReferenceMath.LogP1(Math.Exp(-x)) : x - ReferenceMath.LogP1(Math.Exp(x));

            double sum = 0;
            for (int k = 0; k < logits.Length; k++)
            {
                double t = target[k];
                double positive = t == 0 ? 0 : t * LogSigmoid(logits[k]);
                double negative = t == 1 ? 0 : (1 - t) * LogSigmoid(-logits[k]);
                sum -= positive + negative;
            }

            return logits.Length == 0 ? 0 : sum / logits.Length;
        }

        private static double[] ReferenceBinaryCrossEntropyGradient(double[] logits, float[] target, int batch, int outputs) =>
            Array.ConvertAll(Indices(logits.Length), k => (ReferenceMath.Sigmoid(logits[k]) - target[k]) / logits.Length);

        /// <summary>
        /// Σ_n −Σ_c w_c t′_c log p_c / Σ_n Σ_c w_c t′_c and its gradient (W_n·p − w ⊙ t′) / Σ W, in double.
        /// </summary>
        private static (double Loss, double[] Gradient) ReferenceSoftmaxCrossEntropy(double[] logits, float[] target, int batch, int outputs, double smoothing, float[] weights)
        {
            var gradient = new double[logits.Length];
            if (outputs == 0)
            {
                return (0, gradient);
            }

            double lossSum = 0, weightSum = 0;
            for (int b = 0; b < batch; b++)
            {
                double max = double.NegativeInfinity;
                for (int c = 0; c < outputs; c++)
                {
                    max = Math.Max(max, logits[b * outputs + c]);
                }

                double expSum = 0;
                for (int c = 0; c < outputs; c++)
                {
                    expSum += Math.Exp(logits[b * outputs + c] - max);
                }

                double logSumExp = max + Math.Log(expSum);
                double rowWeight = 0;
                for (int c = 0; c < outputs; c++)
                {
                    double smoothed = (1 - smoothing) * target[b * outputs + c] + smoothing / outputs;
                    double weighted = Weight(weights, c) * smoothed;
                    rowWeight += weighted;
                    lossSum -= weighted * (logits[b * outputs + c] - logSumExp);
                }

                for (int c = 0; c < outputs; c++)
                {
                    double smoothed = (1 - smoothing) * target[b * outputs + c] + smoothing / outputs;
                    double probability = Math.Exp(logits[b * outputs + c] - logSumExp);
                    gradient[b * outputs + c] = rowWeight * probability - Weight(weights, c) * smoothed;
                }

                weightSum += rowWeight;
            }

            for (int k = 0; k < gradient.Length; k++)
            {
                gradient[k] /= weightSum;
            }

            return (lossSum / weightSum, gradient);
        }

        private static int[] Indices(int count)
        {
            var indices = new int[count];
            for (int k = 0; k < count; k++)
            {
                indices[k] = k;
            }

            return indices;
        }

        private static void AssertLengthError(string parameter, Func<float> call)
        {
            ArgumentException error = Assert.Throws<ArgumentException>(() => { call(); });
            Assert.Equal(parameter, error.ParamName);
            Assert.Contains("exactly 6 elements (batch 2 × outputs 3)", error.Message, StringComparison.Ordinal);
            Assert.Contains("it has 5", error.Message, StringComparison.Ordinal);
        }
    }
}
