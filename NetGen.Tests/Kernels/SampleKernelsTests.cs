using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using NetGen.Kernels;

namespace NetGen.Tests.Kernels
{
    public class SampleKernelsTests
    {
        /// <summary>
        /// Allowed error of an fp32 sum, relative to the sum of the magnitudes of its terms: the
        /// kernels split at most about 50 terms over four partial sums, and an fp32 sum of n terms
        /// errs by at most n · 2⁻²⁴ of that magnitude, 3e-6 for n = 50, taken with a margin.
        /// </summary>
        private const double SumTolerance = 1e-5;

        /// <summary>
        /// Allowed relative error of the vector tanh. Its rational fit errs by 6.2e-8 and its fp32
        /// evaluation adds a few rounding errors of 2⁻²⁴ ≈ 6e-8 each; 5e-7 leaves a small margin.
        /// </summary>
        private const double TanhRelativeTolerance = 5e-7;

        [Fact]
        public void Pack_TransposesAndPadsWithZeros()
        {
            // Outputs padded to a multiple of 8 split into panels of 128 while 128 remain, then 64, 32, 16 and 8.
            // Layers of at most 4 outputs stay row-major, which the empty panel list marks.
            var cases = new (int Inputs, int Outputs, int[] Panels)[]
            {
                (0, 3, []),
                (1, 1, []),
                (31, 2, []),
                (5, 4, []),
                (5, 5, [8]),
                (4, 32, [32]),
                (5, 9, [16]),
                (3, 17, [16, 8]),
                (2, 56, [32, 16, 8]),
                (2, 57, [64]),
                (3, 70, [64, 8]),
                (2, 100, [64, 32, 8]),
                (3, 128, [128]),
                (2, 250, [128, 128]),
                (2, 248, [128, 64, 32, 16, 8]),
                (1, 385, [128, 128, 128, 8]),
            };

            foreach ((int inputs, int outputs, int[] panels) in cases)
            {
                float[] weights = TestValues.Uniform(outputs * inputs, seed: 1);
                float[] bias = TestValues.Uniform(outputs, seed: 2);
                int width = (outputs + 7) / 8 * 8;
                var packed = new float[(inputs + 1) * width];
                packed.AsSpan().Fill(float.NaN);

                SampleKernels.Pack(weights, bias, packed, inputs, outputs);

                int start = 0;
                foreach (int panel in panels)
                {
                    for (int i = 0; i < inputs; i++)
                    {
                        for (int k = 0; k < panel; k++)
                        {
                            int o = start + k;
                            float expected = o < outputs ? weights[(o * inputs) + i] : 0f;
                            float actual = packed[(start * inputs) + (i * panel) + k];
                            Assert.True(expected == actual, $"weight [{o}, {i}] of a {outputs} × {inputs} layer is packed as {actual}, expected {expected}");
                        }
                    }

                    start += panel;
                }

                if (panels.Length == 0)
                {
                    for (int k = 0; k < inputs * width; k++)
                    {
                        float expected = k < outputs * inputs ? weights[k] : 0f;
                        Assert.True(expected == packed[k], $"packed[{k}] of a row-major {outputs} × {inputs} layer is {packed[k]}, expected {expected}");
                    }
                }
                else
                {
                    Assert.Equal(width, start);
                }

                for (int o = 0; o < width; o++)
                {
                    float expected = o < outputs ? bias[o] : 0f;
                    Assert.True(expected == packed[(inputs * width) + o], $"bias [{o}] of a {outputs} × {inputs} layer is packed as {packed[(inputs * width) + o]}, expected {expected}");
                }
            }
        }

        [Fact]
        public void Pack_WrongLength_ThrowsWithBothNumbers()
        {
            var error = Assert.Throws<ArgumentException>(() =>
                SampleKernels.Pack(new float[6], new float[3], new float[10], inputs: 2, outputs: 3));
            Assert.Contains("24", error.Message);
            Assert.Contains("10", error.Message);
        }

        [Fact]
        public void Forward_MatchesReference_AllSmallShapes()
        {
            for (int inputs = 0; inputs <= 37; inputs++)
            {
                foreach (int outputs in new[] { 1, 2, 3, 4, 5, 7, 8, 9, 16, 24, 31, 32, 33, 48, 56, 64, 65, 100, 128, 129, 248, 250 })
                {
                    CheckForward(inputs, outputs, seed: (inputs * 100) + outputs);
                }
            }
        }

        [Fact]
        public void Forward_AppliesActivationInEveryBlock()
        {
            // 56 outputs run as panels of 32, 16 and 8, and each applies ReLU itself.
            const int Inputs = 6, Outputs = 56;
            float[] x = TestValues.Uniform(Inputs, seed: 3);
            float[] weights = TestValues.Uniform(Outputs * Inputs, seed: 4);
            float[] bias = TestValues.Uniform(Outputs, seed: 5);
            var packed = new float[SampleKernels.PackedLength(Inputs, Outputs)];
            SampleKernels.Pack(weights, bias, packed, Inputs, Outputs);
            var y = new float[SampleKernels.PaddedWidth(Outputs)];

            SampleKernels.Forward<SampleActivations.Relu>(ref packed[0], ref x[0], ref y[0], Inputs, Outputs);

            for (int o = 0; o < Outputs; o++)
            {
                double sum = bias[o];
                for (int i = 0; i < Inputs; i++)
                {
                    sum += (double)weights[(o * Inputs) + i] * x[i];
                }

                TestValues.AssertClose(Math.Max(sum, 0), y[o], 1, SumTolerance, $"y[{o}]");
            }
        }

        [Fact]
        public void Tanh_IsWithinRelativeTolerance()
        {
            if (!Fma.IsSupported || !Vector256.IsHardwareAccelerated)
            {
                return;
            }

            var random = new Random(6);
            var values = new float[80_000];
            for (int k = 0; k < values.Length; k++)
            {
                // Magnitudes from 1e-8 to about 20 on a log scale, both signs.
                float magnitude = (float)Math.Pow(10, (random.NextDouble() * 9.3) - 8);
                values[k] = random.Next(2) == 0 ? magnitude : -magnitude;
            }

            for (int k = 0; k < values.Length; k += 8)
            {
                Vector256<float> result = SampleActivations.Tanh.Apply(Vector256.Create(values, k));
                for (int lane = 0; lane < 8; lane++)
                {
                    double expected = Math.Tanh(values[k + lane]);
                    double error = Math.Abs(result[lane] - expected) / Math.Abs(expected);
                    Assert.True(error <= TanhRelativeTolerance, $"tanh({values[k + lane]:R}) = {result[lane]:R}, expected {expected:R}; relative error {error:E2}");
                }
            }
        }

        [Fact]
        public void Tanh_512Bit_IsWithinRelativeTolerance()
        {
            if (!Avx512F.IsSupported || !Vector512.IsHardwareAccelerated)
            {
                return;
            }

            var random = new Random(7);
            var values = new float[80_000];
            for (int k = 0; k < values.Length; k++)
            {
                float magnitude = (float)Math.Pow(10, (random.NextDouble() * 9.3) - 8);
                values[k] = random.Next(2) == 0 ? magnitude : -magnitude;
            }

            for (int k = 0; k < values.Length; k += 16)
            {
                Vector512<float> result = SampleActivations.Tanh.Apply(Vector512.Create(values.AsSpan(k, 16)));
                for (int lane = 0; lane < 16; lane++)
                {
                    double expected = Math.Tanh(values[k + lane]);
                    double error = Math.Abs(result[lane] - expected) / Math.Abs(expected);
                    Assert.True(error <= TanhRelativeTolerance, $"tanh({values[k + lane]:R}) = {result[lane]:R}, expected {expected:R}; relative error {error:E2}");
                }
            }

            Vector512<float> special = SampleActivations.Tanh.Apply(Vector512.Create(
                0f, -0f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, 9f, -50f, 1e-30f, 0.5f, -0.5f, 3f, -3f, 8.9f, -8.9f, 20f, -1e-30f));
            float[] expectedSpecial = { 0f, -0f, 1f, -1f, float.NaN, 1f, -1f, 1e-30f };
            for (int lane = 0; lane < expectedSpecial.Length; lane++)
            {
                Assert.True(expectedSpecial[lane].Equals(special[lane]) || Math.Abs(special[lane] - expectedSpecial[lane]) <= 1e-36,
                    $"512-bit tanh lane {lane} is {special[lane]:R}, expected {expectedSpecial[lane]:R}");
            }

            Assert.True(float.IsNegative(special[1]), $"512-bit tanh(−0) is {special[1]}, expected −0");
        }

        [Fact]
        public void Tanh_SmallAndNaN_KeepInputBits()
        {
            // Below 2⁻¹² in magnitude tanh returns x itself, and NaN comes back with its payload and
            // sign. The polynomial alone would return most small x an ulp low, so a lane wrongly
            // taken as large shows in the bits. Just above the limit the polynomial applies.
            if (!Fma.IsSupported || !Vector256.IsHardwareAccelerated)
            {
                return;
            }

            var random = new Random(11);
            var inputs = new List<float> { 0f, -0f, float.Epsilon, -float.Epsilon, 1e-38f, -3e-39f, 1e-30f, -2e-20f };
            for (int k = 0; k < 200; k++)
            {
                float magnitude = MathF.Pow(2, -12 - (40 * random.NextSingle()));
                inputs.Add(random.Next(2) == 0 ? magnitude : -magnitude);
            }

            float limit = 1f / 4096;
            inputs.AddRange(new[] { MathF.BitDecrement(limit), -MathF.BitDecrement(limit), limit, -limit, MathF.BitIncrement(limit) });
            inputs.Add(BitConverter.Int32BitsToSingle(0x7FC0_1234));
            inputs.Add(BitConverter.Int32BitsToSingle(unchecked((int)0xFFC0_0042)));
            inputs.Add(float.NaN);
            while (inputs.Count % 16 != 0)
            {
                inputs.Add(0.25f);
            }

            for (int k = 0; k < inputs.Count; k += 16)
            {
                float[] results = TanhBothWidths(inputs.GetRange(k, 16).ToArray());
                for (int lane = 0; lane < 16; lane++)
                {
                    float x = inputs[k + lane];
                    float y = results[lane];
                    if (float.IsNaN(x) || MathF.Abs(x) < limit)
                    {
                        Assert.True(BitConverter.SingleToInt32Bits(x) == BitConverter.SingleToInt32Bits(y), $"tanh({x:R}) = {y:R}; expected the input's bits");
                    }
                    else
                    {
                        double error = Math.Abs(y - Math.Tanh(x)) / Math.Abs(Math.Tanh(x));
                        Assert.True(error <= TanhRelativeTolerance, $"tanh({x:R}) = {y:R}; relative error {error:E2}");
                    }
                }
            }
        }

        /// <summary>
        /// Returns tanh of 16 values through the 256-bit form, after checking that the 512-bit form
        /// gives the same bits where it runs.
        /// </summary>
        private static float[] TanhBothWidths(float[] values)
        {
            var results = new float[16];
            SampleActivations.Tanh.Apply(Vector256.Create(values, 0)).CopyTo(results, 0);
            SampleActivations.Tanh.Apply(Vector256.Create(values, 8)).CopyTo(results, 8);
            if (Avx512F.IsSupported && Vector512.IsHardwareAccelerated)
            {
                Vector512<float> wide = SampleActivations.Tanh.Apply(Vector512.Create(values));
                for (int lane = 0; lane < 16; lane++)
                {
                    Assert.True(BitConverter.SingleToInt32Bits(results[lane]) == BitConverter.SingleToInt32Bits(wide[lane]),
                        $"tanh({values[lane]:R}): 256-bit {results[lane]:R}, 512-bit {wide[lane]:R}");
                }
            }

            return results;
        }

        [Fact]
        public void Tanh_WorstInput_WithinStatedBound()
        {
            // 0.1471794 has the largest relative error over every float in (0, 9.5): 3.56e-7.
            if (!Fma.IsSupported || !Vector256.IsHardwareAccelerated)
            {
                return;
            }

            foreach (float x in new[] { 0.1471794f, -0.1471794f })
            {
                AssertTanhWithinStatedBound(x);
            }
        }

        /// <summary>Checks both vector widths of tanh at x against the stated 3.6e-7 relative error.</summary>
        private static void AssertTanhWithinStatedBound(float x)
        {
            double expected = Math.Tanh(x);
            double narrow = Math.Abs(SampleActivations.Tanh.Apply(Vector256.Create(x))[0] - expected) / Math.Abs(expected);
            Assert.True(narrow <= 3.6e-7, $"256-bit tanh({x:R}) errs by {narrow:E3} relative, above the stated 3.6e-7");
            if (Avx512F.IsSupported && Vector512.IsHardwareAccelerated)
            {
                double wide = Math.Abs(SampleActivations.Tanh.Apply(Vector512.Create(x))[0] - expected) / Math.Abs(expected);
                Assert.True(wide <= 3.6e-7, $"512-bit tanh({x:R}) errs by {wide:E3} relative, above the stated 3.6e-7");
            }
        }

        [Fact]
        public void Tanh_SmallArguments_ReturnInput()
        {
            // Below 2^-12 the kernel returns x, so x² and x⁴ never go subnormal. Just above it the
            // rational function takes over and must stay within the stated 3.6e-7.
            if (!Fma.IsSupported || !Vector256.IsHardwareAccelerated)
            {
                return;
            }

            float[] tiny = { 1e-40f, -1e-40f, float.Epsilon, 1e-30f, 1e-19f, -1e-10f, 3e-10f, 1e-5f, -2.4e-4f, 0.00024414f };
            foreach (float x in tiny)
            {
                Assert.Equal(x, SampleActivations.Tanh.Apply(Vector256.Create(x))[0]);
                if (Avx512F.IsSupported && Vector512.IsHardwareAccelerated)
                {
                    Assert.Equal(x, SampleActivations.Tanh.Apply(Vector512.Create(x))[0]);
                }
            }

            foreach (float x in new[] { 1f / 4096, -1f / 4096, 2.5e-4f, 1e-3f })
            {
                AssertTanhWithinStatedBound(x);
            }
        }

        [Fact]
        public void Tanh_KeepsSpecialValues()
        {
            if (!Fma.IsSupported || !Vector256.IsHardwareAccelerated)
            {
                return;
            }

            Vector256<float> result = SampleActivations.Tanh.Apply(Vector256.Create(
                0f, -0f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, 9f, -50f, 1e-30f));

            Assert.Equal(0f, result[0]);
            Assert.True(float.IsNegative(result[1]), $"tanh(−0) is {result[1]}, expected −0");
            Assert.Equal(1f, result[2]);
            Assert.Equal(-1f, result[3]);
            Assert.True(float.IsNaN(result[4]), $"tanh(NaN) is {result[4]}, expected NaN");
            Assert.Equal(1f, result[5]);
            Assert.Equal(-1f, result[6]);
            Assert.True(Math.Abs(result[7] - 1e-30) <= 1e-36, $"tanh(1e-30) is {result[7]:R}, expected 1e-30");
        }

        [Fact]
        public void DenseForward_OneSample_MatchesReference()
        {
            // At batch 1 DenseKernels.Forward takes 512-bit vectors where AVX-512 exists: rows of
            // 16 floats and more, with and without a partial last vector, and rows left over after
            // the groups of eight.
            for (int inputs = 16; inputs <= 49; inputs++)
            {
                foreach (int outputs in new[] { 1, 7, 8, 9, 17 })
                {
                    CheckDenseForward(inputs, outputs, seed: inputs + outputs);
                }
            }

            CheckDenseForward(784, 128, seed: 8);
        }

        [Fact]
        public void DenseForward_OneSample_InfiniteWeightInTail_StaysInItsOutput()
        {
            // 20 inputs end with a 16-float vector that overlaps the first one; an infinite weight
            // in an overlapped lane must not turn into 0·∞ = NaN there.
            const int Inputs = 20, Outputs = 9;
            var x = new float[Inputs];
            x.AsSpan().Fill(1f);
            var w = new float[Outputs * Inputs];
            w[(3 * Inputs) + 2] = float.PositiveInfinity;
            w[(8 * Inputs) + 1] = float.PositiveInfinity;
            var y = new float[Outputs];

            DenseKernels.Forward(x, w, new float[Outputs], y, 1, Inputs, Outputs);

            for (int o = 0; o < Outputs; o++)
            {
                float expected = o is 3 or 8 ? float.PositiveInfinity : 0f;
                Assert.True(expected.Equals(y[o]), $"y[{o}] is {y[o]}, expected {expected}");
            }
        }

        internal static void CheckForward(int inputs, int outputs, int seed)
        {
            float[] xValues = TestValues.Uniform(inputs, seed);
            float[] weights = TestValues.Uniform(outputs * inputs, seed + 1);
            float[] bias = TestValues.Uniform(outputs, seed + 2);
            var packed = new GuardedBuffer(SampleKernels.PackedLength(inputs, outputs));
            SampleKernels.Pack(weights, bias, packed.Span, inputs, outputs);

            // The kernel may read x only below inputs and writes whole vectors of outputs.
            var x = new GuardedBuffer(Math.Max(inputs, 1));
            xValues.CopyTo(x.Span);
            var y = new GuardedBuffer(SampleKernels.PaddedWidth(outputs));
            y.Span.Fill(float.NaN);

            SampleKernels.Forward<SampleActivations.Identity>(
                ref MemoryMarshal.GetReference(packed.Span), ref MemoryMarshal.GetReference(x.Span), ref MemoryMarshal.GetReference(y.Span), inputs, outputs);

            for (int o = 0; o < outputs; o++)
            {
                double sum = bias[o];
                double scale = Math.Abs(bias[o]);
                for (int i = 0; i < inputs; i++)
                {
                    double term = (double)xValues[i] * weights[(o * inputs) + i];
                    sum += term;
                    scale += Math.Abs(term);
                }

                TestValues.AssertClose(sum, y[o], scale, SumTolerance, $"y[{o}] for inputs {inputs}, outputs {outputs}");
            }

            for (int o = outputs; o < y.Span.Length; o++)
            {
                Assert.True(y[o] == 0f, $"padding lane y[{o}] for inputs {inputs}, outputs {outputs} is {y[o]}, expected 0");
            }

            y.AssertGuardsIntact();
        }

        private static void CheckDenseForward(int inputs, int outputs, int seed)
        {
            float[] xValues = TestValues.Uniform(inputs, seed);
            float[] weights = TestValues.Uniform(outputs * inputs, seed + 1);
            float[] bias = TestValues.Uniform(outputs, seed + 2);
            var x = new GuardedBuffer(xValues);
            var w = new GuardedBuffer(weights);
            var y = new GuardedBuffer(outputs);

            DenseKernels.Forward(x.Span, w.Span, bias, y.Span, 1, inputs, outputs);

            for (int o = 0; o < outputs; o++)
            {
                double sum = bias[o];
                double scale = Math.Abs(bias[o]);
                for (int i = 0; i < inputs; i++)
                {
                    double term = (double)xValues[i] * weights[(o * inputs) + i];
                    sum += term;
                    scale += Math.Abs(term);
                }

                TestValues.AssertClose(sum, y[o], scale, SumTolerance, $"y[{o}] for inputs {inputs}, outputs {outputs}");
            }

            y.AssertGuardsIntact();
        }
    }

    /// <summary>Runs the single-sample kernel tests again with 256-bit vectors, the path of CPUs without AVX-512.</summary>
    [Collection(SimdWidthCollection.Name)]
    public class SampleKernelsNarrowVectorTests
    {
        [Fact]
        public void Forward_256BitPanels_MatchReference()
        {
            SimdWidth.MaximumBits = 256;
            try
            {
                for (int inputs = 0; inputs <= 37; inputs++)
                {
                    foreach (int outputs in new[] { 5, 8, 9, 16, 24, 31, 32, 33, 48, 56, 64, 65, 100, 128, 248, 250 })
                    {
                        SampleKernelsTests.CheckForward(inputs, outputs, seed: (inputs * 100) + outputs);
                    }
                }
            }
            finally
            {
                SimdWidth.MaximumBits = SimdWidth.Unlimited;
            }
        }
    }
}
