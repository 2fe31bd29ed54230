using System;
using NetGen.Kernels;

namespace NetGen.Tests.Kernels
{
    /// <summary>
    /// Both algorithms at stride 1 under each SIMD width cap, against the double-precision
    /// references of <see cref="ConvKernelsTests"/>: im2col, which unfolds and folds through
    /// padded planes with whole vectors, and the direct kernels. Output rows of 1 to 33 floats end
    /// inside, at and past the 4, 8 and 16 lanes of the vector widths.
    /// </summary>
    [Collection(SimdWidthCollection.Name)]
    public class ConvWidthCapTests
    {
        private static readonly ConvGeometry[] Geometries =
        {
            new(1, 28, 28, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),
            new(5, 6, 15, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),
            new(3, 5, 16, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),
            new(2, 4, 17, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2),
            new(4, 3, 33, 2, 1, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1),
            new(2, 7, 9, 5, 3, 2, 1, 1, 2, 0, 1, 3, 2, 3, 1),
            new(3, 4, 5, 2, 2, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1),
            new(6, 5, 20, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 2, 3),
        };

        /// <summary>Each geometry with im2col (false) and the direct algorithm (true) under each width cap: 512, 256 and 128-bit vectors, and 0 for scalar code.</summary>
        public static TheoryData<int, int, bool> Cases
        {
            get
            {
                var data = new TheoryData<int, int, bool>();
                for (int index = 0; index < Geometries.Length; index++)
                {
                    foreach (int cap in new[] { 512, 256, 128, 0 })
                    {
                        data.Add(index, cap, false);
                        data.Add(index, cap, true);
                    }
                }

                return data;
            }
        }

        [Theory]
        [MemberData(nameof(Cases))]
        public void Forward_MatchesReference(int index, int widthCap, bool direct)
        {
            ConvGeometry g = Geometries[index];
            ConvAlgorithm algorithm = direct ? ConvAlgorithm.Direct : ConvAlgorithm.Im2Col;
            const int batch = 2;
            float[] x = TestValues.Uniform(batch * g.InputLength, seed: index);
            float[] w = TestValues.Uniform(g.WeightLength, seed: 100 + index);
            float[] bias = TestValues.Uniform(g.OutChannels, seed: 200 + index);
            (double[] expected, double[] magnitude) = ConvKernelsTests.ReferenceForward(x, w, bias, batch, g);
            var y = new GuardedBuffer(batch * g.OutputLength);
            y.Span.Fill(float.NaN);

            WithWidthCap(widthCap, () => ConvKernels.ForwardWith(algorithm, x, w, bias, y.Span, ConvKernelsTests.NaNScratch(g), batch, g));

            y.AssertGuardsIntact();
            ConvKernelsTests.AssertAllClose(expected, magnitude, y.ToArray(), $"{algorithm} forward of {g} at width cap {widthCap}");
        }

        [Theory]
        [MemberData(nameof(Cases))]
        public void BackwardInput_MatchesReference(int index, int widthCap, bool direct)
        {
            ConvGeometry g = Geometries[index];
            ConvAlgorithm algorithm = direct ? ConvAlgorithm.Direct : ConvAlgorithm.Im2Col;
            const int batch = 2;
            float[] dy = TestValues.Uniform(batch * g.OutputLength, seed: 300 + index);
            float[] w = TestValues.Uniform(g.WeightLength, seed: 400 + index);
            (double[] expected, double[] magnitude) = ConvKernelsTests.ReferenceBackwardInput(dy, w, batch, g);
            var dx = new GuardedBuffer(batch * g.InputLength);
            dx.Span.Fill(float.NaN);

            WithWidthCap(widthCap, () => ConvKernels.BackwardInputWith(algorithm, dy, w, dx.Span, ConvKernelsTests.NaNScratch(g), batch, g));

            dx.AssertGuardsIntact();
            ConvKernelsTests.AssertAllClose(expected, magnitude, dx.ToArray(), $"{algorithm} backward input of {g} at width cap {widthCap}");
        }

        [Theory]
        [MemberData(nameof(Cases))]
        public void WeightGradient_MatchesReference(int index, int widthCap, bool direct)
        {
            ConvGeometry g = Geometries[index];
            ConvAlgorithm algorithm = direct ? ConvAlgorithm.Direct : ConvAlgorithm.Im2Col;
            const int batch = 2;
            float[] dy = TestValues.Uniform(batch * g.OutputLength, seed: 500 + index);
            float[] x = TestValues.Uniform(batch * g.InputLength, seed: 600 + index);
            (double[] expected, double[] magnitude, double[] biasExpected, double[] biasMagnitude) = ConvKernelsTests.ReferenceGradients(dy, x, batch, g);
            var dw = new GuardedBuffer(new float[g.WeightLength]);
            var dbias = new GuardedBuffer(new float[g.OutChannels]);

            WithWidthCap(widthCap, () => ConvKernels.AccumulateGradientsWith(algorithm, dy, x, dw.Span, dbias.Span, ConvKernelsTests.NaNScratch(g), batch, g));

            dw.AssertGuardsIntact();
            ConvKernelsTests.AssertAllClose(expected, magnitude, dw.ToArray(), $"{algorithm} weight gradient of {g} at width cap {widthCap}");
            ConvKernelsTests.AssertAllClose(biasExpected, biasMagnitude, dbias.ToArray(), $"{algorithm} bias gradient of {g} at width cap {widthCap}");
        }

        /// <summary>Runs <paramref name="call"/> with <see cref="SimdWidth.MaximumBits"/> set to <paramref name="widthCap"/>, then restores the default.</summary>
        private static void WithWidthCap(int widthCap, Action call)
        {
            SimdWidth.MaximumBits = widthCap;
            try
            {
                call();
            }
            finally
            {
                SimdWidth.MaximumBits = SimdWidth.Unlimited;
            }
        }
    }
}
