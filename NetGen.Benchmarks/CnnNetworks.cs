using NetGen;

namespace NetGen.Benchmarks;

// The convolutional networks of the samples, declared again here so that the benchmarks do not
// depend on the sample program. CnnBenchmarks compares them with TorchSharp.

/// <summary>
/// The Fashion-MNIST CNN of the fashion-cnn sample: two 3×3 convolutions without bias, each
/// followed by batch normalisation with ReLU and 2×2 max pooling, then 3136 → 128 (ReLU), dropout
/// 0.25 and 128 → 10.
/// </summary>
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(1, 28, 28)]
[Conv2D(32, 3, PaddingMode = PaddingMode.Same, Bias = false)]
[BatchNorm(Activation.Relu)]
[MaxPool(2)]
[Conv2D(64, 3, PaddingMode = PaddingMode.Same, Bias = false)]
[BatchNorm(Activation.Relu)]
[MaxPool(2)]
[Flatten]
[Dense(128, Activation.Relu, Inputs = 64 * 7 * 7)]
[Dropout(FashionCnn.DropoutProbability)]
[Dense(10)]
public sealed partial class FashionCnn
{
    /// <summary>Probability of the dropout layer, which the TorchSharp peer repeats.</summary>
    public const float DropoutProbability = 0.25f;
}

/// <summary>
/// LeNet-5 of the lenet5 sample: conv 6@5×5 without padding, 2×2 max pooling, conv 16@5×5, 2×2
/// max pooling, then dense 256 → 120 → 84 → 10, ReLU throughout.
/// </summary>
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(1, 28, 28)]
[Conv2D(6, 5, Activation.Relu)]
[MaxPool(2)]
[Conv2D(16, 5, Activation.Relu)]
[MaxPool(2)]
[Flatten]
[Dense(120, Activation.Relu, Inputs = 16 * 4 * 4)]
[Dense(84, Activation.Relu)]
[Dense(10)]
public sealed partial class LeNet5;
