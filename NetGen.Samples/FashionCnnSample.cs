using System.CommandLine;

namespace NetGen.Samples;

/// <summary>
/// A Fashion-MNIST CNN: two 3×3 convolutions, each followed by batch normalisation with ReLU and
/// 2×2 max pooling, then a dense layer with dropout. The convolutions have no bias because the
/// batch normalisation that follows subtracts the channel mean and adds its own shift β.
/// </summary>
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(1, 28, 28)]
[Conv2D(32, 3, PaddingMode = PaddingMode.Same, Bias = false)]   // [32, 28, 28]
[BatchNorm(Activation.Relu)]
[MaxPool(2)]                                                    // [32, 14, 14]
[Conv2D(64, 3, PaddingMode = PaddingMode.Same, Bias = false)]   // [64, 14, 14]
[BatchNorm(Activation.Relu)]
[MaxPool(2)]                                                    // [64, 7, 7]
[Flatten]                                                       // [3136]
[Dense(128, Activation.Relu, Inputs = 64 * 7 * 7)]
[Dropout(0.25f)]
[Dense(10)]
public sealed partial class FashionCnn;

internal static class FashionCnnSample
{
    private static readonly FashionDefaults Defaults = new(
        Epochs: 10,
        BatchSize: 64,
        LearningRate: 1e-3f,
        Decay: 0.8f,
        ValidationSize: 5000,
        WeightsFileName: "fashion-cnn.ngw",
        PlotFileName: "fashion-cnn-training.png");

    public static Command CreateCommand()
    {
        var options = new FashionOptions(Defaults);
        var command = new Command("fashion-cnn", "Train a CNN with batch normalisation on Fashion-MNIST, print the time per epoch and the test accuracy, and save its weights and training curves.");
        options.AddTo(command);
        command.SetAction(result =>
        {
            FashionSettings settings = options.Read(result);
            FashionRun run = FashionTraining.Run(settings, new FashionCnn(settings.Seed), () => new FashionCnn(seed: 0), PixelStandardization.Global, shareLayers: false);
            return FashionTraining.CheckMinimumAccuracy(settings, run);
        });
        return command;
    }
}
