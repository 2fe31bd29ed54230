using System;
using System.Collections.Generic;
using static NetGen.Tests.Optimizers.OptimizerTestData;

namespace NetGen.Tests.Optimizers;

public class AdaDeltaTests
{
    // Single-precision steps are compared with a double reference. Each element goes through about
    // twelve float roundings per step (6e-8 relative each) on parameters of order 1, so four steps
    // stay below 2e-6 (the largest error seen is under 2e-7). Moving ε out of a square root changes
    // the first steps, where u + ε ≈ ε, by a factor of order one.
    private const double Tolerance = 2e-6;

    private const int StepCount = 4;

    /// <summary>
    /// torch.optim.Adadelta's documented update, written out per element in double precision.
    /// <paramref name="epsilonAfterRoots"/> selects Δ = (√u + ε)/(√v + ε)·g, a variant this optimizer must not follow.
    /// </summary>
    private static double[] ReferenceAdaDelta(
        float[] initialParameters, IReadOnlyList<float[]> gradients,
        double learningRate, double rho, double epsilon, double weightDecay,
        bool epsilonAfterRoots = false)
    {
        int length = initialParameters.Length;
        var p = new double[length];
        var v = new double[length];
        var u = new double[length];
        for (int i = 0; i < length; i++)
        {
            p[i] = initialParameters[i];
        }

        foreach (float[] gradient in gradients)
        {
            for (int i = 0; i < length; i++)
            {
                double g = gradient[i] + weightDecay * p[i];
                v[i] = rho * v[i] + (1 - rho) * g * g;
                double delta = epsilonAfterRoots
                    ? (Math.Sqrt(u[i]) + epsilon) / (Math.Sqrt(v[i]) + epsilon) * g
                    : Math.Sqrt(u[i] + epsilon) / Math.Sqrt(v[i] + epsilon) * g;
                u[i] = rho * u[i] + (1 - rho) * delta * delta;
                p[i] -= learningRate * delta;
            }
        }

        return p;
    }

    private static void AssertMatchesReference(int length, float learningRate, float rho, float epsilon, float weightDecay)
    {
        float[] initial = InitialParameters(length);
        float[][] gradients = VaryingGradients(length, StepCount);
        var optimizer = new AdaDelta(learningRate, rho, epsilon, weightDecay);

        float[] actual = Run(optimizer, initial, gradients);

        double[] expected = ReferenceAdaDelta(initial, gradients, learningRate, rho, epsilon, weightDecay);
        AssertClose(expected, actual, Tolerance);
    }

    [Theory]
    [MemberData(nameof(Lengths), MemberType = typeof(OptimizerTestData))]
    public void AdaDelta_DefaultsMatchTorchFormula(int length) =>
        AssertMatchesReference(length, learningRate: 1f, rho: 0.9f, epsilon: 1e-6f, weightDecay: 0);

    [Theory]
    [MemberData(nameof(Lengths), MemberType = typeof(OptimizerTestData))]
    public void AdaDelta_OtherRhoAndEpsilonMatchTorchFormula(int length) =>
        AssertMatchesReference(length, learningRate: 0.5f, rho: 0.5f, epsilon: 1e-2f, weightDecay: 0);

    [Theory]
    [MemberData(nameof(Lengths), MemberType = typeof(OptimizerTestData))]
    public void AdaDelta_WeightDecayMatchesTorchFormula(int length) =>
        AssertMatchesReference(length, learningRate: 1f, rho: 0.9f, epsilon: 1e-4f, weightDecay: 0.1f);

    [Fact]
    public void AdaDelta_FirstStepFromZeroState()
    {
        // With u = v = 0 the first update is Δ = √ε/√((1 − ρ)·g² + ε)·g. For ρ = 0.75, ε = 0.25 and
        // g = 1 that is √0.25/√0.5 = 1/√2.
        float[] parameters = { 1f, 0f, -1f };
        float[] gradient = { 1f, 0f, -1f };
        var optimizer = new AdaDelta(learningRate: 2f, rho: 0.75f, epsilon: 0.25f);

        optimizer.Step(parameters, gradient);

        double move = 2 / Math.Sqrt(2);
        AssertClose(new[] { 1 - move, 0, -1 + move }, parameters, Tolerance);
    }

    [Fact]
    public void AdaDelta_EpsilonIsInsideBothSquareRoots()
    {
        const int length = 33;
        float[] initial = InitialParameters(length);
        float[][] gradients = VaryingGradients(length, StepCount);

        float[] actual = Run(new AdaDelta(1f, 0.9f, 1e-2f), initial, gradients);

        double[] inside = ReferenceAdaDelta(initial, gradients, 1f, 0.9f, 1e-2f, 0);
        double[] after = ReferenceAdaDelta(initial, gradients, 1f, 0.9f, 1e-2f, 0, epsilonAfterRoots: true);
        AssertClose(inside, actual, Tolerance);
        Assert.True(MaxDifference(inside, after) > 1000 * Tolerance,
            $"The inputs must separate the two ε placements, but they differ by only {MaxDifference(inside, after):E3}.");
    }

    [Fact]
    public void AdaDelta_ConstructorDefaultsMatchTorch()
    {
        var optimizer = new AdaDelta();

        Assert.Equal(1f, optimizer.LearningRate);
        Assert.Equal(0.9f, optimizer.Rho);
        Assert.Equal(1e-6f, optimizer.Epsilon);
        Assert.Equal(0f, optimizer.WeightDecay);
    }

    [Theory]
    [InlineData("learningRate", -1f, "must be a finite number")]
    [InlineData("rho", 1f, "at least 0 and less than 1")]
    [InlineData("rho", float.NaN, "at least 0 and less than 1")]
    [InlineData("epsilon", -1e-6f, "must be a finite number")]
    [InlineData("weightDecay", float.NaN, "must be a finite number")]
    public void AdaDelta_RejectsInvalidHyperparameter(string name, float value, string expectedRule)
    {
        float learningRate = name == "learningRate" ? value : 1f;
        float rho = name == "rho" ? value : 0.9f;
        float epsilon = name == "epsilon" ? value : 1e-6f;
        float weightDecay = name == "weightDecay" ? value : 0f;

        var exception = Assert.Throws<ArgumentOutOfRangeException>(
            () => new AdaDelta(learningRate, rho, epsilon, weightDecay));

        Assert.Equal(name, exception.ParamName);
        Assert.Equal(value, exception.ActualValue);
        Assert.Contains(expectedRule, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AdaDelta_GradientLengthMismatchThrows()
    {
        var exception = Assert.Throws<ArgumentException>(() => new AdaDelta().Step(new float[7], new float[8]));

        Assert.Equal("gradients", exception.ParamName);
    }

    [Fact]
    public void AdaDelta_StepAllocatesNothingAfterFirst()
    {
        AssertStepsAllocateNothing(new AdaDelta(), 1000);
        AssertStepsAllocateNothing(new AdaDelta(weightDecay: 0.1f), 7);
    }

    [Fact]
    public void AdaDelta_ResetClearsAverages()
    {
        const int length = 33;
        float[] initial = InitialParameters(length);
        float[][] gradients = VaryingGradients(length, StepCount);
        var optimizer = new AdaDelta(1f, 0.9f, 1e-4f, 0.1f);
        Run(optimizer, initial, Scaled(gradients, 10));

        optimizer.Reset();
        float[] actual = Run(optimizer, initial, gradients);

        double[] expected = ReferenceAdaDelta(initial, gradients, 1f, 0.9f, 1e-4f, 0.1f);
        AssertClose(expected, actual, Tolerance);
    }
}
