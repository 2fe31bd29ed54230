using System;
using System.Linq;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Threading;
using NetGen.Kernels;

namespace NetGen.Tests.Kernels
{
    /// <summary>
    /// Test classes that lower <see cref="SimdWidth.MaximumBits"/>. The cap is one process-wide
    /// value, so they run alone, and kernel tests in other classes always see the default.
    /// </summary>
    [CollectionDefinition(Name, DisableParallelization = true)]
    public sealed class SimdWidthCollection
    {
        public const string Name = "SIMD width cap";
    }

    [Collection(SimdWidthCollection.Name)]
    public partial class DenseKernelsTests
    {
        /// <summary>
        /// Allowed error of an fp32 sum, relative to the sum of the magnitudes of its terms. An fp32
        /// sum of n terms errs by at most n · 2⁻²⁴ ≈ n · 6e-8 of that magnitude. The vector paths add
        /// each term to one of several partial sums of at most about 100 terms for the shapes tested
        /// here (784 inputs over 8 lanes): 6e-6, taken with a margin of 3. Scalar code (width cap 0)
        /// and the packed forward kernel sum up to 1000 and 600 terms in one partial sum, whose worst
        /// cases (6e-5, 4e-5) are above this tolerance, but the rounding errors of these random terms
        /// grow like √n · 2⁻²⁴, about 2e-6.
        /// </summary>
        private const double SumTolerance = 2e-5;

        /// <summary>Longest row in the small-shape tests: two 512-bit vectors and one float, so every width runs a tail.</summary>
        private const int MaxSmallInputs = 2 * 16 + 1;

        /// <summary>Batch sizes that reach every tile and its remainders: 512-bit tiles take six samples forward and eight backward.</summary>
        private static readonly int[] BatchSizes = { 1, 2, 3, 5, 8, 14 };

        /// <summary>Every value of <see cref="SimdWidth.MaximumBits"/>: 512, 256 and 128-bit vectors, and 0 for scalar code.</summary>
        private static readonly int[] WidthCaps = { 512, 256, 128, 0 };

        private static readonly (int Batch, int Inputs, int Outputs)[] LargeShapeList =
        {
            (4, 784, 128),
            (7, 33, 31),
            (128, 100, 36),
            (3, 1000, 9),
        };

        /// <summary>Each batch size under each width cap.</summary>
        public static TheoryData<int, int> Batches
        {
            get
            {
                var data = new TheoryData<int, int>();
                foreach (int cap in WidthCaps)
                {
                    foreach (int batch in BatchSizes)
                    {
                        data.Add(batch, cap);
                    }
                }

                return data;
            }
        }

        /// <summary>Each large shape under each width cap.</summary>
        public static TheoryData<int, int, int, int> LargeShapes
        {
            get
            {
                var data = new TheoryData<int, int, int, int>();
                foreach (int cap in WidthCaps)
                {
                    foreach ((int batch, int inputs, int outputs) in LargeShapeList)
                    {
                        data.Add(batch, inputs, outputs, cap);
                    }
                }

                return data;
            }
        }

        /// <summary>The vector widths that the kernels can run with, and whether this machine runs each one.</summary>
        public enum Isa
        {
            Vector512Fma,
            Vector256Fma,
            Vector128,
            Scalar,
        }

        public static readonly TheoryData<Isa> Isas = new() { Isa.Vector512Fma, Isa.Vector256Fma, Isa.Vector128, Isa.Scalar };

        [Theory]
        [MemberData(nameof(Batches))]
        public void Forward_MatchesReference_AllSmallShapes(int batch, int widthCap) =>
            WithWidthCap(widthCap, () =>
            {
                for (int inputs = 0; inputs <= MaxSmallInputs; inputs++)
                {
                    for (int outputs = 0; outputs <= 17; outputs++)
                    {
                        CheckForward(batch, inputs, outputs, seed: inputs * 100 + outputs, isa: null);
                    }
                }
            });

        [Theory]
        [MemberData(nameof(LargeShapes))]
        public void Forward_MatchesReference_LargeShapes(int batch, int inputs, int outputs, int widthCap) =>
            WithWidthCap(widthCap, () => CheckForward(batch, inputs, outputs, seed: 7, isa: null));

        [Theory]
        [MemberData(nameof(Isas))]
        public void Forward_EachVectorWidth_MatchesReference(Isa isa)
        {
            if (!IsSupported(isa))
            {
                return;
            }

            // The generic drivers need rows of at least one vector; the entry point sends shorter rows to a narrower width.
            for (int inputs = VectorLength(isa); inputs <= 3 * VectorLength(isa) + 1; inputs++)
            {
                foreach (int batch in new[] { 1, 2, 3, 4, 7, 13 })
                {
                    CheckForward(batch, inputs, outputs: 13, seed: inputs, isa);
                }
            }
        }

        [Fact]
        public void Forward_FewInputsWholeVectors_MatchesReference()
        {
            // Layers with at most 64 inputs and outputs in whole 8-float vectors take the
            // outer-product kernel on AVX-512 once the batch has a sample per 16 weights. These
            // shapes reach its 32-, 16- and 8-output panels, its sample tiles of four and eight, and
            // the samples left over. Smaller batches check the dot-product tiles on the same shapes.
            foreach (int batch in new[] { 2, 3, 4, 5, 8, 9, 17, 61, 257 })
            {
                foreach (int inputs in new[] { 1, 2, 3, 4, 7, 16, 31, 32, 33, 63, 64, 65 })
                {
                    foreach (int outputs in new[] { 8, 16, 24, 32, 40, 48, 56, 64 })
                    {
                        CheckForward(batch, inputs, outputs, seed: (batch * 1000) + (inputs * 10) + outputs, isa: null);
                    }
                }
            }
        }

        [Fact]
        public void AccumulateGradients_FewInputsWholeVectors_MatchesReference()
        {
            // Fewer than 16 inputs and outputs in whole 16-float vectors take the outer-product
            // weight gradient on AVX-512 once the batch has a sample per 8 weights: groups of four
            // inputs, single inputs left over, pairs of samples and an odd last sample, and pairs
            // of 16-output groups before a group left over. Output counts up to 70 also reach
            // every width of the column sums of the bias gradient.
            foreach (int batch in new[] { 2, 3, 5, 17, 121 })
            {
                foreach (int inputs in new[] { 1, 3, 4, 5, 8, 15, 16 })
                {
                    foreach (int outputs in new[] { 16, 32, 48, 64, 21, 37, 70 })
                    {
                        CheckAccumulateGradients(batch, inputs, outputs, seed: (batch * 1000) + (inputs * 10) + outputs, isa: null);
                    }
                }
            }
        }

        [Fact]
        public void AccumulateGradients_WeightBitsOfFmaChain()
        {
            // With FMA and at least 16 inputs, each weight's gradient is one chain of fused
            // multiply-adds over the batch in sample order, whichever tile of rows computes it.
            // Threads that share a layer rely on it. The output counts take tiles of 12, 8, 4 and 2
            // rows and single rows: 10 is 8 + 2, and 7 is 4 + 2 + 1.
            if (!Fma.IsSupported)
            {
                return;
            }

            foreach ((int batch, int inputs, int outputs) in new[] { (9, 64, 29), (5, 33, 13), (3, 784, 128), (2, 16, 24), (7, 128, 10), (4, 40, 7) })
            {
                float[] dy = TestValues.Uniform(batch * outputs, seed: outputs);
                float[] x = TestValues.Uniform(batch * inputs, seed: inputs);
                float[] dw = TestValues.Uniform(outputs * inputs, seed: batch);
                float[] expected = (float[])dw.Clone();

                DenseKernels.AccumulateGradients(dy, x, dw, new float[outputs], batch, inputs, outputs);

                for (int o = 0; o < outputs; o++)
                {
                    for (int i = 0; i < inputs; i++)
                    {
                        int index = (o * inputs) + i;
                        for (int b = 0; b < batch; b++)
                        {
                            expected[index] = MathF.FusedMultiplyAdd(dy[(b * outputs) + o], x[(b * inputs) + i], expected[index]);
                        }

                        Assert.True(
                            BitConverter.SingleToInt32Bits(expected[index]) == BitConverter.SingleToInt32Bits(dw[index]),
                            $"dw[{o}, {i}] of batch {batch}, {inputs} → {outputs}: {dw[index]:R}, expected {expected[index]:R}");
                    }
                }
            }
        }

        [Fact]
        public void Forward_PackedPanels_BitsOfFmaChain()
        {
            // The packed kernel sums each output from its bias with one fused multiply-add per
            // input, in input order, across its blocks of inputs. Threads that share a layer rely
            // on it. Batch 45 takes tiles of 12, 8 and 1 samples, 40 tiles of 12 and 4, 34 of 12, 8 and 1.
            // 33 outputs end in a panel that overlaps the one before.
            if (!Avx512F.IsSupported || !Vector512.IsHardwareAccelerated)
            {
                return;
            }

            foreach ((int batch, int inputs, int outputs) in new[] { (45, 300, 40), (40, 300, 33), (34, 784, 64) })
            {
                float[] x = TestValues.Uniform(batch * inputs, seed: batch);
                float[] w = TestValues.Uniform(outputs * inputs, seed: inputs);
                float[] bias = TestValues.Uniform(outputs, seed: outputs);
                var y = new float[batch * outputs];

                DenseKernels.Forward(x, w, bias, y, batch, inputs, outputs);

                for (int b = 0; b < batch; b++)
                {
                    for (int o = 0; o < outputs; o++)
                    {
                        float expected = bias[o];
                        for (int i = 0; i < inputs; i++)
                        {
                            expected = MathF.FusedMultiplyAdd(x[(b * inputs) + i], w[(o * inputs) + i], expected);
                        }

                        float actual = y[(b * outputs) + o];
                        Assert.True(
                            BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual),
                            $"y[{b}, {o}] of {inputs} → {outputs}: {actual:R}, expected {expected:R}");
                    }
                }
            }
        }

        [Fact]
        public void Forward_FewInputs_BitsOfFmaChain()
        {
            // On AVX-512 layers of 1 to 5 inputs and 32 or 64 outputs take the outer-product kernel,
            // whose sums start at the bias and add one fused multiply-add per input, in input order.
            // Its kernel for at most 4 inputs keeps the weights in registers and must give those bits.
            if (!Avx512F.IsSupported || !Vector512.IsHardwareAccelerated)
            {
                return;
            }

            foreach (int inputs in new[] { 1, 2, 3, 4, 5 })
            {
                foreach (int outputs in new[] { 32, 64 })
                {
                    const int Batch = 41;
                    float[] x = TestValues.Uniform(Batch * inputs, seed: inputs);
                    float[] w = TestValues.Uniform(outputs * inputs, seed: outputs);
                    float[] bias = TestValues.Uniform(outputs, seed: 3);
                    var y = new float[Batch * outputs];

                    DenseKernels.Forward(x, w, bias, y, Batch, inputs, outputs);

                    for (int b = 0; b < Batch; b++)
                    {
                        for (int o = 0; o < outputs; o++)
                        {
                            float expected = bias[o];
                            for (int i = 0; i < inputs; i++)
                            {
                                expected = MathF.FusedMultiplyAdd(x[(b * inputs) + i], w[(o * inputs) + i], expected);
                            }

                            Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(y[(b * outputs) + o]));
                        }
                    }
                }
            }
        }

        [Fact]
        public void AccumulateGradients_NarrowBias_MatchesReference()
        {
            // With 1, 2, 4 or 8 outputs the bias gradient reads dy as 512-bit vectors of several rows
            // once dy has two of them. Batches 1 to 70 and 1,000 cross that limit and leave every
            // count of rows past the last pair of vectors, with and without one more whole vector.
            foreach (int outputs in new[] { 1, 2, 4, 8, 3 })
            {
                foreach (int batch in Enumerable.Range(1, 70).Append(1000))
                {
                    CheckAccumulateGradients(batch, inputs: 5, outputs, seed: (batch * 10) + outputs, isa: null);
                }
            }
        }

        [Fact]
        public void Forward_PackedPanels_MatchesReference()
        {
            // On AVX-512, batches of 32 or more (16 for weights up to 16,384 floats) with at least
            // 32 outputs take the packed outer-product kernel. These shapes reach the 8-, 4- and
            // 1-sample tiles (45 = 5·8 + 4 + 1), blocks of 256 inputs with a partial last block and
            // a last column group of the 16 × 16 transpose done one column at a time (17, 257,
            // 600), and a last panel that overlaps the one before when the outputs are not a
            // multiple of 32. Elsewhere the same shapes check the dot-product tiles.
            foreach (int batch in new[] { 16, 32, 45, 77 })
            {
                foreach (int inputs in new[] { 1, 17, 256, 257, 600 })
                {
                    foreach (int outputs in new[] { 32, 33, 63, 96 })
                    {
                        CheckForward(batch, inputs, outputs, seed: (batch * 1000) + inputs + outputs, isa: null);
                    }
                }
            }
        }

        [Fact]
        public void Forward_PackedPanels_NonFiniteStaysLocal()
        {
            // 50 outputs make a second panel that starts at output 18 and overlaps the first; 300
            // inputs make two blocks. An infinite weight must reach only its own output, in both
            // the overlapped part (row 20) and the last block (row 49, input 290), and a NaN input
            // only its own sample.
            const int Batch = 40, Inputs = 300, Outputs = 50, NaNSample = 3;
            var x = new float[Batch * Inputs];
            x.AsSpan().Fill(1f);
            x[NaNSample * Inputs + 7] = float.NaN;
            var w = new float[Outputs * Inputs];
            w[20 * Inputs + 5] = float.PositiveInfinity;
            w[49 * Inputs + 290] = float.PositiveInfinity;
            var bias = new float[Outputs];
            var y = new float[Batch * Outputs];

            DenseKernels.Forward(x, w, bias, y, Batch, Inputs, Outputs);

            for (int b = 0; b < Batch; b++)
            {
                for (int o = 0; o < Outputs; o++)
                {
                    float expected = 0f;
                    if (b == NaNSample)
                    {
                        expected = float.NaN;
                    }
                    else if (o is 20 or 49)
                    {
                        expected = float.PositiveInfinity;
                    }

                    Assert.Equal(expected, y[b * Outputs + o]);
                }
            }
        }

        [Fact]
        public void Forward_SmallThreadStack_SameBits()
        {
            // The packed and narrow kernels keep their weight panel on the stack (32 KB and up to
            // 16 KB). A 64 KB thread has too little room, so they use a heap panel there. They must
            // neither overflow the stack, which would end the process, nor change the sums: the
            // trainer promises the same bits whichever thread runs a chunk.
            foreach ((int batch, int inputs, int outputs) in new[] { (32, 784, 128), (64, 8, 128), (40, 300, 50) })
            {
                float[] x = TestValues.Uniform(batch * inputs, 11), w = TestValues.Uniform(outputs * inputs, 12);
                float[] bias = TestValues.Uniform(outputs, 13);
                float[] onThisThread = new float[batch * outputs], onSmallStack = new float[batch * outputs];
                DenseKernels.Forward(x, w, bias, onThisThread, batch, inputs, outputs);

                var thread = new Thread(() => DenseKernels.Forward(x, w, bias, onSmallStack, batch, inputs, outputs), maxStackSize: 64 * 1024);
                thread.Start();
                thread.Join();

                Assert.Equal(onThisThread, onSmallStack);
            }
        }

        [Fact]
        public void Forward_ManyWeightBlocks_MatchesReference() =>
            // 3000 inputs make blocks of 16 rows, so 50 outputs span four blocks, the last one partial.
            CheckForward(batch: 5, inputs: 3000, outputs: 50, seed: 3, isa: null);

        [Theory]
        [MemberData(nameof(Batches))]
        public void BackwardInput_MatchesReference_AllSmallShapes(int batch, int widthCap) =>
            WithWidthCap(widthCap, () =>
            {
                for (int inputs = 0; inputs <= MaxSmallInputs; inputs++)
                {
                    for (int outputs = 0; outputs <= 17; outputs++)
                    {
                        CheckBackwardInput(batch, inputs, outputs, seed: inputs * 100 + outputs, isa: null);
                    }
                }
            });

        [Theory]
        [MemberData(nameof(LargeShapes))]
        public void BackwardInput_MatchesReference_LargeShapes(int batch, int inputs, int outputs, int widthCap) =>
            WithWidthCap(widthCap, () => CheckBackwardInput(batch, inputs, outputs, seed: 11, isa: null));

        [Theory]
        [MemberData(nameof(Isas))]
        public void BackwardInput_EachVectorWidth_MatchesReference(Isa isa)
        {
            if (!IsSupported(isa))
            {
                return;
            }

            for (int inputs = VectorLength(isa); inputs <= 3 * VectorLength(isa) + 1; inputs++)
            {
                foreach (int batch in new[] { 1, 2, 3, 4, 5, 9, 14 })
                {
                    CheckBackwardInput(batch, inputs, outputs: 13, seed: inputs, isa);
                }
            }
        }

        [Theory]
        [MemberData(nameof(Batches))]
        public void AccumulateGradients_MatchesReference_AllSmallShapes(int batch, int widthCap) =>
            WithWidthCap(widthCap, () =>
            {
                for (int inputs = 0; inputs <= MaxSmallInputs; inputs++)
                {
                    for (int outputs = 0; outputs <= 17; outputs++)
                    {
                        CheckAccumulateGradients(batch, inputs, outputs, seed: inputs * 100 + outputs, isa: null);
                    }
                }
            });

        [Theory]
        [MemberData(nameof(LargeShapes))]
        public void AccumulateGradients_MatchesReference_LargeShapes(int batch, int inputs, int outputs, int widthCap) =>
            WithWidthCap(widthCap, () => CheckAccumulateGradients(batch, inputs, outputs, seed: 13, isa: null));

        [Theory]
        [MemberData(nameof(Isas))]
        public void AccumulateGradients_EachVectorWidth_MatchesReference(Isa isa)
        {
            if (!IsSupported(isa))
            {
                return;
            }

            for (int inputs = VectorLength(isa); inputs <= 3 * VectorLength(isa) + 1; inputs++)
            {
                foreach (int outputs in new[] { 1, 3, 4, 5, 9, 14 })
                {
                    CheckAccumulateGradients(batch: 6, inputs, outputs, seed: inputs, isa);
                }
            }
        }

        [Fact]
        public void AccumulateGradients_TwoCalls_AddBothBatches()
        {
            const int Batch = 3, Inputs = 11, Outputs = 5;
            float[] dy1 = TestValues.Uniform(Batch * Outputs, 1), x1 = TestValues.Uniform(Batch * Inputs, 2);
            float[] dy2 = TestValues.Uniform(Batch * Outputs, 3), x2 = TestValues.Uniform(Batch * Inputs, 4);
            var dw = new float[Outputs * Inputs];
            var dbias = new float[Outputs];

            DenseKernels.AccumulateGradients(dy1, x1, dw, dbias, Batch, Inputs, Outputs);
            DenseKernels.AccumulateGradients(dy2, x2, dw, dbias, Batch, Inputs, Outputs);

            for (int o = 0; o < Outputs; o++)
            {
                double biasSum = 0, biasScale = 0;
                for (int b = 0; b < Batch; b++)
                {
                    biasSum += (double)dy1[b * Outputs + o] + dy2[b * Outputs + o];
                    biasScale += Math.Abs(dy1[b * Outputs + o]) + Math.Abs(dy2[b * Outputs + o]);
                }

                TestValues.AssertClose(biasSum, dbias[o], biasScale, SumTolerance, $"dbias[{o}]");
                for (int i = 0; i < Inputs; i++)
                {
                    double sum = 0, scale = 0;
                    for (int b = 0; b < Batch; b++)
                    {
                        sum += (double)dy1[b * Outputs + o] * x1[b * Inputs + i] + (double)dy2[b * Outputs + o] * x2[b * Inputs + i];
                        scale += Math.Abs((double)dy1[b * Outputs + o] * x1[b * Inputs + i]) + Math.Abs((double)dy2[b * Outputs + o] * x2[b * Inputs + i]);
                    }

                    TestValues.AssertClose(sum, dw[o * Inputs + i], scale, SumTolerance, $"dw[{o},{i}]");
                }
            }
        }

        [Fact]
        public void Forward_InfiniteWeightInTail_StaysInItsOutput()
        {
            // 11 inputs end with a vector that overlaps the first one; an infinite weight in an
            // overlapped lane must not turn into 0·∞ = NaN there.
            const int Inputs = 11, Outputs = 8;
            var x = new float[Inputs];
            x.AsSpan().Fill(1f);
            var w = new float[Outputs * Inputs];
            w[3 * Inputs + 5] = float.PositiveInfinity;
            var bias = new float[Outputs];
            var y = new float[Outputs];

            DenseKernels.Forward(x, w, bias, y, 1, Inputs, Outputs);

            Assert.Equal(float.PositiveInfinity, y[3]);
            for (int o = 0; o < Outputs; o++)
            {
                if (o != 3)
                {
                    Assert.Equal(0f, y[o]);
                }
            }
        }

        public static readonly TheoryData<int> WidthCapData = new() { 512, 256, 128, 0 };

        [Theory]
        [MemberData(nameof(WidthCapData))]
        public void Forward_InfiniteWeightInTail_BatchTiles(int widthCap) =>
            WithWidthCap(widthCap, () =>
            {
                // 27 inputs end with a vector that overlaps the previous one at every width, and six
                // samples fill the widest tile. Row 3 of w has an infinity in a lane that the last
                // vector overlaps at each width: 12 for 512 bits, 20 for 256, 23 for 128. A masked
                // lane must add 0·0 there, never 0·∞ = NaN, so only output 3 may be infinite.
                const int Batch = 6, Inputs = 27, Outputs = 8;
                var x = new float[Batch * Inputs];
                x.AsSpan().Fill(1f);
                var w = new float[Outputs * Inputs];
                w[3 * Inputs + 12] = float.PositiveInfinity;
                w[3 * Inputs + 20] = float.PositiveInfinity;
                w[3 * Inputs + 23] = float.PositiveInfinity;
                var bias = new float[Outputs];
                var y = new float[Batch * Outputs];

                DenseKernels.Forward(x, w, bias, y, Batch, Inputs, Outputs);

                for (int b = 0; b < Batch; b++)
                {
                    for (int o = 0; o < Outputs; o++)
                    {
                        Assert.Equal(o == 3 ? float.PositiveInfinity : 0f, y[b * Outputs + o]);
                    }
                }
            });

        [Fact]
        public void Forward_WrongSpanLengths_Throw()
        {
            var x = new float[6];
            var w = new float[12];
            var bias = new float[4];
            var y = new float[8];

            AssertLengthError("x", 6, 5, () => DenseKernels.Forward(x.AsSpan(0, 5), w, bias, y, 2, 3, 4));
            AssertLengthError("w", 12, 11, () => DenseKernels.Forward(x, w.AsSpan(1), bias, y, 2, 3, 4));
            AssertLengthError("bias", 4, 3, () => DenseKernels.Forward(x, w, bias.AsSpan(1), y, 2, 3, 4));
            AssertLengthError("y", 8, 9, () => DenseKernels.Forward(x, w, bias, new float[9], 2, 3, 4));
            Assert.Equal("batch", Assert.Throws<ArgumentOutOfRangeException>(() => DenseKernels.Forward(x, w, bias, y, -2, 3, 4)).ParamName);
        }

        [Fact]
        public void BackwardInput_WrongSpanLengths_Throw()
        {
            var dy = new float[8];
            var w = new float[12];
            var dx = new float[6];

            AssertLengthError("dy", 8, 7, () => DenseKernels.BackwardInput(dy.AsSpan(1), w, dx, 2, 3, 4));
            AssertLengthError("w", 12, 13, () => DenseKernels.BackwardInput(dy, new float[13], dx, 2, 3, 4));
            AssertLengthError("dx", 6, 5, () => DenseKernels.BackwardInput(dy, w, dx.AsSpan(1), 2, 3, 4));
            Assert.Equal("inputs", Assert.Throws<ArgumentOutOfRangeException>(() => DenseKernels.BackwardInput(dy, w, dx, 2, -3, 4)).ParamName);
        }

        [Fact]
        public void AccumulateGradients_WrongSpanLengths_Throw()
        {
            var dy = new float[8];
            var x = new float[6];
            var dw = new float[12];
            var dbias = new float[4];

            AssertLengthError("dy", 8, 7, () => DenseKernels.AccumulateGradients(dy.AsSpan(1), x, dw, dbias, 2, 3, 4));
            AssertLengthError("x", 6, 5, () => DenseKernels.AccumulateGradients(dy, x.AsSpan(1), dw, dbias, 2, 3, 4));
            AssertLengthError("dw", 12, 11, () => DenseKernels.AccumulateGradients(dy, x, dw.AsSpan(1), dbias, 2, 3, 4));
            AssertLengthError("dbias", 4, 5, () => DenseKernels.AccumulateGradients(dy, x, dw, new float[5], 2, 3, 4));
            Assert.Equal("outputs", Assert.Throws<ArgumentOutOfRangeException>(() => DenseKernels.AccumulateGradients(dy, x, dw, dbias, 2, 3, -4)).ParamName);
        }

        [Fact]
        public void WrongSpanLength_LeavesOutputUntouched()
        {
            float[] y = { 5f, 5f };
            Assert.Throws<ArgumentException>(() => DenseKernels.Forward(new float[3], new float[6], new float[2], y, 1, 3, 3));
            Assert.Equal(new[] { 5f, 5f }, y);
        }

        [Fact]
        public void AllKernels_AllocateNothing()
        {
            const int Batch = 5, Inputs = 37, Outputs = 19;
            float[] x = TestValues.Uniform(Batch * Inputs, 1), w = TestValues.Uniform(Outputs * Inputs, 2);
            float[] bias = TestValues.Uniform(Outputs, 3), y = new float[Batch * Outputs];
            float[] dy = TestValues.Uniform(Batch * Outputs, 4), dx = new float[Batch * Inputs];
            float[] dw = new float[Outputs * Inputs], dbias = new float[Outputs];

            // A shape for the packed kernel on AVX-512, whose panel buffer lives on the stack.
            const int PackedBatch = 32, PackedOutputs = 40;
            float[] packedX = TestValues.Uniform(PackedBatch * Inputs, 5), packedW = TestValues.Uniform(PackedOutputs * Inputs, 6);
            float[] packedBias = new float[PackedOutputs], packedY = new float[PackedBatch * PackedOutputs];

            void RunAll()
            {
                DenseKernels.Forward(x, w, bias, y, Batch, Inputs, Outputs);
                DenseKernels.Forward(x.AsSpan(0, Inputs), w, bias, y.AsSpan(0, Outputs), 1, Inputs, Outputs);
                DenseKernels.Forward(packedX, packedW, packedBias, packedY, PackedBatch, Inputs, PackedOutputs);
                DenseKernels.BackwardInput(dy, w, dx, Batch, Inputs, Outputs);
                DenseKernels.AccumulateGradients(dy, x, dw, dbias, Batch, Inputs, Outputs);
            }

            RunAll();
            Assert.Equal(0, SteadyAllocation.MedianBytes(() =>
            {
                RunAll();
            }));
        }

        private static void CheckForward(int batch, int inputs, int outputs, int seed, Isa? isa)
        {
            float[] xValues = TestValues.Uniform(batch * inputs, seed);
            float[] wValues = TestValues.Uniform(outputs * inputs, seed + 1);
            float[] biasValues = TestValues.Uniform(outputs, seed + 2);
            var x = new GuardedBuffer(xValues);
            var w = new GuardedBuffer(wValues);
            var bias = new GuardedBuffer(biasValues);
            var y = new GuardedBuffer(batch * outputs);
            y.Span.Fill(float.NaN);

            if (isa is null)
            {
                DenseKernels.Forward(x.Span, w.Span, bias.Span, y.Span, batch, inputs, outputs);
            }
            else
            {
                RunForwardCore(isa.Value, x.Span, w.Span, bias.Span, y.Span, batch, inputs, outputs);
            }

            for (int b = 0; b < batch; b++)
            {
                for (int o = 0; o < outputs; o++)
                {
                    double sum = biasValues[o];
                    double scale = Math.Abs(biasValues[o]);
                    for (int i = 0; i < inputs; i++)
                    {
                        double term = (double)xValues[b * inputs + i] * wValues[o * inputs + i];
                        sum += term;
                        scale += Math.Abs(term);
                    }

                    TestValues.AssertClose(sum, y[b * outputs + o], scale, SumTolerance,
                        $"y[{b},{o}] for batch {batch}, inputs {inputs}, outputs {outputs}, {isa?.ToString() ?? "entry point"}");
                }
            }

            y.AssertGuardsIntact();
        }

        private static void CheckBackwardInput(int batch, int inputs, int outputs, int seed, Isa? isa)
        {
            float[] dyValues = TestValues.Uniform(batch * outputs, seed);
            float[] wValues = TestValues.Uniform(outputs * inputs, seed + 1);
            var dy = new GuardedBuffer(dyValues);
            var w = new GuardedBuffer(wValues);
            var dx = new GuardedBuffer(batch * inputs);
            dx.Span.Fill(float.NaN);

            if (isa is null)
            {
                DenseKernels.BackwardInput(dy.Span, w.Span, dx.Span, batch, inputs, outputs);
            }
            else
            {
                RunBackwardInputCore(isa.Value, dy.Span, w.Span, dx.Span, batch, inputs, outputs);
            }

            for (int b = 0; b < batch; b++)
            {
                for (int i = 0; i < inputs; i++)
                {
                    double sum = 0, scale = 0;
                    for (int o = 0; o < outputs; o++)
                    {
                        double term = (double)dyValues[b * outputs + o] * wValues[o * inputs + i];
                        sum += term;
                        scale += Math.Abs(term);
                    }

                    TestValues.AssertClose(sum, dx[b * inputs + i], scale, SumTolerance,
                        $"dx[{b},{i}] for batch {batch}, inputs {inputs}, outputs {outputs}, {isa?.ToString() ?? "entry point"}");
                }
            }

            dx.AssertGuardsIntact();
        }

        private static void CheckAccumulateGradients(int batch, int inputs, int outputs, int seed, Isa? isa)
        {
            float[] dyValues = TestValues.Uniform(batch * outputs, seed);
            float[] xValues = TestValues.Uniform(batch * inputs, seed + 1);
            float[] dwBefore = TestValues.Uniform(outputs * inputs, seed + 2);
            float[] dbiasBefore = TestValues.Uniform(outputs, seed + 3);
            var dy = new GuardedBuffer(dyValues);
            var x = new GuardedBuffer(xValues);
            var dw = new GuardedBuffer(dwBefore);
            var dbias = new GuardedBuffer(dbiasBefore);

            if (isa is null)
            {
                DenseKernels.AccumulateGradients(dy.Span, x.Span, dw.Span, dbias.Span, batch, inputs, outputs);
            }
            else
            {
                RunAccumulateWeightGradientCore(isa.Value, dy.Span, x.Span, dw.Span, batch, inputs, outputs);
            }

            string context = $"batch {batch}, inputs {inputs}, outputs {outputs}, {isa?.ToString() ?? "entry point"}";
            for (int o = 0; o < outputs; o++)
            {
                if (isa is null)
                {
                    double biasSum = dbiasBefore[o], biasScale = Math.Abs(dbiasBefore[o]);
                    for (int b = 0; b < batch; b++)
                    {
                        biasSum += dyValues[b * outputs + o];
                        biasScale += Math.Abs(dyValues[b * outputs + o]);
                    }

                    TestValues.AssertClose(biasSum, dbias[o], biasScale, SumTolerance, $"dbias[{o}] for {context}");
                }

                for (int i = 0; i < inputs; i++)
                {
                    double sum = dwBefore[o * inputs + i];
                    double scale = Math.Abs(sum);
                    for (int b = 0; b < batch; b++)
                    {
                        double term = (double)dyValues[b * outputs + o] * xValues[b * inputs + i];
                        sum += term;
                        scale += Math.Abs(term);
                    }

                    TestValues.AssertClose(sum, dw[o * inputs + i], scale, SumTolerance, $"dw[{o},{i}] for {context}");
                }
            }

            dw.AssertGuardsIntact();
            dbias.AssertGuardsIntact();
        }

        private static void AssertLengthError(string parameter, int expected, int actual, Action call)
        {
            ArgumentException error = Assert.Throws<ArgumentException>(call);
            Assert.Equal(parameter, error.ParamName);
            Assert.Contains($"exactly {expected} elements", error.Message, StringComparison.Ordinal);
            Assert.Contains($"it has {actual}", error.Message, StringComparison.Ordinal);
        }

        /// <summary>Runs <paramref name="test"/> with <see cref="SimdWidth.MaximumBits"/> set to <paramref name="widthCap"/>, then restores the default.</summary>
        private static void WithWidthCap(int widthCap, Action test)
        {
            SimdWidth.MaximumBits = widthCap;
            try
            {
                test();
            }
            finally
            {
                SimdWidth.MaximumBits = SimdWidth.Unlimited;
            }
        }

        private static bool IsSupported(Isa isa) => isa switch
        {
            Isa.Vector512Fma => Vector512Fma.IsSupported,
            Isa.Vector256Fma => Vector256Fma.IsSupported,
            Isa.Vector128 => Vector128Simd.IsSupported,
            _ => ScalarSimd.IsSupported,
        };

        private static int VectorLength(Isa isa) => isa switch
        {
            Isa.Vector512Fma => Vector512Fma.Count,
            Isa.Vector256Fma => Vector256Fma.Count,
            Isa.Vector128 => Vector128Simd.Count,
            _ => ScalarSimd.Count,
        };

        private static void RunForwardCore(Isa isa, Span<float> x, Span<float> w, Span<float> bias, Span<float> y, int batch, int inputs, int outputs)
        {
            ref float xStart = ref MemoryMarshal.GetReference(x);
            ref float wStart = ref MemoryMarshal.GetReference(w);
            ref float biasStart = ref MemoryMarshal.GetReference(bias);
            ref float yStart = ref MemoryMarshal.GetReference(y);
            switch (isa)
            {
                case Isa.Vector512Fma:
                    DenseKernels.ForwardCore<Vector512Fma, Vector512<float>>(ref xStart, ref wStart, ref biasStart, ref yStart, batch, inputs, outputs);
                    break;
                case Isa.Vector256Fma:
                    DenseKernels.ForwardCore<Vector256Fma, Vector256<float>>(ref xStart, ref wStart, ref biasStart, ref yStart, batch, inputs, outputs);
                    break;
                case Isa.Vector128:
                    DenseKernels.ForwardCore<Vector128Simd, Vector128<float>>(ref xStart, ref wStart, ref biasStart, ref yStart, batch, inputs, outputs);
                    break;
                default:
                    DenseKernels.ForwardCore<ScalarSimd, float>(ref xStart, ref wStart, ref biasStart, ref yStart, batch, inputs, outputs);
                    break;
            }
        }

        private static void RunBackwardInputCore(Isa isa, Span<float> dy, Span<float> w, Span<float> dx, int batch, int inputs, int outputs) =>
            RunFusedCore<NoDerivative>(isa, dy, w, dx, dx, batch, inputs, outputs);

        private static void RunAccumulateWeightGradientCore(Isa isa, Span<float> dy, Span<float> x, Span<float> dw, int batch, int inputs, int outputs)
        {
            ref float dyStart = ref MemoryMarshal.GetReference(dy);
            ref float xStart = ref MemoryMarshal.GetReference(x);
            ref float dwStart = ref MemoryMarshal.GetReference(dw);
            switch (isa)
            {
                case Isa.Vector512Fma:
                    DenseKernels.AccumulateWeightGradientCore<Vector512Fma, Vector512<float>>(ref dyStart, ref xStart, ref dwStart, batch, inputs, outputs);
                    break;
                case Isa.Vector256Fma:
                    DenseKernels.AccumulateWeightGradientCore<Vector256Fma, Vector256<float>>(ref dyStart, ref xStart, ref dwStart, batch, inputs, outputs);
                    break;
                case Isa.Vector128:
                    DenseKernels.AccumulateWeightGradientCore<Vector128Simd, Vector128<float>>(ref dyStart, ref xStart, ref dwStart, batch, inputs, outputs);
                    break;
                default:
                    DenseKernels.AccumulateWeightGradientCore<ScalarSimd, float>(ref dyStart, ref xStart, ref dwStart, batch, inputs, outputs);
                    break;
            }
        }
    }
}
