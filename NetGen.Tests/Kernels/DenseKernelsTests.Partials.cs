namespace NetGen.Tests.Kernels
{
    // Forward of layers with 3 or 4 outputs and 8 to 64 inputs in a multiple of 4. On AVX-512 it keeps
    // four partial sums per output and runs eight samples at a time, and the last samples as a padded group.
    public partial class DenseKernelsTests
    {
        [Fact]
        public void Forward_PartialSums_MatchesReference()
        {
            // Batches below, at and past whole groups of 8 and the batch of 128 from which the
            // partial-sum kernel replaces the lane kernel.
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
            AssertSameBitsWhenShifted(batch, inputs, outputs);
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
            AssertNonFiniteStaysLocal(batch: 13, inputs, outputs, infiniteOutput: 1, infiniteInput: inputs - 1);
        }
    }
}
