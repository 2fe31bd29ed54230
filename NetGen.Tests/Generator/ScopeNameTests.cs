using System.Linq;
using Microsoft.CodeAnalysis;

namespace NetGen.Tests.Generator;

/// <summary>
/// The generated part of a network class compiles inside the user's scopes, so a name that the
/// user declares there must not change what the generated code binds to.
/// </summary>
public class ScopeNameTests
{
    // Types that a game or robotics code base may well declare for itself, named like the .NET
    // types the generated code calls.
    private const string LookalikeTypes = """
        internal static class Math { } internal static class MathF { } internal static class MemoryMarshal { }
        internal static class Unsafe { } internal class Random { } internal class Array { } internal class GC { }
        internal class Exception { } internal class ArgumentException { } internal class ArgumentOutOfRangeException { }
        internal class ArgumentNullException { } internal class InvalidOperationException { } internal class ObjectDisposedException { }
        internal struct Span<T> { } internal struct ReadOnlySpan<T> { } internal class Vector { } internal static class Vector128 { }
        internal static class Vector256 { } internal static class Vector512 { } internal class Interlocked { } internal class Volatile { }
        internal class NetGen { } internal class System { } internal class Activation { } internal class Workspace { } internal class Single { }
        """;

    // Every network feature that emits code of its own: convolution, normalization, pooling, the
    // int8 path, and the sparse model.
    private const string Networks = """
        [global::NetGen.Network(Loss = global::NetGen.Loss.SoftmaxCrossEntropy, Int8 = true)]
        [global::NetGen.Input(1, 12, 12)]
        [global::NetGen.Conv2D(4, 3, global::NetGen.Activation.Relu)]
        [global::NetGen.BatchNorm]
        [global::NetGen.MaxPool(2)]
        [global::NetGen.Flatten]
        [global::NetGen.Dropout(0.25f)]
        [global::NetGen.Dense(16, global::NetGen.Activation.Tanh)]
        [global::NetGen.Dense(10)]
        public sealed partial class ImageNet { MEMBERS }

        [global::NetGen.Network(Loss = global::NetGen.Loss.MeanSquaredError, Int8 = true), global::NetGen.SparseInference]
        [global::NetGen.Input(8)]
        [global::NetGen.Dense(16, global::NetGen.Activation.Relu)]
        [global::NetGen.LayerNorm]
        [global::NetGen.Dense(3, global::NetGen.Activation.Sigmoid)]
        public sealed partial class VectorNet { MEMBERS }
        """;

    // Members named like the contextual keywords `_`, `nameof` and `var`. Generated code that used
    // these keywords would bind to the members instead, so it writes explicit types and names.
    private const string KeywordMembers = "private int _; private static string nameof(string text) => text; private sealed class var { }";

    [Fact]
    public void LookalikeTypeNames_Compile() =>
        AssertCompiles("namespace Game { " + LookalikeTypes + Networks.Replace("MEMBERS", "") + " }");

    [Fact]
    public void KeywordNamedMembers_Compile() =>
        AssertCompiles("namespace Game { " + Networks.Replace("MEMBERS", KeywordMembers) + " }");

    [Fact]
    public void KeywordNamesInOuterScopes_Compile() =>
        AssertCompiles("namespace Game { internal sealed class var { } public partial class Outer { private static int _; private static string nameof(string text) => text; "
            + Networks.Replace("MEMBERS", "") + " } }");

    private static void AssertCompiles(string source)
    {
        var (result, compilation) = GeneratorHarness.Run(source);
        Assert.DoesNotContain(result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal(2, result.GeneratedTrees.Length);
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToList();
        Assert.Empty(errors);
    }
}
