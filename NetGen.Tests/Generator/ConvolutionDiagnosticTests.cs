using System.Linq;
using Microsoft.CodeAnalysis;

namespace NetGen.Tests.Generator;

/// <summary>Shape diagnostics of convolutional declarations: each names the layer and both shapes or sizes.</summary>
public class ConvolutionDiagnosticTests
{
    private static Diagnostic AssertSingle(string source, string id, string locatedText)
    {
        var diagnostics = GeneratorHarness.NetGenDiagnostics(source);
        Diagnostic diagnostic = Assert.Single(diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        string located = source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length);
        Assert.Equal(locatedText, located);
        return diagnostic;
    }

    private static void AssertMessageContains(Diagnostic diagnostic, params string[] parts)
    {
        string message = diagnostic.GetMessage();
        foreach (string part in parts)
        {
            Assert.Contains(part, message, System.StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ValidCnn_HasNoDiagnostics()
    {
        const string source = """
            using NetGen;
            [Network(Loss = Loss.SoftmaxCrossEntropy)]
            [Input(1, 28, 28)]
            [Conv2D(8, 3, Bias = false, PaddingMode = PaddingMode.Same), BatchNorm(Activation.Relu), MaxPool(2)]
            [Residual, Conv2D(8, 3, Activation.Relu, Padding = 1), ResidualEnd]
            [Flatten, Dense(10, Inputs = 8 * 14 * 14)]
            public partial class Good;
            """;
        Assert.Empty(GeneratorHarness.NetGenDiagnostics(source));
    }

    [Fact]
    public void DenseWithoutFlatten_NamesShape()
    {
        const string source = """
            using NetGen;
            [Network, Input(1, 28, 28), Conv2D(8, 3), Dense(10)]
            public partial class NoFlatten;
            """;
        Diagnostic diagnostic = AssertSingle(source, "NETGEN0108", "Dense(10)");
        AssertMessageContains(diagnostic, "'Dense2'", "[8, 26, 26]", "'Conv1'", "[Flatten]");
    }

    [Fact]
    public void Conv2DOnFlatInput_IsReported()
    {
        const string source = """
            using NetGen;
            [Network, Input(784), Conv2D(8, 3), Flatten, Dense(10)]
            public partial class FlatImage;
            """;
        Diagnostic diagnostic = AssertSingle(source, "NETGEN0108", "Conv2D(8, 3)");
        AssertMessageContains(diagnostic, "'Conv1'", "[784]", "the input");
    }

    [Fact]
    public void KernelLargerThanPaddedInput_NamesBothSizes()
    {
        const string source = """
            using NetGen;
            [Network, Input(1, 4, 4), Conv2D(2, 3, Dilation = 2), Flatten, Dense(1)]
            public partial class Dilated;
            """;
        Diagnostic diagnostic = AssertSingle(source, "NETGEN0109", "Conv2D(2, 3, Dilation = 2)");
        AssertMessageContains(diagnostic, "'Conv1'", "5×5", "[1, 4, 4]", "4×4");
    }

    [Fact]
    public void PoolWindowLargerThanInput_IsReported()
    {
        const string source = """
            using NetGen;
            [Network, Input(3, 5), Conv1D(2, 3), MaxPool(4), Flatten, Dense(1)]
            public partial class Pooled;
            """;
        Diagnostic diagnostic = AssertSingle(source, "NETGEN0109", "MaxPool(4)");
        AssertMessageContains(diagnostic, "'MaxPool2'", "[2, 3]");
    }

    [Fact]
    public void ResidualBranchChangingChannels_NamesBothShapes()
    {
        const string source = """
            using NetGen;
            [Network, Input(8, 6, 6), Residual, Conv2D(16, 3, PaddingMode = PaddingMode.Same), ResidualEnd, GlobalAvgPool, Dense(1)]
            public partial class Widening;
            """;
        Diagnostic diagnostic = AssertSingle(source, "NETGEN0110", "ResidualEnd");
        AssertMessageContains(diagnostic, "[16, 6, 6]", "[8, 6, 6]", "'Residual1'");
    }

    [Fact]
    public void UnbalancedResidual_IsReported()
    {
        const string unmatched = """
            using NetGen;
            [Network, Input(4), Dense(4), ResidualEnd, Dense(1)]
            public partial class Unmatched;
            """;
        AssertSingle(unmatched, "NETGEN0111", "ResidualEnd");

        const string unclosed = """
            using NetGen;
            [Network, Input(4), Residual, Dense(4), Dense(1)]
            public partial class Unclosed;
            """;
        Diagnostic diagnostic = AssertSingle(unclosed, "NETGEN0111", "Residual");
        AssertMessageContains(diagnostic, "'Residual1'");
    }

    [Fact]
    public void DenseInputsMismatch_NamesBothSizes()
    {
        const string source = """
            using NetGen;
            [Network, Input(1, 28, 28), Conv2D(16, 5), MaxPool(2), Flatten, Dense(10, Inputs = 256)]
            public partial class Miscounted;
            """;
        Diagnostic diagnostic = AssertSingle(source, "NETGEN0112", "Dense(10, Inputs = 256)");
        AssertMessageContains(diagnostic, "'Dense4'", "256", "2304", "[2304]");
    }

    [Fact]
    public void IndivisibleGroups_AreReported()
    {
        const string source = """
            using NetGen;
            [Network, Input(6, 8, 8), Conv2D(8, 3, Groups = 4), Flatten, Dense(1)]
            public partial class Grouped;
            """;
        Diagnostic diagnostic = AssertSingle(source, "NETGEN0113", "Conv2D(8, 3, Groups = 4)");
        AssertMessageContains(diagnostic, "Groups = 4", "input channels", "6", "(6 in, 8 out)");
    }

    [Fact]
    public void SamePaddingWithStride_IsReported()
    {
        const string source = """
            using NetGen;
            [Network, Input(3, 8, 8), Conv2D(4, 3, Stride = 2, PaddingMode = PaddingMode.Same), Flatten, Dense(1)]
            public partial class Strided;
            """;
        AssertSingle(source, "NETGEN0114", "Conv2D(4, 3, Stride = 2, PaddingMode = PaddingMode.Same)");
    }

    [Theory]
    [InlineData("Conv2D(0, 3)", "NETGEN0101")]
    [InlineData("Conv2D(4, 0)", "NETGEN0101")]
    [InlineData("Conv2D(4, 3, Stride = 0)", "NETGEN0205")]
    [InlineData("Conv2D(4, 3, Dilation = 0)", "NETGEN0205")]
    [InlineData("Conv2D(4, 3, Dilation = 1500000000, PaddingMode = PaddingMode.Same)", "NETGEN0205")]
    [InlineData("Conv2D(4, 3, Padding = -1)", "NETGEN0205")]
    [InlineData("Conv2D(4, 3, PaddingMode = (PaddingMode)7)", "NETGEN0205")]
    [InlineData("Conv2D(4, 3, (Activation)99)", "NETGEN0201")]
    [InlineData("BatchNorm(Epsilon = 0)", "NETGEN0205")]
    [InlineData("BatchNorm(Momentum = 1.5f)", "NETGEN0205")]
    [InlineData("LayerNorm(Epsilon = -1)", "NETGEN0205")]
    [InlineData("MaxPool(2, Padding = 2)", "NETGEN0205")]
    [InlineData("AvgPool(0)", "NETGEN0101")]
    public void BadLayerValues_AreReported(string layer, string id)
    {
        string source = $$"""
            using NetGen;
            [Network, Input(4, 8, 8), {{layer}}, Flatten, Dense(1)]
            public partial class Bad;
            """;
        var diagnostics = GeneratorHarness.NetGenDiagnostics(source);
        Assert.Contains(diagnostics, d => d.Id == id);
        Assert.All(diagnostics.Where(d => d.Id == id), d => Assert.Contains(layer, source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length), System.StringComparison.Ordinal));
    }

    [Fact]
    public void PaddingWithValidMode_IsWarning()
    {
        const string source = """
            using NetGen;
            [Network, Input(1, 8, 8), Conv2D(2, 3, Padding = 1, PaddingMode = PaddingMode.Valid), Flatten, Dense(1)]
            public partial class Ignored;
            """;
        Diagnostic diagnostic = Assert.Single(GeneratorHarness.NetGenDiagnostics(source));
        Assert.Equal("NETGEN0107", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Warning, diagnostic.Severity);
    }

    [Fact]
    public void NonPositiveInputExtent_IsReported()
    {
        const string source = """
            using NetGen;
            [Network, Input(1, 0, 28), Conv2D(2, 3), Flatten, Dense(1)]
            public partial class Empty;
            """;
        Diagnostic diagnostic = AssertSingle(source, "NETGEN0101", "Input(1, 0, 28)");
        AssertMessageContains(diagnostic, "input height");
    }

    [Fact]
    public void LayersWithoutNetwork_WarnOncePerClass()
    {
        const string source = """
            using NetGen;
            [Input(1, 8, 8), Conv2D(2, 3), Flatten, Dense(1)]
            public partial class Forgotten;

            [Dense(3)]
            public partial class OnlyLayers;

            [SparseInference]
            public partial class OnlySparse;
            """;
        var diagnostics = GeneratorHarness.NetGenDiagnostics(source);
        Assert.Equal(3, diagnostics.Count);
        Assert.All(diagnostics, d => Assert.Equal("NETGEN0010", d.Id));
        Assert.All(diagnostics, d => Assert.Equal(DiagnosticSeverity.Warning, d.Severity));
        Assert.Contains(diagnostics, d => d.GetMessage().Contains("'Forgotten'", System.StringComparison.Ordinal));
        Assert.Contains(diagnostics, d => d.GetMessage().Contains("'OnlyLayers'", System.StringComparison.Ordinal));
        Assert.Contains(diagnostics, d => d.GetMessage().Contains("'OnlySparse'", System.StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Input(65536, 65536, 65536), Flatten, Dense(2)")]
    [InlineData("Input(46341, 46341), Conv1D(1, 1), Flatten, Dense(2)")]
    [InlineData("Input(1, 8, 8), Conv2D(4, 3, Padding = int.MaxValue), Flatten, Dense(2)")]
    [InlineData("Input(1, 1 << 20, 1 << 20), Conv2D(4, 1), Flatten, Dense(2)")]
    public void ShapesBeyondAnArray_AreTooLarge(string layers)
    {
        string source = $$"""
            using NetGen;
            [Network, {{layers}}]
            public partial class Huge;
            """;
        var diagnostics = GeneratorHarness.NetGenDiagnostics(source);
        Assert.Contains(diagnostics, d => d.Id == "NETGEN0103");
    }

    [Fact]
    public void AbsurdValues_PrintAsIntegers()
    {
        const string source = """
            using NetGen;
            [Network, Input(4, 8, 8), AvgPool(int.MaxValue, Padding = int.MaxValue), Flatten, Dense(1)]
            public partial class Absurd;
            """;
        Diagnostic diagnostic = Assert.Single(GeneratorHarness.NetGenDiagnostics(source), d => d.GetMessage().Contains("Padding", System.StringComparison.Ordinal));
        AssertMessageContains(diagnostic, "2147483647");
        Assert.DoesNotContain("E+", diagnostic.GetMessage(), System.StringComparison.Ordinal);
    }

    [Fact]
    public void HugeDilation_PrintsTheTrueWindow()
    {
        const string source = """
            using NetGen;
            [Network, Input(1, 8, 8), Conv2D(4, 3, Dilation = int.MaxValue), Flatten, Dense(1)]
            public partial class Dilated;
            """;
        Diagnostic diagnostic = AssertSingle(source, "NETGEN0109", "Conv2D(4, 3, Dilation = int.MaxValue)");
        AssertMessageContains(diagnostic, "4294967295×4294967295");
    }

    [Fact]
    public void PoolWindowAdvice_DoesNotMentionDilation()
    {
        const string source = """
            using NetGen;
            [Network, Input(2, 3, 3), MaxPool(4), Flatten, Dense(1)]
            public partial class Pooled;
            """;
        Diagnostic diagnostic = AssertSingle(source, "NETGEN0109", "MaxPool(4)");
        Assert.DoesNotContain("dilation", diagnostic.GetMessage(), System.StringComparison.Ordinal);
    }
}
