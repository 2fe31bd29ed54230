using System;
using System.Linq;

namespace NetGen.Tests.Numerics;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(28 * 28)]
[Dense(64, Activation.Relu)]
[Dense(33, Activation.Tanh)]
[Dense(10)]
internal sealed partial class AllocationProbe;

/// <summary>A tanh network with squared error, where an infinite input saturates to a finite loss.</summary>
[Network]
[Input(4)]
[Dense(8, Activation.Tanh)]
[Dense(2)]
internal sealed partial class SaturatingTanh;

public class AllocationAndDeterminismTests
{
    private const int Batch = 16;

    private static (float[] Inputs, float[] Targets) MakeBatch(int seed)
    {
        var random = new Random(seed);
        float[] inputs = Enumerable.Range(0, Batch * AllocationProbe.InputSize).Select(_ => random.NextSingle()).ToArray();
        var targets = new float[Batch * AllocationProbe.OutputSize];
        for (int s = 0; s < Batch; s++)
        {
            targets[(s * AllocationProbe.OutputSize) + random.Next(AllocationProbe.OutputSize)] = 1;
        }

        return (inputs, targets);
    }

    [Fact]
    public void SingleSampleForward_AllocatesNothing()
    {
        var network = new AllocationProbe(1);
        var (inputs, _) = MakeBatch(2);
        var output = new float[AllocationProbe.OutputSize];
        ReadOnlySpan<float> input = inputs.AsSpan(0, AllocationProbe.InputSize);
        network.Forward(input, output);

        Assert.Equal(0, SteadyAllocation.MedianBytes(() =>
        {
            for (int i = 0; i < 10; i++)
            {
                network.Forward(inputs.AsSpan(0, AllocationProbe.InputSize), output);
                network.Predict(inputs.AsSpan(0, AllocationProbe.InputSize));
            }
        }));
    }

    [Fact]
    public void BatchForward_AllocatesNothing()
    {
        var network = new AllocationProbe(1);
        var (inputs, _) = MakeBatch(2);
        Workspace workspace = network.CreateWorkspace(Batch);
        var outputs = new float[Batch * AllocationProbe.OutputSize];
        network.Forward(inputs, outputs, workspace);

        Assert.Equal(0, SteadyAllocation.MedianBytes(() =>
        {
            for (int i = 0; i < 10; i++)
            {
                network.Forward(inputs, outputs, workspace);
            }
        }));
    }

    [Theory]
    [InlineData("sgd")]
    [InlineData("adam")]
    public void TrainStep_AllocatesNothing(string optimizerName)
    {
        var network = new AllocationProbe(1);
        var (inputs, targets) = MakeBatch(2);
        Workspace workspace = network.CreateWorkspace(Batch);
        IOptimizer optimizer = optimizerName == "sgd" ? new Sgd(0.01f, momentum: 0.9f, nesterov: true) : new Adam(1e-3f);

        // The first step allocates the optimizer's state, once. The later warm-up steps let the
        // JIT finish its tiers; SteadyAllocation explains the three measured runs.
        for (int i = 0; i < 50; i++)
        {
            network.TrainStep(inputs, targets, optimizer, workspace);
        }

        long allocated = SteadyAllocation.MedianBytes(() =>
        {
            for (int i = 0; i < 10; i++)
            {
                network.TrainStep(inputs, targets, optimizer, workspace);
            }
        });

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void SameSeed_GivesBitIdenticalTrainedWeights()
    {
        float[] first = Train(seed: 7);
        float[] second = Train(seed: 7);
        float[] other = Train(seed: 8);

        Assert.Equal(BitConverter.SingleToInt32Bits(first[0]), BitConverter.SingleToInt32Bits(second[0]));
        Assert.True(first.Select(BitConverter.SingleToInt32Bits).SequenceEqual(second.Select(BitConverter.SingleToInt32Bits)),
            "two runs with the same seed must give bit-identical weights");
        Assert.False(first.SequenceEqual(other), "a different seed must give different weights");
    }

    private static float[] Train(int seed)
    {
        var network = new AllocationProbe(seed);
        var (inputs, targets) = MakeBatch(seed);
        Workspace workspace = network.CreateWorkspace(Batch);
        var optimizer = new Adam(1e-3f);
        for (int step = 0; step < 20; step++)
        {
            network.TrainStep(inputs, targets, optimizer, workspace);
        }

        return network.Parameters.ToArray();
    }

    [Fact]
    public void TrainStep_LowersLoss()
    {
        var network = new AllocationProbe(3);
        var (inputs, targets) = MakeBatch(3);
        Workspace workspace = network.CreateWorkspace(Batch);
        var optimizer = new Sgd(0.1f);
        float first = network.TrainStep(inputs, targets, optimizer, workspace);
        float last = first;
        for (int step = 0; step < 50; step++)
        {
            last = network.TrainStep(inputs, targets, optimizer, workspace);
        }

        Assert.True(last < first * 0.5f, $"loss went from {first} to {last}; 50 SGD steps on one batch must at least halve it");
    }

    [Fact]
    public void InitialWeights_FollowDeclaredInitializer()
    {
        // He uniform for ReLU: U(±√2·√(3/784)); Glorot for tanh: U(±(5/3)·√(6/(64+33))); biases zero.
        var network = new AllocationProbe(11);
        double heBound = Math.Sqrt(2.0) * Math.Sqrt(3.0 / 784);
        double glorotBound = 5.0 / 3.0 * Math.Sqrt(6.0 / (64 + 33));
        float[] dense1 = network.Dense1Weight.ToArray();
        float[] dense2 = network.Dense2Weight.ToArray();

        Assert.All(dense1, w => Assert.InRange(Math.Abs(w), 0, heBound));
        Assert.All(dense2, w => Assert.InRange(Math.Abs(w), 0, glorotBound));
        Assert.True(dense1.Max() > 0.9 * heBound, "weights should fill the interval, not a part of it");
        Assert.All(network.Dense1Bias.ToArray(), b => Assert.Equal(0f, b));

        // The variance of U(−b, b) is b²/3.
        double variance = dense1.Select(w => (double)w * w).Average();
        Assert.InRange(variance, 0.95 * heBound * heBound / 3, 1.05 * heBound * heBound / 3);
    }

    [Fact]
    public void WrongLengths_ThrowWithBothNumbers()
    {
        var network = new AllocationProbe(1);
        var error = Assert.Throws<ArgumentException>(() => network.Forward(new float[10], new float[AllocationProbe.OutputSize]));
        Assert.Contains("10", error.Message, StringComparison.Ordinal);
        Assert.Contains("784", error.Message, StringComparison.Ordinal);

        Workspace small = network.CreateWorkspace(2);
        var tooMany = Assert.Throws<ArgumentException>(() => network.Forward(new float[3 * 784], new float[30], small));
        Assert.Contains("at most 2", tooMany.Message, StringComparison.Ordinal);

        var fresh = network.CreateWorkspace(2);
        Assert.Throws<InvalidOperationException>(() => network.Backward(new float[784], new float[10], fresh));
    }

    [Fact]
    public void WorkspaceOfOtherNetwork_IsRejected()
    {
        var network = new AllocationProbe(1);
        Workspace foreign = new SoftmaxRelu(1).CreateWorkspace(4);
        var error = Assert.Throws<ArgumentException>(() => network.Forward(new float[784], new float[10], foreign));
        Assert.Contains("CreateWorkspace", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HandBuiltWorkspaceOfOtherSizes_IsRejected()
    {
        // The public constructor with the right architecture text but one activation per sample.
        var network = new AllocationProbe(1);
        float[] before = network.Parameters.ToArray();
        var handBuilt = new Workspace(AllocationProbe.ArchitectureText, 4, 1, 1);

        var forward = Assert.Throws<ArgumentException>(() => network.Forward(new float[784], new float[10], handBuilt));
        var step = Assert.Throws<ArgumentException>(() => network.TrainStep(new float[784], new float[10], new Sgd(0.1f), handBuilt));

        Assert.Contains("CreateWorkspace", forward.Message, StringComparison.Ordinal);
        Assert.Contains("needs " + network.CreateWorkspace(1).ActivationsPerSample, step.Message, StringComparison.Ordinal);
        Assert.Equal(before, network.Parameters.ToArray());
    }

    [Fact]
    public void NaNInput_ThrowsAndLeavesParametersUnchanged()
    {
        var network = new AllocationProbe(1);
        var (inputs, targets) = MakeBatch(2);
        inputs[5] = float.NaN;
        Workspace workspace = network.CreateWorkspace(Batch);
        float[] before = network.Parameters.ToArray();

        var error = Assert.Throws<ArithmeticException>(() => network.TrainStep(inputs, targets, new Sgd(0.1f), workspace));

        Assert.Contains("NaN", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, network.Parameters.ToArray());
    }

    [Fact]
    public void InfiniteInput_FiniteLoss_Throws()
    {
        // Tanh saturates an infinite input, so the loss stays finite while the first layer's
        // weight gradient (input × upstream gradient) is infinite or NaN.
        var network = new SaturatingTanh(3);
        float[] inputs = { float.PositiveInfinity, 0.5f, -0.25f, 1f };
        float[] targets = { 0.5f, -0.5f };
        Workspace workspace = network.CreateWorkspace(1);
        float[] before = network.Parameters.ToArray();

        var error = Assert.Throws<ArithmeticException>(() => network.TrainStep(inputs, targets, new Sgd(0.1f), workspace));

        Assert.Contains("gradient", error.Message, StringComparison.Ordinal);
        Assert.True(float.IsFinite(network.ComputeLoss(Outputs(network, workspace), targets)), "the loss itself must be finite for this case");
        Assert.Equal(before, network.Parameters.ToArray());

        static float[] Outputs(SaturatingTanh network, Workspace workspace)
        {
            var outputs = new float[SaturatingTanh.OutputSize];
            network.Forward(new[] { float.PositiveInfinity, 0.5f, -0.25f, 1f }, outputs, workspace);
            return outputs;
        }
    }

    [Fact]
    public void QuantizationAwareStep_InfiniteInput_Throws()
    {
        var network = new SaturatingTanh(3);
        var optimizer = new Adam(0.01f);
        var tuning = new NetGen.Quantization.QuantizationAwareTraining<SaturatingTanh>(network, optimizer, static _ => { }, maxBatchSize: 1);
        float[] before = tuning.MasterParameters.ToArray();

        var error = Assert.Throws<ArithmeticException>(() => tuning.TrainStep(new[] { float.PositiveInfinity, 0.5f, -0.25f, 1f }, new[] { 0.5f, -0.5f }));

        Assert.Contains("gradient", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, tuning.MasterParameters.ToArray());
        Assert.Equal(0, optimizer.StepCount);
    }

    [Fact]
    public void BatchLengthMessages_NameTheBatch()
    {
        var network = new SaturatingTanh(3);
        Workspace workspace = network.CreateWorkspace(2);
        network.Forward(new float[4], new float[2], workspace);

        var backward = Assert.Throws<ArgumentException>(() => network.Backward(new float[8], new float[4], workspace));
        Assert.Contains("the last Forward on this workspace has 1 sample(s)", backward.Message, StringComparison.Ordinal);
        Assert.Equal("inputs", backward.ParamName);

        var loss = Assert.Throws<ArgumentException>(() => network.ComputeLoss(new float[1], new float[2]));
        Assert.Equal("outputs", loss.ParamName);
        var partial = Assert.Throws<ArgumentException>(() => network.ComputeLoss(new float[3], new float[2]));
        Assert.Contains("not a whole, non-empty batch of samples with 2 values each", partial.Message, StringComparison.Ordinal);

        var step = Assert.Throws<ArgumentException>(() => network.TrainStep(new float[8], new float[2], new Sgd(0.1f), workspace));
        Assert.Contains("'inputs' has 2 sample(s), so it needs 4", step.Message, StringComparison.Ordinal);
        Assert.Equal("targets", step.ParamName);

        var single = Assert.Throws<ArgumentException>(() => network.Forward(new float[3], new float[2]));
        Assert.DoesNotContain("null array", single.Message, StringComparison.Ordinal);
        var empty = Assert.Throws<ArgumentException>(() => network.Forward(ReadOnlySpan<float>.Empty, new float[2]));
        Assert.Contains("null array", empty.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dataset_RejectsNaN()
    {
        var error = Assert.Throws<ArgumentException>(() => new NetGen.Data.Dataset(new[] { 1f, float.NaN, 3f, 4f }, 2, new[] { 0f, 1f }, 1));
        Assert.Contains("Value 1 of sample 0 is NaN", error.Message, StringComparison.Ordinal);
    }
}
