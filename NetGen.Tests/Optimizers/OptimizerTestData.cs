using System;
using System.Collections.Generic;

namespace NetGen.Tests.Optimizers;

/// <summary>Fixed inputs and comparison helpers shared by the optimizer tests.</summary>
internal static class OptimizerTestData
{
    /// <summary>
    /// Lengths that are not multiples of the vector width, so every SIMD tail runs. The last
    /// covers two whole cache blocks of a step and part of a third.
    /// </summary>
    public static TheoryData<int> Lengths => new() { 1, 7, 33, 1000, BlockCrossingLength };

    /// <summary>Two whole <see cref="Kernels.CacheBlocks"/> blocks and 37 floats of a third.</summary>
    public const int BlockCrossingLength = (2 * NetGen.Kernels.CacheBlocks.Length) + 37;

    /// <summary>Initial parameters of both signs, between -1.5 and 1.5.</summary>
    public static float[] InitialParameters(int length)
    {
        var parameters = new float[length];
        for (int i = 0; i < length; i++)
        {
            parameters[i] = (float)(1.5 * Math.Sin(0.7 * i + 0.3));
        }

        return parameters;
    }

    /// <summary>
    /// Gradients for <paramref name="stepCount"/> steps that differ per step, take both signs and
    /// are exactly zero where (i + step) % 5 == 3, so a given element gets a zero gradient on some
    /// steps only. Element 0 is zero on step 3.
    /// </summary>
    public static float[][] VaryingGradients(int length, int stepCount)
    {
        var gradients = new float[stepCount][];
        for (int step = 0; step < stepCount; step++)
        {
            gradients[step] = new float[length];
            for (int i = 0; i < length; i++)
            {
                gradients[step][i] = (i + step) % 5 == 3
                    ? 0f
                    : (float)((1 + 0.5 * step) * Math.Cos(1.3 * i + 0.9 * step));
            }
        }

        return gradients;
    }

    /// <summary>Runs one step per gradient array and returns the final parameters.</summary>
    public static float[] Run(IOptimizer optimizer, float[] initialParameters, IReadOnlyList<float[]> gradients)
    {
        var parameters = (float[])initialParameters.Clone();
        foreach (float[] gradient in gradients)
        {
            optimizer.Step(parameters, gradient);
        }

        return parameters;
    }

    /// <summary>
    /// Asserts |actual − expected| ≤ tolerance·max(1, |expected|) for every element and reports the
    /// first element that fails, NaN included.
    /// </summary>
    public static void AssertClose(double[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(actual[i] - expected[i]) / Math.Max(1.0, Math.Abs(expected[i]));
            if (!(error <= tolerance))
            {
                Assert.Fail(
                    $"Element {i} of {expected.Length}: expected {expected[i]:R}, actual {actual[i]:R}, scaled error {error:E3} > {tolerance:E3}.");
            }
        }
    }

    /// <summary>Returns max |a[i] − b[i]|, to check that two references differ by more than the tolerance.</summary>
    public static double MaxDifference(double[] a, double[] b)
    {
        double max = 0;
        for (int i = 0; i < a.Length; i++)
        {
            max = Math.Max(max, Math.Abs(a[i] - b[i]));
        }

        return max;
    }

    /// <summary>Returns <paramref name="gradients"/> with every element multiplied by <paramref name="scale"/>.</summary>
    public static float[][] Scaled(float[][] gradients, float scale)
    {
        var scaled = new float[gradients.Length][];
        for (int step = 0; step < gradients.Length; step++)
        {
            scaled[step] = new float[gradients[step].Length];
            for (int i = 0; i < gradients[step].Length; i++)
            {
                scaled[step][i] = gradients[step][i] * scale;
            }
        }

        return scaled;
    }

    /// <summary>Asserts that steps after the first allocate no managed memory on this thread.</summary>
    public static void AssertStepsAllocateNothing(IOptimizer optimizer, int length)
    {
        float[] parameters = InitialParameters(length);
        float[][] gradients = VaryingGradients(length, 3);

        // The first step allocates the state and compiles the code paths.
        optimizer.Step(parameters, gradients[0]);

        long allocated = SteadyAllocation.MedianBytes(() =>
        {
            optimizer.Step(parameters, gradients[1]);
            optimizer.Step(parameters, gradients[2]);
        });

        Assert.Equal(0, allocated);
    }
}
