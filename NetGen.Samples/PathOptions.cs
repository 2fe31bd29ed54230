using System.CommandLine;
using System.CommandLine.Parsing;
using System.IO;

namespace NetGen.Samples;

/// <summary>
/// Parses the file and folder options of the sample commands. An empty path gets an error that
/// names the option; System.CommandLine's own message names the .NET type instead
/// ("as expected type 'System.IO.FileInfo'").
/// </summary>
internal static class PathOptions
{
    /// <summary>Sets the parser of <paramref name="option"/> if it takes a file or a folder, and returns whether it did.</summary>
    public static bool Configure(Option option)
    {
        switch (option)
        {
            // Option<FileInfo?> is the same type at run time, so this case covers optional files too.
            // The parser returns null only after adding an error, which stops the command.
            case Option<FileInfo> file:
                file.CustomParser = result => Parse(result, file.Name, "file", text => new FileInfo(text))!;
                return true;
            case Option<DirectoryInfo> folder:
                folder.CustomParser = result => Parse(result, folder.Name, "folder", text => new DirectoryInfo(text))!;
                return true;
            default:
                return false;
        }
    }

    private static T? Parse<T>(ArgumentResult result, string optionName, string kind, System.Func<string, T> create)
        where T : FileSystemInfo
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
        if (string.IsNullOrWhiteSpace(text))
        {
            result.AddError($"{optionName} is empty, but it must be a {kind} path. Pass one, or leave {optionName} out for its default.");
            return null;
        }

        return create(text);
    }
}
