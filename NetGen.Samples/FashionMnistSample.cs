using System;
using System.CommandLine;
using System.IO;
using NetGen.Data;
using Spectre.Console;

namespace NetGen.Samples;

/// <summary>
/// The main job: an MLP compiled by NetGen, trained on Fashion-MNIST (60,000 training and
/// 10,000 test images of 28×28 grey levels, 10 classes).
/// </summary>
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(28 * 28)]
[Dense(256, Activation.Relu)]
[Dense(128, Activation.Relu)]
[Dense(10)]
public sealed partial class FashionMlp;

internal static class FashionMnistSample
{
    public static Command CreateCommand()
    {
        var epochs = new Option<int>("--epochs") { Description = "Number of passes over the training set.", DefaultValueFactory = _ => 15 };
        var batchSize = new Option<int>("--batch-size") { Description = "Samples per training step.", DefaultValueFactory = _ => 64 };
        var learningRate = new Option<float>("--learning-rate") { Description = "Adam step size of the first epoch.", DefaultValueFactory = _ => 1e-3f };
        var decay = new Option<float>("--decay") { Description = "Factor that multiplies the step size after each epoch.", DefaultValueFactory = _ => 0.8f };
        var seed = new Option<int>("--seed") { Description = "Seed for initial weights and shuffling.", DefaultValueFactory = _ => 42 };
        var validationSize = new Option<int>("--validation-size") { Description = "Training images held out to report validation loss and accuracy each epoch.", DefaultValueFactory = _ => 5000 };
        var data = new Option<DirectoryInfo?>("--data") { Description = "Folder with the four Fashion-MNIST .gz files; by default the copy in the repository's data/fashion-mnist." };
        var weights = new Option<FileInfo>("--weights") { Description = "File to save the trained weights to.", DefaultValueFactory = _ => new FileInfo("fashion-mlp.ngw") };
        var minAccuracy = new Option<double?>("--min-accuracy") { Description = "Exit with code 1 when the test accuracy ends below this fraction (for CI)." };

        var command = new Command("fashion", "Train an MLP on Fashion-MNIST, save its weights and show test predictions.")
        {
            epochs, batchSize, learningRate, decay, seed, validationSize, data, weights, minAccuracy,
        };
        command.SetAction(result => Run(
            result.GetValue(epochs),
            result.GetValue(batchSize),
            result.GetValue(learningRate),
            result.GetValue(decay),
            result.GetValue(seed),
            result.GetValue(validationSize),
            result.GetValue(data),
            result.GetValue(weights)!,
            result.GetValue(minAccuracy)));
        return command;
    }

    private static int Run(int epochs, int batchSize, float learningRate, float decay, int seed, int validationSize, DirectoryInfo? dataFolder, FileInfo weights, double? minAccuracy)
    {
        string folder = dataFolder?.FullName ?? FashionMnist.FindDataDirectory()
            ?? throw new DirectoryNotFoundException("Fashion-MNIST was not found in data/fashion-mnist above the current or program folder; pass --data with the folder of the four .gz files.");
        AnsiConsole.MarkupLine($"Loading Fashion-MNIST from [blue]{Markup.Escape(folder)}[/] (SHA-256 checked)");
        (Dataset all, Dataset test) = FashionMnist.Load(folder);
        Dataset train = all.Slice(0, all.Count - validationSize);
        Dataset? validation = validationSize > 0 ? all.Slice(all.Count - validationSize, validationSize) : null;

        var network = new FashionMlp(seed);
        var optimizer = new Adam(learningRate);
        var trainer = new Trainer<FashionMlp>(network, optimizer, batchSize, seed);
        AnsiConsole.MarkupLine($"Training {FashionMlp.ArchitectureText}: {FashionMlp.ParameterCount:N0} parameters, {train.Count:N0} training images, batch {batchSize}");

        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            EpochReport report = ConsoleProgress.RunEpoch(progress => trainer.Fit(train, 1, validation, progress)[0]);
            AnsiConsole.MarkupLine(
                $"epoch {epoch,3}/{epochs}  train loss {report.TrainingLoss:F4}  acc {report.TrainingAccuracy:P2}  " +
                $"validation loss {report.ValidationLoss:F4}  acc {report.ValidationAccuracy:P2}  {report.SamplesPerSecond:N0} samples/s");
            optimizer.LearningRate *= decay;
        }

        EvaluationResult result = trainer.Evaluate(test);
        AnsiConsole.MarkupLine($"[bold]Test accuracy {result.Accuracy:P2}[/] (loss {result.Loss:F4}) on {result.Count:N0} images");

        WeightFile.Save(network, weights.FullName);
        AnsiConsole.MarkupLine($"Saved weights to [blue]{Markup.Escape(weights.FullName)}[/]");
        ShowPredictions(weights.FullName, test);

        if (minAccuracy is double required && result.Accuracy < required)
        {
            AnsiConsole.MarkupLine($"[red]Test accuracy {result.Accuracy:P2} is below the required {required:P2}.[/]");
            return 1;
        }

        return 0;
    }

    /// <summary>Reloads the saved weights into a fresh network and shows its predictions for a few test images.</summary>
    private static void ShowPredictions(string weightsPath, Dataset test)
    {
        var reloaded = new FashionMlp(seed: 0);
        WeightFile.Load(reloaded, weightsPath);

        var table = new Table().AddColumns("Test image", "Predicted", "Label", "");
        for (int index = 0; index < 10; index++)
        {
            int predicted = reloaded.Predict(test.Input(index));
            int label = test.Label(index);
            table.AddRow(
                index.ToString(System.Globalization.CultureInfo.InvariantCulture),
                FashionMnist.ClassNames[predicted],
                FashionMnist.ClassNames[label],
                predicted == label ? "[green]correct[/]" : "[red]wrong[/]");
        }

        AnsiConsole.Write(table);
    }
}
