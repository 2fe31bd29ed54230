using System;
using BenchmarkDotNet.Attributes;
using NetGen;

namespace NetGen.Benchmarks;

/// <summary>The Fashion-MNIST MLP of the samples: 784 → 256 → 128 → 10, ReLU, softmax cross-entropy.</summary>
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(28 * 28)]
[Dense(256, Activation.Relu)]
[Dense(128, Activation.Relu)]
[Dense(10)]
public sealed partial class BenchmarkMlp;

/// <summary>
/// Forward at batch 1 and 128 and one SGD training step at batch 128, for the generated network
/// and for a straightforward C# implementation of the same network with the same weights.
/// </summary>
[MemoryDiagnoser]
public class FashionMlpBenchmarks
{
    private const int Batch = 128;

    private readonly BenchmarkMlp _network = new(seed: 1);
    private readonly float[] _inputs = new float[Batch * BenchmarkMlp.InputSize];
    private readonly float[] _targets = new float[Batch * BenchmarkMlp.OutputSize];
    private readonly float[] _outputs = new float[Batch * BenchmarkMlp.OutputSize];
    private Workspace _workspace = null!;
    private Sgd _optimizer = null!;
    private PlainMlp _plain = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(2);
        for (int i = 0; i < _inputs.Length; i++)
        {
            _inputs[i] = random.NextSingle();
        }

        for (int s = 0; s < Batch; s++)
        {
            _targets[(s * BenchmarkMlp.OutputSize) + random.Next(BenchmarkMlp.OutputSize)] = 1;
        }

        _workspace = _network.CreateWorkspace(Batch);

        // A learning rate of zero keeps the weights fixed, so every iteration does the same work.
        _optimizer = new Sgd(learningRate: 0f);
        _plain = new PlainMlp(_network.Parameters.ToArray(), 784, 256, 128, 10);
    }

    [Benchmark(Description = "NetGen Forward, batch 1")]
    public void Forward1() => _network.Forward(_inputs.AsSpan(0, BenchmarkMlp.InputSize), _outputs.AsSpan(0, BenchmarkMlp.OutputSize));

    [Benchmark(Description = "Plain C# forward, batch 1")]
    public void PlainForward1() => _plain.Forward(_inputs.AsSpan(0, BenchmarkMlp.InputSize), _outputs.AsSpan(0, BenchmarkMlp.OutputSize), 1);

    [Benchmark(Description = "NetGen Forward, batch 128")]
    public void Forward128() => _network.Forward(_inputs, _outputs, _workspace);

    [Benchmark(Description = "Plain C# forward, batch 128")]
    public void PlainForward128() => _plain.Forward(_inputs, _outputs, Batch);

    [Benchmark(Description = "NetGen TrainStep (SGD), batch 128")]
    public float TrainStep128() => _network.TrainStep(_inputs, _targets, _optimizer, _workspace);
}
