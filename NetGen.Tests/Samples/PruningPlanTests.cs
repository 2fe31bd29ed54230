using System;
using NetGen.Samples;
using NetGen.Sparse;

namespace NetGen.Tests.Samples;

/// <summary>The fashion-sparse sample's pruning schedule must reach its target within the steps it runs.</summary>
public class PruningPlanTests
{
    [Theory]
    [InlineData(2, 0.4)]
    [InlineData(10, 0.4)]
    [InlineData(16, 1.0)]
    [InlineData(17, 1.0)]
    [InlineData(32, 1.0)]
    [InlineData(2_000, 1e-300)]
    [InlineData(100, 0.05)]
    [InlineData(6_400, 0.4)]
    [InlineData(1_000_000, 1.0)]
    public void Schedule_EndsWithinTheSteps(long totalSteps, double fraction)
    {
        (int pruningSteps, long interval) = FashionSparseSample.PruningPlan(totalSteps, fraction);
        var schedule = new GradualPruningSchedule(0, 0.9, 0, pruningSteps, interval);

        // The optimizer numbers its steps 0 … totalSteps − 1 and prunes at the schedule's steps.
        Assert.True(schedule.EndStep <= totalSteps - 1, $"the last pruning at step {schedule.EndStep} comes after the last step {totalSteps - 1}");
        Assert.True(schedule.EndStep <= Math.Max(1, (long)(totalSteps * fraction)), $"the last pruning at step {schedule.EndStep} comes after the pruning window");
        Assert.Equal(0.9, schedule.SparsityAt(totalSteps - 1));
        Assert.InRange(pruningSteps, 1, 16);

        // The schedule uses the window: its last pruning comes less than one interval before the window's end.
        long window = Math.Max(1, Math.Min((long)(totalSteps * fraction), totalSteps - 1));
        Assert.True(schedule.EndStep > window - interval, $"the last pruning at step {schedule.EndStep} leaves the window's end {window} more than one interval {interval} away");
    }

    [Fact]
    public void LongFineTuning_PrunesSixteenTimes() =>
        Assert.Equal(16, FashionSparseSample.PruningPlan(6_400, 0.4).PruningSteps);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void TooFewSteps_AreRejected(long totalSteps)
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => FashionSparseSample.PruningPlan(totalSteps, 0.4));

        Assert.Contains("--fine-tune-epochs", error.Message, StringComparison.Ordinal);
    }
}
