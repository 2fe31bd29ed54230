namespace NetGen.Tests.Numerics;

// Networks for the gradient checks of the full toolkit: every activation beyond the first four
// with squared error and with softmax cross-entropy, every loss, and weight penalties. Sizes
// avoid multiples of the vector width except where noted.

[Network, Input(7), Dense(9, Activation.LeakyRelu, Alpha = 0.1f), Dense(3, Activation.LeakyRelu, Alpha = 0.1f)]
internal sealed partial class SquaredLeakyRelu;

[Network, Input(7), Dense(9, Activation.Elu, Alpha = 0.7f), Dense(3, Activation.Elu, Alpha = 0.7f)]
internal sealed partial class SquaredElu;

[Network, Input(7), Dense(9, Activation.LeCunTanh), Dense(3, Activation.LeCunTanh)]
internal sealed partial class SquaredLeCunTanh;

[Network, Input(7), Dense(9, Activation.Softsign), Dense(3, Activation.Softsign)]
internal sealed partial class SquaredSoftsign;

[Network, Input(7), Dense(9, Activation.Softplus), Dense(3, Activation.Softplus)]
internal sealed partial class SquaredSoftplus;

[Network, Input(7), Dense(9, Activation.Silu), Dense(3, Activation.Silu)]
internal sealed partial class SquaredSilu;

[Network, Input(7), Dense(9, Activation.GeluErf), Dense(3, Activation.GeluErf)]
internal sealed partial class SquaredGeluErf;

[Network, Input(7), Dense(9, Activation.GeluTanh), Dense(3, Activation.GeluTanh)]
internal sealed partial class SquaredGeluTanh;

[Network, Input(7), Dense(9, Activation.Softmax), Dense(3, Activation.Softmax)]
internal sealed partial class SquaredSoftmax;

[Network(Loss = Loss.SoftmaxCrossEntropy), Input(3), Dense(33, Activation.LeakyRelu), Dense(8)]
internal sealed partial class SoftmaxLeakyRelu;

[Network(Loss = Loss.SoftmaxCrossEntropy), Input(3), Dense(33, Activation.Elu), Dense(8)]
internal sealed partial class SoftmaxElu;

[Network(Loss = Loss.SoftmaxCrossEntropy), Input(3), Dense(33, Activation.LeCunTanh), Dense(8)]
internal sealed partial class SoftmaxLeCunTanh;

[Network(Loss = Loss.SoftmaxCrossEntropy), Input(3), Dense(33, Activation.Softsign), Dense(8)]
internal sealed partial class SoftmaxSoftsign;

[Network(Loss = Loss.SoftmaxCrossEntropy), Input(3), Dense(33, Activation.Softplus), Dense(8)]
internal sealed partial class SoftmaxSoftplus;

[Network(Loss = Loss.SoftmaxCrossEntropy), Input(3), Dense(33, Activation.Silu), Dense(8)]
internal sealed partial class SoftmaxSilu;

[Network(Loss = Loss.SoftmaxCrossEntropy), Input(3), Dense(33, Activation.GeluErf), Dense(8)]
internal sealed partial class SoftmaxGeluErf;

[Network(Loss = Loss.SoftmaxCrossEntropy), Input(3), Dense(33, Activation.GeluTanh), Dense(8)]
internal sealed partial class SoftmaxGeluTanh;

[Network(Loss = Loss.SoftmaxCrossEntropy), Input(3), Dense(33, Activation.Softmax), Dense(8)]
internal sealed partial class SoftmaxSoftmax;

[Network(Loss = Loss.MeanSquaredError), Input(5), Dense(9, Activation.Tanh), Dense(3)]
internal sealed partial class MeanSquaredNetwork;

[Network(Loss = Loss.AbsoluteError), Input(5), Dense(9, Activation.Tanh), Dense(3)]
internal sealed partial class AbsoluteNetwork;

[Network(Loss = Loss.Huber, HuberDelta = 0.3f), Input(5), Dense(9, Activation.Tanh), Dense(3)]
internal sealed partial class HuberNetwork;

[Network(Loss = Loss.BinaryCrossEntropyWithLogits), Input(5), Dense(9, Activation.Tanh), Dense(4)]
internal sealed partial class BinaryNetwork;

[Network(Loss = Loss.SoftmaxCrossEntropy, LabelSmoothing = 0.1f, ClassWeights = new[] { 1f, 2f, 0.5f, 3f, 1f }), Input(5), Dense(9, Activation.Tanh), Dense(5)]
internal sealed partial class SmoothedWeightedNetwork;

[Network, Input(5), Dense(9, Activation.Tanh, L1 = 0.01f, L2 = 0.1f), Dense(3, L2 = 0.05f)]
internal sealed partial class PenalisedNetwork;
