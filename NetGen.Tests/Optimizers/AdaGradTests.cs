using System;
using System.Collections.Generic;
using static NetGen.Tests.Optimizers.OptimizerTestData;

namespace NetGen.Tests.Optimizers;

public class AdaGradTests
{
    // Single-precision steps are compared with a double reference. Each element goes through about
    // seven float roundings per step (6e-8 relative each) on parameters of order 1, so four steps stay
    // below 2e-6 (the largest error seen is under 2e-7). A missing decay term or a misplaced ε changes
    // a step of lr ≥ 0.05 by a sizeable fraction of it.
    private const double Tolerance = 2e-6;

    private const int StepCount = 4;

    /// <summary>
    /// torch.optim.Adagrad's update, written out per element in double precision.
    /// <paramref name="epsilonInsideRoot"/> selects p −= clr·g/√(s + ε), a variant this optimizer must not follow.
    /// </summary>
    private static double[] ReferenceAdaGrad(
        float[] initialParameters, IReadOnlyList<float[]> gradients,
        double learningRate, double learningRateDecay, double weightDecay, double initialAccumulatorValue, double epsilon,
        bool epsilonInsideRoot = false)
    {
        int length = initialParameters.Length;
        var p = new double[length];
        var sum = new double[length];
        for (int i = 0; i < length; i++)
        {
            p[i] = initialParameters[i];
            sum[i] = initialAccumulatorValue;
        }

        for (int t = 1; t <= gradients.Count; t++)
        {
            double clr = learningRate / (1 + (t - 1) * learningRateDecay);
            for (int i = 0; i < length; i++)
            {
                double g = gradients[t - 1][i] + weightDecay * p[i];
                sum[i] += g * g;
                double denominator = epsilonInsideRoot ? Math.Sqrt(sum[i] + epsilon) : Math.Sqrt(sum[i]) + epsilon;
                p[i] -= clr * g / denominator;
            }
        }

        return p;
    }

    private static void AssertMatchesReference(int length, float learningRate, float learningRateDecay, float weightDecay, float initialAccumulatorValue, float epsilon)
    {
        float[] initial = InitialParameters(length);
        float[][] gradients = VaryingGradients(length, StepCount);
        var optimizer = new AdaGrad(learningRate, learningRateDecay, weightDecay, initialAccumulatorValue, epsilon);

        float[] actual = Run(optimizer, initial, gradients);

        double[] expected = ReferenceAdaGrad(initial, gradients, learningRate, learningRateDecay, weightDecay, initialAccumulatorValue, epsilon);
        AssertClose(expected, actual, Tolerance);
        Assert.Equal(StepCount, optimizer.StepCount);
    }

    [Theory]
    [MemberData(nameof(Lengths), MemberType = typeof(OptimizerTestData))]
    public void AdaGrad_PlainMatchesTorchFormula(int length) =>
        AssertMatchesReference(length, learningRate: 0.1f, learningRateDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, epsilon: 1e-10f);

    [Theory]
    [MemberData(nameof(Lengths), MemberType = typeof(OptimizerTestData))]
    public void AdaGrad_LearningRateDecayMatchesTorchFormula(int length) =>
        AssertMatchesReference(length, learningRate: 0.1f, learningRateDecay: 0.5f, weightDecay: 0, initialAccumulatorValue: 0, epsilon: 1e-10f);

    [Theory]
    [MemberData(nameof(Lengths), MemberType = typeof(OptimizerTestData))]
    public void AdaGrad_AllOptionsMatchTorchFormula(int length) =>
        AssertMatchesReference(length, learningRate: 0.05f, learningRateDecay: 0.25f, weightDecay: 0.1f, initialAccumulatorValue: 0.5f, epsilon: 1e-3f);

    [Fact]
    public void AdaGrad_FirstStepUsesInitialAccumulator()
    {
        // s = τ + g², so the first step is lr·g/(√(τ + g²) + ε): with τ = 0.75 and g = 0.5 that is
        // exactly lr·0.5/1 when ε is negligible.
        float[] parameters = { 1f, -1f, 0.25f };
        float[] gradient = { 0.5f, -0.5f, 0f };
        var optimizer = new AdaGrad(learningRate: 0.1f, initialAccumulatorValue: 0.75f, epsilon: 0);

        optimizer.Step(parameters, gradient);

        AssertClose(new[] { 1 - 0.05, -1 + 0.05, 0.25 }, parameters, Tolerance);
    }

    [Fact]
    public void AdaGrad_FirstStepMovesBySign()
    {
        // With τ = 0 the first step is lr·g/(|g| + ε) = lr·sign(g), whatever |g| is.
        float[] initial = { 0.5f, -0.25f, 1f, 2f, -3f };
        float[] gradient = { 3f, -0.002f, 0f, 1e-3f, -250f };

        float[] actual = Run(new AdaGrad(0.1f), initial, new[] { gradient });

        var expected = new double[initial.Length];
        for (int i = 0; i < initial.Length; i++)
        {
            expected[i] = initial[i] - 0.1 * Math.Sign(gradient[i]);
        }

        AssertClose(expected, actual, Tolerance);
    }

    [Fact]
    public void AdaGrad_EpsilonIsAddedAfterSquareRoot()
    {
        // Gradients near 1e-5 give √s ≈ 1e-5, comparable to ε = 1e-5, so the placements differ.
        const int length = 33;
        float[] initial = InitialParameters(length);
        float[][] gradients = Scaled(VaryingGradients(length, StepCount), 1e-5f);

        float[] actual = Run(new AdaGrad(0.1f, epsilon: 1e-5f), initial, gradients);

        double[] after = ReferenceAdaGrad(initial, gradients, 0.1f, 0, 0, 0, 1e-5f);
        double[] inside = ReferenceAdaGrad(initial, gradients, 0.1f, 0, 0, 0, 1e-5f, epsilonInsideRoot: true);
        AssertClose(after, actual, Tolerance);
        Assert.True(MaxDifference(after, inside) > 1000 * Tolerance,
            $"The inputs must separate the two ε placements, but they differ by only {MaxDifference(after, inside):E3}.");
    }

    [Fact]
    public void AdaGrad_ConstructorDefaultsMatchTorch()
    {
        var optimizer = new AdaGrad();

        Assert.Equal(1e-2f, optimizer.LearningRate);
        Assert.Equal(0f, optimizer.LearningRateDecay);
        Assert.Equal(0f, optimizer.WeightDecay);
        Assert.Equal(0f, optimizer.InitialAccumulatorValue);
        Assert.Equal(1e-10f, optimizer.Epsilon);
    }

    [Theory]
    [InlineData("learningRate", -0.1f)]
    [InlineData("learningRate", float.NaN)]
    [InlineData("learningRateDecay", -1f)]
    [InlineData("weightDecay", float.PositiveInfinity)]
    [InlineData("initialAccumulatorValue", -0.1f)]
    [InlineData("epsilon", float.NaN)]
    public void AdaGrad_RejectsInvalidHyperparameter(string name, float value)
    {
        float learningRate = name == "learningRate" ? value : 1e-2f;
        float learningRateDecay = name == "learningRateDecay" ? value : 0f;
        float weightDecay = name == "weightDecay" ? value : 0f;
        float initialAccumulatorValue = name == "initialAccumulatorValue" ? value : 0f;
        float epsilon = name == "epsilon" ? value : 1e-10f;

        var exception = Assert.Throws<ArgumentOutOfRangeException>(
            () => new AdaGrad(learningRate, learningRateDecay, weightDecay, initialAccumulatorValue, epsilon));

        Assert.Equal(name, exception.ParamName);
        Assert.Equal(value, exception.ActualValue);
        Assert.Contains("must be a finite number", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AdaGrad_LengthChangeThrows()
    {
        var optimizer = new AdaGrad();
        optimizer.Step(new float[33], new float[33]);

        var exception = Assert.Throws<ArgumentException>(() => optimizer.Step(new float[1], new float[1]));

        Assert.Equal("parameters", exception.ParamName);
        Assert.Contains("allocated for 33 parameters", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AdaGrad_StepAllocatesNothingAfterFirst()
    {
        AssertStepsAllocateNothing(new AdaGrad(0.1f), 1000);
        AssertStepsAllocateNothing(new AdaGrad(0.1f, 0.5f, 0.1f, 0.2f), 33);
    }

    [Fact]
    public void AdaGrad_ResetRefillsAccumulatorAndStepCount()
    {
        const int length = 7;
        float[] initial = InitialParameters(length);
        float[][] gradients = VaryingGradients(length, StepCount);
        var optimizer = new AdaGrad(0.1f, learningRateDecay: 0.5f, initialAccumulatorValue: 0.5f);
        Run(optimizer, initial, Scaled(gradients, 10));

        optimizer.Reset();
        Assert.Equal(0, optimizer.StepCount);
        float[] actual = Run(optimizer, initial, gradients);

        double[] expected = ReferenceAdaGrad(initial, gradients, 0.1f, 0.5f, 0, 0.5f, 1e-10f);
        AssertClose(expected, actual, Tolerance);
    }
}
