using System;
using System.Linq;
using NetGen.Sparse;
using NetGen.Tests.Kernels;

namespace NetGen.Tests.Sparse
{
    public class StructuredPruningTests
    {
        /// <summary>
        /// Allowed difference between the two networks' outputs. Both are computed in double from
        /// the same float weights, and the shrunk network only drops terms that are exactly zero,
        /// so they differ by at most a few double roundings.
        /// </summary>
        private const double OutputTolerance = 1e-12;

        [Fact]
        public void RemoveUnits_ShrunkMlpMatchesOriginalWithRemovedUnitsZeroed()
        {
            const int Inputs = 20, Units = 16, Outputs = 5, Kept = 6, Batch = 4;
            float[] w1 = TestValues.Uniform(Units * Inputs, seed: 1);
            float[] b1 = TestValues.Uniform(Units, seed: 2);
            float[] w2 = TestValues.Uniform(Outputs * Units, seed: 3);
            float[] b2 = TestValues.Uniform(Outputs, seed: 4);
            float[] x = TestValues.Uniform(Batch * Inputs, seed: 5);

            UnitPruningResult result = StructuredPruning.RemoveUnits(w1, b1, w2, Inputs, Units, Outputs, Kept);

            Assert.Equal(Kept * Inputs, result.FirstWeights.Length);
            Assert.Equal(Kept, result.FirstBias.Length);
            Assert.Equal(Outputs * Kept, result.SecondWeights.Length);

            // Zero the removed units' rows and biases in the original network. Their ReLU outputs
            // become 0, so their outgoing columns no longer matter.
            float[] w1Zeroed = (float[])w1.Clone();
            float[] b1Zeroed = (float[])b1.Clone();
            for (int u = 0; u < Units; u++)
            {
                if (!result.KeptUnits.Contains(u))
                {
                    Array.Clear(w1Zeroed, u * Inputs, Inputs);
                    b1Zeroed[u] = 0f;
                }
            }

            double[] expected = Mlp(x, w1Zeroed, b1Zeroed, w2, b2, Batch, Inputs, Units, Outputs);
            double[] actual = Mlp(x, result.FirstWeights, result.FirstBias, result.SecondWeights, b2, Batch, Inputs, Kept, Outputs);
            for (int k = 0; k < expected.Length; k++)
            {
                Assert.True(Math.Abs(expected[k] - actual[k]) <= OutputTolerance, $"output {k}: expected {expected[k]:R}, got {actual[k]:R}");
            }
        }

        [Fact]
        public void SelectUnits_KeepsLargestRowNorms()
        {
            // Row norms: unit 0 → 1, unit 1 → 5, unit 2 → 1 (tie with unit 0), unit 3 → 3.
            float[] w1 = [1f, 0f, 3f, 4f, 0f, -1f, 0f, 3f];
            int[] kept = StructuredPruning.SelectUnits(w1, inputs: 2, units: 4, keptUnits: 3);

            // The tie between units 0 and 2 removes the lower index first.
            Assert.Equal([1, 2, 3], kept);
        }

        [Fact]
        public void RemoveUnits_CopiesRowsAndColumnsOfKeptUnits()
        {
            float[] w1 = [1f, 1f, 0.1f, 0.1f, 2f, 2f];           // 3 units × 2 inputs
            float[] b1 = [10f, 20f, 30f];
            float[] w2 = [1f, 2f, 3f, 4f, 5f, 6f];               // 2 outputs × 3 units
            UnitPruningResult result = StructuredPruning.RemoveUnits(w1, b1, w2, inputs: 2, units: 3, outputs: 2, keptUnits: 2);

            Assert.Equal([0, 2], result.KeptUnits);
            Assert.Equal([1f, 1f, 2f, 2f], result.FirstWeights);
            Assert.Equal([10f, 30f], result.FirstBias);
            Assert.Equal([1f, 3f, 4f, 6f], result.SecondWeights);
        }

        [Fact]
        public void RemoveUnits_InvalidArguments_Throw()
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => StructuredPruning.RemoveUnits(new float[6], new float[3], new float[6], 2, 3, 2, keptUnits: 4));
            Assert.Throws<ArgumentOutOfRangeException>(() => StructuredPruning.RemoveUnits(new float[6], new float[3], new float[6], 2, 3, 2, keptUnits: -1));
            var bias = Assert.Throws<ArgumentException>(() => StructuredPruning.RemoveUnits(new float[6], new float[2], new float[6], 2, 3, 2, keptUnits: 1));
            Assert.Equal("firstBias", bias.ParamName);
            var second = Assert.Throws<ArgumentException>(() => StructuredPruning.RemoveUnits(new float[6], new float[3], new float[5], 2, 3, 2, keptUnits: 1));
            Assert.Equal("secondWeights", second.ParamName);
        }

        /// <summary>Returns y = W2·relu(W1·x + b1) + b2 for each sample, in double.</summary>
        private static double[] Mlp(float[] x, float[] w1, float[] b1, float[] w2, float[] b2, int batch, int inputs, int units, int outputs)
        {
            var y = new double[batch * outputs];
            var hidden = new double[units];
            for (int b = 0; b < batch; b++)
            {
                for (int u = 0; u < units; u++)
                {
                    double sum = b1[u];
                    for (int i = 0; i < inputs; i++)
                    {
                        sum += (double)w1[u * inputs + i] * x[b * inputs + i];
                    }

                    hidden[u] = Math.Max(0, sum);
                }

                for (int o = 0; o < outputs; o++)
                {
                    double sum = b2[o];
                    for (int u = 0; u < units; u++)
                    {
                        sum += (double)w2[o * units + u] * hidden[u];
                    }

                    y[b * outputs + o] = sum;
                }
            }

            return y;
        }
    }
}
