using System;
using System.IO;
using NetGen.Quantization;

namespace NetGen.Tests.Quantization;

// A small CNN whose only int8 layer is the last, so every layer before it runs in float. The
// quantized outputs then differ from the float network's only by the int8 rounding of that
// layer, which Cnn_WithinInt8ErrorOfFloat bounds from the documented formulas.
[Network(Loss = Loss.SoftmaxCrossEntropy, Int8 = true)]
[Input(2, 8, 8)]
[Conv2D(4, 3, Bias = false, PaddingMode = PaddingMode.Same)]
[BatchNorm(Activation.Relu)]
[Residual]
[Conv2D(4, 3, Activation.Relu, PaddingMode = PaddingMode.Same)]
[Conv2D(4, 1)]
[ResidualEnd(Activation.Relu)]
[MaxPool(2)]
[Flatten]
[Dropout(0.25f)]
[Dense(6)]
internal sealed partial class QuantizedCnn;

// Every switch between int8 and float. Float layers come before an int8 layer, two int8 layers
// pass uint8 through a flatten, and an int8 layer feeds a batch norm. The branch of the residual
// block is an int8 layer, and its skip stays in float.
[Network(Loss = Loss.SoftmaxCrossEntropy, Int8 = true)]
[Input(3, 6, 6)]
[Conv2D(4, 3, Activation.Tanh, Padding = 1)]
[AvgPool(2)]
[LayerNorm(Activation.Relu)]
[GlobalAvgPool]
[Dense(12, Activation.Relu)]
[Flatten]
[Dense(10)]
[BatchNorm(Activation.Tanh)]
[Dropout(0.5f)]
[Residual]
[Dense(10, Activation.Relu)]
[ResidualEnd]
[Dense(3)]
internal sealed partial class QuantizedMixedNet;

public sealed class QuantizedConvolutionTests : IDisposable
{
    private const int CalibrationSamples = 160;
    private const int HeldOutSamples = 400;

    // At least this share of held-out samples must get the same class from int8 as from float32.
    // Held-out samples may leave the calibrated ranges and saturate. With these seeds, 397 to 399
    // of 400 agree.
    private const double MinimumAgreement = 0.9;

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "netgen-quantized-cnn-" + Guid.NewGuid().ToString("N"));

    public QuantizedConvolutionTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static float[] RandomInputs(int samples, int inputSize, int seed)
    {
        var random = new Random(seed);
        var values = new float[samples * inputSize];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1);
        }

        return values;
    }

    private static void Fill(Span<float> values, Random random, double low, double high)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(low + (random.NextDouble() * (high - low)));
        }
    }

    // Biases, γ, β and running statistics away from their initial values, as after training, so
    // that a path that ignored them or used batch statistics would give other outputs.
    private static QuantizedCnn TrainedLikeCnn()
    {
        var network = new QuantizedCnn(seed: 11);
        var random = new Random(5);
        Fill(network.BatchNorm2Weight, random, 0.5, 1.5);
        Fill(network.BatchNorm2Bias, random, -0.2, 0.2);
        Fill(network.BatchNorm2RunningMean, random, -0.3, 0.3);
        Fill(network.BatchNorm2RunningVar, random, 0.5, 2.0);
        Fill(network.Conv4Bias, random, -0.1, 0.1);
        Fill(network.Conv5Bias, random, -0.1, 0.1);
        Fill(network.Dense10Bias, random, -0.3, 0.3);
        return network;
    }

    private static QuantizedMixedNet TrainedLikeMixedNet()
    {
        var network = new QuantizedMixedNet(seed: 13);
        var random = new Random(6);
        Fill(network.Conv1Bias, random, -0.1, 0.1);
        Fill(network.LayerNorm3Weight, random, 0.5, 1.5);
        Fill(network.LayerNorm3Bias, random, -0.2, 0.2);
        Fill(network.Dense5Bias, random, -0.2, 0.2);
        Fill(network.Dense7Bias, random, -0.2, 0.2);
        Fill(network.BatchNorm8Weight, random, 0.5, 1.5);
        Fill(network.BatchNorm8Bias, random, -0.2, 0.2);
        Fill(network.BatchNorm8RunningMean, random, -0.3, 0.3);
        Fill(network.BatchNorm8RunningVar, random, 0.5, 2.0);
        Fill(network.Dense11Bias, random, -0.2, 0.2);
        Fill(network.Dense13Bias, random, -0.3, 0.3);
        return network;
    }

    private static float[] FloatOutputs(QuantizedCnn network, float[] inputs)
    {
        int samples = inputs.Length / QuantizedCnn.InputSize;
        var outputs = new float[samples * QuantizedCnn.OutputSize];
        network.Forward(inputs, outputs, network.CreateWorkspace(samples));
        return outputs;
    }

    private static float[] QuantizedOutputs(QuantizedCnn.Quantized model, float[] inputs)
    {
        int samples = inputs.Length / QuantizedCnn.InputSize;
        var outputs = new float[samples * QuantizedCnn.OutputSize];
        model.Forward(inputs, outputs, model.CreateWorkspace(samples));
        return outputs;
    }

    private static double Agreement(float[] expected, float[] actual, int outputSize)
    {
        int samples = expected.Length / outputSize;
        int same = 0;
        for (int s = 0; s < samples; s++)
        {
            same += IndexOfMax(expected.AsSpan(s * outputSize, outputSize)) == IndexOfMax(actual.AsSpan(s * outputSize, outputSize)) ? 1 : 0;
        }

        return (double)same / samples;
    }

    private static int IndexOfMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            best = values[i] > values[best] ? i : best;
        }

        return best;
    }

    [Fact]
    public void Cnn_WithinInt8ErrorOfFloat()
    {
        QuantizedCnn network = TrainedLikeCnn();
        float[] inputs = RandomInputs(CalibrationSamples, QuantizedCnn.InputSize, seed: 21);
        var model = QuantizedCnn.Quantized.Calibrate(network, inputs);
        float[] expected = FloatOutputs(network, inputs);
        float[] actual = QuantizedOutputs(model, inputs);

        // The float layers compute what the float network computes, so only Dense10 differs. Its
        // inputs lie in the calibrated range (calibrated on these samples), so each differs from
        // fp32 by at most half the input step s, each weight by half its row's step sw, and the
        // int32 bias by half of s·sw. Per output: Σ|w|·s/2 + Σ|x|·sw/2 + I·s·sw/4 + s·sw/2, with
        // |x| at most the largest magnitude the range represents.
        QuantizedDense dense = model.Dense10;
        QuantizationParameters input = dense.Input;
        float s = input.Scale;
        double largestInput = Math.Max(input.QuantizedMaximum - input.ZeroPoint, input.ZeroPoint - input.QuantizedMinimum) * (double)s;
        int inputs10 = QuantizedCnn.Dense10Inputs;
        var bounds = new double[QuantizedCnn.OutputSize];
        for (int o = 0; o < bounds.Length; o++)
        {
            double absoluteWeights = 0;
            for (int i = 0; i < inputs10; i++)
            {
                absoluteWeights += Math.Abs(network.Dense10Weight[(o * inputs10) + i]);
            }

            double sw = dense.Weights.Scales[o];
            double int8Error = (absoluteWeights * s / 2) + (inputs10 * largestInput * sw / 2) + (inputs10 * s * sw / 4) + (s * sw / 2);

            // fp32 sums of 64 products in two different orders: far below the int8 error.
            double fp32Error = 1e-5 * (1 + (absoluteWeights * largestInput));
            bounds[o] = int8Error + fp32Error;
        }

        double largestError = 0;
        for (int k = 0; k < expected.Length; k++)
        {
            double error = Math.Abs(expected[k] - actual[k]);
            largestError = Math.Max(largestError, error);
            Assert.True(error <= bounds[k % QuantizedCnn.OutputSize],
                $"Output {k % QuantizedCnn.OutputSize} of sample {k / QuantizedCnn.OutputSize}: int8 {actual[k]}, fp32 {expected[k]}, bound {bounds[k % QuantizedCnn.OutputSize]}");
        }

        // The bound is not vacuous: int8 rounding does change the outputs.
        Assert.True(largestError > 0, "The int8 outputs equal the fp32 outputs exactly, so the int8 layer did not run.");
    }

    [Fact]
    public void Cnn_PredictionsAgreeWithFloat()
    {
        QuantizedCnn network = TrainedLikeCnn();
        var model = QuantizedCnn.Quantized.Calibrate(network, RandomInputs(CalibrationSamples, QuantizedCnn.InputSize, seed: 22));
        float[] heldOut = RandomInputs(HeldOutSamples, QuantizedCnn.InputSize, seed: 23);

        double agreement = Agreement(FloatOutputs(network, heldOut), QuantizedOutputs(model, heldOut), QuantizedCnn.OutputSize);

        Assert.True(agreement >= MinimumAgreement, $"int8 and fp32 agree on {agreement:P1} of the held-out samples, expected at least {MinimumAgreement:P0}.");
    }

    [Fact]
    public void Cnn_SingleSampleMatchesBatch()
    {
        QuantizedCnn network = TrainedLikeCnn();
        float[] inputs = RandomInputs(8, QuantizedCnn.InputSize, seed: 24);
        var model = QuantizedCnn.Quantized.Calibrate(network, inputs);
        float[] batch = QuantizedOutputs(model, inputs);

        var output = new float[QuantizedCnn.OutputSize];
        for (int s = 0; s < 8; s++)
        {
            model.Forward(inputs.AsSpan(s * QuantizedCnn.InputSize, QuantizedCnn.InputSize), output);
            Assert.Equal(batch.AsSpan(s * QuantizedCnn.OutputSize, QuantizedCnn.OutputSize).ToArray(), output);
            Assert.Equal(IndexOfMax(output), model.Predict(inputs.AsSpan(s * QuantizedCnn.InputSize, QuantizedCnn.InputSize)));
        }
    }

    [Fact]
    public void Cnn_DynamicPredictionsAgree()
    {
        QuantizedCnn network = TrainedLikeCnn();
        var model = QuantizedCnn.Quantized.CreateDynamic(network);
        float[] heldOut = RandomInputs(HeldOutSamples, QuantizedCnn.InputSize, seed: 25);

        double agreement = Agreement(FloatOutputs(network, heldOut), QuantizedOutputs(model, heldOut), QuantizedCnn.OutputSize);

        Assert.Equal(QuantizationMode.Dynamic, model.Mode);
        Assert.True(agreement >= MinimumAgreement, $"Dynamic int8 and fp32 agree on {agreement:P1} of the held-out samples, expected at least {MinimumAgreement:P0}.");
    }

    [Fact]
    public void Cnn_KeepsCopyOfFloatState()
    {
        QuantizedCnn network = TrainedLikeCnn();
        float[] inputs = RandomInputs(16, QuantizedCnn.InputSize, seed: 26);
        var model = QuantizedCnn.Quantized.Calibrate(network, inputs);
        float[] before = QuantizedOutputs(model, inputs);

        // Training the float network further must not change a model quantized from it.
        network.BatchNorm2RunningMean.Fill(5f);
        network.Conv4Weight.Clear();

        Assert.Equal(before, QuantizedOutputs(model, inputs));
    }

    [Fact]
    public void MixedNet_CloseToFloatAndAgrees()
    {
        QuantizedMixedNet network = TrainedLikeMixedNet();
        float[] calibration = RandomInputs(CalibrationSamples, QuantizedMixedNet.InputSize, seed: 31);
        float[] heldOut = RandomInputs(HeldOutSamples, QuantizedMixedNet.InputSize, seed: 32);
        var model = QuantizedMixedNet.Quantized.Calibrate(network, calibration);
        int outputSize = QuantizedMixedNet.OutputSize;

        // On the calibration samples no int8 input saturates, so only rounding separates int8 from
        // fp32: half a step per value in each of four int8 layers, 0.6 % of the output range with
        // these seeds. An error above 2 % means a layer computed something else.
        float[] expected = MixedFloatOutputs(network, calibration);
        float[] actual = MixedQuantizedOutputs(model, calibration);
        float range = 0;
        double largestError = 0;
        for (int k = 0; k < expected.Length; k++)
        {
            range = Math.Max(range, Math.Abs(expected[k]));
            largestError = Math.Max(largestError, Math.Abs(expected[k] - actual[k]));
        }

        Assert.True(largestError <= 0.02 * range, $"The largest difference from fp32 is {largestError}, more than 2 % of the output range {range}.");
        Assert.True(largestError > 0, "The int8 outputs equal the fp32 outputs exactly, so no int8 layer ran.");

        // Held-out samples may leave the calibrated ranges and saturate, but the class rarely changes.
        double agreement = Agreement(MixedFloatOutputs(network, heldOut), MixedQuantizedOutputs(model, heldOut), outputSize);
        Assert.True(agreement >= MinimumAgreement, $"int8 and fp32 agree on {agreement:P1} of the held-out samples, expected at least {MinimumAgreement:P0}.");
    }

    private static float[] MixedFloatOutputs(QuantizedMixedNet network, float[] inputs)
    {
        int samples = inputs.Length / QuantizedMixedNet.InputSize;
        var outputs = new float[samples * QuantizedMixedNet.OutputSize];
        network.Forward(inputs, outputs, network.CreateWorkspace(samples));
        return outputs;
    }

    private static float[] MixedQuantizedOutputs(QuantizedMixedNet.Quantized model, float[] inputs)
    {
        int samples = inputs.Length / QuantizedMixedNet.InputSize;
        var outputs = new float[samples * QuantizedMixedNet.OutputSize];
        model.Forward(inputs, outputs, model.CreateWorkspace(samples));
        return outputs;
    }

    [Fact]
    public void Cnn_ForwardAllocatesNothing()
    {
        QuantizedCnn network = TrainedLikeCnn();
        float[] inputs = RandomInputs(4, QuantizedCnn.InputSize, seed: 41);
        var staticModel = QuantizedCnn.Quantized.Calibrate(network, inputs);
        var dynamicModel = QuantizedCnn.Quantized.CreateDynamic(network);
        QuantizedWorkspace staticWorkspace = staticModel.CreateWorkspace(4);
        QuantizedWorkspace dynamicWorkspace = dynamicModel.CreateWorkspace(4);
        var output = new float[QuantizedCnn.OutputSize];
        var outputs = new float[4 * QuantizedCnn.OutputSize];

        // Warm up past the tiered JIT's 30-call promotion, so that compilation and first-call
        // initialisation are done; SteadyAllocation explains the three measured runs.
        for (int i = 0; i < 50; i++)
        {
            RunAll();
        }

        Assert.Equal(0, SteadyAllocation.MedianBytes(() =>
        {
            for (int i = 0; i < 10; i++)
            {
                RunAll();
            }
        }));

        void RunAll()
        {
            ReadOnlySpan<float> first = inputs.AsSpan(0, QuantizedCnn.InputSize);
            staticModel.Forward(first, output);
            staticModel.Forward(inputs, outputs, staticWorkspace);
            dynamicModel.Forward(first, output);
            dynamicModel.Forward(inputs, outputs, dynamicWorkspace);
            _ = staticModel.Predict(first);
        }
    }

    [Fact]
    public void MixedNet_ForwardAllocatesNothing()
    {
        QuantizedMixedNet network = TrainedLikeMixedNet();
        float[] inputs = RandomInputs(4, QuantizedMixedNet.InputSize, seed: 42);
        var model = QuantizedMixedNet.Quantized.Calibrate(network, inputs);
        QuantizedWorkspace workspace = model.CreateWorkspace(4);
        var outputs = new float[4 * QuantizedMixedNet.OutputSize];
        var output = new float[QuantizedMixedNet.OutputSize];
        model.Forward(inputs, outputs, workspace);
        model.Forward(inputs.AsSpan(0, QuantizedMixedNet.InputSize), output);

        Assert.Equal(0, SteadyAllocation.MedianBytes(() =>
        {
            for (int i = 0; i < 10; i++)
            {
                model.Forward(inputs, outputs, workspace);
                model.Forward(inputs.AsSpan(0, QuantizedMixedNet.InputSize), output);
            }
        }));
    }

    [Fact]
    public void Cnn_SaveLoadRoundTrip()
    {
        QuantizedCnn network = TrainedLikeCnn();
        float[] inputs = RandomInputs(32, QuantizedCnn.InputSize, seed: 51);
        var model = QuantizedCnn.Quantized.Calibrate(network, inputs);
        float[] expected = QuantizedOutputs(model, inputs);
        string path = Path.Combine(_folder, "cnn.ngq");

        model.Save(path);
        var loaded = QuantizedCnn.Quantized.FromFile(path);

        Assert.Equal(QuantizationMode.Static, loaded.Mode);
        Assert.Equal(expected, QuantizedOutputs(loaded, inputs));

        // Load replaces every parameter of an existing model, the float layers' state included.
        var other = QuantizedCnn.Quantized.CreateDynamic(new QuantizedCnn(seed: 99));
        other.Load(path);
        Assert.Equal(QuantizationMode.Static, other.Mode);
        Assert.Equal(expected, QuantizedOutputs(other, inputs));
    }

    [Fact]
    public void MixedNet_SaveLoadRoundTripThroughStream()
    {
        QuantizedMixedNet network = TrainedLikeMixedNet();
        float[] inputs = RandomInputs(16, QuantizedMixedNet.InputSize, seed: 52);
        var model = QuantizedMixedNet.Quantized.CreateDynamic(network);
        float[] expected = MixedQuantizedOutputs(model, inputs);

        using var stream = new MemoryStream();
        model.Save(stream);
        stream.Position = 0;
        var loaded = QuantizedMixedNet.Quantized.Calibrate(new QuantizedMixedNet(seed: 1), inputs);
        loaded.Load(stream);

        Assert.Equal(QuantizationMode.Dynamic, loaded.Mode);
        Assert.Equal(expected, MixedQuantizedOutputs(loaded, inputs));
    }

    [Fact]
    public void Cnn_FileFromOtherNetworkRejected()
    {
        QuantizedCnn network = TrainedLikeCnn();
        var model = QuantizedCnn.Quantized.CreateDynamic(network);
        string path = Path.Combine(_folder, "cnn.ngq");
        model.Save(path);

        InvalidDataException error = Assert.Throws<InvalidDataException>(() => QuantizedMixedNet.Quantized.FromFile(path));

        Assert.Contains("architecture", error.Message, StringComparison.OrdinalIgnoreCase);
    }
}
