using System;
using System.Collections.Generic;
using static NetGen.Tests.Optimizers.OptimizerTestData;

namespace NetGen.Tests.Optimizers;

public class GradientClippingTests
{
    // The float norm of up to 1000 elements of order 1 is accurate to a few units in the last place
    // (about 1e-6 relative), and scaling adds one rounding (the largest error seen is under 4e-8). A
    // coefficient without the 1e-6 term or applied when it is ≥ 1 is off by far more on the values
    // used here.
    private const double Tolerance = 2e-6;

    /// <summary>torch.nn.utils.clip_grad_norm_ in double precision: returns the clipped copy and the norm.</summary>
    private static (double[] Clipped, double Norm) ReferenceClipByNorm(float[] gradients, double maxNorm)
    {
        double sumOfSquares = 0;
        foreach (float g in gradients)
        {
            sumOfSquares += (double)g * g;
        }

        double norm = Math.Sqrt(sumOfSquares);
        double coefficient = Math.Min(maxNorm / (norm + 1e-6), 1.0);
        var clipped = new double[gradients.Length];
        for (int i = 0; i < gradients.Length; i++)
        {
            clipped[i] = gradients[i] * coefficient;
        }

        return (clipped, norm);
    }

    private static double[] ReferenceClipByValue(double[] gradients, double maxValue)
    {
        var clipped = new double[gradients.Length];
        for (int i = 0; i < gradients.Length; i++)
        {
            clipped[i] = Math.Clamp(gradients[i], -maxValue, maxValue);
        }

        return clipped;
    }

    private static double[] ToDouble(float[] values) => Array.ConvertAll(values, value => (double)value);

    /// <summary>An optimizer that stores a copy of the gradients of its last step and moves nothing.</summary>
    private sealed class RecordingOptimizer : IOptimizer
    {
        public float LearningRate { get; set; } = 0.5f;

        public float[] LastGradients { get; private set; } = Array.Empty<float>();

        public int ResetCount { get; private set; }

        public void Step(Span<float> parameters, ReadOnlySpan<float> gradients) => LastGradients = gradients.ToArray();

        public void Reset() => ResetCount++;
    }

    [Theory]
    [MemberData(nameof(Lengths), MemberType = typeof(OptimizerTestData))]
    public void ClipByGlobalNorm_AboveLimitScalesToLimit(int length)
    {
        float[] gradients = VaryingGradients(length, 1)[0];
        var (expected, expectedNorm) = ReferenceClipByNorm(gradients, 0.5);
        Assert.True(expectedNorm > 0.5, $"The test needs a norm above the limit, but it is {expectedNorm}.");

        float norm = GradientClipping.ClipByGlobalNorm(gradients, 0.5f);

        Assert.Equal(expectedNorm, norm, expectedNorm * Tolerance);
        AssertClose(expected, gradients, Tolerance);
    }

    [Fact]
    public void ClipByGlobalNorm_BelowLimitLeavesGradients()
    {
        float[] gradients = VaryingGradients(33, 1)[0];
        float[] original = (float[])gradients.Clone();
        var (_, expectedNorm) = ReferenceClipByNorm(gradients, 100);

        float norm = GradientClipping.ClipByGlobalNorm(gradients, (float)(expectedNorm * 1.01));

        Assert.Equal(original, gradients);
        Assert.Equal(expectedNorm, norm, expectedNorm * Tolerance);
    }

    [Fact]
    public void ClipByGlobalNorm_KnownVectorScalesToLimit()
    {
        // ‖(3, −4)‖ = 5, so a limit of 1 multiplies by 1/(5 + 1e-6).
        float[] gradients = { 3f, -4f };

        float norm = GradientClipping.ClipByGlobalNorm(gradients, 1f);

        Assert.Equal(5f, norm);
        AssertClose(new[] { 3 / (5 + 1e-6), -4 / (5 + 1e-6) }, gradients, Tolerance);
    }

    [Fact]
    public void ClipByGlobalNorm_HugeFiniteNormScales()
    {
        // ‖(3e19, −4e19)‖ = 5e19 fits in float, but its squares (9e38, 1.6e39) do not.
        float[] gradients = { 3e19f, -4e19f };

        float norm = GradientClipping.ClipByGlobalNorm(gradients, 1f);

        Assert.Equal(5e19f, norm, 5e19f * Tolerance);
        AssertClose(new[] { 0.6, -0.8 }, gradients, Tolerance);
    }

    [Fact]
    public void ClipByGlobalNorm_LongSpanKeepsAccuracy()
    {
        // A float sum of 10⁷ squares of 0.1 drifted by 0.4 %; the reference sums in double.
        var gradients = new float[10_000_000];
        Array.Fill(gradients, 0.1f);
        double expected = Math.Sqrt(gradients.Length * (double)0.1f * 0.1f);

        float norm = GradientClipping.ClipByGlobalNorm(gradients, 1f);

        Assert.Equal(expected, norm, expected * 1e-6);
        Assert.Equal(0.1f / expected, gradients[^1], 1e-6 * 0.1f / expected);
    }

    [Fact]
    public void ClipByGlobalNorm_SubnormalCoefficientStaysExact()
    {
        // c = 1e-7 / 1e38 = 1e-45 is below the smallest normal float, so it must not round to a subnormal.
        float[] gradients = { 1e38f };

        GradientClipping.ClipByGlobalNorm(gradients, 1e-7f);

        Assert.Equal(1e-7, gradients[0], 1e-7 * 1e-6);
    }

    [Fact]
    public void ClipByGlobalNorm_EpsilonDominatesTinyNorm()
    {
        // ‖(3e-7, −4e-7)‖ = 5e-7, so c = 4e-7/(5e-7 + 1e-6) = 4/15, not 4e-7/5e-7 = 0.8. The values
        // are far below 1, so the check is relative.
        float[] gradients = { 3e-7f, -4e-7f };
        double[] expected = { 3e-7 * 4 / 15, -4e-7 * 4 / 15 };

        GradientClipping.ClipByGlobalNorm(gradients, 4e-7f);

        for (int i = 0; i < expected.Length; i++)
        {
            double relativeError = Math.Abs(gradients[i] - expected[i]) / Math.Abs(expected[i]);
            Assert.True(relativeError <= Tolerance, $"Element {i}: expected {expected[i]:R}, actual {gradients[i]:R}.");
        }
    }

    [Fact]
    public void ClipByGlobalNorm_NaNPropagates()
    {
        float[] gradients = { 1f, float.NaN, -2f };

        float norm = GradientClipping.ClipByGlobalNorm(gradients, 1f);

        Assert.True(float.IsNaN(norm));
        Assert.All(gradients, value => Assert.True(float.IsNaN(value)));
    }

    [Fact]
    public void ClipByGlobalNorm_InfinityZeroesFiniteGradients()
    {
        // As in torch: the coefficient is 1/∞ = 0, and ∞·0 is NaN.
        float[] gradients = { 1f, float.PositiveInfinity, -2f };

        float norm = GradientClipping.ClipByGlobalNorm(gradients, 1f);

        Assert.Equal(float.PositiveInfinity, norm);
        Assert.Equal(0f, gradients[0]);
        Assert.True(float.IsNaN(gradients[1]));
        Assert.Equal(0f, Math.Abs(gradients[2]));
    }

    [Fact]
    public void ClipByGlobalNorm_EmptySpanReturnsZero()
    {
        Assert.Equal(0f, GradientClipping.ClipByGlobalNorm(Span<float>.Empty, 1f));
    }

    [Theory]
    [MemberData(nameof(Lengths), MemberType = typeof(OptimizerTestData))]
    public void ClipByValue_ClampsToRange(int length)
    {
        float[] gradients = VaryingGradients(length, 3)[2];
        double[] expected = ReferenceClipByValue(ToDouble(gradients), 0.75);

        GradientClipping.ClipByValue(gradients, 0.75f);

        AssertClose(expected, gradients, 0);
    }

    [Fact]
    public void ClipByValue_KeepsNaNAndClampsInfinity()
    {
        float[] gradients = { float.NaN, float.NegativeInfinity, float.PositiveInfinity, 0.5f, -0f };

        GradientClipping.ClipByValue(gradients, 1f);

        Assert.True(float.IsNaN(gradients[0]));
        Assert.Equal(new[] { -1f, 1f, 0.5f }, gradients[1..4]);
        Assert.Equal(0f, gradients[4]);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(-1f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void GradientClipping_RejectsInvalidLimit(float limit)
    {
        var normException = Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipByGlobalNorm(new float[3], limit));
        var valueException = Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipByValue(new float[3], limit));

        Assert.Equal("maxNorm", normException.ParamName);
        Assert.Equal("maxValue", valueException.ParamName);
        Assert.Contains("finite number greater than 0", normException.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Lengths), MemberType = typeof(OptimizerTestData))]
    public void ClippedOptimizer_PassesNormClippedGradients(int length)
    {
        var inner = new RecordingOptimizer();
        var optimizer = new ClippedOptimizer(inner, maxNorm: 0.5f);
        float[] gradients = VaryingGradients(length, 2)[1];
        float[] original = (float[])gradients.Clone();

        optimizer.Step(new float[length], gradients);

        var (expected, norm) = ReferenceClipByNorm(gradients, 0.5);
        AssertClose(expected, inner.LastGradients, Tolerance);
        Assert.Equal(norm, optimizer.LastNorm, norm * Tolerance);
        Assert.Equal(original, gradients);
    }

    [Fact]
    public void ClippedOptimizer_ClipsNormThenValue()
    {
        // Norm 5 is scaled to about 1: (0.6, −0.8). The value limit 0.7 then clamps −0.8 only.
        var inner = new RecordingOptimizer();
        var optimizer = new ClippedOptimizer(inner, maxNorm: 1f, maxValue: 0.7f);

        optimizer.Step(new float[2], new[] { 3f, -4f });

        AssertClose(new[] { 3 / (5 + 1e-6), -0.7 }, inner.LastGradients, Tolerance);
        Assert.Equal(5f, optimizer.LastNorm);
    }

    [Fact]
    public void ClippedOptimizer_ValueOnlyLeavesNormUnmeasured()
    {
        var inner = new RecordingOptimizer();
        var optimizer = new ClippedOptimizer(inner, maxValue: 0.5f);
        float[] gradients = VaryingGradients(33, 1)[0];

        optimizer.Step(new float[33], gradients);

        AssertClose(ReferenceClipByValue(ToDouble(gradients), 0.5), inner.LastGradients, 0);
        Assert.True(float.IsNaN(optimizer.LastNorm));
    }

    [Fact]
    public void ClippedOptimizer_StepsInnerOptimizerWithClippedGradients()
    {
        // SGD with lr = 0.1 on the clipped gradients: p = p − 0.1·clip(g).
        const int length = 7;
        float[] parameters = InitialParameters(length);
        float[] gradients = VaryingGradients(length, 1)[0];
        var optimizer = new ClippedOptimizer(new Sgd(0.1f), maxNorm: 0.25f);

        optimizer.Step(parameters, gradients);

        var (clipped, _) = ReferenceClipByNorm(gradients, 0.25);
        float[] initial = InitialParameters(length);
        var expected = new double[length];
        for (int i = 0; i < length; i++)
        {
            expected[i] = initial[i] - 0.1 * clipped[i];
        }

        AssertClose(expected, parameters, Tolerance);
    }

    [Fact]
    public void ClippedOptimizer_LearningRateForwardsToInner()
    {
        var inner = new Adam(0.01f);
        var optimizer = new ClippedOptimizer(inner, maxNorm: 1f);

        optimizer.LearningRate = 0.25f;

        Assert.Equal(0.25f, inner.LearningRate);
        Assert.Equal(0.25f, optimizer.LearningRate);
        Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.LearningRate = -1f);
    }

    [Fact]
    public void ClippedOptimizer_ResetForwardsToInner()
    {
        var inner = new Adam(0.01f);
        var optimizer = new ClippedOptimizer(inner, maxNorm: 1f);
        optimizer.Step(new float[7], new float[7]);

        optimizer.Reset();

        Assert.Equal(0, inner.StepCount);
        Assert.True(float.IsNaN(optimizer.LastNorm));
        optimizer.Step(new float[33], new float[33]);
        Assert.Equal(1, inner.StepCount);
    }

    [Fact]
    public void ClippedOptimizer_RequiresALimit()
    {
        var exception = Assert.Throws<ArgumentException>(() => new ClippedOptimizer(new Sgd(0.1f)));

        Assert.Contains("needs maxNorm, maxValue or both", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ClippedOptimizer_RejectsInvalidArguments()
    {
        Assert.Throws<ArgumentNullException>(() => new ClippedOptimizer(null!, maxNorm: 1f));

        var normException = Assert.Throws<ArgumentOutOfRangeException>(() => new ClippedOptimizer(new Sgd(0.1f), maxNorm: float.NaN));
        var valueException = Assert.Throws<ArgumentOutOfRangeException>(() => new ClippedOptimizer(new Sgd(0.1f), maxNorm: 1f, maxValue: 0f));

        Assert.Equal("maxNorm", normException.ParamName);
        Assert.Equal("maxValue", valueException.ParamName);
    }

    [Fact]
    public void ClippedOptimizer_LengthChangeThrows()
    {
        var optimizer = new ClippedOptimizer(new Sgd(0.1f), maxNorm: 1f);
        optimizer.Step(new float[7], new float[7]);

        var exception = Assert.Throws<ArgumentException>(() => optimizer.Step(new float[33], new float[33]));

        Assert.Contains("allocated for 7 parameters", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ClippedOptimizer_StepAllocatesNothingAfterFirst()
    {
        AssertStepsAllocateNothing(new ClippedOptimizer(new Adam(0.01f), maxNorm: 1f, maxValue: 0.5f), 1000);
        AssertStepsAllocateNothing(new ClippedOptimizer(new Sgd(0.1f, momentum: 0.9f), maxValue: 0.5f), 7);
    }

    [Fact]
    public void AllOptimizers_StepAllocatesNothing()
    {
        var optimizers = new List<IOptimizer>
        {
            new Sgd(0.1f, momentum: 0.9f, nesterov: true, weightDecay: 0.01f),
            new Adam(amsgrad: true, weightDecay: 0.01f),
            new AdamW(amsgrad: true),
            new AdaGrad(weightDecay: 0.01f),
            new AdaDelta(weightDecay: 0.01f),
            new RmsProp(weightDecay: 0.01f, momentum: 0.9f, centered: true),
            new Rprop(),
            new ClippedOptimizer(new AdamW(), maxNorm: 1f, maxValue: 1f),
        };

        foreach (IOptimizer optimizer in optimizers)
        {
            AssertStepsAllocateNothing(optimizer, 33);
        }
    }
}
