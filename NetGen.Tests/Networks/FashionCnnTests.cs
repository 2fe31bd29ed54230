using System;
using NetGen.Data;
using NetGen.Tests.Data;

namespace NetGen.Tests.Networks;

/// <summary>The CNN of the fashion-cnn sample, declared again because the tests do not reference the sample program.</summary>
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(1, 28, 28)]
[Conv2D(32, 3, PaddingMode = PaddingMode.Same, Bias = false)]
[BatchNorm(Activation.Relu)]
[MaxPool(2)]
[Conv2D(64, 3, PaddingMode = PaddingMode.Same, Bias = false)]
[BatchNorm(Activation.Relu)]
[MaxPool(2)]
[Flatten]
[Dense(128, Activation.Relu, Inputs = 64 * 7 * 7)]
[Dropout(0.25f)]
[Dense(10)]
public sealed partial class FashionCnn;

/// <summary>
/// The sample CNN against a plain double-precision reference built from torch's layer definitions,
/// and trained briefly on real Fashion-MNIST images.
/// </summary>
public sealed class FashionCnnTests(FashionMnistFixture fixture) : IClassFixture<FashionMnistFixture>
{
    // NetGen sums in float32, in another order than the reference. The longest sum has 3,136
    // terms, and rounding moves the outputs, of order 1, by an estimated 1e-5. A wrong weight,
    // index or statistic moves them by 1e-2 or more, far above this tolerance.
    private const double OutputTolerance = 1e-4;

    private const float BatchNormEpsilon = 1e-5f;
    private const int Side = 28;
    private const int Classes = 10;

    [Fact]
    public void Forward_MatchesReference()
    {
        var network = new FashionCnn(seed: 3);
        RandomizeNormalization(network, new Random(11));
        float[][] images = RandomImages(count: 3, new Random(12));

        var output = new float[Classes];
        foreach (float[] image in images)
        {
            double[] expected = ReferenceForward(network, image);
            network.Forward(image, output);

            for (int c = 0; c < Classes; c++)
            {
                Assert.Equal(expected[c], output[c], OutputTolerance);
            }
        }
    }

    [Fact]
    public void BatchForward_MatchesReference()
    {
        var network = new FashionCnn(seed: 4);
        RandomizeNormalization(network, new Random(13));
        float[][] images = RandomImages(count: 5, new Random(14));
        var inputs = new float[images.Length * FashionCnn.InputSize];
        for (int s = 0; s < images.Length; s++)
        {
            images[s].CopyTo(inputs, s * FashionCnn.InputSize);
        }

        // A workspace larger than the batch checks that the layers address rows by the workspace's capacity.
        Workspace workspace = network.CreateWorkspace(maxBatchSize: 8);
        var outputs = new float[images.Length * Classes];
        network.Forward(inputs, outputs, workspace);

        for (int s = 0; s < images.Length; s++)
        {
            double[] expected = ReferenceForward(network, images[s]);
            for (int c = 0; c < Classes; c++)
            {
                Assert.Equal(expected[c], outputs[(s * Classes) + c], OutputTolerance);
            }
        }
    }

    [Fact]
    public void TrainStep_DoesNotAllocate()
    {
        const int Batch = 4;
        var network = new FashionCnn(seed: 5);
        float[][] images = RandomImages(Batch, new Random(15));
        var inputs = new float[Batch * FashionCnn.InputSize];
        var targets = new float[Batch * Classes];
        for (int s = 0; s < Batch; s++)
        {
            images[s].CopyTo(inputs, s * FashionCnn.InputSize);
            targets[(s * Classes) + s] = 1;
        }

        Workspace workspace = network.CreateWorkspace(Batch);
        var optimizer = new Adam(learningRate: 1e-3f);
        network.TrainStep(inputs, targets, optimizer, workspace);   // Adam allocates its moments here.

        Assert.Equal(0, SteadyAllocation.MedianBytes(() => network.TrainStep(inputs, targets, optimizer, workspace)));
    }

    [Fact]
    public void BatchForward_DoesNotAllocate()
    {
        const int Batch = 4;
        var network = new FashionCnn(seed: 6);
        float[][] images = RandomImages(Batch, new Random(16));
        var inputs = new float[Batch * FashionCnn.InputSize];
        for (int s = 0; s < Batch; s++)
        {
            images[s].CopyTo(inputs, s * FashionCnn.InputSize);
        }

        Workspace workspace = network.CreateWorkspace(Batch);
        var outputs = new float[Batch * Classes];
        network.Forward(inputs, outputs, workspace);

        Assert.Equal(0, SteadyAllocation.MedianBytes(() => network.Forward(inputs, outputs, workspace)));
    }

    [Fact]
    public void Training_OnRealImages_LearnsClasses()
    {
        // 2,000 training images for 3 epochs take a few seconds on two cores. Accuracy on 1,000
        // test images after this measured 0.807 here; 0.75 is well above the 0.1 of chance and
        // leaves room for another seed.
        const int TrainImages = 2000;
        const int TestImages = 1000;
        const double MinAccuracy = 0.75;

        Dataset train = fixture.Train.Slice(0, TrainImages);
        Dataset test = fixture.Test.Slice(0, TestImages);
        var network = new FashionCnn(seed: 42);
        using var trainer = new Trainer<FashionCnn>(network, new Adam(learningRate: 1e-3f), batchSize: 32, seed: 7, threads: 2);

        trainer.Fit(train, epochs: 3);
        EvaluationResult result = trainer.Evaluate(test);

        Assert.True(result.Accuracy >= MinAccuracy, $"Test accuracy {result.Accuracy:F3} after 3 epochs on {TrainImages} images is below {MinAccuracy}.");
    }

    /// <summary>
    /// Gives every batch norm γ, β and running statistics away from their starting values, and the
    /// dense layers nonzero biases, so that the reference checks each of them.
    /// </summary>
    private static void RandomizeNormalization(FashionCnn network, Random random)
    {
        Fill(network.Dense8Bias, random, -0.2, 0.2);
        Fill(network.Dense10Bias, random, -0.2, 0.2);
        FillNormalization(network.BatchNorm2Weight, network.BatchNorm2Bias, network.BatchNorm2RunningMean, network.BatchNorm2RunningVar, random);
        FillNormalization(network.BatchNorm5Weight, network.BatchNorm5Bias, network.BatchNorm5RunningMean, network.BatchNorm5RunningVar, random);
    }

    private static void FillNormalization(Span<float> gamma, Span<float> beta, Span<float> mean, Span<float> variance, Random random)
    {
        Fill(gamma, random, 0.5, 1.5);
        Fill(beta, random, -0.5, 0.5);
        Fill(mean, random, 0, 0.5);
        Fill(variance, random, 0.2, 2);
    }

    private static void Fill(Span<float> values, Random random, double low, double high)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)(low + ((high - low) * random.NextDouble()));
        }
    }

    /// <summary>Images with values in [−1, 2], about the range of standardised Fashion-MNIST pixels.</summary>
    private static float[][] RandomImages(int count, Random random)
    {
        var images = new float[count][];
        for (int s = 0; s < count; s++)
        {
            images[s] = new float[Side * Side];
            for (int i = 0; i < images[s].Length; i++)
            {
                images[s][i] = (3 * random.NextSingle()) - 1;
            }
        }

        return images;
    }

    /// <summary>The network in evaluation mode, layer by layer, with torch's definitions in double precision.</summary>
    private static double[] ReferenceForward(FashionCnn network, float[] image)
    {
        double[] x = Array.ConvertAll(image, value => (double)value);

        x = ReferenceCnn.Conv2D(x, 1, Side, Side, network.Conv1Weight, bias: default, 32, kernel: 3, padding: 1, out int h, out int w);
        ReferenceCnn.BatchNormEvaluation(x, 32, network.BatchNorm2Weight, network.BatchNorm2Bias, network.BatchNorm2RunningMean, network.BatchNorm2RunningVar, BatchNormEpsilon);
        ReferenceCnn.Relu(x);
        x = ReferenceCnn.MaxPool(x, 32, h, w, kernel: 2, out h, out w);

        x = ReferenceCnn.Conv2D(x, 32, h, w, network.Conv4Weight, bias: default, 64, kernel: 3, padding: 1, out h, out w);
        ReferenceCnn.BatchNormEvaluation(x, 64, network.BatchNorm5Weight, network.BatchNorm5Bias, network.BatchNorm5RunningMean, network.BatchNorm5RunningVar, BatchNormEpsilon);
        ReferenceCnn.Relu(x);
        x = ReferenceCnn.MaxPool(x, 64, h, w, kernel: 2, out h, out w);

        // Flatten keeps the [channel, row, column] order, so x is already the dense layer's input.
        x = ReferenceCnn.Dense(x, network.Dense8Weight, network.Dense8Bias, 128);
        ReferenceCnn.Relu(x);
        return ReferenceCnn.Dense(x, network.Dense10Weight, network.Dense10Bias, Classes);
    }
}
