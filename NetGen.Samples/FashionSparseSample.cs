using System;
using System.Linq;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using NetGen.Data;
using NetGen.Kernels;
using NetGen.Sparse;
using Spectre.Console;

namespace NetGen.Samples;

/// <summary>The Fashion-MNIST MLP of the main sample, with a generated sparse inference path.</summary>
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[SparseInference]
[Input(28 * 28)]
[Dense(256, Activation.Relu)]
[Dense(128, Activation.Relu)]
[Dense(10)]
public sealed partial class FashionSparseMlp;

/// <summary>
/// Trains the Fashion-MNIST MLP dense, prunes copies of it to a target sparsity during
/// fine-tuning (single weights, then 1×8 blocks), and reports test accuracy, the format each
/// layer runs in and the measured speed-up of the generated sparse model.
/// </summary>
internal static class FashionSparseSample
{
    /// <summary>Samples per call when the speed at batch size is measured.</summary>
    private const int TimedBatch = 128;

    public static Command CreateCommand()
    {
        var epochs = new Option<int>("--epochs") { Description = "Epochs of dense training before pruning.", DefaultValueFactory = _ => 10 };
        var fineTuneEpochs = new Option<int>("--fine-tune-epochs") { Description = "Epochs of training while pruning and after it, for each pruning method.", DefaultValueFactory = _ => 12 };
        var sparsity = new Option<double>("--sparsity") { Description = "Fraction of each layer's weights to prune, in [0, 1).", DefaultValueFactory = _ => 0.9 };
        var batchSize = new Option<int>("--batch-size") { Description = "Samples per training step.", DefaultValueFactory = _ => 64 };
        var learningRate = new Option<float>("--learning-rate") { Description = "Adam step size of the first dense epoch.", DefaultValueFactory = _ => 1e-3f };
        var fineTuneRate = new Option<float>("--fine-tune-learning-rate") { Description = "Adam step size of the first fine-tuning epoch.", DefaultValueFactory = _ => 1e-3f };
        var pruningFraction = new Option<double>("--pruning-fraction") { Description = "Fraction of the fine-tuning steps, in (0, 1], over which the sparsity rises to its target on the cubic schedule.", DefaultValueFactory = _ => 0.4 };
        var decay = new Option<float>("--decay") { Description = "Factor that multiplies the step size after each epoch.", DefaultValueFactory = _ => 0.8f };
        var seed = new Option<int>("--seed") { Description = "Seed for initial weights and shuffling.", DefaultValueFactory = _ => 42 };
        var threads = new Option<int>("--threads") { Description = "Threads that share each mini-batch.", DefaultValueFactory = _ => OptionValidation.DefaultThreads };
        var trainSize = new Option<int>("--train-size") { Description = "Training images to use, from the start of the set; 0 uses all 60,000.", DefaultValueFactory = _ => 0 };
        var data = new Option<DirectoryInfo?>("--data") { Description = "Folder with the four Fashion-MNIST .gz files; by default the copy in the repository's data/fashion-mnist." };
        var maxDrop = new Option<double?>("--max-accuracy-drop") { Description = "Exit with code 1 when a pruned network's test accuracy is more than this many percentage points below the dense one's (for CI)." };

        OptionValidation.RequireAtLeast(epochs, 1);
        OptionValidation.RequireFinite(learningRate, allowZero: true, "It is Adam's step size, for example 1e-3.");
        OptionValidation.RequireFinite(fineTuneRate, allowZero: true, "It is Adam's step size, for example 1e-3.");
        OptionValidation.RequireFinite(decay, allowZero: false, "The step size is multiplied by it after each epoch, so pass 1 to keep it constant.");
        OptionValidation.RequireAtLeast(fineTuneEpochs, 1);
        OptionValidation.RequireAtLeast(batchSize, 1);
        OptionValidation.RequireBetween(threads, 1, OptionValidation.MaxThreads);
        OptionValidation.RequireAtLeast(trainSize, 0);
        OptionValidation.RequireBetween(maxDrop, 0, 100, "It is in percentage points of test accuracy, so pass 1 to allow a drop of one point.");
        sparsity.Validators.Add(result =>
        {
            if (OptionValidation.TryGetValue(result, out double value) && !(value >= 0 && value < 1))
            {
                result.AddError($"--sparsity is {value.ToString(CultureInfo.InvariantCulture)}, but it must be in [0, 1).");
            }
        });

        pruningFraction.Validators.Add(result =>
        {
            if (OptionValidation.TryGetValue(result, out double value) && !(value > 0 && value <= 1))
            {
                result.AddError($"--pruning-fraction is {value.ToString(CultureInfo.InvariantCulture)}, but it must be in (0, 1].");
            }
        });

        var command = new Command("fashion-sparse", "Train the Fashion-MNIST MLP, prune it by weight and by 1×8 block while fine-tuning, and compare accuracy and speed with the dense network.")
        {
            epochs, fineTuneEpochs, sparsity, batchSize, learningRate, fineTuneRate, pruningFraction, decay, seed, threads, trainSize, data, maxDrop,
        };
        command.SetAction(result => Run(new Settings(
            result.GetValue(epochs),
            result.GetValue(fineTuneEpochs),
            result.GetValue(sparsity),
            result.GetValue(batchSize),
            result.GetValue(learningRate),
            result.GetValue(fineTuneRate),
            result.GetValue(pruningFraction),
            result.GetValue(decay),
            result.GetValue(seed),
            result.GetValue(threads),
            result.GetValue(trainSize),
            result.GetValue(data),
            result.GetValue(maxDrop))));
        return command;
    }

    private static int Run(Settings settings)
    {
        if (Console.IsOutputRedirected)
        {
            AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 160);
        }

        string folder = FashionTraining.DataFolder(settings.DataFolder);
        (Dataset all, Dataset test) = FashionMnist.Load(folder);
        Dataset train = settings.TrainSize > 0 && settings.TrainSize < all.Count ? all.Slice(0, settings.TrainSize) : all;
        Standardizer standardizer = Standardizer.Fit(train);
        train = standardizer.Apply(train);
        test = standardizer.Apply(test);
        AnsiConsole.MarkupLine($"Fashion-MNIST: {train.Count:N0} training and {test.Count:N0} test images, standardised with training statistics");

        // Planned before the dense training, so that too short a fine-tuning fails at once.
        long fineTuneSteps = FineTuneSteps(train, settings);
        (int PruningSteps, long Interval) plan = PruningPlan(fineTuneSteps, settings.PruningFraction);

        var dense = new FashionSparseMlp(settings.Seed);
        double denseAccuracy = Train(dense, new Adam(settings.LearningRate), train, test, settings.Epochs, settings.LearningRate, settings);
        AnsiConsole.MarkupLine($"[bold]Dense test accuracy {denseAccuracy:P2}[/] after {settings.Epochs} epochs");

        var summary = new Table().AddColumns("Pruning", "Sparsity", "Test accuracy", "Change (points)", "Sparse model accuracy");
        summary.AddRow("none (dense)", "0 %", Percent(denseAccuracy), "", "");
        double worstDrop = 0;
        foreach (PruningGranularity granularity in new[] { PruningGranularity.Weight, PruningGranularity.Block })
        {
            var pruned = new FashionSparseMlp(settings.Seed);
            dense.Parameters.CopyTo(pruned.Parameters);
            double prunedAccuracy = FineTunePruned(pruned, train, test, granularity, plan, fineTuneSteps, settings);
            var model = new FashionSparseMlp.SparseModel(pruned, TimedBatch);
            double modelAccuracy = Accuracy(model, test);
            double drop = (denseAccuracy - prunedAccuracy) * 100;
            worstDrop = Math.Max(worstDrop, drop);
            summary.AddRow(
                Name(granularity),
                Percent(WeightSparsity(pruned)),
                Percent(prunedAccuracy),
                (-drop).ToString("+0.00;-0.00;0.00", CultureInfo.InvariantCulture),
                Percent(modelAccuracy));
            ReportSpeed(dense, pruned, model, test, granularity);
        }

        AnsiConsole.Write(summary);
        if (settings.MaxAccuracyDrop is double allowed && worstDrop > allowed)
        {
            AnsiConsole.MarkupLine($"[red]A pruned network lost {worstDrop:F2} points of test accuracy, more than the allowed {allowed:F2}.[/]");
            return 1;
        }

        return 0;
    }

    /// <summary>Trains with Adam and a per-epoch decay, printing one line per epoch, and returns the test accuracy.</summary>
    private static double Train(FashionSparseMlp network, IOptimizer optimizer, Dataset train, Dataset test, int epochs, float learningRate, Settings settings)
    {
        var schedule = new ExponentialDecay(learningRate, settings.Decay);
        using var trainer = new Trainer<FashionSparseMlp>(network, optimizer, settings.BatchSize, settings.Seed, threads: settings.Threads);
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            EpochReport report = trainer.Fit(train, 1, learningRateSchedule: schedule.LearningRate)[0];
            string sparsity = optimizer is PruningOptimizer pruning ? $"  sparsity {pruning.CurrentSparsity:P1}" : string.Empty;
            AnsiConsole.MarkupLine($"  epoch {epoch,2}/{epochs}  train loss {report.TrainingLoss:F4}  acc {report.TrainingAccuracy:P2}{sparsity}");
        }

        return trainer.Evaluate(test).Accuracy;
    }

    /// <summary>
    /// Fine-tunes a copy of the dense network while pruning it on the cubic schedule over the
    /// first part of the steps, with the masks applied after every optimizer step, and returns its test accuracy.
    /// </summary>
    private static double FineTunePruned(
        FashionSparseMlp network, Dataset train, Dataset test, PruningGranularity granularity, (int PruningSteps, long Interval) plan, long totalSteps, Settings settings)
    {
        var schedule = new GradualPruningSchedule(0, settings.Sparsity, startStep: 0, plan.PruningSteps, plan.Interval);
        Span<float> parameters = network.Parameters;
        // Block pruning ranks the blocks of a whole layer, so in the 128×10 output layer it can
        // leave a class with no weights at all. That layer is pruned by single weights instead.
        PrunedWeights[] layers =
        [
            PrunedWeights.Locate(parameters, network.Dense1Weight, FashionSparseMlp.Dense1Outputs, FashionSparseMlp.Dense1Inputs, granularity),
            PrunedWeights.Locate(parameters, network.Dense2Weight, FashionSparseMlp.Dense2Outputs, FashionSparseMlp.Dense2Inputs, granularity),
            PrunedWeights.Locate(parameters, network.Dense3Weight, FashionSparseMlp.Dense3Outputs, FashionSparseMlp.Dense3Inputs),
        ];
        float learningRate = settings.FineTuneLearningRate;
        var optimizer = new PruningOptimizer(new Adam(learningRate), schedule, layers);
        AnsiConsole.MarkupLine($"Pruning by {Name(granularity)} to {settings.Sparsity:P0} over {schedule.EndStep:N0} of {totalSteps:N0} fine-tuning steps");
        double accuracy = Train(network, optimizer, train, test, settings.FineTuneEpochs, learningRate, settings);
        AnsiConsole.MarkupLine($"[bold]Pruned ({Name(granularity)}) test accuracy {accuracy:P2}[/]");
        return accuracy;
    }

    /// <summary>Returns the optimizer steps of the fine-tuning: batches per epoch times epochs.</summary>
    private static long FineTuneSteps(Dataset train, Settings settings) =>
        (((long)train.Count + settings.BatchSize - 1) / settings.BatchSize) * settings.FineTuneEpochs;

    /// <summary>
    /// Returns how many times to prune and how many steps apart, so that the sparsity reaches its
    /// target by the last of <paramref name="totalSteps"/> optimizer steps (numbered from 0) and
    /// within the first <paramref name="fraction"/> of them, or at step 1 when that fraction is
    /// less than one step: 16 prunings where the steps allow.
    /// </summary>
    /// <exception cref="ArgumentException">Fine-tuning runs fewer than two steps, so the sparsity could never move past its start.</exception>
    internal static (int PruningSteps, long Interval) PruningPlan(long totalSteps, double fraction)
    {
        if (totalSteps < 2)
        {
            throw new ArgumentException(
                $"Fine-tuning runs {totalSteps} optimizer step(s), too few to prune: the schedule needs a step after its first. Pass more --fine-tune-epochs, a larger --train-size or a smaller --batch-size.");
        }

        // The last pruning, at PruningSteps × Interval, must fall within the window, and so on a step
        // that runs. Rounding the interval up and the count down ends it less than one interval
        // before the window's end: a window of 31 steps gives 15 prunings 2 apart, ending at step 30.
        long window = Math.Max(1, Math.Min((long)(totalSteps * fraction), totalSteps - 1));
        long interval = (window + 15) / 16;
        int pruningSteps = (int)(window / interval);
        return (pruningSteps, interval);
    }

    private static double Accuracy(FashionSparseMlp.SparseModel model, Dataset test)
    {
        var outputs = new float[TimedBatch * FashionSparseMlp.OutputSize];
        int correct = 0;
        for (int start = 0; start < test.Count; start += TimedBatch)
        {
            int count = Math.Min(TimedBatch, test.Count - start);
            Span<float> batchOutputs = outputs.AsSpan(0, count * FashionSparseMlp.OutputSize);
            model.Forward(test.Inputs.Slice(start * FashionSparseMlp.InputSize, count * FashionSparseMlp.InputSize), batchOutputs);
            for (int s = 0; s < count; s++)
            {
                int predicted = GeneratedCode.IndexOfMax(batchOutputs.Slice(s * FashionSparseMlp.OutputSize, FashionSparseMlp.OutputSize));
                correct += predicted == test.Label(start + s) ? 1 : 0;
            }
        }

        return (double)correct / test.Count;
    }

    /// <summary>
    /// Prints, per layer, the sparsity, the format chosen at batch 1 and at batch 128 and its
    /// speed against the dense kernel, then the same for the whole network.
    /// </summary>
    private static void ReportSpeed(FashionSparseMlp dense, FashionSparseMlp pruned, FashionSparseMlp.SparseModel model, Dataset test, PruningGranularity granularity)
    {
        var table = new Table().AddColumns("Layer", "Sparsity", "Block sparsity", "Format B1", "Speed-up B1", $"Format B{TimedBatch}", $"Speed-up B{TimedBatch}");
        SparseDenseLayer[] layers = [model.Dense1, model.Dense2, model.Dense3];
        float[][] weights = [pruned.Dense1Weight.ToArray(), pruned.Dense2Weight.ToArray(), pruned.Dense3Weight.ToArray()];
        float[][] biases = [pruned.Dense1Bias.ToArray(), pruned.Dense2Bias.ToArray(), pruned.Dense3Bias.ToArray()];
        var random = new Random(1);
        for (int i = 0; i < layers.Length; i++)
        {
            SparseDenseLayer layer = layers[i];
            var x = new float[TimedBatch * layer.Inputs];
            for (int k = 0; k < x.Length; k++)
            {
                x[k] = random.NextSingle();
            }

            var y = new float[TimedBatch * layer.Outputs];
            var scratch = new float[x.Length];
            float[] w = weights[i], b = biases[i];
            double Ratio(int batch)
            {
                double denseTime = Time(() => DenseKernels.Forward(x.AsSpan(0, batch * layer.Inputs), w, b, y.AsSpan(0, batch * layer.Outputs), batch, layer.Inputs, layer.Outputs));
                double sparseTime = Time(() =>
                {
                    // The batch arrives batch-major and leaves in the layer's output layout, as in a model.
                    bool featureMajor = false;
                    layer.Forward(x.AsSpan(0, batch * layer.Inputs), y.AsSpan(0, batch * layer.Outputs), batch, ref featureMajor, scratch);
                });
                return denseTime / sparseTime;
            }

            table.AddRow(
                $"Dense{i + 1} {layer.Inputs}→{layer.Outputs}",
                Percent(layer.Sparsity),
                Percent(layer.BlockSparsity),
                layer.SampleFormat.ToString(),
                Ratio(1).ToString("F2", CultureInfo.InvariantCulture) + "×",
                layer.BatchFormat.ToString(),
                Ratio(TimedBatch).ToString("F2", CultureInfo.InvariantCulture) + "×");
        }

        float[] inputs = test.Inputs.Slice(0, TimedBatch * FashionSparseMlp.InputSize).ToArray();
        var outputs = new float[TimedBatch * FashionSparseMlp.OutputSize];
        Workspace workspace = dense.CreateWorkspace(TimedBatch);
        double sample = Time(() => dense.Forward(inputs.AsSpan(0, FashionSparseMlp.InputSize), outputs.AsSpan(0, FashionSparseMlp.OutputSize)))
            / Time(() => model.Forward(inputs.AsSpan(0, FashionSparseMlp.InputSize), outputs.AsSpan(0, FashionSparseMlp.OutputSize)));
        double batched = Time(() => dense.Forward(inputs, outputs, workspace)) / Time(() => model.Forward(inputs, outputs));
        table.AddRow("whole network", "", "", "", sample.ToString("F2", CultureInfo.InvariantCulture) + "×", "", batched.ToString("F2", CultureInfo.InvariantCulture) + "×");
        table.Caption($"{Name(granularity)} pruning: speed-up = dense time / sparse time, median of 5 Stopwatch runs; noisy on a shared machine");
        AnsiConsole.Write(table);
    }

    /// <summary>Returns the median over 5 runs of the time per call in nanoseconds, each run about 20 ms after a warm-up.</summary>
    private static double Time(Action action)
    {
        for (int i = 0; i < 50; i++)
        {
            action();
        }

        var stopwatch = Stopwatch.StartNew();
        int calls = 0;
        while (stopwatch.ElapsedMilliseconds < 20)
        {
            action();
            calls++;
        }

        var runs = new double[5];
        for (int run = 0; run < runs.Length; run++)
        {
            stopwatch.Restart();
            for (int i = 0; i < calls; i++)
            {
                action();
            }

            runs[run] = stopwatch.Elapsed.TotalNanoseconds / calls;
        }

        Array.Sort(runs);
        return runs[runs.Length / 2];
    }

    private static string Name(PruningGranularity granularity) => granularity == PruningGranularity.Block ? "1×8 block (output layer by weight)" : "weight";

    /// <summary>Returns the fraction of the dense layers' weights that are zero: the sparsity that pruning reached.</summary>
    private static double WeightSparsity(FashionSparseMlp network)
    {
        long zeros = 0, count = 0;
        foreach (float[] weights in new[] { network.Dense1Weight.ToArray(), network.Dense2Weight.ToArray(), network.Dense3Weight.ToArray() })
        {
            zeros += weights.Count(w => w == 0);
            count += weights.Length;
        }

        return (double)zeros / count;
    }

    private static string Percent(double fraction) => fraction.ToString("P2", CultureInfo.InvariantCulture);

    /// <summary>The command-line options of the fashion-sparse command, after defaults are applied.</summary>
    private sealed record Settings(
        int Epochs,
        int FineTuneEpochs,
        double Sparsity,
        int BatchSize,
        float LearningRate,
        float FineTuneLearningRate,
        double PruningFraction,
        float Decay,
        int Seed,
        int Threads,
        int TrainSize,
        DirectoryInfo? DataFolder,
        double? MaxAccuracyDrop);
}
