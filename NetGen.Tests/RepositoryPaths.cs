using System;
using System.IO;

namespace NetGen.Tests;

/// <summary>Locates files of the repository from the test output folder.</summary>
internal static class RepositoryPaths
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    /// <summary>The folder that holds NetGen.sln.</summary>
    public static string Root => RootPath.Value;

    private static string FindRoot()
    {
        for (DirectoryInfo? folder = new(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "NetGen.sln")))
            {
                return folder.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No folder above {AppContext.BaseDirectory} contains NetGen.sln; run the tests from a clone of the repository.");
    }
}
