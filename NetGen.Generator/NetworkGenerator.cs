using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
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
            // NET in one namespace get a suffix. Only the short list of renames is shared across
            // networks; it is usually empty and stays cached, so each network's text does too.
            IncrementalValueProvider<EquatableArray<string>> renames = sources
                .Select(static (source, _) => source.HintName)
                .Collect()
                .Select(static (names, _) => HintNameRenames(names))
                .WithTrackingName(TrackingNames.ClashingHintNames);

            context.RegisterSourceOutput(sources.Combine(renames), static (output, pair) =>
            {
                GeneratedSource source = pair.Left;
                if (source.Failure is not null)
                {
                    output.ReportDiagnostic(Diagnostic.Create(
                        DiagnosticDescriptors.InternalError, Location.None, source.HintName, source.Failure));
                    return;
                }

                output.AddSource(RenamedHintName(pair.Right, source.HintName), source.Text);
            });
        }

        /// <summary>
        /// Returns, for every hint name that clashes with another when compared without case, the
        /// pair "name", "unique name", flattened. A unique name appends '-' and an FNV-1a hash of the
        /// exact-case name: no C# identifier contains '-', so it cannot equal another network's hint
        /// name. Should two hashes clash too, a counter follows.
        /// </summary>
        private static EquatableArray<string> HintNameRenames(ImmutableArray<string> names)
        {
            var used = new HashSet<string>(names, StringComparer.OrdinalIgnoreCase);
            IEnumerable<string> clashing = names
                .GroupBy(name => name, StringComparer.OrdinalIgnoreCase)
                .Where(group => group.Count() > 1)
                .SelectMany(group => group)
                .Distinct(StringComparer.Ordinal)
                .OrderBy(name => name, StringComparer.Ordinal);

            var pairs = new List<string>();
            foreach (string name in clashing)
            {
                string stem = name.Substring(0, name.Length - ".g.cs".Length) + "-" + Fnv1a(name);
                string unique = stem + ".g.cs";
                for (int counter = 2; !used.Add(unique); counter++)
                {
                    unique = stem + "-" + counter.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".g.cs";
                }

                pairs.Add(name);
                pairs.Add(unique);
            }

            return EquatableArray<string>.From(pairs);
        }

        /// <summary>Returns the name that <see cref="HintNameRenames"/> gives <paramref name="hintName"/>, or the name itself.</summary>
        private static string RenamedHintName(EquatableArray<string> renames, string hintName)
        {
            for (int i = 0; i + 1 < renames.Count; i += 2)
            {
                if (renames[i] == hintName)
                {
                    return renames[i + 1];
                }
            }

            return hintName;
        }

        private static string Fnv1a(string text)
        {
            uint hash = 2166136261;
            foreach (char c in text)
            {
                hash = (hash ^ c) * 16777619;
            }

            return hash.ToString("x8", System.Globalization.CultureInfo.InvariantCulture);
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
