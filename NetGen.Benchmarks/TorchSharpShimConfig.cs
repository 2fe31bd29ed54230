using System.Linq;
using System.Reflection;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;

namespace NetGen.Benchmarks;

/// <summary>
/// Makes every benchmark job's build patch TorchSharp's native library in the output folder of the
/// project that BenchmarkDotNet generates, as the build of this project does in its own.
/// </summary>
/// <remarks>
/// BenchmarkDotNet builds each run's project into a new folder with fresh copies of the NuGet
/// native libraries, and does not import this project's targets. A mutator job adds
/// /p:CustomAfterMicrosoftCommonTargets=eng/torchsharp-shim/TorchSharpShim.targets to the MSBuild
/// arguments of every job, including those chosen on the command line (such as --job Dry).
/// </remarks>
internal static class TorchSharpShimConfig
{
    /// <summary>Adds the mutator job to <paramref name="config"/> when the build recorded the targets file's path.</summary>
    public static ManualConfig AddShimBuildArgument(ManualConfig config)
    {
        string? targets = typeof(TorchSharpShimConfig).Assembly
            .GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "NetGen.TorchSharpShimTargets")?.Value;
        if (string.IsNullOrEmpty(targets))
        {
            return config;
        }

        Job mutator = Job.Default.WithArguments([new MsBuildArgument($"/p:CustomAfterMicrosoftCommonTargets={targets}")]).AsMutator();
        return config.AddJob(mutator);
    }
}
