namespace NetGen.Tests.Generator;

// NETGEN0104 warns that ReLU before softmax cross-entropy is unusual; the pragma silences it
// here, and the warnings-as-errors build of this project fails if it does not.
#pragma warning disable NETGEN0104
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(4)]
[Dense(3, Activation.Relu)]
internal sealed partial class PragmaSuppressedNetwork;
#pragma warning restore NETGEN0104
