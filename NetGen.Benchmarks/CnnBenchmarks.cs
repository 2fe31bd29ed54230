using System;
using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using NetGen.Data;
using NetGen.Kernels;
using static TorchSharp.torch;

namespace NetGen.Benchmarks;

/// <summary>
/// Groups the cases by category, each with its NetGen case as the baseline, and adds a
/// samples-per-second column.
/// </summary>
public sealed class CnnBenchmarkConfig : PeerBenchmarkConfig
{
    /// <summary>Creates the configuration.</summary>
    public CnnBenchmarkConfig()
    {
        AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByCategory);
        AddColumn(new RateColumn(
            "Samples/s",
            "Samples per second: the samples of one call over the median time of one call",
            c => CnnBenchmarks.SamplesPerCall(c.Descriptor.WorkloadMethod.Name),
            unitsPerSecondScale: 1e9));
    }
}

/// <summary>
/// The sample CNNs side by side with TorchSharp on the same weights and thread count:
/// <see cref="FashionCnn"/> forward at batch 1 and 128 and its training step at batch 128 on one
/// and two threads, and the same training steps for <see cref="LeNet5"/>. Training is softmax
/// cross-entropy with Adam (step size 0.001) on both sides.
/// </summary>
/// <remarks>
/// NetGen's one-thread step is the generated <c>TrainStep</c>. Its two-thread step is a
/// <see cref="Trainer{TNetwork}"/> with two threads fitting one epoch of exactly one batch, so it
/// includes the trainer's shuffle and batch gather. TorchSharp runs zero_grad, forward,
/// cross_entropy, backward and the optimizer step with torch.set_num_threads(1) or (2), and
/// inference under no_grad in evaluation mode. Before anything is timed, the setup checks that
/// both sides compute the same outputs and the same first training loss, with torch given
/// NetGen's dropout mask for that check.
/// </remarks>
[MemoryDiagnoser]
[CategoriesColumn]
[Config(typeof(CnnBenchmarkConfig))]
public class CnnBenchmarks
{
    private const int TrainingBatch = 128;
    private const float LearningRate = 1e-3f;
    private const int ImageSize = 28 * 28;
    private const int Classes = 10;

    private const string FashionForward1 = "FashionCnn forward, batch 1";
    private const string FashionForward128 = "FashionCnn forward, batch 128";
    private const string FashionTrain1 = "FashionCnn training step, batch 128, 1 thread";
    private const string FashionTrain2 = "FashionCnn training step, batch 128, 2 threads";
    private const string LeNetTrain1 = "LeNet-5 training step, batch 128, 1 thread";
    private const string LeNetTrain2 = "LeNet-5 training step, batch 128, 2 threads";

    private float[] _inputs = [];
    private float[] _oneHotTargets = [];
    private float[] _outputs = [];
    private Dataset _batch = null!;
    private Tensor _torchInputs = null!;
    private Tensor _torchInputsOne = null!;
    private Tensor _torchLabels = null!;

    private FashionCnn _fashion = null!;
    private Workspace _fashionWorkspace = null!;
    private Adam _fashionOptimizer = null!;
    private Trainer<FashionCnn> _fashionTrainer = null!;
    private TorchSharpCnnPeer _torchFashion = null!;
    private TorchSharp.Modules.Adam _torchFashionOptimizer = null!;

    private LeNet5 _leNet = null!;
    private Workspace _leNetWorkspace = null!;
    private Adam _leNetOptimizer = null!;
    private Trainer<LeNet5> _leNetTrainer = null!;
    private TorchSharpCnnPeer _torchLeNet = null!;
    private TorchSharp.Modules.Adam _torchLeNetOptimizer = null!;

    /// <summary>Samples that one call of the named benchmark method processes.</summary>
    public static double? SamplesPerCall(string methodName) =>
        methodName.Contains("Batch1", StringComparison.Ordinal) ? 1 : TrainingBatch;

    /// <summary>Prepares every case with one TorchSharp thread.</summary>
    [GlobalSetup]
    public void Setup() => Prepare(torchThreads: 1);

    /// <summary>Prepares every case with two TorchSharp threads.</summary>
    [GlobalSetup(Targets = [nameof(TorchSharpFashionTrainTwoThreads), nameof(TorchSharpLeNetTrainTwoThreads)])]
    public void SetupTwoThreads() => Prepare(torchThreads: 2);

    /// <summary>Stops the trainers' threads and releases the native tensors and modules.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _fashionTrainer.Dispose();
        _leNetTrainer.Dispose();
        _torchFashionOptimizer.Dispose();
        _torchLeNetOptimizer.Dispose();
        _torchFashion.Dispose();
        _torchLeNet.Dispose();
        _torchInputs.Dispose();
        _torchInputsOne.Dispose();
        _torchLabels.Dispose();
    }

    /// <summary>The generated single-sample forward pass.</summary>
    [Benchmark(Baseline = true, Description = "NetGen Forward")]
    [BenchmarkCategory(FashionForward1)]
    public void NetGenFashionForwardBatch1() => _fashion.Forward(_inputs.AsSpan(0, ImageSize), _outputs.AsSpan(0, Classes));

    /// <summary>The model's forward pass on one image under no_grad, outputs copied out.</summary>
    [Benchmark(Description = "TorchSharp forward")]
    [BenchmarkCategory(FashionForward1)]
    public void TorchSharpFashionForwardBatch1() => TorchSharpForward(_torchFashion, _torchInputsOne, _outputs.AsSpan(0, Classes));

    /// <summary>The generated batched forward pass on a workspace, in evaluation mode.</summary>
    [Benchmark(Baseline = true, Description = "NetGen Forward")]
    [BenchmarkCategory(FashionForward128)]
    public void NetGenFashionForward() => _fashion.Forward(_inputs, _outputs, _fashionWorkspace);

    /// <summary>The model's forward pass on the batch under no_grad, outputs copied out.</summary>
    [Benchmark(Description = "TorchSharp forward")]
    [BenchmarkCategory(FashionForward128)]
    public void TorchSharpFashionForward() => TorchSharpForward(_torchFashion, _torchInputs, _outputs);

    /// <summary>The generated training step on the calling thread.</summary>
    [Benchmark(Baseline = true, Description = "NetGen TrainStep")]
    [BenchmarkCategory(FashionTrain1)]
    public float NetGenFashionTrainOneThread() => _fashion.TrainStep(_inputs, _oneHotTargets, _fashionOptimizer, _fashionWorkspace);

    /// <summary>TorchSharp's step with torch.set_num_threads(1).</summary>
    [Benchmark(Description = "TorchSharp step")]
    [BenchmarkCategory(FashionTrain1)]
    public float TorchSharpFashionTrainOneThread() => TorchSharpStep(_torchFashion, _torchFashionOptimizer, null);

    /// <summary>One epoch of one batch through a trainer with two threads.</summary>
    [Benchmark(Baseline = true, Description = "NetGen Trainer step")]
    [BenchmarkCategory(FashionTrain2)]
    public EpochReport NetGenFashionTrainTwoThreads() => _fashionTrainer.Fit(_batch, 1)[0];

    /// <summary>TorchSharp's step with torch.set_num_threads(2).</summary>
    [Benchmark(Description = "TorchSharp step")]
    [BenchmarkCategory(FashionTrain2)]
    public float TorchSharpFashionTrainTwoThreads() => TorchSharpStep(_torchFashion, _torchFashionOptimizer, null);

    /// <summary>The generated training step on the calling thread.</summary>
    [Benchmark(Baseline = true, Description = "NetGen TrainStep")]
    [BenchmarkCategory(LeNetTrain1)]
    public float NetGenLeNetTrainOneThread() => _leNet.TrainStep(_inputs, _oneHotTargets, _leNetOptimizer, _leNetWorkspace);

    /// <summary>TorchSharp's step with torch.set_num_threads(1).</summary>
    [Benchmark(Description = "TorchSharp step")]
    [BenchmarkCategory(LeNetTrain1)]
    public float TorchSharpLeNetTrainOneThread() => TorchSharpStep(_torchLeNet, _torchLeNetOptimizer, null);

    /// <summary>One epoch of one batch through a trainer with two threads.</summary>
    [Benchmark(Baseline = true, Description = "NetGen Trainer step")]
    [BenchmarkCategory(LeNetTrain2)]
    public EpochReport NetGenLeNetTrainTwoThreads() => _leNetTrainer.Fit(_batch, 1)[0];

    /// <summary>TorchSharp's step with torch.set_num_threads(2).</summary>
    [Benchmark(Description = "TorchSharp step")]
    [BenchmarkCategory(LeNetTrain2)]
    public float TorchSharpLeNetTrainTwoThreads() => TorchSharpStep(_torchLeNet, _torchLeNetOptimizer, null);

    private static void TorchSharpForward(TorchSharpCnnPeer peer, Tensor inputs, Span<float> outputs)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor result = peer.Forward(inputs);
        TorchSharpPeer.CopyTo(result, outputs);
    }

    private float TorchSharpStep(TorchSharpCnnPeer peer, TorchSharp.Modules.Adam optimizer, Tensor? dropoutMask)
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        Tensor logits = peer.Forward(_torchInputs, dropoutMask);
        Tensor loss = nn.functional.cross_entropy(logits, _torchLabels);
        loss.backward();
        optimizer.step();
        return loss.item<float>();
    }

    private void Prepare(int torchThreads)
    {
        var random = new Random(6);
        _inputs = new float[TrainingBatch * ImageSize];
        for (int i = 0; i < _inputs.Length; i++)
        {
            // Roughly standardised pixels: the samples standardise Fashion-MNIST to mean 0, variance 1.
            _inputs[i] = (2 * random.NextSingle()) - 1;
        }

        long[] labels = new long[TrainingBatch];
        _oneHotTargets = new float[TrainingBatch * Classes];
        for (int s = 0; s < TrainingBatch; s++)
        {
            labels[s] = random.Next(Classes);
            _oneHotTargets[(s * Classes) + (int)labels[s]] = 1;
        }

        _outputs = new float[TrainingBatch * Classes];
        _batch = new Dataset((float[])_inputs.Clone(), ImageSize, (float[])_oneHotTargets.Clone(), Classes);
        set_num_threads(torchThreads);
        _torchInputs = tensor(_inputs, [TrainingBatch, 1, 28, 28]);
        _torchInputsOne = tensor(_inputs.AsSpan(0, ImageSize).ToArray(), [1, 1, 28, 28]);
        _torchLabels = tensor(labels);

        _fashion = new FashionCnn(seed: 1);
        _fashionWorkspace = _fashion.CreateWorkspace(TrainingBatch);
        _fashionOptimizer = new Adam(LearningRate);
        _fashionTrainer = new Trainer<FashionCnn>(new FashionCnn(seed: 1), new Adam(LearningRate), TrainingBatch, threads: 2);
        _torchFashion = TorchSharpCnnPeer.CreateFashionCnn(_fashion.Parameters);
        _torchFashionOptimizer = optim.Adam(_torchFashion.Parameters, LearningRate);
        RequireSameForward(FashionForward1, _fashion, _torchFashion, 1);
        RequireSameForward(FashionForward128, _fashion, _torchFashion, TrainingBatch);
        _torchFashion.SetTraining(true);
        using (Tensor mask = FirstDropoutMask(128))
        {
            RequireSameLoss(nameof(FashionCnn), NetGenFashionTrainOneThread(), TorchSharpStep(_torchFashion, _torchFashionOptimizer, mask));
        }

        _leNet = new LeNet5(seed: 1);
        _leNetWorkspace = _leNet.CreateWorkspace(TrainingBatch);
        _leNetOptimizer = new Adam(LearningRate);
        _leNetTrainer = new Trainer<LeNet5>(new LeNet5(seed: 1), new Adam(LearningRate), TrainingBatch, threads: 2);
        _torchLeNet = TorchSharpCnnPeer.CreateLeNet5(_leNet.Parameters);
        _torchLeNetOptimizer = optim.Adam(_torchLeNet.Parameters, LearningRate);
        RequireSameForward("LeNet-5 forward", _leNet, _torchLeNet, TrainingBatch);
        _torchLeNet.SetTraining(true);
        RequireSameLoss(nameof(LeNet5), NetGenLeNetTrainOneThread(), TorchSharpLeNetTrainOneThread());
    }

    /// <summary>
    /// Returns the [batch, <paramref name="features"/>] mask that the first training step on a new
    /// workspace draws: the generated code applies dropout to the whole batch in one call, from
    /// the workspace's generator started at <see cref="Workspace.DefaultDropoutSeed"/>.
    /// </summary>
    private static Tensor FirstDropoutMask(int features)
    {
        var random = new DropoutRandom(Workspace.DefaultDropoutSeed);
        var values = new float[TrainingBatch * features];
        var mask = new float[values.Length];
        Array.Fill(values, 1f);
        DropoutKernels.Forward(values, mask, FashionCnn.DropoutProbability, ref random);
        return tensor(mask, [TrainingBatch, features]);
    }

    /// <summary>Throws unless TorchSharp in evaluation mode computes NetGen's outputs for the first <paramref name="batch"/> images.</summary>
    private void RequireSameForward<TNetwork>(string name, TNetwork network, TorchSharpCnnPeer peer, int batch)
        where TNetwork : ITrainableNetwork
    {
        var expected = new float[batch * Classes];
        var actual = new float[batch * Classes];
        ReadOnlySpan<float> inputs = _inputs.AsSpan(0, batch * ImageSize);
        if (batch == 1)
        {
            network.Forward(inputs, expected);
        }
        else
        {
            network.Forward(inputs, expected, network.CreateWorkspace(batch));
        }

        peer.SetTraining(false);
        using (Tensor images = tensor(inputs.ToArray(), [batch, 1, 28, 28]))
        {
            TorchSharpForward(peer, images, actual);
        }

        OutputCheck.RequireSameOutputs("TorchSharp " + name, expected, actual);
    }

    private static void RequireSameLoss(string name, float netGenLoss, float torchLoss)
    {
        // The first step's loss comes from identical weights, inputs and dropout mask.
        const float LossTolerance = 1e-4f;
        if (!(MathF.Abs(netGenLoss - torchLoss) <= LossTolerance * MathF.Max(1, MathF.Abs(torchLoss))))
        {
            throw new InvalidOperationException(
                $"The first training step's loss of {name} is {netGenLoss} in NetGen and {torchLoss} in TorchSharp; they must agree within {LossTolerance} (relative), or the two sides train different models.");
        }
    }
}
