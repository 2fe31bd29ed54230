using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using NetGen.Generator;

namespace NetGen.Tests.Generator;

public class IncrementalTests
{
    private const string NetworkA = """
        using NetGen;
        [Network, Input(4), Dense(8, Activation.Tanh), Dense(2)]
        public partial class NetworkA;
        """;

    private const string NetworkB = """
        using NetGen;
        [Network(Loss = Loss.SoftmaxCrossEntropy), Input(6), Dense(3)]
        public partial class NetworkB;
        """;

    private static GeneratorDriver RunTwice(Compilation first, Compilation second)
    {
        GeneratorDriver driver = GeneratorHarness.CreateDriver(trackSteps: true);
        driver = driver.RunGenerators(first);
        return driver.RunGenerators(second);
    }

    private static IncrementalStepRunReason[] EmitReasons(GeneratorDriver driver) =>
        driver.GetRunResult().Results[0].TrackedSteps[NetworkGenerator.TrackingNames.Emit]
            .SelectMany(step => step.Outputs)
            .Select(output => output.Reason)
            .ToArray();

    [Fact]
    public void UnrelatedEdit_DoesNotRegenerate()
    {
        CSharpCompilation first = GeneratorHarness.CreateCompilation(NetworkA, NetworkB, "class Other { }");
        Compilation second = first.ReplaceSyntaxTree(
            first.SyntaxTrees.ElementAt(2),
            CSharpSyntaxTree.ParseText("class Other { int field; }", GeneratorHarness.ParseOptions, path: "Source2.cs"));

        GeneratorDriver driver = RunTwice(first, second);

        Assert.All(EmitReasons(driver), reason => Assert.Equal(IncrementalStepRunReason.Cached, reason));
        Assert.Equal(2, EmitReasons(driver).Length);
    }

    [Fact]
    public void EditOneNetwork_RegeneratesOnlyThatNetwork()
    {
        CSharpCompilation first = GeneratorHarness.CreateCompilation(NetworkA, NetworkB);
        Compilation second = first.ReplaceSyntaxTree(
            first.SyntaxTrees.ElementAt(0),
            CSharpSyntaxTree.ParseText(NetworkA.Replace("Dense(8,", "Dense(16,"), GeneratorHarness.ParseOptions, path: "Source0.cs"));

        GeneratorDriver driver = RunTwice(first, second);

        IncrementalStepRunReason[] reasons = EmitReasons(driver);
        Assert.Equal(1, reasons.Count(r => r == IncrementalStepRunReason.Modified));
        Assert.Equal(1, reasons.Count(r => r == IncrementalStepRunReason.Cached));
    }

    [Fact]
    public void WhitespaceEdit_KeepsSpecCached()
    {
        CSharpCompilation first = GeneratorHarness.CreateCompilation(NetworkA);
        Compilation second = first.ReplaceSyntaxTree(
            first.SyntaxTrees.First(),
            CSharpSyntaxTree.ParseText("\n\n" + NetworkA, GeneratorHarness.ParseOptions, path: "Source0.cs"));

        GeneratorDriver driver = RunTwice(first, second);

        Assert.All(EmitReasons(driver), reason => Assert.Equal(IncrementalStepRunReason.Cached, reason));
    }

    [Fact]
    public void EqualSources_GiveEqualSpecs()
    {
        NetworkSpecs(NetworkA).Zip(NetworkSpecs(NetworkA)).ToList()
            .ForEach(pair => Assert.Equal(pair.First, pair.Second));
        Assert.NotEqual(NetworkSpecs(NetworkA).Single(), NetworkSpecs(NetworkA.Replace("Input(4)", "Input(5)")).Single());
    }

    [Fact]
    public void Spec_HoldsNoCompilerObjects()
    {
        object spec = NetworkSpecs(NetworkA).Single();
        var visited = new System.Collections.Generic.HashSet<object>(System.Collections.Generic.ReferenceEqualityComparer.Instance);
        AssertNoCompilerObjects(spec, visited, "spec");
    }

    private static object[] NetworkSpecs(string source)
    {
        GeneratorDriver driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(GeneratorHarness.CreateCompilation(source));
        return driver.GetRunResult().Results[0].TrackedSteps[NetworkGenerator.TrackingNames.Spec]
            .SelectMany(step => step.Outputs)
            .Select(output => output.Value)
            .ToArray();
    }

    private static void AssertNoCompilerObjects(object? value, System.Collections.Generic.HashSet<object> visited, string path)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum || !visited.Add(value))
        {
            return;
        }

        Assert.False(value is ISymbol or SyntaxNode or Location or Compilation or SemanticModel or SyntaxTree,
            $"{path} holds a compiler object of type {value.GetType()}");

        if (value is System.Collections.IEnumerable items)
        {
            int index = 0;
            foreach (object? item in items)
            {
                AssertNoCompilerObjects(item, visited, $"{path}[{index++}]");
            }
        }

        foreach (var field in value.GetType().GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic))
        {
            AssertNoCompilerObjects(field.GetValue(value), visited, $"{path}.{field.Name}");
        }
    }
}
