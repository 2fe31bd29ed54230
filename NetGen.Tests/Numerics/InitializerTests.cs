using System;
using System.Linq;

namespace NetGen.Tests.Numerics;

// Large layers so that sample statistics are tight: 600 × 500 = 300,000 weights.
[Network, Input(600), Dense(500, Activation.Relu, Init = Initializer.HeUniform), Dense(1)]
internal sealed partial class HeUniformProbe;

[Network, Input(600), Dense(500, Activation.Relu, Init = Initializer.HeNormal, InitMode = FanMode.FanOut), Dense(1)]
internal sealed partial class HeNormalFanOutProbe;

[Network, Input(600), Dense(500, Activation.LeakyRelu, Alpha = 0.2f, Init = Initializer.HeNormal), Dense(1)]
internal sealed partial class HeNormalLeakyProbe;

[Network, Input(600), Dense(500, Activation.Tanh, Init = Initializer.GlorotUniform), Dense(1)]
internal sealed partial class GlorotUniformProbe;

[Network, Input(600), Dense(500, Activation.Sigmoid, Init = Initializer.GlorotNormal), Dense(1)]
internal sealed partial class GlorotNormalProbe;

[Network, Input(600), Dense(500, Activation.Tanh, Init = Initializer.LeCunUniform), Dense(1)]
internal sealed partial class LeCunUniformProbe;

[Network, Input(600), Dense(500, Activation.LeCunTanh, Init = Initializer.LeCunNormal), Dense(1)]
internal sealed partial class LeCunNormalProbe;

[Network, Input(600), Dense(500, Activation.Identity, Init = Initializer.GlorotUniform, InitGain = 3f), Dense(1)]
internal sealed partial class GainOverrideProbe;

[Network, Input(4), Dense(3, Init = Initializer.Zeros), Dense(2, Init = Initializer.Ones), Dense(2, Init = Initializer.Constant, InitValue = -0.25f)]
internal sealed partial class ConstantProbe;

public class InitializerTests
{
    // With n = 300,000 draws, the sample variance of U(−b, b) or N(0, σ²) lies within 1 % of the
    // true value far beyond 5 standard errors (its relative standard error is about 0.2–0.3 %).
    private const double VarianceTolerance = 0.01;

    private static void AssertUniform(ReadOnlySpan<float> weights, double bound)
    {
        float[] values = weights.ToArray();
        Assert.All(values, w => Assert.InRange(Math.Abs(w), 0, bound));
        Assert.True(values.Max() > 0.99 * bound, $"largest weight {values.Max()} should be near the bound {bound}");
        Assert.True(values.Min() < -0.99 * bound, $"smallest weight {values.Min()} should be near −{bound}");
        AssertVariance(values, bound * bound / 3);
    }

    private static void AssertNormal(ReadOnlySpan<float> weights, double deviation)
    {
        float[] values = weights.ToArray();
        AssertVariance(values, deviation * deviation);

        // About 4.55 % of normal draws lie beyond 2σ; a uniform of the same variance has none beyond 1.73σ.
        double beyond = values.Count(w => Math.Abs(w) > 2 * deviation) / (double)values.Length;
        Assert.InRange(beyond, 0.040, 0.051);
    }

    private static void AssertVariance(float[] values, double expected)
    {
        double mean = values.Average(w => (double)w);
        double variance = values.Average(w => ((double)w - mean) * ((double)w - mean));
        Assert.InRange(mean, -0.01 * Math.Sqrt(expected), 0.01 * Math.Sqrt(expected));
        Assert.InRange(variance, expected * (1 - VarianceTolerance), expected * (1 + VarianceTolerance));
    }

    [Fact]
    public void HeUniform_UsesReluGainAndFanIn() =>
        AssertUniform(new HeUniformProbe(1).Dense1Weight, Math.Sqrt(2) * Math.Sqrt(3.0 / 600));

    [Fact]
    public void HeNormal_FanOutMode_UsesOutputs() =>
        AssertNormal(new HeNormalFanOutProbe(2).Dense1Weight, Math.Sqrt(2) / Math.Sqrt(500));

    [Fact]
    public void HeNormal_LeakyRelu_UsesSlopeInGain() =>
        AssertNormal(new HeNormalLeakyProbe(3).Dense1Weight, Math.Sqrt(2.0 / (1 + (0.2 * 0.2))) / Math.Sqrt(600));

    [Fact]
    public void GlorotUniform_UsesTanhGain() =>
        AssertUniform(new GlorotUniformProbe(4).Dense1Weight, 5.0 / 3.0 * Math.Sqrt(6.0 / 1100));

    [Fact]
    public void GlorotNormal_UsesSigmoidGain() =>
        AssertNormal(new GlorotNormalProbe(5).Dense1Weight, Math.Sqrt(2.0 / 1100));

    [Fact]
    public void LeCunUniform_IgnoresGain() =>
        AssertUniform(new LeCunUniformProbe(6).Dense1Weight, Math.Sqrt(3.0 / 600));

    [Fact]
    public void LeCunNormal_HasVarianceOneOverFanIn() =>
        AssertNormal(new LeCunNormalProbe(7).Dense1Weight, 1 / Math.Sqrt(600));

    [Fact]
    public void InitGain_ReplacesActivationGain() =>
        AssertUniform(new GainOverrideProbe(8).Dense1Weight, 3.0 * Math.Sqrt(6.0 / 1100));

    [Fact]
    public void ConstantInitializers_FillExactly()
    {
        var network = new ConstantProbe(9);
        Assert.All(network.Dense1Weight.ToArray(), w => Assert.Equal(0f, w));
        Assert.All(network.Dense2Weight.ToArray(), w => Assert.Equal(1f, w));
        Assert.All(network.Dense3Weight.ToArray(), w => Assert.Equal(-0.25f, w));
        Assert.All(network.Dense3Bias.ToArray(), b => Assert.Equal(0f, b));
    }

    [Fact]
    public void Biases_StartAtZero() =>
        Assert.All(new HeNormalFanOutProbe(10).Dense1Bias.ToArray(), b => Assert.Equal(0f, b));
}
