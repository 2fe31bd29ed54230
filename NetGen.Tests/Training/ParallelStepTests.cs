using System;
using System.Linq;
using NetGen.Data;

namespace NetGen.Tests.Training;

// 100 → 64 → 10: 7,114 parameters, so the trainer's parallel step covers two blocks of 4,096.
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(100)]
[Dense(64, Activation.Tanh)]
[Dense(10)]
internal sealed partial class TwoBlockMlp;

/// <summary>
/// The trainer spreads the step of an <see cref="IElementwiseOptimizer"/> over its threads. These
/// tests check that it gives the bits of the optimizer's own Step, and that it takes no step on a
/// gradient with an infinity.
/// </summary>
public class ParallelStepTests
{
    [Theory]
    [InlineData(48, 16)] // three chunks: the step reads the sum of the chunk gradients
    [InlineData(16, 16)] // one chunk: the calling thread steps alone
    public void Fit_ParallelStep_SameBitsAsOneStepCall(int batchSize, int chunkSize)
    {
        Dataset train = RandomClassification(150, seed: 21);
        float[] parallel = Train(new AdamW(0.01f), threads: 2);
        float[] serial = Train(new StepOnly(new AdamW(0.01f)), threads: 2);
        float[] oneThread = Train(new AdamW(0.01f), threads: 1);

        Assert.Equal(Bits(serial), Bits(parallel));
        Assert.Equal(Bits(oneThread), Bits(parallel));
        Assert.NotEqual(Bits(new TwoBlockMlp(seed: 22).Parameters.ToArray()), Bits(parallel));

        float[] Train(IOptimizer optimizer, int threads)
        {
            var network = new TwoBlockMlp(seed: 22);
            using var trainer = new Trainer<TwoBlockMlp>(network, optimizer, batchSize, seed: 23, threads: threads, chunkSize: chunkSize);
            trainer.Fit(train, epochs: 2);
            return network.Parameters.ToArray();
        }
    }

    [Theory]
    [InlineData(4, 2)] // two chunks: the sum of the chunk gradients contains the infinity
    [InlineData(4, 4)] // one chunk
    public void Fit_InfiniteGradient_TakesNoStep(int batchSize, int chunkSize)
    {
        // Inputs of 3e38 against targets of −2: the loss ½·(0 + 2)² is finite, and the weight's
        // gradient (y − t)·x = 6e38 overflows to infinity.
        var data = new Dataset(Enumerable.Repeat(3e38f, 4).ToArray(), 1, Enumerable.Repeat(-2f, 4).ToArray(), 1);
        var network = new LinearTestNetwork(1, 1, Loss.SquaredError);
        var optimizer = new Adam(0.1f);
        using var trainer = new Trainer<LinearTestNetwork>(network, optimizer, batchSize, threads: 2, chunkSize: chunkSize);

        var error = Assert.Throws<ArithmeticException>(() => trainer.Fit(data, epochs: 1));

        Assert.Contains("gradient", error.Message, StringComparison.Ordinal);
        Assert.Equal([0f, 0f], network.Parameters.ToArray());
        Assert.Equal(0, optimizer.StepCount);
    }

    [Theory]
    [InlineData(0f)]     // the sum at weight 5 is +∞
    [InlineData(-3e38f)] // +∞ and −∞ at weight 5 give NaN, in one chunk or across two
    public void Fit_NonFiniteChunkSum_TakesNoStep(float otherInput)
    {
        // 40 inputs and a bias: 41 parameters, two 16-float vectors and a tail. With targets of −4,
        // a sample's gradient (y − t)·x / 2 = 2·x overflows where x = ±3e38. That holds whichever of
        // the three chunks the shuffle puts the sample in. The inputs sit at weight 5 (in a vector)
        // and weight 35 (in the tail).
        const int Inputs = 40;
        var inputs = new float[6 * Inputs];
        inputs[(2 * Inputs) + 5] = 3e38f;
        inputs[(2 * Inputs) + 35] = 3e38f;
        inputs[(4 * Inputs) + 5] = otherInput;
        var data = new Dataset(inputs, Inputs, Enumerable.Repeat(-4f, 6).ToArray(), 1);
        var network = new LinearTestNetwork(Inputs, 1, Loss.SquaredError);
        var optimizer = new Adam(0.1f);
        using var trainer = new Trainer<LinearTestNetwork>(network, optimizer, batchSize: 6, threads: 2, chunkSize: 2);

        var error = Assert.Throws<ArithmeticException>(() => trainer.Fit(data, epochs: 1));

        Assert.Contains("gradient", error.Message, StringComparison.Ordinal);
        Assert.All(network.Parameters.ToArray(), value => Assert.Equal(0f, value));
        Assert.Equal(0, optimizer.StepCount);
    }

    /// <summary>Passes every step to an optimizer as one Step call, hiding that it is elementwise.</summary>
    private sealed class StepOnly(IOptimizer inner) : IOptimizer
    {
        public float LearningRate
        {
            get => inner.LearningRate;
            set => inner.LearningRate = value;
        }

        public void Step(Span<float> parameters, ReadOnlySpan<float> gradients) => inner.Step(parameters, gradients);

        public void Reset() => inner.Reset();
    }

    private static Dataset RandomClassification(int count, int seed)
    {
        var random = new Random(seed);
        var inputs = new float[count * TwoBlockMlp.InputSize];
        var labels = new byte[count];
        for (int i = 0; i < inputs.Length; i++)
        {
            inputs[i] = (float)((random.NextDouble() * 2) - 1);
        }

        for (int i = 0; i < count; i++)
        {
            labels[i] = (byte)random.Next(TwoBlockMlp.OutputSize);
        }

        return Dataset.ForClassification(inputs, TwoBlockMlp.InputSize, labels, TwoBlockMlp.OutputSize);
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();
}
