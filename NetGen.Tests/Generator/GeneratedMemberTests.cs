using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using NetGen.Generator;
using NetGen.Generator.Model;

namespace NetGen.Tests.Generator;

// A C# 14 partial constructor: its defining declaration has no initializer, so the generator
// must read the implementation's. With NETGEN0011 reported, this project would not build.
[Network, Input(4), Dense(2)]
public partial class PartialConstructorNet
{
    public partial PartialConstructorNet(string name);

    public partial PartialConstructorNet(string name) : this(name.Length)
    {
        Name = name;
    }

    public string Name { get; } = string.Empty;
}

/// <summary>
/// NETGEN0008 against the members that the generator emits: the list it checks user members
/// against must name every generated member, or a user member of that name breaks the build.
/// </summary>
public sealed class GeneratedMemberTests
{
    private const string EveryDenseFeature = """
        using NetGen;
        [Network(Loss = Loss.SoftmaxCrossEntropy, Int8 = true, ClassWeights = new[] { 1f, 2f }, LabelSmoothing = 0.1f), SparseInference]
        [Input(8), Dense(6, Activation.Relu), Dropout(0.5f), Dense(2)]
        public partial class Mlp;
        """;

    private const string EveryOtherLayer = """
        using NetGen;
        [Network(Loss = Loss.SoftmaxCrossEntropy, Int8 = true), Input(1, 8, 8), Conv2D(4, 3, Padding = 1), BatchNorm(Activation.Relu), MaxPool(2)]
        [Residual, Conv2D(4, 3, Padding = 1), ResidualEnd, AvgPool(2), LayerNorm, GlobalAvgPool, Flatten, Dense(3)]
        public partial class Cnn;
        """;

    [Theory]
    [InlineData(EveryDenseFeature, "Mlp")]
    [InlineData(EveryOtherLayer, "Cnn")]
    public void ReservedNames_CoverEveryGeneratedMember(string source, string className)
    {
        (_, Compilation output) = GeneratorHarness.Run(source);
        INamedTypeSymbol network = Assert.IsAssignableFrom<INamedTypeSymbol>(Assert.Single(output.GetSymbolsWithName(className, SymbolFilter.Type)));
        List<string> names = network.GetMembers()
            .Where(member => !member.IsImplicitlyDeclared && member is not IMethodSymbol { MethodKind: not MethodKind.Ordinary })
            .Where(member => member.Name.IndexOf('.') < 0)
            .Select(member => member.Name)
            .ToList();

        // Every layer has a generated <Name>Inputs constant, which gives the layer names.
        IEnumerable<LayerSpec> layers = names.Where(name => name.EndsWith("Inputs", System.StringComparison.Ordinal) && name != "Inputs")
            .Select(name => LayerSpec.Other(name.Substring(0, name.Length - "Inputs".Length), LayerKind.Dense));
        HashSet<string> reserved = GeneratedMembers.Names(layers, int8: true);
        reserved.UnionWith(["SparseModel", "RunSparseForward"]);

        Assert.NotEmpty(names);
        List<string> unreserved = names.FindAll(name => !reserved.Contains(name));
        Assert.Empty(unreserved);
    }

    [Theory]
    [InlineData("public void NotifyParametersChanged() { }", "'NotifyParametersChanged'")]
    [InlineData("private int _parameters;", "'_parameters'")]
    [InlineData("private const int MaxWidth = 3;", "'MaxWidth'")]
    [InlineData("private const int Dense1WeightOffset = 3;", "'Dense1WeightOffset'")]
    [InlineData("private void PackWeights() { }", "'PackWeights'")]
    public void UserMember_NamedLikeGenerated_IsError(string member, string named)
    {
        string source = NetWithMember(member);

        Diagnostic diagnostic = Assert.Single(GeneratorHarness.NetGenDiagnostics(source));

        Assert.Equal("NETGEN0008", diagnostic.Id);
        Assert.Contains(named, diagnostic.GetMessage(), System.StringComparison.Ordinal);

        // The error points at the member, on the line after the class's opening brace.
        Assert.Equal(4, diagnostic.Location.GetLineSpan().StartLinePosition.Line);
        Assert.Equal(named.Trim('\''), diagnostic.Location.SourceTree!.GetText().ToString(diagnostic.Location.SourceSpan));
    }

    [Theory]
    [InlineData("string global::NetGen.INetwork.Architecture => \"x\";", "'INetwork.Architecture'")]
    [InlineData("bool ITrainableNetwork.WeighsSamples => true;", "'ITrainableNetwork.WeighsSamples'")]
    [InlineData("void INetwork.Forward(System.ReadOnlySpan<float> input, System.Span<float> output) { }", "'INetwork.Forward'")]
    public void ExplicitInterfaceMember_IsError(string member, string named)
    {
        string source = NetWithMember(member);

        Diagnostic diagnostic = Assert.Single(GeneratorHarness.NetGenDiagnostics(source));

        Assert.Equal("NETGEN0008", diagnostic.Id);
        Assert.Contains("an explicit implementation of " + named, diagnostic.GetMessage(), System.StringComparison.Ordinal);
        Assert.Equal(4, diagnostic.Location.GetLineSpan().StartLinePosition.Line);
    }

    [Fact]
    public void ExplicitOtherInterfaceMember_IsAccepted()
    {
        // NetGen declares other interfaces that the generated class does not implement.
        string source = "using NetGen;\n[Network, Input(4), Dense(2)]\npublic partial class Net : ILearningRateSchedule\n{\n    float ILearningRateSchedule.LearningRate(int epoch) => 0.1f;\n}";

        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(source);

        Assert.Empty(result.Diagnostics);
        Assert.DoesNotContain(output.GetDiagnostics(), d => d.Severity == DiagnosticSeverity.Error);
    }

    [Theory]
    [InlineData("public Net(string name) { }", "Net(string)")]
    [InlineData("public Net(params int[] seeds) : base() { }", "Net(int[])")]
    public void ConstructorWithoutThis_IsError(string member, string signature)
    {
        string source = NetWithMember(member);

        Diagnostic diagnostic = Assert.Single(GeneratorHarness.NetGenDiagnostics(source));

        Assert.Equal("NETGEN0011", diagnostic.Id);
        Assert.Contains("declares the constructor '" + signature + "', which does not call this(seed)", diagnostic.GetMessage(), System.StringComparison.Ordinal);
        Assert.Equal(4, diagnostic.Location.GetLineSpan().StartLinePosition.Line);
    }

    [Theory]
    [InlineData("public Net(string name) : this(0) { }")]
    [InlineData("public Net(ref int seed) : this(seed) { }")]
    [InlineData("static Net() { }")]
    public void ConstructorThatChains_IsAccepted(string member)
    {
        string source = NetWithMember(member);

        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(source);

        Assert.Empty(result.Diagnostics);
        Assert.DoesNotContain(output.GetDiagnostics(), d => d.Severity == DiagnosticSeverity.Error);
    }

    [Fact]
    public void PartialConstructor_ChainsToSeed()
    {
        var network = new PartialConstructorNet("four");

        Assert.Equal("four", network.Name);
        Assert.Equal(PartialConstructorNet.ParameterCount, network.Parameters.Length);
    }

    [Fact]
    public void NetworkNamedLikeGeneratedMember_IsError()
    {
        const string source = "using NetGen;\npublic partial class Host\n{\n    [Network, Input(4), Dense(2)]\n    public partial class NotifyParametersChanged;\n}";

        Diagnostic diagnostic = Assert.Single(GeneratorHarness.NetGenDiagnostics(source));

        Assert.Equal("NETGEN0008", diagnostic.Id);
    }

    [Fact]
    public void NetworkInFileLocalType_IsError()
    {
        const string source = "using NetGen;\nfile partial class FileOuter\n{\n    [Network, Input(4), Dense(2)]\n    public partial class Inner;\n}";

        Diagnostic diagnostic = Assert.Single(GeneratorHarness.NetGenDiagnostics(source));

        Assert.Equal("NETGEN0005", diagnostic.Id);
        Assert.Contains("nested in the file-local type 'FileOuter'", diagnostic.GetMessage(), System.StringComparison.Ordinal);
    }

    /// <summary>Returns a network class 'Net' that declares <paramref name="member"/> on line 4 (counting from 0).</summary>
    private static string NetWithMember(string member) =>
        "using NetGen;\n[Network, Input(4), Dense(2)]\npublic partial class Net\n{\n    " + member + "\n}";
}
