namespace NetGen.Tests.Numerics;

// Networks for the gradient and forward checks: every activation with both losses, on sizes
// that are not multiples of the vector width (1, 3, 7, 9, 31, 33) and on one that is (8).
// The hidden activation also sits on the output layer of the squared-error networks, so the
// output layer's derivative is exercised too.

[Network, Input(1), Dense(3, Activation.Identity), Dense(33, Activation.Identity), Dense(9, Activation.Identity)]
internal sealed partial class SquaredIdentity;

[Network, Input(1), Dense(3, Activation.Relu), Dense(33, Activation.Relu), Dense(9, Activation.Relu)]
internal sealed partial class SquaredRelu;

[Network, Input(1), Dense(3, Activation.Tanh), Dense(33, Activation.Tanh), Dense(9, Activation.Tanh)]
internal sealed partial class SquaredTanh;

[Network, Input(1), Dense(3, Activation.Sigmoid), Dense(33, Activation.Sigmoid), Dense(9, Activation.Sigmoid)]
internal sealed partial class SquaredSigmoid;

[Network, Input(31), Dense(8, Activation.Identity), Dense(1)]
internal sealed partial class SquaredWideIdentity;

[Network, Input(31), Dense(8, Activation.Relu), Dense(1)]
internal sealed partial class SquaredWideRelu;

[Network, Input(31), Dense(8, Activation.Tanh), Dense(1)]
internal sealed partial class SquaredWideTanh;

[Network, Input(31), Dense(8, Activation.Sigmoid), Dense(1)]
internal sealed partial class SquaredWideSigmoid;

[Network(Loss = Loss.SoftmaxCrossEntropy), Input(9), Dense(31, Activation.Identity), Dense(7)]
internal sealed partial class SoftmaxIdentity;

[Network(Loss = Loss.SoftmaxCrossEntropy), Input(9), Dense(31, Activation.Relu), Dense(7)]
internal sealed partial class SoftmaxRelu;

[Network(Loss = Loss.SoftmaxCrossEntropy), Input(9), Dense(31, Activation.Tanh), Dense(7)]
internal sealed partial class SoftmaxTanh;

[Network(Loss = Loss.SoftmaxCrossEntropy), Input(9), Dense(31, Activation.Sigmoid), Dense(7)]
internal sealed partial class SoftmaxSigmoid;

[Network(Loss = Loss.SoftmaxCrossEntropy), Input(33), Dense(1, Activation.Identity), Dense(8, Activation.Identity), Dense(3)]
internal sealed partial class SoftmaxNarrowIdentity;

[Network(Loss = Loss.SoftmaxCrossEntropy), Input(33), Dense(7, Activation.Relu), Dense(8, Activation.Relu), Dense(3)]
internal sealed partial class SoftmaxNarrowRelu;

[Network(Loss = Loss.SoftmaxCrossEntropy), Input(33), Dense(1, Activation.Tanh), Dense(8, Activation.Tanh), Dense(3)]
internal sealed partial class SoftmaxNarrowTanh;

[Network(Loss = Loss.SoftmaxCrossEntropy), Input(33), Dense(1, Activation.Sigmoid), Dense(8, Activation.Sigmoid), Dense(3)]
internal sealed partial class SoftmaxNarrowSigmoid;
