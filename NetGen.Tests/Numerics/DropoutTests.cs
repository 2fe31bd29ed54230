using System;
using System.Linq;

namespace NetGen.Tests.Numerics;

[Network, Input(37), Dropout(0.3f), Dense(1)]
internal sealed partial class InputDropoutProbe;

[Network(Loss = Loss.SoftmaxCrossEntropy), Input(5), Dense(16, Activation.Tanh), Dropout(0.5f), Dense(2)]
internal sealed partial class HiddenDropoutProbe;

public class DropoutTests
{
    private const float Probability = 0.3f;
    private const double Tolerance = 1e-4;

    private static float[] RandomInput(Random random, int count) =>
        Enumerable.Range(0, count).Select(_ => (random.NextSingle() * 2) - 1).ToArray();

    [Fact]
    public void Inference_PassesValuesThrough()
    {
        var network = new HiddenDropoutProbe(1);
        var reference = new ReferenceMlp(5, new[] { new ReferenceLayer(16, Activation.Tanh), new ReferenceLayer(2, Activation.Identity) }, new ReferenceLoss(Loss.SoftmaxCrossEntropy));
        double[] parameters = network.Parameters.ToArray().Select(v => (double)v).ToArray();
        float[] input = RandomInput(new Random(2), 5);
        var output = new float[2];

        network.Forward(input, output);

        double[] expected = reference.Forward(parameters, input.Select(v => (double)v).ToArray());
        Assert.Equal(expected[0], output[0], Tolerance);
        Assert.Equal(expected[1], output[1], Tolerance);
    }

    [Fact]
    public void Training_ScalesKeptValuesAndMatchesBackward()
    {
        // y = W·(x ⊙ m) + b with squared error, so db = y − t and dWᵢ = (y − t)·xᵢ·mᵢ: the mask
        // can be read back from the gradient and checked against the forward output.
        var network = new InputDropoutProbe(3);
        Workspace workspace = network.CreateWorkspace(1);
        workspace.IsTraining = true;
        var random = new Random(4);
        int zeros = 0;
        int total = 0;
        for (int trial = 0; trial < 200; trial++)
        {
            float[] x = RandomInput(random, 37);
            var y = new float[1];
            float[] t = { 0.25f };
            network.Forward(x, y, workspace);
            workspace.ZeroGradients();
            network.Backward(x, t, workspace);

            float[] dw = workspace.Gradients.Slice(0, 37).ToArray();
            float db = workspace.Gradients[37];
            Assert.Equal(y[0] - t[0], db, Tolerance);
            double rebuilt = network.Dense2Bias[0];
            for (int i = 0; i < 37; i++)
            {
                double mask = dw[i] / (db * x[i]);
                bool dropped = Math.Abs(mask) < 1e-3;
                Assert.True(dropped || Math.Abs(mask - (1 / (1 - Probability))) < 1e-3, $"mask {mask} is neither 0 nor 1/(1 − p)");
                zeros += dropped ? 1 : 0;
                total++;
                rebuilt += network.Dense2Weight[i] * x[i] * mask;
            }

            Assert.Equal(rebuilt, y[0], Tolerance);
        }

        // 7,400 Bernoulli(0.3) draws: the standard error of the fraction is 0.0053; allow 4 of them.
        Assert.InRange(zeros / (double)total, Probability - 0.021, Probability + 0.021);
    }

    [Fact]
    public void NotTraining_LeavesGradientUnmasked()
    {
        var network = new InputDropoutProbe(5);
        Workspace workspace = network.CreateWorkspace(1);
        float[] x = RandomInput(new Random(6), 37);
        var y = new float[1];
        network.Forward(x, y, workspace);
        network.Backward(x, new[] { 0f }, workspace);
        float db = workspace.Gradients[37];
        for (int i = 0; i < 37; i++)
        {
            Assert.Equal(db * x[i], workspace.Gradients[i], Tolerance);
        }
    }

    [Fact]
    public void TrainStep_AppliesDropoutDeterministically()
    {
        float[] first = Train();
        float[] second = Train();
        Assert.Equal(first, second);

        static float[] Train()
        {
            var network = new HiddenDropoutProbe(7);
            Workspace workspace = network.CreateWorkspace(4);
            var random = new Random(8);
            float[] inputs = RandomInput(random, 20);
            float[] targets = { 1, 0, 0, 1, 1, 0, 0, 1 };
            var optimizer = new Sgd(0.1f);
            for (int step = 0; step < 10; step++)
            {
                network.TrainStep(inputs, targets, optimizer, workspace);
            }

            return network.Parameters.ToArray();
        }
    }
}

public class DropoutTrainerTests
{
    [Fact]
    public void Trainer_AppliesDropoutOnlyWhileTraining()
    {
        // With p = 0.5 on the hidden layer, training outputs are noisy but evaluation is not:
        // evaluating the same data twice must give the same loss, and equal seeds equal weights.
        var random = new Random(1);
        float[] inputs = Enumerable.Range(0, 64 * 5).Select(_ => random.NextSingle()).ToArray();
        var labels = Enumerable.Range(0, 64).Select(i => (byte)(i % 2)).ToArray();
        var data = NetGen.Data.Dataset.ForClassification(inputs, 5, labels, 2);

        float[] Train(int threads)
        {
            var network = new HiddenDropoutProbe(2);
            using var trainer = new Trainer<HiddenDropoutProbe>(network, new Sgd(0.1f), batchSize: 16, seed: 3, threads: threads, chunkSize: 4);
            trainer.Fit(data, 2);
            float first = (float)trainer.Evaluate(data).Loss;
            float second = (float)trainer.Evaluate(data).Loss;
            Assert.Equal(first, second);
            return network.Parameters.ToArray();
        }

        Assert.Equal(Train(1), Train(2));
    }
}
