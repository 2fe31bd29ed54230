using System;
using System.IO;

namespace NetGen.Tests;

// Networks that differ only in an activation's α or a normalisation's ε. Each expected text
// below is written out by hand from the format that docs/weight-files.md describes.

[Network, Input(3), Dense(4, Activation.LeakyRelu), Dense(2)]
internal sealed partial class LeakyDefaultNet;

[Network, Input(3), Dense(4, Activation.LeakyRelu, Alpha = 0.01f), Dense(2)]
internal sealed partial class LeakyDeclaredDefaultNet;

[Network, Input(3), Dense(4, Activation.LeakyRelu, Alpha = 0.1f), Dense(2)]
internal sealed partial class LeakyTenthNet;

[Network, Input(3), Dense(4, Activation.LeakyRelu, Alpha = 0.2f), Dense(2)]
internal sealed partial class LeakyFifthNet;

[Network, Input(3), Dense(4, Activation.Elu, Alpha = 0.5f), Dense(2, Activation.Elu)]
internal sealed partial class EluHalfNet;

[Network, Input(1, 4, 4), Conv2D(2, 3, Activation.LeakyRelu, Alpha = 0.25f), BatchNorm(Epsilon = 1e-3f), Flatten, Dense(2)]
internal sealed partial class ConvNormOptionsNet;

[Network, Input(1, 4, 4), Conv2D(2, 3, Activation.LeakyRelu), BatchNorm, Flatten, Dense(2)]
internal sealed partial class ConvNormDefaultsNet;

[Network, Input(6), Dense(6), LayerNorm(Activation.Elu, Epsilon = 0.5f), Residual, Dense(6), ResidualEnd(Activation.LeakyRelu, Alpha = 0.3f), Dense(2)]
internal sealed partial class NormResidualOptionsNet;

/// <summary>
/// The architecture text that weight files record names a Leaky ReLU slope, an ELU α and a
/// normalisation ε that differ from their defaults, so weights do not load into a network that
/// computes a different function with them. Texts with the defaults keep the earlier form, so
/// files saved before these options were recorded still load.
/// </summary>
public sealed class ArchitectureTextTests
{
    [Fact]
    public void DefaultSlope_KeepsTheEarlierText()
    {
        const string expected = "Input(3) Dense(4,LeakyRelu) Dense(2,Identity) Loss(SquaredError)";

        Assert.Equal(expected, LeakyDefaultNet.ArchitectureText);
        Assert.Equal(expected, LeakyDeclaredDefaultNet.ArchitectureText);
    }

    [Fact]
    public void DeclaredSlopeAndAlpha_AppearInTheText()
    {
        Assert.Equal("Input(3) Dense(4,LeakyRelu,Alpha=0.1) Dense(2,Identity) Loss(SquaredError)", LeakyTenthNet.ArchitectureText);
        Assert.Equal("Input(3) Dense(4,Elu,Alpha=0.5) Dense(2,Elu) Loss(SquaredError)", EluHalfNet.ArchitectureText);
    }

    [Fact]
    public void ConvAndBatchNorm_OptionsInText()
    {
        Assert.Equal(
            "Input(1,4,4) Conv2D(2,3x3,s1,p0/0/0/0,d1,g1,bias,LeakyRelu,Alpha=0.25) BatchNorm(2,Identity,Epsilon=0.001) Flatten Dense(2,Identity) Loss(SquaredError)",
            ConvNormOptionsNet.ArchitectureText);
        Assert.Equal(
            "Input(1,4,4) Conv2D(2,3x3,s1,p0/0/0/0,d1,g1,bias,LeakyRelu) BatchNorm(2,Identity) Flatten Dense(2,Identity) Loss(SquaredError)",
            ConvNormDefaultsNet.ArchitectureText);
    }

    [Fact]
    public void LayerNormAndResidual_OptionsInText()
    {
        Assert.Equal(
            "Input(6) Dense(6,Identity) LayerNorm(6,Elu,Epsilon=0.5) ResidualStart Dense(6,Identity) ResidualEnd(LeakyRelu,Alpha=0.3) Dense(2,Identity) Loss(SquaredError)",
            NormResidualOptionsNet.ArchitectureText);
    }

    [Fact]
    public void Load_OtherSlope_ThrowsAndKeepsParameters()
    {
        using var stream = new MemoryStream();
        WeightFile.Save(new LeakyTenthNet(1), stream);
        var target = new LeakyFifthNet(2);
        float[] before = target.Parameters.ToArray();

        stream.Position = 0;
        InvalidDataException exception = Assert.Throws<InvalidDataException>(() => WeightFile.Load(target, stream));

        Assert.Contains("LeakyRelu,Alpha=0.1", exception.Message, StringComparison.Ordinal);
        Assert.Contains("LeakyRelu,Alpha=0.2", exception.Message, StringComparison.Ordinal);
        Assert.Equal(before, target.Parameters.ToArray());
    }

    [Fact]
    public void Load_DeclaredDefaultSlope_ReadsOldFile()
    {
        var source = new LeakyDefaultNet(1);
        using var stream = new MemoryStream();
        WeightFile.Save(source, stream);
        var target = new LeakyDeclaredDefaultNet(2);

        stream.Position = 0;
        WeightFile.Load(target, stream);

        Assert.Equal(source.Parameters.ToArray(), target.Parameters.ToArray());
    }
}

/// <summary>The number format of the architecture text, which must not depend on the compiler's host.</summary>
public sealed class ArchitectureNumberTests
{
    [Theory]
    [InlineData(0.25f, "0.25")]
    [InlineData(0.1f, "0.1")]
    [InlineData(1.0000001f, "1.0000001")]
    [InlineData(1e-5f, "1E-05")]
    [InlineData(0.001f, "0.001")]
    [InlineData(3f, "3")]
    public void Real_WritesShortestRoundTrip(float value, string expected)
    {
        Assert.Equal(expected, NetGen.Generator.NetworkArchitecture.Real(value));
    }

    [Fact]
    public void Real_AgreesWithShortestFormOnDropoutRange()
    {
        // Files saved before this format used .NET's "R", which is the shortest form on .NET.
        for (float p = 1e-5f; p < 1f; p = MathF.BitIncrement(p) * 1.0001f)
        {
            Assert.Equal(p.ToString("R", System.Globalization.CultureInfo.InvariantCulture), NetGen.Generator.NetworkArchitecture.Real(p));
        }
    }
}
