using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace NetGen.Generator
{
    /// <summary>Turns symbol names into C# source text and into file names.</summary>
    internal static class Identifiers
    {
        /// <summary>Prefixes a reserved keyword with @, so a type named <c>@class</c> is emitted as written.</summary>
        public static string Escape(string name) =>
            SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

        /// <summary>The namespace as C# source text with keywords escaped, or null for the global namespace.</summary>
        public static string? Namespace(INamespaceSymbol ns)
        {
            if (ns.IsGlobalNamespace)
            {
                return null;
            }

            string? outer = Namespace(ns.ContainingNamespace);
            return outer is null ? Escape(ns.Name) : outer + "." + Escape(ns.Name);
        }

        /// <summary>The fully qualified name without global:: and without @, for hint names and messages.</summary>
        public static string PlainFullName(INamedTypeSymbol symbol) =>
            symbol.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat).Replace("global::", string.Empty).Replace("@", string.Empty);
    }
}
