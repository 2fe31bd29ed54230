using System;
using static NetGen.Tests.Optimizers.AdamTests;
using static NetGen.Tests.Optimizers.OptimizerTestData;

namespace NetGen.Tests.Optimizers;

public class AdamWTests
{
    // AdamW does Adam's arithmetic plus one multiplication per element and step, so Adam's bound
    // holds. About nine float roundings per step (6e-8 relative each) on parameters of order 1 stay
    // below 2e-6 over four steps, and the largest error seen is under 4e-7. A coupled instead of
    // decoupled decay moves p by about lr·λ·p per step.
    private const double Tolerance = 2e-6;

    private const int StepCount = 4;

    private static void AssertMatchesReference(int length, float learningRate, float weightDecay, bool amsgrad)
    {
        float[] initial = InitialParameters(length);
        float[][] gradients = VaryingGradients(length, StepCount);
        var optimizer = new AdamW(learningRate, weightDecay: weightDecay, amsgrad: amsgrad);

        float[] actual = Run(optimizer, initial, gradients);

        double[] expected = ReferenceAdam(initial, gradients, learningRate, 0.9f, 0.999f, 1e-8f, weightDecay,
            amsgrad: amsgrad ? AmsgradVariant.MaximumOfRawMoment : AmsgradVariant.None,
            decoupledDecay: true);
        AssertClose(expected, actual, Tolerance);
        Assert.Equal(StepCount, optimizer.StepCount);
    }

    [Theory]
    [MemberData(nameof(Lengths), MemberType = typeof(OptimizerTestData))]
    public void AdamW_DefaultDecayMatchesTorchFormula(int length) =>
        AssertMatchesReference(length, learningRate: 0.01f, weightDecay: 1e-2f, amsgrad: false);

    [Theory]
    [MemberData(nameof(Lengths), MemberType = typeof(OptimizerTestData))]
    public void AdamW_LargeDecayMatchesTorchFormula(int length) =>
        AssertMatchesReference(length, learningRate: 0.05f, weightDecay: 2f, amsgrad: false);

    [Theory]
    [MemberData(nameof(Lengths), MemberType = typeof(OptimizerTestData))]
    public void AdamW_AmsgradMatchesTorchFormula(int length) =>
        AssertMatchesReference(length, learningRate: 0.05f, weightDecay: 0.5f, amsgrad: true);

    [Fact]
    public void AdamW_DiffersFromAdamWithWeightDecay()
    {
        // Adam adds λ·p to the gradient, where the moments normalise it away; AdamW shrinks p directly.
        const int length = 33;
        const float learningRate = 0.05f;
        const float weightDecay = 0.5f;
        float[] initial = InitialParameters(length);
        float[][] gradients = VaryingGradients(length, StepCount);

        float[] adamW = Run(new AdamW(learningRate, weightDecay: weightDecay), initial, gradients);
        float[] adam = Run(new Adam(learningRate, weightDecay: weightDecay), initial, gradients);

        double[] decoupled = ReferenceAdam(initial, gradients, learningRate, 0.9f, 0.999f, 1e-8f, weightDecay, decoupledDecay: true);
        double[] coupled = ReferenceAdam(initial, gradients, learningRate, 0.9f, 0.999f, 1e-8f, weightDecay);
        AssertClose(decoupled, adamW, Tolerance);
        AssertClose(coupled, adam, Tolerance);
        Assert.True(MaxDifference(decoupled, coupled) > 1000 * Tolerance,
            $"The inputs must separate coupled and decoupled decay, but they differ by only {MaxDifference(decoupled, coupled):E3}.");
    }

    [Fact]
    public void AdamW_ZeroDecayEqualsAdam()
    {
        const int length = 33;
        float[] initial = InitialParameters(length);
        float[][] gradients = VaryingGradients(length, StepCount);

        float[] adamW = Run(new AdamW(0.01f, weightDecay: 0, amsgrad: true), initial, gradients);
        float[] adam = Run(new Adam(0.01f, amsgrad: true), initial, gradients);

        Assert.Equal(adam, adamW);
    }

    [Fact]
    public void AdamW_ZeroGradientOnlyDecays()
    {
        // With g = 0 the moments stay 0 and the Adam update is 0/(0 + ε) = 0, so each step only
        // multiplies p by 1 − lr·λ, with the learning rate of that step.
        float[] parameters = { 2f, -0.5f, 0f };
        float[] zero = new float[3];
        var optimizer = new AdamW(learningRate: 0.1f, weightDecay: 0.5f);

        optimizer.Step(parameters, zero);
        optimizer.LearningRate = 0.2f;
        optimizer.Step(parameters, zero);

        double keep = (1 - 0.1 * 0.5) * (1 - 0.2 * 0.5);
        AssertClose(new[] { 2 * keep, -0.5 * keep, 0 }, parameters, Tolerance);
    }

    [Fact]
    public void AdamW_ConstructorDefaultsMatchTorch()
    {
        var optimizer = new AdamW();

        Assert.Equal(1e-3f, optimizer.LearningRate);
        Assert.Equal(0.9f, optimizer.Beta1);
        Assert.Equal(0.999f, optimizer.Beta2);
        Assert.Equal(1e-8f, optimizer.Epsilon);
        Assert.Equal(1e-2f, optimizer.WeightDecay);
        Assert.False(optimizer.Amsgrad);
        Assert.Equal(0, optimizer.StepCount);
    }

    [Theory]
    [InlineData("learningRate", -0.001f, "must be a finite number")]
    [InlineData("learningRate", float.NaN, "must be a finite number")]
    [InlineData("beta1", 1f, "at least 0 and less than 1")]
    [InlineData("beta2", -0.5f, "at least 0 and less than 1")]
    [InlineData("epsilon", float.NegativeInfinity, "must be a finite number")]
    [InlineData("weightDecay", -0.01f, "must be a finite number")]
    [InlineData("weightDecay", float.PositiveInfinity, "must be a finite number")]
    public void AdamW_RejectsInvalidHyperparameter(string name, float value, string expectedRule)
    {
        float learningRate = name == "learningRate" ? value : 1e-3f;
        float beta1 = name == "beta1" ? value : 0.9f;
        float beta2 = name == "beta2" ? value : 0.999f;
        float epsilon = name == "epsilon" ? value : 1e-8f;
        float weightDecay = name == "weightDecay" ? value : 1e-2f;

        var exception = Assert.Throws<ArgumentOutOfRangeException>(
            () => new AdamW(learningRate, beta1, beta2, epsilon, weightDecay));

        Assert.Equal(name, exception.ParamName);
        Assert.Equal(value, exception.ActualValue);
        Assert.Contains(expectedRule, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AdamW_LengthChangeThrows()
    {
        var optimizer = new AdamW();
        optimizer.Step(new float[7], new float[7]);

        var exception = Assert.Throws<ArgumentException>(() => optimizer.Step(new float[33], new float[33]));

        Assert.Equal("parameters", exception.ParamName);
        Assert.Contains("allocated for 7 parameters", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AdamW_StepAllocatesNothingAfterFirst()
    {
        AssertStepsAllocateNothing(new AdamW(0.01f), 1000);
        AssertStepsAllocateNothing(new AdamW(0.01f, weightDecay: 0, amsgrad: true), 33);
        AssertStepsAllocateNothing(new AdamW(0.01f, weightDecay: 0.1f, amsgrad: true), 7);
    }

    [Fact]
    public void AdamW_ResetRestartsMomentsAndStepCount()
    {
        const int length = 33;
        float[] initial = InitialParameters(length);
        float[][] gradients = VaryingGradients(length, StepCount);
        var optimizer = new AdamW(0.05f, weightDecay: 0.5f, amsgrad: true);
        Run(optimizer, initial, Scaled(gradients, 100));

        optimizer.Reset();
        Assert.Equal(0, optimizer.StepCount);
        float[] actual = Run(optimizer, initial, gradients);

        double[] expected = ReferenceAdam(initial, gradients, 0.05f, 0.9f, 0.999f, 1e-8f, 0.5f,
            amsgrad: AmsgradVariant.MaximumOfRawMoment, decoupledDecay: true);
        AssertClose(expected, actual, Tolerance);
    }
}
