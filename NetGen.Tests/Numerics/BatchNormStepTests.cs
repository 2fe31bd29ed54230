using System;
using System.Linq;

namespace NetGen.Tests.Numerics;

/// <summary>
/// A training step or forward pass that fails must leave the batch-norm running statistics as they
/// were, as it leaves the parameters.
/// </summary>
public class BatchNormStepTests
{
    private const int Batch = 4;

    private static float[] Inputs(int batch, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, batch * TwoBatchNorms.InputSize).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
    }

    private static float[] Targets(int batch) => new float[batch * TwoBatchNorms.OutputSize];

    /// <summary>Returns the running statistics after one training forward pass, which moves them as it goes.</summary>
    private static float[] BuffersAfterTrainingForward(float[] inputs)
    {
        var network = new TwoBatchNorms(1);
        Workspace workspace = network.CreateWorkspace(Batch);
        workspace.IsTraining = true;
        network.Forward(inputs, Targets(Batch), workspace);
        return network.Buffers.ToArray();
    }

    /// <summary>Runs one TrainStep with a step size of 0 on a workspace that keeps its statistics for the caller.</summary>
    private static (TwoBatchNorms Network, Workspace Workspace) DeferredStep(float[] inputs)
    {
        var network = new TwoBatchNorms(1);
        Workspace workspace = network.CreateWorkspace(Batch);
        workspace.DefersStatistics = true;
        network.TrainStep(inputs, Targets(Batch), new Sgd(0f), workspace);
        return (network, workspace);
    }

    [Fact]
    public void NaNInput_KeepsStatistics()
    {
        var network = new TwoBatchNorms(1);
        float[] inputs = Inputs(Batch, 2);
        inputs[5] = float.NaN;
        float[] parameters = network.Parameters.ToArray();
        float[] buffers = network.Buffers.ToArray();

        Assert.Throws<ArithmeticException>(() => network.TrainStep(inputs, Targets(Batch), new Sgd(0.1f), network.CreateWorkspace(Batch)));

        Assert.Equal(parameters, network.Parameters.ToArray());
        Assert.Equal(buffers, network.Buffers.ToArray());
    }

    [Fact]
    public void OneSampleStep_KeepsStatistics()
    {
        // The first batch norm follows a convolution, so one sample gives it four values per
        // channel. The second follows a dense layer and needs two samples.
        var network = new TwoBatchNorms(1);
        float[] buffers = network.Buffers.ToArray();

        var error = Assert.Throws<InvalidOperationException>(() => network.TrainStep(Inputs(1, 3), Targets(1), new Sgd(0.1f), network.CreateWorkspace(1)));

        Assert.Contains("BatchNorm5", error.Message, StringComparison.Ordinal);
        Assert.Equal(buffers, network.Buffers.ToArray());
    }

    [Fact]
    public void OneSampleTrainingForward_KeepsStatistics()
    {
        var network = new TwoBatchNorms(1);
        float[] buffers = network.Buffers.ToArray();
        Workspace workspace = network.CreateWorkspace(1);
        workspace.IsTraining = true;

        Assert.Throws<InvalidOperationException>(() => network.Forward(Inputs(1, 3), new float[TwoBatchNorms.OutputSize], workspace));

        Assert.Equal(buffers, network.Buffers.ToArray());
    }

    [Fact]
    public void Step_MovesStatisticsAsForward()
    {
        // A training forward pass moves the running statistics as it goes, and TrainStep moves them
        // after the optimizer step. Both must end at the same values.
        float[] inputs = Inputs(Batch, 4);
        var stepped = new TwoBatchNorms(1);
        Workspace stepWorkspace = stepped.CreateWorkspace(Batch);
        stepped.TrainStep(inputs, Targets(Batch), new Sgd(0.1f), stepWorkspace);

        Assert.Equal(BuffersAfterTrainingForward(inputs), stepped.Buffers.ToArray());
        Assert.NotEqual(new TwoBatchNorms(1).Buffers.ToArray(), stepped.Buffers.ToArray());
        Assert.False(stepWorkspace.DefersStatistics);
        Assert.False(stepWorkspace.HasPendingStatistics);
    }

    [Fact]
    public void CallerDeferral_KeepsStatisticsPending()
    {
        var network = new TwoBatchNorms(1);
        float[] buffers = network.Buffers.ToArray();
        Workspace workspace = network.CreateWorkspace(Batch);
        workspace.DefersStatistics = true;

        network.TrainStep(Inputs(Batch, 4), Targets(Batch), new Sgd(0.1f), workspace);

        Assert.Equal(buffers, network.Buffers.ToArray());
        Assert.True(workspace.DefersStatistics);
        Assert.True(workspace.HasPendingStatistics);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Commit_UsesTheKeptBatchSize(int evaluationBatch)
    {
        float[] inputs = Inputs(Batch, 4);
        (TwoBatchNorms deferred, Workspace workspace) = DeferredStep(inputs);

        // A forward pass in evaluation mode with another batch size runs before the commit.
        deferred.Forward(Inputs(evaluationBatch, 5), Targets(evaluationBatch), workspace);
        deferred.CommitStatistics(workspace);

        Assert.Equal(BuffersAfterTrainingForward(inputs), deferred.Buffers.ToArray());
    }

    [Fact]
    public void RejectedBatch_KeepsEarlierPendingStatistics()
    {
        float[] inputs = Inputs(Batch, 4);
        (TwoBatchNorms deferred, Workspace workspace) = DeferredStep(inputs);

        Assert.Throws<InvalidOperationException>(() => deferred.TrainStep(Inputs(1, 3), Targets(1), new Sgd(0f), workspace));

        Assert.True(workspace.HasPendingStatistics);
        deferred.CommitStatistics(workspace);
        Assert.Equal(BuffersAfterTrainingForward(inputs), deferred.Buffers.ToArray());
    }

    [Fact]
    public void FailedDeferredStep_LeavesNothingPending()
    {
        var network = new TwoBatchNorms(1);
        Workspace workspace = network.CreateWorkspace(Batch);
        workspace.DefersStatistics = true;
        float[] inputs = Inputs(Batch, 4);
        inputs[0] = float.PositiveInfinity;

        Assert.Throws<ArithmeticException>(() => network.TrainStep(inputs, Targets(Batch), new Sgd(0.1f), workspace));

        Assert.True(workspace.DefersStatistics);
        Assert.False(workspace.HasPendingStatistics);
    }
}

[Network]
[Input(1, 4, 4)]
[Conv2D(2, 3)]
[BatchNorm]
[Flatten]
[Dense(3)]
[BatchNorm]
[Dense(2)]
internal sealed partial class TwoBatchNorms;
