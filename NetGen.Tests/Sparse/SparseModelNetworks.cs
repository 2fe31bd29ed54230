namespace NetGen.Tests.Sparse;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[SparseInference]
[Input(40)]
[Dense(24, Activation.Relu)]
[Dropout(0.25f)]
[Dense(17, Activation.Tanh)]
[Dense(5)]
public sealed partial class SparseTestMlp;

[Network]
[SparseInference]
[Input(19)]
[Dense(9, Activation.Silu)]
[Dense(4, Activation.Softmax)]
[Dropout(0.5f)]
public sealed partial class SparseSoftmaxNetwork;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[SparseInference]
[Input(1, 8, 8)]
[Conv2D(4, 3, Bias = false, PaddingMode = PaddingMode.Same), BatchNorm(Activation.Relu), MaxPool(2)]
[Residual, Conv2D(4, 3, Activation.Relu, Padding = 1), ResidualEnd]
[Flatten, Dense(24, Activation.Relu, Inputs = 4 * 4 * 4), Dropout(0.5f), Dense(5)]
public sealed partial class SparseConvNetwork;
