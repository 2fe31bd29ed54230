using System;
using System.Globalization;
using NetGen.Kernels;

namespace NetGen.Quantization
{
    /// <summary>
    /// The weights of a dense layer quantized per output channel: symmetric int8 in [−127, 127]
    /// with zero point 0 and one scale per row, <c>w[o,i] ≈ Values[o,i] · Scales[o]</c>.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Layout: <see cref="Values"/> is [outputs, inputs] row-major, the torch.nn.Linear layout,
    /// with no padding or packing. Where the CPU has AVX-VNNI, the constructor also keeps a packed
    /// copy for the batch GEMM, which doubles the weights' memory. <see cref="RowSums"/>[o] = Σ_i Values[o,i] is stored for the
    /// zero-point correction of asymmetric activations:
    /// Σ_i (x_i − z)·w_i = Σ_i x_i·w_i − z·RowSums[o].
    /// </para>
    /// <para>
    /// The constructor checks that no value is −128, which the AVX2 <c>vpmaddubsw</c> kernel paths
    /// rely on to stay exact, so the kernels need not check the weights on every call. Instances
    /// are immutable.
    /// </para>
    /// </remarks>
    public sealed class QuantizedWeights
    {
        private readonly sbyte[] _values;
        private readonly float[] _scales;
        private readonly int[] _rowSums;
        private readonly sbyte[]? _vnniPanels;

        private const string ShapeAdvice = "Pass the layer's output and input counts, as torch.nn.Linear's out_features and in_features.";

        /// <summary>Creates weights from values that are already quantized.</summary>
        /// <param name="values">Quantized weights, [outputs, inputs], each in [−127, 127]; copied.</param>
        /// <param name="scales">Per-row scales, [outputs], each finite and positive; copied.</param>
        /// <param name="outputs">Number of rows O.</param>
        /// <param name="inputs">Number of columns I.</param>
        /// <exception cref="ArgumentOutOfRangeException">A size is negative.</exception>
        /// <exception cref="ArgumentException">A span's length differs from its shape, a value is −128, or a scale is not finite and positive.</exception>
        public QuantizedWeights(ReadOnlySpan<sbyte> values, ReadOnlySpan<float> scales, int outputs, int inputs)
        {
            ArgumentRules.RequireAtLeast(outputs, 0, ShapeAdvice);
            ArgumentRules.RequireAtLeast(inputs, 0, ShapeAdvice);
            if (values.Length != (long)outputs * inputs)
            {
                throw new ArgumentException(
                    $"The span 'values' must have exactly {(long)outputs * inputs} elements (outputs {outputs} × inputs {inputs}), but it has {values.Length}.", nameof(values));
            }

            if (scales.Length != outputs)
            {
                throw new ArgumentException(
                    $"The span 'scales' must have exactly {outputs} elements (outputs), but it has {scales.Length}.", nameof(scales));
            }

            for (int o = 0; o < outputs; o++)
            {
                if (!(scales[o] > 0f) || !float.IsFinite(scales[o]))
                {
                    throw new ArgumentException(
                        $"The scale of row {o} must be finite and positive, but it is {scales[o].ToString("R", CultureInfo.InvariantCulture)}.", nameof(scales));
                }
            }

            _values = values.ToArray();
            _scales = scales.ToArray();
            _rowSums = new int[outputs];
            Outputs = outputs;
            Inputs = inputs;

            for (int o = 0; o < outputs; o++)
            {
                int sum = 0;
                for (int i = 0; i < inputs; i++)
                {
                    sbyte value = _values[o * inputs + i];
                    if (value == sbyte.MinValue)
                    {
                        throw new ArgumentException(
                            $"The weight at row {o}, column {i} is −128, but weights must lie in [−127, 127] (symmetric int8). Quantize with QuantizedWeights.Quantize, which never produces −128.",
                            nameof(values));
                    }

                    sum += value;
                }

                _rowSums[o] = sum;
            }

            // Packed once here, so every batch forward reads the same panels; only machines that run the packed GEMM pay the memory.
            _vnniPanels = Int8Kernels.HasVnniPackedPath ? Int8Kernels.PackForVnni(_values, outputs, inputs) : null;
        }

        /// <summary>Number of rows O (output features).</summary>
        public int Outputs { get; }

        /// <summary>Number of columns I (input features).</summary>
        public int Inputs { get; }

        /// <summary>Quantized weights, [outputs, inputs] row-major.</summary>
        public ReadOnlySpan<sbyte> Values => _values;

        /// <summary>Per-row scales, [outputs].</summary>
        public ReadOnlySpan<float> Scales => _scales;

        /// <summary>Per-row sums of <see cref="Values"/>, [outputs].</summary>
        public ReadOnlySpan<int> RowSums => _rowSums;

        /// <summary>
        /// <see cref="Values"/> packed into panels of 16 outputs × 4 inputs for the AVX-VNNI GEMM
        /// (layout in Int8Kernels.Packed.cs), or null where that path does not run.
        /// </summary>
        internal sbyte[]? VnniPanels => _vnniPanels;

        /// <summary>
        /// Quantizes fp32 weights per output row: <c>scale[o] = max_i |w[o,i]| / 127</c> (1 for an
        /// all-zero row) and <c>q = clamp(roundHalfToEven(w / scale[o]), −127, 127)</c>.
        /// </summary>
        /// <param name="weights">Weights, [outputs, inputs] (torch.nn.Linear layout).</param>
        /// <param name="outputs">Number of rows O.</param>
        /// <param name="inputs">Number of columns I.</param>
        /// <exception cref="ArgumentException">A weight is NaN or infinite (the message names its row and column), or the length differs from the shape.</exception>
        public static QuantizedWeights Quantize(ReadOnlySpan<float> weights, int outputs, int inputs)
        {
            ArgumentRules.RequireAtLeast(outputs, 0, ShapeAdvice);
            ArgumentRules.RequireAtLeast(inputs, 0, ShapeAdvice);
            if (weights.Length != (long)outputs * inputs)
            {
                throw new ArgumentException(
                    $"The span 'weights' must have exactly {(long)outputs * inputs} elements (outputs {outputs} × inputs {inputs}), but it has {weights.Length}.", nameof(weights));
            }

            var values = new sbyte[weights.Length];
            var scales = new float[outputs];
            for (int o = 0; o < outputs; o++)
            {
                ReadOnlySpan<float> row = weights.Slice(o * inputs, inputs);
                float magnitude = 0f;
                for (int i = 0; i < inputs; i++)
                {
                    if (!float.IsFinite(row[i]))
                    {
                        throw new ArgumentException(
                            $"The weight at row {o}, column {i} is {row[i].ToString(CultureInfo.InvariantCulture)}, but quantization needs finite weights.", nameof(weights));
                    }

                    magnitude = Math.Max(magnitude, Math.Abs(row[i]));
                }

                var parameters = QuantizationParameters.FromRange(-magnitude, magnitude, QuantizedRange.Int8Narrow);
                scales[o] = parameters.Scale;
                for (int i = 0; i < inputs; i++)
                {
                    values[o * inputs + i] = (sbyte)parameters.QuantizeUnchecked(row[i]);
                }
            }

            return new QuantizedWeights(values, scales, outputs, inputs);
        }

        /// <summary>Writes the real weights <c>Values[o,i] · Scales[o]</c> into <paramref name="destination"/>, [outputs, inputs].</summary>
        /// <exception cref="ArgumentException">The length of <paramref name="destination"/> differs from outputs × inputs.</exception>
        public void Dequantize(Span<float> destination)
        {
            if (destination.Length != _values.Length)
            {
                throw new ArgumentException(
                    $"The span 'destination' must have exactly {_values.Length} elements (outputs {Outputs} × inputs {Inputs}), but it has {destination.Length}.", nameof(destination));
            }

            for (int o = 0; o < Outputs; o++)
            {
                for (int i = 0; i < Inputs; i++)
                {
                    destination[o * Inputs + i] = _values[o * Inputs + i] * _scales[o];
                }
            }
        }
    }
}
