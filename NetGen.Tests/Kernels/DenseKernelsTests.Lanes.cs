using System;
using System.Linq;
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
            const int Batch = 33;
            float[] x = TestValues.Uniform((Batch + 1) * inputs, seed: 11);
            float[] w = TestValues.Uniform(outputs * inputs, seed: 12);
            float[] bias = TestValues.Uniform(outputs, seed: 13);
            var first = new float[Batch * outputs];
            var shifted = new float[Batch * outputs];

            DenseKernels.Forward(x.AsSpan(inputs), w, bias, first, Batch, inputs, outputs);
            DenseKernels.Forward(x.AsSpan(0, Batch * inputs), w, bias, shifted, Batch, inputs, outputs);

            // Sample s of the first call is sample s + 1 of the second.
            int[] expected = first.AsSpan(0, (Batch - 1) * outputs).ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();
            int[] actual = shifted.AsSpan(outputs).ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();
            Assert.Equal(expected, actual);
        }

        [Theory]
        [InlineData(16)]
        [InlineData(8)]
        public void Forward_FewOutputs_NonFiniteStaysLocal(int inputs)
        {
            // 20 samples leave 4 in a padded group, whose 12 zero rows meet the infinite weight as
            // 0·∞ = NaN. Neither that NaN nor the NaN input of sample 5 may reach another output.
            // With 8 inputs the infinite weight is the last of its row, next to the following row.
            const int Batch = 20, Outputs = 4, NaNSample = 5, InfiniteOutput = 2;
            var x = new float[Batch * inputs];
            x.AsSpan().Fill(1f);
            x[(NaNSample * inputs) + 5] = float.NaN;
            var w = new float[Outputs * inputs];
            w[(InfiniteOutput * inputs) + 7] = float.PositiveInfinity;
            var y = new float[Batch * Outputs];

            DenseKernels.Forward(x, w, new float[Outputs], y, Batch, inputs, Outputs);

            for (int b = 0; b < Batch; b++)
            {
                for (int o = 0; o < Outputs; o++)
                {
                    float expected = 0f;
                    if (b == NaNSample)
                    {
                        expected = float.NaN;
                    }
                    else if (o == InfiniteOutput)
                    {
                        expected = float.PositiveInfinity;
                    }

                    Assert.Equal(expected, y[(b * Outputs) + o]);
                }
            }
        }
    }
}
