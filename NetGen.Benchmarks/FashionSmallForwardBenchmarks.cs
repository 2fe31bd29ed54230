using System;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using NetGen.Kernels;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Filters;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NetGen.Benchmarks;

/// <summary>
/// Peer case (b): inference of the 784 → 128 → 10 ReLU Fashion-MNIST network at batch 1 and
/// 128, NetGen against ONNX Runtime and TorchSharp with the same weights, all on one thread.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(FashionSmallForwardConfig))]
public class FashionSmallForwardBenchmarks
{
    private const int HiddenSize = 128;

    private readonly FashionSmallMlp _network = new(seed: 1);
    private float[] _inputs = [];
    private float[] _outputs = [];
    private float[] _expected = [];
    private Workspace _workspace = null!;
    private OnnxRuntimePeer _onnx = null!;
    private Sequential _torchModel = null!;
    private Tensor _torchInputs = null!;
    private IDisposable _torchNoGrad = null!;
    private float[] _previousParameters = [];
    private float[] _previousHidden = [];
    private float[] _packedHidden = [];
    private float[] _packedOutput = [];
    private float[] _packedSampleHidden = [];
    private float[] _packedSampleOutput = [];
    private AlignedBuffer _alignedHidden = null!;
    private AlignedBuffer _alignedOutput = null!;

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

        _previousParameters = _network.Parameters.ToArray();
        _previousHidden = new float[Batch * HiddenSize];
        PreviousNetGen();
        OutputCheck.RequireSameOutputs("Previous NetGen dense path", _expected, _outputs);

        _packedHidden = new float[SampleKernels.PackedLength(FashionSmallMlp.InputSize, HiddenSize)];
        _packedOutput = new float[SampleKernels.PackedLength(HiddenSize, FashionSmallMlp.OutputSize)];
        SampleKernels.Pack(_network.Dense1Weight, _network.Dense1Bias, _packedHidden, FashionSmallMlp.InputSize, HiddenSize);
        SampleKernels.Pack(_network.Dense2Weight, _network.Dense2Bias, _packedOutput, HiddenSize, FashionSmallMlp.OutputSize);
        _packedSampleHidden = new float[HiddenSize];
        _packedSampleOutput = new float[SampleKernels.PaddedWidth(FashionSmallMlp.OutputSize)];
        PackedSampleKernel();
        OutputCheck.RequireSameOutputs("Packed sample kernel", _expected, _outputs);
        // On 64-byte boundaries, as the network keeps its own: a 512-bit load that straddles two
        // cache lines costs two, and unaligned copies read at about half the rate.
        _alignedHidden = new AlignedBuffer(_packedHidden.Length);
        _alignedOutput = new AlignedBuffer(_packedOutput.Length);
        _packedHidden.CopyTo(_alignedHidden.Span);
        _packedOutput.CopyTo(_alignedOutput.Span);
        RequireWeightSum();
    }

    /// <summary>
    /// Throws unless <see cref="WeightRead.Sum"/> adds every value exactly once. It sums arrays of
    /// ones as long as the two weight arrays and around the end of its vector blocks. Each such sum
    /// is exact in float, so one skipped or repeated value changes it.
    /// </summary>
    private void RequireWeightSum()
    {
        foreach (int length in new[] { _alignedHidden.Length, _alignedOutput.Length, 127, 128, 129, 143, 1 })
        {
            float[] ones = Enumerable.Repeat(1f, length).ToArray();
            float sum = WeightRead.Sum(ones);
            if (sum != length)
            {
                throw new InvalidOperationException($"The weight-read floor summed {length} ones to {sum}: it skipped or repeated values.");
            }
        }
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

    /// <summary>
    /// The 256-bit row-major dense kernel that NetGen used at every batch size before the 512-bit
    /// single-sample path, with the ReLU between the layers. At batch 128 it is the current path.
    /// </summary>
    [Benchmark(Description = "NetGen previous dense path")]
    public void PreviousNetGen()
    {
        ref float p = ref MemoryMarshal.GetArrayDataReference(_previousParameters);
        ref float x = ref MemoryMarshal.GetArrayDataReference(_inputs);
        ref float h = ref MemoryMarshal.GetArrayDataReference(_previousHidden);
        ref float y = ref MemoryMarshal.GetArrayDataReference(_outputs);
        const int inputs = FashionSmallMlp.InputSize;
        const int outputs = FashionSmallMlp.OutputSize;
        const int hiddenBias = inputs * HiddenSize;
        const int outputWeight = hiddenBias + HiddenSize;
        DenseKernels.ForwardCore<Vector256Fma, Vector256<float>>(ref x, ref p, ref Unsafe.Add(ref p, hiddenBias), ref h, Batch, inputs, HiddenSize);
        ActivationKernels.Relu(_previousHidden);
        DenseKernels.ForwardCore<Vector256Fma, Vector256<float>>(ref h, ref Unsafe.Add(ref p, outputWeight),
            ref Unsafe.Add(ref p, outputWeight + (HiddenSize * outputs)), ref y, Batch, HiddenSize, outputs);
    }

    /// <summary>
    /// The packed-weight sample kernel called directly, one sample after another. At batch 1 it
    /// is what Forward runs once the packed copy is current. At batch 128 it shows what the
    /// batched GEMM gains over repeated single-sample calls.
    /// </summary>
    [Benchmark(Description = "SampleKernels on packed weights")]
    public void PackedSampleKernel()
    {
        for (int b = 0; b < Batch; b++)
        {
            SampleKernels.Forward<SampleActivations.Relu>(ref _packedHidden[0], ref _inputs[b * FashionSmallMlp.InputSize], ref _packedSampleHidden[0],
                FashionSmallMlp.InputSize, HiddenSize);
            SampleKernels.Forward<SampleActivations.Identity>(ref _packedOutput[0], ref _packedSampleHidden[0], ref _packedSampleOutput[0],
                HiddenSize, FashionSmallMlp.OutputSize);
            _packedSampleOutput.AsSpan(0, FashionSmallMlp.OutputSize).CopyTo(_outputs.AsSpan(b * FashionSmallMlp.OutputSize));
        }
    }

    /// <summary>
    /// Reads both layers' packed weights once and sums them, with no other arithmetic. A float32
    /// forward pass at batch 1 must read these 410 KB from L2 on every call, so this estimates its
    /// floor, measured in the same process as the peers. Only the batch-1 case runs. NOTE: it is
    /// an estimate, not a bound: on an AMD EPYC (Zen 4) NetGen's forward pass measured 3 % below it.
    /// </summary>
    [Benchmark(Description = "Weight read from L2, no arithmetic (floor)")]
    public float WeightReadFloor() => WeightRead.Sum(_alignedHidden.Span) + WeightRead.Sum(_alignedOutput.Span);

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

/// <summary>Leaves out the weight-read floor at batch 128, where it would repeat the batch-1 figure.</summary>
public sealed class FashionSmallForwardConfig : PeerBenchmarkConfig
{
    /// <summary>Creates the configuration.</summary>
    public FashionSmallForwardConfig() => AddFilter(new SimpleFilter(c =>
        c.Descriptor.WorkloadMethod.Name != nameof(FashionSmallForwardBenchmarks.WeightReadFloor) ||
        Equals(c.Parameters[nameof(FashionSmallForwardBenchmarks.Batch)], 1)));
}
