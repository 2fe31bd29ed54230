using System;
using System.Linq;
using NetGen.Sparse;

namespace NetGen.Tests.Sparse;

public class SparseModelTests
{
    // Sums of up to 40 products in float, against a double reference. The activations are
    // bounded by tanh or small, so 1e-4 absolute covers the rounding of every format.
    private const float Tolerance = 1e-4f;

    private static readonly SparseFormat?[] Formats = [null, SparseFormat.Dense, SparseFormat.Csr, SparseFormat.BlockCsr];

    /// <summary>Prunes every weight matrix of the test MLP to 90 % by magnitude.</summary>
    private static SparseTestMlp PrunedMlp(int seed)
    {
        var network = new SparseTestMlp(seed);
        var random = new Random(seed);
        void FillBias(Span<float> bias)
        {
            for (int i = 0; i < bias.Length; i++)
            {
                bias[i] = (random.NextSingle() * 0.2f) - 0.1f;
            }
        }

        FillBias(network.Dense1Bias);
        FillBias(network.Dense3Bias);
        FillBias(network.Dense4Bias);

        MagnitudePruning.Prune(network.Dense1Weight, 0.9);
        MagnitudePruning.Prune(network.Dense3Weight, 0.9);
        MagnitudePruning.Prune(network.Dense4Weight, 0.9);
        return network;
    }

    private static float[] RandomInputs(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (random.NextSingle() * 4f) - 2f;
        }

        return values;
    }

    /// <summary>The test MLP in plain double loops: ReLU, dropout as identity, tanh, identity.</summary>
    private static double[] ReferenceForward(SparseTestMlp network, ReadOnlySpan<float> input)
    {
        double[] Layer(ReadOnlySpan<float> w, ReadOnlySpan<float> b, double[] x, int outputs, Func<double, double> activation)
        {
            var y = new double[outputs];
            for (int o = 0; o < outputs; o++)
            {
                double sum = b[o];
                for (int i = 0; i < x.Length; i++)
                {
                    sum += w[(o * x.Length) + i] * x[i];
                }

                y[o] = activation(sum);
            }

            return y;
        }

        double[] x0 = Array.ConvertAll(input.ToArray(), v => (double)v);
        double[] h1 = Layer(network.Dense1Weight, network.Dense1Bias, x0, SparseTestMlp.Dense1Outputs, v => Math.Max(v, 0));
        double[] h3 = Layer(network.Dense3Weight, network.Dense3Bias, h1, SparseTestMlp.Dense3Outputs, Math.Tanh);
        return Layer(network.Dense4Weight, network.Dense4Bias, h3, SparseTestMlp.Dense4Outputs, v => v);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(8)]
    [InlineData(37)]
    [InlineData(64)]
    public void SparseModel_MatchesReferenceLoop(int batch)
    {
        SparseTestMlp network = PrunedMlp(seed: 3);
        float[] inputs = RandomInputs(batch * SparseTestMlp.InputSize, seed: batch);
        foreach (SparseFormat? format in Formats)
        {
            var model = new SparseTestMlp.SparseModel(network, maxBatchSize: 64, format);
            var outputs = new float[batch * SparseTestMlp.OutputSize];
            model.Forward(inputs, outputs);

            for (int s = 0; s < batch; s++)
            {
                double[] expected = ReferenceForward(network, inputs.AsSpan(s * SparseTestMlp.InputSize, SparseTestMlp.InputSize));
                for (int o = 0; o < expected.Length; o++)
                {
                    float actual = outputs[(s * SparseTestMlp.OutputSize) + o];
                    Assert.True(
                        Math.Abs(actual - expected[o]) <= Tolerance,
                        $"format {format?.ToString() ?? "auto"}, batch {batch}, sample {s}, output {o}: {actual} against {expected[o]}");
                }
            }
        }
    }

    [Fact]
    public void SparseModel_MatchesFloatNetwork()
    {
        SparseTestMlp network = PrunedMlp(seed: 11);
        const int Batch = 48;
        float[] inputs = RandomInputs(Batch * SparseTestMlp.InputSize, seed: 12);
        var expected = new float[Batch * SparseTestMlp.OutputSize];
        network.Forward(inputs, expected, network.CreateWorkspace(Batch));

        var model = new SparseTestMlp.SparseModel(network, maxBatchSize: Batch, SparseFormat.Csr);
        var actual = new float[expected.Length];
        model.Forward(inputs, actual);

        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= Tolerance, $"output {i}: {actual[i]} against {expected[i]}");
        }
    }

    [Fact]
    public void SparseModel_PredictMatchesForward()
    {
        SparseTestMlp network = PrunedMlp(seed: 5);
        var model = new SparseTestMlp.SparseModel(network, maxBatchSize: 4);
        float[] input = RandomInputs(SparseTestMlp.InputSize, seed: 6);
        double[] expected = ReferenceForward(network, input);

        Assert.Equal(Array.IndexOf(expected, expected.Max()), model.Predict(input));
    }

    [Fact]
    public void SparseModel_SoftmaxAndTrailingDropout_MatchReference()
    {
        var network = new SparseSoftmaxNetwork(seed: 2);
        MagnitudePruning.Prune(network.Dense1Weight, 0.8);
        const int Batch = 16;
        float[] inputs = RandomInputs(Batch * SparseSoftmaxNetwork.InputSize, seed: 4);
        var outputs = new float[Batch * SparseSoftmaxNetwork.OutputSize];

        foreach (SparseFormat? format in Formats)
        {
            new SparseSoftmaxNetwork.SparseModel(network, Batch, format).Forward(inputs, outputs);
            for (int s = 0; s < Batch; s++)
            {
                var hidden = new double[SparseSoftmaxNetwork.Dense1Outputs];
                for (int o = 0; o < hidden.Length; o++)
                {
                    double z = network.Dense1Bias[o];
                    for (int i = 0; i < SparseSoftmaxNetwork.InputSize; i++)
                    {
                        z += network.Dense1Weight[(o * SparseSoftmaxNetwork.InputSize) + i] * inputs[(s * SparseSoftmaxNetwork.InputSize) + i];
                    }

                    hidden[o] = z / (1 + Math.Exp(-z));
                }

                var logits = new double[SparseSoftmaxNetwork.OutputSize];
                for (int o = 0; o < logits.Length; o++)
                {
                    logits[o] = network.Dense2Bias[o];
                    for (int i = 0; i < hidden.Length; i++)
                    {
                        logits[o] += network.Dense2Weight[(o * hidden.Length) + i] * hidden[i];
                    }
                }

                double max = logits.Max();
                double total = logits.Sum(v => Math.Exp(v - max));
                for (int o = 0; o < logits.Length; o++)
                {
                    double expected = Math.Exp(logits[o] - max) / total;
                    float actual = outputs[(s * SparseSoftmaxNetwork.OutputSize) + o];
                    Assert.True(Math.Abs(actual - expected) <= Tolerance, $"format {format?.ToString() ?? "auto"}, sample {s}, output {o}: {actual} against {expected}");
                }
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(40)]
    public void SparseModel_ConvolutionLayers_MatchFloatNetwork(int batch)
    {
        // Convolution, batch norm, pooling and the residual block run the float network's own
        // steps; only the two fully connected layers are sparse.
        var network = new SparseConvNetwork(seed: 5);
        MagnitudePruning.Prune(network.Dense8Weight, 0.9);
        MagnitudePruning.Prune(network.Dense10Weight, 0.9);
        Span<float> buffers = network.Buffers;
        for (int i = 0; i < buffers.Length; i++)
        {
            buffers[i] = 0.5f + (0.1f * (i % 3));
        }

        float[] inputs = RandomInputs(batch * SparseConvNetwork.InputSize, seed: batch);
        var expected = new float[batch * SparseConvNetwork.OutputSize];
        network.Forward(inputs, expected, network.CreateWorkspace(batch));

        foreach (SparseFormat? format in Formats)
        {
            var model = new SparseConvNetwork.SparseModel(network, maxBatchSize: 40, format);
            var actual = new float[expected.Length];
            model.Forward(inputs, actual);
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.True(
                    Math.Abs(actual[i] - expected[i]) <= Tolerance * (1 + Math.Abs(expected[i])),
                    $"format {format?.ToString() ?? "auto"}, batch {batch}, output {i}: {actual[i]} against {expected[i]}");
            }
        }
    }

    [Fact]
    public void SparseModel_CopiesParametersAtConstruction()
    {
        SparseTestMlp network = PrunedMlp(seed: 7);
        float[] input = RandomInputs(SparseTestMlp.InputSize, seed: 8);
        var model = new SparseTestMlp.SparseModel(network, maxBatchSize: 1);
        var before = new float[SparseTestMlp.OutputSize];
        model.Forward(input, before);

        network.Dense4Bias.Fill(100f);
        var after = new float[SparseTestMlp.OutputSize];
        model.Forward(input, after);

        Assert.Equal(before, after);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(64)]
    public void SparseModel_Forward_AllocatesNothing(int batch)
    {
        SparseTestMlp network = PrunedMlp(seed: 9);
        float[] inputs = RandomInputs(batch * SparseTestMlp.InputSize, seed: 10);
        var outputs = new float[batch * SparseTestMlp.OutputSize];
        foreach (SparseFormat? format in Formats)
        {
            var model = new SparseTestMlp.SparseModel(network, maxBatchSize: 64, format);
            model.Forward(inputs, outputs);
            model.Predict(inputs.AsSpan(0, SparseTestMlp.InputSize));

            Assert.Equal(0, SteadyAllocation.MedianBytes(() =>
            {
                for (int i = 0; i < 10; i++)
                {
                    model.Forward(inputs, outputs);
                    model.Predict(inputs.AsSpan(0, SparseTestMlp.InputSize));
                }
            }));
        }
    }

    [Fact]
    public void SparseModel_BatchAboveMaximum_Throws()
    {
        var model = new SparseTestMlp.SparseModel(PrunedMlp(seed: 1), maxBatchSize: 2);
        var inputs = new float[3 * SparseTestMlp.InputSize];
        var outputs = new float[3 * SparseTestMlp.OutputSize];

        var error = Assert.Throws<ArgumentException>(() => model.Forward(inputs, outputs));
        Assert.Contains("at most 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SparseModel_PicksFormatsByCrossover()
    {
        var network = new SparseTestMlp(seed: 4);
        MagnitudePruning.Prune(network.Dense1Weight, 0.97);
        BlockPruning.Prune(network.Dense3Weight, SparseTestMlp.Dense3Outputs, SparseTestMlp.Dense3Inputs, 0.9);

        var model = new SparseTestMlp.SparseModel(network);

        Assert.Equal(SparseFormat.Csr, model.Dense1.SampleFormat);
        Assert.Equal(SparseFormat.Csr, model.Dense1.BatchFormat);
        Assert.Equal(SparseFormat.BlockCsr, model.Dense3.SampleFormat);
        Assert.Equal(SparseFormat.Dense, model.Dense4.SampleFormat);
        Assert.Equal(SparseFormat.Dense, model.Dense4.BatchFormat);
        Assert.Equal(0.0, model.Dense4.Sparsity);
    }
}
