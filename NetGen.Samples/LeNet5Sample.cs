using System;
using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace NetGen.Samples;

/// <summary>
/// LeNet-5 (LeCun et al., 1998) as it is usually rebuilt today for 28×28 images: ReLU instead of
/// the scaled tanh, max pooling instead of trainable subsampling, and a first convolution without
/// padding, so that it sees 24×24 positions where the original saw 28×28 of a 32×32 image.
/// </summary>
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(1, 28, 28)]
[Conv2D(6, 5, Activation.Relu)]                   // [6, 24, 24]
[MaxPool(2)]                                      // [6, 12, 12]
[Conv2D(16, 5, Activation.Relu)]                  // [16, 8, 8]
[MaxPool(2)]                                      // [16, 4, 4]
[Flatten]                                         // [256]
[Dense(120, Activation.Relu, Inputs = 16 * 4 * 4)]
[Dense(84, Activation.Relu)]
[Dense(10)]
public sealed partial class LeNet5;

/// <summary>
/// The lenet5 command: trains <see cref="LeNet5"/> on all 60,000 Fashion-MNIST training images and
/// reports the wall time of the training batches next to the floating-point operations they took
/// and the fraction of the CPU's FMA peak, measured before training, that this is.
/// </summary>
internal static class LeNet5Sample
{
    private static readonly FashionDefaults Defaults = new(
        Epochs: 10,
        BatchSize: 128,
        LearningRate: 1e-3f,
        Decay: 0.8f,
        ValidationSize: 0,
        WeightsFileName: "lenet5.ngw",
        PlotFileName: "lenet5-training.png");

    public static Command CreateCommand()
    {
        var options = new FashionOptions(Defaults);
        var peak = new Option<double?>("--peak-gflops")
        {
            Description = "Peak float32 throughput in GFLOP/s of all training threads together, against which the training speed is reported; by default it is measured before training with the widest FMA vectors (512 or 256 bits) on --threads threads.",
        };
        var maxSeconds = new Option<double?>("--max-seconds")
        {
            Description = "Exit with code 1 when the training batches of all epochs take longer than this many seconds (for CI).",
        };

        OptionValidation.RequirePositive(peak, "Pass the peak in GFLOP/s, or leave the option out to measure it.");
        OptionValidation.RequirePositive(maxSeconds, "Pass the allowed training time in seconds, such as 120.");

        var command = new Command("lenet5", "Train LeNet-5 on Fashion-MNIST and report wall time, floating-point operations and the fraction of peak reached.");
        options.AddTo(command);
        command.Options.Add(peak);
        command.Options.Add(maxSeconds);
        command.SetAction(result =>
        {
            FashionSettings settings = options.Read(result);
            FashionTraining.WidenRedirectedConsole();
            LayerCosts costs = DescribeLayers();
            ShowLayers(costs);
            double peakGflops = result.GetValue(peak) ?? MeasurePeak(settings.Threads);

            FashionRun run = FashionTraining.Run(settings, new LeNet5(settings.Seed), () => new LeNet5(seed: 0), PixelStandardization.Global, shareLayers: false);
            ShowThroughput(costs, run, peakGflops);

            int status = FashionTraining.CheckMinimumAccuracy(settings, run);
            if (result.GetValue(maxSeconds) is double limit && run.TrainingTime.TotalSeconds > limit)
            {
                AnsiConsole.MarkupLine($"[red]Training took {run.TrainingTime.TotalSeconds:F1} s, more than the allowed {limit:F1} s.[/]");
                status = 1;
            }

            return status;
        });
        return command;
    }

    /// <summary>
    /// Returns the layers of <see cref="LeNet5"/> with their shapes and costs. The parameter count
    /// is compared with the generated one, so a change to the declaration that is not made here
    /// too stops the command instead of printing a wrong FLOP count.
    /// </summary>
    /// <exception cref="InvalidOperationException">The counted parameters differ from <see cref="LeNet5.ParameterCount"/>.</exception>
    internal static LayerCosts DescribeLayers()
    {
        LayerCosts costs = new LayerCosts(1, 28, 28)
            .Conv2D(6, 5).Pool(2)
            .Conv2D(16, 5).Pool(2)
            .Flatten()
            .Dense(120).Dense(84).Dense(10);
        if (costs.Parameters != LeNet5.ParameterCount)
        {
            throw new InvalidOperationException(
                $"The layer table counts {costs.Parameters} parameters but LeNet5 has {LeNet5.ParameterCount}; update DescribeLayers to match the declaration.");
        }

        return costs;
    }

    private static double MeasurePeak(int threads)
    {
        double gflops = FmaPeak.MeasureGflops(threads);
        AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"FMA peak measured now with Vector256 on {threads} thread{(threads == 1 ? "" : "s")}: {gflops:F1} GFLOP/s"));
        return gflops;
    }

    private static void ShowLayers(LayerCosts costs)
    {
        var table = new Table().AddColumns("Layer", "Input", "Output", "Parameters", "Multiply-adds per image");
        foreach (LayerCost layer in costs.Layers)
        {
            table.AddRow(
                layer.Name,
                Markup.Escape(FormatShape(layer.Input)),
                Markup.Escape(FormatShape(layer.Output)),
                layer.Parameters.ToString("N0", CultureInfo.InvariantCulture),
                layer.MultiplyAdds.ToString("N0", CultureInfo.InvariantCulture));
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine(
            $"Per image: forward {costs.ForwardFlops:N0} FLOP (2 per multiply-add); training step {costs.TrainingFlops:N0} FLOP " +
            $"(forward, weight gradients, and input gradients of every layer but the first), {costs.ConventionalTrainingFlops:N0} FLOP by the 3 × forward convention");
    }

    private static void ShowThroughput(LayerCosts costs, FashionRun run, double peakGflops)
    {
        long images = (long)run.TrainingSamples * run.History.Count;
        double flops = (double)costs.TrainingFlops * images;
        double seconds = run.TrainingTime.TotalSeconds;
        double gflopsPerSecond = flops / seconds / 1e9;
        AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"[bold]Training took {seconds:F1} s[/] for {run.History.Count} epoch{(run.History.Count == 1 ? "" : "s")} of {run.TrainingSamples:N0} images: {flops:0.00e0} FLOP, " +
            $"{gflopsPerSecond:F1} GFLOP/s, {gflopsPerSecond / peakGflops:P1} of the {peakGflops:F1} GFLOP/s FMA peak"));
    }

    private static string FormatShape((int C, int H, int W) shape) =>
        shape.H == 1 && shape.W == 1
            ? $"[{shape.C}]"
            : $"[{shape.C}, {shape.H}, {shape.W}]";
}
