using NetGen;

namespace NetGen.Benchmarks;

// Networks that the peer benchmarks compare with ONNX Runtime, TorchSharp and SimpleChains.jl.
// The generator emits their code when this project builds.

/// <summary>A small control policy: 4 → 32 → 32 → 2, tanh hidden layers, identity output.</summary>
[Network]
[Input(4)]
[Dense(32, Activation.Tanh)]
[Dense(32, Activation.Tanh)]
[Dense(2)]
public sealed partial class TinyControlNet;

/// <summary>A one-hidden-layer Fashion-MNIST classifier: 784 → 128 → 10, ReLU, softmax cross-entropy.</summary>
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(28 * 28)]
[Dense(128, Activation.Relu)]
[Dense(10)]
public sealed partial class FashionSmallMlp;

/// <summary>SimpleChains.jl's first README example: 24 → 8 (tanh) → 2, squared loss.</summary>
[Network]
[Input(24)]
[Dense(8, Activation.Tanh)]
[Dense(2)]
public sealed partial class SimpleChainsSmallNet;

/// <summary>SimpleChains.jl's full-batch Adam example: 4 → 32 (tanh) → 16 (tanh) → 4, squared loss.</summary>
[Network]
[Input(4)]
[Dense(32, Activation.Tanh)]
[Dense(16, Activation.Tanh)]
[Dense(4)]
public sealed partial class SimpleChainsAdamNet;
