using System;
using System.Threading;
using System.Threading.Tasks;
using NetGen.Data;

namespace NetGen.Tests.Training;

/// <summary>
/// How a trainer treats chunk sizes at the edge of int and calls that overlap: a second
/// <c>Fit</c> or <c>Evaluate</c> before the first returns must throw, not share the buffers.
/// </summary>
public class TrainerCallTests
{
    private const int BatchSize = 24;

    [Theory]
    [InlineData(1, int.MaxValue)]
    [InlineData(2, int.MaxValue)]
    [InlineData(2, int.MaxValue - 1)]
    public void Fit_HugeChunkSize_RunsOneChunk(int threads, int chunkSize)
    {
        Dataset data = ParallelTrainerTests.RandomClassification(60, seed: 3);
        var huge = new ParallelTestMlp(seed: 4);
        var whole = new ParallelTestMlp(seed: 4);
        using var hugeTrainer = new Trainer<ParallelTestMlp>(huge, new Sgd(0.05f), BatchSize, threads: threads, chunkSize: chunkSize);
        using var wholeTrainer = new Trainer<ParallelTestMlp>(whole, new Sgd(0.05f), BatchSize, threads: threads, chunkSize: BatchSize);

        TrainingHistory hugeHistory = hugeTrainer.Fit(data, epochs: 2);
        TrainingHistory wholeHistory = wholeTrainer.Fit(data, epochs: 2);

        // A chunk size at least the batch size means one chunk, so both trainers run the same sums.
        Assert.Equal(wholeHistory[1].TrainingLoss, hugeHistory[1].TrainingLoss);
        Assert.Equal(whole.Parameters.ToArray(), huge.Parameters.ToArray());
        EvaluationResult hugeResult = hugeTrainer.Evaluate(data);
        Assert.True(double.IsFinite(hugeResult.Loss), $"Evaluate returned a loss of {hugeResult.Loss}.");
        Assert.Equal(wholeTrainer.Evaluate(data), hugeResult);
    }

    [Fact]
    public void Fit_NestedCall_Throws()
    {
        Dataset data = ParallelTrainerTests.RandomClassification(48, seed: 5);
        using var trainer = new Trainer<ParallelTestMlp>(new ParallelTestMlp(seed: 1), new Sgd(0.05f), BatchSize) { ProgressInterval = TimeSpan.Zero };
        Exception? fromEvaluate = null;
        Exception? fromFit = null;
        var progress = new SynchronousProgress(_ =>
        {
            fromEvaluate ??= Record.Exception(() => trainer.Evaluate(data));
            fromFit ??= Record.Exception(() => trainer.Fit(data, 1));
        });

        trainer.Fit(data, epochs: 1, progress: progress);

        InvalidOperationException evaluateError = Assert.IsType<InvalidOperationException>(fromEvaluate);
        Assert.Contains("Evaluate was called while another Fit or Evaluate call", evaluateError.Message);
        InvalidOperationException fitError = Assert.IsType<InvalidOperationException>(fromFit);
        Assert.Contains("Fit was called while another Fit or Evaluate call", fitError.Message);
        Assert.Equal(1, trainer.EpochsTrained);
    }

    [Fact]
    public async Task Evaluate_DuringFit_Throws()
    {
        Dataset data = ParallelTrainerTests.RandomClassification(48, seed: 6);
        using var trainer = new Trainer<ParallelTestMlp>(new ParallelTestMlp(seed: 1), new Sgd(0.05f), BatchSize, threads: 2) { ProgressInterval = TimeSpan.Zero };
        using var inProgress = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var progress = new SynchronousProgress(_ =>
        {
            inProgress.Set();
            release.Wait(TimeSpan.FromSeconds(30));
        });

        Task fit = Task.Run(() => trainer.Fit(data, epochs: 1, progress: progress));
        try
        {
            Assert.True(inProgress.Wait(TimeSpan.FromSeconds(30)), "Fit never reported progress.");
            Assert.Throws<InvalidOperationException>(() => trainer.Evaluate(data));
            Assert.Throws<InvalidOperationException>(() => trainer.Fit(data, 1));
        }
        finally
        {
            release.Set();
        }

        await fit.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(double.IsFinite(trainer.Evaluate(data).Loss));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Fit_DisposedByCallback_Stops(int threads)
    {
        Dataset data = ParallelTrainerTests.RandomClassification(96, seed: 8);
        var trainer = new Trainer<ParallelTestMlp>(new ParallelTestMlp(seed: 1), new Sgd(0.05f), BatchSize, threads: threads) { ProgressInterval = TimeSpan.Zero };
        int reports = 0;
        var progress = new SynchronousProgress(_ =>
        {
            reports++;
            trainer.Dispose();
        });

        Assert.Throws<ObjectDisposedException>(() => trainer.Fit(data, epochs: 2, progress: progress));

        Assert.Equal(1, reports);
        Assert.Equal(0, trainer.EpochsTrained);
    }

    [Fact]
    public void Calls_AfterFailure_Run()
    {
        Dataset data = ParallelTrainerTests.RandomClassification(48, seed: 7);
        var mismatched = new Dataset(new float[2 * 4], 4, new float[2 * ParallelTestMlp.OutputSize], ParallelTestMlp.OutputSize);
        using var trainer = new Trainer<ParallelTestMlp>(new ParallelTestMlp(seed: 1), new Sgd(0.05f), BatchSize);

        Assert.Throws<ArgumentException>(() => trainer.Fit(mismatched, 1));
        Assert.Throws<ArgumentException>(() => trainer.Evaluate(mismatched));

        Assert.Single(trainer.Fit(data, 1));
        Assert.True(double.IsFinite(trainer.Evaluate(data).Loss));
    }

    /// <summary>Calls the handler on the reporting thread, unlike <see cref="Progress{T}"/>.</summary>
    private sealed class SynchronousProgress(Action<TrainingProgress> handler) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => handler(value);
    }
}
