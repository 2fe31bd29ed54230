using System;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;

namespace NetGen.Benchmarks;

/// <summary>Adds a GFLOP/s column for the SimpleChains.jl cases.</summary>
public sealed class SimpleChainsConfig : PeerBenchmarkConfig
{
    /// <summary>Creates the configuration.</summary>
    public SimpleChainsConfig() => AddColumn(new RateColumn(
        "GFLOP/s",
        "Billions of floating-point operations per second: forward 2·Σ in·out per sample, backward counted as twice the forward",
        SimpleChainsBenchmarks.FlopsPerCall,
        unitsPerSecondScale: 1));
}

/// <summary>
/// Peer case (d): the two examples that SimpleChains.jl publishes timings for, so NetGen can be
/// put next to them. (i) One gradient of the squared loss of 24 → 8 (tanh) → 2 over 200
/// samples. (ii) One full-batch Adam epoch of 4 → 32 (tanh) → 16 (tanh) → 4 over 10,000
/// samples; docs/benchmarks.md extrapolates it to SimpleChains' 10,000 epochs.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(SimpleChainsConfig))]
public class SimpleChainsBenchmarks
{
    private const int SmallSamples = 200;
    private const int AdamSamples = 10_000;
    private const int TiledChunkSize = 1_250;

    private readonly SimpleChainsSmallNet _small = new(seed: 1);
    private readonly SimpleChainsAdamNet _adamNetwork = new(seed: 1);
    private float[] _smallInputs = [];
    private float[] _smallTargets = [];
    private float[] _smallOutputs = [];
    private Workspace _smallWorkspace = null!;
    private float[] _adamInputs = [];
    private float[] _adamTargets = [];
    private float[] _adamOutputs = [];
    private Workspace _adamWorkspace = null!;
    private Adam _adam = null!;
    private Trainer<SimpleChainsAdamNet> _twoThreadTrainer = null!;
    private Trainer<SimpleChainsAdamNet> _oneThreadTiledTrainer = null!;
    private NetGen.Data.Dataset _adamData = null!;

    /// <summary>
    /// Floating-point operations of one call of a case: 3 × forward (the backward pass counted
    /// as two forwards, for the input and the weight gradients) per sample; the Adam update's
    /// few operations per parameter are left out.
    /// </summary>
    public static double? FlopsPerCall(BenchmarkCase benchmarkCase) => benchmarkCase.Descriptor.WorkloadMethod.Name switch
    {
        nameof(Gradient24x8x2Batch200) => 3 * ForwardFlops([24, 8, 2]) * SmallSamples,
        nameof(AdamEpoch4x32x16x4Batch10000) or nameof(AdamEpochTwoThreads) or nameof(AdamEpochOneThreadTiled) => 3 * ForwardFlops([4, 32, 16, 4]) * AdamSamples,
        _ => null,
    };

    /// <summary>Fills inputs and targets uniformly in [−1, 1) from fixed seeds.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(6);
        _smallInputs = Fill(random, SmallSamples * SimpleChainsSmallNet.InputSize);
        _smallTargets = Fill(random, SmallSamples * SimpleChainsSmallNet.OutputSize);
        _smallOutputs = new float[SmallSamples * SimpleChainsSmallNet.OutputSize];
        _smallWorkspace = _small.CreateWorkspace(SmallSamples);

        _adamInputs = Fill(random, AdamSamples * SimpleChainsAdamNet.InputSize);
        _adamTargets = Fill(random, AdamSamples * SimpleChainsAdamNet.OutputSize);
        _adamOutputs = new float[AdamSamples * SimpleChainsAdamNet.OutputSize];
        _adamWorkspace = _adamNetwork.CreateWorkspace(AdamSamples);
        _adam = new Adam(learningRate: 1e-3f);

        // One batch of all 10,000 samples, split into one chunk of 5,000 per thread.
        _adamData = new NetGen.Data.Dataset((float[])_adamInputs.Clone(), SimpleChainsAdamNet.InputSize, (float[])_adamTargets.Clone(), SimpleChainsAdamNet.OutputSize);
        _twoThreadTrainer = new Trainer<SimpleChainsAdamNet>(new SimpleChainsAdamNet(seed: 1), new Adam(learningRate: 1e-3f), AdamSamples, threads: 2, chunkSize: AdamSamples / 2);

        // Chunks of 1,250 samples keep a chunk's activations (about 0.6 MB) in a 1 or 2 MB L2 cache.
        // With two threads they measured slower than one chunk per thread (333 against 320 µs on
        // an Intel Xeon, in a throwaway harness), so only the one-thread case runs in chunks.
        _oneThreadTiledTrainer = new Trainer<SimpleChainsAdamNet>(new SimpleChainsAdamNet(seed: 1), new Adam(learningRate: 1e-3f), AdamSamples, threads: 1, chunkSize: TiledChunkSize);
    }

    /// <summary>Stops the trainer's worker thread.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _twoThreadTrainer.Dispose();
        _oneThreadTiledTrainer.Dispose();
    }

    /// <summary>(i) The gradient of the mean squared loss over 200 samples: zero, forward, backward.</summary>
    [Benchmark(Description = "24→8→2 gradient, 200 samples")]
    public float Gradient24x8x2Batch200()
    {
        _smallWorkspace.ZeroGradients();
        _small.Forward(_smallInputs, _smallOutputs, _smallWorkspace);
        return _small.Backward(_smallInputs, _smallTargets, _smallWorkspace);
    }

    /// <summary>(ii) One full-batch epoch: the gradient over 10,000 samples and one Adam step.</summary>
    [Benchmark(Description = "4→32→16→4 Adam epoch, 10,000 samples")]
    public float AdamEpoch4x32x16x4Batch10000()
    {
        _adamWorkspace.ZeroGradients();
        _adamNetwork.Forward(_adamInputs, _adamOutputs, _adamWorkspace);
        float loss = _adamNetwork.Backward(_adamInputs, _adamTargets, _adamWorkspace);
        _adam.Step(_adamNetwork.Parameters, _adamWorkspace.Gradients);
        return loss;
    }

    /// <summary>
    /// (ii) on both cores: a trainer with two threads fits one epoch of one full batch, each
    /// thread computing the gradient of half the samples, then one Adam step.
    /// </summary>
    [Benchmark(Description = "4→32→16→4 Adam epoch, 10,000 samples, 2 threads")]
    public EpochReport AdamEpochTwoThreads() => _twoThreadTrainer.Fit(_adamData, 1)[0];

    /// <summary>
    /// (ii) through a one-thread trainer that runs the batch in chunks of 1,250 samples and sums
    /// their gradients: the same epoch, with each chunk's activations kept in the L2 cache.
    /// </summary>
    [Benchmark(Description = "4→32→16→4 Adam epoch, 10,000 samples, 1 thread, chunks of 1,250")]
    public EpochReport AdamEpochOneThreadTiled() => _oneThreadTiledTrainer.Fit(_adamData, 1)[0];

    private static double ForwardFlops(int[] sizes)
    {
        double flops = 0;
        for (int l = 0; l + 1 < sizes.Length; l++)
        {
            flops += 2.0 * sizes[l] * sizes[l + 1];
        }

        return flops;
    }

    private static float[] Fill(Random random, int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (random.NextSingle() * 2) - 1;
        }

        return values;
    }
}
