using System;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NetGen.Benchmarks;

/// <summary>Adds a samples-per-second column: the batch size over the median time of one training step.</summary>
public sealed class PeerTrainingConfig : PeerBenchmarkConfig
{
    /// <summary>Creates the configuration.</summary>
    public PeerTrainingConfig() => AddColumn(new RateColumn(
        "Samples/s",
        "Training samples per second: batch size over the median time of one step",
        c => RateColumn.IntParameter(c, nameof(PeerTrainingBenchmarks.Batch)),
        unitsPerSecondScale: 1e9));
}

/// <summary>
/// Peer case (c): one SGD step with softmax cross-entropy on the 784 → 128 → 10 ReLU network at
/// batch 32 and 128: NetGen's TrainStep against TorchSharp's forward, cross_entropy, backward and
/// optimizer step on one and on two threads.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(PeerTrainingConfig))]
public class PeerTrainingBenchmarks
{
    // Both sides take the same small step, so the weights stay in a normal range over millions of steps.
    private const float LearningRate = 1e-3f;

    private readonly FashionSmallMlp _network = new(seed: 1);
    private float[] _inputs = [];
    private float[] _oneHotTargets = [];
    private Workspace _workspace = null!;
    private Trainer<FashionSmallMlp> _twoThreadTrainer = null!;
    private Trainer<FashionSmallMlp> _sharedTrainer = null!;
    private NetGen.Data.Dataset _batchData = null!;
    private Sgd _optimizer = null!;
    private Sequential _torchModel = null!;
    private TorchSharp.Modules.SGD _torchOptimizer = null!;
    private Tensor _torchInputs = null!;
    private Tensor _torchLabels = null!;

    /// <summary>Samples per training step.</summary>
    [Params(32, 128)]
    public int Batch { get; set; }

    /// <summary>Prepares both trainers with one thread for TorchSharp.</summary>
    [GlobalSetup]
    public void Setup() => Prepare(torchThreads: 1);

    /// <summary>Prepares both trainers with two threads for TorchSharp.</summary>
    [GlobalSetup(Target = nameof(TorchSharpTwoThreads))]
    public void SetupTwoThreads() => Prepare(torchThreads: 2);

    /// <summary>Releases the native tensors and modules.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _twoThreadTrainer.Dispose();
        _sharedTrainer.Dispose();
        _torchInputs.Dispose();
        _torchLabels.Dispose();
        _torchOptimizer.Dispose();
        _torchModel.Dispose();
    }

    /// <summary>NetGen's generated training step on the calling thread.</summary>
    [Benchmark(Baseline = true, Description = "NetGen TrainStep, 1 thread")]
    public float NetGenOneThread() => _network.TrainStep(_inputs, _oneHotTargets, _optimizer, _workspace);

    /// <summary>
    /// NetGen's data-parallel step: a trainer with two threads fits one epoch of exactly one batch,
    /// so each call is one step plus the trainer's shuffle and batch gather.
    /// </summary>
    [Benchmark(Description = "NetGen Trainer step, 2 threads")]
    public EpochReport NetGenTwoThreads() => _twoThreadTrainer.Fit(_batchData, 1)[0];

    /// <summary>
    /// NetGen's step with the layers shared: a trainer with two threads and one chunk per batch,
    /// whose threads each compute half of the first layer's outputs and of its weight gradient
    /// and step those weights.
    /// </summary>
    [Benchmark(Description = "NetGen Trainer step, 2 threads, shared layers")]
    public EpochReport NetGenSharedLayers() => _sharedTrainer.Fit(_batchData, 1)[0];

    /// <summary>TorchSharp's step with torch.set_num_threads(1).</summary>
    [Benchmark(Description = "TorchSharp step, 1 thread")]
    public float TorchSharpOneThread() => TorchSharpStep();

    /// <summary>TorchSharp's step with torch.set_num_threads(2): both cores of the test machine.</summary>
    [Benchmark(Description = "TorchSharp step, 2 threads")]
    public float TorchSharpTwoThreads() => TorchSharpStep();

    private float TorchSharpStep()
    {
        using var scope = NewDisposeScope();
        _torchOptimizer.zero_grad();
        Tensor logits = _torchModel.forward(_torchInputs);
        Tensor loss = nn.functional.cross_entropy(logits, _torchLabels);
        loss.backward();
        _torchOptimizer.step();
        return loss.item<float>();
    }

    private void Prepare(int torchThreads)
    {
        var random = new Random(5);
        _inputs = new float[Batch * FashionSmallMlp.InputSize];
        for (int i = 0; i < _inputs.Length; i++)
        {
            _inputs[i] = random.NextSingle();
        }

        long[] labels = new long[Batch];
        _oneHotTargets = new float[Batch * FashionSmallMlp.OutputSize];
        for (int s = 0; s < Batch; s++)
        {
            labels[s] = random.Next(FashionSmallMlp.OutputSize);
            _oneHotTargets[(s * FashionSmallMlp.OutputSize) + (int)labels[s]] = 1;
        }

        _workspace = _network.CreateWorkspace(Batch);
        _optimizer = new Sgd(LearningRate);
        _batchData = new NetGen.Data.Dataset((float[])_inputs.Clone(), FashionSmallMlp.InputSize, (float[])_oneHotTargets.Clone(), FashionSmallMlp.OutputSize);
        // Chunks of 64 give each of the two threads one half of a 128-sample batch, as TorchSharp's
        // intra-op threads split it. The default of 32 makes four chunks and a longer gradient sum.
        _twoThreadTrainer = new Trainer<FashionSmallMlp>(new FashionSmallMlp(seed: 1), new Sgd(LearningRate), Batch, threads: 2, chunkSize: 64);
        _sharedTrainer = new Trainer<FashionSmallMlp>(new FashionSmallMlp(seed: 1), new Sgd(LearningRate), Batch, threads: 2, chunkSize: Batch);

        // The model copies the weights before NetGen's first step changes them.
        var stack = new DenseStack([784, 128, 10], [Activation.Relu, Activation.Identity], _network.Parameters.ToArray());
        set_num_threads(torchThreads);
        _torchModel = TorchSharpPeer.CreateModel(stack);
        _torchModel.train();
        _torchOptimizer = optim.SGD(_torchModel.parameters(), LearningRate);
        _torchInputs = tensor(_inputs, [Batch, FashionSmallMlp.InputSize]);
        _torchLabels = tensor(labels);

        float netGenLoss = NetGenOneThread();
        float torchLoss = TorchSharpStep();
        RequireSameLoss(netGenLoss, torchLoss);
    }

    private static void RequireSameLoss(float netGenLoss, float torchLoss)
    {
        // The first step's loss is computed from identical weights, so the two implementations must agree.
        const float LossTolerance = 1e-4f;
        if (!(MathF.Abs(netGenLoss - torchLoss) <= LossTolerance * MathF.Max(1, MathF.Abs(torchLoss))))
        {
            throw new InvalidOperationException(
                $"The first training step's loss is {netGenLoss} in NetGen and {torchLoss} in TorchSharp; they must agree within {LossTolerance} (relative), or the two sides train different models.");
        }
    }
}
