using System;
using Spectre.Console;

namespace NetGen.Samples;

/// <summary>
/// Shows a trainer's per-batch reports as a Spectre.Console progress bar. Reports arrive on the
/// training thread, so the bar is updated synchronously.
/// </summary>
internal sealed class ConsoleProgress : IProgress<TrainingProgress>
{
    private readonly ProgressTask _task;

    public ConsoleProgress(ProgressTask task) => _task = task;

    public void Report(TrainingProgress value)
    {
        _task.MaxValue = value.BatchesPerEpoch;
        _task.Value = value.Batch;
        _task.Description = $"Epoch {value.Epoch}/{value.Epochs}  loss {value.Loss:F4}";
    }

    /// <summary>Trains one epoch under a progress bar and returns its report.</summary>
    public static EpochReport RunEpoch(Func<IProgress<TrainingProgress>, EpochReport> trainEpoch)
    {
        EpochReport report = default;
        AnsiConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                ProgressTask task = context.AddTask("Epoch");
                report = trainEpoch(new ConsoleProgress(task));
                task.Value = task.MaxValue;
            });
        return report;
    }
}
