using System;

namespace NetGen.Tests.Quantization;

/// <summary>
/// A NaN or infinite value that reaches an int8 layer: the error names the argument, the sample,
/// the value's position in it and the layer, whichever entry point and mode found it.
/// </summary>
public sealed class QuantizedInputErrorTests
{
    private const int InputSize = QuantizedProbe.InputSize;

    [Fact]
    public void StaticForward_NaN_NamesInputAndLayer()
    {
        QuantizedProbe.Quantized model = QuantizedProbe.Quantized.Calibrate(new QuantizedProbe(1), Inputs(4));
        float[] input = Inputs(1);
        input[11] = float.NaN;

        ArgumentException exception = Assert.Throws<ArgumentException>(() => model.Forward(input, new float[QuantizedProbe.OutputSize]));

        Assert.Equal("input", exception.ParamName);
        Assert.StartsWith("Value 11 of sample 0 in 'input' is NaN", exception.Message, StringComparison.Ordinal);
        Assert.Contains("int8 layer 'Dense1'", exception.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>("input", () => model.Predict(input));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BatchForward_NaN_NamesSampleAndValue(bool dynamic)
    {
        QuantizedProbe.Quantized model = Create(new QuantizedProbe(1), dynamic);
        float[] inputs = Inputs(3);
        inputs[(2 * InputSize) + 5] = float.NaN;

        ArgumentException exception = Assert.Throws<ArgumentException>(
            () => model.Forward(inputs, new float[3 * QuantizedProbe.OutputSize], model.CreateWorkspace(3)));

        Assert.Equal("inputs", exception.ParamName);
        Assert.StartsWith("Value 5 of sample 2 in 'inputs' is NaN", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DynamicForward_Infinity_IsRejected()
    {
        QuantizedProbe.Quantized model = QuantizedProbe.Quantized.CreateDynamic(new QuantizedProbe(1));
        float[] input = Inputs(1);
        input[36] = float.PositiveInfinity;

        ArgumentException exception = Assert.Throws<ArgumentException>(() => model.Forward(input, new float[QuantizedProbe.OutputSize]));

        Assert.StartsWith("Value 36 of sample 0 in 'input' is Infinity", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DynamicForward_Overflow_NamesLaterLayer()
    {
        // Finite inputs near float's maximum make Dense1's sums overflow to infinity in fp32.
        QuantizedProbe.Quantized model = QuantizedProbe.Quantized.CreateDynamic(new QuantizedProbe(1));
        float[] input = new float[InputSize];
        input.AsSpan().Fill(3e38f);

        ArgumentException exception = Assert.Throws<ArgumentException>(() => model.Forward(input, new float[QuantizedProbe.OutputSize]));

        Assert.Equal("input", exception.ParamName);
        Assert.Contains("of sample 0 that reaches the int8 layer 'Dense3' is Infinity", exception.Message, StringComparison.Ordinal);
        Assert.Contains("check that sample, and the network's parameters", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Calibrate_Overflow_NamesLaterLayer()
    {
        float[] inputs = new float[2 * InputSize];
        inputs.AsSpan().Fill(3e38f);

        ArgumentException exception = Assert.Throws<ArgumentException>(() => QuantizedProbe.Quantized.Calibrate(new QuantizedProbe(1), inputs));

        Assert.Equal("calibrationInputs", exception.ParamName);
        Assert.Contains("of sample 0 that reaches the int8 layer 'Dense3' is Infinity", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Quantize_NaNBias_NamesLayer(bool dynamic)
    {
        var network = new QuantizedProbe(1);
        network.Dense3Bias[2] = float.NaN;

        ArgumentException exception = Assert.Throws<ArgumentException>(() => Create(network, dynamic));

        Assert.Equal("network", exception.ParamName);
        Assert.StartsWith("Value 2 of Dense3Bias is NaN, so the network cannot be quantized.", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateDynamic_NaNRunningMean_NamesFloatLayer()
    {
        var network = new QuantizedCnn(1);
        network.BatchNorm2RunningMean[1] = float.NaN;

        ArgumentException exception = Assert.Throws<ArgumentException>(() => QuantizedCnn.Quantized.CreateDynamic(network));

        Assert.StartsWith("Value 1 of BatchNorm2RunningMean is NaN", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Calibrate_NaNInLaterBatch_NamesItsSample()
    {
        // 300 samples make two calibration batches of at most 256; the NaN sits in the second.
        float[] inputs = Inputs(300);
        inputs[(270 * InputSize) + 8] = float.NaN;

        ArgumentException exception = Assert.Throws<ArgumentException>(() => QuantizedProbe.Quantized.Calibrate(new QuantizedProbe(1), inputs));

        Assert.Equal("calibrationInputs", exception.ParamName);
        Assert.StartsWith("Value 8 of sample 270 in 'calibrationInputs' is NaN", exception.Message, StringComparison.Ordinal);
    }

    private static QuantizedProbe.Quantized Create(QuantizedProbe network, bool dynamic) =>
        dynamic ? QuantizedProbe.Quantized.CreateDynamic(network) : QuantizedProbe.Quantized.Calibrate(network, Inputs(4));

    private static float[] Inputs(int samples)
    {
        var values = new float[samples * InputSize];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = ((i * 7) % 11 * 0.2f) - 1f;
        }

        return values;
    }
}
