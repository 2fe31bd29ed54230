using System;
using System.IO;
using NetGen.Quantization;

namespace NetGen.Tests.Quantization;

/// <summary>
/// Static int8 layers whose int32 sums could overflow: Calibrate and Load reject them, naming the
/// layer, instead of returning outputs that saturated or wrapped.
/// </summary>
public sealed class StaticRangeTests
{
    private const int InputSize = QuantizedProbe.InputSize;

    [Fact]
    public void Calibrate_TinyInputsLargeBias_NamesLayer()
    {
        // Inputs near 1e-6 give an input scale near 1e-8, so a bias of 0.1 is about 1e10 units of
        // input scale × weight scale: beyond int32.
        var network = new QuantizedProbe(7);
        network.Dense1Bias.Fill(0.1f);

        ArgumentException exception = Assert.Throws<ArgumentException>(() => QuantizedProbe.Quantized.Calibrate(network, Inputs(50, 2e-6f)));

        Assert.Equal("calibrationInputs", exception.ParamName);
        Assert.Contains("int8 layer 'Dense1' could overflow: output 0 has the bias 0.1", exception.Message, StringComparison.Ordinal);
        Assert.Contains("use CreateDynamic", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Calibrate_InputsNearOne_Succeeds()
    {
        var network = new QuantizedProbe(7);
        network.Dense1Bias.Fill(0.1f);

        QuantizedProbe.Quantized model = QuantizedProbe.Quantized.Calibrate(network, Inputs(50, 2f));

        Assert.Equal(QuantizationMode.Static, model.Mode);
    }

    [Fact]
    public void Load_OverflowingStaticLayer_Throws()
    {
        QuantizedProbe.Quantized model = QuantizedProbe.Quantized.Calibrate(new QuantizedProbe(7), Inputs(50, 2f));
        QuantizedNetworkData data = SavedData(model);
        var narrow = new QuantizedDense(model.Dense1.Weights, Filled(QuantizedProbe.Dense1Outputs, 0.1f), new QuantizationParameters(1e-9f, 0, QuantizedRange.UInt8));

        InvalidDataException exception = Assert.Throws<InvalidDataException>(() => LoadInto(model, data with { Layers = [narrow, data.Layers[1], data.Layers[2]] }));

        Assert.Contains("'Dense1' could overflow", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_SignedStaticInputs_Throws()
    {
        QuantizedProbe.Quantized model = QuantizedProbe.Quantized.Calibrate(new QuantizedProbe(7), Inputs(50, 2f));
        QuantizedNetworkData data = SavedData(model);
        QuantizedDense layer = data.Layers[1];
        var signed = new QuantizedDense(layer.Weights, Filled(layer.Weights.Outputs, 0f), new QuantizationParameters(0.01f, 0, QuantizedRange.Int8));
        float[] before = Outputs(model);

        InvalidDataException exception = Assert.Throws<InvalidDataException>(() => LoadInto(model, data with { Layers = [data.Layers[0], signed, data.Layers[2]] }));

        Assert.Contains("'Dense3' has the input range Int8", exception.Message, StringComparison.Ordinal);
        Assert.Equal(before, Outputs(model));
    }

    private static QuantizedNetworkData SavedData(QuantizedProbe.Quantized model)
    {
        using var stream = new MemoryStream();
        model.Save(stream);
        stream.Position = 0;
        return QuantizedNetworkFile.Load(stream, QuantizedProbe.ArchitectureText);
    }

    private static void LoadInto(QuantizedProbe.Quantized model, QuantizedNetworkData data)
    {
        using var stream = new MemoryStream();
        QuantizedNetworkFile.Save(data, stream);
        stream.Position = 0;
        model.Load(stream);
    }

    private static float[] Outputs(QuantizedProbe.Quantized model)
    {
        var output = new float[QuantizedProbe.OutputSize];
        model.Forward(Inputs(1, 2f), output);
        return output;
    }

    private static float[] Filled(int length, float value)
    {
        var values = new float[length];
        values.AsSpan().Fill(value);
        return values;
    }

    /// <summary>Returns samples of values spread over [0, <paramref name="scale"/>).</summary>
    private static float[] Inputs(int samples, float scale)
    {
        var values = new float[samples * InputSize];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (i * 37 % 101) / 101f * scale;
        }

        return values;
    }
}
