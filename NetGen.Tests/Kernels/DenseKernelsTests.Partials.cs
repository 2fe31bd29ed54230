using System;
using System.Linq;
using NetGen.Kernels;

namespace NetGen.Tests.Kernels
{
    // Forward of layers with 3 or 4 outputs and 8 to 64 inputs in a multiple of 4, which on AVX-512
    // sums four partial sums per output, eight samples at a time, and the last samples as a padded group.
    public partial class DenseKernelsTests
    {
        [Fact]
        public void Forward_PartialSums_MatchesReference()
        {
            // Batches below, at and past whole groups of 8 and the lane kernel's batch limit of 128.
            // Input counts on both sides of each multiple of 4 and of the 64-input limit, and 2 and 5
            // outputs, check that neighbouring shapes keep their kernels.
            foreach (int batch in new[] { 7, 8, 9, 15, 16, 23, 127, 128, 131 })
            {
                foreach (int inputs in new[] { 4, 8, 11, 12, 16, 20, 24, 28, 32, 36, 44, 48, 60, 64, 65, 68 })
                {
                    for (int outputs = 2; outputs <= 5; outputs++)
                    {
                        CheckForward(batch, inputs, outputs, seed: (batch * 1000) + (inputs * 10) + outputs, isa: null);
                    }
                }
            }
        }

        [Theory]
        [InlineData(12, 4, 33)]
        [InlineData(24, 3, 33)]
        [InlineData(64, 4, 33)]
        [InlineData(48, 3, 33)]
        [InlineData(16, 4, 137)]
        [InlineData(32, 3, 137)]
        public void Forward_PartialSums_SameBitsAnywhereInBatch(int inputs, int outputs, int batch)
        {
            // Shifting every sample down by one row moves each into another place of its group of
            // eight. Sample 7 moves into the next group, and the last full group's samples into the
            // padded group. Every sample must still come out with the same bits.
            float[] x = TestValues.Uniform((batch + 1) * inputs, seed: 21);
            float[] w = TestValues.Uniform(outputs * inputs, seed: 22);
            float[] bias = TestValues.Uniform(outputs, seed: 23);
            var first = new float[batch * outputs];
            var shifted = new float[batch * outputs];

            DenseKernels.Forward(x.AsSpan(inputs), w, bias, first, batch, inputs, outputs);
            DenseKernels.Forward(x.AsSpan(0, batch * inputs), w, bias, shifted, batch, inputs, outputs);

            // Sample s of the first call is sample s + 1 of the second.
            int[] expected = first.AsSpan(0, (batch - 1) * outputs).ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();
            int[] actual = shifted.AsSpan(outputs).ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();
            Assert.Equal(expected, actual);
        }

        [Theory]
        [InlineData(12, 4)]
        [InlineData(12, 3)]
        [InlineData(64, 3)]
        public void Forward_PartialSums_NonFiniteStaysLocal(int inputs, int outputs)
        {
            // 13 samples leave 5 in a padded group, whose 3 zero rows meet the infinite weight as
            // 0·∞ = NaN. Neither that NaN, nor the NaN input of sample 5, nor the unused fourth
            // output lane of a 3-output layer may reach another output.
            const int Batch = 13, NaNSample = 5, InfiniteOutput = 1;
            var x = new float[Batch * inputs];
            x.AsSpan().Fill(1f);
            x[(NaNSample * inputs) + 5] = float.NaN;
            var w = new float[outputs * inputs];
            w[(InfiniteOutput * inputs) + inputs - 1] = float.PositiveInfinity;
            var y = new float[Batch * outputs];

            DenseKernels.Forward(x, w, new float[outputs], y, Batch, inputs, outputs);

            for (int b = 0; b < Batch; b++)
            {
                for (int o = 0; o < outputs; o++)
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

                    Assert.Equal(expected, y[(b * outputs) + o]);
                }
            }
        }
    }
}
