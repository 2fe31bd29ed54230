using System;
using System.Collections.Generic;
using static NetGen.Tests.Optimizers.OptimizerTestData;

namespace NetGen.Tests.Optimizers;

public class RmsPropTests
{
    // Single-precision steps are compared with a double reference. Each element goes through about
    // twelve float roundings per step (6e-8 relative each). The first step divides by √((1 − α)·g²)
    // and can move p by lr/√(1 − α) = 10·lr, so the error is relative to moves of up to 0.5 on
    // parameters of order 1 and stays below 2e-6 over four steps (the largest error seen is under
    // 2e-7). A missing centering or momentum term changes a step by a sizeable fraction of it.
    private const double Tolerance = 2e-6;

    private const int StepCount = 4;

    /// <summary>
    /// torch.optim.RMSprop's documented update, written out per element in double precision.
    /// <paramref name="epsilonInsideRoot"/> selects g/√(ṽ + ε), a variant this optimizer must not follow.
    /// </summary>
    private static double[] ReferenceRmsProp(
        float[] initialParameters, IReadOnlyList<float[]> gradients,
        double learningRate, double alpha, double epsilon, double weightDecay, double momentum, bool centered,
        bool epsilonInsideRoot = false)
    {
        int length = initialParameters.Length;
        var p = new double[length];
        var v = new double[length];
        var average = new double[length];
        var buffer = new double[length];
        for (int i = 0; i < length; i++)
        {
            p[i] = initialParameters[i];
        }

        foreach (float[] gradient in gradients)
        {
            for (int i = 0; i < length; i++)
            {
                double g = gradient[i] + weightDecay * p[i];
                v[i] = alpha * v[i] + (1 - alpha) * g * g;
                double vTilde = v[i];
                if (centered)
                {
                    average[i] = alpha * average[i] + (1 - alpha) * g;
                    vTilde -= average[i] * average[i];
                }

                double scaled = epsilonInsideRoot ? g / Math.Sqrt(vTilde + epsilon) : g / (Math.Sqrt(vTilde) + epsilon);
                if (momentum > 0)
                {
                    buffer[i] = momentum * buffer[i] + scaled;
                    p[i] -= learningRate * buffer[i];
                }
                else
                {
                    p[i] -= learningRate * scaled;
                }
            }
        }

        return p;
    }

    private static void AssertMatchesReference(int length, float learningRate, float alpha, float epsilon, float weightDecay, float momentum, bool centered)
    {
        float[] initial = InitialParameters(length);
        float[][] gradients = VaryingGradients(length, StepCount);
        var optimizer = new RmsProp(learningRate, alpha, epsilon, weightDecay, momentum, centered);

        float[] actual = Run(optimizer, initial, gradients);

        double[] expected = ReferenceRmsProp(initial, gradients, learningRate, alpha, epsilon, weightDecay, momentum, centered);
        AssertClose(expected, actual, Tolerance);
    }

    [Theory]
    [MemberData(nameof(Lengths), MemberType = typeof(OptimizerTestData))]
    public void RmsProp_PlainMatchesTorchFormula(int length) =>
        AssertMatchesReference(length, learningRate: 0.01f, alpha: 0.99f, epsilon: 1e-8f, weightDecay: 0, momentum: 0, centered: false);

    [Theory]
    [MemberData(nameof(Lengths), MemberType = typeof(OptimizerTestData))]
    public void RmsProp_MomentumMatchesTorchFormula(int length) =>
        AssertMatchesReference(length, learningRate: 0.01f, alpha: 0.9f, epsilon: 1e-8f, weightDecay: 0, momentum: 0.9f, centered: false);

    [Theory]
    [MemberData(nameof(Lengths), MemberType = typeof(OptimizerTestData))]
    public void RmsProp_CenteredMatchesTorchFormula(int length) =>
        AssertMatchesReference(length, learningRate: 0.01f, alpha: 0.9f, epsilon: 1e-8f, weightDecay: 0, momentum: 0, centered: true);

    [Theory]
    [MemberData(nameof(Lengths), MemberType = typeof(OptimizerTestData))]
    public void RmsProp_CenteredMomentumWithDecayMatchesTorchFormula(int length) =>
        AssertMatchesReference(length, learningRate: 0.01f, alpha: 0.8f, epsilon: 1e-3f, weightDecay: 0.1f, momentum: 0.5f, centered: true);

    [Theory]
    [MemberData(nameof(Lengths), MemberType = typeof(OptimizerTestData))]
    public void RmsProp_WeightDecayMatchesTorchFormula(int length) =>
        AssertMatchesReference(length, learningRate: 0.01f, alpha: 0.99f, epsilon: 1e-8f, weightDecay: 0.2f, momentum: 0, centered: false);

    [Fact]
    public void RmsProp_FirstStepDividesByUnbiasedAverage()
    {
        // After one step v = (1 − α)·g², and RMSprop has no bias correction, so the move is
        // lr·g/(√(1 − α)·|g| + ε) ≈ lr·sign(g)/√(1 − α): ten times lr for α = 0.99.
        float[] initial = { 0.5f, -0.25f, 1f, -3f };
        float[] gradient = { 3f, -0.002f, 0f, -250f };

        float[] actual = Run(new RmsProp(0.01f, epsilon: 1e-12f), initial, new[] { gradient });

        var expected = new double[initial.Length];
        for (int i = 0; i < initial.Length; i++)
        {
            expected[i] = initial[i] - 0.1 * Math.Sign(gradient[i]);
        }

        AssertClose(expected, actual, Tolerance);
    }

    [Fact]
    public void RmsProp_CenteredDiffersFromPlain()
    {
        // The centered denominator √(v − a²) is smaller than √v, so centered steps are longer.
        const int length = 33;
        float[] initial = InitialParameters(length);
        float[][] gradients = VaryingGradients(length, StepCount);

        float[] actual = Run(new RmsProp(0.01f, 0.9f, centered: true), initial, gradients);

        double[] centered = ReferenceRmsProp(initial, gradients, 0.01f, 0.9f, 1e-8f, 0, 0, centered: true);
        double[] plain = ReferenceRmsProp(initial, gradients, 0.01f, 0.9f, 1e-8f, 0, 0, centered: false);
        AssertClose(centered, actual, Tolerance);
        Assert.True(MaxDifference(centered, plain) > 1000 * Tolerance,
            $"The inputs must separate centered and plain RMSprop, but they differ by only {MaxDifference(centered, plain):E3}.");
    }

    [Fact]
    public void RmsProp_EpsilonIsAddedAfterSquareRoot()
    {
        // Gradients near 1e-4 give √v ≈ 1e-4·√(1 − α), comparable to ε = 1e-5.
        const int length = 33;
        float[] initial = InitialParameters(length);
        float[][] gradients = Scaled(VaryingGradients(length, StepCount), 1e-4f);

        float[] actual = Run(new RmsProp(0.01f, epsilon: 1e-5f), initial, gradients);

        double[] after = ReferenceRmsProp(initial, gradients, 0.01f, 0.99f, 1e-5f, 0, 0, false);
        double[] inside = ReferenceRmsProp(initial, gradients, 0.01f, 0.99f, 1e-5f, 0, 0, false, epsilonInsideRoot: true);
        AssertClose(after, actual, Tolerance);
        Assert.True(MaxDifference(after, inside) > 1000 * Tolerance,
            $"The inputs must separate the two ε placements, but they differ by only {MaxDifference(after, inside):E3}.");
    }

    [Fact]
    public void RmsProp_CenteredConstantGradientStaysFinite()
    {
        // With a constant gradient, v − a² = (1 − α^t)·α^t·g² shrinks below the rounding error of
        // v, so float arithmetic can make it negative. The clamp at 0 keeps √ of it from being NaN.
        float[] parameters = new float[33];
        float[] gradient = new float[33];
        for (int i = 0; i < gradient.Length; i++)
        {
            gradient[i] = 0.1f + 0.37f * i;
        }

        var optimizer = new RmsProp(learningRate: 1e-6f, alpha: 0.5f, epsilon: 1e-3f, centered: true);
        for (int step = 0; step < 60; step++)
        {
            optimizer.Step(parameters, gradient);
        }

        Assert.All(parameters, value => Assert.True(float.IsFinite(value), $"Parameter {value} is not finite."));
    }

    [Fact]
    public void RmsProp_ConstructorDefaultsMatchTorch()
    {
        var optimizer = new RmsProp();

        Assert.Equal(1e-2f, optimizer.LearningRate);
        Assert.Equal(0.99f, optimizer.Alpha);
        Assert.Equal(1e-8f, optimizer.Epsilon);
        Assert.Equal(0f, optimizer.WeightDecay);
        Assert.Equal(0f, optimizer.Momentum);
        Assert.False(optimizer.Centered);
    }

    [Theory]
    [InlineData("learningRate", float.PositiveInfinity, "must be a finite number")]
    [InlineData("alpha", 1f, "at least 0 and less than 1")]
    [InlineData("alpha", -0.1f, "at least 0 and less than 1")]
    [InlineData("epsilon", float.NaN, "must be a finite number")]
    [InlineData("weightDecay", -0.1f, "must be a finite number")]
    [InlineData("momentum", -0.9f, "must be a finite number")]
    public void RmsProp_RejectsInvalidHyperparameter(string name, float value, string expectedRule)
    {
        float learningRate = name == "learningRate" ? value : 1e-2f;
        float alpha = name == "alpha" ? value : 0.99f;
        float epsilon = name == "epsilon" ? value : 1e-8f;
        float weightDecay = name == "weightDecay" ? value : 0f;
        float momentum = name == "momentum" ? value : 0f;

        var exception = Assert.Throws<ArgumentOutOfRangeException>(
            () => new RmsProp(learningRate, alpha, epsilon, weightDecay, momentum));

        Assert.Equal(name, exception.ParamName);
        Assert.Equal(value, exception.ActualValue);
        Assert.Contains(expectedRule, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RmsProp_LengthChangeThrows()
    {
        var optimizer = new RmsProp(momentum: 0.9f, centered: true);
        optimizer.Step(new float[7], new float[7]);

        var exception = Assert.Throws<ArgumentException>(() => optimizer.Step(new float[6], new float[6]));

        Assert.Contains("allocated for 7 parameters", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RmsProp_StepAllocatesNothingAfterFirst()
    {
        AssertStepsAllocateNothing(new RmsProp(), 1000);
        AssertStepsAllocateNothing(new RmsProp(momentum: 0.9f, centered: true, weightDecay: 0.1f), 33);
    }

    [Fact]
    public void RmsProp_ResetClearsAveragesAndMomentum()
    {
        const int length = 33;
        float[] initial = InitialParameters(length);
        float[][] gradients = VaryingGradients(length, StepCount);
        var optimizer = new RmsProp(0.01f, 0.8f, 1e-3f, 0.1f, 0.5f, centered: true);
        Run(optimizer, initial, Scaled(gradients, 10));

        optimizer.Reset();
        float[] actual = Run(optimizer, initial, gradients);

        double[] expected = ReferenceRmsProp(initial, gradients, 0.01f, 0.8f, 1e-3f, 0.1f, 0.5f, centered: true);
        AssertClose(expected, actual, Tolerance);
    }
}
