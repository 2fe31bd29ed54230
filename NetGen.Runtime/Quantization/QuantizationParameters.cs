using System;
using System.Globalization;

namespace NetGen.Quantization
{
    /// <summary>The integer type and range that quantized values take.</summary>
    public enum QuantizedRange
    {
        /// <summary>Unsigned 8-bit values in [0, 255], asymmetric: any zero point in that range.</summary>
        UInt8,

        /// <summary>
        /// Unsigned 7-bit values in [0, 127], stored as bytes and asymmetric. The AVX2 kernel path
        /// <c>Int8KernelPath.Avx2SevenBit</c> needs activations in this range, and pays one bit
        /// of precision for it: the quantization step is about twice that of <see cref="UInt8"/>.
        /// </summary>
        UInt7,

        /// <summary>Signed 8-bit values in [−128, 127], symmetric: zero point 0, as ONNX int8 saturates.</summary>
        Int8,

        /// <summary>Signed values in [−127, 127], symmetric: zero point 0. Weights use this range, so −128 never occurs.</summary>
        Int8Narrow,
    }

    /// <summary>
    /// The scale and zero point of an affine quantization, with the integer range it saturates to:
    /// <c>q = saturate(roundHalfToEven(x / Scale) + ZeroPoint)</c> and <c>x ≈ (q − ZeroPoint) · Scale</c>,
    /// as ONNX QuantizeLinear and DequantizeLinear define them.
    /// </summary>
    public readonly struct QuantizationParameters : IEquatable<QuantizationParameters>
    {
        /// <summary>
        /// The smallest scale that <see cref="FromRange"/> returns: the smallest normal float,
        /// 2⁻¹²⁶. A range narrower than 2⁻¹²⁶ · (levels − 1) gets this scale, so the scale is never
        /// zero or subnormal.
        /// </summary>
        public const float MinimumScale = 1.17549435E-38f;

        /// <summary>Creates parameters after checking them.</summary>
        /// <param name="scale">The real value of one quantization step; finite and positive.</param>
        /// <param name="zeroPoint">The integer that represents the real value 0; within <paramref name="range"/>, and 0 for a symmetric range.</param>
        /// <param name="range">The integer range that quantized values saturate to.</param>
        /// <exception cref="ArgumentOutOfRangeException">The scale is not finite and positive, or the zero point is outside the range or nonzero for a symmetric range.</exception>
        public QuantizationParameters(float scale, int zeroPoint, QuantizedRange range)
        {
            if (!(scale > 0f) || !float.IsFinite(scale))
            {
                throw new ArgumentOutOfRangeException(nameof(scale), scale,
                    $"The scale must be finite and positive, but it is {scale.ToString("R", CultureInfo.InvariantCulture)}. Compute it from a finite range with QuantizationParameters.FromRange.");
            }

            int minimum = MinimumOf(range), maximum = MaximumOf(range);
            if (zeroPoint < minimum || zeroPoint > maximum)
            {
                throw new ArgumentOutOfRangeException(nameof(zeroPoint), zeroPoint,
                    $"The zero point must lie in the quantized range [{minimum}, {maximum}] of {range}, but it is {zeroPoint}.");
            }

            if (IsSymmetric(range) && zeroPoint != 0)
            {
                throw new ArgumentOutOfRangeException(nameof(zeroPoint), zeroPoint,
                    $"The range {range} is symmetric, so the zero point must be 0, but it is {zeroPoint}. Use QuantizedRange.UInt8 for an asymmetric zero point.");
            }

            Scale = scale;
            ZeroPoint = zeroPoint;
            Range = range;
        }

        /// <summary>The real value of one quantization step.</summary>
        public float Scale { get; }

        /// <summary>The integer that represents the real value 0.</summary>
        public int ZeroPoint { get; }

        /// <summary>The integer range that quantized values saturate to.</summary>
        public QuantizedRange Range { get; }

        /// <summary>The smallest quantized value: 0, −128 or −127.</summary>
        public int QuantizedMinimum => MinimumOf(Range);

        /// <summary>The largest quantized value: 255, 127 or 127.</summary>
        public int QuantizedMaximum => MaximumOf(Range);

        /// <summary>The smallest real value that quantizes without saturating: <c>(QuantizedMinimum − ZeroPoint) · Scale</c>.</summary>
        public float RepresentableMinimum => (QuantizedMinimum - ZeroPoint) * Scale;

        /// <summary>The largest real value that quantizes without saturating: <c>(QuantizedMaximum − ZeroPoint) · Scale</c>.</summary>
        public float RepresentableMaximum => (QuantizedMaximum - ZeroPoint) * Scale;

        /// <summary>
        /// Chooses parameters that cover the real range [<paramref name="minimum"/>, <paramref name="maximum"/>].
        /// </summary>
        /// <remarks>
        /// <para>
        /// The range is first extended to include 0, so that 0 (ReLU outputs, padding) is exactly
        /// representable: [min(minimum, 0), max(maximum, 0)]. A range [2, 3] becomes [0, 3], and a
        /// constant tensor of 5 gives [0, 5].
        /// </para>
        /// <para>
        /// Asymmetric ranges (<see cref="QuantizedRange.UInt8"/>, <see cref="QuantizedRange.UInt7"/>):
        /// <c>scale = (max − min) / (qmax − qmin)</c> and <c>zeroPoint = qmin − roundHalfToEven(min / scale)</c>,
        /// clamped to [qmin, qmax]. Symmetric ranges (<see cref="QuantizedRange.Int8"/>,
        /// <see cref="QuantizedRange.Int8Narrow"/>): <c>scale = max(|min|, |max|) / 127</c> and zero point 0,
        /// so ±max map to ±127 in both.
        /// </para>
        /// <para>
        /// When the extended range is [0, 0] (an all-zero tensor) the scale is 1 and the zero point
        /// is qmin (asymmetric) or 0 (symmetric): every value then quantizes to the zero point. A
        /// scale below <see cref="MinimumScale"/> is raised to it. The division is done in double,
        /// so a range as wide as ±<see cref="float.MaxValue"/> still gives a finite scale.
        /// </para>
        /// </remarks>
        /// <exception cref="ArgumentException"><paramref name="minimum"/> or <paramref name="maximum"/> is NaN or infinite, or <paramref name="minimum"/> exceeds <paramref name="maximum"/>.</exception>
        public static QuantizationParameters FromRange(float minimum, float maximum, QuantizedRange range)
        {
            if (!float.IsFinite(minimum) || !float.IsFinite(maximum))
            {
                throw new ArgumentException(
                    $"The range [{Format(minimum)}, {Format(maximum)}] must be finite. Remove NaN and infinite values before observing the range.",
                    float.IsFinite(minimum) ? nameof(maximum) : nameof(minimum));
            }

            if (minimum > maximum)
            {
                throw new ArgumentException(
                    $"The range minimum {Format(minimum)} exceeds its maximum {Format(maximum)}. Pass the smaller value first.", nameof(minimum));
            }

            double low = Math.Min(minimum, 0.0);
            double high = Math.Max(maximum, 0.0);
            int qmin = MinimumOf(range), qmax = MaximumOf(range);

            if (IsSymmetric(range))
            {
                double magnitude = Math.Max(-low, high);
                return new QuantizationParameters(magnitude == 0 ? 1f : ClampScale(magnitude / 127.0), 0, range);
            }

            if (high == low)
            {
                return new QuantizationParameters(1f, qmin, range);
            }

            float scale = ClampScale((high - low) / (qmax - qmin));
            double zeroPoint = qmin - Math.Round(low / scale, MidpointRounding.ToEven);
            return new QuantizationParameters(scale, (int)Math.Clamp(zeroPoint, qmin, qmax), range);
        }

        /// <summary>Quantizes one value: <c>saturate(roundHalfToEven(value / Scale) + ZeroPoint)</c>, computed in fp32 as ONNX does.</summary>
        /// <exception cref="ArgumentException"><paramref name="value"/> is NaN.</exception>
        public int Quantize(float value)
        {
            if (float.IsNaN(value))
            {
                throw new ArgumentException("Cannot quantize NaN: it has no integer representation. Find where the NaN comes from, for example a diverged layer.", nameof(value));
            }

            return QuantizeUnchecked(value);
        }

        /// <summary>Returns the real value of <paramref name="quantized"/>: <c>(quantized − ZeroPoint) · Scale</c>.</summary>
        public float Dequantize(int quantized) => (quantized - ZeroPoint) * Scale;

        /// <inheritdoc/>
        public bool Equals(QuantizationParameters other) =>
            Scale.Equals(other.Scale) && ZeroPoint == other.ZeroPoint && Range == other.Range;

        /// <inheritdoc/>
        public override bool Equals(object? obj) => obj is QuantizationParameters other && Equals(other);

        /// <inheritdoc/>
        public override int GetHashCode() => HashCode.Combine(Scale, ZeroPoint, Range);

        /// <inheritdoc/>
        public override string ToString() =>
            $"scale {Scale.ToString("R", CultureInfo.InvariantCulture)}, zero point {ZeroPoint}, {Range} [{QuantizedMinimum}, {QuantizedMaximum}]";

        /// <summary>Compares two parameter sets for equality.</summary>
        public static bool operator ==(QuantizationParameters left, QuantizationParameters right) => left.Equals(right);

        /// <summary>Compares two parameter sets for inequality.</summary>
        public static bool operator !=(QuantizationParameters left, QuantizationParameters right) => !left.Equals(right);

        /// <summary>Returns the smallest value of <paramref name="range"/>.</summary>
        public static int MinimumOf(QuantizedRange range) => range switch
        {
            QuantizedRange.UInt8 or QuantizedRange.UInt7 => 0,
            QuantizedRange.Int8 => -128,
            QuantizedRange.Int8Narrow => -127,
            _ => throw UnknownRange(range),
        };

        /// <summary>Returns the largest value of <paramref name="range"/>.</summary>
        public static int MaximumOf(QuantizedRange range) => range switch
        {
            QuantizedRange.UInt8 => 255,
            QuantizedRange.UInt7 or QuantizedRange.Int8 or QuantizedRange.Int8Narrow => 127,
            _ => throw UnknownRange(range),
        };

        /// <summary>Returns whether <paramref name="range"/> is signed with a zero point fixed at 0.</summary>
        public static bool IsSymmetric(QuantizedRange range) => range is QuantizedRange.Int8 or QuantizedRange.Int8Narrow;

        /// <summary>Quantizes a value that is known not to be NaN. Infinities saturate.</summary>
        internal int QuantizeUnchecked(float value)
        {
            float rounded = MathF.Round(value / Scale, MidpointRounding.ToEven) + ZeroPoint;
            return (int)Math.Clamp(rounded, QuantizedMinimum, QuantizedMaximum);
        }

        private static float ClampScale(double scale) => (float)Math.Max(scale, MinimumScale);

        private static string Format(float value) => value.ToString("R", CultureInfo.InvariantCulture);

        private static ArgumentOutOfRangeException UnknownRange(QuantizedRange range) =>
            new(nameof(range), range, $"Unknown quantized range {(int)range}. Use one of the QuantizedRange values.");
    }
}
