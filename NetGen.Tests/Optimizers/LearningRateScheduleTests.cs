using System;

namespace NetGen.Tests.Optimizers;

public class LearningRateScheduleTests
{
    // The schedules compute in double and round to float once, so they are within half a unit in
    // the last place of float (6e-8 relative) of the value for their float inputs. Inputs such as
    // 0.1f differ from 0.1 by at most 1.5e-8 relative, and the hand-computed values below carry
    // at least nine significant digits. A wrong exponent or phase is off by percent.
    private const double RelativeTolerance = 1e-7;

    private static void AssertRate(double expected, float actual) =>
        Assert.True(Math.Abs(actual - expected) <= RelativeTolerance * Math.Abs(expected),
            $"Expected learning rate {expected:R}, actual {actual:R}.");

    [Theory]
    [InlineData(0, 0.1)]
    [InlineData(2, 0.1)]
    [InlineData(3, 0.05)]
    [InlineData(5, 0.05)]
    [InlineData(6, 0.025)]
    [InlineData(10, 0.0125)]
    public void StepDecay_MatchesStepLR(int step, double expected)
    {
        // StepLR(step_size = 3, gamma = 0.5): lr = 0.1·0.5^⌊step/3⌋.
        var schedule = new StepDecay(0.1f, stepSize: 3, gamma: 0.5f);

        AssertRate(expected, schedule.LearningRate(step));
    }

    [Fact]
    public void StepDecay_DefaultGammaIsTenth()
    {
        var schedule = new StepDecay(1f, stepSize: 2);

        Assert.Equal(0.1f, schedule.Gamma);
        AssertRate(0.01, schedule.LearningRate(4));
    }

    [Theory]
    [InlineData(0, 0.5)]
    [InlineData(1, 0.375)]
    [InlineData(2, 0.28125)]
    [InlineData(10, 0.02815675735)]
    public void ExponentialDecay_MatchesExponentialLR(int step, double expected)
    {
        // ExponentialLR(gamma = 0.75): lr = 0.5·0.75^step; 0.75^10 = 0.0563135147. Both inputs are
        // exact in float, so γ^10 carries no input rounding.
        var schedule = new ExponentialDecay(0.5f, 0.75f);

        AssertRate(expected, schedule.LearningRate(step));
    }

    [Theory]
    [InlineData(0, 1.0)]
    [InlineData(2, 0.9140576475)]
    [InlineData(5, 0.55)]
    [InlineData(9, 0.1220245677)]
    [InlineData(10, 0.1)]
    [InlineData(25, 0.1)]
    public void CosineDecay_MatchesCosineAnnealing(int step, double expected)
    {
        // lr = 0.1 + 0.9·(1 + cos(π·step/10))/2: cos(0.2π) = 0.8090169944, cos(0.9π) = −0.9510565163.
        // From step 10 on the schedule stays at minLr.
        var schedule = new CosineDecay(1f, totalSteps: 10, minLearningRate: 0.1f);

        AssertRate(expected, schedule.LearningRate(step));
    }

    [Theory]
    [InlineData(0, 0.1)]
    [InlineData(1, 0.2)]
    [InlineData(3, 0.4)]
    [InlineData(4, 0.4)]
    [InlineData(6, 0.3618033989)]
    [InlineData(9, 0.2)]
    [InlineData(13, 0.009788696741)]
    public void CosineDecay_WarmsUpLinearlyThenAnneals(int step, double expected)
    {
        // Warm-up 4 steps: lr = 0.4·(step + 1)/4. Then T = 10 steps of 0.2·(1 + cos(π·(step − 4)/10)):
        // step 6 gives 0.2·1.8090169944, step 13 gives 0.2·(1 + cos(0.9π)).
        var schedule = new CosineDecay(0.4f, totalSteps: 14, warmupSteps: 4);

        AssertRate(expected, schedule.LearningRate(step));
    }

    [Fact]
    public void CosineDecay_ReachesZeroMinimumAtTotalSteps()
    {
        var schedule = new CosineDecay(0.4f, totalSteps: 14, warmupSteps: 4);

        Assert.Equal(0f, schedule.LearningRate(14));
        Assert.Equal(0f, schedule.LearningRate(100));
    }

    [Fact]
    public void ConstantSchedule_ReturnsSameRate()
    {
        var schedule = new ConstantSchedule(0.03f);

        Assert.Equal(0.03f, schedule.LearningRate(0));
        Assert.Equal(0.03f, schedule.LearningRate(1000));
    }

    [Fact]
    public void Schedules_RejectNegativeStep()
    {
        var schedules = new ILearningRateSchedule[]
        {
            new ConstantSchedule(0.1f),
            new StepDecay(0.1f, 2),
            new ExponentialDecay(0.1f, 0.5f),
            new CosineDecay(0.1f, 5),
        };

        foreach (ILearningRateSchedule schedule in schedules)
        {
            var exception = Assert.Throws<ArgumentOutOfRangeException>(() => schedule.LearningRate(-1));
            Assert.Equal("step", exception.ParamName);
            Assert.Contains("must be at least 0", exception.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Schedules_RejectInvalidArguments()
    {
        Assert.Equal("learningRate", Assert.Throws<ArgumentOutOfRangeException>(() => new ConstantSchedule(float.NaN)).ParamName);
        Assert.Equal("baseLearningRate", Assert.Throws<ArgumentOutOfRangeException>(() => new StepDecay(-0.1f, 2)).ParamName);
        Assert.Equal("stepSize", Assert.Throws<ArgumentOutOfRangeException>(() => new StepDecay(0.1f, 0)).ParamName);
        Assert.Equal("gamma", Assert.Throws<ArgumentOutOfRangeException>(() => new StepDecay(0.1f, 2, 0f)).ParamName);
        Assert.Equal("gamma", Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialDecay(0.1f, float.PositiveInfinity)).ParamName);
        Assert.Equal("baseLearningRate", Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialDecay(float.NaN, 0.9f)).ParamName);
        Assert.Equal("minLearningRate", Assert.Throws<ArgumentOutOfRangeException>(() => new CosineDecay(0.1f, 10, minLearningRate: 0.2f)).ParamName);
        Assert.Equal("warmupSteps", Assert.Throws<ArgumentOutOfRangeException>(() => new CosineDecay(0.1f, 10, warmupSteps: -1)).ParamName);
        Assert.Equal("totalSteps", Assert.Throws<ArgumentOutOfRangeException>(() => new CosineDecay(0.1f, 5, warmupSteps: 5)).ParamName);
        Assert.Equal("totalSteps", Assert.Throws<ArgumentOutOfRangeException>(() => new CosineDecay(0.1f, 0)).ParamName);
    }
}
