using System;
using System.Collections.Generic;
using System.Linq;
using NetGen.Data;

namespace NetGen.Tests.Training;

/// <summary>Early stopping and the learning-rate schedule of <see cref="Trainer{TNetwork}.Fit"/>.</summary>
public class FitOptionsTests
{
    // Validation losses are ½·b² computed through float outputs; the expected values are exact
    // in double, and the float round trip keeps about 7 significant digits.
    private const double ValidationLossTolerance = 1e-6;

    [Fact]
    public void EarlyStopping_MaximumEpochCount_RunsUntilStopped()
    {
        // int.MaxValue epochs means training until early stopping. The history used to reserve a
        // slot per requested epoch, an estimated 17 GB, and the process ran out of memory.
        float[] biases = [4, 3, 2, 2.5f, 3, 2.2f, 1];
        (Trainer<LinearTestNetwork> trainer, _) = ScriptedTrainer(biases);

        TrainingHistory history = trainer.Fit(ZeroInputs(4), epochs: int.MaxValue, ZeroInputs(3), earlyStopping: new EarlyStopping(patience: 3));

        Assert.Equal(6, history.Count);
        Assert.True(history.StoppedEarly);
    }

    [Fact]
    public void EarlyStopping_StopsAfterPatienceWithoutImprovement()
    {
        // Validation losses ½·b²: 8, 4.5, 2, 3.125, 4.5, 2.42, 0.5. Epoch 3 is the best, and
        // epochs 4, 5 and 6 fail to beat it, so a patience of 3 stops after epoch 6.
        float[] biases = [4, 3, 2, 2.5f, 3, 2.2f, 1];
        (Trainer<LinearTestNetwork> trainer, LinearTestNetwork network) = ScriptedTrainer(biases);

        TrainingHistory history = trainer.Fit(ZeroInputs(4), epochs: 7, ZeroInputs(3), earlyStopping: new EarlyStopping(patience: 3));

        Assert.Equal(6, history.Count);
        Assert.True(history.StoppedEarly);
        Assert.Equal(3, history.BestEpoch);
        for (int epoch = 0; epoch < history.Count; epoch++)
        {
            double expected = 0.5 * biases[epoch] * (double)biases[epoch];
            Assert.Equal(expected, history[epoch].ValidationLoss, ValidationLossTolerance);
        }

        // The first parameter counts the steps, so 3 means the parameters after epoch 3.
        Assert.Equal([3f, 2f], network.Parameters.ToArray());
        Assert.Equal(6, trainer.EpochsTrained);
    }

    [Fact]
    public void EarlyStopping_WithoutRestoreKeepsLastParameters()
    {
        (Trainer<LinearTestNetwork> trainer, LinearTestNetwork network) = ScriptedTrainer(4, 3, 2, 2.5f, 3, 2.2f, 1);

        TrainingHistory history = trainer.Fit(
            ZeroInputs(4), epochs: 7, ZeroInputs(3), earlyStopping: new EarlyStopping(patience: 3, restoreBestWeights: false));

        Assert.True(history.StoppedEarly);
        Assert.Equal(3, history.BestEpoch);
        Assert.Equal([6f, 2.2f], network.Parameters.ToArray());
    }

    [Fact]
    public void EarlyStopping_MinDeltaIgnoresSmallImprovements()
    {
        // Validation losses 8, 7.5078125, 7.03125, 6.5703125, 0.5: each epoch improves, but by
        // less than 1 on the best (8) until epoch 4, so a patience of 2 stops after epoch 3.
        float[] biases = [4, 3.875f, 3.75f, 3.625f, 1];
        (Trainer<LinearTestNetwork> strictTrainer, LinearTestNetwork strict) = ScriptedTrainer(biases);
        (Trainer<LinearTestNetwork> lenientTrainer, _) = ScriptedTrainer(biases);

        TrainingHistory strictHistory = strictTrainer.Fit(
            ZeroInputs(4), epochs: 5, ZeroInputs(3), earlyStopping: new EarlyStopping(patience: 2, minDelta: 1));
        TrainingHistory lenientHistory = lenientTrainer.Fit(
            ZeroInputs(4), epochs: 5, ZeroInputs(3), earlyStopping: new EarlyStopping(patience: 2));

        Assert.Equal(3, strictHistory.Count);
        Assert.True(strictHistory.StoppedEarly);
        Assert.Equal(1, strictHistory.BestEpoch);
        Assert.Equal([1f, 4f], strict.Parameters.ToArray());

        Assert.Equal(5, lenientHistory.Count);
        Assert.False(lenientHistory.StoppedEarly);
        Assert.Equal(5, lenientHistory.BestEpoch);
    }

    [Fact]
    public void EarlyStopping_RestoresBestWhenEpochsRunOut()
    {
        (Trainer<LinearTestNetwork> trainer, LinearTestNetwork network) = ScriptedTrainer(3, 1, 2);

        TrainingHistory history = trainer.Fit(ZeroInputs(4), epochs: 3, ZeroInputs(3), earlyStopping: new EarlyStopping(patience: 5));

        Assert.Equal(3, history.Count);
        Assert.False(history.StoppedEarly);
        Assert.Equal(2, history.BestEpoch);
        Assert.Equal([2f, 1f], network.Parameters.ToArray());
    }

    [Fact]
    public void EarlyStopping_NaNLossNeverImproves()
    {
        (Trainer<LinearTestNetwork> trainer, LinearTestNetwork network) = ScriptedTrainer(float.NaN, float.NaN, 1);

        // The scripted NaN parameters make the next training loss NaN, and the trainer refuses to
        // take an optimizer step on a NaN loss rather than train on.
        var error = Assert.Throws<ArithmeticException>(() =>
            trainer.Fit(ZeroInputs(4), epochs: 3, ZeroInputs(3), earlyStopping: new EarlyStopping(patience: 2)));

        Assert.Contains("NaN", error.Message, StringComparison.Ordinal);
        Assert.False(float.IsNaN(network.Parameters[0]), "the refused step must not have written NaN into the weight");
    }

    [Fact]
    public void EarlyStopping_SecondFitStartsAfresh()
    {
        // The first call stops after epoch 3 with epoch 1 (loss 8) best. The second call's first
        // epoch (loss 12.5) is worse than 8, but every call starts without a best loss, so it counts
        // as an improvement and the call runs its two epochs.
        (Trainer<LinearTestNetwork> trainer, LinearTestNetwork network) = ScriptedTrainer(4, 5, 6, 5, 6);
        var earlyStopping = new EarlyStopping(patience: 2);

        TrainingHistory first = trainer.Fit(ZeroInputs(4), epochs: 5, ZeroInputs(3), earlyStopping: earlyStopping);
        TrainingHistory second = trainer.Fit(ZeroInputs(4), epochs: 2, ZeroInputs(3), earlyStopping: earlyStopping);

        Assert.Equal(3, first.Count);
        Assert.Equal(1, first.BestEpoch);
        Assert.Equal(2, second.Count);
        Assert.False(second.StoppedEarly);
        Assert.Equal(1, second.BestEpoch);
        Assert.Equal([4f, 5f], network.Parameters.ToArray());
    }

    [Fact]
    public void Fit_WithoutEarlyStoppingReportsNoBestEpoch()
    {
        (Trainer<LinearTestNetwork> trainer, _) = ScriptedTrainer(4, 5, 6);

        TrainingHistory history = trainer.Fit(ZeroInputs(4), epochs: 3, ZeroInputs(3));

        Assert.Equal(3, history.Count);
        Assert.False(history.StoppedEarly);
        Assert.Null(history.BestEpoch);
    }

    [Fact]
    public void EarlyStopping_RequiresValidationSet()
    {
        (Trainer<LinearTestNetwork> trainer, LinearTestNetwork network) = ScriptedTrainer(1);

        ArgumentException error = Assert.Throws<ArgumentException>(
            "earlyStopping", () => trainer.Fit(ZeroInputs(4), epochs: 1, earlyStopping: new EarlyStopping(patience: 1)));

        Assert.Contains("validation", error.Message);
        Assert.Equal(0, network.SamplesSeen);
    }

    [Theory]
    [InlineData(0, 0f, "patience")]
    [InlineData(-1, 0f, "patience")]
    [InlineData(1, -0.5f, "minDelta")]
    [InlineData(1, float.NaN, "minDelta")]
    [InlineData(1, float.PositiveInfinity, "minDelta")]
    public void EarlyStopping_RejectsInvalidSettings(int patience, float minDelta, string parameter)
    {
        Assert.Throws<ArgumentOutOfRangeException>(parameter, () => new EarlyStopping(patience, minDelta));
    }

    [Fact]
    public void EarlyStopping_StoresSettings()
    {
        var settings = new EarlyStopping(patience: 4, minDelta: 0.25f, restoreBestWeights: false);

        Assert.Equal(4, settings.Patience);
        Assert.Equal(0.25f, settings.MinDelta);
        Assert.False(settings.RestoreBestWeights);
        Assert.True(new EarlyStopping(1).RestoreBestWeights);
    }

    [Fact]
    public void Schedule_SetsLearningRateBeforeEachEpoch()
    {
        // 20 samples in batches of 8 make three steps per epoch.
        var optimizer = new RecordingSgd(learningRate: 1f);
        using var trainer = new Trainer<LinearTestNetwork>(new LinearTestNetwork(2, 3, Loss.SoftmaxCrossEntropy), optimizer, batchSize: 8);
        Dataset train = TrainerTests.Blobs(20, 3, seed: 1, withLabels: true);
        var epochIndices = new List<int>();
        float Schedule(int epoch)
        {
            epochIndices.Add(epoch);
            return 0.1f * (epoch + 1);
        }

        trainer.Fit(train, epochs: 3, learningRateSchedule: Schedule);
        trainer.Fit(train, epochs: 1, learningRateSchedule: Schedule);

        Assert.Equal([0, 1, 2, 3], epochIndices);
        float[] expected = [0.1f, 0.1f, 0.1f, 0.2f, 0.2f, 0.2f, 0.3f, 0.3f, 0.3f, 0.4f, 0.4f, 0.4f];
        Assert.Equal(expected, optimizer.StepLearningRates);
        Assert.Equal(0.4f, optimizer.LearningRate);
    }

    [Fact]
    public void Schedule_AbsentLeavesLearningRate()
    {
        var optimizer = new RecordingSgd(learningRate: 0.75f);
        using var trainer = new Trainer<LinearTestNetwork>(new LinearTestNetwork(2, 3, Loss.SoftmaxCrossEntropy), optimizer, batchSize: 8);

        trainer.Fit(TrainerTests.Blobs(20, 3, seed: 1, withLabels: true), epochs: 2);

        Assert.Equal(6, optimizer.StepLearningRates.Count);
        Assert.All(optimizer.StepLearningRates, rate => Assert.Equal(0.75f, rate));
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(-0.1f)]
    public void Schedule_RejectsInvalidLearningRate(float rate)
    {
        var optimizer = new RecordingSgd(learningRate: 0.5f);
        var network = new LinearTestNetwork(2, 3, Loss.SoftmaxCrossEntropy);
        using var trainer = new Trainer<LinearTestNetwork>(network, optimizer, batchSize: 8);
        Dataset train = TrainerTests.Blobs(20, 3, seed: 1, withLabels: true);

        ArgumentException error = Assert.Throws<ArgumentException>(
            "learningRateSchedule", () => trainer.Fit(train, epochs: 2, learningRateSchedule: epoch => epoch == 0 ? 0.2f : rate));

        Assert.Contains("epoch index 1", error.Message);
        Assert.Contains(rate.ToString(System.Globalization.CultureInfo.CurrentCulture), error.Message);
        Assert.Equal(1, trainer.EpochsTrained);
        Assert.Equal(0.2f, optimizer.LearningRate);
    }

    /// <summary>
    /// Returns a trainer of a one-input, one-output linear network whose optimizer sets the bias
    /// to <paramref name="biases"/>[k] at step k. With the one-batch data sets of
    /// <see cref="ZeroInputs"/> every epoch is one step and its validation loss is ½·bias².
    /// </summary>
    private static (Trainer<LinearTestNetwork> Trainer, LinearTestNetwork Network) ScriptedTrainer(params float[] biases)
    {
        var network = new LinearTestNetwork(1, 1, Loss.SquaredError);
        var trainer = new Trainer<LinearTestNetwork>(network, new ScriptedOptimizer(biases), batchSize: 8);
        return (trainer, network);
    }

    /// <summary>Returns <paramref name="count"/> samples with input 0 and target 0.</summary>
    private static Dataset ZeroInputs(int count) => new(new float[count], 1, new float[count], 1);
}
