using System;
using System.IO;
using NetGen.Quantization;

namespace NetGen.Tests.Quantization;

// ReLU (fused into requantization), dropout (the identity), tanh (applied in fp32 between int8
// layers) and an identity output layer: every branch of the generated static path.
[Network(Loss = Loss.SoftmaxCrossEntropy, Int8 = true)]
[Input(37)]
[Dense(24, Activation.Relu)]
[Dropout(0.25f)]
[Dense(19, Activation.Tanh)]
[Dense(5)]
internal sealed partial class QuantizedProbe;

// A second architecture, so that files from one are rejected by the other.
[Network(Loss = Loss.SoftmaxCrossEntropy, Int8 = true)]
[Input(37)]
[Dense(24, Activation.Relu)]
[Dense(5)]
internal sealed partial class OtherQuantizedProbe;

public sealed class QuantizedNetworkTests : IDisposable
{
    private const int Samples = 40;

    // The reference repeats the kernels' integer arithmetic and their fp32 steps in the same
    // order, so only the order of fp32 sums in tanh's input differs: a few ulps.
    private const float ReferenceTolerance = 1e-4f;

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "netgen-quantized-" + Guid.NewGuid().ToString("N"));

    public QuantizedNetworkTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static float[] RandomInputs(int samples, int seed)
    {
        var random = new Random(seed);
        var values = new float[samples * QuantizedProbe.InputSize];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(random.NextDouble() * 4 - 1.5);
        }

        return values;
    }

    private static QuantizedProbe TrainedLikeNetwork()
    {
        var network = new QuantizedProbe(seed: 7);
        var random = new Random(3);
        foreach (string layer in new[] { "Dense1", "Dense3", "Dense4" })
        {
            Span<float> bias = layer switch
            {
                "Dense1" => network.Dense1Bias,
                "Dense3" => network.Dense3Bias,
                _ => network.Dense4Bias,
            };
            for (int o = 0; o < bias.Length; o++)
            {
                bias[o] = (float)(random.NextDouble() - 0.5);
            }
        }

        return network;
    }

    /// <summary>
    /// The static int8 forward pass of <see cref="QuantizedProbe"/> for one sample, written from the
    /// documented formulas with plain loops and int64 sums.
    /// </summary>
    private static float[] StaticReference(QuantizedProbe.Quantized model, ReadOnlySpan<float> x)
    {
        byte[] q1 = QuantizeReference(x, model.Dense1.Input);
        byte[] q3 = RequantizeReference(model.Dense1, q1, model.Dense3.Input, relu: true);
        float[] h3 = DequantizeReference(model.Dense3, q3);
        for (int i = 0; i < h3.Length; i++)
        {
            h3[i] = MathF.Tanh(h3[i]);
        }

        byte[] q4 = QuantizeReference(h3, model.Dense4.Input);
        return DequantizeReference(model.Dense4, q4);
    }

    private static byte[] QuantizeReference(ReadOnlySpan<float> x, QuantizationParameters parameters)
    {
        var q = new byte[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            float scaled = MathF.Round(x[i] / parameters.Scale, MidpointRounding.ToEven) + parameters.ZeroPoint;
            q[i] = (byte)Math.Clamp(scaled, parameters.QuantizedMinimum, parameters.QuantizedMaximum);
        }

        return q;
    }

    private static long[] Accumulate(QuantizedDense layer, byte[] q)
    {
        int outputs = layer.Weights.Outputs, inputs = layer.Weights.Inputs;
        var sums = new long[outputs];
        for (int o = 0; o < outputs; o++)
        {
            long sum = layer.Bias[o];
            for (int i = 0; i < inputs; i++)
            {
                sum += (long)(q[i] - layer.Input.ZeroPoint) * layer.Weights.Values[o * inputs + i];
            }

            sums[o] = sum;
        }

        return sums;
    }

    private static byte[] RequantizeReference(QuantizedDense layer, byte[] q, QuantizationParameters output, bool relu)
    {
        long[] sums = Accumulate(layer, q);
        var y = new byte[sums.Length];
        for (int o = 0; o < sums.Length; o++)
        {
            double multiplier = layer.Weights.Scales[o] * ((double)layer.Input.Scale / output.Scale);
            double value = Math.Round(sums[o] * multiplier, MidpointRounding.ToEven) + output.ZeroPoint;
            double lower = relu ? output.ZeroPoint : output.QuantizedMinimum;
            y[o] = (byte)Math.Clamp(value, lower, output.QuantizedMaximum);
        }

        return y;
    }

    private static float[] DequantizeReference(QuantizedDense layer, byte[] q)
    {
        long[] sums = Accumulate(layer, q);
        var y = new float[sums.Length];
        for (int o = 0; o < sums.Length; o++)
        {
            y[o] = sums[o] * (layer.Input.Scale * layer.Weights.Scales[o]);
        }

        return y;
    }

    [Fact]
    public void StaticForward_MatchesIntegerReference()
    {
        QuantizedProbe network = TrainedLikeNetwork();
        float[] inputs = RandomInputs(Samples, 1);
        var model = QuantizedProbe.Quantized.Calibrate(network, inputs);
        var output = new float[QuantizedProbe.OutputSize];

        Assert.Equal(QuantizationMode.Static, model.Mode);
        for (int s = 0; s < Samples; s++)
        {
            ReadOnlySpan<float> x = inputs.AsSpan(s * QuantizedProbe.InputSize, QuantizedProbe.InputSize);
            model.Forward(x, output);
            float[] expected = StaticReference(model, x);
            for (int o = 0; o < expected.Length; o++)
            {
                Assert.Equal(expected[o], output[o], ReferenceTolerance);
            }
        }
    }

    [Fact]
    public void StaticForward_StaysCloseToFloat()
    {
        QuantizedProbe network = TrainedLikeNetwork();
        float[] inputs = RandomInputs(Samples, 2);
        var model = QuantizedProbe.Quantized.Calibrate(network, inputs, () => new MinMaxObserver());
        var quantized = new float[QuantizedProbe.OutputSize];
        var reference = new float[QuantizedProbe.OutputSize];

        double worst = 0, largest = 0;
        for (int s = 0; s < Samples; s++)
        {
            ReadOnlySpan<float> x = inputs.AsSpan(s * QuantizedProbe.InputSize, QuantizedProbe.InputSize);
            model.Forward(x, quantized);
            network.Forward(x, reference);
            for (int o = 0; o < reference.Length; o++)
            {
                worst = Math.Max(worst, Math.Abs(quantized[o] - reference[o]));
                largest = Math.Max(largest, Math.Abs(reference[o]));
            }
        }

        // Three layers of 8-bit rounding keep the outputs within a few percent of their range.
        Assert.True(worst < 0.05 * largest, $"The int8 outputs differ from fp32 by up to {worst}, against outputs up to {largest}.");
    }

    [Fact]
    public void BatchForward_MatchesSingleSample()
    {
        QuantizedProbe network = TrainedLikeNetwork();
        float[] inputs = RandomInputs(Samples, 3);
        var model = QuantizedProbe.Quantized.Calibrate(network, inputs, () => new PercentileObserver(99.9));
        QuantizedWorkspace workspace = model.CreateWorkspace(Samples);
        var batchOutputs = new float[Samples * QuantizedProbe.OutputSize];
        var single = new float[QuantizedProbe.OutputSize];

        model.Forward(inputs, batchOutputs, workspace);

        for (int s = 0; s < Samples; s++)
        {
            model.Forward(inputs.AsSpan(s * QuantizedProbe.InputSize, QuantizedProbe.InputSize), single);
            Assert.Equal(single, batchOutputs.AsSpan(s * QuantizedProbe.OutputSize, QuantizedProbe.OutputSize).ToArray());
        }
    }

    [Fact]
    public void DynamicForward_QuantizesEachCallWithItsRange()
    {
        QuantizedProbe network = TrainedLikeNetwork();
        float[] inputs = RandomInputs(1, 4);
        var model = QuantizedProbe.Quantized.CreateDynamic(network);
        var output = new float[QuantizedProbe.OutputSize];

        model.Forward(inputs, output);

        // Each layer: the input's own range, uint8, then the fp32 bias after dequantizing.
        float[] h = inputs;
        QuantizedDense[] layers = [model.Dense1, model.Dense3, model.Dense4];
        for (int k = 0; k < layers.Length; k++)
        {
            QuantizedDense layer = layers[k];
            float minimum = Math.Min(0f, MinOf(h)), maximum = Math.Max(0f, MaxOf(h));
            var parameters = QuantizationParameters.FromRange(minimum, maximum, QuantizedRange.UInt8);
            byte[] q = QuantizeReference(h, parameters);
            var y = new float[layer.Weights.Outputs];
            for (int o = 0; o < y.Length; o++)
            {
                long sum = 0;
                for (int i = 0; i < layer.Weights.Inputs; i++)
                {
                    sum += (long)(q[i] - parameters.ZeroPoint) * layer.Weights.Values[o * layer.Weights.Inputs + i];
                }

                float value = sum * (parameters.Scale * layer.Weights.Scales[o]) + layer.FloatBias[o];
                y[o] = k == 0 ? Math.Max(value, 0f) : k == 1 ? MathF.Tanh(value) : value;
            }

            h = y;
        }

        Assert.Equal(QuantizationMode.Dynamic, model.Mode);
        for (int o = 0; o < h.Length; o++)
        {
            Assert.Equal(h[o], output[o], ReferenceTolerance);
        }
    }

    private static float MinOf(float[] values)
    {
        float m = float.PositiveInfinity;
        foreach (float v in values)
        {
            m = Math.Min(m, v);
        }

        return m;
    }

    private static float MaxOf(float[] values)
    {
        float m = float.NegativeInfinity;
        foreach (float v in values)
        {
            m = Math.Max(m, v);
        }

        return m;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Forward_AllocatesNothing(bool dynamic)
    {
        QuantizedProbe network = TrainedLikeNetwork();
        float[] inputs = RandomInputs(8, 5);
        QuantizedProbe.Quantized model = dynamic ? QuantizedProbe.Quantized.CreateDynamic(network) : QuantizedProbe.Quantized.Calibrate(network, inputs);
        QuantizedWorkspace workspace = model.CreateWorkspace(8);
        var outputs = new float[8 * QuantizedProbe.OutputSize];
        ReadOnlySpan<float> first = inputs.AsSpan(0, QuantizedProbe.InputSize);
        model.Forward(first, outputs.AsSpan(0, QuantizedProbe.OutputSize));
        model.Forward(inputs, outputs, workspace);
        model.Predict(first);

        Assert.Equal(0, SteadyAllocation.MedianBytes(() =>
        {
            for (int i = 0; i < 10; i++)
            {
                model.Forward(inputs.AsSpan(0, QuantizedProbe.InputSize), outputs.AsSpan(0, QuantizedProbe.OutputSize));
                model.Forward(inputs, outputs, workspace);
                model.Predict(inputs.AsSpan(0, QuantizedProbe.InputSize));
            }
        }));
    }

    [Fact]
    public void Calibrate_PartialSampleIsRejected()
    {
        ArgumentException exception = Assert.Throws<ArgumentException>(
            () => QuantizedProbe.Quantized.Calibrate(TrainedLikeNetwork(), new float[QuantizedProbe.InputSize + 3]));

        Assert.Contains("40 values", exception.Message, StringComparison.Ordinal);
        Assert.Contains("37 inputs", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Calibrate_SignedRangeIsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(
            () => QuantizedProbe.Quantized.Calibrate(TrainedLikeNetwork(), RandomInputs(2, 8), activationRange: QuantizedRange.Int8));
    }

    [Fact]
    public void BatchForward_ForeignWorkspaceIsRejected()
    {
        var model = QuantizedProbe.Quantized.Calibrate(TrainedLikeNetwork(), RandomInputs(2, 9));
        var other = OtherQuantizedProbe.Quantized.CreateDynamic(new OtherQuantizedProbe(1));

        ArgumentException exception = Assert.Throws<ArgumentException>(
            () => model.Forward(RandomInputs(1, 10), new float[QuantizedProbe.OutputSize], other.CreateWorkspace(1)));

        Assert.Contains("CreateWorkspace", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BatchForward_HandBuiltWorkspaceIsRejected()
    {
        // The right architecture text, with one byte, accumulator and float per sample.
        var model = QuantizedProbe.Quantized.Calibrate(TrainedLikeNetwork(), RandomInputs(2, 9));
        var handBuilt = new QuantizedWorkspace(QuantizedProbe.ArchitectureText, 2, 1, 1, 1);

        ArgumentException exception = Assert.Throws<ArgumentException>(
            () => model.Forward(RandomInputs(1, 10), new float[QuantizedProbe.OutputSize], handBuilt));

        Assert.Contains("CreateWorkspace", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FakeQuantizeWeights_GivesTheInt8Weights()
    {
        QuantizedProbe network = TrainedLikeNetwork();
        var model = QuantizedProbe.Quantized.CreateDynamic(network);
        float[] parameters = network.Parameters.ToArray();

        QuantizedProbe.Quantized.FakeQuantizeWeights(parameters);

        var dequantized = new float[QuantizedProbe.Dense1Outputs * QuantizedProbe.Dense1Inputs];
        model.Dense1.Weights.Dequantize(dequantized);
        Assert.Equal(dequantized, parameters.AsSpan(0, dequantized.Length).ToArray());
        int biasStart = dequantized.Length;
        Assert.Equal(network.Dense1Bias.ToArray(), parameters.AsSpan(biasStart, QuantizedProbe.Dense1Outputs).ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SaveLoad_RoundTripGivesEqualOutputs(bool dynamic)
    {
        QuantizedProbe network = TrainedLikeNetwork();
        float[] inputs = RandomInputs(Samples, 11);
        QuantizedProbe.Quantized model = dynamic ? QuantizedProbe.Quantized.CreateDynamic(network) : QuantizedProbe.Quantized.Calibrate(network, inputs, () => new MseObserver());
        string path = Path.Combine(_folder, "model.ngq");

        model.Save(path);
        var loaded = QuantizedProbe.Quantized.FromFile(path);

        Assert.Equal(model.Mode, loaded.Mode);
        Assert.Equal(model.Dense1.Input, loaded.Dense1.Input);
        Assert.Equal(model.Dense3.Bias.ToArray(), loaded.Dense3.Bias.ToArray());
        Assert.Equal(model.Dense4.Weights.Values.ToArray(), loaded.Dense4.Weights.Values.ToArray());
        Assert.Equal(Outputs(model, inputs), Outputs(loaded, inputs));
    }

    [Fact]
    public void Save_LinkToDirectory_ThrowsAndKeepsLink()
    {
        QuantizedProbe.Quantized model = QuantizedProbe.Quantized.CreateDynamic(TrainedLikeNetwork());
        string target = Directory.CreateDirectory(Path.Combine(_folder, "models")).FullName;
        string link = Path.Combine(_folder, "latest");
        Directory.CreateSymbolicLink(link, target);

        ArgumentException exception = Assert.Throws<ArgumentException>("path", () => model.Save(link));

        Assert.Contains("because it is a directory", exception.Message, StringComparison.Ordinal);
        Assert.Equal(target, new DirectoryInfo(link).LinkTarget);
        Assert.Throws<ArgumentException>("path", () => model.Save(target));
    }

    [Fact]
    public void SaveLoad_StreamRoundTripReplacesParameters()
    {
        float[] inputs = RandomInputs(Samples, 12);
        var model = QuantizedProbe.Quantized.Calibrate(TrainedLikeNetwork(), inputs);
        var target = QuantizedProbe.Quantized.CreateDynamic(new QuantizedProbe(99));
        using var stream = new MemoryStream();

        model.Save(stream);
        stream.Position = 0;
        target.Load(stream);

        Assert.Equal(QuantizationMode.Static, target.Mode);
        Assert.Equal(Outputs(model, inputs), Outputs(target, inputs));
    }

    private static float[] Outputs(QuantizedProbe.Quantized model, float[] inputs)
    {
        int samples = inputs.Length / QuantizedProbe.InputSize;
        var outputs = new float[samples * QuantizedProbe.OutputSize];
        model.Forward(inputs, outputs, model.CreateWorkspace(samples));
        return outputs;
    }

    /// <summary>Saves a static model, damages the file, and checks that loading fails with the message and leaves the target unchanged.</summary>
    private void AssertLoadFails(Func<byte[], byte[]> damage, string expectedMessage)
    {
        float[] inputs = RandomInputs(8, 13);
        var model = QuantizedProbe.Quantized.Calibrate(TrainedLikeNetwork(), inputs);
        string path = Path.Combine(_folder, "damaged.ngq");
        model.Save(path);
        File.WriteAllBytes(path, damage(File.ReadAllBytes(path)));

        var target = QuantizedProbe.Quantized.CreateDynamic(new QuantizedProbe(5));
        float[] before = Outputs(target, inputs);

        InvalidDataException exception = Assert.Throws<InvalidDataException>(() => target.Load(path));

        Assert.Contains(expectedMessage, exception.Message, StringComparison.Ordinal);
        Assert.Contains(path, exception.Message, StringComparison.Ordinal);
        Assert.Equal(QuantizationMode.Dynamic, target.Mode);
        Assert.Equal(before, Outputs(target, inputs));
    }

    [Fact]
    public void Load_WrongMagicIsRejected() =>
        AssertLoadFails(bytes => { bytes[0] = (byte)'X'; return bytes; }, "it starts with bytes 58475146, but quantized network files start with 'NGQF'");

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void Load_CutInsideMagic_IsTruncated(int length) =>
        AssertLoadFails(bytes => bytes.AsSpan(0, length).ToArray(), $"is truncated: it ends after {length} of the 4 magic bytes");

    [Fact]
    public void Load_OtherVersionIsRejected() =>
        AssertLoadFails(bytes => { bytes[4] = 2; return bytes; }, "format version 2");

    [Theory]
    [InlineData(10)]
    [InlineData(60)]
    [InlineData(300)]
    [InlineData(999)]
    public void Load_TruncatedFileIsRejected(int keptFraction) =>
        AssertLoadFails(bytes => bytes.AsSpan(0, bytes.Length * keptFraction / 1000).ToArray(), "truncated");

    [Fact]
    public void Load_FileWithoutChecksumIsRejected() =>
        AssertLoadFails(bytes => bytes.AsSpan(0, bytes.Length - 1).ToArray(), "truncated");

    [Fact]
    public void Load_FlippedWeightFailsChecksum() =>
        AssertLoadFails(bytes => { bytes[bytes.Length - 200] ^= 0x10; return bytes; }, "SHA-256 checksum");

    [Fact]
    public void Load_FlippedChecksumIsRejected() =>
        AssertLoadFails(bytes => { bytes[^1] ^= 0x01; return bytes; }, "SHA-256 checksum");

    [Fact]
    public void Load_TrailingBytesAreRejected() =>
        AssertLoadFails(bytes => [.. bytes, 0], "after its checksum");

    [Fact]
    public void Load_HugeLayerCountIsRejected() =>
        AssertLoadFails(
            bytes =>
            {
                int architectureLength = BitConverter.ToInt32(bytes, 8);
                BitConverter.GetBytes(int.MaxValue).CopyTo(bytes, 12 + architectureLength + 4);
                return bytes;
            },
            "layer count 2147483647");

    [Fact]
    public void Load_OtherArchitectureIsRejected()
    {
        string path = Path.Combine(_folder, "other.ngq");
        OtherQuantizedProbe.Quantized.CreateDynamic(new OtherQuantizedProbe(1)).Save(path);
        var target = QuantizedProbe.Quantized.CreateDynamic(new QuantizedProbe(5));

        InvalidDataException exception = Assert.Throws<InvalidDataException>(() => target.Load(path));

        Assert.Contains(OtherQuantizedProbe.ArchitectureText, exception.Message, StringComparison.Ordinal);
        Assert.Contains(QuantizedProbe.ArchitectureText, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingFileNamesPath()
    {
        string path = Path.Combine(_folder, "absent.ngq");

        FileNotFoundException exception = Assert.Throws<FileNotFoundException>(() => QuantizedProbe.Quantized.FromFile(path));

        Assert.Contains(path, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_DirectoryIsNamed()
    {
        ArgumentException exception = Assert.Throws<ArgumentException>(() => QuantizedProbe.Quantized.FromFile(_folder));

        Assert.Contains($"'{Path.GetFullPath(_folder)}' is a directory", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_FloatWeightFileIsRejected()
    {
        string path = Path.Combine(_folder, "float.ngw");
        WeightFile.Save(TrainedLikeNetwork(), path);

        InvalidDataException exception = Assert.Throws<InvalidDataException>(() => QuantizedProbe.Quantized.FromFile(path));

        Assert.Contains("NGQF", exception.Message, StringComparison.Ordinal);
    }
}
