using System;
using System.Collections.Generic;
using static NetGen.Tests.Optimizers.OptimizerTestData;

namespace NetGen.Tests.Optimizers;

public class RpropTests
{
    // Rprop moves each parameter by ±Δ, where Δ is lr times a product of η+ and η− factors,
    // rounded to float once per step. Over eight steps the parameter collects at most about sixteen
    // roundings of 6e-8 relative each, below 2e-6 (the largest error seen is under 3e-7). A missed
    // sign flip or a step that was not skipped moves a parameter by a whole Δ ≥ 0.01.
    private const double Tolerance = 2e-6;

    private const int StepCount = 8;

    /// <summary>torch.optim.Rprop's update, written out per element in double precision.</summary>
    private static double[] ReferenceRprop(
        float[] initialParameters, IReadOnlyList<float[]> gradients,
        double learningRate, double etaMinus, double etaPlus, double minStep, double maxStep)
    {
        int length = initialParameters.Length;
        var p = new double[length];
        var stepSize = new double[length];
        var previous = new double[length];
        for (int i = 0; i < length; i++)
        {
            p[i] = initialParameters[i];
            stepSize[i] = learningRate;
        }

        foreach (float[] gradient in gradients)
        {
            for (int i = 0; i < length; i++)
            {
                double g = gradient[i];
                double product = g * previous[i];
                if (product > 0)
                {
                    stepSize[i] = Math.Min(stepSize[i] * etaPlus, maxStep);
                }
                else if (product < 0)
                {
                    stepSize[i] = Math.Max(stepSize[i] * etaMinus, minStep);
                    g = 0;
                }
                else
                {
                    stepSize[i] = Math.Clamp(stepSize[i], minStep, maxStep);
                }

                p[i] -= Math.Sign(g) * stepSize[i];
                previous[i] = g;
            }
        }

        return p;
    }

    private static void AssertMatchesReference(int length, float learningRate, float etaMinus, float etaPlus, float minStep, float maxStep)
    {
        float[] initial = InitialParameters(length);
        float[][] gradients = VaryingGradients(length, StepCount);
        var optimizer = new Rprop(learningRate, etaMinus, etaPlus, minStep, maxStep);

        float[] actual = Run(optimizer, initial, gradients);

        double[] expected = ReferenceRprop(initial, gradients, learningRate, etaMinus, etaPlus, minStep, maxStep);
        AssertClose(expected, actual, Tolerance);
    }

    [Theory]
    [MemberData(nameof(Lengths), MemberType = typeof(OptimizerTestData))]
    public void Rprop_DefaultsMatchTorchFormula(int length) =>
        AssertMatchesReference(length, learningRate: 0.01f, etaMinus: 0.5f, etaPlus: 1.2f, minStep: 1e-6f, maxStep: 50f);

    [Theory]
    [MemberData(nameof(Lengths), MemberType = typeof(OptimizerTestData))]
    public void Rprop_TightStepBoundsMatchTorchFormula(int length) =>
        AssertMatchesReference(length, learningRate: 0.1f, etaMinus: 0.25f, etaPlus: 2f, minStep: 0.05f, maxStep: 0.3f);

    [Fact]
    public void Rprop_SignFlipShrinksStepAndSkipsMove()
    {
        // Gradients +1, +1, −1, −1, +1 with lr = 0.1:
        // step 1: no previous gradient, Δ = 0.1, p −= 0.1
        // step 2: same sign, Δ = 0.12, p −= 0.12
        // step 3: flip, Δ = 0.06, no move, gprev = 0
        // step 4: gprev = 0, Δ stays 0.06, p += 0.06
        // step 5: flip, Δ = 0.03, no move
        float[] parameters = { 1f };
        var optimizer = new Rprop(learningRate: 0.1f);
        foreach (float gradient in new[] { 1f, 1f, -1f, -1f, 1f })
        {
            optimizer.Step(parameters, new[] { gradient });
        }

        AssertClose(new[] { 1 - 0.1 - 0.12 + 0.06 }, parameters, Tolerance);
    }

    [Fact]
    public void Rprop_StepSizeStopsAtMaxStep()
    {
        // A constant gradient grows Δ by 1.2 per step: 0.1, 0.12, 0.144, 0.1728, then 0.2 (capped), 0.2.
        float[] parameters = { 0f, 0f };
        var optimizer = new Rprop(learningRate: 0.1f, maxStep: 0.2f);
        for (int step = 0; step < 6; step++)
        {
            optimizer.Step(parameters, new[] { 3f, -0.001f });
        }

        double total = 0.1 + 0.12 + 0.144 + 0.1728 + 0.2 + 0.2;
        AssertClose(new[] { -total, total }, parameters, Tolerance);
    }

    [Fact]
    public void Rprop_StepSizeStopsAtMinStep()
    {
        // Alternating signs: every second step flips and halves Δ without moving, down to minStep.
        // Moves: 0.1, 0.05, 0.025, 0.02 (0.0125 raised to minStep), 0.02.
        float[] parameters = { 0f };
        var optimizer = new Rprop(learningRate: 0.1f, minStep: 0.02f);
        for (int step = 0; step < 9; step++)
        {
            optimizer.Step(parameters, new[] { step % 2 == 0 ? 1f : -1f });
        }

        AssertClose(new[] { -(0.1 + 0.05 + 0.025 + 0.02 + 0.02) }, parameters, Tolerance);
    }

    [Fact]
    public void Rprop_ZeroGradientKeepsStepSizeAndParameter()
    {
        // g = 0 gives g·gprev = 0: Δ stays, sign(0) = 0 moves nothing, and gprev becomes 0.
        float[] parameters = { 0f };
        var optimizer = new Rprop(learningRate: 0.1f);
        foreach (float gradient in new[] { 1f, 0f, 1f, 1f })
        {
            optimizer.Step(parameters, new[] { gradient });
        }

        AssertClose(new[] { -(0.1 + 0.1 + 0.12) }, parameters, Tolerance);
    }

    [Fact]
    public void Rprop_FirstStepClampsLearningRateToBounds()
    {
        // torch clamps every step size on every step, so an initial lr above maxStep moves by maxStep.
        float[] parameters = { 0f, 0f };
        var optimizer = new Rprop(learningRate: 100f, maxStep: 50f);

        optimizer.Step(parameters, new[] { 1f, -1f });

        Assert.Equal(new[] { -50f, 50f }, parameters);
    }

    [Fact]
    public void Rprop_LearningRateChangeAppliesAfterReset()
    {
        // The learning rate only seeds the step sizes, so changing it mid-run has no effect, as in torch.
        float[] parameters = { 0f };
        var optimizer = new Rprop(learningRate: 0.1f);
        optimizer.Step(parameters, new[] { 1f });
        optimizer.LearningRate = 0.3f;
        optimizer.Step(parameters, new[] { 1f });
        AssertClose(new[] { -(0.1 + 0.12) }, parameters, Tolerance);

        optimizer.Reset();
        optimizer.Step(parameters, new[] { -1f });

        AssertClose(new[] { -(0.1 + 0.12) + 0.3 }, parameters, Tolerance);
    }

    [Fact]
    public void Rprop_NaNGradientMakesParameterNaN()
    {
        float[] parameters = { 1f, 2f };
        var optimizer = new Rprop();

        optimizer.Step(parameters, new[] { float.NaN, 1f });

        Assert.True(float.IsNaN(parameters[0]));
        AssertClose(new[] { 2 - 0.01 }, new[] { parameters[1] }, Tolerance);
    }

    [Fact]
    public void Rprop_ConstructorDefaultsMatchTorch()
    {
        var optimizer = new Rprop();

        Assert.Equal(1e-2f, optimizer.LearningRate);
        Assert.Equal(0.5f, optimizer.EtaMinus);
        Assert.Equal(1.2f, optimizer.EtaPlus);
        Assert.Equal(1e-6f, optimizer.MinStep);
        Assert.Equal(50f, optimizer.MaxStep);
    }

    [Theory]
    [InlineData("learningRate", -0.1f, "must be a finite number")]
    [InlineData("etaMinus", 0f, "greater than 0 and less than 1")]
    [InlineData("etaMinus", 1f, "greater than 0 and less than 1")]
    [InlineData("etaMinus", float.NaN, "greater than 0 and less than 1")]
    [InlineData("etaPlus", 1f, "greater than 1")]
    [InlineData("etaPlus", float.PositiveInfinity, "greater than 1")]
    [InlineData("etaPlus", float.NaN, "greater than 1")]
    [InlineData("minStep", -1e-6f, "must be a finite number")]
    [InlineData("maxStep", 1e-7f, "at least minStep")]
    [InlineData("maxStep", float.PositiveInfinity, "at least minStep")]
    public void Rprop_RejectsInvalidHyperparameter(string name, float value, string expectedRule)
    {
        float learningRate = name == "learningRate" ? value : 1e-2f;
        float etaMinus = name == "etaMinus" ? value : 0.5f;
        float etaPlus = name == "etaPlus" ? value : 1.2f;
        float minStep = name == "minStep" ? value : 1e-6f;
        float maxStep = name == "maxStep" ? value : 50f;

        var exception = Assert.Throws<ArgumentOutOfRangeException>(
            () => new Rprop(learningRate, etaMinus, etaPlus, minStep, maxStep));

        Assert.Equal(name, exception.ParamName);
        Assert.Equal(value, exception.ActualValue);
        Assert.Contains(expectedRule, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rprop_LengthChangeThrows()
    {
        var optimizer = new Rprop();
        optimizer.Step(new float[33], new float[33]);

        var exception = Assert.Throws<ArgumentException>(() => optimizer.Step(new float[32], new float[32]));

        Assert.Contains("allocated for 33 parameters", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rprop_StepAllocatesNothingAfterFirst()
    {
        AssertStepsAllocateNothing(new Rprop(), 1000);
        AssertStepsAllocateNothing(new Rprop(), 7);
    }

    [Fact]
    public void Rprop_ResetRestartsStepSizes()
    {
        const int length = 33;
        float[] initial = InitialParameters(length);
        float[][] gradients = VaryingGradients(length, StepCount);
        var optimizer = new Rprop(0.1f, 0.25f, 2f, 0.05f, 0.3f);
        Run(optimizer, initial, gradients);

        optimizer.Reset();
        float[] actual = Run(optimizer, initial, gradients);

        double[] expected = ReferenceRprop(initial, gradients, 0.1f, 0.25f, 2f, 0.05f, 0.3f);
        AssertClose(expected, actual, Tolerance);
    }
}
