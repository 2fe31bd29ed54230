using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using NetGen.Data;
using Spectre.Console;

namespace NetGen.Samples;

/// <summary>
/// The main job: an MLP compiled by NetGen, trained on Fashion-MNIST (60,000 training and
/// 10,000 test images of 28×28 grey levels, 10 classes).
/// </summary>
[Network(Loss = Loss.SoftmaxCrossEntropy, Int8 = true)]
[Input(28 * 28)]
[Dense(256, Activation.Relu)]
[Dense(128, Activation.Relu)]
[Dense(10)]
public sealed partial class FashionMlp;

internal static class FashionMnistSample
{
    /// <summary>File name of the training-curve plot when --plot is not given, in the folder of the weights file.</summary>
    private const string DefaultPlotFileName = "fashion-training.png";

    /// <summary>Number of test images whose predictions are shown after training.</summary>
    private const int ShownPredictions = 10;

    public static Command CreateCommand()
    {
        var epochs = new Option<int>("--epochs") { Description = "Number of passes over the training set.", DefaultValueFactory = _ => 15 };
        var batchSize = new Option<int>("--batch-size") { Description = "Samples per training step.", DefaultValueFactory = _ => 64 };
        var learningRate = new Option<float>("--learning-rate") { Description = "Adam step size of the first epoch.", DefaultValueFactory = _ => 1e-3f };
        var decay = new Option<float>("--decay") { Description = "Factor that multiplies the step size after each epoch.", DefaultValueFactory = _ => 0.8f };
        var seed = new Option<int>("--seed") { Description = "Seed for initial weights and shuffling.", DefaultValueFactory = _ => 42 };
        var threads = new Option<int>("--threads") { Description = "Threads that share each mini-batch; the trained weights are the same for any count.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var validationSize = new Option<int>("--validation-size") { Description = "Training images held out to report validation loss and accuracy each epoch.", DefaultValueFactory = _ => 5000 };
        var standardize = new Option<bool>("--standardize") { Description = "Shift and scale every pixel to mean 0 and variance 1 over the training images, and apply the same transform to validation and test images. '--standardize false' keeps the grey levels in [0, 1].", DefaultValueFactory = _ => true };
        var data = new Option<DirectoryInfo?>("--data") { Description = "Folder with the four Fashion-MNIST .gz files; by default the copy in the repository's data/fashion-mnist." };
        var weights = new Option<FileInfo>("--weights") { Description = "File to save the trained weights to.", DefaultValueFactory = _ => new FileInfo("fashion-mlp.ngw") };
        var plot = new Option<FileInfo?>("--plot") { Description = $"PNG file for the loss and accuracy curves per epoch; by default {DefaultPlotFileName} in the folder of the weights file." };
        var minAccuracy = new Option<double?>("--min-accuracy") { Description = "Exit with code 1 when the test accuracy ends below this fraction (for CI)." };

        RequireAtLeast(epochs, 1);
        RequireAtLeast(batchSize, 1);
        RequireAtLeast(validationSize, 0);
        threads.Validators.Add(result =>
        {
            int value = result.GetValueOrDefault<int>();
            if (value < 1 || value > 64)
            {
                result.AddError($"--threads is {value}, but it must be between 1 and 64.");
            }
        });

        var command = new Command("fashion", "Train an MLP on Fashion-MNIST, save its weights and training curves, and show test predictions.")
        {
            epochs, batchSize, learningRate, decay, seed, threads, validationSize, standardize, data, weights, plot, minAccuracy,
        };
        command.SetAction(result =>
        {
            FileInfo weightsFile = result.GetValue(weights)!;
            var settings = new Settings(
                result.GetValue(epochs),
                result.GetValue(batchSize),
                result.GetValue(learningRate),
                result.GetValue(decay),
                result.GetValue(seed),
                result.GetValue(threads),
                result.GetValue(validationSize),
                result.GetValue(standardize),
                result.GetValue(data),
                weightsFile,
                result.GetValue(plot) ?? new FileInfo(Path.Combine(weightsFile.DirectoryName ?? ".", DefaultPlotFileName)),
                result.GetValue(minAccuracy));
            return Run(settings);
        });
        return command;
    }

    /// <summary>Rejects values below <paramref name="minimum"/> with a message that names the option.</summary>
    internal static void RequireAtLeast(Option<int> option, int minimum) =>
        option.Validators.Add(result =>
        {
            int value = result.GetValueOrDefault<int>();
            if (value < minimum)
            {
                result.AddError($"{option.Name} is {value}, but it must be at least {minimum}.");
            }
        });

    private static int Run(Settings settings)
    {
        // Spectre.Console wraps redirected output at 80 columns, which would split every epoch
        // line of a CI log in two.
        if (Console.IsOutputRedirected)
        {
            AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 160);
        }

        string folder = settings.DataFolder?.FullName ?? FashionMnist.FindDataDirectory()
            ?? throw new DirectoryNotFoundException("Fashion-MNIST was not found in data/fashion-mnist above the current or program folder; pass --data with the folder of the four .gz files.");
        AnsiConsole.MarkupLine($"Loading Fashion-MNIST from [blue]{Markup.Escape(folder)}[/] (SHA-256 checked)");
        (Dataset all, Dataset rawTest) = FashionMnist.Load(folder);
        Dataset train = all.Slice(0, all.Count - settings.ValidationSize);
        Dataset? validation = settings.ValidationSize > 0 ? all.Slice(all.Count - settings.ValidationSize, settings.ValidationSize) : null;
        Dataset test = rawTest;

        // The statistics come from the training images alone, so that validation and test
        // images stay unseen. Every set, and every image given to the trained network, goes
        // through the same transform.
        Standardizer? standardizer = null;
        if (settings.Standardize)
        {
            standardizer = Standardizer.Fit(train);
            train = standardizer.Apply(train);
            validation = validation is null ? null : standardizer.Apply(validation);
            test = standardizer.Apply(rawTest);
            AnsiConsole.MarkupLine("Standardised every pixel with the mean and standard deviation of the training images");
        }

        var network = new FashionMlp(settings.Seed);
        var optimizer = new Adam(settings.LearningRate);
        using var trainer = new Trainer<FashionMlp>(network, optimizer, settings.BatchSize, settings.Seed, threads: settings.Threads);
        AnsiConsole.MarkupLine($"Training {FashionMlp.ArchitectureText}: {FashionMlp.ParameterCount:N0} parameters, {train.Count:N0} training images, batch {settings.BatchSize}, {settings.Threads} threads");

        List<EpochReport> history = TrainEpochs(trainer, train, validation, settings);

        EvaluationResult result = trainer.Evaluate(test);
        AnsiConsole.MarkupLine($"[bold]Test accuracy {result.Accuracy:P2}[/] (loss {result.Loss:F4}) on {result.Count:N0} images");

        WeightFile.Save(network, settings.Weights.FullName);
        AnsiConsole.MarkupLine($"Saved weights to [blue]{Markup.Escape(settings.Weights.FullName)}[/]");
        SavePlot(settings, history, result);
        ShowPredictions(settings.Weights.FullName, rawTest, standardizer);

        if (settings.MinAccuracy is double required && result.Accuracy < required)
        {
            AnsiConsole.MarkupLine($"[red]Test accuracy {result.Accuracy:P2} is below the required {required:P2}.[/]");
            return 1;
        }

        return 0;
    }

    /// <summary>
    /// Trains one epoch at a time, printing a line per epoch, with the step size multiplied by the
    /// decay after each epoch. A live progress bar runs only on an interactive terminal, so
    /// redirected output such as a CI log contains the epoch lines alone.
    /// </summary>
    private static List<EpochReport> TrainEpochs(Trainer<FashionMlp> trainer, Dataset train, Dataset? validation, Settings settings)
    {
        var schedule = new ExponentialDecay(settings.LearningRate, settings.Decay);
        bool showProgressBar = AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected;
        var history = new List<EpochReport>(settings.Epochs);
        for (int epoch = 1; epoch <= settings.Epochs; epoch++)
        {
            EpochReport report = showProgressBar
                ? ConsoleProgress.RunEpoch(progress => trainer.Fit(train, 1, validation, progress, learningRateSchedule: schedule.LearningRate)[0])
                : trainer.Fit(train, 1, validation, learningRateSchedule: schedule.LearningRate)[0];
            history.Add(report);
            AnsiConsole.MarkupLine(
                $"epoch {epoch,3}/{settings.Epochs}  train loss {report.TrainingLoss:F4}  acc {report.TrainingAccuracy:P2}  " +
                $"validation loss {report.ValidationLoss:F4}  acc {report.ValidationAccuracy:P2}  {report.SamplesPerSecond:N0} samples/s");
        }

        return history;
    }

    private static void SavePlot(Settings settings, List<EpochReport> history, EvaluationResult result)
    {
        if (history.Count == 0)
        {
            AnsiConsole.MarkupLine("No epochs were trained, so no training curves were plotted.");
            return;
        }

        string title = $"{nameof(FashionMlp)}: {FashionMlp.ArchitectureText}";
        string subtitle = string.Create(CultureInfo.InvariantCulture,
            $"Adam, step size {settings.LearningRate:G3} multiplied by {settings.Decay:G3} after each epoch, batch {settings.BatchSize}, " +
            $"{(settings.Standardize ? "standardised" : "raw [0, 1]")} inputs, seed {settings.Seed}. Fashion-MNIST test accuracy {result.Accuracy:P2}");
        if (settings.Plot.Directory is DirectoryInfo plotFolder)
        {
            plotFolder.Create();
        }

        TrainingPlot.Save(settings.Plot.FullName, title, subtitle, history);
        AnsiConsole.MarkupLine($"Saved training curves to [blue]{Markup.Escape(settings.Plot.FullName)}[/]");
    }

    /// <summary>
    /// Reloads the saved weights into a fresh network and shows its predictions for a few test
    /// images, standardising each raw image as a program that deploys the network would.
    /// </summary>
    private static void ShowPredictions(string weightsPath, Dataset rawTest, Standardizer? standardizer)
    {
        var reloaded = new FashionMlp(seed: 0);
        WeightFile.Load(reloaded, weightsPath);

        var image = new float[FashionMlp.InputSize];
        var table = new Table().AddColumns("Test image", "Predicted", "Label", "");
        for (int index = 0; index < ShownPredictions; index++)
        {
            rawTest.Input(index).CopyTo(image);
            standardizer?.ApplyInPlace(image);
            int predicted = reloaded.Predict(image);
            int label = rawTest.Label(index);
            table.AddRow(
                index.ToString(CultureInfo.InvariantCulture),
                FashionMnist.ClassNames[predicted],
                FashionMnist.ClassNames[label],
                predicted == label ? "[green]correct[/]" : "[red]wrong[/]");
        }

        AnsiConsole.Write(table);
    }

    /// <summary>The command-line options of the fashion command, after defaults are applied.</summary>
    private sealed record Settings(
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
}
