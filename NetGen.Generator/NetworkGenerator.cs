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

            /// <summary>Hint names that clash when compared without case.</summary>
            public const string ClashingHintNames = nameof(ClashingHintNames);
        }

        /// <inheritdoc/>
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            RegisterOrphanCheck(context);
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
            // Roslyn requires hint names unique without regard to case, so networks named Net and
            // NET in one namespace get a suffix. Only the short list of clashes is shared across
            // networks; it is usually empty and stays cached, so each network's text does too.
            IncrementalValueProvider<EquatableArray<string>> clashes = sources
                .Select(static (source, _) => source.HintName.ToUpperInvariant())
                .Collect()
                .Select(static (names, _) => ClashingNames(names))
                .WithTrackingName(TrackingNames.ClashingHintNames);

            context.RegisterSourceOutput(sources.Combine(clashes), static (output, pair) =>
            {
                GeneratedSource source = pair.Left;
                if (source.Failure is not null)
                {
                    output.ReportDiagnostic(Diagnostic.Create(
                        DiagnosticDescriptors.InternalError, Location.None, source.HintName, source.Failure));
                    return;
                }

                bool clashing = System.Linq.Enumerable.Contains(pair.Right, source.HintName.ToUpperInvariant());
                output.AddSource(clashing ? UniqueHintName(source.HintName) : source.HintName, source.Text);
            });
        }

        private static EquatableArray<string> ClashingNames(System.Collections.Immutable.ImmutableArray<string> names)
        {
            var seen = new System.Collections.Generic.HashSet<string>();
            var clashing = new System.Collections.Generic.List<string>();
            foreach (string name in names)
            {
                if (!seen.Add(name) && !clashing.Contains(name))
                {
                    clashing.Add(name);
                }
            }

            return EquatableArray<string>.From(clashing);
        }

        /// <summary>Appends an FNV-1a hash of the exact-case name, so names that differ only in case differ.</summary>
        private static string UniqueHintName(string hintName)
        {
            uint hash = 2166136261;
            foreach (char c in hintName)
            {
                hash = (hash ^ c) * 16777619;
            }

            string stem = hintName.Substring(0, hintName.Length - ".g.cs".Length);
            return stem + "." + hash.ToString("x8", System.Globalization.CultureInfo.InvariantCulture) + ".g.cs";
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
