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
public sealed class SampleOptionTests : IDisposable
{
    /// <summary>An empty folder for the file options to point into, deleted after each test.</summary>
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("netgen-options-");

    public void Dispose() => _folder.Delete(recursive: true);

    /// <summary>
    /// Every option of every sample command that takes a number, with values that do not convert:
    /// an empty value and a word for every option, and a fraction and an exponent for the integer ones.
    /// </summary>
    public static TheoryData<string, string, string> UnparsableNumbers()
    {
        var rows = new TheoryData<string, string, string>();
        foreach ((Command command, Option option, Type type) in NumberOptions())
        {
            rows.Add(command.Name, option.Name, string.Empty);
            rows.Add(command.Name, option.Name, "abc");
            if (type == typeof(int))
            {
                rows.Add(command.Name, option.Name, "1.5");
                rows.Add(command.Name, option.Name, "1e3");
            }
        }

        return rows;
    }

    [Theory]
    [MemberData(nameof(UnparsableNumbers))]
    public void NumberOption_NonNumber_IsParseError(string command, string option, string value)
    {
        ParseResult result = SampleCommands.CreateRoot().Parse([command, option, value]);

        ParseError error = Assert.Single(result.Errors);
        Assert.StartsWith($"{option} is '{value}', but it must be a ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, Invoke(result));
    }

    /// <summary>Every file and folder option of every sample command, with an empty and a blank value.</summary>
    public static TheoryData<string, string, string> EmptyPaths()
    {
        var rows = new TheoryData<string, string, string>();
        foreach (Command command in SampleCommands.CreateRoot().Subcommands)
        {
            foreach (Option option in command.Options)
            {
                if (option.ValueType == typeof(FileInfo) || option.ValueType == typeof(DirectoryInfo))
                {
                    rows.Add(command.Name, option.Name, string.Empty);
                    rows.Add(command.Name, option.Name, "  ");
                }
            }
        }

        return rows;
    }

    [Theory]
    [MemberData(nameof(EmptyPaths))]
    public void PathOption_Empty_IsParseError(string command, string option, string value)
    {
        ParseResult result = SampleCommands.CreateRoot().Parse([command, option, value]);

        ParseError error = Assert.Single(result.Errors);
        Assert.StartsWith($"{option} is empty, but it must be a ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, Invoke(result));
    }

    [Fact]
    public void PathOption_Given_IsParsed()
    {
        string weights = Path.Combine(_folder.FullName, "w.ngw");

        ParseResult result = SampleCommands.CreateRoot().Parse(["fashion", "--weights", weights, "--data", _folder.FullName]);

        Assert.Empty(result.Errors);
        Assert.Equal(weights, result.GetValue<FileInfo>("--weights")!.FullName);
        Assert.Equal(_folder.FullName, result.GetValue<DirectoryInfo?>("--data")!.FullName);
    }

    /// <summary>Every integer option of every sample command, for the out-of-range test.</summary>
    public static TheoryData<string, string> IntegerOptions()
    {
        var rows = new TheoryData<string, string>();
        foreach ((Command command, Option option, Type type) in NumberOptions())
        {
            if (type == typeof(int))
            {
                rows.Add(command.Name, option.Name);
            }
        }

        return rows;
    }

    [Theory]
    [MemberData(nameof(IntegerOptions))]
    public void IntegerOption_BeyondInt32_NamesRange(string command, string option)
    {
        ParseResult result = SampleCommands.CreateRoot().Parse([command, option, "2147483648"]);

        ParseError error = Assert.Single(result.Errors);
        Assert.Equal($"{option} is 2147483648, which is out of range: it must be between -2147483648 and 2147483647.", error.Message);
    }

    [Theory]
    [InlineData("1e-50", "--learning-rate is 1e-50, which rounds to 0 as a float")]
    [InlineData("-1e-50", "--learning-rate is -1e-50, which rounds to 0 as a float")]
    [InlineData("1e39", "--learning-rate is 1e39, which is beyond the float range")]
    [InlineData("1e400", "--learning-rate is 1e400, which is beyond the float range")]
    [InlineData("-1e400", "--learning-rate is -1e400, which is beyond the float range")]
    [InlineData("1e-400", "--learning-rate is 1e-400, which rounds to 0 as a float")]
    public void FloatOption_OutsideFloatRange_NamesTypedValue(string value, string expected)
    {
        ParseResult result = SampleCommands.CreateRoot().Parse(["quadratic", "--learning-rate", value]);

        Assert.StartsWith(expected, Assert.Single(result.Errors).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("3.4028235677973366e38", 3.4028235e38f)]
    [InlineData("7.006492321624086e-46", 1e-45f)]
    [InlineData("0", 0f)]
    public void FloatOption_EdgeOfRange_IsAccepted(string value, float expected)
    {
        ParseResult result = SampleCommands.CreateRoot().Parse(["quadratic", "--learning-rate", value]);

        Assert.Empty(result.Errors);
        Assert.Equal(expected, result.GetValue<float>("--learning-rate"));
    }

    [Fact]
    public void DoubleOption_BeyondDoubleRange_NamesTypedValue()
    {
        ParseResult result = SampleCommands.CreateRoot().Parse(["fashion-sparse", "--sparsity", "1e400"]);

        Assert.StartsWith("--sparsity is 1e400, which is beyond the double range", Assert.Single(result.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NumberOption_InvariantCulture_ParsesExponent()
    {
        ParseResult result = SampleCommands.CreateRoot().Parse(["quadratic", "--learning-rate", "2.5e-2", "--epochs", "30"]);

        Assert.Empty(result.Errors);
        Assert.Equal(0.025f, result.GetValue<float>("--learning-rate"));
        Assert.Equal(30, result.GetValue<int>("--epochs"));
    }

    /// <summary>Every option of every sample command whose value is an int, float or double, nullable or not, with that type.</summary>
    private static System.Collections.Generic.IEnumerable<(Command Command, Option Option, Type Type)> NumberOptions()
    {
        foreach (Command command in SampleCommands.CreateRoot().Subcommands)
        {
            foreach (Option option in command.Options)
            {
                Type type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
                if (type == typeof(int) || type == typeof(float) || type == typeof(double))
                {
                    yield return (command, option, type);
                }
            }
        }
    }

    /// <summary>Every option of every sample command that takes a file path. Each names a file the command writes.</summary>
    public static TheoryData<string, string> FileOptions()
    {
        var rows = new TheoryData<string, string>();
        foreach (Command command in SampleCommands.CreateRoot().Subcommands)
        {
            foreach (Option option in command.Options)
            {
                if (option.ValueType == typeof(FileInfo))
                {
                    rows.Add(command.Name, option.Name);
                }
            }
        }

        return rows;
    }

    [Theory]
    [MemberData(nameof(FileOptions))]
    public void FileOption_MissingFolder_IsRejected(string command, string option)
    {
        string missingFolder = Path.Combine(_folder.FullName, "missing");
        ParseResult result = SampleCommands.CreateRoot().Parse([command, option, Path.Combine(missingFolder, "out.bin")]);

        ParseError error = Assert.Single(result.Errors);
        Assert.Contains($"the folder {missingFolder} does not exist", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, Invoke(result));
        Assert.Empty(SampleCommands.CreateRoot().Parse([command, option, Path.Combine(_folder.FullName, "out.bin")]).Errors);
    }

    [Theory]
    [MemberData(nameof(FileOptions))]
    public void FileOption_ParentIsFile_IsRejected(string command, string option)
    {
        string file = Path.Combine(_folder.FullName, "plain-file");
        File.WriteAllText(file, "not a folder");
        ParseResult result = SampleCommands.CreateRoot().Parse([command, option, Path.Combine(file, "out.bin")]);

        ParseError error = Assert.Single(result.Errors);
        Assert.Contains($"{file} is a file, not a folder", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void QuadraticSamples_AboveLimit_IsRejected()
    {
        ParseError error = Assert.Single(SampleCommands.CreateRoot().Parse(["quadratic", "--samples", "2147483647"]).Errors);

        Assert.Equal("--samples is 2147483647, but it must be between 2 and 10000000.", error.Message);
        Assert.Empty(SampleCommands.CreateRoot().Parse(["quadratic", "--samples", "10000000"]).Errors);
    }

    [Theory]
    [MemberData(nameof(FileOptions))]
    public void FileOption_FolderPath_IsRejected(string command, string option)
    {
        ParseResult result = SampleCommands.CreateRoot().Parse([command, option, _folder.FullName]);

        ParseError error = Assert.Single(result.Errors);
        Assert.Contains($"{option} is {_folder.FullName}, which is a folder", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, Invoke(result));
    }

    /// <summary>
    /// Goals and thresholds that the samples check after training, the peak that lenet5
    /// reports its speed against, and the step sizes and decay factors of the optimizers. Each value outside the range is rejected with the range, and a
    /// value at or near the bound is accepted.
    /// </summary>
    [Theory]
    [InlineData("fashion", "--min-accuracy", "2", "1", "--min-accuracy is 2, but it must be between 0 and 1.")]
    [InlineData("fashion", "--min-accuracy", "-0.1", "0", "--min-accuracy is -0.1, but it must be between 0 and 1.")]
    [InlineData("fashion", "--min-accuracy", "NaN", "0.88", "--min-accuracy is NaN, but it must be between 0 and 1.")]
    [InlineData("fashion-cnn", "--min-accuracy", "1.5", "0.9", "--min-accuracy is 1.5, but it must be between 0 and 1.")]
    [InlineData("lenet5", "--min-accuracy", "80", "0.8", "--min-accuracy is 80, but it must be between 0 and 1.")]
    [InlineData("lenet5", "--max-seconds", "0", "0.5", "--max-seconds is 0, but it must be a finite number greater than 0.")]
    [InlineData("lenet5", "--peak-gflops", "-5", "100", "--peak-gflops is -5, but it must be a finite number greater than 0.")]
    [InlineData("lenet5", "--peak-gflops", "Infinity", "100", "--peak-gflops is Infinity, but it must be a finite number greater than 0.")]
    [InlineData("fashion", "--learning-rate", "NaN", "0", "--learning-rate is NaN, but it must be a finite number of at least 0.")]
    [InlineData("fashion-cnn", "--decay", "-1", "1", "--decay is -1, but it must be a finite number greater than 0.")]
    [InlineData("fashion-sparse", "--fine-tune-learning-rate", "Infinity", "1e-3", "--fine-tune-learning-rate is Infinity, but it must be a finite number of at least 0.")]
    [InlineData("fashion-qat", "--qat-learning-rate", "-1e-4", "1e-4", "--qat-learning-rate is -0.0001, but it must be a finite number of at least 0.")]
    [InlineData("quadratic", "--learning-rate", "NaN", "0.05", "--learning-rate is NaN, but it must be a finite number of at least 0.")]
    [InlineData("quadratic", "--max-error", "-1", "0", "--max-error is -1, but it must be at least 0.")]
    [InlineData("quadratic", "--max-error", "NaN", "1e-3", "--max-error is NaN, but it must be at least 0.")]
    [InlineData("fashion-int8", "--max-drop", "-1", "0", "--max-drop is -1, but it must be between 0 and 100.")]
    [InlineData("fashion-qat", "--max-drop", "101", "100", "--max-drop is 101, but it must be between 0 and 100.")]
    [InlineData("fashion-sparse", "--max-accuracy-drop", "-0.5", "2", "--max-accuracy-drop is -0.5, but it must be between 0 and 100.")]
    public void GoalOption_OutOfRange_IsRejected(string command, string option, string rejected, string accepted, string message)
    {
        ParseResult result = SampleCommands.CreateRoot().Parse([command, option, rejected]);

        ParseError error = Assert.Single(result.Errors);
        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
        Assert.Equal(1, Invoke(result));
        Assert.Empty(SampleCommands.CreateRoot().Parse([command, option, accepted]).Errors);
    }

    /// <summary>The --threads options accept what the trainer accepts, and default to a value in that range.</summary>
    [Theory]
    [InlineData("fashion")]
    [InlineData("fashion-cnn")]
    [InlineData("lenet5")]
    [InlineData("fashion-sparse")]
    public void ThreadsOption_AboveTrainerLimit_IsRejected(string command)
    {
        ParseResult result = SampleCommands.CreateRoot().Parse([command, "--threads", "65"]);

        ParseError error = Assert.Single(result.Errors);
        Assert.Equal("--threads is 65, but it must be between 1 and 64.", error.Message);
        Assert.Empty(SampleCommands.CreateRoot().Parse([command, "--threads", "64"]).Errors);
        Assert.Empty(SampleCommands.CreateRoot().Parse([command]).Errors);
    }

    /// <summary>The commands that save weights and a plot: a plot over the weights file would destroy the trained weights.</summary>
    [Theory]
    [InlineData("fashion")]
    [InlineData("fashion-cnn")]
    [InlineData("lenet5")]
    public void PlotOption_SameFileAsWeights_IsRejected(string command)
    {
        string file = Path.Combine(_folder.FullName, "same.bin");
        string relative = Path.GetRelativePath(Directory.GetCurrentDirectory(), file);

        ParseResult result = SampleCommands.CreateRoot().Parse([command, "--weights", file, "--plot", relative]);

        ParseError error = Assert.Single(result.Errors);
        Assert.Equal($"The plot file {file} is the weights file {file}, so the plot would overwrite the trained weights. Pass another file to --plot or --weights.", error.Message);
        Assert.Empty(SampleCommands.CreateRoot().Parse([command, "--weights", file, "--plot", file + ".png"]).Errors);
    }

    [Theory]
    [InlineData("fashion", "fashion-training.png")]
    [InlineData("lenet5", "lenet5-training.png")]
    public void WeightsOption_DefaultPlotName_IsRejected(string command, string plotName)
    {
        string file = Path.Combine(_folder.FullName, plotName);

        ParseResult result = SampleCommands.CreateRoot().Parse([command, "--weights", file]);

        Assert.Contains("so the plot would overwrite the trained weights", Assert.Single(result.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PlotOption_LinkToWeights_IsRejected()
    {
        string weights = Path.Combine(_folder.FullName, "w.ngw");
        string link = Path.Combine(_folder.FullName, "plot.png");
        File.WriteAllText(weights, "x");
        File.CreateSymbolicLink(link, weights);

        ParseResult result = SampleCommands.CreateRoot().Parse(["fashion", "--weights", weights, "--plot", link]);

        Assert.Contains("so the plot would overwrite the trained weights", Assert.Single(result.Errors).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("linked/w.ngw", "real/w.ngw")]
    [InlineData("real/w.ngw", "linked/w.ngw")]
    [InlineData("deep/../w.ngw", "real/w.ngw")]
    public void PlotOption_ThroughFolderLink_IsRejected(string weights, string plot)
    {
        // "deep" links to real/sub, so deep/.. is real, as the kernel resolves it, not the test folder.
        string real = Directory.CreateDirectory(Path.Combine(_folder.FullName, "real", "sub")).Parent!.FullName;
        Directory.CreateSymbolicLink(Path.Combine(_folder.FullName, "linked"), real);
        Directory.CreateSymbolicLink(Path.Combine(_folder.FullName, "deep"), Path.Combine(real, "sub"));

        ParseResult result = SampleCommands.CreateRoot().Parse(["fashion", "--weights", Path.Combine(_folder.FullName, weights), "--plot", Path.Combine(_folder.FullName, plot)]);

        Assert.Contains("so the plot would overwrite the trained weights", Assert.Single(result.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidationSize_WholeTrainingSet_IsRejected()
    {
        ParseResult result = SampleCommands.CreateRoot().Parse(["fashion", "--validation-size", "60000"]);

        ParseError error = Assert.Single(result.Errors);
        Assert.Equal("--validation-size is 60000, but it must be between 0 and 59999.", error.Message);
    }

    [Fact]
    public void NumberOption_GermanCulture_ReadsDecimalPoint()
    {
        System.Globalization.CultureInfo previous = System.Globalization.CultureInfo.CurrentCulture;
        System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
        try
        {
            ParseResult result = SampleCommands.CreateRoot().Parse(["fashion", "--learning-rate", "0.001", "--min-accuracy", "0.88"]);

            Assert.Empty(result.Errors);
            Assert.Equal(0.001f, result.GetValue<float>("--learning-rate"));
            Assert.Equal(0.88, result.GetValue<double?>("--min-accuracy"));
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = previous;
        }
    }

    /// <summary>Invokes <paramref name="result"/> with its help and error text captured, and returns the exit code.</summary>
    private static int Invoke(ParseResult result)
    {
        var configuration = new InvocationConfiguration { Output = new StringWriter(), Error = new StringWriter() };
        return result.Invoke(configuration);
    }
}
