using System;
using System.Linq;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using NetGen.Kernels;

namespace NetGen.Tests.Kernels
{
    // Forward of layers with 2 to 4 outputs and 8, 16 or 32 inputs, which on AVX-512 runs 16 samples
    // at a time with the samples in the vector lanes, and the last samples as a padded group.
    public partial class DenseKernelsTests
    {
        [Fact]
        public void Forward_FewOutputs_MatchesReference()
        {
            // Batches below, at and past whole groups of 16; inputs and outputs on both sides of
            // the limits, so the neighbouring shapes check the kernels they keep.
            foreach (int batch in new[] { 15, 16, 17, 31, 32, 45, 100 })
            {
                foreach (int inputs in new[] { 7, 8, 9, 15, 16, 17, 32, 48 })
                {
                    for (int outputs = 1; outputs <= 5; outputs++)
                    {
                        CheckForward(batch, inputs, outputs, seed: (batch * 1000) + (inputs * 10) + outputs, isa: null);
                    }
                }
            }
        }

        [Theory]
        [InlineData(16, 4)]
        [InlineData(32, 3)]
        [InlineData(16, 2)]
        [InlineData(8, 3)]
        [InlineData(8, 2)]
        public void Forward_FewOutputs_SameBitsAnywhereInBatch(int inputs, int outputs)
        {
            // 33 samples make two groups and a padded last group. Shifting every sample down by one
            // row moves each into another lane, and samples 15 and 31 into the next group, so every
            // sample must still come out with the same bits.
            AssertSameBitsWhenShifted(batch: 33, inputs, outputs);
        }

        [Theory]
        [InlineData(16)]
        [InlineData(8)]
        public void Forward_FewOutputs_NonFiniteStaysLocal(int inputs)
        {
            // 20 samples leave 4 in a padded group, whose 12 zero rows meet the infinite weight as
            // 0·∞ = NaN. Neither that NaN nor the NaN input of sample 5 may reach another output.
            // With 8 inputs the infinite weight is the last of its row, next to the following row.
            AssertNonFiniteStaysLocal(batch: 20, inputs, outputs: 4, infiniteOutput: 2, infiniteInput: 7);
        }

        /// <summary>
        /// Runs a forward pass on samples 1 to <paramref name="batch"/> of a buffer and on samples 0
        /// to <paramref name="batch"/> − 1, and asserts that each sample has the same output bits in both.
        /// </summary>
        /// <remarks>
        /// Only the AVX-512 lane and partial-sum kernels promise this. Without AVX-512 the dot-product
        /// tiles sum the samples left over after the last tile in another order.
        /// </remarks>
        private static void AssertSameBitsWhenShifted(int batch, int inputs, int outputs)
        {
            if (!Avx512F.IsSupported || !Vector512.IsHardwareAccelerated)
            {
                return;
            }

            float[] x = TestValues.Uniform((batch + 1) * inputs, seed: 11);
            float[] w = TestValues.Uniform(outputs * inputs, seed: 12);
            float[] bias = TestValues.Uniform(outputs, seed: 13);
            var first = new float[batch * outputs];
            var shifted = new float[batch * outputs];

            DenseKernels.Forward(x.AsSpan(inputs), w, bias, first, batch, inputs, outputs);
            DenseKernels.Forward(x.AsSpan(0, batch * inputs), w, bias, shifted, batch, inputs, outputs);

            // Sample s of the first call is sample s + 1 of the second.
            int[] expected = first.AsSpan(0, (batch - 1) * outputs).ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();
            int[] actual = shifted.AsSpan(outputs).ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();
            Assert.Equal(expected, actual);
        }

        /// <summary>
        /// Runs a forward pass of inputs 1 and zero biases where sample 5 has a NaN input and one
        /// weight is +∞, and asserts that only that sample's outputs are NaN and only that output elsewhere is +∞.
        /// </summary>
        private static void AssertNonFiniteStaysLocal(int batch, int inputs, int outputs, int infiniteOutput, int infiniteInput)
        {
            const int NaNSample = 5;
            var x = new float[batch * inputs];
            x.AsSpan().Fill(1f);
            x[(NaNSample * inputs) + 5] = float.NaN;
            var w = new float[outputs * inputs];
            w[(infiniteOutput * inputs) + infiniteInput] = float.PositiveInfinity;
            var y = new float[batch * outputs];

            DenseKernels.Forward(x, w, new float[outputs], y, batch, inputs, outputs);

            for (int b = 0; b < batch; b++)
            {
                for (int o = 0; o < outputs; o++)
                {
                    float expected = 0f;
                    if (b == NaNSample)
                    {
                        expected = float.NaN;
                    }
                    else if (o == infiniteOutput)
                    {
                        expected = float.PositiveInfinity;
                    }

                    Assert.Equal(expected, y[(b * outputs) + o]);
                }
            }
        }
    }
}
