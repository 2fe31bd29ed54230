using System;
using System.Collections.Generic;
using static NetGen.Tests.Optimizers.OptimizerTestData;

namespace NetGen.Tests.Optimizers;

public class AdamTests
{
    // Single-precision steps are compared with a double reference. Each element goes through
    // about eight float roundings per step (6e-8 relative each) on parameters of order 1, so four
    // steps stay below 2e-6 (the largest error seen is under 3e-7). A missing bias correction or
    // a misplaced ε changes a step of lr = 0.01 by a sizeable fraction of it.
    private const double Tolerance = 2e-6;

    private const int StepCount = 4;

    /// <summary>Where the reference adds ε, to show that only one placement matches.</summary>
    internal enum EpsilonPlacement
    {
        /// <summary>p −= lr·m̂/(√v̂ + ε), as torch.optim.Adam.</summary>
        AfterSquareRoot,

        /// <summary>p −= lr·m̂/√(v̂ + ε), a common variant that this optimizer must not follow.</summary>
        InsideSquareRoot,
    }

    /// <summary>Which second moment the reference divides by.</summary>
    internal enum AmsgradVariant
    {
        /// <summary>Plain Adam: v̂ = v/(1 − β2^t).</summary>
        None,

        /// <summary>vmax = max(vmax, v) over the raw v, then vmax/(1 − β2^t), as torch.optim.Adam's implementation.</summary>
        MaximumOfRawMoment,

        /// <summary>v̂max = max(v̂max, v̂) over the corrected v̂, as torch 1.x documented it; this optimizer must not follow it.</summary>
        MaximumOfCorrectedMoment,
    }

    /// <summary>
    /// torch.optim.Adam's documented update, written out per element in double precision.
    /// <paramref name="decoupledDecay"/> switches to torch.optim.AdamW: p = p·(1 − lr·λ) before the
    /// Adam update instead of g = g + λ·p.
    /// </summary>
    internal static double[] ReferenceAdam(
        float[] initialParameters, IReadOnlyList<float[]> gradients,
        double learningRate, double beta1, double beta2, double epsilon, double weightDecay,
        EpsilonPlacement placement = EpsilonPlacement.AfterSquareRoot,
        AmsgradVariant amsgrad = AmsgradVariant.None,
        bool decoupledDecay = false)
    {
        int length = initialParameters.Length;
        var p = new double[length];
        var m = new double[length];
        var v = new double[length];
        var vMax = new double[length];
        for (int i = 0; i < length; i++)
        {
            p[i] = initialParameters[i];
        }

        for (int t = 1; t <= gradients.Count; t++)
        {
            float[] gradient = gradients[t - 1];
            for (int i = 0; i < length; i++)
            {
                double g = gradient[i];
                if (decoupledDecay)
                {
                    p[i] *= 1 - learningRate * weightDecay;
                }
                else
                {
                    g += weightDecay * p[i];
                }

                m[i] = beta1 * m[i] + (1 - beta1) * g;
                v[i] = beta2 * v[i] + (1 - beta2) * g * g;
                double mHat = m[i] / (1 - Math.Pow(beta1, t));
                double vHat = v[i] / (1 - Math.Pow(beta2, t));
                if (amsgrad == AmsgradVariant.MaximumOfRawMoment)
                {
                    vMax[i] = Math.Max(vMax[i], v[i]);
                    vHat = vMax[i] / (1 - Math.Pow(beta2, t));
                }
                else if (amsgrad == AmsgradVariant.MaximumOfCorrectedMoment)
                {
                    vMax[i] = Math.Max(vMax[i], vHat);
                    vHat = vMax[i];
                }

                double denominator = placement == EpsilonPlacement.AfterSquareRoot
                    ? Math.Sqrt(vHat) + epsilon
                    : Math.Sqrt(vHat + epsilon);
                p[i] -= learningRate * mHat / denominator;
            }
        }

        return p;
    }

    private static void AssertMatchesReference(int length, float learningRate, float beta1, float beta2, float epsilon, float weightDecay, bool amsgrad = false)
    {
        float[] initial = InitialParameters(length);
        float[][] gradients = VaryingGradients(length, StepCount);
        var optimizer = new Adam(learningRate, beta1, beta2, epsilon, weightDecay, amsgrad);

        float[] actual = Run(optimizer, initial, gradients);

        double[] expected = ReferenceAdam(initial, gradients, learningRate, beta1, beta2, epsilon, weightDecay,
            amsgrad: amsgrad ? AmsgradVariant.MaximumOfRawMoment : AmsgradVariant.None);
        AssertClose(expected, actual, Tolerance);
        Assert.Equal(StepCount, optimizer.StepCount);
    }

    [Theory]
    [MemberData(nameof(Lengths), MemberType = typeof(OptimizerTestData))]
    public void Adam_DefaultsMatchTorchFormula(int length) =>
        AssertMatchesReference(length, learningRate: 0.01f, beta1: 0.9f, beta2: 0.999f, epsilon: 1e-8f, weightDecay: 0);

    [Theory]
    [MemberData(nameof(Lengths), MemberType = typeof(OptimizerTestData))]
    public void Adam_OtherBetasMatchTorchFormula(int length) =>
        AssertMatchesReference(length, learningRate: 0.02f, beta1: 0.5f, beta2: 0.75f, epsilon: 1e-3f, weightDecay: 0);

    [Theory]
    [MemberData(nameof(Lengths), MemberType = typeof(OptimizerTestData))]
    public void Adam_WeightDecayMatchesTorchFormula(int length) =>
        AssertMatchesReference(length, learningRate: 0.01f, beta1: 0.9f, beta2: 0.999f, epsilon: 1e-8f, weightDecay: 0.1f);

    [Theory]
    [MemberData(nameof(Lengths), MemberType = typeof(OptimizerTestData))]
    public void Adam_AmsgradMatchesTorchFormula(int length) =>
        AssertMatchesReference(length, learningRate: 0.01f, beta1: 0.9f, beta2: 0.999f, epsilon: 1e-8f, weightDecay: 0, amsgrad: true);

    [Theory]
    [MemberData(nameof(Lengths), MemberType = typeof(OptimizerTestData))]
    public void Adam_AmsgradWithWeightDecayMatchesTorchFormula(int length) =>
        AssertMatchesReference(length, learningRate: 0.02f, beta1: 0.5f, beta2: 0.75f, epsilon: 1e-3f, weightDecay: 0.1f, amsgrad: true);

    [Fact]
    public void Adam_AmsgradKeepsMaximumOfRawSecondMoment()
    {
        // One large gradient and then small ones make v shrink, so AMSGrad's vmax differs from v.
        // β2 = 0.9 makes the bias correction change fast enough that the maximum over the raw v
        // (torch's implementation) and over the corrected v̂ (torch 1.x docs) differ as well.
        const int length = 7;
        const float learningRate = 0.01f;
        float[] initial = InitialParameters(length);
        var gradients = new float[6][];
        for (int step = 0; step < gradients.Length; step++)
        {
            gradients[step] = new float[length];
            for (int i = 0; i < length; i++)
            {
                double scale = step == 0 ? 10 : 0.1;
                gradients[step][i] = (float)(scale * (i % 2 == 0 ? 1 : -1) * (1 + 0.1 * i));
            }
        }

        float[] actual = Run(new Adam(learningRate, beta2: 0.9f, amsgrad: true), initial, gradients);

        double[] raw = ReferenceAdam(initial, gradients, learningRate, 0.9f, 0.9f, 1e-8f, 0, amsgrad: AmsgradVariant.MaximumOfRawMoment);
        double[] corrected = ReferenceAdam(initial, gradients, learningRate, 0.9f, 0.9f, 1e-8f, 0, amsgrad: AmsgradVariant.MaximumOfCorrectedMoment);
        double[] plain = ReferenceAdam(initial, gradients, learningRate, 0.9f, 0.9f, 1e-8f, 0);
        AssertClose(raw, actual, Tolerance);
        Assert.True(MaxDifference(raw, corrected) > 1000 * Tolerance,
            $"The inputs must separate the two AMSGrad maxima, but they differ by only {MaxDifference(raw, corrected):E3}.");
        Assert.True(MaxDifference(raw, plain) > 1000 * Tolerance,
            $"The inputs must separate AMSGrad from plain Adam, but they differ by only {MaxDifference(raw, plain):E3}.");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Adam_DecayedMomentsFlushToZero(bool amsgrad)
    {
        // Parameters 0–7 get a gradient of 1 on the first step and 0 after it, so m shrinks by
        // β1 = 0.9 per step: below 2⁻¹²⁶ after about 810 steps, where subnormal arithmetic would
        // slow every later step. Parameters 8–15 keep random gradients and must still follow the
        // torch formula.
        const int Length = 16, Steps = 1000;
        var gradients = new float[Steps][];
        var random = new Random(7);
        for (int t = 0; t < Steps; t++)
        {
            gradients[t] = new float[Length];
            for (int i = 0; i < Length; i++)
            {
                if (i >= 8)
                {
                    gradients[t][i] = (float)((random.NextDouble() * 2) - 1);
                }
                else if (t == 0)
                {
                    gradients[t][i] = 1f;
                }
            }
        }

        float[] initial = InitialParameters(Length);
        var optimizer = new Adam(1e-3f, amsgrad: amsgrad);
        float[] actual = Run(optimizer, initial, gradients);

        ReadOnlySpan<float> m = optimizer.Moments.FirstMoment;
        for (int i = 0; i < 8; i++)
        {
            Assert.True(m[i] == 0f, $"m[{i}] = {m[i]:E3} after {Steps} steps of zero gradient, expected 0");
        }

        double[] expected = ReferenceAdam(initial, gradients, 1e-3, 0.9, 0.999, 1e-8, 0,
            amsgrad: amsgrad ? AmsgradVariant.MaximumOfRawMoment : AmsgradVariant.None);
        for (int i = 8; i < Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4, $"p[{i}] = {actual[i]:R}, expected {expected[i]:R}");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Adam_ZeroEpsilonTinyGradient_StepsByLearningRate(bool amsgrad)
    {
        // With ε = 0 and g = 1e-20, v = (1 − β2)·g² is subnormal while m is normal. Torch keeps v
        // and steps by about lr·sign(g); flushing v to 0 would divide m by 0. Nine parameters take
        // both the vector path and the scalar tail. A subnormal v of about 1e-43 keeps only 6 or 7
        // significant bits, so the steps match the double reference to about 1 %.
        const int Length = 9, Steps = 5;
        var gradients = new float[Steps][];
        for (int t = 0; t < Steps; t++)
        {
            gradients[t] = new float[Length];
            Array.Fill(gradients[t], 1e-20f);
        }

        float[] initial = new float[Length];
        float[] actual = Run(new Adam(1e-3f, epsilon: 0f, amsgrad: amsgrad), initial, gradients);

        double[] expected = ReferenceAdam(initial, gradients, 1e-3, 0.9, 0.999, 0, 0,
            amsgrad: amsgrad ? AmsgradVariant.MaximumOfRawMoment : AmsgradVariant.None);
        for (int i = 0; i < Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4, $"p[{i}] = {actual[i]:R}, expected {expected[i]:R}");
        }
    }

    [Fact]
    public void Adam_ConstructorDefaultsMatchTorch()
    {
        var optimizer = new Adam();

        Assert.Equal(1e-3f, optimizer.LearningRate);
        Assert.Equal(0.9f, optimizer.Beta1);
        Assert.Equal(0.999f, optimizer.Beta2);
        Assert.Equal(1e-8f, optimizer.Epsilon);
        Assert.Equal(0f, optimizer.WeightDecay);
        Assert.False(optimizer.Amsgrad);
        Assert.Equal(0, optimizer.StepCount);
    }

    [Fact]
    public void Adam_FirstStepMovesBySignOfGradient()
    {
        // After one step m̂ = g and v̂ = g², so m̂/√v̂ = sign(g) when ε is negligible, whatever |g| is.
        const float learningRate = 0.01f;
        float[] initial = { 0.5f, -0.25f, 1f, 2f, -3f, 0f, 0.75f };
        float[] gradient = { 3f, -0.002f, 0f, 1e-3f, -250f, 7f, -1f };
        var optimizer = new Adam(learningRate, epsilon: 1e-12f);

        float[] actual = Run(optimizer, initial, new[] { gradient });

        var expected = new double[initial.Length];
        for (int i = 0; i < initial.Length; i++)
        {
            expected[i] = initial[i] - (double)learningRate * Math.Sign(gradient[i]);
        }

        AssertClose(expected, actual, Tolerance);
        Assert.Equal(1, optimizer.StepCount);
    }

    [Fact]
    public void Adam_EpsilonIsAddedAfterSquareRoot()
    {
        // Gradients near 1e-4 give √v̂ ≈ 1e-4, comparable to ε, so the two placements differ by
        // about half a learning rate per step.
        const int length = 33;
        const float learningRate = 0.01f;
        const float epsilon = 1e-4f;
        float[] initial = InitialParameters(length);
        float[][] gradients = VaryingGradients(length, StepCount);
        foreach (float[] gradient in gradients)
        {
            for (int i = 0; i < length; i++)
            {
                gradient[i] *= 1e-4f;
            }
        }

        var optimizer = new Adam(learningRate, epsilon: epsilon);
        float[] actual = Run(optimizer, initial, gradients);

        double[] after = ReferenceAdam(initial, gradients, learningRate, 0.9f, 0.999f, epsilon, 0, EpsilonPlacement.AfterSquareRoot);
        double[] inside = ReferenceAdam(initial, gradients, learningRate, 0.9f, 0.999f, epsilon, 0, EpsilonPlacement.InsideSquareRoot);
        AssertClose(after, actual, Tolerance);
        double maxPlacementGap = 0;
        for (int i = 0; i < length; i++)
        {
            maxPlacementGap = Math.Max(maxPlacementGap, Math.Abs(after[i] - inside[i]));
        }

        Assert.True(maxPlacementGap > 1000 * Tolerance,
            $"The inputs must separate the two ε placements, but they differ by only {maxPlacementGap:E3}.");
    }

    [Fact]
    public void Adam_BiasCorrectionMakesConstantGradientStepsEqual()
    {
        // With a constant gradient, m̂ = g and v̂ = g² exactly at every step, so each step moves p
        // by lr·g/(|g| + ε). Without the corrections the first step would be √(1 − β2)/(1 − β1)
        // ≈ 0.32 times as long and later steps would grow.
        const int length = 7;
        const int steps = 10;
        const float learningRate = 0.01f;
        const float epsilon = 1e-8f;
        float[] initial = InitialParameters(length);
        float[] gradient = { 2f, -0.5f, 0f, 1e-2f, -40f, 3f, -1f };
        var gradients = new float[steps][];
        Array.Fill(gradients, gradient);

        float[] actual = Run(new Adam(learningRate, epsilon: epsilon), initial, gradients);

        var expected = new double[length];
        for (int i = 0; i < length; i++)
        {
            double g = gradient[i];
            expected[i] = initial[i] - steps * (double)learningRate * g / (Math.Abs(g) + epsilon);
        }

        AssertClose(expected, actual, Tolerance);
    }

    [Fact]
    public void Adam_LearningRateChangeAppliesToNextStep()
    {
        float[] parameters = { 1f, -1f };
        var optimizer = new Adam(0.1f);
        optimizer.Step(parameters, new[] { 1f, -1f });
        float[] afterFirstStep = (float[])parameters.Clone();

        optimizer.LearningRate = 0;
        optimizer.Step(parameters, new[] { 5f, 5f });

        Assert.Equal(afterFirstStep, parameters);
        Assert.Equal(2, optimizer.StepCount);
    }

    [Theory]
    [InlineData("learningRate", -0.001f, "must be a finite number")]
    [InlineData("learningRate", float.NaN, "must be a finite number")]
    [InlineData("beta1", 1f, "at least 0 and less than 1")]
    [InlineData("beta1", -0.1f, "at least 0 and less than 1")]
    [InlineData("beta1", float.NaN, "at least 0 and less than 1")]
    [InlineData("beta2", 1f, "at least 0 and less than 1")]
    [InlineData("beta2", 1.5f, "at least 0 and less than 1")]
    [InlineData("epsilon", -1e-8f, "must be a finite number")]
    [InlineData("epsilon", float.PositiveInfinity, "must be a finite number")]
    [InlineData("weightDecay", -0.1f, "must be a finite number")]
    [InlineData("weightDecay", float.NaN, "must be a finite number")]
    public void Adam_RejectsInvalidHyperparameter(string name, float value, string expectedRule)
    {
        float learningRate = name == "learningRate" ? value : 1e-3f;
        float beta1 = name == "beta1" ? value : 0.9f;
        float beta2 = name == "beta2" ? value : 0.999f;
        float epsilon = name == "epsilon" ? value : 1e-8f;
        float weightDecay = name == "weightDecay" ? value : 0f;

        var exception = Assert.Throws<ArgumentOutOfRangeException>(
            () => new Adam(learningRate, beta1, beta2, epsilon, weightDecay));

        Assert.Equal(name, exception.ParamName);
        Assert.Equal(value, exception.ActualValue);
        Assert.Contains(expectedRule, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Adam_AcceptsZeroBetasAndEpsilon()
    {
        // β = 0 keeps only the latest gradient, and ε = 0 is allowed as in torch.optim.Adam.
        float[] parameters = { 1f, -1f };
        var optimizer = new Adam(0.5f, beta1: 0, beta2: 0, epsilon: 0);

        optimizer.Step(parameters, new[] { 2f, -3f });

        Assert.Equal(new[] { 0.5f, -0.5f }, parameters);
    }

    [Fact]
    public void Adam_LearningRateSetterRejectsNegative()
    {
        var optimizer = new Adam();

        var exception = Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.LearningRate = -1f);

        Assert.Equal(-1f, exception.ActualValue);
        Assert.Equal(1e-3f, optimizer.LearningRate);
    }

    [Fact]
    public void Adam_LengthChangeThrows()
    {
        var optimizer = new Adam();
        optimizer.Step(new float[33], new float[33]);

        var exception = Assert.Throws<ArgumentException>(() => optimizer.Step(new float[7], new float[7]));

        Assert.Equal("parameters", exception.ParamName);
        Assert.Contains("received 7 parameters", exception.Message, StringComparison.Ordinal);
        Assert.Contains("allocated for 33 parameters", exception.Message, StringComparison.Ordinal);
        Assert.Equal(1, optimizer.StepCount);
    }

    [Fact]
    public void Adam_GradientLengthMismatchThrows()
    {
        var optimizer = new Adam();

        var exception = Assert.Throws<ArgumentException>(() => optimizer.Step(new float[1], new float[2]));

        Assert.Equal("gradients", exception.ParamName);
        Assert.Contains("1 parameters but 2 gradients", exception.Message, StringComparison.Ordinal);
        Assert.Equal(0, optimizer.StepCount);
    }

    [Fact]
    public void Adam_StepAllocatesNothingAfterFirst()
    {
        AssertStepsAllocateNothing(new Adam(0.01f), 1000);
        AssertStepsAllocateNothing(new Adam(0.01f, weightDecay: 0.1f), 1000);
        AssertStepsAllocateNothing(new Adam(0.01f, weightDecay: 0.1f, amsgrad: true), 1000);
    }

    [Fact]
    public void Adam_ResetRestartsMomentsAndStepCount()
    {
        const int length = 33;
        float[] initial = InitialParameters(length);
        float[][] gradients = VaryingGradients(length, StepCount);
        var optimizer = new Adam(0.01f, weightDecay: 0.1f);
        Run(optimizer, initial, gradients);

        optimizer.Reset();
        Assert.Equal(0, optimizer.StepCount);
        float[] actual = Run(optimizer, initial, gradients);

        double[] expected = ReferenceAdam(initial, gradients, 0.01f, 0.9f, 0.999f, 1e-8f, 0.1f);
        AssertClose(expected, actual, Tolerance);
        Assert.Equal(StepCount, optimizer.StepCount);
    }

    [Fact]
    public void Adam_ResetClearsAmsgradMaximum()
    {
        // Large gradients before the Reset would leave a large vmax behind if it were not cleared.
        const int length = 33;
        float[] initial = InitialParameters(length);
        float[][] gradients = VaryingGradients(length, StepCount);
        float[][] largeGradients = Scaled(gradients, 100);
        var optimizer = new Adam(0.01f, amsgrad: true);
        Run(optimizer, initial, largeGradients);

        optimizer.Reset();
        float[] actual = Run(optimizer, initial, gradients);

        double[] expected = ReferenceAdam(initial, gradients, 0.01f, 0.9f, 0.999f, 1e-8f, 0, amsgrad: AmsgradVariant.MaximumOfRawMoment);
        AssertClose(expected, actual, Tolerance);
    }

    [Fact]
    public void Adam_ResetAcceptsAnotherLength()
    {
        var optimizer = new Adam(0.01f);
        Run(optimizer, InitialParameters(1000), VaryingGradients(1000, StepCount));

        optimizer.Reset();
        float[] initial = InitialParameters(7);
        float[][] gradients = VaryingGradients(7, StepCount);
        float[] actual = Run(optimizer, initial, gradients);

        double[] expected = ReferenceAdam(initial, gradients, 0.01f, 0.9f, 0.999f, 1e-8f, 0);
        AssertClose(expected, actual, Tolerance);
    }
}
