using System;
using System.Collections.Generic;
using System.Numerics.Tensors;
using NetGen.Kernels;

namespace NetGen.Tests.Kernels
{
    /// <summary>
    /// Tests that the blocks of long TensorPrimitives calls cover a span once, and that the
    /// activations computed in blocks keep the bits of one call over the whole span.
    /// </summary>
    public class CacheBlocksTests
    {
        /// <summary>Lengths around the block boundaries, where a rest of 1 to 3 floats once took TensorPrimitives' scalar code.</summary>
        public static readonly TheoryData<int> BoundaryLengths = CreateBoundaryLengths();

        [Theory]
        [MemberData(nameof(BoundaryLengths))]
        public void Blocks_CoverSpanOnce(int total)
        {
            var lengths = new List<int>();
            for (int start = 0; start < total; start = CacheBlocks.Next(total, start))
            {
                lengths.Add(CacheBlocks.LengthAt(total, start));
            }

            int covered = 0;
            for (int k = 0; k < lengths.Count; k++)
            {
                bool last = k == lengths.Count - 1;
                Assert.True(last || lengths[k] == CacheBlocks.Length, $"block {k} of {total} has {lengths[k]} floats");
                Assert.True(lengths[k] < CacheBlocks.Length + CacheBlocks.MinimumLastLength, $"block {k} of {total} has {lengths[k]} floats");
                Assert.True(!last || lengths[k] >= Math.Min(total, CacheBlocks.MinimumLastLength), $"the last block of {total} has {lengths[k]} floats");
                covered += lengths[k];
            }

            Assert.Equal(total, covered);
        }

        [Theory]
        [MemberData(nameof(BoundaryLengths))]
        public void Sigmoid_SameBitsAsOneCall(int length)
        {
            float[] values = TestValues.Uniform(length, length, scale: 4f);
            float[] expected = new float[length];
            if (length > 0)
            {
                TensorPrimitives.Sigmoid(values, expected);
            }

            ActivationKernels.Sigmoid(values);

            AssertSameBits(expected, values);
        }

        [Theory]
        [MemberData(nameof(BoundaryLengths))]
        public void LeCunTanh_SameBitsAsOneCall(int length)
        {
            // LeCun's f(x) = 1.7159·tanh(2x/3) in the three TensorPrimitives steps the kernel takes.
            float[] values = TestValues.Uniform(length, length + 1, scale: 4f);
            float[] expected = new float[length];
            TensorPrimitives.Multiply(values, 2f / 3f, expected);
            TensorPrimitives.Tanh(expected, expected);
            TensorPrimitives.Multiply(expected, 1.7159f, expected);

            ActivationKernels.LeCunTanh(values);

            AssertSameBits(expected, values);
        }

        private static void AssertSameBits(float[] expected, float[] actual)
        {
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.True(
                    BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                    $"value {i} of {expected.Length}: {actual[i]:R} against {expected[i]:R} from one call");
            }
        }

        private static TheoryData<int> CreateBoundaryLengths()
        {
            int block = CacheBlocks.Length, tail = CacheBlocks.MinimumLastLength;
            var lengths = new TheoryData<int>();
            foreach (int length in new[] { 0, 1, 3, block - 1, block, block + 1, block + 2, block + 3, block + tail - 1, block + tail, (2 * block) + 1, (3 * block) + 3 })
            {
                lengths.Add(length);
            }

            return lengths;
        }
    }
}
