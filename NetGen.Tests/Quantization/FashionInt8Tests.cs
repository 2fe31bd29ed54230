using System;
using NetGen.Data;
using NetGen.Quantization;

namespace NetGen.Tests.Quantization;

// A smaller MLP than the sample's, so that training it in the fixture takes seconds.
[Network(Loss = Loss.SoftmaxCrossEntropy, Int8 = true)]
[Input(28 * 28)]
[Dense(128, Activation.Relu)]
[Dense(10)]
public sealed partial class SmallFashionMlp;

/// <summary>Trains <see cref="SmallFashionMlp"/> once on part of the real Fashion-MNIST training set.</summary>
public sealed class FashionInt8Fixture
{
    public const int TrainingImages = 20000;
    public const int CalibrationImages = 1000;

    public FashionInt8Fixture()
    {
        string folder = FashionMnist.FindDataDirectory()
            ?? throw new InvalidOperationException("The vendored data/fashion-mnist folder was not found.");
        (Dataset all, Dataset rawTest) = FashionMnist.Load(folder);
        Dataset rawTrain = all.Slice(0, TrainingImages);
        Standardizer standardizer = Standardizer.Fit(rawTrain);
        Train = standardizer.Apply(rawTrain);
        Test = standardizer.Apply(rawTest);

        Network = new SmallFashionMlp(seed: 42);
        using var trainer = new Trainer<SmallFashionMlp>(Network, new Adam(1e-3f), batchSize: 64, seed: 42);
        trainer.Fit(Train, epochs: 3);
        Parameters = Network.Parameters.ToArray();
        Calibration = Train.Inputs.Slice(0, CalibrationImages * Train.InputSize).ToArray();
        FloatAccuracy = Accuracy(Network.Forward, Network.CreateWorkspace(Batch), Test);
    }

    public const int Batch = 250;

    public Dataset Train { get; }

    public Dataset Test { get; }

    /// <summary>The trained network; tests that change it restore <see cref="Parameters"/>.</summary>
    public SmallFashionMlp Network { get; }

    public float[] Parameters { get; }

    public float[] Calibration { get; }

    public double FloatAccuracy { get; }

    public delegate void ForwardBatch<in TWorkspace>(ReadOnlySpan<float> inputs, Span<float> outputs, TWorkspace workspace);

    /// <summary>Returns the fraction of test images whose largest output is the label.</summary>
    public static double Accuracy<TWorkspace>(ForwardBatch<TWorkspace> forward, TWorkspace workspace, Dataset test)
    {
        var outputs = new float[Batch * SmallFashionMlp.OutputSize];
        int correct = 0;
        for (int start = 0; start < test.Count; start += Batch)
        {
            int batch = Math.Min(Batch, test.Count - start);
            Span<float> scores = outputs.AsSpan(0, batch * SmallFashionMlp.OutputSize);
            forward(test.Inputs.Slice(start * test.InputSize, batch * test.InputSize), scores, workspace);
            for (int s = 0; s < batch; s++)
            {
                correct += GeneratedCode.IndexOfMax(scores.Slice(s * SmallFashionMlp.OutputSize, SmallFashionMlp.OutputSize)) == test.Label(start + s) ? 1 : 0;
            }
        }

        return (double)correct / test.Count;
    }
}

/// <summary>The fashion-int8 and fashion-qat samples in small, on real Fashion-MNIST test images.</summary>
public sealed class FashionInt8Tests : IClassFixture<FashionInt8Fixture>
{
    // The accuracy goals of int8 against float32, in fractions: static and dynamic within one
    // percentage point, quantization-aware training within half a point.
    private const double StaticAllowedDrop = 0.010;
    private const double QatAllowedDrop = 0.005;

    // Three epochs on 20,000 images reach about 0.86; the bound only catches a broken setup.
    private const double MinimumFloatAccuracy = 0.82;

    private readonly FashionInt8Fixture _fixture;

    public FashionInt8Tests(FashionInt8Fixture fixture)
    {
        _fixture = fixture;
        _fixture.Parameters.CopyTo(_fixture.Network.Parameters);
    }

    public static TheoryData<string> ObserverNames => ["min/max", "percentile", "MSE"];

    private static QuantizationObserver CreateObserver(string name) => name switch
    {
        "min/max" => new MinMaxObserver(),
        "percentile" => new PercentileObserver(99.99),
        _ => new MseObserver(),
    };

    [Theory]
    [MemberData(nameof(ObserverNames))]
    public void StaticInt8_StaysWithinOnePoint(string observer)
    {
        Assert.True(_fixture.FloatAccuracy > MinimumFloatAccuracy, $"float32 accuracy {_fixture.FloatAccuracy:P2}");

        var model = SmallFashionMlp.Quantized.Calibrate(_fixture.Network, _fixture.Calibration, () => CreateObserver(observer));
        double accuracy = FashionInt8Fixture.Accuracy(model.Forward, model.CreateWorkspace(FashionInt8Fixture.Batch), _fixture.Test);

        Assert.True(_fixture.FloatAccuracy - accuracy <= StaticAllowedDrop,
            $"int8 ({observer}) accuracy {accuracy:P2} against float32 {_fixture.FloatAccuracy:P2}");
    }

    [Fact]
    public void DynamicInt8_StaysWithinOnePoint()
    {
        var model = SmallFashionMlp.Quantized.CreateDynamic(_fixture.Network);
        double accuracy = FashionInt8Fixture.Accuracy(model.Forward, model.CreateWorkspace(FashionInt8Fixture.Batch), _fixture.Test);

        Assert.True(_fixture.FloatAccuracy - accuracy <= StaticAllowedDrop,
            $"dynamic int8 accuracy {accuracy:P2} against float32 {_fixture.FloatAccuracy:P2}");
    }

    [Fact]
    public void QatInt8_StaysWithinHalfPoint()
    {
        SmallFashionMlp network = _fixture.Network;
        const int batchSize = 64;
        var tuning = new QuantizationAwareTraining<SmallFashionMlp>(network, new Adam(1e-4f), SmallFashionMlp.Quantized.FakeQuantizeWeights, batchSize);
        Dataset train = _fixture.Train;
        var random = new Random(7);
        var inputs = new float[batchSize * train.InputSize];
        var targets = new float[batchSize * train.TargetSize];
        for (int step = 0; step < train.Count / batchSize; step++)
        {
            for (int s = 0; s < batchSize; s++)
            {
                int index = random.Next(train.Count);
                train.Input(index).CopyTo(inputs.AsSpan(s * train.InputSize));
                train.Target(index).CopyTo(targets.AsSpan(s * train.TargetSize));
            }

            tuning.TrainStep(inputs, targets);
        }

        tuning.CopyMasterToNetwork();
        var model = SmallFashionMlp.Quantized.Calibrate(network, _fixture.Calibration, () => new MseObserver());
        double accuracy = FashionInt8Fixture.Accuracy(model.Forward, model.CreateWorkspace(FashionInt8Fixture.Batch), _fixture.Test);

        Assert.True(_fixture.FloatAccuracy - accuracy <= QatAllowedDrop,
            $"QAT int8 accuracy {accuracy:P2} against float32 {_fixture.FloatAccuracy:P2}");
    }
}
