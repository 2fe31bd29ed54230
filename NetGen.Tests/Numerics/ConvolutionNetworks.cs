namespace NetGen.Tests.Numerics;

// Small convolutional networks for gradient checks: odd sizes, strides, dilations, groups and
// paddings, smooth activations so that finite differences stay away from kinks.

[Network]
[Input(2, 9, 8)]
[Conv2D(3, 3, Activation.Tanh, Stride = 2, Padding = 1, Dilation = 2)]
[Flatten]
[Dense(3)]
internal sealed partial class StridedDilatedConv;

[Network]
[Input(4, 7, 9)]
[Conv2D(6, 2, 3, Activation.Tanh, Groups = 2, PaddingMode = PaddingMode.Same)]
[AvgPool(3, Stride = 2, Padding = 1)]
[Flatten]
[Dense(2)]
internal sealed partial class GroupedSameConv;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(3, 6, 7)]
[Conv2D(3, 3, Activation.Tanh, Groups = 3, PaddingMode = PaddingMode.Valid)]
[MaxPool(2, Stride = 1)]
[GlobalAvgPool]
[Dense(3)]
internal sealed partial class DepthwiseMaxPool;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(3, 11)]
[Conv1D(4, 3, Activation.Tanh, Stride = 2, Dilation = 2, Padding = 2)]
[MaxPool(3, Stride = 2, Padding = 1)]
[Flatten]
[Dense(2)]
internal sealed partial class SequenceConv;

[Network]
[Input(2, 5, 6)]
[Conv2D(3, 3, Bias = false, PaddingMode = PaddingMode.Same)]
[BatchNorm(Activation.Tanh)]
[Flatten]
[Dense(4, Activation.Tanh)]
[BatchNorm(Activation.Silu)]
[Dense(2)]
internal sealed partial class BatchNormed;

[Network]
[Input(2, 5, 5)]
[Conv2D(3, 3, Activation.Tanh)]
[LayerNorm(Activation.GeluTanh)]
[Flatten]
[Dense(2)]
internal sealed partial class LayerNormed;

[Network]
[Input(3, 5, 5)]
[Residual]
[Conv2D(4, 3, Activation.Tanh, PaddingMode = PaddingMode.Same)]
[Conv2D(3, 1)]
[ResidualEnd(Activation.Tanh)]
[Residual]
[Conv2D(3, 3, Activation.Tanh, Padding = 1)]
[ResidualEnd(Activation.Silu)]
[Flatten]
[Dense(2)]
internal sealed partial class ResidualConv;

[Network]
[Input(6)]
[Dense(6, Activation.Tanh)]
[Residual]
[Dense(5, Activation.Tanh)]
[Residual]
[Dense(5, Activation.Tanh)]
[ResidualEnd]
[Dense(6)]
[ResidualEnd(Activation.Tanh)]
[Dense(2)]
internal sealed partial class NestedResidualMlp;

// Batch norm over [2, 2, 2] followed by a dense layer the tests set to the identity, so the
// network's outputs are the batch norm's.
[Network]
[Input(2, 2, 2)]
[BatchNorm(Momentum = 0.25f, Epsilon = 1e-3f)]
[Flatten]
[Dense(8)]
internal sealed partial class BatchNormProbe;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(1, 8, 8)]
[Conv2D(4, 3, Bias = false, PaddingMode = PaddingMode.Same)]
[BatchNorm(Activation.Relu)]
[MaxPool(2)]
[Residual]
[Conv2D(4, 3, Activation.Relu, Padding = 1)]
[ResidualEnd]
[Flatten]
[Dropout(0.25f)]
[Dense(3)]
internal sealed partial class SmallCnn;

[Network]
[Input(4)]
[Dense(6)]
[BatchNorm(Activation.Relu)]
[Dense(2)]
internal sealed partial class DenseBatchNorm;
