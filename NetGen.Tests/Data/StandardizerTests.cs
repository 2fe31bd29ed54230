using System;
using NetGen.Data;

namespace NetGen.Tests.Data;

public sealed class StandardizerTests
{
    // The transform rounds x − mean, the float reciprocal of the divisor and their product, each to
    // within 2^-24 relative. On results below 8 in magnitude that stays under 2e-6.
    private const double TransformTolerance = 2e-6;

    // Means and divisors are computed in double and rounded once to float: half an ulp, 2^-24 relative.
    private const double StatisticRelativeTolerance = 1e-7;

    // On the random set, the float mean of a feature near 1000 is off by at most half an ulp, 3.1e-5.
    // Divided by that feature's standard deviation of 0.5, this shifts the standardised mean by up to 6.1e-5.
    private const double StandardizedMeanTolerance = 1e-4;

    // Rounding the divisor and its reciprocal to float changes the standardised variance by about
    // 2.4e-7 relative. Sample variance instead of population variance would be off by
    // n / (n − 1) − 1 = 5e-5 for n = 20,000, so this tolerance also distinguishes the two.
    private const double StandardizedVarianceTolerance = 1e-5;

    // Four samples of three features. Feature 0: 1, 2, 3, 4 (mean 2.5, variance 1.25);
    // feature 1: constant 10; feature 2: −2, 0, 0, 6 (mean 1, variance (9 + 1 + 1 + 25) / 4 = 9).
    private static float[] TableInputs() =>
    [
        1f, 10f, -2f,
        2f, 10f, 0f,
        3f, 10f, 0f,
        4f, 10f, 6f,
    ];

    private static Dataset Table() => new(TableInputs(), 3, [0f, 1f, 2f, 3f], 1, [3, 2, 1, 0]);

    private static void AssertClose(double expected, double actual, double tolerance, string what)
    {
        Assert.True(Math.Abs(expected - actual) <= tolerance,
            $"{what}: expected {expected:R}, got {actual:R}, difference {Math.Abs(expected - actual):E3} above {tolerance:E1}.");
    }

    [Fact]
    public void Fit_MatchesHandComputedStatistics()
    {
        Standardizer standardizer = Standardizer.Fit(Table(), epsilon: 0f);

        Assert.Equal(3, standardizer.FeatureCount);
        Assert.Equal([2.5f, 10f, 1f], standardizer.Means.ToArray());
        AssertClose(Math.Sqrt(1.25), standardizer.StandardDeviations[0], Math.Sqrt(1.25) * StatisticRelativeTolerance, "deviation of feature 0");
        Assert.Equal(0f, standardizer.StandardDeviations[1]);
        Assert.Equal(3f, standardizer.StandardDeviations[2]);
    }

    [Fact]
    public void Apply_MatchesHandComputedValues()
    {
        Standardizer standardizer = Standardizer.Fit(Table(), epsilon: 0f);

        Dataset standardized = standardizer.Apply(Table());

        double deviation0 = Math.Sqrt(1.25);
        double[] expected =
        [
            -1.5 / deviation0, 0, -1,
            -0.5 / deviation0, 0, -1.0 / 3,
            0.5 / deviation0, 0, -1.0 / 3,
            1.5 / deviation0, 0, 5.0 / 3,
        ];
        ReadOnlySpan<float> actual = standardized.Inputs;
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            AssertClose(expected[i], actual[i], TransformTolerance, $"value {i}");
        }
    }

    [Fact]
    public void Fit_EpsilonIsAddedToVariance()
    {
        // Values 0 and 0.02: mean 0.01 and variance 1e-4. With ε = 1e-4 the divisor is about
        // sqrt(2e-4), so ±0.01 maps to about ±1/√2 instead of ±1. The expected values use the
        // float values of 0.02 and 1e-4, which differ from the decimal ones in the eighth digit.
        var data = new Dataset([0f, 0.02f], 1, [0f, 0f], 1);
        double halfRange = 0.02f / 2.0;
        double divisor = Math.Sqrt((halfRange * halfRange) + 1e-4f);

        Standardizer standardizer = Standardizer.Fit(data, epsilon: 1e-4f);
        Dataset standardized = standardizer.Apply(data);

        AssertClose(divisor, standardizer.StandardDeviations[0], divisor * StatisticRelativeTolerance, "divisor");
        AssertClose(-halfRange / divisor, standardized.Inputs[0], TransformTolerance, "first value");
        AssertClose(halfRange / divisor, standardized.Inputs[1], TransformTolerance, "second value");
        AssertClose(1 / Math.Sqrt(2), standardized.Inputs[1], TransformTolerance, "second value against 1/√2");
    }

    [Fact]
    public void Fit_LargeOffsetKeepsVarianceExact()
    {
        // 1000 samples of 1e6 + 0.0625 × (i mod 4), all exact floats, with population variance
        // 0.0625² × 1.25 = 0.0048828125. Summing x² ≈ 1e12 in double and subtracting the squared
        // mean returns −3.7e-4 for these values, because the rounding of the running sum exceeds
        // the variance. The deviations from the mean are exact, so the two-pass result is exact.
        const int Count = 1000;
        var inputs = new float[Count];
        for (int i = 0; i < Count; i++)
        {
            inputs[i] = 1e6f + (0.0625f * (i % 4));
        }

        var data = new Dataset(inputs, 1, new float[Count], 1);
        Standardizer standardizer = Standardizer.Fit(data, epsilon: 0f);

        // The exact mean 1e6 + 0.09375 lies halfway between two floats 0.0625 apart.
        AssertClose(1e6 + 0.09375, standardizer.Means[0], 0.03125, "mean");
        double deviation = Math.Sqrt(0.0048828125);
        AssertClose(deviation, standardizer.StandardDeviations[0], deviation * StatisticRelativeTolerance, "deviation");
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(1e-8f)]
    public void ConstantFeature_MapsToZero(float epsilon)
    {
        Standardizer standardizer = Standardizer.Fit(Table(), epsilon);

        // A test sample whose constant feature differs from the training value 10 still maps to 0.
        float[] sample = [2.5f, 11f, 1f];
        standardizer.ApplyInPlace(sample);

        Assert.Equal(0f, standardizer.StandardDeviations[1]);
        Assert.Equal(0f, sample[0]);
        Assert.Equal(0f, sample[1]);
        Assert.Equal(0f, sample[2]);

        Dataset standardized = standardizer.Apply(Table());
        for (int index = 0; index < standardized.Count; index++)
        {
            Assert.Equal(0f, standardized.Input(index)[1]);
        }
    }

    [Fact]
    public void Apply_RandomSetHasZeroMeanUnitVariance()
    {
        const int Count = 20_000;
        // Offsets and spreads of the five features: a standard normal, a large offset with a small
        // spread, a wide spread, a small offset and spread, and a negative offset.
        double[] offsets = [0, 1000, -3, 0.001, -250];
        double[] spreads = [1, 0.5, 40, 0.002, 7];
        int featureCount = offsets.Length;

        var random = new Random(12345);
        var inputs = new float[Count * featureCount];
        for (int index = 0; index < Count; index++)
        {
            for (int feature = 0; feature < featureCount; feature++)
            {
                inputs[(index * featureCount) + feature] = (float)(offsets[feature] + (spreads[feature] * NextGaussian(random)));
            }
        }

        var data = new Dataset(inputs, featureCount, new float[Count], 1);
        Standardizer standardizer = Standardizer.Fit(data);
        Dataset standardized = standardizer.Apply(data);

        for (int feature = 0; feature < featureCount; feature++)
        {
            (double inputMean, double inputVariance) = ColumnStatistics(inputs, featureCount, feature);
            AssertClose(inputMean, standardizer.Means[feature], (Math.Abs(inputMean) * StatisticRelativeTolerance) + 1e-12, $"mean of feature {feature}");
            double divisor = Math.Sqrt(inputVariance + 1e-8);
            AssertClose(divisor, standardizer.StandardDeviations[feature], divisor * StatisticRelativeTolerance, $"divisor of feature {feature}");

            (double mean, double variance) = ColumnStatistics(standardized.Inputs, featureCount, feature);
            // ε = 1e-8 is 0.25% of the variance 4e-6 of feature 3, so the expected variance is var / (var + ε), not 1.
            double expectedVariance = inputVariance / (inputVariance + 1e-8);
            AssertClose(0, mean, StandardizedMeanTolerance, $"standardised mean of feature {feature}");
            AssertClose(expectedVariance, variance, StandardizedVarianceTolerance, $"standardised variance of feature {feature}");
        }
    }

    [Fact]
    public void Apply_UsesTrainingStatisticsOnTestSet()
    {
        Standardizer standardizer = Standardizer.Fit(Table(), epsilon: 0f);
        // The test set's own means (feature 0: 10, feature 2: 4) differ from the training means.
        var test = new Dataset([9f, 10f, 4f, 11f, 10f, 4f], 3, [0f, 1f], 1);

        Dataset standardized = standardizer.Apply(test);

        double deviation0 = Math.Sqrt(1.25);
        double[] expected = [(9 - 2.5) / deviation0, 0, (4 - 1) / 3.0, (11 - 2.5) / deviation0, 0, (4 - 1) / 3.0];
        for (int i = 0; i < expected.Length; i++)
        {
            AssertClose(expected[i], standardized.Inputs[i], TransformTolerance, $"value {i}");
        }
    }

    [Fact]
    public void Apply_KeepsTargetsLabelsAndSource()
    {
        Dataset table = Table();
        Standardizer standardizer = Standardizer.Fit(table);

        Dataset standardized = standardizer.Apply(table);

        Assert.Equal(table.Count, standardized.Count);
        Assert.Equal(table.InputSize, standardized.InputSize);
        Assert.Equal(table.TargetSize, standardized.TargetSize);
        Assert.Equal(table.Targets.ToArray(), standardized.Targets.ToArray());
        Assert.True(standardized.HasLabels);
        Assert.Equal(3, standardized.Label(0));
        Assert.Equal(0, standardized.Label(3));
        Assert.Equal(TableInputs(), table.Inputs.ToArray());
    }

    [Fact]
    public void Apply_WithoutLabelsHasNoLabels()
    {
        var data = new Dataset([1f, 2f], 1, [0f, 0f], 1);

        Dataset standardized = Standardizer.Fit(data).Apply(data);

        Assert.False(standardized.HasLabels);
    }

    [Fact]
    public void ApplyInPlace_BatchMatchesApply()
    {
        Standardizer standardizer = Standardizer.Fit(Table());
        float[] batch = TableInputs();

        standardizer.ApplyInPlace(batch);

        Assert.Equal(standardizer.Apply(Table()).Inputs.ToArray(), batch);
    }

    [Fact]
    public void ApplyInPlace_EmptySpanIsAccepted()
    {
        Standardizer standardizer = Standardizer.Fit(Table());

        standardizer.ApplyInPlace(Span<float>.Empty);
    }

    [Fact]
    public void ApplyInPlace_DoesNotAllocate()
    {
        Standardizer standardizer = Standardizer.Fit(Table());
        float[] batch = TableInputs();
        standardizer.ApplyInPlace(batch);

        long allocated = SteadyAllocation.MedianBytes(() =>
        {
            standardizer.ApplyInPlace(batch);
        });

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Constructor_RoundTripsFittedStatistics()
    {
        Standardizer fitted = Standardizer.Fit(Table());

        var restored = new Standardizer(fitted.Means, fitted.StandardDeviations);

        Assert.Equal(fitted.Means.ToArray(), restored.Means.ToArray());
        Assert.Equal(fitted.StandardDeviations.ToArray(), restored.StandardDeviations.ToArray());
        Assert.Equal(fitted.Apply(Table()).Inputs.ToArray(), restored.Apply(Table()).Inputs.ToArray());
    }

    [Fact]
    public void Constructor_CopiesArrays()
    {
        float[] means = [1f, 2f];
        float[] deviations = [4f, 0.5f];
        var standardizer = new Standardizer(means, deviations);

        means[0] = 100f;
        deviations[0] = 100f;
        float[] sample = [5f, 3f];
        standardizer.ApplyInPlace(sample);

        Assert.Equal([1f, 2f], sample);
    }

    [Fact]
    public void ApplyInPlace_PartialSampleIsRejected()
    {
        Standardizer standardizer = Standardizer.Fit(Table());

        ArgumentException exception = Assert.Throws<ArgumentException>(() => standardizer.ApplyInPlace(new float[5]));

        Assert.Equal("inputs", exception.ParamName);
        Assert.Contains("5 values", exception.Message, StringComparison.Ordinal);
        Assert.Contains("feature count 3", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_OtherInputSizeIsRejected()
    {
        Standardizer standardizer = Standardizer.Fit(Table());
        var other = new Dataset([1f, 2f, 3f, 4f], 2, [0f, 0f], 1);

        ArgumentException exception = Assert.Throws<ArgumentException>(() => standardizer.Apply(other));

        Assert.Equal("data", exception.ParamName);
        Assert.Contains("2 input values", exception.Message, StringComparison.Ordinal);
        Assert.Contains("fitted on 3", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_LengthMismatchIsRejected()
    {
        ArgumentException exception = Assert.Throws<ArgumentException>(() => new Standardizer([0f, 0f], [1f]));

        Assert.Equal("standardDeviations", exception.ParamName);
        Assert.Contains("2 means but 1 standard deviations", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_EmptyIsRejected()
    {
        ArgumentException exception = Assert.Throws<ArgumentException>(() => new Standardizer([], []));

        Assert.Equal("means", exception.ParamName);
    }

    [Theory]
    [InlineData(-1f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void Constructor_InvalidDeviationIsRejected(float deviation)
    {
        ArgumentException exception = Assert.Throws<ArgumentException>(() => new Standardizer([0f, 0f], [1f, deviation]));

        Assert.Equal("standardDeviations", exception.ParamName);
        Assert.Contains("feature 1", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_NonFiniteMeanIsRejected()
    {
        ArgumentException exception = Assert.Throws<ArgumentException>(() => new Standardizer([float.NaN], [1f]));

        Assert.Equal("means", exception.ParamName);
        Assert.Contains("feature 0", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1e-8f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void Fit_InvalidEpsilonIsRejected(float epsilon)
    {
        ArgumentOutOfRangeException exception = Assert.Throws<ArgumentOutOfRangeException>(() => Standardizer.Fit(Table(), epsilon));

        Assert.Equal("epsilon", exception.ParamName);
    }

    [Fact]
    public void Fit_EmptyDatasetIsRejected()
    {
        var empty = new Dataset([], 3, [], 1);

        ArgumentException exception = Assert.Throws<ArgumentException>(() => Standardizer.Fit(empty));

        Assert.Equal("training", exception.ParamName);
        Assert.Contains("empty", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void Fit_NonFiniteValueIsRejected(float value)
    {
        // Dataset rejects the value already, so no standardizer can be fitted on it.
        ArgumentException exception = Assert.Throws<ArgumentException>(() => new Dataset([1f, 2f, 3f, value], 2, [0f, 0f], 1));

        Assert.Equal("inputs", exception.ParamName);
        Assert.Contains("Value 1 of sample 1", exception.Message, StringComparison.Ordinal);
    }

    /// <summary>Returns the mean and population variance of one column, computed in double by the two-pass method.</summary>
    private static (double Mean, double Variance) ColumnStatistics(ReadOnlySpan<float> values, int featureCount, int feature)
    {
        int count = values.Length / featureCount;
        double sum = 0;
        for (int index = 0; index < count; index++)
        {
            sum += values[(index * featureCount) + feature];
        }

        double mean = sum / count;
        double squares = 0;
        for (int index = 0; index < count; index++)
        {
            double deviation = values[(index * featureCount) + feature] - mean;
            squares += deviation * deviation;
        }

        return (mean, squares / count);
    }

    /// <summary>Draws a standard normal value by the Box–Muller transform.</summary>
    private static double NextGaussian(Random random)
    {
        double u1 = 1.0 - random.NextDouble();
        double u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
