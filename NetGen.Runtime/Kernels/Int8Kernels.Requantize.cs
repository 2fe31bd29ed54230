using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using NetGen.Quantization;

namespace NetGen.Kernels
{
    // Requantization turns the int32 accumulators of Multiply, which are in units of
    // inputScale · weightScale[o], into the next layer's input: bytes in that layer's
    // quantization, or floats.
    public static partial class Int8Kernels
    {
        /// <summary>
        /// Requantizes accumulators to unsigned bytes:
        /// <c>y[b,o] = clamp(roundHalfToEven(acc[b,o] · m[o]) + z, lower, qmax)</c> with
        /// <c>m[o] = weightScales[o] · (inputScale / output.Scale)</c>, both products in double.
        /// </summary>
        /// <remarks>
        /// <c>lower</c> is qmin, or with <paramref name="relu"/> the zero point z: ReLU is a clamp at
        /// the quantized zero, so it costs nothing extra. The double product has a relative error
        /// below 2⁻⁵², so <c>y</c> differs from the exact real-number requantization only where the
        /// exact value lies within that error of a rounding tie.
        /// </remarks>
        /// <param name="accumulators">Int32 accumulators from <see cref="Multiply(ReadOnlySpan{byte}, int, QuantizedWeights, ReadOnlySpan{int}, Span{int}, int, Int8KernelPath)"/>, [batch, outputs].</param>
        /// <param name="inputScale">The scale of the layer's input activations.</param>
        /// <param name="weightScales">The per-row weight scales, [outputs].</param>
        /// <param name="output">The output quantization, with an unsigned range.</param>
        /// <param name="relu">Whether to apply ReLU.</param>
        /// <param name="y">Quantized outputs, [batch, outputs]; overwritten.</param>
        /// <param name="batch">Number of samples B.</param>
        /// <exception cref="ArgumentException">A span's length differs from its shape, the output range is signed, or the input scale is not finite and positive.</exception>
        public static void Requantize(ReadOnlySpan<int> accumulators, float inputScale, ReadOnlySpan<float> weightScales, QuantizationParameters output, bool relu, Span<byte> y, int batch)
        {
            if (QuantizationParameters.IsSymmetric(output.Range))
            {
                throw new ArgumentException($"Byte outputs need an unsigned range (UInt8 or UInt7), but the output parameters use {output.Range}.", nameof(output));
            }

            CheckRequantizeArguments(accumulators.Length, inputScale, weightScales, y.Length, batch);
            int outputs = weightScales.Length;
            double ratio = (double)inputScale / output.Scale;
            int lower = relu ? Math.Max(output.QuantizedMinimum, output.ZeroPoint) : output.QuantizedMinimum;
            for (int b = 0; b < batch; b++)
            {
                RequantizeRow(accumulators.Slice(b * outputs, outputs), weightScales, ratio, output.ZeroPoint, lower, output.QuantizedMaximum, y.Slice(b * outputs, outputs));
            }
        }

        /// <summary>
        /// Requantizes accumulators to signed bytes with zero point 0, by the rule of
        /// <see cref="Requantize(ReadOnlySpan{int}, float, ReadOnlySpan{float}, QuantizationParameters, bool, Span{byte}, int)"/>.
        /// </summary>
        /// <param name="accumulators">Int32 accumulators, [batch, outputs].</param>
        /// <param name="inputScale">The scale of the layer's input activations.</param>
        /// <param name="weightScales">The per-row weight scales, [outputs].</param>
        /// <param name="output">The output quantization, with a signed range.</param>
        /// <param name="relu">Whether to apply ReLU, a clamp at 0.</param>
        /// <param name="y">Quantized outputs, [batch, outputs]; overwritten.</param>
        /// <param name="batch">Number of samples B.</param>
        /// <exception cref="ArgumentException">A span's length differs from its shape, the output range is unsigned, or the input scale is not finite and positive.</exception>
        public static void Requantize(ReadOnlySpan<int> accumulators, float inputScale, ReadOnlySpan<float> weightScales, QuantizationParameters output, bool relu, Span<sbyte> y, int batch)
        {
            if (!QuantizationParameters.IsSymmetric(output.Range))
            {
                throw new ArgumentException($"Sbyte outputs need a signed range (Int8 or Int8Narrow), but the output parameters use {output.Range}.", nameof(output));
            }

            CheckRequantizeArguments(accumulators.Length, inputScale, weightScales, y.Length, batch);
            int outputs = weightScales.Length;
            double ratio = (double)inputScale / output.Scale;
            int lower = relu ? 0 : output.QuantizedMinimum;
            for (int b = 0; b < batch; b++)
            {
                // Every result lies in [−128, 127], so its low byte read as unsigned is the sbyte's bit pattern.
                RequantizeRow(accumulators.Slice(b * outputs, outputs), weightScales, ratio, 0, lower, output.QuantizedMaximum,
                    MemoryMarshal.AsBytes(y.Slice(b * outputs, outputs)));
            }
        }

        /// <summary>
        /// Converts accumulators to floats: <c>y[b,o] = act((float)acc[b,o] · (inputScale · weightScales[o]) + bias[o])</c>,
        /// in fp32, where act is ReLU or the identity.
        /// </summary>
        /// <remarks>
        /// The conversion of an accumulator to float is exact up to 2²⁴ in magnitude and rounds to
        /// nearest beyond. Pass the bias here in fp32 when the accumulators carry none (dynamic
        /// quantization), or an empty span when <see cref="Multiply(ReadOnlySpan{byte}, int, QuantizedWeights, ReadOnlySpan{int}, Span{int}, int, Int8KernelPath)"/> added an int32 bias.
        /// </remarks>
        /// <param name="accumulators">Int32 accumulators, [batch, outputs].</param>
        /// <param name="inputScale">The scale of the layer's input activations.</param>
        /// <param name="weightScales">The per-row weight scales, [outputs].</param>
        /// <param name="bias">Float biases, [outputs], or empty for none.</param>
        /// <param name="relu">Whether to apply ReLU.</param>
        /// <param name="y">Float outputs, [batch, outputs]; overwritten.</param>
        /// <param name="batch">Number of samples B.</param>
        /// <exception cref="ArgumentException">A span's length differs from its shape, or the input scale is not finite and positive.</exception>
        public static void Dequantize(ReadOnlySpan<int> accumulators, float inputScale, ReadOnlySpan<float> weightScales, ReadOnlySpan<float> bias, bool relu, Span<float> y, int batch)
        {
            CheckRequantizeArguments(accumulators.Length, inputScale, weightScales, y.Length, batch);
            int outputs = weightScales.Length;
            if (!bias.IsEmpty)
            {
                KernelArguments.RequireLength(bias.Length, outputs, nameof(bias), "outputs, or 0 for no bias");
            }

            for (int b = 0; b < batch; b++)
            {
                for (int o = 0; o < outputs; o++)
                {
                    int index = b * outputs + o;
                    float value = accumulators[index] * (inputScale * weightScales[o]) + (bias.IsEmpty ? 0f : bias[o]);
                    y[index] = relu ? Math.Max(value, 0f) : value;
                }
            }
        }

        /// <summary>
        /// Writes the low byte of <c>clamp(roundHalfToEven(acc[o] · (weightScales[o] · ratio)) + zeroPoint, lower, upper)</c>
        /// for one sample. Eight outputs per step with AVX, in the same double operations and order as
        /// <see cref="RequantizeOne"/>, so both give identical bytes.
        /// </summary>
        private static void RequantizeRow(ReadOnlySpan<int> accumulators, ReadOnlySpan<float> weightScales, double ratio, int zeroPoint, int lower, int upper, Span<byte> y)
        {
            int o = 0;
            if (Avx.IsSupported)
            {
                ref int acc = ref MemoryMarshal.GetReference(accumulators);
                ref float scales = ref MemoryMarshal.GetReference(weightScales);
                ref byte yStart = ref MemoryMarshal.GetReference(y);
                Vector256<double> ratios = Vector256.Create(ratio);
                Vector256<double> zeroPoints = Vector256.Create((double)zeroPoint);
                Vector256<double> lowers = Vector256.Create((double)lower);
                Vector256<double> uppers = Vector256.Create((double)upper);
                for (; o <= y.Length - 8; o += 8)
                {
                    Vector128<int> lowerHalf = RequantizeFour(Vector128.LoadUnsafe(ref acc, (nuint)o), Vector128.LoadUnsafe(ref scales, (nuint)o), ratios, zeroPoints, lowers, uppers);
                    Vector128<int> upperHalf = RequantizeFour(Vector128.LoadUnsafe(ref acc, (nuint)o + 4), Vector128.LoadUnsafe(ref scales, (nuint)o + 4), ratios, zeroPoints, lowers, uppers);

                    // The values lie in [lower, upper] ⊆ [−128, 255], so narrowing by truncation keeps each low byte.
                    Vector128<ushort> shorts = Vector128.Narrow(lowerHalf, upperHalf).AsUInt16();
                    Vector128<byte> bytes = Vector128.Narrow(shorts, shorts);
                    Unsafe.WriteUnaligned(ref Unsafe.Add(ref yStart, o), bytes.AsUInt64().ToScalar());
                }
            }

            for (; o < y.Length; o++)
            {
                y[o] = (byte)RequantizeOne(accumulators[o], weightScales[o] * ratio, zeroPoint, lower, upper);
            }
        }

        /// <summary>Requantizes four accumulators by the rule of <see cref="RequantizeOne"/>, in double.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector128<int> RequantizeFour(
            Vector128<int> accumulators, Vector128<float> weightScales, Vector256<double> ratios, Vector256<double> zeroPoints, Vector256<double> lowers, Vector256<double> uppers)
        {
            Vector256<double> multipliers = Avx.ConvertToVector256Double(weightScales) * ratios;
            Vector256<double> rounded = Avx.RoundToNearestInteger(Avx.ConvertToVector256Double(accumulators) * multipliers) + zeroPoints;

            // The products are finite, so plain vmaxpd/vminpd clamp as Math.Max and Math.Min do.
            return Avx.ConvertToVector128Int32WithTruncation(Avx.Min(Avx.Max(rounded, lowers), uppers));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static int RequantizeOne(int accumulator, double multiplier, int zeroPoint, int lower, int upper)
        {
            // Math.Round without a mode rounds half to even and compiles to one roundsd on x86.
            double rounded = Math.Round(accumulator * multiplier) + zeroPoint;
            return (int)Math.Min(Math.Max(rounded, lower), upper);
        }

        private static void CheckRequantizeArguments(int accumulatorsLength, float inputScale, ReadOnlySpan<float> weightScales, int yLength, int batch)
        {
            KernelArguments.RequireSize(batch);
            if (!(inputScale > 0f) || !float.IsFinite(inputScale))
            {
                throw new ArgumentOutOfRangeException(nameof(inputScale), inputScale, "The input scale must be finite and positive.");
            }

            int outputs = weightScales.Length;
            KernelArguments.RequireLength(accumulatorsLength, batch, outputs, "accumulators", nameof(batch), "outputs (the length of 'weightScales')");
            KernelArguments.RequireLength(yLength, batch, outputs, "y", nameof(batch), "outputs (the length of 'weightScales')");
        }
    }
}
