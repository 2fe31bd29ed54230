using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using NetGen.Data;
using NetGen.Quantization;
using Spectre.Console;

namespace NetGen.Samples;

/// <summary>
/// Int8 quantization of the Fashion-MNIST MLP: post-training static quantization with three
/// calibration observers and dynamic quantization (<c>fashion-int8</c>), and quantization-aware
/// fine-tuning followed by static quantization (<c>fashion-qat</c>), each reported against the
/// float32 test accuracy.
/// </summary>
internal static class FashionInt8Sample
{
    /// <summary>Training images held out of the standardiser's statistics, as the fashion command does by default.</summary>
    private const int ValidationSize = 5000;

    /// <summary>Samples per batch when evaluating on the test set.</summary>
    private const int EvaluationBatch = 256;

    public static Command CreateInt8Command()
    {
        var options = new CommonOptions();
        var command = new Command("fashion-int8",
            "Quantize the Fashion-MNIST MLP to int8 (static with min/max, percentile and MSE calibration, and dynamic) and compare its test accuracy with float32.");
        options.AddTo(command);
        command.SetAction(result => RunInt8(options.Read(result)));
        return command;
    }

    public static Command CreateQatCommand()
    {
        var options = new CommonOptions();
        var qatEpochs = new Option<int>("--qat-epochs") { Description = "Epochs of quantization-aware fine-tuning.", DefaultValueFactory = _ => 2 };
        var qatRate = new Option<float>("--qat-learning-rate") { Description = "Adam step size of the fine-tuning.", DefaultValueFactory = _ => 1e-4f };
        OptionValidation.RequireAtLeast(qatEpochs, 1);
        OptionValidation.RequireFinite(qatRate, allowZero: true, "It is Adam's step size, for example 1e-4.");
        var command = new Command("fashion-qat",
            "Fine-tune the Fashion-MNIST MLP with fake-quantized int8 weights (straight-through gradient), quantize it, and compare its test accuracy with float32.")
        {
            qatEpochs, qatRate,
        };
        options.AddTo(command);
        command.SetAction(result => RunQat(options.Read(result), result.GetValue(qatEpochs), result.GetValue(qatRate)));
        return command;
    }

    private static int RunInt8(Settings settings)
    {
        Prepared prepared = Prepare(settings);
        float[] calibration = CalibrationInputs(prepared.Train, settings.CalibrationSize);
        double reference = Accuracy(prepared.Network.Forward, prepared.Network.CreateWorkspace(EvaluationBatch), prepared.Test);

        var table = new Table().AddColumns("Model", "Test accuracy", "Change (points)");
        table.AddRow("float32", Percent(reference), "");
        double worstStatic = double.PositiveInfinity;
        foreach ((string name, Func<QuantizationObserver> observer) in Observers())
        {
            var model = FashionMlp.Quantized.Calibrate(prepared.Network, calibration, observer);
            double accuracy = Accuracy(model.Forward, model.CreateWorkspace(EvaluationBatch), prepared.Test);
            worstStatic = Math.Min(worstStatic, accuracy);
            table.AddRow("int8 static, " + name, Percent(accuracy), Points(accuracy - reference));
            if (settings.SaveInt8 is not null && name == "min/max")
            {
                model.Save(settings.SaveInt8.FullName);
            }
        }

        var dynamic = FashionMlp.Quantized.CreateDynamic(prepared.Network);
        double dynamicAccuracy = Accuracy(dynamic.Forward, dynamic.CreateWorkspace(EvaluationBatch), prepared.Test);
        table.AddRow("int8 dynamic", Percent(dynamicAccuracy), Points(dynamicAccuracy - reference));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"Calibrated on {calibration.Length / FashionMlp.InputSize:N0} training images; evaluated on {prepared.Test.Count:N0} test images.");
        if (settings.SaveInt8 is not null)
        {
            AnsiConsole.MarkupLine($"Saved the min/max int8 model to [blue]{Markup.Escape(settings.SaveInt8.FullName)}[/]");
        }

        return CheckDrop(settings, reference - worstStatic, "static int8");
    }

    private static int RunQat(Settings settings, int qatEpochs, float learningRate)
    {
        Prepared prepared = Prepare(settings);
        FashionMlp network = prepared.Network;
        float[] calibration = CalibrationInputs(prepared.Train, settings.CalibrationSize);
        double reference = Accuracy(network.Forward, network.CreateWorkspace(EvaluationBatch), prepared.Test);
        var before = FashionMlp.Quantized.Calibrate(network, calibration, () => new MseObserver());
        double beforeAccuracy = Accuracy(before.Forward, before.CreateWorkspace(EvaluationBatch), prepared.Test);

        QuantizationAwareTuning.Run(network, prepared.Train, qatEpochs, learningRate, settings.Seed, settings.BatchSize);
        var after = FashionMlp.Quantized.Calibrate(network, calibration, () => new MseObserver());
        double afterAccuracy = Accuracy(after.Forward, after.CreateWorkspace(EvaluationBatch), prepared.Test);
        double tunedFloat = Accuracy(network.Forward, network.CreateWorkspace(EvaluationBatch), prepared.Test);

        var table = new Table().AddColumns("Model", "Test accuracy", "Change from float32 (points)");
        table.AddRow("float32", Percent(reference), "");
        table.AddRow("int8 static (MSE), no fine-tuning", Percent(beforeAccuracy), Points(beforeAccuracy - reference));
        table.AddRow($"float32 after {qatEpochs} QAT epochs", Percent(tunedFloat), Points(tunedFloat - reference));
        table.AddRow($"int8 static (MSE) after {qatEpochs} QAT epochs", Percent(afterAccuracy), Points(afterAccuracy - reference));
        AnsiConsole.Write(table);
        if (settings.SaveInt8 is not null)
        {
            after.Save(settings.SaveInt8.FullName);
            AnsiConsole.MarkupLine($"Saved the fine-tuned int8 model to [blue]{Markup.Escape(settings.SaveInt8.FullName)}[/]");
        }

        return CheckDrop(settings, reference - afterAccuracy, "QAT int8");
    }

    /// <summary>The calibration observers the fashion-int8 command compares.</summary>
    internal static IEnumerable<(string Name, Func<QuantizationObserver> Create)> Observers() =>
    [
        ("min/max", () => new MinMaxObserver()),
        ("percentile 99.99", () => new PercentileObserver(99.99)),
        ("MSE", () => new MseObserver()),
    ];

    /// <summary>Returns the first <paramref name="count"/> training images, standardised, as one batch.</summary>
    internal static float[] CalibrationInputs(Dataset train, int count) =>
        train.Inputs.Slice(0, Math.Min(count, train.Count) * train.InputSize).ToArray();

    /// <summary>Returns the fraction of <paramref name="test"/> whose largest output is the label, running batches through <paramref name="forward"/>.</summary>
    internal static double Accuracy<TWorkspace>(ForwardBatch<TWorkspace> forward, TWorkspace workspace, Dataset test)
    {
        var outputs = new float[EvaluationBatch * FashionMlp.OutputSize];
        int correct = 0;
        for (int start = 0; start < test.Count; start += EvaluationBatch)
        {
            int batch = Math.Min(EvaluationBatch, test.Count - start);
            Span<float> scores = outputs.AsSpan(0, batch * FashionMlp.OutputSize);
            forward(test.Inputs.Slice(start * test.InputSize, batch * test.InputSize), scores, workspace);
            for (int s = 0; s < batch; s++)
            {
                correct += GeneratedCode.IndexOfMax(scores.Slice(s * FashionMlp.OutputSize, FashionMlp.OutputSize)) == test.Label(start + s) ? 1 : 0;
            }
        }

        return (double)correct / test.Count;
    }

    /// <summary>A batch forward pass with its workspace type.</summary>
    internal delegate void ForwardBatch<in TWorkspace>(ReadOnlySpan<float> inputs, Span<float> outputs, TWorkspace workspace);

    private static int CheckDrop(Settings settings, double drop, string what)
    {
        if (settings.MaxDrop is double allowed && drop * 100 > allowed)
        {
            AnsiConsole.MarkupLine($"[red]The {what} test accuracy is {drop * 100:F2} points below float32, more than the allowed {allowed:F2}.[/]");
            return 1;
        }

        return 0;
    }

    /// <summary>Loads Fashion-MNIST, standardises it as the fashion command does, and loads or trains the float MLP.</summary>
    private static Prepared Prepare(Settings settings)
    {
        if (Console.IsOutputRedirected)
        {
            AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 160);
        }

        string folder = FashionTraining.DataFolder(settings.DataFolder);
        (Dataset all, Dataset rawTest) = FashionMnist.Load(folder);
        Dataset rawTrain = all.Slice(0, all.Count - ValidationSize);
        Standardizer standardizer = Standardizer.Fit(rawTrain);
        Dataset train = standardizer.Apply(rawTrain);
        Dataset test = standardizer.Apply(rawTest);

        var network = new FashionMlp(settings.Seed);
        if (settings.Weights.Exists)
        {
            WeightFile.Load(network, settings.Weights.FullName);
            AnsiConsole.MarkupLine($"Loaded float32 weights from [blue]{Markup.Escape(settings.Weights.FullName)}[/]");
        }
        else
        {
            AnsiConsole.MarkupLine($"No weights at [blue]{Markup.Escape(settings.Weights.FullName)}[/]; training {settings.Epochs} epochs first");
            using var trainer = new Trainer<FashionMlp>(network, new Adam(1e-3f), settings.BatchSize, settings.Seed);
            var schedule = new ExponentialDecay(1e-3f, 0.8f);
            trainer.Fit(train, settings.Epochs, learningRateSchedule: schedule.LearningRate);
            WeightFile.Save(network, settings.Weights.FullName);
            AnsiConsole.MarkupLine($"Saved float32 weights to [blue]{Markup.Escape(settings.Weights.FullName)}[/]");
        }

        return new Prepared(network, train, test);
    }

    private static string Percent(double accuracy) => accuracy.ToString("P2", CultureInfo.InvariantCulture);

    private static string Points(double difference) => (difference * 100).ToString("+0.00;-0.00;0.00", CultureInfo.InvariantCulture);

    private sealed record Prepared(FashionMlp Network, Dataset Train, Dataset Test);

    private sealed record Settings(
        FileInfo Weights, int Epochs, int BatchSize, int Seed, int CalibrationSize, DirectoryInfo? DataFolder, FileInfo? SaveInt8, double? MaxDrop);

    /// <summary>The options both commands share.</summary>
    private sealed class CommonOptions
    {
        private readonly Option<FileInfo> _weights = new("--weights") { Description = "Float32 weights of FashionMlp; trained and saved there first when the file does not exist.", DefaultValueFactory = _ => new FileInfo("fashion-mlp.ngw") };
        private readonly Option<int> _epochs = new("--epochs") { Description = "Training epochs when no weights file exists.", DefaultValueFactory = _ => 10 };
        private readonly Option<int> _batchSize = new("--batch-size") { Description = "Samples per training step.", DefaultValueFactory = _ => 64 };
        private readonly Option<int> _seed = new("--seed") { Description = "Seed for initial weights and shuffling.", DefaultValueFactory = _ => 42 };
        private readonly Option<int> _calibrationSize = new("--calibration-size") { Description = "Training images that calibrate the activation ranges.", DefaultValueFactory = _ => 2000 };
        private readonly Option<DirectoryInfo?> _data = new("--data") { Description = "Folder with the four Fashion-MNIST .gz files; by default the copy in the repository's data/fashion-mnist." };
        private readonly Option<FileInfo?> _saveInt8 = new("--save-int8") { Description = "File to save the int8 model to (min/max calibration for fashion-int8, the fine-tuned model for fashion-qat)." };
        private readonly Option<double?> _maxDrop = new("--max-drop") { Description = "Exit with code 1 when the int8 test accuracy falls more than this many percentage points below float32 (for CI)." };

        public CommonOptions()
        {
            OptionValidation.RequireAtLeast(_epochs, 1);
            OptionValidation.RequireAtLeast(_batchSize, 1);
            OptionValidation.RequireAtLeast(_calibrationSize, 1);
            OptionValidation.RequireFileInExistingFolder(_weights);
            OptionValidation.RequireFileInExistingFolder(_saveInt8);
            OptionValidation.RequireBetween(_maxDrop, 0, 100, "It is in percentage points of test accuracy, so pass 1 to allow a drop of one point.");
        }

        public void AddTo(Command command)
        {
            command.Options.Add(_weights);
            command.Options.Add(_epochs);
            command.Options.Add(_batchSize);
            command.Options.Add(_seed);
            command.Options.Add(_calibrationSize);
            command.Options.Add(_data);
            command.Options.Add(_saveInt8);
            command.Options.Add(_maxDrop);
        }

        public Settings Read(ParseResult result) => new(
            result.GetValue(_weights)!,
            result.GetValue(_epochs),
            result.GetValue(_batchSize),
            result.GetValue(_seed),
            result.GetValue(_calibrationSize),
            result.GetValue(_data),
            result.GetValue(_saveInt8),
            result.GetValue(_maxDrop));
    }
}
