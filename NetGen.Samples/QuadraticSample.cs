using System;
using System.CommandLine;
using NetGen.Data;
using Spectre.Console;

namespace NetGen.Samples;

/// <summary>
/// The classic first exercise: fit y = 2x² − 1 on x ∈ [−1, 1] with one tanh hidden layer,
/// squared error E = ½(y − t)², plain SGD one sample at a time, samples reshuffled every epoch,
/// weights drawn from U(−0.5, 0.5).
/// </summary>
[Network(Loss = Loss.SquaredError)]
[Input(1)]
[Dense(8, Activation.Tanh, Init = Initializer.UniformHalf)]
[Dense(1, Activation.Identity, Init = Initializer.UniformHalf)]
public sealed partial class QuadraticFit;

internal static class QuadraticSample
{
    // Ten million points take 80 MB of inputs and targets, far more than the curve needs. A review
    // passed int.MaxValue, and the process ran out of memory.
    private const int MaxSamples = 10_000_000;

    public static Command CreateCommand()
    {
        var epochs = new Option<int>("--epochs") { Description = "Number of passes over the samples.", DefaultValueFactory = _ => 2000 };
        var samples = new Option<int>("--samples") { Description = "Evenly spaced points on [−1, 1].", DefaultValueFactory = _ => 41 };
        var learningRate = new Option<float>("--learning-rate") { Description = "SGD step size.", DefaultValueFactory = _ => 0.05f };
        var seed = new Option<int>("--seed") { Description = "Seed for initial weights and shuffling.", DefaultValueFactory = _ => 1 };
        var maxError = new Option<double?>("--max-error") { Description = "Exit with code 1 when the final error is above this value (for CI)." };

        OptionValidation.RequireAtLeast(epochs, 1);
        OptionValidation.RequireFinite(learningRate, allowZero: true, "It is the SGD step size, for example 0.05.");
        OptionValidation.RequireBetween(samples, 2, MaxSamples);
        OptionValidation.RequireAtLeast(maxError, 0, "The error is the mean of ½(y − t)² over the samples, so pass a bound such as 1e-3.");

        var command = new Command("quadratic", "Fit y = 2x² − 1 with one tanh hidden layer and print the error per epoch.")
        {
            epochs, samples, learningRate, seed, maxError,
        };
        command.SetAction(result => Run(
            result.GetValue(epochs), result.GetValue(samples), result.GetValue(learningRate), result.GetValue(seed), result.GetValue(maxError)));
        return command;
    }

    private static int Run(int epochs, int sampleCount, float learningRate, int seed, double? maxError)
    {
        var inputs = new float[sampleCount];
        var targets = new float[sampleCount];
        for (int i = 0; i < sampleCount; i++)
        {
            float x = -1f + (2f * i / (sampleCount - 1));
            inputs[i] = x;
            targets[i] = (2 * x * x) - 1;
        }

        var data = new Dataset(inputs, 1, targets, 1);
        var network = new QuadraticFit(seed);
        using var trainer = new Trainer<QuadraticFit>(network, new Sgd(learningRate), batchSize: 1, seed);
        AnsiConsole.MarkupLine($"Fitting y = 2x² − 1 on {sampleCount} points with {QuadraticFit.ArchitectureText}");

        double error = double.NaN;
        int reportEvery = Math.Max(1, epochs / 20);
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            trainer.Fit(data, 1);
            if (epoch == 1 || epoch % reportEvery == 0 || epoch == epochs)
            {
                // E = mean over samples of ½(y − t)², measured after the epoch's updates.
                error = trainer.Evaluate(data).Loss;
                AnsiConsole.MarkupLine($"epoch {epoch,5}  E = {error:E3}");
            }
        }

        if (maxError is double limit && !(error <= limit))
        {
            AnsiConsole.MarkupLine($"[red]Final error {error:E3} is above the required {limit:E3}.[/]");
            return 1;
        }

        return 0;
    }
}
