using System;
using System.Linq;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using NetGen.Kernels;

namespace NetGen.Tests.Kernels
{
    public partial class DenseKernelsTests
    {
        /// <summary>Shapes (batch, inputs, outputs) whose ranges the trainer's threads compute; 100 and 130 outputs end in part of a panel.</summary>
        public static TheoryData<int, int, int> SplitShapes => new()
        {
            { 40, 20, 64 },
            { 33, 784, 100 },
            { 64, 300, 130 },
            { 128, 784, 128 },
        };

        [Theory]
        [MemberData(nameof(SplitShapes))]
        public void ForwardRange_SameBitsAsWholeLayer(int batch, int inputs, int outputs)
        {
            float[] x = TestValues.Uniform(batch * inputs, seed: 1);
            float[] w = TestValues.Uniform(outputs * inputs, seed: 2, scale: 0.1f);
            float[] bias = TestValues.Uniform(outputs, seed: 3);
            var whole = new float[batch * outputs];
            DenseKernels.Forward(x, w, bias, whole, batch, inputs, outputs);
            if (!DenseKernels.ForwardSplits(batch, inputs, outputs))
            {
                // Only the packed kernel splits; without AVX-512 the layer stays whole.
                Assert.False(Vector512.IsHardwareAccelerated && outputs >= 32 && batch >= 32 && inputs > 64);
                return;
            }

            foreach (int threads in new[] { 2, 3 })
            {
                var split = new LayerSplit(threads, _ => { });
                int parts = split.SetBoundaries(outputs);
                var ranged = Enumerable.Repeat(float.NaN, batch * outputs).ToArray();
                for (int p = 0; p < parts; p++)
                {
                    DenseKernels.ForwardRange(ref MemoryMarshal.GetArrayDataReference(x), ref MemoryMarshal.GetArrayDataReference(w),
                        ref MemoryMarshal.GetArrayDataReference(bias), ref MemoryMarshal.GetArrayDataReference(ranged),
                        batch, inputs, outputs, split.Boundary(p), split.Boundary(p + 1) - split.Boundary(p));
                }

                Assert.Equal(BitsOf(whole), BitsOf(ranged));
            }
        }

        [Theory]
        [MemberData(nameof(SplitShapes))]
        public void WeightGradientRange_SameBitsAsWholeLayer(int batch, int inputs, int outputs)
        {
            float[] dy = TestValues.Uniform(batch * outputs, seed: 4);
            float[] x = TestValues.Uniform(batch * inputs, seed: 5);
            float[] start = TestValues.Uniform(outputs * inputs, seed: 6);
            float[] whole = (float[])start.Clone();
            DenseKernels.AccumulateGradients(dy, x, whole, new float[outputs], batch, inputs, outputs);
            Assert.True(DenseKernels.WeightGradientSplits(batch, inputs, outputs));

            foreach (int threads in new[] { 2, 3 })
            {
                var split = new LayerSplit(threads, _ => { });
                int parts = split.SetBoundaries(outputs);
                float[] ranged = (float[])start.Clone();
                for (int p = 0; p < parts; p++)
                {
                    DenseKernels.WeightGradientRange(ref MemoryMarshal.GetArrayDataReference(dy), ref MemoryMarshal.GetArrayDataReference(x),
                        ref MemoryMarshal.GetArrayDataReference(ranged), batch, inputs, outputs, split.Boundary(p), split.Boundary(p + 1) - split.Boundary(p));
                }

                Assert.Equal(BitsOf(whole), BitsOf(ranged));
            }
        }

        private static int[] BitsOf(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();
    }
}
