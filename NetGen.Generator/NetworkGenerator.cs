using Microsoft.CodeAnalysis;

namespace NetGen.Generator
{
    /// <summary>Placeholder until the pipeline lands.</summary>
    [Generator(LanguageNames.CSharp)]
    public sealed partial class NetworkGenerator : IIncrementalGenerator
    {
        /// <inheritdoc/>
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
        }
    }
}
