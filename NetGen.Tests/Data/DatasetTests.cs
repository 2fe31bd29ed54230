using System;
using NetGen.Data;

namespace NetGen.Tests.Data;

public sealed class DatasetTests
{
    // Three samples of two inputs and one target each.
    private static float[] Inputs() => [1f, 2f, 3f, 4f, 5f, 6f];

    private static float[] Targets() => [10f, 20f, 30f];

    [Fact]
    public void Constructor_ExposesShapeAndRows()
    {
        var dataset = new Dataset(Inputs(), 2, Targets(), 1, [2, 0, 1]);

        Assert.Equal(3, dataset.Count);
        Assert.Equal(2, dataset.InputSize);
        Assert.Equal(1, dataset.TargetSize);
        Assert.Equal(Inputs(), dataset.Inputs.ToArray());
        Assert.Equal(Targets(), dataset.Targets.ToArray());
        Assert.Equal([3f, 4f], dataset.Input(1).ToArray());
        Assert.Equal([30f], dataset.Target(2).ToArray());
        Assert.True(dataset.HasLabels);
        Assert.Equal(2, dataset.Label(0));
        Assert.Equal(1, dataset.Label(2));
    }

    [Fact]
    public void Constructor_InputsNotMultipleOfSizeAreRejected()
    {
        ArgumentException exception = Assert.Throws<ArgumentException>(
            () => new Dataset([1f, 2f, 3f, 4f, 5f], 2, [1f, 2f], 1));

        Assert.Equal("inputs", exception.ParamName);
        Assert.Contains("5 values", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_TargetCountMismatchIsRejected()
    {
        ArgumentException exception = Assert.Throws<ArgumentException>(
            () => new Dataset(Inputs(), 2, [1f, 2f], 1));

        Assert.Equal("targets", exception.ParamName);
        Assert.Contains("3 samples", exception.Message, StringComparison.Ordinal);
        Assert.Contains("contain 2", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_LabelCountMismatchIsRejected()
    {
        ArgumentException exception = Assert.Throws<ArgumentException>(
            () => new Dataset(Inputs(), 2, Targets(), 1, [0, 1]));

        Assert.Equal("labels", exception.ParamName);
        Assert.Contains("3 samples", exception.Message, StringComparison.Ordinal);
        Assert.Contains("2 labels", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_NegativeLabelIsRejected()
    {
        ArgumentException exception = Assert.Throws<ArgumentException>(
            () => new Dataset(Inputs(), 2, Targets(), 1, [0, -4, 1]));

        Assert.Contains("-4", exception.Message, StringComparison.Ordinal);
        Assert.Contains("sample 1", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(2, 0)]
    [InlineData(-1, 1)]
    public void Constructor_NonPositiveSizesAreRejected(int inputSize, int targetSize) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dataset(Inputs(), inputSize, Targets(), targetSize));

    [Theory]
    [InlineData(-1)]
    [InlineData(3)]
    public void Accessors_IndexOutsideRangeIsRejected(int index)
    {
        var dataset = new Dataset(Inputs(), 2, Targets(), 1, [0, 1, 2]);

        Assert.Throws<ArgumentOutOfRangeException>(() => dataset.Input(index).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => dataset.Target(index).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => dataset.Label(index));
    }

    [Fact]
    public void Label_WithoutLabelsThrows()
    {
        var dataset = new Dataset(Inputs(), 2, Targets(), 1);

        Assert.False(dataset.HasLabels);
        InvalidOperationException exception = Assert.Throws<InvalidOperationException>(() => dataset.Label(0));
        Assert.Contains("no labels", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Accessors_DoNotAllocate()
    {
        var dataset = new Dataset(Inputs(), 2, Targets(), 1, [0, 1, 2]);
        float sum = ReadAll(dataset);

        long allocated = SteadyAllocation.MedianBytes(() =>
        {
            sum += ReadAll(dataset);
        });

        // One read before the measurement and three measured ones.
        Assert.Equal(0, allocated);
        Assert.Equal(4 * (21f + 60f + 3f), sum);

        static float ReadAll(Dataset dataset)
        {
            float total = 0;
            for (int i = 0; i < dataset.Count; i++)
            {
                foreach (float value in dataset.Input(i))
                {
                    total += value;
                }

                total += dataset.Target(i)[0] + dataset.Label(i);
            }

            return total;
        }
    }

    [Fact]
    public void ForClassification_BuildsOneHotTargets()
    {
        const int ClassCount = 4;
        byte[] labels = [3, 0, 2, 2, 1];
        float[] inputs = new float[labels.Length * 3];

        Dataset dataset = Dataset.ForClassification(inputs, 3, labels, ClassCount);

        Assert.Equal(labels.Length, dataset.Count);
        Assert.Equal(ClassCount, dataset.TargetSize);
        Assert.True(dataset.HasLabels);
        for (int sample = 0; sample < labels.Length; sample++)
        {
            Assert.Equal(labels[sample], dataset.Label(sample));
            for (int c = 0; c < ClassCount; c++)
            {
                float expected = c == labels[sample] ? 1f : 0f;
                Assert.Equal(expected, dataset.Target(sample)[c]);
            }
        }
    }

    [Fact]
    public void ForClassification_LabelOutOfRangeIsRejected()
    {
        ArgumentException exception = Assert.Throws<ArgumentException>(
            () => Dataset.ForClassification(new float[6], 2, [1, 0, 3], 3));

        Assert.Equal("labels", exception.ParamName);
        Assert.Contains("Label 3", exception.Message, StringComparison.Ordinal);
        Assert.Contains("sample 2", exception.Message, StringComparison.Ordinal);
        Assert.Contains("[0, 2]", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ForClassification_LabelCountMismatchIsRejected()
    {
        ArgumentException exception = Assert.Throws<ArgumentException>(
            () => Dataset.ForClassification(new float[6], 2, [1, 0], 3));

        Assert.Equal("labels", exception.ParamName);
        Assert.Contains("3 samples", exception.Message, StringComparison.Ordinal);
        Assert.Contains("2 labels", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Slice_CopiesRangeWithLabels()
    {
        float[] inputs = Inputs();
        var dataset = new Dataset(inputs, 2, Targets(), 1, [2, 0, 1]);

        Dataset slice = dataset.Slice(1, 2);
        inputs[2] = -100f;

        Assert.Equal(2, slice.Count);
        Assert.Equal(2, slice.InputSize);
        Assert.Equal(1, slice.TargetSize);
        Assert.Equal([3f, 4f, 5f, 6f], slice.Inputs.ToArray());
        Assert.Equal([20f, 30f], slice.Targets.ToArray());
        Assert.Equal(0, slice.Label(0));
        Assert.Equal(1, slice.Label(1));
    }

    [Fact]
    public void Slice_WithoutLabelsHasNoLabels()
    {
        var dataset = new Dataset(Inputs(), 2, Targets(), 1);

        Assert.False(dataset.Slice(0, 3).HasLabels);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(3, 0)]
    [InlineData(0, 3)]
    public void Slice_EdgesAreAccepted(int start, int count) =>
        Assert.Equal(count, new Dataset(Inputs(), 2, Targets(), 1).Slice(start, count).Count);

    [Theory]
    [InlineData(-1, 1, "start")]
    [InlineData(4, 0, "start")]
    [InlineData(2, 2, "count")]
    [InlineData(0, -1, "count")]
    public void Slice_RangeOutsideDatasetIsRejected(int start, int count, string parameter)
    {
        var dataset = new Dataset(Inputs(), 2, Targets(), 1);

        ArgumentOutOfRangeException exception = Assert.Throws<ArgumentOutOfRangeException>(() => dataset.Slice(start, count));

        Assert.Equal(parameter, exception.ParamName);
    }
}
