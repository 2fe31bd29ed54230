using System.CommandLine;

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
    private static readonly FashionDefaults Defaults = new(
        Epochs: 15,
        BatchSize: 64,
        LearningRate: 1e-3f,
        Decay: 0.8f,
        ValidationSize: 5000,
        WeightsFileName: "fashion-mlp.ngw",
        PlotFileName: "fashion-training.png");

    public static Command CreateCommand()
    {
        var options = new FashionOptions(Defaults);
        var command = new Command("fashion", "Train an MLP on Fashion-MNIST, save its weights and training curves, and show test predictions.");
        options.AddTo(command);
        command.SetAction(result =>
        {
            FashionSettings settings = options.Read(result);
            // With AVX-512 the threads share each batch's dense layers. Without it only the weight
            // gradient splits, and chunks of 32 trained faster.
            bool shareLayers = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated;
            FashionRun run = FashionTraining.Run(settings, new FashionMlp(settings.Seed), () => new FashionMlp(seed: 0), PixelStandardization.PerPixel, shareLayers);
            return FashionTraining.CheckMinimumAccuracy(settings, run);
        });
        return command;
    }
}
