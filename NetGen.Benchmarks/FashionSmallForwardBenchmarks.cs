using System;
using BenchmarkDotNet.Attributes;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NetGen.Benchmarks;

/// <summary>
/// Peer case (b): inference of the 784 → 128 → 10 ReLU Fashion-MNIST network at batch 1 and
/// 128, NetGen against ONNX Runtime and TorchSharp with the same weights, all on one thread.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(PeerBenchmarkConfig))]
public class FashionSmallForwardBenchmarks
{
    private readonly FashionSmallMlp _network = new(seed: 1);
    private float[] _inputs = [];
    private float[] _outputs = [];
    private float[] _expected = [];
    private Workspace _workspace = null!;
    private OnnxRuntimePeer _onnx = null!;
    private Sequential _torchModel = null!;
    private Tensor _torchInputs = null!;
    private IDisposable _torchNoGrad = null!;

    /// <summary>Samples per call.</summary>
    [Params(1, 128)]
    public int Batch { get; set; }

    /// <summary>Builds the peers from the NetGen weights and checks that each computes NetGen's outputs.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(4);
        _inputs = new float[Batch * FashionSmallMlp.InputSize];
        for (int i = 0; i < _inputs.Length; i++)
        {
            // Pixel intensities scaled to [0, 1], as the Fashion-MNIST loader returns them.
            _inputs[i] = random.NextSingle();
        }

        _outputs = new float[Batch * FashionSmallMlp.OutputSize];
        _expected = new float[Batch * FashionSmallMlp.OutputSize];
        _workspace = _network.CreateWorkspace(Batch);
        NetGen();
        _outputs.CopyTo(_expected);

        var stack = new DenseStack([784, 128, 10], [Activation.Relu, Activation.Identity], _network.Parameters.ToArray());
        _onnx = new OnnxRuntimePeer(stack, Batch);
        OnnxRuntime();
        OutputCheck.RequireSameOutputs("ONNX Runtime", _expected, _onnx.Output);

        set_num_threads(1);
        _torchNoGrad = no_grad();
        _torchModel = TorchSharpPeer.CreateModel(stack);
        _torchModel.eval();
        _torchInputs = tensor(_inputs, [Batch, FashionSmallMlp.InputSize]);
        TorchSharp();
        OutputCheck.RequireSameOutputs("TorchSharp", _expected, _outputs);
    }

    /// <summary>Releases the native sessions and tensors.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _onnx.Dispose();
        _torchInputs.Dispose();
        _torchModel.Dispose();
        _torchNoGrad.Dispose();
    }

    /// <summary>The single-sample forward pass at batch 1, the batched one with a workspace otherwise.</summary>
    [Benchmark(Baseline = true, Description = "NetGen Forward")]
    public void NetGen()
    {
        if (Batch == 1)
        {
            _network.Forward(_inputs, _outputs);
        }
        else
        {
            _network.Forward(_inputs, _outputs, _workspace);
        }
    }

    /// <summary>Copies the batch into the bound input tensor and runs the session with its IoBinding.</summary>
    [Benchmark(Description = "ONNX Runtime RunWithBinding")]
    public void OnnxRuntime()
    {
        _inputs.CopyTo(_onnx.Input);
        _onnx.Run();
    }

    /// <summary>Runs the Sequential on a preallocated input tensor and copies the outputs out.</summary>
    [Benchmark(Description = "TorchSharp Sequential.forward")]
    public void TorchSharp()
    {
        using var scope = NewDisposeScope();
        Tensor outputs = _torchModel.forward(_torchInputs);
        TorchSharpPeer.CopyTo(outputs, _outputs);
    }
}
