using System;
using NetGen.Sparse;

namespace NetGen.Tests.Sparse
{
    public class SparseCrossoverTests
    {
        [Theory]
        [InlineData(200704, 1, false)]     // dense
        [InlineData(40141, 1, false)]      // 80 % sparse
        [InlineData(20070, 1, true)]       // 90 % sparse
        [InlineData(30106, 1, false)]      // 85 % sparse
        [InlineData(10035, 1, true)]       // 95 % sparse
        [InlineData(10035, 7, true)]
        [InlineData(20070, 128, true)]
        [InlineData(80282, 128, false)]    // 60 % sparse
        [InlineData(60211, 128, false)]    // 70 % sparse
        [InlineData(30106, 128, true)]     // 85 % sparse
        [InlineData(0, 1, true)]
        public void ShouldUseSparse_784x256_FollowsThresholds(long nonZeros, int batch, bool expected) =>
            Assert.Equal(expected, SparseCrossover.ShouldUseSparse(rows: 256, columns: 784, nonZeros, batch));

        [Fact]
        public void ShouldUseBlockSparse_UsesBlockThresholdAtBatchOne()
        {
            Assert.True(SparseCrossover.ShouldUseBlockSparse(256, 784, storedEntries: 70000, batch: 1));
            Assert.False(SparseCrossover.ShouldUseBlockSparse(256, 784, storedEntries: 80000, batch: 128));
        }

        [Fact]
        public void ShouldUseSparse_SmallLayerBatch_StaysDense()
        {
            // 128×10 at 90 %: the kernel alone is about 4 times faster, but transposing 138 features costs more than the dense layer.
            Assert.False(SparseCrossover.ShouldUseSparse(10, 128, nonZeros: 128, batch: 128));
            Assert.True(SparseCrossover.ShouldUseSparse(10, 128, nonZeros: 128, batch: 1));
            Assert.True(SparseCrossover.ShouldUseSparse(256, 784, nonZeros: 20070, batch: 128));
        }

        [Fact]
        public void ShouldUseSparse_InvalidArguments_Throw()
        {
            var tooMany = Assert.Throws<ArgumentOutOfRangeException>(() => SparseCrossover.ShouldUseSparse(2, 3, nonZeros: 7, batch: 1));
            Assert.Equal("nonZeros", tooMany.ParamName);
            Assert.Throws<ArgumentOutOfRangeException>(() => SparseCrossover.ShouldUseSparse(2, 3, nonZeros: 1, batch: 0));
            Assert.Throws<ArgumentOutOfRangeException>(() => SparseCrossover.ShouldUseSparse(-2, 3, nonZeros: 0, batch: 1));
        }
    }
}
