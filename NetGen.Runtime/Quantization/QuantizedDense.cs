using System;
using System.Globalization;
using NetGen.Kernels;

namespace NetGen.Quantization
{
    /// <summary>
    /// A dense layer quantized for int8 inference: per-row int8 weights, an int32 bias in units of
    /// <c>inputScale · weightScale[o]</c>, and the quantization of its input.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Static quantization: the input parameters come from calibration (an observer), and
    /// <c>Bias[o] = roundHalfToEven(bias[o] / (inputScale · weightScale[o]))</c>, computed in
    /// double and clamped to the int32 range. The forward pass is then integer only up to the
    /// requantization. Dynamic quantization (<see cref="ForwardDynamic"/>) instead takes the
    /// input scale from each call's minimum and maximum and adds the fp32 bias after
    /// dequantizing.
    /// </para>
    /// <para>
    /// All forward methods take their scratch buffers from the caller and allocate nothing.
    /// </para>
    /// </remarks>
    public sealed class QuantizedDense
    {
        private readonly int[] _bias;
        private readonly float[] _floatBias;

        /// <summary>Creates a layer from quantized weights, an fp32 bias and the input's quantization.</summary>
        /// <param name="weights">The quantized weights, [outputs, inputs].</param>
        /// <param name="bias">Fp32 biases, [outputs]; each finite.</param>
        /// <param name="input">The quantization of the layer's input.</param>
        /// <exception cref="ArgumentNullException"><paramref name="weights"/> is null.</exception>
        /// <exception cref="ArgumentException">The bias length differs from the outputs, or a bias is NaN or infinite.</exception>
        public QuantizedDense(QuantizedWeights weights, ReadOnlySpan<float> bias, QuantizationParameters input)
        {
            ArgumentNullException.ThrowIfNull(weights);
            if (bias.Length != weights.Outputs)
            {
                throw new ArgumentException($"The span 'bias' must have exactly {weights.Outputs} elements (outputs), but it has {bias.Length}.", nameof(bias));
            }

            Weights = weights;
            Input = input;
            _floatBias = bias.ToArray();
            _bias = new int[weights.Outputs];
            for (int o = 0; o < weights.Outputs; o++)
            {
                if (!float.IsFinite(bias[o]))
                {
                    throw new ArgumentException($"The bias at index {o} is {bias[o].ToString(CultureInfo.InvariantCulture)}, but quantization needs finite values.", nameof(bias));
                }

                double units = bias[o] / ((double)input.Scale * weights.Scales[o]);
                _bias[o] = (int)Math.Clamp(Math.Round(units, MidpointRounding.ToEven), int.MinValue, int.MaxValue);
            }

            // 7-bit activations exist for the vpmaddubsw path; other machines run them exactly on their default path.
            Path = input.Range == QuantizedRange.UInt7 && Int8Kernels.IsSupported(Int8KernelPath.Avx2SevenBit)
                ? Int8KernelPath.Avx2SevenBit
                : Int8KernelPath.Auto;
        }

        /// <summary>
        /// Returns why a static forward pass of this layer could overflow its int32 sums, or null
        /// when it cannot. The reason names the first output whose bias, in units of the input scale
        /// times the weight scale, plus the largest sum of products its inputs can give exceeds
        /// 2³¹ − 1. The int32 bias then saturates or the sum wraps, and the output is silently wrong.
        /// </summary>
        internal string? DescribeAccumulatorOverflow(string layerName)
        {
            int inputs = Weights.Inputs;
            long largestInput = Math.Max(Input.ZeroPoint - Input.QuantizedMinimum, Input.QuantizedMaximum - Input.ZeroPoint);
            ReadOnlySpan<sbyte> values = Weights.Values;
            for (int o = 0; o < Weights.Outputs; o++)
            {
                long weightSum = 0;
                foreach (sbyte weight in values.Slice(o * inputs, inputs))
                {
                    weightSum += Math.Abs(weight);
                }

                double unit = (double)Input.Scale * Weights.Scales[o];
                double biasUnits = Math.Abs(Math.Round(_floatBias[o] / unit, MidpointRounding.ToEven));
                if (biasUnits + (largestInput * weightSum) > int.MaxValue)
                {
                    return string.Create(CultureInfo.InvariantCulture,
                        $"the int32 sums of the int8 layer '{layerName}' could overflow: output {o} has the bias {_floatBias[o]}, which is {biasUnits:G3} units of the input scale {Input.Scale} times the weight scale {Weights.Scales[o]}, next to products of at most {largestInput * weightSum} units. " +
                        $"The layer's input range [{Input.RepresentableMinimum}, {Input.RepresentableMaximum}] is too narrow for that bias");
                }
            }

            return null;
        }

        /// <summary>The quantized weights.</summary>
        public QuantizedWeights Weights { get; }

        /// <summary>The quantization of the layer's input.</summary>
        public QuantizationParameters Input { get; }

        /// <summary>The int32 bias, [outputs], in units of <c>Input.Scale · Weights.Scales[o]</c>.</summary>
        public ReadOnlySpan<int> Bias => _bias;

        /// <summary>The fp32 bias, [outputs], that <see cref="Bias"/> was computed from and that <see cref="ForwardDynamic"/> adds.</summary>
        public ReadOnlySpan<float> FloatBias => _floatBias;

        /// <summary>
        /// The kernel path: <see cref="Int8KernelPath.Avx2SevenBit"/> when the input range is
        /// <see cref="QuantizedRange.UInt7"/> and the machine has AVX2, else <see cref="Int8KernelPath.Auto"/>.
        /// </summary>
        public Int8KernelPath Path { get; }

        /// <summary>Quantizes fp32 weights per row (see <see cref="QuantizedWeights.Quantize"/>) and creates the layer.</summary>
        /// <param name="weights">Weights, [outputs, inputs] (torch.nn.Linear layout).</param>
        /// <param name="bias">Biases, [outputs].</param>
        /// <param name="outputs">Number of output features O.</param>
        /// <param name="inputs">Number of input features I.</param>
        /// <param name="input">The quantization of the layer's input.</param>
        /// <exception cref="ArgumentException">A length differs from its shape, or a value is NaN or infinite.</exception>
        public static QuantizedDense Quantize(ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, int outputs, int inputs, QuantizationParameters input) =>
            new(QuantizedWeights.Quantize(weights, outputs, inputs), bias, input);

        /// <summary>
        /// Computes the int32 accumulators <c>acc[b,o] = Bias[o] + Σ_i (x[b,i] − z)·w[o,i]</c>
        /// for uint8 input quantized with <see cref="Input"/>.
        /// </summary>
        /// <param name="x">Quantized inputs, [batch, inputs].</param>
        /// <param name="accumulators">Accumulators, [batch, outputs]; overwritten.</param>
        /// <param name="batch">Number of samples B.</param>
        /// <exception cref="ArgumentException">A span's length differs from its shape, or the input range is signed.</exception>
        public void Multiply(ReadOnlySpan<byte> x, Span<int> accumulators, int batch)
        {
            if (QuantizationParameters.IsSymmetric(Input.Range))
            {
                throw new ArgumentException($"The layer's input range is {Input.Range}, so its inputs are sbyte values; pass an sbyte span.", nameof(x));
            }

            Int8Kernels.Multiply(x, Input.ZeroPoint, Weights, _bias, accumulators, batch, Path);
        }

        /// <summary>Computes the int32 accumulators <c>acc[b,o] = Bias[o] + Σ_i x[b,i]·w[o,i]</c> for int8 input.</summary>
        /// <param name="x">Quantized inputs, [batch, inputs].</param>
        /// <param name="accumulators">Accumulators, [batch, outputs]; overwritten.</param>
        /// <param name="batch">Number of samples B.</param>
        /// <exception cref="ArgumentException">A span's length differs from its shape, or the input range is unsigned.</exception>
        public void Multiply(ReadOnlySpan<sbyte> x, Span<int> accumulators, int batch)
        {
            if (!QuantizationParameters.IsSymmetric(Input.Range))
            {
                throw new ArgumentException($"The layer's input range is {Input.Range}, so its inputs are byte values; pass a byte span.", nameof(x));
            }

            Int8Kernels.Multiply(x, Weights, _bias, accumulators, batch, Int8KernelPath.Auto);
        }

        /// <summary>
        /// Runs the layer from uint8 input to the next layer's uint8 input, with ReLU fused as a
        /// clamp at the output zero point when <paramref name="relu"/> is set.
        /// </summary>
        /// <param name="x">Quantized inputs, [batch, inputs].</param>
        /// <param name="accumulators">Scratch for the accumulators, [batch, outputs].</param>
        /// <param name="output">The output quantization, with an unsigned range.</param>
        /// <param name="relu">Whether to apply ReLU.</param>
        /// <param name="y">Quantized outputs, [batch, outputs]; overwritten.</param>
        /// <param name="batch">Number of samples B.</param>
        /// <exception cref="ArgumentException">A span's length differs from its shape, or a range does not fit the span type.</exception>
        public void Forward(ReadOnlySpan<byte> x, Span<int> accumulators, QuantizationParameters output, bool relu, Span<byte> y, int batch)
        {
            Multiply(x, accumulators, batch);
            Int8Kernels.Requantize(accumulators, Input.Scale, Weights.Scales, output, relu, y, batch);
        }

        /// <summary>Runs the layer from uint8 input to fp32 output: the last layer of a network, or a check against fp32.</summary>
        /// <param name="x">Quantized inputs, [batch, inputs].</param>
        /// <param name="accumulators">Scratch for the accumulators, [batch, outputs].</param>
        /// <param name="relu">Whether to apply ReLU.</param>
        /// <param name="y">Outputs, [batch, outputs]; overwritten.</param>
        /// <param name="batch">Number of samples B.</param>
        /// <exception cref="ArgumentException">A span's length differs from its shape, or the input range is signed.</exception>
        public void ForwardToFloat(ReadOnlySpan<byte> x, Span<int> accumulators, bool relu, Span<float> y, int batch)
        {
            Multiply(x, accumulators, batch);
            Int8Kernels.Dequantize(accumulators, Input.Scale, Weights.Scales, ReadOnlySpan<float>.Empty, relu, y, batch);
        }

        /// <summary>
        /// Runs the layer on fp32 input with dynamic quantization: quantizes <paramref name="x"/>
        /// to uint8 with parameters from this call's minimum and maximum (see
        /// <see cref="Quantizer.ComputeDynamicParameters"/>), multiplies in int8, then dequantizes
        /// and adds the fp32 bias. <see cref="Input"/> and <see cref="Bias"/> are not used.
        /// </summary>
        /// <param name="x">Inputs, [batch, inputs]; finite.</param>
        /// <param name="quantizedX">Scratch for the quantized inputs, [batch, inputs].</param>
        /// <param name="accumulators">Scratch for the accumulators, [batch, outputs].</param>
        /// <param name="relu">Whether to apply ReLU.</param>
        /// <param name="y">Outputs, [batch, outputs]; overwritten.</param>
        /// <param name="batch">Number of samples B.</param>
        /// <returns>The input quantization this call used.</returns>
        /// <exception cref="ArgumentException">A span's length differs from its shape, or an input is NaN or infinite (the message names its index).</exception>
        public QuantizationParameters ForwardDynamic(ReadOnlySpan<float> x, Span<byte> quantizedX, Span<int> accumulators, bool relu, Span<float> y, int batch)
        {
            QuantizationParameters input = Quantizer.ComputeDynamicParameters(x, QuantizedRange.UInt8);
            RunDynamic(x, input, quantizedX, accumulators, relu, y, batch);
            return input;
        }

        /// <summary>Runs the steps of <see cref="ForwardDynamic"/> after its choice of <paramref name="input"/>, for finite inputs.</summary>
        internal void RunDynamic(ReadOnlySpan<float> x, QuantizationParameters input, Span<byte> quantizedX, Span<int> accumulators, bool relu, Span<float> y, int batch)
        {
            Quantizer.Quantize(x, input, quantizedX);
            Int8Kernels.Multiply(quantizedX, input.ZeroPoint, Weights, ReadOnlySpan<int>.Empty, accumulators, batch, Int8KernelPath.Auto);
            Int8Kernels.Dequantize(accumulators, input.Scale, Weights.Scales, _floatBias, relu, y, batch);
        }
    }
}
