using System;
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
    public void HasInt8Kernel_CoversDenseAndDropout()
    {
        // Every kind that exists today runs without leaving int8; a new kind must be added to
        // HasInt8Kernel or fall to the NETGEN0301 float path.
        foreach (LayerKind kind in Enum.GetValues<LayerKind>())
        {
            bool expected = kind is LayerKind.Dense or LayerKind.Dropout;
            Assert.Equal(expected, NetworkEmitter.HasInt8Kernel(kind));
        }
    }
}
