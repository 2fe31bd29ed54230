using System;
using NetGen.Quantization;

namespace NetGen.Tests.Quantization;

/// <summary>
/// Arguments that Calibrate and the int8 Forward reject before they compute anything: observers
/// that would mix the ranges of several layers, and a workspace of another network.
/// </summary>
public sealed class CalibrateArgumentTests
{
    [Fact]
    public void Calibrate_SharedObserver_Throws()
    {
        var shared = new MinMaxObserver();

        InvalidOperationException exception = Assert.Throws<InvalidOperationException>(
            () => QuantizedProbe.Quantized.Calibrate(new QuantizedProbe(1), Inputs(4), () => shared));

        Assert.Contains("the same observer for the int8 layers 'Dense1' and 'Dense3'", exception.Message, StringComparison.Ordinal);
        Assert.Equal(0, shared.Count);
    }

    [Fact]
    public void Calibrate_UsedObserver_Throws()
    {
        var used = new MinMaxObserver();
        used.Observe([1f, 2f, 3f]);

        InvalidOperationException exception = Assert.Throws<InvalidOperationException>(
            () => QuantizedProbe.Quantized.Calibrate(new QuantizedProbe(1), Inputs(4), () => used));

        Assert.Contains("has already seen 3 values, for the int8 layer 'Dense1'", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Forward_OtherNetworksWorkspace_NamesWorkspace()
    {
        QuantizedProbe.Quantized model = QuantizedProbe.Quantized.CreateDynamic(new QuantizedProbe(1));
        QuantizedWorkspace other = SmallFashionMlp.Quantized.CreateDynamic(new SmallFashionMlp(1)).CreateWorkspace(1);

        ArgumentException exception = Assert.Throws<ArgumentException>(
            () => model.Forward(Inputs(1), new float[QuantizedProbe.OutputSize], other));

        Assert.Equal("workspace", exception.ParamName);
    }

    private static float[] Inputs(int samples)
    {
        var values = new float[samples * QuantizedProbe.InputSize];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (i % 9) * 0.25f;
        }

        return values;
    }
}

/// <summary>Batches that quantization-aware training rejects before it writes the network's parameters.</summary>
public sealed class QuantizationAwareTrainingArgumentTests
{
    [Fact]
    public void TrainStep_BatchAboveMaximum_KeepsParameters()
    {
        var network = new QuantizedProbe(1);
        float[] before = network.Parameters.ToArray();
        var training = new QuantizationAwareTraining<QuantizedProbe>(network, new Sgd(0.1f), QuantizedProbe.Quantized.FakeQuantizeWeights, maxBatchSize: 2);

        ArgumentException exception = Assert.Throws<ArgumentException>(
            () => training.TrainStep(new float[3 * QuantizedProbe.InputSize], new float[3 * QuantizedProbe.OutputSize]));

        Assert.Equal("inputs", exception.ParamName);
        Assert.Equal(before, network.Parameters.ToArray());
    }

    [Fact]
    public void Constructor_HugeMaxBatch_NamesLimit()
    {
        ArgumentOutOfRangeException exception = Assert.Throws<ArgumentOutOfRangeException>(
            () => new QuantizationAwareTraining<QuantizedProbe>(new QuantizedProbe(1), new Sgd(0.1f), QuantizedProbe.Quantized.FakeQuantizeWeights, int.MaxValue));

        Assert.Equal("maxBatchSize", exception.ParamName);
        Assert.Contains($"pass at most {Array.MaxLength / QuantizedProbe.InputSize}", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TrainStep_ShortTargets_KeepsParameters()
    {
        var network = new QuantizedProbe(1);
        float[] before = network.Parameters.ToArray();
        var training = new QuantizationAwareTraining<QuantizedProbe>(network, new Sgd(0.1f), QuantizedProbe.Quantized.FakeQuantizeWeights, maxBatchSize: 2);

        ArgumentException exception = Assert.Throws<ArgumentException>(
            () => training.TrainStep(new float[2 * QuantizedProbe.InputSize], new float[QuantizedProbe.OutputSize]));

        Assert.Equal("targets", exception.ParamName);
        Assert.Equal(before, network.Parameters.ToArray());
    }
}
