using System;
using System.Linq;
using NetGen.Quantization;

namespace NetGen.Tests.Quantization;

/// <summary>
/// Quantization-aware training of a network with batch norm trains it as the generated TrainStep
/// does, and a rejected step leaves its running statistics alone.
/// </summary>
public class QatBatchNormTests
{
    private const int Batch = 6;

    private static float[] Values(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
    }

    // Rounds nothing, so a step must match the float network's own TrainStep.
    private static void KeepWeights(Span<float> parameters)
    {
    }

    [Fact]
    public void Step_MatchesGeneratedTrainStep()
    {
        float[] inputs = Values(Batch * QatBatchNormNet.InputSize, 1);
        float[] targets = Values(Batch * QatBatchNormNet.OutputSize, 2);
        var reference = new QatBatchNormNet(3);
        float expectedLoss = reference.TrainStep(inputs, targets, new Sgd(0.1f), reference.CreateWorkspace(Batch));

        var network = new QatBatchNormNet(3);
        var training = new QuantizationAwareTraining<QatBatchNormNet>(network, new Sgd(0.1f), KeepWeights, Batch);
        float loss = training.TrainStep(inputs, targets);

        Assert.Equal(expectedLoss, loss);
        Assert.Equal(reference.Buffers.ToArray(), network.Buffers.ToArray());
        Assert.Equal(reference.Parameters.ToArray(), training.MasterParameters.ToArray());
    }

    [Fact]
    public void NaNInput_KeepsStatistics()
    {
        var network = new QatBatchNormNet(3);
        float[] buffers = network.Buffers.ToArray();
        var training = new QuantizationAwareTraining<QatBatchNormNet>(network, new Sgd(0.1f), KeepWeights, Batch);
        float[] inputs = Values(Batch * QatBatchNormNet.InputSize, 1);
        inputs[4] = float.NaN;

        var error = Assert.Throws<ArithmeticException>(() => training.TrainStep(inputs, Values(Batch * QatBatchNormNet.OutputSize, 2)));

        Assert.Contains("the master weights and the batch-norm running statistics are unchanged", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("the parameters are unchanged", error.Message, StringComparison.Ordinal);
        Assert.Equal(buffers, network.Buffers.ToArray());
        Assert.False(training.Workspace.HasPendingStatistics);
    }

    [Fact]
    public void FrozenWorkspace_KeepsStatistics()
    {
        float[] inputs = Values(Batch * QatBatchNormNet.InputSize, 1);
        float[] targets = Values(Batch * QatBatchNormNet.OutputSize, 2);
        var network = new QatBatchNormNet(3);
        float[] buffers = network.Buffers.ToArray();
        var training = new QuantizationAwareTraining<QatBatchNormNet>(network, new Sgd(0.1f), KeepWeights, Batch);
        training.Workspace.IsTraining = false;

        // In evaluation mode the loss is that of the running statistics.
        var evaluation = new QatBatchNormNet(3);
        float expectedLoss = evaluation.ComputeLoss(Outputs(evaluation, inputs), targets);

        float loss = training.TrainStep(inputs, targets);

        Assert.Equal(expectedLoss, loss, 6);
        Assert.Equal(buffers, network.Buffers.ToArray());
    }

    [Fact]
    public void OneSampleBatch_KeepsParameters()
    {
        var network = new QatBatchNormNet(3);
        float[] parameters = network.Parameters.ToArray();
        var training = new QuantizationAwareTraining<QatBatchNormNet>(network, new Sgd(0.1f), p => p.Fill(0.25f), Batch);

        var error = Assert.Throws<ArgumentException>(() => training.TrainStep(Values(QatBatchNormNet.InputSize, 1), Values(QatBatchNormNet.OutputSize, 2)));

        Assert.Equal("inputs", error.ParamName);
        Assert.Contains("at least 2", error.Message, StringComparison.Ordinal);
        Assert.Equal(parameters, network.Parameters.ToArray());
    }

    [Fact]
    public void FrozenWorkspace_TrainsOneSampleBatches()
    {
        var training = new QuantizationAwareTraining<QatBatchNormNet>(new QatBatchNormNet(3), new Sgd(0.1f), KeepWeights, Batch);
        training.Workspace.IsTraining = false;

        float loss = training.TrainStep(Values(QatBatchNormNet.InputSize, 1), Values(QatBatchNormNet.OutputSize, 2));

        Assert.True(float.IsFinite(loss));
    }

    private static float[] Outputs(QatBatchNormNet network, float[] inputs)
    {
        var outputs = new float[Batch * QatBatchNormNet.OutputSize];
        network.Forward(inputs, outputs, network.CreateWorkspace(Batch));
        return outputs;
    }
}

[Network(Int8 = true)]
[Input(3)]
[Dense(4)]
[BatchNorm(Activation.Relu)]
[Dense(2)]
internal sealed partial class QatBatchNormNet;
