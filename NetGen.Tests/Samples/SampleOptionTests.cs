using System;
using System.CommandLine;
using System.CommandLine.Parsing;
using System.IO;
using NetGen.Samples;

namespace NetGen.Tests.Samples;

/// <summary>
/// Option parsing of the sample commands: what the samples program rejects before it loads data
/// or trains. Each rejected case is also invoked, which prints the errors and returns the exit
/// code without running the command's action.
/// </summary>
public class SampleOptionTests
{
    /// <summary>
    /// Every validated option of every sample command that takes a number, with values that do not
    /// convert: a word for every option, and a fraction and an exponent for the integer ones.
    /// </summary>
    public static TheoryData<string, string, string> UnparsableNumbers()
    {
        var rows = new TheoryData<string, string, string>();
        foreach (Command command in SampleCommands.CreateRoot().Subcommands)
        {
            foreach (Option option in command.Options)
            {
                Type type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
                if (option.Validators.Count == 0 || !(type == typeof(int) || type == typeof(float) || type == typeof(double)))
                {
                    continue;
                }

                rows.Add(command.Name, option.Name, "abc");
                if (type == typeof(int))
                {
                    rows.Add(command.Name, option.Name, "1.5");
                    rows.Add(command.Name, option.Name, "1e3");
                }
            }
        }

        return rows;
    }

    [Theory]
    [MemberData(nameof(UnparsableNumbers))]
    public void ValidatedOption_NonNumber_IsParseError(string command, string option, string value)
    {
        ParseResult result = SampleCommands.CreateRoot().Parse([command, option, value]);

        ParseError error = Assert.Single(result.Errors);
        Assert.Contains($"'{value}'", error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{option}'", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, Invoke(result));
    }

    /// <summary>Invokes <paramref name="result"/> with its help and error text captured, and returns the exit code.</summary>
    private static int Invoke(ParseResult result)
    {
        var configuration = new InvocationConfiguration { Output = new StringWriter(), Error = new StringWriter() };
        return result.Invoke(configuration);
    }
}
