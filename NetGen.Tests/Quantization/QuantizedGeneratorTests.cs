using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using NetGen.Generator.Emit;
using NetGen.Generator.Model;
using NetGen.Tests.Generator;

namespace NetGen.Tests.Quantization;

public class QuantizedGeneratorTests
{
    private const string Declaration = """
        using NetGen;
        namespace Demo;
        [Network(Loss = Loss.SoftmaxCrossEntropy, Int8 = {0})]
        [Input(12)]
        [Dense(8, Activation.Relu)]
        [Dropout(0.5f)]
        [Dense(3)]
        public partial class Net;
        """;

    // One layer of every kind, so every float step of the quantized path must compile.
    private const string EveryKind = """
        using NetGen;
        namespace Demo;
        [Network(Loss = Loss.SoftmaxCrossEntropy, Int8 = true)]
        [Input(2, 8, 8)]
        [Conv2D(4, 3, PaddingMode = PaddingMode.Same)]
        [BatchNorm(Activation.Relu)]
        [Residual]
        [Conv2D(4, 3, Activation.Silu, PaddingMode = PaddingMode.Same)]
        [ResidualEnd]
        [MaxPool(2)]
        [AvgPool(2)]
        [LayerNorm(Activation.GeluTanh)]
        [GlobalAvgPool]
        [Flatten]
        [Dropout(0.1f)]
        [Dense(3)]
        public partial class Cnn;
        """;

    [Fact]
    public void Int8_GeneratesQuantizedClassWithoutDiagnostics()
    {
        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(Declaration.Replace("{0}", "true", StringComparison.Ordinal));

        Assert.Empty(result.Diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        Assert.NotNull(output.GetTypeByMetadataName("Demo.Net+Quantized"));
    }

    [Fact]
    public void WithoutInt8_NoQuantizedClass()
    {
        (GeneratorDriverRunResult _, Compilation output) = GeneratorHarness.Run(Declaration.Replace("{0}", "false", StringComparison.Ordinal));

        Assert.Null(output.GetTypeByMetadataName("Demo.Net+Quantized"));
    }

    [Fact]
    public void RunsInFloat_CoversEveryKind()
    {
        // Dense has int8 kernels; dropout, flatten and residual start compute nothing at inference.
        // Every other kind, and any kind added later, runs in float and is reported.
        foreach (LayerKind kind in Enum.GetValues<LayerKind>())
        {
            bool expected = kind is not (LayerKind.Dense or LayerKind.Dropout or LayerKind.Flatten or LayerKind.ResidualStart);
            Assert.Equal(expected, NetworkEmitter.RunsInFloat(kind));
        }
    }

    [Fact]
    public void FloatLayers_ReportedOncePerLayer()
    {
        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(EveryKind);

        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        Assert.NotNull(output.GetTypeByMetadataName("Demo.Cnn+Quantized"));
        Assert.All(result.Diagnostics, d => Assert.Equal("NETGEN0301", d.Id));
        Assert.All(result.Diagnostics, d => Assert.Equal(DiagnosticSeverity.Info, d.Severity));

        // Layer names as the generator numbers them: kind and 1-based position.
        var expected = new Dictionary<string, string>
        {
            ["Conv1"] = "Convolution",
            ["BatchNorm2"] = "BatchNorm",
            ["Conv4"] = "Convolution",
            ["ResidualEnd5"] = "ResidualEnd",
            ["MaxPool6"] = "MaxPool",
            ["AvgPool7"] = "AvgPool",
            ["LayerNorm8"] = "LayerNorm",
            ["GlobalAvgPool9"] = "GlobalAvgPool",
        };
        Assert.Equal(expected.Count, result.Diagnostics.Length);
        foreach ((string layer, string kind) in expected)
        {
            Diagnostic diagnostic = Assert.Single(result.Diagnostics, d => d.GetMessage().StartsWith("Layer '" + layer + "'", StringComparison.Ordinal));
            string message = diagnostic.GetMessage();
            Assert.Contains("(" + kind + ") has no int8 kernel", message, StringComparison.Ordinal);
            Assert.Contains("runs it in float", message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void FloatLayers_NoDiagnosticWithoutInt8()
    {
        (GeneratorDriverRunResult result, Compilation _) = GeneratorHarness.Run(EveryKind.Replace("Int8 = true", "Int8 = false", StringComparison.Ordinal));

        Assert.Empty(result.Diagnostics);
    }

    [Fact]
    public void MemberNamedQuantized_ConflictsOnlyWithInt8()
    {
        const string member = "public partial class Net { public int Quantized => 1; }";
        string withInt8 = Declaration.Replace("{0}", "true", StringComparison.Ordinal).Replace("public partial class Net;", member, StringComparison.Ordinal);
        string withoutInt8 = Declaration.Replace("{0}", "false", StringComparison.Ordinal).Replace("public partial class Net;", member, StringComparison.Ordinal);

        Diagnostic diagnostic = Assert.Single(GeneratorHarness.NetGenDiagnostics(withInt8));
        Assert.Equal("NETGEN0008", diagnostic.Id);
        Assert.Contains("'Quantized'", diagnostic.GetMessage(), StringComparison.Ordinal);

        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(withoutInt8);
        Assert.Empty(result.Diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    [Fact]
    public void ClassNamedQuantized_ConflictsWithInt8()
    {
        string source = Declaration.Replace("{0}", "true", StringComparison.Ordinal).Replace("class Net;", "class Quantized;", StringComparison.Ordinal);

        Diagnostic diagnostic = Assert.Single(GeneratorHarness.NetGenDiagnostics(source));
        Assert.Equal("NETGEN0008", diagnostic.Id);
        Assert.Contains("the class name 'Quantized'", diagnostic.GetMessage(), StringComparison.Ordinal);
    }
}
