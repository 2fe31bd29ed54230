using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Numerics.Tensors;
using NetGen.Data;
using Spectre.Console;

namespace NetGen.Samples;

/// <summary>How a Fashion-MNIST command standardises the pixels when --standardize is on.</summary>
internal enum PixelStandardization
{
    /// <summary>Each of the 784 pixel positions gets its own mean and standard deviation.</summary>
    PerPixel,

    /// <summary>
    /// One mean and one standard deviation over all pixels, as torchvision's Normalize with one
    /// channel. A convolution applies the same weights at every position, so it gets the same
    /// transform at every position too.
    /// </summary>
    Global,
}

/// <summary>Fashion-MNIST split into training, validation and test sets, standardised or not.</summary>
/// <param name="Train">Training images, without the validation images.</param>
/// <param name="Validation">The last training images, held out; null when the validation size is 0.</param>
/// <param name="Test">The 10,000 test images after the transform.</param>
/// <param name="RawTest">The test images with grey levels in [0, 1].</param>
/// <param name="Standardizer">The transform fitted on <paramref name="Train"/>, or null.</param>
internal sealed record FashionData(Dataset Train, Dataset? Validation, Dataset Test, Dataset RawTest, Standardizer? Standardizer);

/// <summary>What a Fashion-MNIST training run produced.</summary>
/// <param name="History">One report per epoch.</param>
/// <param name="Test">Loss and accuracy on the test set after the last epoch.</param>
/// <param name="TrainingSamples">Images per epoch.</param>
internal sealed record FashionRun(IReadOnlyList<EpochReport> History, EvaluationResult Test, int TrainingSamples)
{
    /// <summary>Wall-clock time of all training batches, without validation and testing.</summary>
    public TimeSpan TrainingTime
    {
        get
        {
            TimeSpan total = TimeSpan.Zero;
            foreach (EpochReport report in History)
            {
                total += report.TrainingTime;
            }

            return total;
        }
    }
}

/// <summary>
/// The steps that the Fashion-MNIST commands share. They load and standardise the data, train
/// with Adam and an exponential step-size decay, and print a line per epoch. Then they test,
/// save the weights and the training curves, and show a few predictions of the reloaded network.
/// </summary>
internal static class FashionTraining
{
    /// <summary>Number of test images whose predictions are shown after training.</summary>
    private const int ShownPredictions = 10;

    /// <summary>Samples per chunk when the threads split a batch instead of sharing its layers: the trainer's default.</summary>
    private const int ChunkSize = 32;

    /// <summary>Trains <paramref name="network"/> with the options in <paramref name="settings"/> and reports every step on the console.</summary>
    /// <param name="settings">The command's options.</param>
    /// <param name="network">A freshly initialised network; it is trained in place.</param>
    /// <param name="createForReload">Creates a second network that the saved weights are loaded into.</param>
    /// <param name="standardization">How pixels are standardised when <see cref="FashionSettings.Standardize"/> is on.</param>
    /// <param name="shareLayers">
    /// Whether the threads share each batch's dense layers (one chunk per batch) rather than
    /// splitting the batch into chunks of 32. Sharing suits networks of large dense layers; the
    /// trainer runs convolutions of a shared batch on one thread.
    /// </param>
    public static FashionRun Run<TNetwork>(
        FashionSettings settings,
        TNetwork network,
        Func<TNetwork> createForReload,
        PixelStandardization standardization,
        bool shareLayers)
        where TNetwork : ITrainableNetwork
    {
        WidenRedirectedConsole();
        FashionData data = LoadData(settings.DataFolder, settings.ValidationSize, settings.Standardize ? standardization : null);

        var optimizer = new Adam(settings.LearningRate);
        int chunkSize = shareLayers ? settings.BatchSize : ChunkSize;
        using var trainer = new Trainer<TNetwork>(network, optimizer, settings.BatchSize, settings.Seed, threads: settings.Threads, chunkSize: chunkSize);
        string work = $"{settings.Threads} threads on chunks of {chunkSize}";
        if (settings.Threads == 1)
        {
            work = "1 thread";
        }
        else if (shareLayers)
        {
            work = $"{settings.Threads} threads sharing each layer";
        }

        AnsiConsole.MarkupLine(
            $"Training {Markup.Escape(network.Architecture)}: {network.ParameterCount:N0} parameters, {data.Train.Count:N0} training images, " +
            $"batch {settings.BatchSize}, {work}");

        List<EpochReport> history = TrainEpochs(trainer, data.Train, data.Validation, settings);
        var run = new FashionRun(history, trainer.Evaluate(data.Test), data.Train.Count);
        double secondsPerEpoch = run.TrainingTime.TotalSeconds / history.Count;
        AnsiConsole.MarkupLine(
            $"Trained {history.Count} epoch{(history.Count == 1 ? "" : "s")} in {run.TrainingTime.TotalSeconds:F1} s of training batches, {secondsPerEpoch:F1} s per epoch " +
            $"({data.Train.Count / secondsPerEpoch:N0} images/s)");
        AnsiConsole.MarkupLine($"[bold]Test accuracy {run.Test.Accuracy:P2}[/] (loss {run.Test.Loss:F4}) on {run.Test.Count:N0} images");

        WeightFile.Save(network, settings.Weights.FullName);
        AnsiConsole.MarkupLine($"Saved weights to [blue]{Markup.Escape(settings.Weights.FullName)}[/]");
        string description = string.Create(CultureInfo.InvariantCulture,
            $"{(data.Standardizer is null ? "raw [0, 1]" : "standardised")} inputs");
        SavePlot(settings, typeof(TNetwork).Name + ": " + network.Architecture, description, history, run.Test);
        ShowPredictions(createForReload(), settings.Weights.FullName, data.RawTest, data.Standardizer);
        return run;
    }

    /// <summary>
    /// Returns 0 when the test accuracy meets <see cref="FashionSettings.MinAccuracy"/> or no minimum
    /// was given, else prints why and returns 1, the command's exit code.
    /// </summary>
    public static int CheckMinimumAccuracy(FashionSettings settings, FashionRun run)
    {
        if (settings.MinAccuracy is double required && run.Test.Accuracy < required)
        {
            AnsiConsole.MarkupLine($"[red]Test accuracy {run.Test.Accuracy:P2} is below the required {required:P2}.[/]");
            return 1;
        }

        return 0;
    }

    /// <summary>Returns the folder that --data names, or the repository's copy of Fashion-MNIST.</summary>
    /// <param name="folder">The --data option's value, or null.</param>
    /// <exception cref="DirectoryNotFoundException">No folder was given and the repository's copy was not found.</exception>
    public static string DataFolder(DirectoryInfo? folder) =>
        folder?.FullName ?? FashionMnist.FindDataDirectory()
            ?? throw new DirectoryNotFoundException("Fashion-MNIST was not found in data/fashion-mnist above the current or program folder; pass --data with the folder of the four .gz files.");

    /// <summary>
    /// Loads Fashion-MNIST, holds out the last <paramref name="validationSize"/> training images,
    /// and standardises every set with statistics of the remaining training images.
    /// </summary>
    /// <param name="folder">Folder of the four .gz files, or null for the repository's copy.</param>
    /// <param name="validationSize">Training images held out for validation; 0 for none.</param>
    /// <param name="standardization">The transform to fit, or null to keep the grey levels in [0, 1].</param>
    /// <exception cref="DirectoryNotFoundException">No folder was given and the repository's copy was not found.</exception>
    public static FashionData LoadData(DirectoryInfo? folder, int validationSize, PixelStandardization? standardization)
    {
        string path = DataFolder(folder);
        AnsiConsole.MarkupLine($"Loading Fashion-MNIST from [blue]{Markup.Escape(path)}[/] (SHA-256 checked)");
        (Dataset all, Dataset rawTest) = FashionMnist.Load(path);
        if (validationSize >= all.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(validationSize), validationSize,
                $"The validation set would take {validationSize} of the {all.Count} training images and leave none to train on; pass a smaller --validation-size.");
        }

        Dataset train = all.Slice(0, all.Count - validationSize);
        Dataset? validation = validationSize > 0 ? all.Slice(all.Count - validationSize, validationSize) : null;
        if (standardization is null)
        {
            return new FashionData(train, validation, rawTest, rawTest, null);
        }

        // The statistics come from the training images alone, so that validation and test
        // images stay unseen. Every set, and every image given to the trained network, goes
        // through the same transform.
        Standardizer standardizer = standardization == PixelStandardization.Global ? FitGlobal(train) : Standardizer.Fit(train);
        AnsiConsole.MarkupLine(standardization == PixelStandardization.Global
            ? string.Create(CultureInfo.InvariantCulture, $"Standardised all pixels with the training images' mean {standardizer.Means[0]:F4} and standard deviation {standardizer.StandardDeviations[0]:F4}")
            : "Standardised every pixel with the mean and standard deviation of the training images");
        return new FashionData(
            standardizer.Apply(train),
            validation is null ? null : standardizer.Apply(validation),
            standardizer.Apply(rawTest),
            rawTest,
            standardizer);
    }

    /// <summary>Fits one mean and one population standard deviation over every pixel of every image.</summary>
    private static Standardizer FitGlobal(Dataset train)
    {
        ReadOnlySpan<float> pixels = train.Inputs;
        double sum = 0;
        double sumOfSquares = 0;
        foreach (float pixel in pixels)
        {
            sum += pixel;
            sumOfSquares += (double)pixel * pixel;
        }

        double mean = sum / pixels.Length;
        double deviation = Math.Sqrt(Math.Max(0, (sumOfSquares / pixels.Length) - (mean * mean)));
        var means = new float[train.InputSize];
        var deviations = new float[train.InputSize];
        Array.Fill(means, (float)mean);
        Array.Fill(deviations, (float)deviation);
        return new Standardizer(means, deviations);
    }

    /// <summary>
    /// Keeps each epoch line on one line of a redirected log: Spectre.Console wraps redirected
    /// output at 80 columns.
    /// </summary>
    public static void WidenRedirectedConsole()
    {
        if (Console.IsOutputRedirected)
        {
            AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 160);
        }
    }

    /// <summary>
    /// Trains one epoch at a time, printing a line per epoch, with the step size multiplied by the
    /// decay after each epoch. A live progress bar runs only on an interactive terminal, so
    /// redirected output such as a CI log contains the epoch lines alone.
    /// </summary>
    private static List<EpochReport> TrainEpochs<TNetwork>(Trainer<TNetwork> trainer, Dataset train, Dataset? validation, FashionSettings settings)
        where TNetwork : ITrainableNetwork
    {
        var schedule = new ExponentialDecay(settings.LearningRate, settings.Decay);
        bool showProgressBar = AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected;
        var history = new List<EpochReport>(Math.Min(settings.Epochs, 1024));
        for (int epoch = 1; epoch <= settings.Epochs; epoch++)
        {
            EpochReport report = showProgressBar
                ? ConsoleProgress.RunEpoch(progress => trainer.Fit(train, 1, validation, progress, learningRateSchedule: schedule.LearningRate)[0])
                : trainer.Fit(train, 1, validation, learningRateSchedule: schedule.LearningRate)[0];
            history.Add(report);
            string validationText = validation is null
                ? ""
                : $"validation loss {report.ValidationLoss:F4}  acc {report.ValidationAccuracy:P2}  ";
            AnsiConsole.MarkupLine(
                $"epoch {epoch,3}/{settings.Epochs}  train loss {report.TrainingLoss:F4}  acc {report.TrainingAccuracy:P2}  " +
                $"{validationText}{report.TrainingTime.TotalSeconds:F1} s  {report.SamplesPerSecond:N0} samples/s");
        }

        return history;
    }

    private static void SavePlot(FashionSettings settings, string title, string inputDescription, List<EpochReport> history, EvaluationResult result)
    {
        if (history.Count == 0)
        {
            AnsiConsole.MarkupLine("No epochs were trained, so no training curves were plotted.");
            return;
        }

        string subtitle = string.Create(CultureInfo.InvariantCulture,
            $"Adam, step size {settings.LearningRate:G3} multiplied by {settings.Decay:G3} after each epoch, batch {settings.BatchSize}, " +
            $"{inputDescription}, seed {settings.Seed}. Fashion-MNIST test accuracy {result.Accuracy:P2}");
        TrainingPlot.Save(settings.Plot.FullName, title, subtitle, history);
        AnsiConsole.MarkupLine($"Saved training curves to [blue]{Markup.Escape(settings.Plot.FullName)}[/]");
    }

    /// <summary>
    /// Loads the saved weights into <paramref name="reloaded"/> and shows its predictions for a few
    /// test images, standardising each raw image as a program that deploys the network would.
    /// </summary>
    private static void ShowPredictions(INetwork reloaded, string weightsPath, Dataset rawTest, Standardizer? standardizer)
    {
        WeightFile.Load(reloaded, weightsPath);

        var image = new float[reloaded.InputSize];
        var scores = new float[reloaded.OutputSize];
        var table = new Table().AddColumns("Test image", "Predicted", "Label", "");
        for (int index = 0; index < ShownPredictions; index++)
        {
            rawTest.Input(index).CopyTo(image);
            standardizer?.ApplyInPlace(image);
            reloaded.Forward(image, scores);
            int predicted = TensorPrimitives.IndexOfMax(scores);
            int label = rawTest.Label(index);
            table.AddRow(
                index.ToString(CultureInfo.InvariantCulture),
                FashionMnist.ClassNames[predicted],
                FashionMnist.ClassNames[label],
                predicted == label ? "[green]correct[/]" : "[red]wrong[/]");
        }

        AnsiConsole.Write(table);
    }
}
