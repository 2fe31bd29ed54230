using System;
using NetGen.Data;
using NetGen.Quantization;
using NetGen.Sparse;

namespace NetGen.Tests.Data;

/// <summary>
/// Every public size argument below its minimum is rejected with a message that names the
/// argument, its value, the minimum and a fix.
/// </summary>
public class SizeArgumentTests
{
    public static TheoryData<string, string, Action> Calls => new()
    {
        { "inputSize", "-1", () => _ = new Dataset(new float[4], -1, new float[4], 1) },
        { "targetSize", "0", () => _ = new Dataset(new float[4], 1, new float[4], 0) },
        { "inputSize", "0", () => Dataset.ForClassification(new float[4], 0, new byte[4], 2) },
        { "classCount", "0", () => Dataset.ForClassification(new float[4], 1, new byte[4], 0) },
        { "rows", "0", () => _ = new IdxImages(1, 0, 1, new byte[1]) },
        { "startStep", "-5", () => _ = new GradualPruningSchedule(0, 0.5, -5, 10, 1) },
        { "pruningSteps", "0", () => _ = new GradualPruningSchedule(0, 0.5, 0, 0, 1) },
        { "stepsBetweenPruning", "0", () => _ = new GradualPruningSchedule(0, 0.5, 0, 10, 0) },
        { "weightCount", "-3", () => MagnitudePruning.PrunedCount(-3, 0.5) },
        { "batch", "0", () => SparseCrossover.ShouldUseSparse(4, 4, 2, 0) },
        { "outputs", "-2", () => QuantizedWeights.Quantize(new float[4], -2, 2) },
        { "activationsPerSample", "-1", () => _ = new Workspace("x", 1, -1, 0, 0) },
        { "parameterCount", "-1", () => _ = new Workspace("x", 1, 0, -1, 0) },
        { "scratchLength", "-1", () => _ = new Workspace("x", 1, 0, 0, -1) },
        { "floatsPerSample", "-4", () => _ = new QuantizedWorkspace("x", 1, 0, 0, -4, 0) },
    };

    [Fact]
    public void ZeroPointOutsideUInt8_NamesValueAndFix()
    {
        QuantizedWeights weights = QuantizedWeights.Quantize(new float[4], 2, 2);

        ArgumentOutOfRangeException error = Assert.Throws<ArgumentOutOfRangeException>(
            () => NetGen.Kernels.Int8Kernels.Multiply(new byte[2], 256, weights, new int[2], new int[2], 1));

        Assert.Equal("xZeroPoint", error.ParamName);
        Assert.Contains("'xZeroPoint' is 256, but a uint8 zero point lies in [0, 255]", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Calls))]
    public void BelowMinimum_NamesValueAndFix(string parameter, string value, Action call)
    {
        ArgumentOutOfRangeException error = Assert.Throws<ArgumentOutOfRangeException>(call);

        Assert.Equal(parameter, error.ParamName);
        Assert.Contains($"'{parameter}' is {value}, but it must be at least", error.Message, StringComparison.Ordinal);
        // A sentence with the fix follows the range.
        Assert.Matches(@"must be at least \d+\. [A-Z][^.]+\.", error.Message);
    }
}
