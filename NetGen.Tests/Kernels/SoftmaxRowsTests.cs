using System;
using NetGen.Kernels;

namespace NetGen.Tests.Kernels
{
    public class SoftmaxRowsTests
    {
        /// <summary>
        /// Allowed error of a backward element, relative to Σ|g·y| + |g|·y per element: the fp32 dot
        /// product over at most 300 terms and two roundings.
        /// </summary>
        private const double BackwardTolerance = 1e-5;

        /// <summary>Allowed difference from central differences with h = 1e-6 in double.</summary>
        private const double FiniteDifferenceTolerance = 1e-6;

        public static readonly TheoryData<int> Batches = new() { 1, 2, 3, 5 };

        [Theory]
        [MemberData(nameof(Batches))]
        public void SoftmaxRowsBackward_MatchesJacobianProduct(int batch)
        {
            foreach (int outputs in new[] { 0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 300 })
            {
                float[] logits = TestValues.Uniform(batch * outputs, outputs, scale: 4f);
                float[] output = (float[])logits.Clone();
                ActivationKernels.SoftmaxRows(output, batch, outputs);
                float[] incoming = TestValues.Uniform(batch * outputs, outputs + 1, scale: 2f);
                var gradient = new GuardedBuffer(incoming);

                ActivationKernels.SoftmaxRowsBackward(output, gradient.Span, batch, outputs);

                for (int b = 0; b < batch; b++)
                {
                    // The Jacobian J[i, j] = y_i(δ_ij − y_j) applied to g, in double.
                    double dot = 0, scale = 0;
                    for (int o = 0; o < outputs; o++)
                    {
                        dot += (double)incoming[b * outputs + o] * output[b * outputs + o];
                        scale += Math.Abs((double)incoming[b * outputs + o] * output[b * outputs + o]);
                    }

                    for (int o = 0; o < outputs; o++)
                    {
                        int k = b * outputs + o;
                        double expected = output[k] * (incoming[k] - dot);
                        double bound = BackwardTolerance * output[k] * (Math.Abs(incoming[k]) + scale);
                        ReferenceMath.AssertNear(expected, gradient[k], 0, bound + 1e-30, $"gradient[{b},{o}] of {batch}x{outputs}");
                    }
                }

                gradient.AssertGuardsIntact();
            }
        }

        [Fact]
        public void SoftmaxRowsBackward_MatchesFiniteDifferencesOfSoftmax()
        {
            const int Outputs = 6;
            float[] logits = TestValues.Uniform(Outputs, 3, scale: 2f);
            float[] weights = TestValues.Uniform(Outputs, 4);
            float[] output = (float[])logits.Clone();
            ActivationKernels.SoftmaxRows(output, 1, Outputs);
            float[] gradient = (float[])weights.Clone();

            // The gradient of L = Σ_o weights[o]·softmax(z)[o] with respect to z.
            ActivationKernels.SoftmaxRowsBackward(output, gradient, 1, Outputs);

            double Loss(double[] z)
            {
                double max = double.NegativeInfinity;
                foreach (double value in z)
                {
                    max = Math.Max(max, value);
                }

                double sum = 0, weighted = 0;
                for (int o = 0; o < z.Length; o++)
                {
                    sum += Math.Exp(z[o] - max);
                    weighted += weights[o] * Math.Exp(z[o] - max);
                }

                return weighted / sum;
            }

            double[] point = Array.ConvertAll(logits, value => (double)value);
            for (int o = 0; o < Outputs; o++)
            {
                const double H = 1e-6;
                double saved = point[o];
                point[o] = saved + H;
                double plus = Loss(point);
                point[o] = saved - H;
                double minus = Loss(point);
                point[o] = saved;
                ReferenceMath.AssertNear((plus - minus) / (2 * H), gradient[o], FiniteDifferenceTolerance, 1e-7, $"gradient[{o}]");
            }
        }

        [Fact]
        public void SoftmaxRows_MatchesLossKernelsSoftmaxAndSumsToOne()
        {
            float[] values = { 1e4f, -1e4f, 3f, 0f, 1f, 2f };

            ActivationKernels.SoftmaxRows(values, 2, 3);

            Assert.Equal(new[] { 1f, 0f, 0f }, values[..3]);
            double sum = values[3] + values[4] + values[5];
            ReferenceMath.AssertNear(1, sum, 0, 3e-7, "row sum");
            ReferenceMath.AssertNear(Math.Exp(2) / (1 + Math.E + Math.Exp(2)), values[5], 1e-6, 0, "softmax(0, 1, 2)[2]");
        }

        [Fact]
        public void SoftmaxRowsBackward_WrongLengths_Throw()
        {
            var six = new float[6];
            var five = new float[5];

            Assert.Equal("output", Assert.Throws<ArgumentException>(() => ActivationKernels.SoftmaxRowsBackward(five, six, 2, 3)).ParamName);
            ArgumentException error = Assert.Throws<ArgumentException>(() => ActivationKernels.SoftmaxRowsBackward(six, five, 2, 3));
            Assert.Equal("gradient", error.ParamName);
            Assert.Contains("exactly 6 elements (batch 2 × outputs 3)", error.Message, StringComparison.Ordinal);
            Assert.Equal("batch", Assert.Throws<ArgumentOutOfRangeException>(() => ActivationKernels.SoftmaxRowsBackward([], [], -1, 3)).ParamName);
        }
    }
}
