using System;
using System.IO;
using System.Linq;

namespace NetGen.Tests.Numerics;

/// <summary>The 4 → 32 → 32 → 2 tanh control network of the latency benchmark.</summary>
[Network, Input(4), Dense(32, Activation.Tanh), Dense(32, Activation.Tanh), Dense(2)]
internal sealed partial class PackedControlNet;

/// <summary>Widths that leave partial vectors, dropout, and an activation with no in-register form.</summary>
[Network, Input(13), Dense(41, Activation.Sigmoid), Dropout(0.25f), Dense(17, Activation.LeakyRelu), Dense(57, Activation.Relu), Dense(3)]
internal sealed partial class PackedOddNet;

/// <summary>
/// A network whose first layer (20,000 weights) is above the small-layer limit: its single-sample
/// calls read the row-major weights on the first call after a change and pack them on the next.
/// </summary>
[Network, Input(200), Dense(100, Activation.Relu), Dense(7)]
internal sealed partial class PackedWideNet;

/// <summary>A convolutional network, which has no packed single-sample path.</summary>
[Network, Input(1, 6, 6), Conv2D(2, 3), Flatten, Dense(3)]
internal sealed partial class UnpackedConvNet;

public class PackedWeightsTests
{
    /// <summary>
    /// Allowed difference between the single-sample and batch paths, relative to the output's
    /// magnitude plus 1e-6 absolute for outputs near zero: both sum in fp32 in different orders,
    /// and the sample path's tanh errs by at most 3.6e-7 relative.
    /// </summary>
    private const double PathTolerance = 1e-5;

    /// <summary>
    /// Allowed difference from the double-precision reference: fp32 sums of at most 57 terms and
    /// activations accurate to a few units of 2⁻²⁴, through four layers.
    /// </summary>
    private const double ReferenceTolerance = 1e-4;

    private static readonly int[] ControlSizes = [4, 32, 32, 2];

    private static readonly Activation[] ControlActivations = [Activation.Tanh, Activation.Tanh, Activation.Identity];

    [Fact]
    public void SingleSample_MatchesBatchPath_ControlNet() =>
        CheckSingleAgainstBatch(new PackedControlNet(seed: 1));

    [Fact]
    public void SingleSample_MatchesBatchPath_OddWidths() =>
        CheckSingleAgainstBatch(new PackedOddNet(seed: 2));

    [Fact]
    public void ParameterWrite_ReachesNextForward()
    {
        var network = new PackedControlNet(seed: 3);
        float[] input = [0.5f, -0.25f, 0.75f, 1f];
        var output = new float[PackedControlNet.OutputSize];
        network.Forward(input, output);

        // The bias of the second output, the last parameter.
        network.Parameters[PackedControlNet.ParameterCount - 1] += 2f;
        network.Forward(input, output);

        AssertMatchesReference(network, input, output, "after writing Parameters");
    }

    [Fact]
    public void LayerViewWrites_ReachNextForward()
    {
        var network = new PackedControlNet(seed: 4);
        float[] input = [-1f, 0.5f, 0.25f, -0.75f];
        var output = new float[PackedControlNet.OutputSize];
        network.Forward(input, output);

        network.Dense1Weight[(5 * 4) + 2] = 3f;
        network.Forward(input, output);
        AssertMatchesReference(network, input, output, "after writing Dense1Weight");

        network.Dense2Bias[31] = -1.5f;
        network.Forward(input, output);
        AssertMatchesReference(network, input, output, "after writing Dense2Bias");
    }

    [Fact]
    public void SpanKeptAcrossForward_ReachesForwardAfterNotify()
    {
        var network = new PackedControlNet(seed: 5);
        float[] input = [0.1f, 0.2f, -0.3f, 0.4f];
        var output = new float[PackedControlNet.OutputSize];
        Span<float> parameters = network.Parameters;
        network.Forward(input, output);

        parameters.Fill(0.01f);
        network.NotifyParametersChanged();
        network.Forward(input, output);

        AssertMatchesReference(network, input, output, "after writing a kept span and calling NotifyParametersChanged");
    }

    [Fact]
    public void TrainStep_ReachesNextForward()
    {
        var network = new PackedControlNet(seed: 6);
        float[] inputs = TestInputs(PackedControlNet.InputSize, count: 8, seed: 7);
        float[] targets = TestInputs(PackedControlNet.OutputSize, count: 8, seed: 8);
        var output = new float[PackedControlNet.OutputSize];
        network.Forward(inputs.AsSpan(0, PackedControlNet.InputSize), output);

        network.TrainStep(inputs, targets, new Sgd(0.5f), network.CreateWorkspace(8));
        network.Forward(inputs.AsSpan(0, PackedControlNet.InputSize), output);

        AssertMatchesReference(network, inputs.AsSpan(0, PackedControlNet.InputSize).ToArray(), output, "after TrainStep");
    }

    [Fact]
    public void LoadAndInitialize_ReachNextForward()
    {
        var source = new PackedControlNet(seed: 9);
        var stream = new MemoryStream();
        WeightFile.Save(source, stream);

        var network = new PackedControlNet(seed: 10);
        float[] input = [0.3f, -0.6f, 0.9f, -0.2f];
        var output = new float[PackedControlNet.OutputSize];
        network.Forward(input, output);

        stream.Position = 0;
        WeightFile.Load(network, stream);
        network.Forward(input, output);
        AssertMatchesReference(network, input, output, "after WeightFile.Load");

        network.InitializeParameters(seed: 11);
        network.Forward(input, output);
        AssertMatchesReference(network, input, output, "after InitializeParameters");
    }

    [Fact]
    public void ForwardAfterParameterWrite_AllocatesNothing()
    {
        var network = new PackedControlNet(seed: 12);
        float[] input = [0.5f, 0.5f, -0.5f, -0.5f];
        var output = new float[PackedControlNet.OutputSize];
        network.Forward(input, output);

        Assert.Equal(0, SteadyAllocation.MedianBytes(() =>
        {
            for (int i = 0; i < 10; i++)
            {
                network.Parameters[i] += 0.01f;
                network.Forward(input, output);
                _ = network.Predict(input);
            }
        }));
    }

    [Fact]
    public void WideNet_EveryCallMatchesReference()
    {
        // Call 1 runs on the row-major weights, call 2 packs them, call 3 reads the packed copy;
        // after each write the pattern starts again.
        var network = new PackedWideNet(seed: 14);
        float[] input = TestInputs(PackedWideNet.InputSize, count: 1, seed: 15);
        var output = new float[PackedWideNet.OutputSize];
        for (int round = 0; round < 3; round++)
        {
            for (int call = 0; call < 3; call++)
            {
                network.Forward(input, output);
                AssertWideMatchesReference(network, input, output, $"round {round}, call {call}");
                Assert.Equal(IndexOfMax(output), network.Predict(input));
            }

            network.Dense1Weight[(round * 200) + 7] += 1.5f;
            network.Dense2Bias[round] -= 0.75f;
        }
    }

    [Fact]
    public void WideNet_TrainingBetweenCalls_ReachesEachCall()
    {
        var network = new PackedWideNet(seed: 16);
        float[] inputs = TestInputs(PackedWideNet.InputSize, count: 4, seed: 17);
        float[] targets = TestInputs(PackedWideNet.OutputSize, count: 4, seed: 18);
        float[] input = inputs.AsSpan(0, PackedWideNet.InputSize).ToArray();
        var output = new float[PackedWideNet.OutputSize];
        Workspace workspace = network.CreateWorkspace(4);
        var optimizer = new Sgd(0.1f);
        network.Forward(input, output);
        network.Forward(input, output);

        for (int step = 0; step < 3; step++)
        {
            network.TrainStep(inputs, targets, optimizer, workspace);
            network.Forward(input, output);
            AssertWideMatchesReference(network, input, output, $"after training step {step}");
        }

        // A span kept across calls and written afterwards reaches Forward after NotifyParametersChanged,
        // also once the packed copy is in use.
        Span<float> parameters = network.Parameters;
        network.Forward(input, output);
        network.Forward(input, output);
        parameters[PackedWideNet.ParameterCount - 1] += 3f;
        network.NotifyParametersChanged();
        network.Forward(input, output);
        AssertWideMatchesReference(network, input, output, "after writing a kept span and calling NotifyParametersChanged");
    }

    [Fact]
    public void NetworkWithoutPackedPath_NotifyChangesNothing()
    {
        // Every network declares NotifyParametersChanged; without a packed copy it has nothing to do.
        var network = new UnpackedConvNet(seed: 22);
        float[] input = TestInputs(UnpackedConvNet.InputSize, count: 1, seed: 23);
        var before = new float[UnpackedConvNet.OutputSize];
        var after = new float[UnpackedConvNet.OutputSize];
        network.Forward(input, before);

        network.NotifyParametersChanged();
        network.Forward(input, after);

        Assert.Equal(before, after);
    }

    [Fact]
    public void WideNet_SingleSample_MatchesBatchPath() =>
        CheckSingleAgainstBatch(new PackedWideNet(seed: 19));

    [Fact]
    public void WideNet_ForwardAndPredict_AllocateNothing()
    {
        var network = new PackedWideNet(seed: 20);
        float[] input = TestInputs(PackedWideNet.InputSize, count: 1, seed: 21);
        var output = new float[PackedWideNet.OutputSize];
        network.Forward(input, output);

        Assert.Equal(0, SteadyAllocation.MedianBytes(() =>
        {
            for (int i = 0; i < 10; i++)
            {
                // Alternates the row-major call after a write with packing and packed calls.
                if (i % 3 == 0)
                {
                    network.Parameters[i] += 0.01f;
                }

                network.Forward(input, output);
                _ = network.Predict(input);
            }
        }));
    }

    private static void AssertWideMatchesReference(PackedWideNet network, float[] input, float[] output, string when) =>
        AssertMatchesReference(network.Parameters.ToArray(), [200, 100, 7], [Activation.Relu, Activation.Identity], input, output, when);

    private static int IndexOfMax(float[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            best = values[i] > values[best] ? i : best;
        }

        return best;
    }

    private static void CheckSingleAgainstBatch<TNetwork>(TNetwork network)
        where TNetwork : ITrainableNetwork
    {
        const int Count = 9;
        float[] inputs = TestInputs(network.InputSize, Count, seed: 13);
        var batchOutputs = new float[Count * network.OutputSize];
        network.Forward(inputs, batchOutputs, network.CreateWorkspace(Count));

        var single = new float[network.OutputSize];
        for (int s = 0; s < Count; s++)
        {
            network.Forward(inputs.AsSpan(s * network.InputSize, network.InputSize), single);
            for (int o = 0; o < network.OutputSize; o++)
            {
                float expected = batchOutputs[(s * network.OutputSize) + o];
                double error = Math.Abs(single[o] - expected);
                Assert.True(error <= 1e-6 + (PathTolerance * Math.Abs(expected)),
                    $"{typeof(TNetwork).Name} sample {s} output {o}: single-sample path {single[o]:R}, batch path {expected:R}");
            }
        }
    }

    private static void AssertMatchesReference(PackedControlNet network, float[] input, float[] output, string when) =>
        AssertMatchesReference(network.Parameters.ToArray(), ControlSizes, ControlActivations, input, output, when);

    private static void AssertMatchesReference(float[] networkParameters, int[] sizes, Activation[] activations, float[] input, float[] output, string when)
    {
        var reference = new ReferenceMlp(sizes, activations, Loss.SquaredError);
        double[] parameters = networkParameters.Select(v => (double)v).ToArray();
        double[] expected = reference.Forward(parameters, input.Select(v => (double)v).ToArray());
        for (int o = 0; o < expected.Length; o++)
        {
            double error = Math.Abs(output[o] - expected[o]);
            Assert.True(error <= ReferenceTolerance * (1 + Math.Abs(expected[o])),
                $"output {o} {when}: {output[o]:R}, reference {expected[o]:R}");
        }
    }

    private static float[] TestInputs(int size, int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, size * count).Select(_ => (random.NextSingle() * 2) - 1).ToArray();
    }
}
