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
