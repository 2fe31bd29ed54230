using System;
using System.Linq;

namespace NetGen.Tests.Optimizers;

/// <summary>
/// A step split into ranges (BeginStep, then StepRange on each range) must leave the parameters
/// and the state exactly as one Step call does, which is what lets the trainer spread the step
/// over its threads.
/// </summary>
public class ElementwiseStepTests
{
    // Longer than two of the trainer's 4096-parameter blocks and not a multiple of the vector width.
    private const int Length = 9001;

    // Range bounds in the order the ranges are stepped: the last range first, and one range that
    // starts at an odd index, so no range starts where a vector of the whole span would.
    private static readonly (int Start, int End)[] Ranges = [(6000, Length), (0, 37), (37, 6000)];

    public static TheoryData<string> Optimizers => new()
    {
        "sgd", "sgd momentum dampening", "sgd nesterov decay", "adam", "adam decay amsgrad", "adamw", "adamw amsgrad",
        "adagrad", "adagrad decays", "adadelta decay", "rmsprop", "rmsprop centered momentum decay",
    };

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void StepRange_SameBitsAsStep(string name)
    {
        float[] initial = OptimizerTestData.InitialParameters(Length);
        float[][] gradients = OptimizerTestData.VaryingGradients(Length, 4);
        IElementwiseOptimizer whole = Create(name);
        IElementwiseOptimizer split = Create(name);
        var expected = (float[])initial.Clone();
        var actual = (float[])initial.Clone();

        for (int step = 0; step < gradients.Length; step++)
        {
            whole.Step(expected, gradients[step]);
            split.BeginStep(Length);
            foreach ((int start, int end) in Ranges)
            {
                split.StepRange(start, actual.AsSpan(start, end - start), gradients[step].AsSpan(start, end - start));
            }

            // Momentum and moments carry over, so a state slice taken at the wrong offset shows from the second step on.
            Assert.Equal(Bits(expected), Bits(actual));
        }

        Assert.NotEqual(Bits(initial), Bits(actual));
    }

    [Fact]
    public void StepRange_BeforeBeginStep_Throws()
    {
        var optimizer = new Adam();
        var parameters = new float[4];

        var error = Assert.Throws<InvalidOperationException>(() => optimizer.StepRange(0, parameters, new float[4]));
        Assert.Contains("BeginStep", error.Message, StringComparison.Ordinal);

        optimizer.Step(parameters, new float[4]);
        optimizer.Reset();
        Assert.Throws<InvalidOperationException>(() => optimizer.StepRange(0, parameters, new float[4]));
    }

    [Theory]
    [InlineData(-1, 2)]
    [InlineData(4, 2)]
    public void StepRange_OutsideTheStep_Throws(int start, int length)
    {
        var optimizer = new Sgd(0.1f, momentum: 0.9f);
        optimizer.BeginStep(5);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            optimizer.StepRange(start, new float[length], new float[length]));

        Assert.Equal("start", error.ParamName);
        Assert.Contains("5 parameters", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StepRange_GradientLengthDiffers_Throws()
    {
        var optimizer = new AdamW();
        optimizer.BeginStep(5);

        var error = Assert.Throws<ArgumentException>(() => optimizer.StepRange(0, new float[3], new float[2]));

        Assert.Equal("gradients", error.ParamName);
    }

    [Fact]
    public void BeginStep_OtherLength_Throws()
    {
        var optimizer = new Adam();
        optimizer.BeginStep(5);

        var error = Assert.Throws<ArgumentException>(() => optimizer.BeginStep(6));

        Assert.Equal("parameterCount", error.ParamName);
        Assert.Contains("allocated for 5", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, optimizer.StepCount);
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void BeginStep_NegativeCount_Throws(string name)
    {
        IElementwiseOptimizer optimizer = Create(name);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.BeginStep(-5));

        Assert.Equal("parameterCount", error.ParamName);
        Assert.Contains("-5", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StepRange_LongerThanTheStep_Throws()
    {
        var optimizer = new Sgd(0.1f);
        optimizer.BeginStep(5);

        var error = Assert.Throws<ArgumentException>(() => optimizer.StepRange(0, new float[6], new float[6]));

        Assert.Equal("parameters", error.ParamName);
        Assert.Contains("at most 5", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void StepRange_UsesRateAtBeginStep(string name)
    {
        // A learning rate set after BeginStep belongs to the next step, whichever optimizer it is.
        float[] initial = OptimizerTestData.InitialParameters(40);
        float[] gradient = OptimizerTestData.VaryingGradients(40, 1)[0];
        IElementwiseOptimizer whole = Create(name);
        IElementwiseOptimizer split = Create(name);
        var expected = (float[])initial.Clone();
        var actual = (float[])initial.Clone();

        whole.Step(expected, gradient);
        split.BeginStep(40);
        split.LearningRate *= 2;
        split.StepRange(0, actual, gradient);

        Assert.Equal(Bits(expected), Bits(actual));
    }

    [Fact]
    public void StepRange_EmptyRange_KeepsFirstStepPending()
    {
        // A step over an empty range writes no momentum, so the next step is still the first.
        var optimizer = new Sgd(0.1f, momentum: 0.9f, dampening: 0.5f);
        float[] parameters = [0f];
        optimizer.BeginStep(1);
        optimizer.StepRange(0, [], []);
        optimizer.BeginStep(1);
        optimizer.StepRange(0, parameters, [1f]);

        Assert.Equal(-0.1f, parameters[0]);
    }

    [Fact]
    public void BeginStep_Twice_FirstStepStillSetsMomentum()
    {
        // The first step sets the momentum buffer to g, so with dampening 0.5 one step of g = 1
        // moves p by exactly −lr·g = −0.1, however many steps were begun and left unstepped.
        var optimizer = new Sgd(0.1f, momentum: 0.9f, dampening: 0.5f);
        float[] parameters = [0f];
        optimizer.BeginStep(1);
        optimizer.BeginStep(1);
        optimizer.StepRange(0, parameters, [1f]);
        Assert.Equal(-0.1f, parameters[0]);

        // After a reset the old momentum buffer must not count either.
        optimizer.Step(parameters, [5f]);
        optimizer.Reset();
        parameters[0] = 0f;
        optimizer.BeginStep(1);
        optimizer.BeginStep(1);
        optimizer.StepRange(0, parameters, [1f]);
        Assert.Equal(-0.1f, parameters[0]);
    }

    private static IElementwiseOptimizer Create(string name) => name switch
    {
        "sgd" => new Sgd(0.1f),
        "sgd momentum dampening" => new Sgd(0.1f, momentum: 0.9f, dampening: 0.5f),
        "sgd nesterov decay" => new Sgd(0.1f, momentum: 0.9f, nesterov: true, weightDecay: 0.01f),
        "adam" => new Adam(0.01f),
        "adam decay amsgrad" => new Adam(0.01f, weightDecay: 0.01f, amsgrad: true),
        "adamw" => new AdamW(0.01f),
        "adamw amsgrad" => new AdamW(0.01f, amsgrad: true),
        "adagrad" => new AdaGrad(0.05f),
        "adagrad decays" => new AdaGrad(0.05f, learningRateDecay: 0.1f, weightDecay: 0.01f, initialAccumulatorValue: 0.1f),
        "adadelta decay" => new AdaDelta(1f, weightDecay: 0.01f),
        "rmsprop" => new RmsProp(0.01f),
        "rmsprop centered momentum decay" => new RmsProp(0.01f, weightDecay: 0.01f, momentum: 0.9f, centered: true),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown optimizer case."),
    };

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();
}
