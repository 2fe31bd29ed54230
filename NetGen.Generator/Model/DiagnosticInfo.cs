using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace NetGen.Generator.Model
{
    /// <summary>
    /// A diagnostic waiting to be reported. It keeps the syntax tree and span rather than a
    /// <see cref="Location"/> so that it compares by value, and a location rebuilt from the tree
    /// stays inside the source, where #pragma warning disable can suppress it.
    /// </summary>
    internal sealed record DiagnosticInfo(
        DiagnosticDescriptor Descriptor,
        SyntaxTree? Tree,
        TextSpan Span,
        EquatableArray<string> Arguments)
    {
        public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, SyntaxTree? tree, TextSpan span, params object[] arguments)
        {
            var texts = new string[arguments.Length];
            for (int i = 0; i < arguments.Length; i++)
            {
                texts[i] = Convert.ToString(arguments[i], System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
            }

            return new DiagnosticInfo(descriptor, tree, span, new EquatableArray<string>(texts));
        }

        public Diagnostic ToDiagnostic()
        {
            Location location = Tree is null ? Location.None : Location.Create(Tree, Span);
            return Diagnostic.Create(Descriptor, location, Arguments.ToArrayOrEmpty());
        }
    }

    /// <summary>The parser's output for one class: a spec when generation can go ahead, and diagnostics.</summary>
    internal sealed record ParseResult(NetworkSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics);
}
