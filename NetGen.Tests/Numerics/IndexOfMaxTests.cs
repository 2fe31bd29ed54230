using System;
using Xunit;

namespace NetGen.Tests.Numerics
{
    /// <summary>
    /// GeneratedCode.IndexOfMax, which Predict calls: the first NaN counts as the largest value, as
    /// in torch.argmax, and +0 counts as larger than −0, as in TensorPrimitives.IndexOfMax.
    /// </summary>
    public class IndexOfMaxTests
    {
        [Fact]
        public void IndexOfMax_ZerosAndNaN()
        {
            Assert.Equal(-1, GeneratedCode.IndexOfMax(ReadOnlySpan<float>.Empty));
            Assert.Equal(1, GeneratedCode.IndexOfMax(new[] { -0f, 0f }));
            Assert.Equal(0, GeneratedCode.IndexOfMax(new[] { 0f, -0f }));
            Assert.Equal(1, GeneratedCode.IndexOfMax(new[] { 1f, float.NaN, 2f, float.NaN }));
            Assert.Equal(0, GeneratedCode.IndexOfMax(new[] { 3f, 3f, 3f }));
        }
    }
}
