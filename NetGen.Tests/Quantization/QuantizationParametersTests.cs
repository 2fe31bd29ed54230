using System;
using NetGen.Quantization;

namespace NetGen.Tests.Quantization
{
    public class QuantizationParametersTests
    {
        [Fact]
        public void Quantize_OnnxUInt8Example()
        {
            // The QuantizeLinear example of the ONNX operator documentation: scale 2, zero point 128.
            var parameters = new QuantizationParameters(2f, 128, QuantizedRange.UInt8);
            float[] x = { 0f, 2f, 3f, 1000f, -254f, -1000f };
            byte[] expected = { 128, 129, 130, 255, 1, 0 };

            AssertQuantizesTo(x, parameters, expected);
        }

        [Fact]
        public void Quantize_TiesRoundToEven()
        {
            var parameters = new QuantizationParameters(1f, 0, QuantizedRange.Int8);
            float[] x = { 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 0.49999997f, 126.5f };
            sbyte[] expected = { 0, 2, 2, 0, -2, -2, 0, 126 };

            AssertQuantizesTo(x, parameters, expected);
        }

        [Fact]
        public void Quantize_SaturatesAtBothEnds()
        {
            var unsigned = new QuantizationParameters(0.5f, 10, QuantizedRange.UInt8);
            AssertQuantizesTo(new[] { -6f, -5f, 122.5f, 123f, float.PositiveInfinity, float.NegativeInfinity }, unsigned, new byte[] { 0, 0, 255, 255, 255, 0 });

            var sevenBit = new QuantizationParameters(1f, 0, QuantizedRange.UInt7);
            AssertQuantizesTo(new[] { 127f, 128f, 300f, -1f }, sevenBit, new byte[] { 127, 127, 127, 0 });

            var signed = new QuantizationParameters(1f, 0, QuantizedRange.Int8);
            AssertQuantizesTo(new[] { 127.4f, 200f, -128f, -129f, -1e30f }, signed, new sbyte[] { 127, 127, -128, -128, -128 });

            var narrow = new QuantizationParameters(1f, 0, QuantizedRange.Int8Narrow);
            AssertQuantizesTo(new[] { -128f, -127f, 127f, 128f }, narrow, new sbyte[] { -127, -127, 127, 127 });
        }

        [Fact]
        public void Quantize_RandomValuesMatchReference()
        {
            var parameters = new QuantizationParameters(0.0173f, 77, QuantizedRange.UInt8);
            var random = new Random(5);
            for (int length = 0; length <= 2 * 32 + 1; length++)
            {
                var x = new float[length];
                for (int i = 0; i < length; i++)
                {
                    x[i] = (float)(random.NextDouble() * 6 - 3);
                }

                var actual = new byte[length];
                Quantizer.Quantize(x, parameters, actual);
                for (int i = 0; i < length; i++)
                {
                    Assert.Equal(ReferenceQuantize(x[i], parameters), actual[i]);
                }
            }
        }

        [Fact]
        public void Dequantize_OnnxUInt8Example()
        {
            // The DequantizeLinear example of the ONNX operator documentation.
            var parameters = new QuantizationParameters(2f, 128, QuantizedRange.UInt8);
            byte[] q = { 0, 3, 128, 255 };
            float[] expected = { -256f, -250f, 0f, 254f };

            var actual = new float[q.Length];
            Quantizer.Dequantize(q, parameters, actual);
            Assert.Equal(expected, actual);
        }

        [Fact]
        public void Dequantize_AllLengthsMatchReference()
        {
            var unsigned = new QuantizationParameters(0.37f, 200, QuantizedRange.UInt8);
            var signed = new QuantizationParameters(0.37f, 0, QuantizedRange.Int8);
            for (int length = 0; length <= 2 * 32 + 1; length++)
            {
                var bytes = new byte[length];
                var sbytes = new sbyte[length];
                for (int i = 0; i < length; i++)
                {
                    bytes[i] = (byte)(i * 37 + 11);
                    sbytes[i] = (sbyte)(i * 37 + 11);
                }

                var fromBytes = new float[length];
                var fromSbytes = new float[length];
                Quantizer.Dequantize(bytes, unsigned, fromBytes);
                Quantizer.Dequantize(sbytes, signed, fromSbytes);
                for (int i = 0; i < length; i++)
                {
                    Assert.Equal((float)((bytes[i] - 200) * (double)0.37f), fromBytes[i]);
                    Assert.Equal((float)(sbytes[i] * (double)0.37f), fromSbytes[i]);
                }
            }
        }

        [Fact]
        public void FromRange_AllZeroGivesScaleOne()
        {
            Assert.Equal(new QuantizationParameters(1f, 0, QuantizedRange.UInt8), QuantizationParameters.FromRange(0f, 0f, QuantizedRange.UInt8));
            Assert.Equal(new QuantizationParameters(1f, 0, QuantizedRange.Int8), QuantizationParameters.FromRange(0f, 0f, QuantizedRange.Int8));
        }

        [Fact]
        public void FromRange_ConstantTensorIncludesZero()
        {
            QuantizationParameters positive = QuantizationParameters.FromRange(5f, 5f, QuantizedRange.UInt8);
            Assert.Equal((float)(5.0 / 255), positive.Scale);
            Assert.Equal(0, positive.ZeroPoint);
            Assert.Equal(255, positive.Quantize(5f));

            QuantizationParameters negative = QuantizationParameters.FromRange(-5f, -5f, QuantizedRange.UInt8);
            Assert.Equal((float)(5.0 / 255), negative.Scale);
            Assert.Equal(255, negative.ZeroPoint);
            Assert.Equal(0, negative.Quantize(-5f));
        }

        [Fact]
        public void FromRange_RangeExcludingZeroIsExtended()
        {
            QuantizationParameters above = QuantizationParameters.FromRange(2f, 3f, QuantizedRange.UInt8);
            Assert.Equal((float)(3.0 / 255), above.Scale);
            Assert.Equal(0, above.ZeroPoint);

            QuantizationParameters symmetric = QuantizationParameters.FromRange(-3f, -2f, QuantizedRange.Int8);
            Assert.Equal((float)(3.0 / 127), symmetric.Scale);
            Assert.Equal(0, symmetric.ZeroPoint);
        }

        [Fact]
        public void FromRange_ZeroIsExactlyRepresentable()
        {
            // [−1, 1]: scale 2/255, rounded to fp32 as 0.0078431377 (slightly above 2/255), so
            // 1 / scale = 127.49999 and the zero point is 0 − round(−127.49999) = 127.
            QuantizationParameters parameters = QuantizationParameters.FromRange(-1f, 1f, QuantizedRange.UInt8);
            Assert.Equal((float)(2.0 / 255), parameters.Scale);
            Assert.True(1.0 / (float)(2.0 / 255) < 127.5);
            Assert.Equal(127, parameters.ZeroPoint);
            Assert.Equal(0f, parameters.Dequantize(parameters.Quantize(0f)));

            QuantizationParameters sevenBit = QuantizationParameters.FromRange(-0.3f, 2.9f, QuantizedRange.UInt7);
            Assert.Equal(0f, sevenBit.Dequantize(sevenBit.Quantize(0f)));
        }

        [Fact]
        public void FromRange_ExtremeRangesGiveFinitePositiveScale()
        {
            QuantizationParameters tiny = QuantizationParameters.FromRange(0f, 1e-44f, QuantizedRange.UInt8);
            Assert.Equal(QuantizationParameters.MinimumScale, tiny.Scale);

            QuantizationParameters huge = QuantizationParameters.FromRange(-float.MaxValue, float.MaxValue, QuantizedRange.UInt8);
            Assert.True(float.IsFinite(huge.Scale) && huge.Scale > 0f, $"scale {huge.Scale}");
        }

        [Fact]
        public void FromRange_NaNOrInfinityThrows()
        {
            Assert.Equal("minimum", Assert.Throws<ArgumentException>(() => QuantizationParameters.FromRange(float.NaN, 1f, QuantizedRange.UInt8)).ParamName);
            Assert.Equal("maximum", Assert.Throws<ArgumentException>(() => QuantizationParameters.FromRange(0f, float.PositiveInfinity, QuantizedRange.UInt8)).ParamName);
            Assert.Throws<ArgumentException>(() => QuantizationParameters.FromRange(2f, 1f, QuantizedRange.UInt8));
        }

        [Fact]
        public void Constructor_InvalidValuesThrow()
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => new QuantizationParameters(0f, 0, QuantizedRange.UInt8));
            Assert.Throws<ArgumentOutOfRangeException>(() => new QuantizationParameters(float.NaN, 0, QuantizedRange.UInt8));
            Assert.Throws<ArgumentOutOfRangeException>(() => new QuantizationParameters(float.PositiveInfinity, 0, QuantizedRange.UInt8));
            Assert.Throws<ArgumentOutOfRangeException>(() => new QuantizationParameters(1f, 256, QuantizedRange.UInt8));
            Assert.Throws<ArgumentOutOfRangeException>(() => new QuantizationParameters(1f, 128, QuantizedRange.UInt7));
            Assert.Throws<ArgumentOutOfRangeException>(() => new QuantizationParameters(1f, 3, QuantizedRange.Int8));
        }

        [Theory]
        [InlineData(3)]
        [InlineData(37)]
        [InlineData(64)]
        public void Quantize_NaNThrowsNamingIndex(int index)
        {
            var x = new float[70];
            x[index] = float.NaN;
            var destination = new byte[70];

            ArgumentException error = Assert.Throws<ArgumentException>(() => Quantizer.Quantize(x, new QuantizationParameters(1f, 0, QuantizedRange.UInt8), destination));
            Assert.Contains($"index {index}", error.Message, StringComparison.Ordinal);
            Assert.Throws<ArgumentException>(() => new QuantizationParameters(1f, 0, QuantizedRange.UInt8).Quantize(float.NaN));
        }

        [Fact]
        public void Quantize_WrongSignednessThrows()
        {
            var unsigned = new QuantizationParameters(1f, 0, QuantizedRange.UInt8);
            var signed = new QuantizationParameters(1f, 0, QuantizedRange.Int8);
            Assert.Throws<ArgumentException>(() => Quantizer.Quantize(new float[2], unsigned, new sbyte[2]));
            Assert.Throws<ArgumentException>(() => Quantizer.Quantize(new float[2], signed, new byte[2]));
            Assert.Throws<ArgumentException>(() => Quantizer.Quantize(new float[2], unsigned, new byte[3]));
        }

        [Fact]
        public void DynamicParameters_UseCallRange()
        {
            QuantizationParameters parameters = Quantizer.ComputeDynamicParameters(new[] { 0.5f, 4f, 1f }, QuantizedRange.UInt8);
            Assert.Equal(QuantizationParameters.FromRange(0f, 4f, QuantizedRange.UInt8), parameters);

            ArgumentException error = Assert.Throws<ArgumentException>(() => Quantizer.ComputeDynamicParameters(new[] { 1f, float.NaN }, QuantizedRange.UInt8));
            Assert.Contains("index 1", error.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void QuantizeAndDequantize_AllocateNothing()
        {
            float[] x = new float[100];
            byte[] q = new byte[100];
            var parameters = new QuantizationParameters(0.1f, 3, QuantizedRange.UInt8);

            void RunAll()
            {
                Quantizer.Quantize(x, parameters, q);
                Quantizer.Dequantize(q, parameters, x);
            }

            RunAll();
            Assert.Equal(0, SteadyAllocation.MedianBytes(() =>
            {
                RunAll();
            }));
        }

        /// <summary>ONNX QuantizeLinear computed separately: the fp32 quotient, rounded half to even in double, then saturated.</summary>
        internal static int ReferenceQuantize(float x, QuantizationParameters parameters)
        {
            double quotient = x / parameters.Scale;
            double rounded = Math.Round(quotient, MidpointRounding.ToEven) + parameters.ZeroPoint;
            return (int)Math.Max(parameters.QuantizedMinimum, Math.Min(parameters.QuantizedMaximum, rounded));
        }

        private static void AssertQuantizesTo(float[] x, QuantizationParameters parameters, byte[] expected)
        {
            // Repeated 20 times, so the vector loop sees every example and the scalar tail does too.
            float[] repeated = Repeat(x, 20);
            var actual = new byte[repeated.Length];
            Quantizer.Quantize(repeated, parameters, actual);
            for (int i = 0; i < repeated.Length; i++)
            {
                Assert.True(expected[i % x.Length] == actual[i], $"x = {repeated[i]} at index {i}: expected {expected[i % x.Length]}, got {actual[i]}.");
                Assert.Equal(expected[i % x.Length], parameters.Quantize(repeated[i]));
            }
        }

        private static void AssertQuantizesTo(float[] x, QuantizationParameters parameters, sbyte[] expected)
        {
            float[] repeated = Repeat(x, 20);
            var actual = new sbyte[repeated.Length];
            Quantizer.Quantize(repeated, parameters, actual);
            for (int i = 0; i < repeated.Length; i++)
            {
                Assert.True(expected[i % x.Length] == actual[i], $"x = {repeated[i]} at index {i}: expected {expected[i % x.Length]}, got {actual[i]}.");
                Assert.Equal(expected[i % x.Length], parameters.Quantize(repeated[i]));
            }
        }

        private static float[] Repeat(float[] values, int times)
        {
            var result = new float[values.Length * times];
            for (int i = 0; i < result.Length; i++)
            {
                result[i] = values[i % values.Length];
            }

            return result;
        }
    }
}
