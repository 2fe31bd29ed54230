using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using NetGen.Generator.Model;

namespace NetGen.Generator
{
    public sealed partial class NetworkGenerator
    {
        // Every attribute that declares part of a network. A class with one of these and no
        // [Network] would silently get no generated code.
        private static readonly ImmutableArray<string> LayerAttributeNames = ImmutableArray.Create(
            "NetGen.InputAttribute",
            "NetGen.DenseAttribute",
            "NetGen.DropoutAttribute",
            "NetGen.Conv2DAttribute",
            "NetGen.Conv1DAttribute",
            "NetGen.MaxPoolAttribute",
            "NetGen.AvgPoolAttribute",
            "NetGen.GlobalAvgPoolAttribute",
            "NetGen.FlattenAttribute",
            "NetGen.BatchNormAttribute",
            "NetGen.LayerNormAttribute",
            "NetGen.ResidualAttribute",
            "NetGen.ResidualEndAttribute",
            "NetGen.SparseInferenceAttribute");

        /// <summary>
        /// Reports classes that carry layer attributes but no [Network], once per class: only the
        /// provider of the class's first NetGen attribute reports.
        /// </summary>
        private static void RegisterOrphanCheck(IncrementalGeneratorInitializationContext context)
        {
            foreach (string name in LayerAttributeNames)
            {
                string attributeName = name;
                IncrementalValuesProvider<DiagnosticInfo?> orphans = context.SyntaxProvider
                    .ForAttributeWithMetadataName(
                        attributeName,
                        static (node, _) => node is TypeDeclarationSyntax,
                        (attributeContext, _) => OrphanDiagnostic(attributeContext, attributeName));
                context.RegisterSourceOutput(orphans, static (output, diagnostic) =>
                {
                    if (diagnostic is not null)
                    {
                        output.ReportDiagnostic(diagnostic.ToDiagnostic());
                    }
                });
            }
        }

        private static DiagnosticInfo? OrphanDiagnostic(GeneratorAttributeSyntaxContext context, string attributeName)
        {
            string? first = null;
            foreach (AttributeData attribute in context.TargetSymbol.GetAttributes())
            {
                string? name = attribute.AttributeClass?.ToDisplayString();
                if (name == Parser.NetworkAttributeName)
                {
                    return null;
                }

                if (first is null && name is not null && LayerAttributeNames.Contains(name))
                {
                    first = name;
                }
            }

            if (first != attributeName)
            {
                return null;
            }

            var declaration = (TypeDeclarationSyntax)context.TargetNode;
            return DiagnosticInfo.Create(
                DiagnosticDescriptors.LayersWithoutNetwork, declaration.SyntaxTree, declaration.Identifier.Span, context.TargetSymbol.Name);
        }
    }
}
