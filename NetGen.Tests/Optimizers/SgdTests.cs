using System;
using System.Collections.Generic;
using static NetGen.Tests.Optimizers.OptimizerTestData;

namespace NetGen.Tests.Optimizers;

public class SgdTests
{
    // Single-precision steps are compared with a double reference. Each element goes through
    // about five float roundings per step (6e-8 relative each), so four steps stay below 2e-6
    // (the largest error seen is under 3e-7). A skipped term or a wrong coefficient changes a
    // step of lr ≥ 0.05 by a sizeable fraction of it.
    private const double Tolerance = 2e-6;

    private const int StepCount = 4;

    /// <summary>
    /// torch.optim.SGD's documented update, written out per element in double precision.
    /// </summary>
    private static double[] ReferenceSgd(
        float[] initialParameters, IReadOnlyList<float[]> gradients,
        double learningRate, double momentum, double dampening, bool nesterov, double weightDecay)
    {
        int length = initialParameters.Length;
        var p = new double[length];
        var b = new double[length];
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
                if (weightDecay != 0)
                {
                    g += weightDecay * p[i];
                }

                if (momentum != 0)
                {
                    b[i] = t > 1 ? momentum * b[i] + (1 - dampening) * g : g;
                    g = nesterov ? g + momentum * b[i] : b[i];
                }

                p[i] -= learningRate * g;
            }
        }

        return p;
    }

    private static void AssertMatchesReference(int length, float learningRate, float momentum, float dampening, bool nesterov, float weightDecay)
    {
        float[] initial = InitialParameters(length);
        float[][] gradients = VaryingGradients(length, StepCount);
        var optimizer = new Sgd(learningRate, momentum, dampening, nesterov, weightDecay);

        float[] actual = Run(optimizer, initial, gradients);

        double[] expected = ReferenceSgd(initial, gradients, learningRate, momentum, dampening, nesterov, weightDecay);
        AssertClose(expected, actual, Tolerance);
    }

    [Theory]
    [MemberData(nameof(Lengths), MemberType = typeof(OptimizerTestData))]
    public void Sgd_PlainMatchesTorchFormula(int length) =>
        AssertMatchesReference(length, learningRate: 0.1f, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0);

    [Theory]
    [MemberData(nameof(Lengths), MemberType = typeof(OptimizerTestData))]
    public void Sgd_MomentumMatchesTorchFormula(int length) =>
        AssertMatchesReference(length, learningRate: 0.05f, momentum: 0.9f, dampening: 0, nesterov: false, weightDecay: 0);

    [Theory]
    [MemberData(nameof(Lengths), MemberType = typeof(OptimizerTestData))]
    public void Sgd_MomentumWithDampeningMatchesTorchFormula(int length) =>
        AssertMatchesReference(length, learningRate: 0.05f, momentum: 0.8f, dampening: 0.3f, nesterov: false, weightDecay: 0);

    [Theory]
    [MemberData(nameof(Lengths), MemberType = typeof(OptimizerTestData))]
    public void Sgd_NesterovMatchesTorchFormula(int length) =>
        AssertMatchesReference(length, learningRate: 0.05f, momentum: 0.9f, dampening: 0, nesterov: true, weightDecay: 0);

    [Theory]
    [MemberData(nameof(Lengths), MemberType = typeof(OptimizerTestData))]
    public void Sgd_WeightDecayMatchesTorchFormula(int length) =>
        AssertMatchesReference(length, learningRate: 0.1f, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0.01f);

    [Theory]
    [MemberData(nameof(Lengths), MemberType = typeof(OptimizerTestData))]
    public void Sgd_MomentumWithWeightDecayMatchesTorchFormula(int length) =>
        AssertMatchesReference(length, learningRate: 0.05f, momentum: 0.7f, dampening: 0.1f, nesterov: false, weightDecay: 0.02f);

    [Theory]
    [MemberData(nameof(Lengths), MemberType = typeof(OptimizerTestData))]
    public void Sgd_NesterovWithWeightDecayMatchesTorchFormula(int length) =>
        AssertMatchesReference(length, learningRate: 0.05f, momentum: 0.9f, dampening: 0, nesterov: true, weightDecay: 0.02f);

    [Fact]
    public void Sgd_FirstMomentumStepIgnoresDampening()
    {
        // On the first step the buffer is the gradient itself, so the update equals plain SGD.
        float[] parameters = { 1f, -2f, 0.5f };
        float[] gradient = { 4f, -1f, 0f };
        var optimizer = new Sgd(learningRate: 0.5f, momentum: 0.9f, dampening: 0.5f);

        optimizer.Step(parameters, gradient);

        Assert.Equal(new[] { -1f, -1.5f, 0.5f }, parameters);
    }

    [Fact]
    public void Sgd_ZeroLearningRateLeavesParameters()
    {
        float[] initial = InitialParameters(7);
        var optimizer = new Sgd(learningRate: 0.1f, momentum: 0.9f);
        optimizer.LearningRate = 0;

        float[] actual = Run(optimizer, initial, VaryingGradients(7, StepCount));

        Assert.Equal(initial, actual);
    }

    [Theory]
    [InlineData("learningRate", -0.1f)]
    [InlineData("learningRate", float.NaN)]
    [InlineData("learningRate", float.PositiveInfinity)]
    [InlineData("momentum", -0.5f)]
    [InlineData("momentum", float.NaN)]
    [InlineData("dampening", float.NaN)]
    [InlineData("dampening", float.NegativeInfinity)]
    [InlineData("weightDecay", -0.01f)]
    [InlineData("weightDecay", float.PositiveInfinity)]
    public void Sgd_RejectsInvalidHyperparameter(string name, float value)
    {
        float learningRate = name == "learningRate" ? value : 0.1f;
        float momentum = name == "momentum" ? value : 0.5f;
        float dampening = name == "dampening" ? value : 0f;
        float weightDecay = name == "weightDecay" ? value : 0f;

        var exception = Assert.Throws<ArgumentOutOfRangeException>(
            () => new Sgd(learningRate, momentum, dampening, nesterov: false, weightDecay));

        Assert.Equal(name, exception.ParamName);
        Assert.Equal(value, exception.ActualValue);
        Assert.Contains("must be a finite number", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0f, 0f)]
    [InlineData(0.9f, 0.1f)]
    public void Sgd_NesterovRequiresMomentumAndNoDampening(float momentum, float dampening)
    {
        var exception = Assert.Throws<ArgumentException>(
            () => new Sgd(0.1f, momentum, dampening, nesterov: true));

        Assert.Equal("nesterov", exception.ParamName);
        Assert.Contains("requires momentum > 0 and dampening = 0", exception.Message, StringComparison.Ordinal);
        Assert.Contains($"momentum is {momentum}", exception.Message, StringComparison.Ordinal);
        Assert.Contains($"dampening is {dampening}", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1f)]
    [InlineData(float.NaN)]
    public void Sgd_LearningRateSetterRejectsInvalidValue(float value)
    {
        var optimizer = new Sgd(0.1f);

        var exception = Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.LearningRate = value);

        Assert.Equal(value, exception.ActualValue);
        Assert.Equal(0.1f, optimizer.LearningRate);
    }

    [Fact]
    public void Sgd_LengthChangeThrows()
    {
        var optimizer = new Sgd(0.1f, momentum: 0.9f);
        optimizer.Step(new float[7], new float[7]);

        var exception = Assert.Throws<ArgumentException>(() => optimizer.Step(new float[33], new float[33]));

        Assert.Equal("parameters", exception.ParamName);
        Assert.Contains("received 33 parameters", exception.Message, StringComparison.Ordinal);
        Assert.Contains("allocated for 7 parameters", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sgd_LengthChangeThrowsWithoutState()
    {
        // Plain SGD keeps no buffers, but the interface fixes the length at the first step all the same.
        var optimizer = new Sgd(0.1f);
        optimizer.Step(new float[7], new float[7]);

        Assert.Throws<ArgumentException>(() => optimizer.Step(new float[8], new float[8]));
    }

    [Fact]
    public void Sgd_GradientLengthMismatchThrows()
    {
        var optimizer = new Sgd(0.1f);

        var exception = Assert.Throws<ArgumentException>(() => optimizer.Step(new float[7], new float[6]));

        Assert.Equal("gradients", exception.ParamName);
        Assert.Contains("7 parameters but 6 gradients", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sgd_StepAllocatesNothingAfterFirst()
    {
        AssertStepsAllocateNothing(new Sgd(0.1f), 33);
        AssertStepsAllocateNothing(new Sgd(0.1f, momentum: 0.9f, dampening: 0.1f), 33);
        AssertStepsAllocateNothing(new Sgd(0.1f, momentum: 0.9f, nesterov: true, weightDecay: 0.01f), 33);
    }

    [Fact]
    public void Sgd_ResetRestartsMomentum()
    {
        const int length = 33;
        float[] initial = InitialParameters(length);
        float[][] gradients = VaryingGradients(length, StepCount);
        var optimizer = new Sgd(0.05f, momentum: 0.8f, dampening: 0.3f, nesterov: false, weightDecay: 0.02f);
        Run(optimizer, initial, gradients);

        optimizer.Reset();
        float[] actual = Run(optimizer, initial, gradients);

        double[] expected = ReferenceSgd(initial, gradients, 0.05f, 0.8f, 0.3f, false, 0.02f);
        AssertClose(expected, actual, Tolerance);
    }

    [Fact]
    public void Sgd_ResetAcceptsAnotherLength()
    {
        var optimizer = new Sgd(0.05f, momentum: 0.9f, nesterov: true);
        Run(optimizer, InitialParameters(7), VaryingGradients(7, StepCount));

        optimizer.Reset();
        float[] initial = InitialParameters(1000);
        float[][] gradients = VaryingGradients(1000, StepCount);
        float[] actual = Run(optimizer, initial, gradients);

        double[] expected = ReferenceSgd(initial, gradients, 0.05f, 0.9f, 0, true, 0);
        AssertClose(expected, actual, Tolerance);
    }
}
