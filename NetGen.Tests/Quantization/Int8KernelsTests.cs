using System;
using NetGen.Kernels;
using NetGen.Quantization;

namespace NetGen.Tests.Quantization
{
    public class Int8KernelsTests
    {
        /// <summary>Twice the widest step (32 activations per AVX2 vpmaddubsw step) plus one.</summary>
        private const int MaxTestedInputs = 2 * 32 + 1;

        public static readonly TheoryData<Int8KernelPath> Paths = new()
        {
            Int8KernelPath.Auto,
            Int8KernelPath.Scalar,
            Int8KernelPath.Avx2Widened,
            Int8KernelPath.Avx2SignTransfer,
            Int8KernelPath.Avx2SevenBit,
            Int8KernelPath.AvxVnni,
            Int8KernelPath.AdvSimdWidened,
            Int8KernelPath.ArmDotProduct,
        };

        private static readonly int[] s_rowCounts = { 1, 3, 4, 5, 8, 9 };
        private static readonly int[] s_batches = { 1, 2, 3 };

        /// <summary>How a test fills activations and weights.</summary>
        public enum Fill
        {
            Random,
            AllMaximum,
            MaximumTimesMinimum,
            AlternatingExtremes,
        }

        [Theory]
        [MemberData(nameof(Paths))]
        public void UInt8_AllLengths_MatchReference(Int8KernelPath path)
        {
            if (!Int8Kernels.IsSupported(path))
            {
                return;
            }

            int maxActivation = path == Int8KernelPath.Avx2SevenBit ? 127 : 255;
            foreach (Fill fill in Enum.GetValues<Fill>())
            {
                for (int inputs = 0; inputs <= MaxTestedInputs; inputs++)
                {
                    foreach (int outputs in s_rowCounts)
                    {
                        foreach (int batch in s_batches)
                        {
                            CheckUnsigned(path, fill, maxActivation, batch, inputs, outputs, seed: inputs * 1000 + outputs * 10 + batch);
                        }
                    }
                }
            }
        }

        [Theory]
        [MemberData(nameof(Paths))]
        public void Int8_AllLengths_MatchReference(Int8KernelPath path)
        {
            if (!Int8Kernels.IsSupported(path) || path == Int8KernelPath.Avx2SevenBit)
            {
                return;
            }

            foreach (Fill fill in Enum.GetValues<Fill>())
            {
                for (int inputs = 0; inputs <= MaxTestedInputs; inputs++)
                {
                    foreach (int outputs in s_rowCounts)
                    {
                        foreach (int batch in s_batches)
                        {
                            CheckSigned(path, fill, batch, inputs, outputs, seed: inputs * 1000 + outputs * 10 + batch);
                        }
                    }
                }
            }
        }

        [Theory]
        [MemberData(nameof(Paths))]
        public void LargeShapes_MatchReference(Int8KernelPath path)
        {
            if (!Int8Kernels.IsSupported(path))
            {
                return;
            }

            int maxActivation = path == Int8KernelPath.Avx2SevenBit ? 127 : 255;

            // 784 inputs span several weight blocks of 16 KB; 4096 inputs make blocks of 4 rows.
            CheckUnsigned(path, Fill.Random, maxActivation, batch: 7, inputs: 784, outputs: 45, seed: 1);
            CheckUnsigned(path, Fill.AllMaximum, maxActivation, batch: 5, inputs: 4096, outputs: 9, seed: 2);
            if (path != Int8KernelPath.Avx2SevenBit)
            {
                CheckSigned(path, Fill.MaximumTimesMinimum, batch: 5, inputs: 4096, outputs: 9, seed: 3);
            }
        }

        [Fact]
        public void VnniPackedGemm_MatchesReference()
        {
            if (!Int8Kernels.IsSupported(Int8KernelPath.AvxVnni))
            {
                return;
            }

            // Batches from 4 up run the packed panels of 16 outputs: 1 to 3 below, 4 to 9 cover a
            // six-sample tile plus every remainder. Output counts leave partial panels.
            int[] outputCounts = { 1, 7, 15, 16, 17, 33 };
            foreach (Fill fill in Enum.GetValues<Fill>())
            {
                for (int inputs = 0; inputs <= MaxTestedInputs; inputs++)
                {
                    foreach (int outputs in outputCounts)
                    {
                        for (int batch = 1; batch <= 9; batch++)
                        {
                            int seed = inputs * 1000 + outputs * 10 + batch;
                            CheckUnsigned(Int8KernelPath.AvxVnni, fill, 255, batch, inputs, outputs, seed);
                            CheckSigned(Int8KernelPath.AvxVnni, fill, batch, inputs, outputs, seed);
                        }
                    }
                }
            }

            CheckUnsigned(Int8KernelPath.AvxVnni, Fill.Random, 255, batch: 128, inputs: 784, outputs: 45, seed: 4);
            CheckSigned(Int8KernelPath.AvxVnni, Fill.MaximumTimesMinimum, batch: 13, inputs: 4099, outputs: 19, seed: 5);
        }

        [Fact]
        public void SevenBit_ActivationAbove127Throws()
        {
            if (!Int8Kernels.IsSupported(Int8KernelPath.Avx2SevenBit))
            {
                return;
            }

            var weights = new QuantizedWeights(new sbyte[2 * 40], new float[] { 1f, 1f }, 2, 40);
            var x = new byte[40];
            x[33] = 128;

            ArgumentException error = Assert.Throws<ArgumentException>(() => Int8Kernels.Multiply(x, 0, weights, default, new int[2], 1, Int8KernelPath.Avx2SevenBit));
            Assert.Contains("index 33", error.Message, StringComparison.Ordinal);
            Assert.Throws<ArgumentException>(() => Int8Kernels.Multiply(new sbyte[40], weights, default, new int[2], 1, Int8KernelPath.Avx2SevenBit));
        }

        [Theory]
        [MemberData(nameof(Paths))]
        public void UnsupportedPath_Throws(Int8KernelPath path)
        {
            if (Int8Kernels.IsSupported(path))
            {
                return;
            }

            var weights = new QuantizedWeights(new sbyte[4], new float[] { 1f, 1f }, 2, 2);
            Assert.Throws<PlatformNotSupportedException>(() => Int8Kernels.Multiply(new byte[2], 0, weights, default, new int[2], 1, path));
        }

        [Fact]
        public void SelectPath_PrefersVnniThenAvx2ThenArm()
        {
            Assert.Equal(Int8KernelPath.AvxVnni, Int8Kernels.SelectPath(Int8CpuFeatures.Avx2 | Int8CpuFeatures.AvxVnni));
            Assert.Equal(Int8KernelPath.Avx2SignTransfer, Int8Kernels.SelectPath(Int8CpuFeatures.Avx2));
            Assert.Equal(Int8KernelPath.ArmDotProduct, Int8Kernels.SelectPath(Int8CpuFeatures.AdvSimd | Int8CpuFeatures.ArmDotProduct));
            Assert.Equal(Int8KernelPath.AdvSimdWidened, Int8Kernels.SelectPath(Int8CpuFeatures.AdvSimd));
            Assert.Equal(Int8KernelPath.Scalar, Int8Kernels.SelectPath(Int8CpuFeatures.None));
            Assert.True(Int8Kernels.IsSupported(Int8Kernels.SelectPath(Int8Kernels.DetectFeatures())));
        }

        [Fact]
        public void WrongArguments_Throw()
        {
            var weights = new QuantizedWeights(new sbyte[6], new float[] { 1f, 1f }, 2, 3);
            Assert.Equal("x", Assert.Throws<ArgumentException>(() => Int8Kernels.Multiply(new byte[5], 0, weights, default, new int[4], 2)).ParamName);
            Assert.Equal("y", Assert.Throws<ArgumentException>(() => Int8Kernels.Multiply(new byte[6], 0, weights, default, new int[3], 2)).ParamName);
            Assert.Equal("bias", Assert.Throws<ArgumentException>(() => Int8Kernels.Multiply(new byte[6], 0, weights, new int[3], new int[4], 2)).ParamName);
            Assert.Throws<ArgumentOutOfRangeException>(() => Int8Kernels.Multiply(new byte[6], 256, weights, default, new int[4], 2));
            Assert.Throws<ArgumentOutOfRangeException>(() => Int8Kernels.Multiply(new byte[6], 0, weights, default, new int[4], -2));
        }

        [Fact]
        public void Weights_RejectMinus128AndQuantizePerRow()
        {
            var values = new sbyte[] { 1, -128, 3, 4 };
            ArgumentException error = Assert.Throws<ArgumentException>(() => new QuantizedWeights(values, new float[] { 1f, 1f }, 2, 2));
            Assert.Contains("row 0, column 1", error.Message, StringComparison.Ordinal);

            // Row 0 has max |w| 127, so scale 1, and its ties round to even; row 1 is all zero, so scale 1;
            // row 2 has max |w| 0.254, so scale 0.002.
            float[] w = { 127f, -63.5f, 0.5f, 0f, 0f, 0f, -0.254f, 0.1f, 0f };
            QuantizedWeights quantized = QuantizedWeights.Quantize(w, 3, 3);
            Assert.Equal(1f, quantized.Scales[0]);
            Assert.Equal(1f, quantized.Scales[1]);
            Assert.Equal((float)(0.254 / 127), quantized.Scales[2], 1e-9f);
            Assert.Equal(new sbyte[] { 127, -64, 0, 0, 0, 0, -127, 50, 0 }, quantized.Values.ToArray());
            Assert.Equal(new[] { 127 - 64, 0, -127 + 50 }, quantized.RowSums.ToArray());
        }

        [Fact]
        public void Requantize_RoundsHalfToEvenAndSaturates()
        {
            // m = 0.5 · 0.25 / 0.0625 = 2 and then 0.5 for the second row: every product is exact in double.
            int[] accumulators = { 1, 3, -1, -3, 200, -200 };
            float[] weightScales = { 0.25f, 0.0625f };
            var output = new QuantizationParameters(0.0625f, 10, QuantizedRange.UInt8);
            var y = new byte[6];

            Int8Kernels.Requantize(accumulators, 0.5f, weightScales, output, relu: false, y, batch: 3);
            // Row 0 (m = 2): 1 → 12, −1 → 8, 200 → 410 → 255. Row 1 (m = 0.5): 3 → 1.5 → 2 → 12, −3 → −2 → 8, −200 → −90 → 0.
            Assert.Equal(new byte[] { 12, 12, 8, 8, 255, 0 }, y);

            Int8Kernels.Requantize(accumulators, 0.5f, weightScales, output, relu: true, y, batch: 3);
            Assert.Equal(new byte[] { 12, 12, 10, 10, 255, 10 }, y);

            var signedOutput = new QuantizationParameters(0.0625f, 0, QuantizedRange.Int8);
            var signedY = new sbyte[6];
            Int8Kernels.Requantize(new[] { 1, 1, -1, -1, 100, -300 }, 0.5f, weightScales, signedOutput, relu: false, signedY, batch: 3);
            Assert.Equal(new sbyte[] { 2, 0, -2, 0, 127, -128 }, signedY);
        }

        [Fact]
        public void Requantize_AllLengths_MatchReference()
        {
            // Lengths past 2 · 8 + 1 cover the eight-output vector steps and every scalar tail.
            // Scales of 0.5 and 0.25 make ties, and the extreme accumulators saturate.
            var random = new Random(7);
            const float InputScale = 0.5f;
            var unsignedOutput = new QuantizationParameters(0.5f, 7, QuantizedRange.UInt8);
            var signedOutput = new QuantizationParameters(0.5f, 0, QuantizedRange.Int8);
            for (int outputs = 0; outputs <= 33; outputs++)
            {
                for (int batch = 1; batch <= 3; batch++)
                {
                    var accumulators = new int[batch * outputs];
                    var weightScales = new float[outputs];
                    for (int o = 0; o < outputs; o++)
                    {
                        weightScales[o] = o % 3 == 0 ? 0.5f : o % 3 == 1 ? 0.25f : (float)random.NextDouble();
                    }

                    for (int k = 0; k < accumulators.Length; k++)
                    {
                        accumulators[k] = (k % 7) switch
                        {
                            0 => int.MaxValue,
                            1 => int.MinValue,
                            _ => random.Next(-600, 600),
                        };
                    }

                    foreach (bool relu in new[] { false, true })
                    {
                        var y = new byte[accumulators.Length];
                        var signedY = new sbyte[accumulators.Length];
                        Int8Kernels.Requantize(accumulators, InputScale, weightScales, unsignedOutput, relu, y, batch);
                        Int8Kernels.Requantize(accumulators, InputScale, weightScales, signedOutput, relu, signedY, batch);
                        for (int k = 0; k < accumulators.Length; k++)
                        {
                            double multiplier = weightScales[k % Math.Max(1, outputs)] * ((double)InputScale / 0.5f);
                            double value = Math.Round(accumulators[k] * multiplier, MidpointRounding.ToEven);
                            int expectedUnsigned = (int)Math.Clamp(value + 7, relu ? 7 : 0, 255);
                            int expectedSigned = (int)Math.Clamp(value, relu ? 0 : -128, 127);
                            Assert.True(expectedUnsigned == y[k], $"uint8 y[{k}], outputs {outputs}, batch {batch}, relu {relu}: expected {expectedUnsigned}, got {y[k]}.");
                            Assert.True(expectedSigned == signedY[k], $"int8 y[{k}], outputs {outputs}, batch {batch}, relu {relu}: expected {expectedSigned}, got {signedY[k]}.");
                        }
                    }
                }
            }
        }

        [Fact]
        public void Dequantize_ScalesAddsBiasAndClamps()
        {
            int[] accumulators = { 4, -8 };
            var y = new float[2];
            Int8Kernels.Dequantize(accumulators, 0.5f, new[] { 0.25f, 0.125f }, new[] { 1f, 0.25f }, relu: false, y, batch: 1);
            Assert.Equal(new[] { 1.5f, -0.25f }, y);

            Int8Kernels.Dequantize(accumulators, 0.5f, new[] { 0.25f, 0.125f }, new[] { 1f, 0.25f }, relu: true, y, batch: 1);
            Assert.Equal(new[] { 1.5f, 0f }, y);
        }

        [Fact]
        public void Kernels_AllocateNothing()
        {
            // Batch 7 runs the packed AVX-VNNI GEMM where the CPU has it, and batch 3 the row-major tiles.
            const int Batch = 7, SmallBatch = 3, Inputs = 100, Outputs = 9;
            QuantizedWeights weights = QuantizedWeights.Quantize(Uniform(Outputs * Inputs, 1), Outputs, Inputs);
            var x = new byte[Batch * Inputs];
            var xs = new sbyte[Batch * Inputs];
            var bias = new int[Outputs];
            var accumulators = new int[Batch * Outputs];
            var y = new byte[Batch * Outputs];
            var yFloat = new float[Batch * Outputs];
            var output = new QuantizationParameters(0.1f, 3, QuantizedRange.UInt8);

            Int8KernelPath[] paths = Enum.GetValues<Int8KernelPath>();

            void RunAll()
            {
                foreach (Int8KernelPath path in paths)
                {
                    if (Int8Kernels.IsSupported(path))
                    {
                        Int8Kernels.Multiply(x, 5, weights, bias, accumulators, Batch, path);
                        Int8Kernels.Multiply(x.AsSpan(0, SmallBatch * Inputs), 5, weights, bias, accumulators.AsSpan(0, SmallBatch * Outputs), SmallBatch, path);
                        if (path != Int8KernelPath.Avx2SevenBit)
                        {
                            Int8Kernels.Multiply(xs, weights, bias, accumulators, Batch, path);
                            Int8Kernels.Multiply(xs.AsSpan(0, SmallBatch * Inputs), weights, bias, accumulators.AsSpan(0, SmallBatch * Outputs), SmallBatch, path);
                        }
                    }
                }

                Int8Kernels.Requantize(accumulators, 0.01f, weights.Scales, output, relu: true, y, Batch);
                Int8Kernels.Dequantize(accumulators, 0.01f, weights.Scales, default, relu: false, yFloat, Batch);
            }

            RunAll();
            Assert.Equal(0, SteadyAllocation.MedianBytes(() =>
            {
                RunAll();
            }));
        }

        internal static float[] Uniform(int length, int seed)
        {
            var random = new Random(seed);
            var values = new float[length];
            for (int i = 0; i < length; i++)
            {
                values[i] = (float)(random.NextDouble() * 2 - 1);
            }

            return values;
        }

        private static void CheckUnsigned(Int8KernelPath path, Fill fill, int maxActivation, int batch, int inputs, int outputs, int seed)
        {
            var random = new Random(seed);
            var x = new byte[batch * inputs];
            for (int k = 0; k < x.Length; k++)
            {
                x[k] = (byte)ActivationOf(fill, k, random, 0, maxActivation);
            }

            sbyte[] w = WeightsOf(fill, outputs * inputs, random);
            int zeroPoint = random.Next(0, maxActivation + 1);
            int[] bias = RandomBias(outputs, random);
            var weights = new QuantizedWeights(w, Ones(outputs), outputs, inputs);
            var y = new int[batch * outputs];
            y.AsSpan().Fill(int.MinValue);

            Int8Kernels.Multiply(x, zeroPoint, weights, bias, y, batch, path);

            for (int b = 0; b < batch; b++)
            {
                for (int o = 0; o < outputs; o++)
                {
                    long expected = bias[o];
                    for (int i = 0; i < inputs; i++)
                    {
                        expected += (long)(x[b * inputs + i] - zeroPoint) * w[o * inputs + i];
                    }

                    Assert.True(expected == y[b * outputs + o],
                        $"y[{b},{o}] for {path}, {fill}, batch {batch}, inputs {inputs}, outputs {outputs}, zero point {zeroPoint}: expected {expected}, got {y[b * outputs + o]}.");
                }
            }
        }

        private static void CheckSigned(Int8KernelPath path, Fill fill, int batch, int inputs, int outputs, int seed)
        {
            var random = new Random(seed);
            var x = new sbyte[batch * inputs];
            for (int k = 0; k < x.Length; k++)
            {
                x[k] = (sbyte)ActivationOf(fill, k, random, -128, 127);
            }

            sbyte[] w = WeightsOf(fill, outputs * inputs, random);
            int[] bias = RandomBias(outputs, random);
            var weights = new QuantizedWeights(w, Ones(outputs), outputs, inputs);
            var y = new int[batch * outputs];
            y.AsSpan().Fill(int.MinValue);

            Int8Kernels.Multiply(x, weights, bias, y, batch, path);

            for (int b = 0; b < batch; b++)
            {
                for (int o = 0; o < outputs; o++)
                {
                    long expected = bias[o];
                    for (int i = 0; i < inputs; i++)
                    {
                        expected += (long)x[b * inputs + i] * w[o * inputs + i];
                    }

                    Assert.True(expected == y[b * outputs + o],
                        $"y[{b},{o}] for {path}, {fill}, int8 activations, batch {batch}, inputs {inputs}, outputs {outputs}: expected {expected}, got {y[b * outputs + o]}.");
                }
            }
        }

        /// <summary>
        /// Returns an activation in [minimum, maximum]. AllMaximum and MaximumTimesMinimum use the
        /// largest magnitude (255, 127 or −128), whose pair products saturate a plain vpmaddubsw.
        /// </summary>
        private static int ActivationOf(Fill fill, int k, Random random, int minimum, int maximum) => fill switch
        {
            Fill.AllMaximum => maximum,
            Fill.MaximumTimesMinimum => minimum < 0 ? minimum : maximum,
            Fill.AlternatingExtremes => k % 2 == 0 ? maximum : minimum,
            _ => random.Next(minimum, maximum + 1),
        };

        private static sbyte[] WeightsOf(Fill fill, int length, Random random)
        {
            var w = new sbyte[length];
            for (int k = 0; k < length; k++)
            {
                w[k] = fill switch
                {
                    Fill.AllMaximum => 127,
                    Fill.MaximumTimesMinimum => -127,
                    Fill.AlternatingExtremes => (k / 2) % 2 == 0 ? (sbyte)127 : (sbyte)-127,
                    _ => (sbyte)random.Next(-127, 128),
                };
            }

            return w;
        }

        private static int[] RandomBias(int outputs, Random random)
        {
            var bias = new int[outputs];
            for (int o = 0; o < outputs; o++)
            {
                bias[o] = random.Next(-100_000, 100_000);
            }

            return bias;
        }

        private static float[] Ones(int length)
        {
            var ones = new float[length];
            ones.AsSpan().Fill(1f);
            return ones;
        }
    }
}
