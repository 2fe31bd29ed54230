using System;
using BenchmarkDotNet.Attributes;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NetGen.Benchmarks;

/// <summary>
/// Peer case (a): one sample through the 4 → 32 → 32 → 2 tanh control network, the latency
/// that a control loop pays per step. NetGen against ONNX Runtime, TorchSharp, a plain C#
/// loop and NetGen's previous row-major sample path, all with the same weights and on one thread.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(PeerBenchmarkConfig))]
public class TinyForwardBenchmarks
{
    private readonly TinyControlNet _network = new(seed: 1);
    private readonly float[] _input = new float[TinyControlNet.InputSize];
    private readonly float[] _output = new float[TinyControlNet.OutputSize];
    private readonly float[] _expected = new float[TinyControlNet.OutputSize];
    private OnnxRuntimePeer _onnx = null!;
    private Sequential _torchModel = null!;
    private Tensor _torchInput = null!;
    private IDisposable _torchNoGrad = null!;
    private PlainDenseForward _plain = null!;
    private PreviousSampleForward _previous = null!;

    /// <summary>Builds every peer from the NetGen weights and checks that each computes NetGen's outputs.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(3);
        for (int i = 0; i < _input.Length; i++)
        {
            _input[i] = (random.NextSingle() * 2) - 1;
        }

        var stack = new DenseStack([4, 32, 32, 2], [Activation.Tanh, Activation.Tanh, Activation.Identity], _network.Parameters.ToArray());
        _network.Forward(_input, _expected);

        _onnx = new OnnxRuntimePeer(stack, batch: 1);
        OnnxRuntime();
        OutputCheck.RequireSameOutputs("ONNX Runtime", _expected, _onnx.Output);

        // no_grad stays open for the whole run, on the thread that also runs the benchmark.
        set_num_threads(1);
        _torchNoGrad = no_grad();
        _torchModel = TorchSharpPeer.CreateModel(stack);
        _torchModel.eval();
        _torchInput = tensor(_input, [1, TinyControlNet.InputSize]);
        TorchSharp();
        OutputCheck.RequireSameOutputs("TorchSharp", _expected, _output);

        _plain = new PlainDenseForward(stack);
        PlainCSharp();
        OutputCheck.RequireSameOutputs("Plain C#", _expected, _output);

        _previous = new PreviousSampleForward(stack);
        PreviousNetGen();
        OutputCheck.RequireSameOutputs("Previous NetGen sample path", _expected, _output);
    }

    /// <summary>Releases the native sessions and tensors.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _onnx.Dispose();
        _torchInput.Dispose();
        _torchModel.Dispose();
        _torchNoGrad.Dispose();
    }

    /// <summary>The generated single-sample forward pass.</summary>
    [Benchmark(Baseline = true, Description = "NetGen Forward")]
    public void NetGen() => _network.Forward(_input, _output);

    /// <summary>Copies the sample into the bound input tensor and runs the session with its IoBinding.</summary>
    [Benchmark(Description = "ONNX Runtime RunWithBinding")]
    public void OnnxRuntime()
    {
        _input.CopyTo(_onnx.Input);
        _onnx.Run();
    }

    /// <summary>
    /// Runs the Sequential on a preallocated input tensor and copies the outputs out. The input
    /// tensor is created once from the same values, so this does not count copying a new sample in.
    /// </summary>
    [Benchmark(Description = "TorchSharp Sequential.forward")]
    public void TorchSharp()
    {
        using var scope = NewDisposeScope();
        Tensor output = _torchModel.forward(_torchInput);
        TorchSharpPeer.CopyTo(output, _output);
    }

    /// <summary>Scalar loops over the same weights.</summary>
    [Benchmark(Description = "Plain C# loops")]
    public void PlainCSharp() => _plain.Forward(_input, _output);

    /// <summary>The single-sample path that NetGen generated before packed weights, on the same weights.</summary>
    [Benchmark(Description = "NetGen previous sample path")]
    public void PreviousNetGen() => _previous.Forward(_input, _output);
}
