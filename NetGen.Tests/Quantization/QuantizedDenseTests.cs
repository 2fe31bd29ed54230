using System;
using NetGen.Kernels;
using NetGen.Quantization;

namespace NetGen.Tests.Quantization
{
    public class QuantizedDenseTests
    {
        private const int Batch = 3, Inputs = 70, Outputs = 11;

        [Fact]
        public void ForwardToFloat_MatchesIntegerReference()
        {
            float[] w = Int8KernelsTests.Uniform(Outputs * Inputs, 1);
            float[] bias = Int8KernelsTests.Uniform(Outputs, 2);
            float[] x = Int8KernelsTests.Uniform(Batch * Inputs, 3);
            QuantizationParameters input = QuantizationParameters.FromRange(-1f, 1f, QuantizedRange.UInt8);
            QuantizedDense layer = QuantizedDense.Quantize(w, bias, Outputs, Inputs, input);
            var xq = new byte[x.Length];
            Quantizer.Quantize(x, input, xq);
            var accumulators = new int[Batch * Outputs];
            var y = new float[Batch * Outputs];

            layer.ForwardToFloat(xq, accumulators, relu: false, y, Batch);

            for (int b = 0; b < Batch; b++)
            {
                for (int o = 0; o < Outputs; o++)
                {
                    double unit = (double)input.Scale * layer.Weights.Scales[o];
                    long sum = (long)Math.Round(bias[o] / unit, MidpointRounding.ToEven);
                    for (int i = 0; i < Inputs; i++)
                    {
                        sum += (long)(xq[b * Inputs + i] - input.ZeroPoint) * layer.Weights.Values[o * Inputs + i];
                    }

                    Assert.Equal(sum, accumulators[b * Outputs + o]);
                    double expected = sum * unit;
                    Assert.True(Math.Abs(expected - y[b * Outputs + o]) <= 1e-6 * Math.Max(1, Math.Abs(expected)), $"y[{b},{o}]: expected {expected}, got {y[b * Outputs + o]}.");
                }
            }
        }

        [Fact]
        public void StaticAndDynamic_StayWithinQuantizationErrorBound()
        {
            float[] w = Int8KernelsTests.Uniform(Outputs * Inputs, 4);
            float[] bias = Int8KernelsTests.Uniform(Outputs, 5);
            float[] x = Int8KernelsTests.Uniform(Batch * Inputs, 6);
            QuantizationParameters input = Quantizer.ComputeDynamicParameters(x, QuantizedRange.UInt8);
            QuantizedDense layer = QuantizedDense.Quantize(w, bias, Outputs, Inputs, input);
            var xq = new byte[x.Length];
            Quantizer.Quantize(x, input, xq);
            var accumulators = new int[Batch * Outputs];
            var yStatic = new float[Batch * Outputs];
            var yDynamic = new float[Batch * Outputs];

            layer.ForwardToFloat(xq, accumulators, relu: true, yStatic, Batch);
            QuantizationParameters used = layer.ForwardDynamic(x, new byte[x.Length], accumulators, relu: true, yDynamic, Batch);
            Assert.Equal(input, used);

            for (int b = 0; b < Batch; b++)
            {
                for (int o = 0; o < Outputs; o++)
                {
                    // |x·w − x̂·ŵ| ≤ Σ (|x|·Δw + |w|·Δx + Δx·Δw) with Δx = sx/2 and Δw = sw/2, plus half a bias unit.
                    double exact = bias[o], bound = (double)input.Scale * layer.Weights.Scales[o] / 2;
                    for (int i = 0; i < Inputs; i++)
                    {
                        double xi = x[b * Inputs + i], wi = w[o * Inputs + i];
                        exact += xi * wi;
                        bound += Math.Abs(xi) * layer.Weights.Scales[o] / 2 + Math.Abs(wi) * input.Scale / 2 + (double)input.Scale * layer.Weights.Scales[o] / 4;
                    }

                    exact = Math.Max(exact, 0);
                    Assert.True(Math.Abs(exact - yStatic[b * Outputs + o]) <= bound, $"static y[{b},{o}]: {yStatic[b * Outputs + o]} vs fp32 {exact}, bound {bound}.");
                    Assert.True(Math.Abs(exact - yDynamic[b * Outputs + o]) <= bound, $"dynamic y[{b},{o}]: {yDynamic[b * Outputs + o]} vs fp32 {exact}, bound {bound}.");
                }
            }
        }

        [Fact]
        public void Forward_RequantizesWithFusedRelu()
        {
            float[] w = Int8KernelsTests.Uniform(Outputs * Inputs, 7);
            float[] bias = Int8KernelsTests.Uniform(Outputs, 8);
            QuantizationParameters input = QuantizationParameters.FromRange(-1f, 1f, QuantizedRange.UInt8);
            QuantizationParameters output = QuantizationParameters.FromRange(-4f, 4f, QuantizedRange.UInt8);
            QuantizedDense layer = QuantizedDense.Quantize(w, bias, Outputs, Inputs, input);
            var xq = new byte[Batch * Inputs];
            new Random(9).NextBytes(xq);
            var accumulators = new int[Batch * Outputs];
            var y = new byte[Batch * Outputs];

            layer.Forward(xq, accumulators, output, relu: true, y, Batch);

            for (int k = 0; k < y.Length; k++)
            {
                double real = accumulators[k] * (double)input.Scale * layer.Weights.Scales[k % Outputs];
                int expected = (int)Math.Clamp(Math.Round(real / output.Scale, MidpointRounding.ToEven) + output.ZeroPoint, output.ZeroPoint, 255);
                Assert.Equal(expected, y[k]);
            }
        }

        [Fact]
        public void SevenBitInput_SelectsSevenBitPath()
        {
            QuantizationParameters input = QuantizationParameters.FromRange(0f, 1f, QuantizedRange.UInt7);
            QuantizedDense layer = QuantizedDense.Quantize(new float[4], new float[2], 2, 2, input);
            Int8KernelPath expected = Int8Kernels.IsSupported(Int8KernelPath.Avx2SevenBit) ? Int8KernelPath.Avx2SevenBit : Int8KernelPath.Auto;
            Assert.Equal(expected, layer.Path);
        }
    }
}
