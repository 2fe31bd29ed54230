using System;
using BenchmarkDotNet.Attributes;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NetGen.Benchmarks;

/// <summary>
/// One SGD step with momentum 0.9 on the 101,770 parameters of 784 → 128 → 10, NetGen's against
/// torch.optim.SGD's on one thread. With <see cref="DeadParameters"/> set, 30 % of the parameters
/// have had a zero gradient for 1,000 steps, as the weights of ReLU units that never fire do, so
/// their momentum buffers have decayed below 2⁻¹²⁶. NetGen stores those as 0; PyTorch keeps
/// them subnormal, and Intel cores compute subnormals in microcode.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(PeerBenchmarkConfig))]
public class OptimizerStepBenchmarks
{
    private const int Length = 101_770;
    private const float LearningRate = 1e-3f;
    private const float Momentum = 0.9f;
    private const int DecaySteps = 1_000;

    private float[] _parameters = [];
    private float[] _gradients = [];
    private Sgd _sgd = null!;
    private Parameter _torchParameters = null!;
    private SGD _torchSgd = null!;

    /// <summary>Whether 30 % of the gradients are 0 and have been for <see cref="DecaySteps"/> steps.</summary>
    [Params(false, true)]
    public bool DeadParameters { get; set; }

    /// <summary>Runs both optimizers for 1 + <see cref="DecaySteps"/> steps and checks that they agree.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(3);
        _parameters = new float[Length];
        float[] firstGradients = new float[Length];
        _gradients = new float[Length];
        for (int i = 0; i < Length; i++)
        {
            _parameters[i] = (random.NextSingle() - 0.5f) * 0.1f;
            firstGradients[i] = (random.NextSingle() - 0.5f) * 1e-2f;
            bool dead = DeadParameters && random.NextDouble() < 0.3;
            _gradients[i] = dead ? 0f : firstGradients[i];
        }

        set_num_threads(1);
        _torchParameters = new Parameter(tensor(_parameters));
        _torchSgd = optim.SGD([_torchParameters], LearningRate, momentum: Momentum);
        _sgd = new Sgd(LearningRate, Momentum);

        // The first step fills every momentum buffer; the dead ones then decay. Without dead
        // parameters the same steps move all but a few parameters beyond the check's tolerance,
        // so a side that skipped its steps fails the check in both cases.
        TakeSteps(firstGradients, 1);
        TakeSteps(_gradients, DecaySteps);
        RequireSameParameters();
    }

    /// <summary>Releases the native tensors.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _torchSgd.Dispose();
        _torchParameters.Dispose();
    }

    /// <summary>NetGen's SGD step with momentum.</summary>
    [Benchmark(Baseline = true, Description = "NetGen Sgd.Step, momentum 0.9")]
    public void NetGenStep() => _sgd.Step(_parameters, _gradients);

    /// <summary>torch.optim.SGD's step with momentum on the same values.</summary>
    [Benchmark(Description = "TorchSharp SGD.step, momentum 0.9, 1 thread")]
    public void TorchSharpStep() => _torchSgd.step();

    private void RequireSameParameters()
    {
        // Both sides must have taken the same steps, or the benchmark compares different work.
        var torchValues = new float[Length];
        TorchSharpPeer.CopyTo(_torchParameters, torchValues);
        for (int i = 0; i < Length; i++)
        {
            if (!(MathF.Abs(torchValues[i] - _parameters[i]) <= 1e-5f))
            {
                throw new InvalidOperationException(
                    $"Parameter {i} is {_parameters[i]} in NetGen and {torchValues[i]} in TorchSharp after the same steps. Check that both optimizers take the same hyperparameters.");
            }
        }
    }

    private void TakeSteps(float[] gradients, int steps)
    {
        using (Tensor gradient = tensor(gradients))
        {
            _torchParameters.grad = gradient.clone();
        }

        for (int s = 0; s < steps; s++)
        {
            _sgd.Step(_parameters, gradients);
            _torchSgd.step();
        }
    }
}
