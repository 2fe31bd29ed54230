using System.Linq;
using Microsoft.CodeAnalysis;

namespace NetGen.Tests.Generator;

public class DiagnosticTests
{
    /// <summary>Asserts exactly one NETGEN diagnostic with this ID, located on <paramref name="locatedText"/>.</summary>
    private static Diagnostic AssertSingle(string source, string id, string locatedText)
    {
        var diagnostics = GeneratorHarness.NetGenDiagnostics(source);
        Diagnostic diagnostic = Assert.Single(diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.True(diagnostic.Location.IsInSource, "the diagnostic must point into the source so #pragma can suppress it");
        string located = source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length);
        Assert.Equal(locatedText, located);
        return diagnostic;
    }

    [Fact]
    public void ClassNotPartial_IsError()
    {
        const string source = """
            using NetGen;
            [Network, Input(4), Dense(2)]
            public class Plain { }
            """;
        Diagnostic diagnostic = AssertSingle(source, "NETGEN0001", "Plain");
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Contains("'Plain'", diagnostic.GetMessage(), System.StringComparison.Ordinal);
    }

    [Fact]
    public void ContainingTypeNotPartial_NamesBothTypes()
    {
        const string source = """
            using NetGen;
            public class Outer
            {
                [Network, Input(4), Dense(2)]
                public partial class Inner;
            }
            """;
        Diagnostic diagnostic = AssertSingle(source, "NETGEN0002", "Inner");
        Assert.Contains("'Outer'", diagnostic.GetMessage(), System.StringComparison.Ordinal);
    }

    [Fact]
    public void MissingInput_IsReportedOnClass()
    {
        const string source = """
            using NetGen;
            [Network, Dense(2)]
            public partial class NoInput;
            """;
        AssertSingle(source, "NETGEN0003", "NoInput");
    }

    [Fact]
    public void NoLayers_IsReportedOnClass()
    {
        const string source = """
            using NetGen;
            [Network, Input(3)]
            public partial class Empty;
            """;
        AssertSingle(source, "NETGEN0004", "Empty");
    }

    [Theory]
    [InlineData("public static partial class S;", "S", "static")]
    [InlineData("public partial class G<T>;", "G", "generic")]
    [InlineData("public partial record R;", "R", "a record")]
    [InlineData("[System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Explicit)] public partial class E;", "E", "[StructLayout(LayoutKind.Explicit)]")]
    public void UnsupportedClassShape_NamesTheShape(string declaration, string name, string shape)
    {
        string source = "using NetGen;\n[Network, Input(3), Dense(2)]\n" + declaration;
        Diagnostic diagnostic = AssertSingle(source, "NETGEN0005", name);
        Assert.Contains(shape, diagnostic.GetMessage(), System.StringComparison.Ordinal);
    }

    [Fact]
    public void LayersOnTwoDeclarations_IsError()
    {
        const string source = """
            using NetGen;
            [Network, Input(3)]
            public partial class Split;
            [Dense(2)]
            public partial class Split;
            """;
        AssertSingle(source, "NETGEN0006", "Split");
    }

    [Fact]
    public void InputAfterLayer_NamesThePrecedingLayer()
    {
        const string source = """
            using NetGen;
            [Network]
            [Dense(5)]
            [Input(3)]
            public partial class Late;
            """;
        Diagnostic diagnostic = AssertSingle(source, "NETGEN0007", "Input(3)");
        Assert.Contains("'Dense1'", diagnostic.GetMessage(), System.StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[Network, Input(0), Dense(2)]", "Input(0)", "The input size of 'Net' is 0")]
    [InlineData("[Network, Input(-3), Dense(2)]", "Input(-3)", "The input size of 'Net' is -3")]
    [InlineData("[Network, Input(4), Dense(8), Dense(0)]", "Dense(0)", "The output count of 'Dense2' is 0")]
    public void NonPositiveSize_NamesLayerAndValue(string attributes, string located, string message)
    {
        string source = "using NetGen;\n" + attributes + "\npublic partial class Net;";
        Diagnostic diagnostic = AssertSingle(source, "NETGEN0101", located);
        Assert.StartsWith(message, diagnostic.GetMessage(), System.StringComparison.Ordinal);
    }

    [Fact]
    public void SoftmaxOnSingleOutput_IsError()
    {
        const string source = """
            using NetGen;
            [Network(Loss = Loss.SoftmaxCrossEntropy), Input(4), Dense(8, Activation.Tanh), Dense(1)]
            public partial class OneClass;
            """;
        Diagnostic diagnostic = AssertSingle(source, "NETGEN0102", "Dense(1)");
        Assert.Contains("'Dense2'", diagnostic.GetMessage(), System.StringComparison.Ordinal);
    }

    [Fact]
    public void TooManyParameters_IsError()
    {
        const string source = """
            using NetGen;
            [Network, Input(100000), Dense(100000)]
            public partial class Huge;
            """;
        Diagnostic diagnostic = AssertSingle(source, "NETGEN0103", "Huge");
        Assert.Contains("10000100000", diagnostic.GetMessage(), System.StringComparison.Ordinal);
    }

    [Fact]
    public void ActivationBeforeSoftmax_IsWarningAndStillGenerates()
    {
        const string source = """
            using NetGen;
            [Network(Loss = Loss.SoftmaxCrossEntropy), Input(4), Dense(3, Activation.Relu)]
            public partial class Squashed;
            """;
        Diagnostic diagnostic = AssertSingle(source, "NETGEN0104", "Dense(3, Activation.Relu)");
        Assert.Equal(DiagnosticSeverity.Warning, diagnostic.Severity);
        Assert.Single(GeneratorHarness.Run(source).Result.GeneratedTrees);
    }

    [Fact]
    public void UnknownActivation_ListsTheValidNames()
    {
        const string source = """
            using NetGen;
            [Network, Input(4), Dense(3, (Activation)42)]
            public partial class Odd;
            """;
        Diagnostic diagnostic = AssertSingle(source, "NETGEN0201", "Dense(3, (Activation)42)");
        Assert.Contains("42", diagnostic.GetMessage(), System.StringComparison.Ordinal);
        Assert.Contains("Relu", diagnostic.GetMessage(), System.StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownLoss_IsReportedOnNetworkAttribute()
    {
        const string source = """
            using NetGen;
            [Network(Loss = (Loss)7), Input(4), Dense(3)]
            public partial class OddLoss;
            """;
        AssertSingle(source, "NETGEN0202", "Network(Loss = (Loss)7)");
    }

    [Fact]
    public void UnknownInitializer_IsReportedOnLayer()
    {
        const string source = """
            using NetGen;
            [Network, Input(4), Dense(3, Init = (Initializer)99)]
            public partial class OddInit;
            """;
        AssertSingle(source, "NETGEN0203", "Dense(3, Init = (Initializer)99)");
    }

    [Fact]
    public void Pragma_SuppressesWarningInRealBuild()
    {
        // This project compiles with warnings as errors; PragmaSuppressedNetwork is declared
        // inside #pragma warning disable NETGEN0104, so the build itself proves the suppression.
        Assert.Equal(3, PragmaSuppressedNetwork.OutputSize);
    }

    [Theory]
    [InlineData("[Network(Loss = Loss.SquaredError, LabelSmoothing = 0.1f), Input(4), Dense(3)]", "LabelSmoothing")]
    [InlineData("[Network(Loss = Loss.SquaredError, ClassWeights = new[] { 1f, 2f, 3f }), Input(4), Dense(3)]", "ClassWeights")]
    [InlineData("[Network(Loss = Loss.SquaredError, ClassWeights = new float[0]), Input(4), Dense(3)]", "ClassWeights")]
    [InlineData("[Network(Loss = Loss.SoftmaxCrossEntropy, HuberDelta = 2f), Input(4), Dense(3)]", "HuberDelta")]
    [InlineData("[Network(Loss = Loss.SoftmaxCrossEntropy, HuberDelta = 1f), Input(4), Dense(3)]", "HuberDelta")]
    [InlineData("[Network(Loss = Loss.SquaredError, LabelSmoothing = 0f), Input(4), Dense(3)]", "LabelSmoothing")]
    public void LossOptionOnOtherLoss_IsError(string attributes, string option)
    {
        string source = "using NetGen;\n" + attributes + "\npublic partial class Net;";
        Diagnostic diagnostic = Assert.Single(GeneratorHarness.NetGenDiagnostics(source));
        Assert.Equal("NETGEN0105", diagnostic.Id);
        Assert.Contains(option, diagnostic.GetMessage(), System.StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("new[] { 1f, 2f }", 2)]
    [InlineData("new float[0]", 0)]
    [InlineData("new float[] { }", 0)]
    public void ClassWeightCount_NamesBothSizes(string weights, int count)
    {
        string source = "using NetGen;\n[Network(Loss = Loss.SoftmaxCrossEntropy, ClassWeights = " + weights + "), Input(4), Dense(3)]\npublic partial class Weighted;";
        Diagnostic diagnostic = Assert.Single(GeneratorHarness.NetGenDiagnostics(source));
        Assert.Equal("NETGEN0106", diagnostic.Id);
        Assert.Contains(count + " class weights", diagnostic.GetMessage(), System.StringComparison.Ordinal);
        Assert.Contains("3 outputs", diagnostic.GetMessage(), System.StringComparison.Ordinal);
    }

    [Fact]
    public void NullClassWeights_MeansUnweighted()
    {
        const string source = """
            using NetGen;
            [Network(Loss = Loss.SoftmaxCrossEntropy, ClassWeights = null), Input(4), Dense(3)]
            public partial class Unweighted;
            """;
        Assert.Empty(GeneratorHarness.NetGenDiagnostics(source));
    }

    [Theory]
    [InlineData("[Dense(3, Activation.Relu, InitGain = 2f, InitMode = FanMode.FanOut)]")]
    [InlineData("[Dense(3, Init = Initializer.GlorotNormal, InitGain = 2f)]")]
    [InlineData("[Dense(3, Init = Initializer.LeCunUniform, InitMode = FanMode.FanOut)]")]
    public void UsedInitOptions_AreAccepted(string layer)
    {
        string source = "using NetGen;\n[Network, Input(4)]\n" + layer + "\npublic partial class Net;";

        Assert.Empty(GeneratorHarness.NetGenDiagnostics(source));
    }

    [Theory]
    [InlineData("[Dense(3, Activation.LeakyRelu, Alpha = float.NaN)]", "Alpha of 'Dense1' is NaN")]
    [InlineData("[Dense(3, Activation.Elu, Alpha = 0f / 0f)]", "Alpha of 'Dense1' is NaN")]
    [InlineData("[Dense(3, InitGain = float.NaN)]", "InitGain of 'Dense1' is NaN")]
    [InlineData("[Dense(3), BatchNorm(Activation.LeakyRelu, Alpha = float.NaN)]", "Alpha of 'BatchNorm2' is NaN")]
    public void ExplicitNaNOption_IsError(string layers, string expected)
    {
        string source = "using NetGen;\n[Network, Input(4)]\n" + layers + "\npublic partial class Net;";

        Diagnostic diagnostic = Assert.Single(GeneratorHarness.NetGenDiagnostics(source));

        Assert.Equal("NETGEN0205", diagnostic.Id);
        Assert.Contains(expected, diagnostic.GetMessage(), System.StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[Dense(3, Activation.Tanh, Alpha = 0.2f)]", "Alpha")]
    [InlineData("[Dense(3, Init = Initializer.HeNormal, InitValue = 2f)]", "InitValue")]
    [InlineData("[Dense(3, Init = Initializer.LeCunNormal, InitGain = 2f)]", "InitGain")]
    [InlineData("[Dense(3, Init = Initializer.Zeros, InitGain = 2f)]", "InitGain")]
    [InlineData("[Dense(3, Init = Initializer.GlorotUniform, InitMode = FanMode.FanOut)]", "InitMode")]
    [InlineData("[Dense(3, Activation.Tanh, InitMode = FanMode.FanOut)]", "InitMode")]
    [InlineData("[Dense(3, Init = Initializer.Constant, InitValue = 0.5f, InitMode = FanMode.FanOut)]", "InitMode")]
    public void UnusedOption_IsWarning(string layer, string option)
    {
        string source = "using NetGen;\n[Network, Input(4)]\n" + layer + "\npublic partial class Net;";
        Diagnostic diagnostic = Assert.Single(GeneratorHarness.NetGenDiagnostics(source));
        Assert.Equal("NETGEN0107", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Warning, diagnostic.Severity);
        Assert.Contains(option, diagnostic.GetMessage(), System.StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[Dropout(1f), Dense(3)]", "The dropout probability of 'Dropout1' is 1")]
    [InlineData("[Dropout(-0.1f), Dense(3)]", "The dropout probability of 'Dropout1' is -0.1")]
    [InlineData("[Dense(3, Activation.LeakyRelu, Alpha = -0.5f)]", "Alpha of 'Dense1' is -0.5")]
    [InlineData("[Dense(3, L2 = -1f)]", "L2 of 'Dense1' is -1")]
    [InlineData("[Dense(3, InitGain = 0f)]", "InitGain of 'Dense1' is 0")]
    public void OutOfRangeValue_NamesLayerAndValue(string layers, string message)
    {
        string source = "using NetGen;\n[Network, Input(4)]\n" + layers + "\npublic partial class Net;";
        Diagnostic diagnostic = Assert.Single(GeneratorHarness.NetGenDiagnostics(source));
        Assert.Equal("NETGEN0205", diagnostic.Id);
        Assert.StartsWith(message, diagnostic.GetMessage(), System.StringComparison.Ordinal);
    }

    [Fact]
    public void OutOfRangeLossOption_IsError()
    {
        const string source = """
            using NetGen;
            [Network(Loss = Loss.SoftmaxCrossEntropy, LabelSmoothing = 1f), Input(4), Dense(3)]
            public partial class Smooth;
            """;
        Diagnostic diagnostic = AssertSingle(source, "NETGEN0205", "Network(Loss = Loss.SoftmaxCrossEntropy, LabelSmoothing = 1f)");
        Assert.StartsWith("LabelSmoothing of 'Smooth' is 1", diagnostic.GetMessage(), System.StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownFanMode_IsError()
    {
        const string source = """
            using NetGen;
            [Network, Input(4), Dense(3, InitMode = (FanMode)5)]
            public partial class Fans;
            """;
        AssertSingle(source, "NETGEN0206", "Dense(3, InitMode = (FanMode)5)");
    }

    [Fact]
    public void OnlyDropout_IsNoLayers()
    {
        const string source = """
            using NetGen;
            [Network, Input(4), Dropout(0.5f)]
            public partial class OnlyDropout;
            """;
        AssertSingle(source, "NETGEN0004", "OnlyDropout");
    }

    [Fact]
    public void LogitsLossAfterSigmoid_IsWarning()
    {
        const string source = """
            using NetGen;
            [Network(Loss = Loss.BinaryCrossEntropyWithLogits), Input(4), Dense(3, Activation.Sigmoid)]
            public partial class DoubleSigmoid;
            """;
        Diagnostic diagnostic = AssertSingle(source, "NETGEN0104", "Dense(3, Activation.Sigmoid)");
        Assert.Contains("BinaryCrossEntropyWithLogits", diagnostic.GetMessage(), System.StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("public partial class Net { public void Forward(System.ReadOnlySpan<float> x, System.Span<float> y) { } }", "'Forward'")]
    [InlineData("public partial class Net { public int InputSize => 1; }", "'InputSize'")]
    [InlineData("public partial class Net { public float[] Dense1Weight = null!; }", "'Dense1Weight'")]
    [InlineData("public partial class Net { public Net(int x) { } }", "a constructor taking one int")]
    [InlineData("public partial class Net(string name) { public string Name => name; }", "a primary constructor")]
    [InlineData("public partial class Loss;", "the class name 'Loss'")]
    public void GeneratedMemberConflict_IsError(string declaration, string conflict)
    {
        string source = "using NetGen;\n[NetGen.Network, NetGen.Input(4), NetGen.Dense(2)]\n" + declaration;
        Diagnostic diagnostic = Assert.Single(GeneratorHarness.NetGenDiagnostics(source));
        Assert.Equal("NETGEN0008", diagnostic.Id);
        Assert.Contains(conflict, diagnostic.GetMessage(), System.StringComparison.Ordinal);
    }

    [Fact]
    public void BaseClass_IsError()
    {
        const string source = """
            using NetGen;
            public class Base { }
            [Network, Input(4), Dense(2)]
            public partial class Derived : Base;
            """;
        Diagnostic diagnostic = AssertSingle(source, "NETGEN0009", "Derived");
        Assert.Contains("'Base'", diagnostic.GetMessage(), System.StringComparison.Ordinal);
    }

    [Fact]
    public void FileLocalClass_IsError()
    {
        const string source = """
            using NetGen;
            [Network, Input(4), Dense(2)]
            file partial class Local;
            """;
        Diagnostic diagnostic = AssertSingle(source, "NETGEN0005", "Local");
        Assert.Contains("file-local", diagnostic.GetMessage(), System.StringComparison.Ordinal);
    }

    [Fact]
    public void AllZeroClassWeights_IsError()
    {
        const string source = """
            using NetGen;
            [Network(Loss = Loss.SoftmaxCrossEntropy, ClassWeights = new[] { 0f, 0f }), Input(4), Dense(2)]
            public partial class Weightless;
            """;
        Diagnostic diagnostic = Assert.Single(GeneratorHarness.NetGenDiagnostics(source));
        Assert.Equal("NETGEN0205", diagnostic.Id);
    }

    [Fact]
    public void ParametersAtArrayLimit_AreTooMany()
    {
        // 2,147,483,590 inputs and one output need the maximum array length, plus the padding.
        const string source = """
            using NetGen;
            [Network, Input(2147483590), Dense(1)]
            public partial class NearLimit;
            """;
        AssertSingle(source, "NETGEN0103", "NearLimit");
    }

    // The int8 path quantizes only dense layers, and only dense layers get sparse weights, so a
    // network of convolutions gives either option nothing to do.
    private const string Int8ConvolutionsOnly = """
        using NetGen;
        [Network(Int8 = true), Input(1, 6, 6), Conv2D(2, 3), Flatten]
        public partial class ConvOnly;
        """;

    private const string SparseConvolutionsOnly = """
        using NetGen;
        [Network, SparseInference, Input(1, 6, 6), Conv2D(2, 3), Flatten]
        public partial class SparseConvOnly;
        """;

    [Fact]
    public void Int8DenseBeyondMaxInputs_IsError()
    {
        int inputs = NetGen.Kernels.Int8Kernels.MaxInputs + 1;
        string source = "using NetGen;\n[Network(Int8 = true), Input(" + inputs + "), Dense(4), Dense(2)]\npublic partial class Wide;";

        Diagnostic diagnostic = AssertSingle(source, "NETGEN0304", "Dense(4)");

        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.StartsWith("Layer 'Dense1' has 65537 inputs, but an int8 dense layer takes at most 65536", diagnostic.GetMessage(), System.StringComparison.Ordinal);
    }

    [Fact]
    public void Int8DenseAtMaxInputs_IsAccepted()
    {
        Assert.Equal(NetGen.Kernels.Int8Kernels.MaxInputs, NetGen.Generator.ShapeRules.MaxInt8Inputs);
        string source = "using NetGen;\n[Network(Int8 = true), Input(16, 64, 64), Flatten, Dense(2)]\npublic partial class Widest;";

        Assert.Empty(GeneratorHarness.NetGenDiagnostics(source));
    }

    [Fact]
    public void FloatDenseBeyondInt8Inputs_IsAccepted()
    {
        string source = "using NetGen;\n[Network, Input(70000), Dense(2)]\npublic partial class WideFloat;";

        Assert.Empty(GeneratorHarness.NetGenDiagnostics(source));
    }

    [Fact]
    public void NoLayersWithOptions_OnlyNoLayers()
    {
        const string source = """
            using NetGen;
            [Network(Int8 = true), SparseInference, Input(4), Dropout(0.5f)]
            public partial class Empty;
            """;

        Diagnostic diagnostic = Assert.Single(GeneratorHarness.NetGenDiagnostics(source));

        Assert.Equal("NETGEN0004", diagnostic.Id);
    }

    [Theory]
    [InlineData(Int8ConvolutionsOnly, "NETGEN0302", "Network(Int8 = true)", "'ConvOnly'", "remove Int8 = true")]
    [InlineData(SparseConvolutionsOnly, "NETGEN0303", "SparseInference", "'SparseConvOnly'", "remove [SparseInference]")]
    public void OptionWithoutDenseLayer_IsError(string source, string id, string location, string className, string fix)
    {
        Diagnostic diagnostic = AssertSingle(source, id, location);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Contains(className, diagnostic.GetMessage(), System.StringComparison.Ordinal);
        Assert.Contains(fix, diagnostic.GetMessage(), System.StringComparison.Ordinal);
        Assert.Empty(GeneratorHarness.Run(source).Result.GeneratedTrees);
    }

    [Theory]
    [InlineData(Int8ConvolutionsOnly)]
    [InlineData(SparseConvolutionsOnly)]
    public void OptionWithoutDenseLayer_LeavesNoCompilerDiagnostics(string source)
    {
        var (_, output) = GeneratorHarness.Run(source);

        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.ToString()));
    }

    [Fact]
    public void ErrorDiagnostics_GenerateNoSource()
    {
        const string source = """
            using NetGen;
            [Network, Input(0), Dense(3)]
            public partial class Broken;
            """;
        Assert.Empty(GeneratorHarness.Run(source).Result.GeneratedTrees);
    }

    [Fact]
    public void EveryDescriptor_HasHelpPage()
    {
        var descriptors = typeof(NetGen.Generator.NetworkGenerator).Assembly
            .GetType("NetGen.Generator.DiagnosticDescriptors")!
            .GetFields(System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public)
            .Select(field => (DiagnosticDescriptor)field.GetValue(null)!)
            .ToList();
        Assert.NotEmpty(descriptors);
        foreach (DiagnosticDescriptor descriptor in descriptors)
        {
            string page = System.IO.Path.Combine(RepositoryPaths.Root, "docs", "diagnostics", descriptor.Id + ".md");
            Assert.True(System.IO.File.Exists(page), $"{descriptor.Id} needs a help page at {page}");
        }
    }
}
