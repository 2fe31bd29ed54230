using System;
using BenchmarkDotNet.Attributes;
using NetGen;
using NetGen.Data;

namespace NetGen.Benchmarks;

/// <summary>
/// Training throughput of <see cref="Trainer{TNetwork}"/> on the Fashion-MNIST MLP
/// (784 → 256 → 128 → 10, ReLU, SGD) over one epoch of 5,120 random samples shaped like
/// Fashion-MNIST: 40 batches of 128 or 160 batches of 32, on one or two threads.
/// </summary>
/// <remarks>
/// Each invocation is one <c>Fit</c> epoch, and <see cref="BenchmarkAttribute.OperationsPerInvoke"/>
/// is the sample count, so the reported mean time is per sample: samples per second is 1 s
/// divided by it. The weights keep training across iterations, which does not change the work of
/// the dense kernels. A batch of 32 in chunks of 32 is a single chunk, so it runs on one thread
/// whatever the thread count. Chunks of 16 let two threads share it.
/// </remarks>
[MemoryDiagnoser]
public class TrainingThroughputBenchmarks
{
    private const int Samples = 5120;

    private Trainer<BenchmarkMlp> _trainer = null!;
    private Dataset _train = null!;

    /// <summary>Threads of the trainer, the calling thread included.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>Samples per training step.</summary>
    [Params(32, 128)]
    public int BatchSize { get; set; }

    /// <summary>Samples per chunk, the unit of work of one thread.</summary>
    [Params(16, 32)]
    public int ChunkSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(3);
        var inputs = new float[Samples * BenchmarkMlp.InputSize];
        var labels = new byte[Samples];
        for (int i = 0; i < inputs.Length; i++)
        {
            inputs[i] = random.NextSingle();
        }

        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = (byte)random.Next(BenchmarkMlp.OutputSize);
        }

        _train = Dataset.ForClassification(inputs, BenchmarkMlp.InputSize, labels, BenchmarkMlp.OutputSize);
        _trainer = new Trainer<BenchmarkMlp>(
            new BenchmarkMlp(seed: 1), new Sgd(learningRate: 0.01f), BatchSize, seed: 2, threads: Threads, chunkSize: ChunkSize);
    }

    [GlobalCleanup]
    public void Cleanup() => _trainer.Dispose();

    [Benchmark(Description = "Trainer epoch, per sample", OperationsPerInvoke = Samples)]
    public TrainingHistory Epoch() => _trainer.Fit(_train, epochs: 1);
}
