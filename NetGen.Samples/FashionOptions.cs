using System;
using System.CommandLine;
using System.CommandLine.Parsing;
using System.IO;

namespace NetGen.Samples;

/// <summary>Defaults that differ between the Fashion-MNIST commands.</summary>
/// <param name="Epochs">Passes over the training set.</param>
/// <param name="BatchSize">Samples per training step.</param>
/// <param name="LearningRate">Adam step size of the first epoch.</param>
/// <param name="Decay">Factor that multiplies the step size after each epoch.</param>
/// <param name="ValidationSize">Training images held out for validation.</param>
/// <param name="WeightsFileName">File the trained weights are saved to.</param>
/// <param name="PlotFileName">PNG file of the training curves, in the folder of the weights file.</param>
internal sealed record FashionDefaults(
    int Epochs,
    int BatchSize,
    float LearningRate,
    float Decay,
    int ValidationSize,
    string WeightsFileName,
    string PlotFileName);

/// <summary>The command-line options of a Fashion-MNIST command, after defaults are applied.</summary>
internal sealed record FashionSettings(
    int Epochs,
    int BatchSize,
    float LearningRate,
    float Decay,
    int Seed,
    int Threads,
    int ValidationSize,
    bool Standardize,
    DirectoryInfo? DataFolder,
    FileInfo Weights,
    FileInfo Plot,
    double? MinAccuracy);

/// <summary>
/// The options that every Fashion-MNIST command takes (epochs, batch size, Adam step size and
/// decay, seed, threads, validation size, standardisation, data folder, weights and plot files,
/// and a minimum test accuracy for CI), created with one command's defaults.
/// </summary>
internal sealed class FashionOptions
{
    private readonly FashionDefaults _defaults;

    public FashionOptions(FashionDefaults defaults)
    {
        _defaults = defaults;
        Epochs = new Option<int>("--epochs") { Description = "Number of passes over the training set.", DefaultValueFactory = _ => defaults.Epochs };
        BatchSize = new Option<int>("--batch-size") { Description = "Samples per training step.", DefaultValueFactory = _ => defaults.BatchSize };
        LearningRate = new Option<float>("--learning-rate") { Description = "Adam step size of the first epoch.", DefaultValueFactory = _ => defaults.LearningRate };
        Decay = new Option<float>("--decay") { Description = "Factor that multiplies the step size after each epoch.", DefaultValueFactory = _ => defaults.Decay };
        Seed = new Option<int>("--seed") { Description = "Seed for initial weights and shuffling.", DefaultValueFactory = _ => 42 };
        Threads = new Option<int>("--threads") { Description = "Threads that share each mini-batch; the trained weights are the same for any count.", DefaultValueFactory = _ => OptionValidation.DefaultThreads };
        ValidationSize = new Option<int>("--validation-size") { Description = "Training images held out to report validation loss and accuracy each epoch.", DefaultValueFactory = _ => defaults.ValidationSize };
        Standardize = new Option<bool>("--standardize") { Description = "Shift and scale the pixels to mean 0 and variance 1 over the training images, and apply the same transform to validation and test images. '--standardize false' keeps the grey levels in [0, 1].", DefaultValueFactory = _ => true };
        Data = new Option<DirectoryInfo?>("--data") { Description = "Folder with the four Fashion-MNIST .gz files; by default the copy in the repository's data/fashion-mnist." };
        Weights = new Option<FileInfo>("--weights") { Description = "File to save the trained weights to.", DefaultValueFactory = _ => new FileInfo(defaults.WeightsFileName) };
        Plot = new Option<FileInfo?>("--plot") { Description = $"PNG file for the loss and accuracy curves per epoch; by default {defaults.PlotFileName} in the folder of the weights file." };
        MinAccuracy = new Option<double?>("--min-accuracy") { Description = "Exit with code 1 when the test accuracy ends below this fraction (for CI)." };

        OptionValidation.RequireAtLeast(Epochs, 1);
        OptionValidation.RequireFinite(LearningRate, allowZero: true, "It is Adam's step size, for example 1e-3.");
        OptionValidation.RequireFinite(Decay, allowZero: false, "The step size is multiplied by it after each epoch, so pass 1 to keep it constant.");
        OptionValidation.RequireAtLeast(BatchSize, 1);
        // Fashion-MNIST has 60,000 training images, and at least one must stay for training.
        OptionValidation.RequireBetween(ValidationSize, 0, 59_999);
        OptionValidation.RequireBetween(Threads, 1, OptionValidation.MaxThreads);
        OptionValidation.RequireFileInExistingFolder(Weights);
        OptionValidation.RequireFileInExistingFolder(Plot);
        OptionValidation.RequireBetween(MinAccuracy, 0, 1, "It is the fraction of test images classified correctly, so pass 0.88 for 88 %.");
    }

    public Option<int> Epochs { get; }

    public Option<int> BatchSize { get; }

    public Option<float> LearningRate { get; }

    public Option<float> Decay { get; }

    public Option<int> Seed { get; }

    public Option<int> Threads { get; }

    public Option<int> ValidationSize { get; }

    public Option<bool> Standardize { get; }

    public Option<DirectoryInfo?> Data { get; }

    public Option<FileInfo> Weights { get; }

    public Option<FileInfo?> Plot { get; }

    public Option<double?> MinAccuracy { get; }

    /// <summary>Adds every option to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        Option[] all = [Epochs, BatchSize, LearningRate, Decay, Seed, Threads, ValidationSize, Standardize, Data, Weights, Plot, MinAccuracy];
        foreach (Option option in all)
        {
            command.Options.Add(option);
        }

        command.Validators.Add(RejectPlotOverWeights);
    }

    /// <summary>
    /// Rejects a plot file that is the weights file, which the plot would overwrite after training:
    /// given or default, and through symbolic links.
    /// </summary>
    private void RejectPlotOverWeights(CommandResult result)
    {
        FileInfo? weights, plot;
        try
        {
            weights = result.GetValue(Weights);
            plot = result.GetValue(Plot);
        }
        catch (InvalidOperationException)
        {
            // A value that did not convert has its own parse error.
            return;
        }

        if (weights is null)
        {
            return;
        }

        plot ??= DefaultPlot(weights);
        // Windows and macOS file systems ignore case by default.
        StringComparison comparison = OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
        if (string.Equals(ResolvedPath(weights), ResolvedPath(plot), comparison))
        {
            result.AddError($"The plot file {plot.FullName} is the weights file {weights.FullName}, so the plot would overwrite the trained weights. Pass another file to --plot or --weights.");
        }
    }

    /// <summary>Returns the plot file next to <paramref name="weights"/> that --plot defaults to.</summary>
    private FileInfo DefaultPlot(FileInfo weights) => new(Path.Combine(weights.DirectoryName ?? ".", _defaults.PlotFileName));

    /// <summary>
    /// Returns the path of <paramref name="file"/> with every symbolic link along it followed, the
    /// folders as well as the file, and "." and ".." applied after the links as the kernel does.
    /// </summary>
    private static string ResolvedPath(FileInfo file)
    {
        string path = file.ToString();
        string absolute = Path.IsPathRooted(path) ? path : Path.Combine(Directory.GetCurrentDirectory(), path);
        string current = Path.GetPathRoot(absolute) ?? string.Empty;
        foreach (string part in absolute[current.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? current;
                continue;
            }

            current = FollowLinks(Path.Combine(current, part));
        }

        return current;
    }

    /// <summary>Follows <paramref name="path"/> while it is a symbolic link, at most 40 times as Linux does.</summary>
    private static string FollowLinks(string path)
    {
        for (int hop = 0; hop < 40 && new FileInfo(path).LinkTarget is string target; hop++)
        {
            path = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path) ?? string.Empty, target));
        }

        return path;
    }

    /// <summary>Reads the parsed values, placing the plot next to the weights file when --plot is not given.</summary>
    public FashionSettings Read(ParseResult result)
    {
        FileInfo weightsFile = result.GetValue(Weights)!;
        return new FashionSettings(
            result.GetValue(Epochs),
            result.GetValue(BatchSize),
            result.GetValue(LearningRate),
            result.GetValue(Decay),
            result.GetValue(Seed),
            result.GetValue(Threads),
            result.GetValue(ValidationSize),
            result.GetValue(Standardize),
            result.GetValue(Data),
            weightsFile,
            result.GetValue(Plot) ?? DefaultPlot(weightsFile),
            result.GetValue(MinAccuracy));
    }
}
