using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using NetGen.Generator.Emit;
using NetGen.Generator.Model;

namespace NetGen.Generator
{
    /// <summary>
    /// Generates forward, backward and training code for every partial class marked [Network].
    /// Pipeline: attributes → <see cref="NetworkSpec"/> (parser) → shape rules and diagnostics →
    /// emitted source, one file per network. Each network flows through its own cached steps,
    /// so editing one network regenerates only that network.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed partial class NetworkGenerator : IIncrementalGenerator
    {
        /// <summary>Names of the pipeline steps, for incremental-caching tests.</summary>
        public static class TrackingNames
        {
            /// <summary>Attributes read into a spec or diagnostics.</summary>
            public const string Parse = nameof(Parse);

            /// <summary>Diagnostics split off the parse result.</summary>
            public const string Diagnostics = nameof(Diagnostics);

            /// <summary>Specs of declarations without errors.</summary>
            public const string Spec = nameof(Spec);

            /// <summary>Generated source text per network.</summary>
            public const string Emit = nameof(Emit);
        }

        /// <inheritdoc/>
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            IncrementalValuesProvider<ParseResult> parsed = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    Parser.NetworkAttributeName,
                    static (node, _) => node is TypeDeclarationSyntax,
                    static (attributeContext, cancellationToken) => Parser.Parse(attributeContext, cancellationToken))
                .WithTrackingName(TrackingNames.Parse);

            IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> diagnostics = parsed
                .Select(static (result, _) => result.Diagnostics)
                .WithTrackingName(TrackingNames.Diagnostics);
            context.RegisterSourceOutput(diagnostics, static (output, list) =>
            {
                foreach (DiagnosticInfo diagnostic in list)
                {
                    output.ReportDiagnostic(diagnostic.ToDiagnostic());
                }
            });

            IncrementalValuesProvider<NetworkSpec> specs = parsed
                .Where(static result => result.Spec is not null)
                .Select(static (result, _) => result.Spec!)
                .WithTrackingName(TrackingNames.Spec);

            IncrementalValuesProvider<GeneratedSource> sources = specs
                .Select(static (spec, _) => EmitSafely(spec))
                .WithTrackingName(TrackingNames.Emit);
            context.RegisterSourceOutput(sources, static (output, source) =>
            {
                if (source.Failure is not null)
                {
                    output.ReportDiagnostic(Diagnostic.Create(
                        DiagnosticDescriptors.InternalError, Location.None, source.HintName, source.Failure));
                    return;
                }

                output.AddSource(source.HintName, source.Text);
            });
        }

        private static GeneratedSource EmitSafely(NetworkSpec spec)
        {
            try
            {
                return new GeneratedSource(spec.HintName, NetworkEmitter.Emit(spec), null);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                return new GeneratedSource(spec.HintName, string.Empty, exception.GetType().Name + ": " + exception.Message);
            }
        }
    }

    /// <summary>Emitted text of one network, or why emission failed.</summary>
    internal sealed record GeneratedSource(string HintName, string Text, string? Failure);
}
