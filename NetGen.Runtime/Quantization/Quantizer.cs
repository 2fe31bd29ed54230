using System;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetGen.Quantization
{
    /// <summary>
    /// QuantizeLinear and DequantizeLinear over spans, per tensor, with the rounding and
    /// saturation of <see cref="QuantizationParameters.Quantize"/>. The loops use 256-bit vectors
    /// on x86 with AVX2 and scalar code elsewhere; both give identical results, because each
    /// element is one fp32 division, one round-half-to-even and one clamp.
    /// </summary>
    public static class Quantizer
    {
        /// <summary>Quantizes <paramref name="values"/> to unsigned bytes.</summary>
        /// <param name="values">Real values; none may be NaN. Infinities saturate.</param>
        /// <param name="parameters">Parameters with range <see cref="QuantizedRange.UInt8"/> or <see cref="QuantizedRange.UInt7"/>.</param>
        /// <param name="destination">Quantized values, as long as <paramref name="values"/>; overwritten.</param>
        /// <exception cref="ArgumentException">A value is NaN (the message names its index), the lengths differ, or the range is signed.</exception>
        public static void Quantize(ReadOnlySpan<float> values, QuantizationParameters parameters, Span<byte> destination)
        {
            RequireUnsigned(parameters, nameof(parameters));
            RequireSameLength(values.Length, destination.Length, nameof(destination));
            ThrowIfFound(values, QuantizeCore(values, parameters, ref MemoryMarshal.GetReference(destination)));
        }

        /// <summary>Quantizes <paramref name="values"/> to signed bytes.</summary>
        /// <param name="values">Real values; none may be NaN. Infinities saturate.</param>
        /// <param name="parameters">Parameters with range <see cref="QuantizedRange.Int8"/> or <see cref="QuantizedRange.Int8Narrow"/>.</param>
        /// <param name="destination">Quantized values, as long as <paramref name="values"/>; overwritten.</param>
        /// <exception cref="ArgumentException">A value is NaN (the message names its index), the lengths differ, or the range is unsigned.</exception>
        public static void Quantize(ReadOnlySpan<float> values, QuantizationParameters parameters, Span<sbyte> destination)
        {
            RequireSigned(parameters, nameof(parameters));
            RequireSameLength(values.Length, destination.Length, nameof(destination));
            ThrowIfFound(values, QuantizeCore(values, parameters, ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(destination))));
        }

        /// <summary>Writes <c>destination[i] = (quantized[i] − ZeroPoint) · Scale</c>.</summary>
        /// <exception cref="ArgumentException">The lengths differ, or the range is signed.</exception>
        public static void Dequantize(ReadOnlySpan<byte> quantized, QuantizationParameters parameters, Span<float> destination)
        {
            RequireUnsigned(parameters, nameof(parameters));
            RequireSameLength(quantized.Length, destination.Length, nameof(destination));
            DequantizeCore(ref MemoryMarshal.GetReference(quantized), quantized.Length, signed: false, parameters, destination);
        }

        /// <summary>Writes <c>destination[i] = (quantized[i] − ZeroPoint) · Scale</c>.</summary>
        /// <exception cref="ArgumentException">The lengths differ, or the range is unsigned.</exception>
        public static void Dequantize(ReadOnlySpan<sbyte> quantized, QuantizationParameters parameters, Span<float> destination)
        {
            RequireSigned(parameters, nameof(parameters));
            RequireSameLength(quantized.Length, destination.Length, nameof(destination));
            DequantizeCore(ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(quantized)), quantized.Length, signed: true, parameters, destination);
        }

        /// <summary>Returns the smallest and largest of <paramref name="values"/>, or (0, 0) for an empty span.</summary>
        /// <exception cref="ArgumentException">A value is NaN or infinite; the message names its index.</exception>
        public static (float Minimum, float Maximum) FindRange(ReadOnlySpan<float> values)
        {
            ThrowIfFound(values, FindRangeCore(values, out float minimum, out float maximum));
            return (minimum, maximum);
        }

        /// <summary>
        /// Finds the smallest and largest of <paramref name="values"/>, (0, 0) for an empty span, and
        /// returns −1, or returns the index of the first NaN or infinite value.
        /// </summary>
        internal static int FindRangeCore(ReadOnlySpan<float> values, out float minimum, out float maximum)
        {
            minimum = 0f;
            maximum = 0f;
            if (values.IsEmpty)
            {
                return -1;
            }

            minimum = float.PositiveInfinity;
            maximum = float.NegativeInfinity;
            for (int i = 0; i < values.Length; i++)
            {
                float value = values[i];
                if (!float.IsFinite(value))
                {
                    return i;
                }

                minimum = Math.Min(minimum, value);
                maximum = Math.Max(maximum, value);
            }

            return -1;
        }

        /// <summary>
        /// Chooses parameters for dynamic quantization: from this call's minimum and maximum, with
        /// the rules of <see cref="QuantizationParameters.FromRange"/>.
        /// </summary>
        /// <exception cref="ArgumentException">A value is NaN or infinite; the message names its index.</exception>
        public static QuantizationParameters ComputeDynamicParameters(ReadOnlySpan<float> values, QuantizedRange range)
        {
            (float minimum, float maximum) = FindRange(values);
            return QuantizationParameters.FromRange(minimum, maximum, range);
        }

        /// <summary>Throws the error for a non-finite value at <paramref name="index"/> of the span <paramref name="name"/>.</summary>
        [DoesNotReturn]
        internal static void ThrowNotFinite(float value, long index, string name) =>
            throw new ArgumentException(
                $"The value at index {index} of '{name}' is {value.ToString(CultureInfo.InvariantCulture)}, but quantization needs finite values. Find where it comes from, for example a diverged layer, or clip the values first.",
                name);

        /// <summary>Throws the error for the value at <paramref name="index"/> of the span 'values' unless the index is −1.</summary>
        private static void ThrowIfFound(ReadOnlySpan<float> values, int index)
        {
            if (index >= 0)
            {
                ThrowNotFinite(values[index], index, nameof(values));
            }
        }

        /// <summary>
        /// Quantizes <paramref name="values"/> into <paramref name="destination"/> and returns −1, or
        /// stops at the first NaN and returns its index; the values before it are then written.
        /// </summary>
        internal static int QuantizeCore(ReadOnlySpan<float> values, QuantizationParameters parameters, ref byte destination)
        {
            ref float source = ref MemoryMarshal.GetReference(values);
            int length = values.Length;
            int i = 0;

            if (Avx2.IsSupported)
            {
                Vector256<float> scale = Vector256.Create(parameters.Scale);
                Vector256<float> zeroPoint = Vector256.Create((float)parameters.ZeroPoint);
                Vector256<float> lower = Vector256.Create((float)parameters.QuantizedMinimum);
                Vector256<float> upper = Vector256.Create((float)parameters.QuantizedMaximum);

                for (; i <= length - 32; i += 32)
                {
                    Vector256<float> v0 = Vector256.LoadUnsafe(ref source, (nuint)i);
                    Vector256<float> v1 = Vector256.LoadUnsafe(ref source, (nuint)i + 8);
                    Vector256<float> v2 = Vector256.LoadUnsafe(ref source, (nuint)i + 16);
                    Vector256<float> v3 = Vector256.LoadUnsafe(ref source, (nuint)i + 24);

                    // A NaN is the only value unequal to itself; the scalar loop below finds and reports it.
                    Vector256<float> nan = ~Vector256.Equals(v0, v0) | ~Vector256.Equals(v1, v1) | ~Vector256.Equals(v2, v2) | ~Vector256.Equals(v3, v3);
                    if (nan != Vector256<float>.Zero)
                    {
                        break;
                    }

                    Vector256<int> q0 = QuantizeVector(v0, scale, zeroPoint, lower, upper);
                    Vector256<int> q1 = QuantizeVector(v1, scale, zeroPoint, lower, upper);
                    Vector256<int> q2 = QuantizeVector(v2, scale, zeroPoint, lower, upper);
                    Vector256<int> q3 = QuantizeVector(v3, scale, zeroPoint, lower, upper);

                    // Every lane is already in [−128, 255], so truncating narrows keep it: a value
                    // of 255 becomes the byte 0xFF, which is −1 as a signed byte and 255 unsigned.
                    Vector256<short> low = Vector256.Narrow(q0, q1);
                    Vector256<short> high = Vector256.Narrow(q2, q3);
                    Vector256.Narrow(low, high).AsByte().StoreUnsafe(ref destination, (nuint)i);
                }
            }

            for (; i < length; i++)
            {
                float value = Unsafe.Add(ref source, i);
                if (float.IsNaN(value))
                {
                    return i;
                }

                Unsafe.Add(ref destination, i) = (byte)parameters.QuantizeUnchecked(value);
            }

            return -1;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<int> QuantizeVector(Vector256<float> value, Vector256<float> scale, Vector256<float> zeroPoint, Vector256<float> lower, Vector256<float> upper)
        {
            // vroundps with the nearest mode rounds half to even, as MathF.Round does by default.
            Vector256<float> rounded = Avx.RoundToNearestInteger(Avx.Divide(value, scale)) + zeroPoint;
            return Vector256.ConvertToInt32(Vector256.Min(Vector256.Max(rounded, lower), upper));
        }

        private static void DequantizeCore(ref byte source, int length, bool signed, QuantizationParameters parameters, Span<float> destination)
        {
            ref float target = ref MemoryMarshal.GetReference(destination);
            int i = 0;

            if (Avx2.IsSupported)
            {
                Vector256<int> zeroPoint = Vector256.Create(parameters.ZeroPoint);
                Vector256<float> scale = Vector256.Create(parameters.Scale);
                for (; i <= length - 8; i += 8)
                {
                    // An 8-byte load, widened to eight int32 lanes.
                    Vector128<byte> bytes = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref source, i))).AsByte();
                    Vector256<int> quantized = signed ? Avx2.ConvertToVector256Int32(bytes.AsSByte()) : Avx2.ConvertToVector256Int32(bytes);
                    (Vector256.ConvertToSingle(quantized - zeroPoint) * scale).StoreUnsafe(ref target, (nuint)i);
                }
            }

            for (; i < length; i++)
            {
                int quantized = signed ? (sbyte)Unsafe.Add(ref source, i) : Unsafe.Add(ref source, i);
                Unsafe.Add(ref target, i) = parameters.Dequantize(quantized);
            }
        }

        private static void RequireUnsigned(QuantizationParameters parameters, string name)
        {
            if (QuantizationParameters.IsSymmetric(parameters.Range))
            {
                throw new ArgumentException(
                    $"Byte values need an unsigned range (UInt8 or UInt7), but the parameters use {parameters.Range}. Pass an sbyte span for signed ranges.", name);
            }
        }

        private static void RequireSigned(QuantizationParameters parameters, string name)
        {
            if (!QuantizationParameters.IsSymmetric(parameters.Range))
            {
                throw new ArgumentException(
                    $"Sbyte values need a signed range (Int8 or Int8Narrow), but the parameters use {parameters.Range}. Pass a byte span for unsigned ranges.", name);
            }
        }

        private static void RequireSameLength(int expected, int actual, string name)
        {
            if (expected != actual)
            {
                throw new ArgumentException(
                    $"The span '{name}' must have exactly {expected} elements (the length of the input), but it has {actual}.", name);
            }
        }
    }
}
