using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using NetGen.Quantization;

namespace NetGen.Kernels
{
    /// <summary>An instruction sequence for the int8 dot products of <see cref="Int8Kernels"/>.</summary>
    public enum Int8KernelPath
    {
        /// <summary>The fastest exact path this machine supports, from <see cref="Int8Kernels.SelectPath"/>.</summary>
        Auto,

        /// <summary>Portable scalar code; runs everywhere.</summary>
        Scalar,

        /// <summary>AVX2: widen to int16 (<c>vpmovzxbw</c>/<c>vpmovsxbw</c>), then <c>vpmaddwd</c>. Exact for uint8 and int8 activations.</summary>
        Avx2Widened,

        /// <summary>
        /// AVX2: <c>vpmaddubsw</c> on |x| and sign(x)·w (<c>vpsignb</c>), then <c>vpmaddwd</c> by ones.
        /// Uint8 activations are shifted by −128 first and the shift is corrected with the weight row
        /// sums. Exact for uint8 and int8 activations, because weights are never −128.
        /// </summary>
        Avx2SignTransfer,

        /// <summary>
        /// AVX2: <c>vpmaddubsw</c> on x and w directly, then <c>vpmaddwd</c> by ones. Uint8
        /// activations only, each at most 127 (<see cref="QuantizedRange.UInt7"/>): the kernel
        /// rejects a larger one, because it could saturate the int16 pair sums.
        /// </summary>
        Avx2SevenBit,

        /// <summary>
        /// AVX-VNNI <c>vpdpbusd</c> on 256-bit vectors, with 6 × 16 tiles over packed weights from
        /// batch 4. Exact for uint8 and int8 activations.
        /// Only the net10.0 build has it, because the API is a preview feature in .NET 8.
        /// </summary>
        AvxVnni,

        /// <summary>Arm64 AdvSimd: widen to int16, then <c>smlal</c>/<c>smlal2</c>. Exact for uint8 and int8 activations.</summary>
        AdvSimdWidened,

        /// <summary>Arm64 dot-product extension <c>sdot</c>. Exact for uint8 and int8 activations.</summary>
        ArmDotProduct,
    }

    /// <summary>The instruction-set extensions that <see cref="Int8Kernels.SelectPath"/> chooses among.</summary>
    [Flags]
    public enum Int8CpuFeatures
    {
        /// <summary>No SIMD extension that the int8 kernels use.</summary>
        None = 0,

        /// <summary>x86 AVX2.</summary>
        Avx2 = 1,

        /// <summary>x86 AVX-VNNI (the VEX-encoded <c>vpdpbusd</c>).</summary>
        AvxVnni = 2,

        /// <summary>Arm64 AdvSimd (NEON).</summary>
        AdvSimd = 4,

        /// <summary>Arm64 dot-product instructions (<c>sdot</c>, <c>udot</c>).</summary>
        ArmDotProduct = 8,
    }

    /// <summary>
    /// Int8 matrix products for quantized dense layers: int32 accumulators
    /// <c>y[b,o] = bias[o] + Σ_i (x[b,i] − xZeroPoint)·w[o,i]</c>, and the requantization of those
    /// accumulators to the next layer's bytes or to floats.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Dimensions: B = <c>batch</c>, I = inputs, O = outputs of the <see cref="QuantizedWeights"/>.
    /// x is [B, I] row-major bytes, w is [O, I] row-major int8 in [−127, 127], bias and y are
    /// int32, [O] and [B, O]. Batch 1 is the matrix-vector case (GEMV) and larger batches the
    /// matrix-matrix case (GEMM); both go through the same tiled driver, except that AVX-VNNI
    /// runs batches of 4 and more through a register-blocked GEMM over packed weights.
    /// </para>
    /// <para>
    /// Every path computes the exact integer result: int32 addition wraps modulo 2³², and the
    /// entry point limits the inputs to <see cref="MaxInputs"/> so that Σ (x − z)·w itself fits in
    /// int32. Only a bias that pushes the sum past the int32 range wraps.
    /// </para>
    /// <para>
    /// The kernels allocate nothing and are safe to call from several threads on separate outputs.
    /// </para>
    /// </remarks>
    public static partial class Int8Kernels
    {
        /// <summary>
        /// The largest input count: 255 · 127 · 65536 = 2 122 383 360 ≤ 2³¹ − 1, so a dot product of
        /// (x − z) ∈ [−255, 255] by w ∈ [−127, 127] over this many inputs fits in int32.
        /// </summary>
        public const int MaxInputs = 65536;

        /// <summary>Whether this build and machine run the packed AVX-VNNI GEMM, so <see cref="QuantizedWeights"/> keeps packed panels.</summary>
        internal static bool HasVnniPackedPath => AvxVnniDotProduct<UnsignedActivations>.IsSupported;

        /// <summary>Returns the instruction-set extensions that this machine runs, as the int8 kernels see them.</summary>
        public static Int8CpuFeatures DetectFeatures()
        {
            Int8CpuFeatures features = Int8CpuFeatures.None;
            features |= Avx2.IsSupported ? Int8CpuFeatures.Avx2 : 0;
            features |= AvxVnniDotProduct<UnsignedActivations>.IsSupported ? Int8CpuFeatures.AvxVnni : 0;
            features |= AdvSimd.IsSupported ? Int8CpuFeatures.AdvSimd : 0;
            features |= Dp.IsSupported ? Int8CpuFeatures.ArmDotProduct : 0;
            return features;
        }

        /// <summary>
        /// Chooses the exact path that <see cref="Int8KernelPath.Auto"/> runs on a machine with
        /// <paramref name="features"/>: AVX-VNNI, else AVX2 sign transfer, else the Arm
        /// dot-product instructions, else AdvSimd widening, else scalar code. The same order serves
        /// uint8 and int8 activations. <see cref="Int8KernelPath.Avx2SevenBit"/> is never chosen,
        /// because it changes the activation range; request it explicitly.
        /// </summary>
        /// <remarks>
        /// On AVX2 without VNNI the sign-transfer path measured faster than widening for
        /// batch 1 and batch 128 on an AMD Zen 1 machine (docs/quantization.md has the numbers).
        /// </remarks>
        public static Int8KernelPath SelectPath(Int8CpuFeatures features)
        {
            if ((features & Int8CpuFeatures.AvxVnni) != 0)
            {
                return Int8KernelPath.AvxVnni;
            }

            if ((features & Int8CpuFeatures.Avx2) != 0)
            {
                return Int8KernelPath.Avx2SignTransfer;
            }

            if ((features & Int8CpuFeatures.ArmDotProduct) != 0)
            {
                return Int8KernelPath.ArmDotProduct;
            }

            return (features & Int8CpuFeatures.AdvSimd) != 0 ? Int8KernelPath.AdvSimdWidened : Int8KernelPath.Scalar;
        }

        /// <summary>Returns whether this machine can run <paramref name="path"/>.</summary>
        public static bool IsSupported(Int8KernelPath path) => path switch
        {
            Int8KernelPath.Auto or Int8KernelPath.Scalar => true,
            Int8KernelPath.Avx2Widened or Int8KernelPath.Avx2SignTransfer or Int8KernelPath.Avx2SevenBit => Avx2.IsSupported,
            Int8KernelPath.AvxVnni => AvxVnniDotProduct<UnsignedActivations>.IsSupported,
            Int8KernelPath.AdvSimdWidened => AdvSimd.IsSupported,
            Int8KernelPath.ArmDotProduct => Dp.IsSupported,
            _ => false,
        };

        /// <summary>
        /// Computes int32 accumulators for uint8 activations:
        /// <c>y[b,o] = bias[o] + Σ_i (x[b,i] − xZeroPoint)·w[o,i]</c>.
        /// </summary>
        /// <param name="x">Activations, [batch, inputs].</param>
        /// <param name="xZeroPoint">The activations' zero point, in [0, 255].</param>
        /// <param name="weights">Quantized weights, [outputs, inputs].</param>
        /// <param name="bias">Int32 biases, [outputs], or empty for none.</param>
        /// <param name="y">Accumulators, [batch, outputs]; overwritten.</param>
        /// <param name="batch">Number of samples B.</param>
        /// <param name="path">The instruction sequence; <see cref="Int8KernelPath.Auto"/> picks the fastest exact one.</param>
        /// <exception cref="ArgumentNullException"><paramref name="weights"/> is null.</exception>
        /// <exception cref="ArgumentOutOfRangeException">The batch is negative, the zero point is outside [0, 255], or the inputs exceed <see cref="MaxInputs"/>.</exception>
        /// <exception cref="ArgumentException">A span's length differs from its shape, or the path is <see cref="Int8KernelPath.Avx2SevenBit"/> and an activation exceeds 127.</exception>
        /// <exception cref="PlatformNotSupportedException">This machine cannot run <paramref name="path"/>.</exception>
        public static void Multiply(ReadOnlySpan<byte> x, int xZeroPoint, QuantizedWeights weights, ReadOnlySpan<int> bias, Span<int> y, int batch, Int8KernelPath path = Int8KernelPath.Auto)
        {
            if ((uint)xZeroPoint > 255)
            {
                throw new ArgumentOutOfRangeException(nameof(xZeroPoint), xZeroPoint,
                    $"'xZeroPoint' is {xZeroPoint}, but a uint8 zero point lies in [0, 255]. Pass the ZeroPoint of the input's QuantizationParameters.");
            }
            path = CheckArguments(x.Length, weights, bias, y, batch, path, nameof(x));
            if (path == Int8KernelPath.Avx2SevenBit)
            {
                RequireSevenBit(x);
            }

            Run<UnsignedActivations>(ref MemoryMarshal.GetReference(x), xZeroPoint, weights, bias, y, batch, path);
        }

        /// <summary>
        /// Computes int32 accumulators for int8 activations with zero point 0 (symmetric):
        /// <c>y[b,o] = bias[o] + Σ_i x[b,i]·w[o,i]</c>.
        /// </summary>
        /// <param name="x">Activations, [batch, inputs].</param>
        /// <param name="weights">Quantized weights, [outputs, inputs].</param>
        /// <param name="bias">Int32 biases, [outputs], or empty for none.</param>
        /// <param name="y">Accumulators, [batch, outputs]; overwritten.</param>
        /// <param name="batch">Number of samples B.</param>
        /// <param name="path">The instruction sequence; any but <see cref="Int8KernelPath.Avx2SevenBit"/>.</param>
        /// <exception cref="ArgumentNullException"><paramref name="weights"/> is null.</exception>
        /// <exception cref="ArgumentOutOfRangeException">The batch is negative or the inputs exceed <see cref="MaxInputs"/>.</exception>
        /// <exception cref="ArgumentException">A span's length differs from its shape, or the path is <see cref="Int8KernelPath.Avx2SevenBit"/>.</exception>
        /// <exception cref="PlatformNotSupportedException">This machine cannot run <paramref name="path"/>.</exception>
        public static void Multiply(ReadOnlySpan<sbyte> x, QuantizedWeights weights, ReadOnlySpan<int> bias, Span<int> y, int batch, Int8KernelPath path = Int8KernelPath.Auto)
        {
            path = CheckArguments(x.Length, weights, bias, y, batch, path, nameof(x));
            if (path == Int8KernelPath.Avx2SevenBit)
            {
                throw new ArgumentException(
                    "The path Avx2SevenBit multiplies unsigned activations only. Use Avx2SignTransfer or Avx2Widened for int8 activations.", nameof(path));
            }

            Run<SignedActivations>(ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(x)), 0, weights, bias, y, batch, path);
        }

        private static Int8KernelPath CheckArguments(int xLength, QuantizedWeights weights, ReadOnlySpan<int> bias, Span<int> y, int batch, Int8KernelPath path, string xName)
        {
            ArgumentNullException.ThrowIfNull(weights);
            KernelArguments.RequireSize(batch);
            int inputs = weights.Inputs, outputs = weights.Outputs;
            if (inputs > MaxInputs)
            {
                throw new ArgumentOutOfRangeException(nameof(weights), inputs,
                    $"The weights have {inputs} inputs, but int32 accumulators stay exact only up to {MaxInputs}. Split the layer's inputs into parts and add their accumulators in int64.");
            }

            KernelArguments.RequireLength(xLength, batch, inputs, xName, nameof(batch), "inputs");
            if (!bias.IsEmpty)
            {
                KernelArguments.RequireLength(bias.Length, outputs, nameof(bias), "outputs, or 0 for no bias");
            }

            KernelArguments.RequireLength(y.Length, batch, outputs, nameof(y), nameof(batch), "outputs");

            if (path == Int8KernelPath.Auto)
            {
                return SelectPath(DetectFeatures());
            }

            if (path < Int8KernelPath.Auto || path > Int8KernelPath.ArmDotProduct)
            {
                throw new ArgumentOutOfRangeException(nameof(path), path, "Unknown kernel path. Use one of the Int8KernelPath values.");
            }

            if (!IsSupported(path))
            {
                throw new PlatformNotSupportedException(
                    $"This machine cannot run the int8 kernel path {path}. Pass Int8KernelPath.Auto, or check Int8Kernels.IsSupported first.");
            }

            return path;
        }

        private static void RequireSevenBit(ReadOnlySpan<byte> x)
        {
            int index = x.IndexOfAnyInRange((byte)128, (byte)255);
            if (index >= 0)
            {
                throw new ArgumentException(
                    $"The activation at index {index} is {x[index]}, but the path Avx2SevenBit needs activations in [0, 127]. Quantize them with QuantizedRange.UInt7, or use an exact 8-bit path.",
                    nameof(x));
            }
        }

        private static void Run<TSign>(ref byte x, int xZeroPoint, QuantizedWeights weights, ReadOnlySpan<int> bias, Span<int> y, int batch, Int8KernelPath path)
            where TSign : IActivationSign
        {
            int inputs = weights.Inputs, outputs = weights.Outputs;
            ref sbyte w = ref MemoryMarshal.GetReference(weights.Values);
            ReadOnlySpan<int> rowSums = weights.RowSums;
            ref int yStart = ref MemoryMarshal.GetReference(y);

            // A path that adds Shift to every activation sums Σ (x + Shift)·w, so its row offset
            // subtracts (zero point + Shift) · Σ w.
            switch (path)
            {
                case Int8KernelPath.Avx2Widened when inputs >= Avx2Widened<TSign>.Step:
                    MultiplyCore<Avx2Widened<TSign>, Vector256<int>, Vector256<short>>(
                        ref x, ref w, new RowOffsets(bias, rowSums, xZeroPoint + Avx2Widened<TSign>.Shift), ref yStart, batch, inputs, outputs);
                    break;
                case Int8KernelPath.Avx2SignTransfer when inputs >= Avx2SignTransfer<TSign>.Step:
                    MultiplyCore<Avx2SignTransfer<TSign>, Vector256<int>, SignedMagnitudes>(
                        ref x, ref w, new RowOffsets(bias, rowSums, xZeroPoint + Avx2SignTransfer<TSign>.Shift), ref yStart, batch, inputs, outputs);
                    break;
                case Int8KernelPath.Avx2SevenBit when inputs >= Avx2SevenBit.Step:
                    MultiplyCore<Avx2SevenBit, Vector256<int>, Vector256<byte>>(
                        ref x, ref w, new RowOffsets(bias, rowSums, xZeroPoint + Avx2SevenBit.Shift), ref yStart, batch, inputs, outputs);
                    break;
#if NET9_0_OR_GREATER
                case Int8KernelPath.AvxVnni when batch >= VnniPackedMinBatch && weights.VnniPanels is { } panels:
                    MultiplyVnniPacked<TSign>(
                        ref x, ref MemoryMarshal.GetArrayDataReference(panels), new RowOffsets(bias, rowSums, xZeroPoint + AvxVnniDotProduct<TSign>.Shift), ref yStart, batch, inputs, outputs);
                    break;
#endif
                case Int8KernelPath.AvxVnni when inputs >= AvxVnniDotProduct<TSign>.Step:
                    MultiplyCore<AvxVnniDotProduct<TSign>, Vector256<int>, Vector256<byte>>(
                        ref x, ref w, new RowOffsets(bias, rowSums, xZeroPoint + AvxVnniDotProduct<TSign>.Shift), ref yStart, batch, inputs, outputs);
                    break;
                case Int8KernelPath.AdvSimdWidened when inputs >= AdvSimdWidened<TSign>.Step:
                    MultiplyCore<AdvSimdWidened<TSign>, Vector128<int>, WidenedHalves>(
                        ref x, ref w, new RowOffsets(bias, rowSums, xZeroPoint + AdvSimdWidened<TSign>.Shift), ref yStart, batch, inputs, outputs);
                    break;
                case Int8KernelPath.ArmDotProduct when inputs >= ArmDotProduct<TSign>.Step:
                    MultiplyCore<ArmDotProduct<TSign>, Vector128<int>, Vector128<sbyte>>(
                        ref x, ref w, new RowOffsets(bias, rowSums, xZeroPoint + ArmDotProduct<TSign>.Shift), ref yStart, batch, inputs, outputs);
                    break;
                default:
                    // Scalar code, and rows shorter than one vector step of the requested path.
                    MultiplyScalar(ref x, TSign.IsSigned, ref w, new RowOffsets(bias, rowSums, xZeroPoint), ref yStart, batch, inputs, outputs);
                    break;
            }
        }
    }
}
