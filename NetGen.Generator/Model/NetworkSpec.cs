using System;

namespace NetGen.Generator.Model
{
    // Specs are values: they hold no ISymbol, SyntaxNode, Location or Compilation, and every
    // member compares by value. One member without structural equality would make every
    // pipeline step after the parser re-run on every keystroke.

    /// <summary>A network declaration as the user wrote it, before shape checks.</summary>
    internal sealed record NetworkSpec(
        string? Namespace,
        EquatableArray<ContainingTypeSpec> ContainingTypes,
        string ClassName,
        string FullName,
        int InputSize,
        Loss Loss,
        EquatableArray<LayerSpec> Layers)
    {
        /// <summary>Name of the generated file, unique per network.</summary>
        public string HintName => FullName.Replace('<', '{').Replace('>', '}') + ".g.cs";
    }

    /// <summary>A type that encloses the network class, outermost first.</summary>
    internal sealed record ContainingTypeSpec(string Keyword, string Name);

    /// <summary>Kind of a declared layer.</summary>
    internal enum LayerKind
    {
        Dense,
    }

    /// <summary>One layer attribute, in declaration order.</summary>
    /// <param name="Name">Name used in diagnostics and generated members, such as "Dense2".</param>
    internal sealed record LayerSpec(string Name, LayerKind Kind, int Outputs, Activation Activation, Initializer Initializer);
}
