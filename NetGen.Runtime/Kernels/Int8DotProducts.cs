using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace NetGen.Kernels
{
    /// <summary>Whether activations are signed bytes (int8) or unsigned bytes (uint8), as a type so the JIT folds the branch.</summary>
    internal interface IActivationSign
    {
        /// <summary>True for int8 activations, false for uint8.</summary>
        static abstract bool IsSigned { get; }
    }

    /// <summary>Activations are unsigned bytes in [0, 255].</summary>
    internal readonly struct UnsignedActivations : IActivationSign
    {
        public static bool IsSigned => false;
    }

    /// <summary>Activations are signed bytes in [−128, 127].</summary>
    internal readonly struct SignedActivations : IActivationSign
    {
        public static bool IsSigned => true;
    }

    /// <summary>
    /// One way to multiply a run of byte activations by int8 weights and add the products to
    /// int32 lanes. The drivers in <see cref="Int8Kernels"/> are written against this interface;
    /// every implementation is a struct, so the JIT compiles a separate driver for each.
    /// </summary>
    /// <remarks>
    /// An implementation may add a constant <see cref="Shift"/> to every activation before
    /// multiplying, so that its instruction sees the signedness it needs; it then sums
    /// Σ (x + Shift)·w, and the driver subtracts Shift · Σ w using the stored row sums.
    /// </remarks>
    /// <typeparam name="TAccumulator">The int32 accumulator register.</typeparam>
    /// <typeparam name="TActivations">One step of activations, prepared once and multiplied by several weight rows.</typeparam>
    internal interface IInt8DotProduct<TAccumulator, TActivations>
        where TAccumulator : struct
        where TActivations : struct
    {
        /// <summary>Whether this machine has the instructions.</summary>
        static abstract bool IsSupported { get; }

        /// <summary>Activations consumed per step.</summary>
        static abstract int Step { get; }

        /// <summary>The constant added to every activation before multiplying.</summary>
        static abstract int Shift { get; }

        /// <summary>An accumulator with every lane zero.</summary>
        static abstract TAccumulator Zero { get; }

        /// <summary>Loads and prepares <see cref="Step"/> activations starting at <paramref name="x"/>.</summary>
        static abstract TActivations Load(ref byte x);

        /// <summary>
        /// Loads <see cref="Step"/> activations starting at <paramref name="x"/> and keeps only the
        /// last <paramref name="count"/>: the others multiply to 0. A row's last step overlaps the
        /// one before it, and this drops the lanes that step already counted.
        /// </summary>
        static abstract TActivations LoadLast(ref byte x, int count);

        /// <summary>Returns <paramref name="accumulator"/> plus the products of <paramref name="x"/> and the <see cref="Step"/> weights at <paramref name="w"/>.</summary>
        static abstract TAccumulator MultiplyAdd(TAccumulator accumulator, TActivations x, ref sbyte w);

        /// <summary>Returns the sum of all lanes, wrapping modulo 2³² as int32 addition does.</summary>
        static abstract int Sum(TAccumulator accumulator);
    }

    /// <summary>Byte masks for <see cref="IInt8DotProduct{TAccumulator, TActivations}.LoadLast"/>.</summary>
    internal static class Int8TailMasks
    {
        /// <summary>
        /// 32 zero bytes, then 32 bytes of 0xFF. The <c>n</c> bytes at offset <c>32 − n + count</c>
        /// are a mask whose last <c>count</c> bytes are set.
        /// </summary>
        private static ReadOnlySpan<byte> Table =>
        [
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        ];

        /// <summary>Returns 16 bytes with the last <paramref name="count"/> set; 0 &lt; count ≤ 16.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<byte> Last128(int count) =>
            Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(Table), (nuint)(16 + count));

        /// <summary>Returns 32 bytes with the last <paramref name="count"/> set; 0 &lt; count ≤ 32.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> Last256(int count) =>
            Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(Table), (nuint)count);
    }

    /// <summary>
    /// AVX2, exact for any byte activations: widens 16 activations and 16 weights to int16
    /// (<c>vpmovzxbw</c> or <c>vpmovsxbw</c>) and multiplies pairs into int32 (<c>vpmaddwd</c>).
    /// A pair sum is at most 2 · 255 · 128, far inside int32.
    /// </summary>
    internal readonly struct Avx2Widened<TSign> : IInt8DotProduct<Vector256<int>, Vector256<short>>
        where TSign : IActivationSign
    {
        public static bool IsSupported => Avx2.IsSupported;

        public static int Step => 16;

        public static int Shift => 0;

        public static Vector256<int> Zero => Vector256<int>.Zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<short> Load(ref byte x)
        {
            Vector128<byte> bytes = Vector128.LoadUnsafe(ref x);
            return TSign.IsSigned ? Avx2.ConvertToVector256Int16(bytes.AsSByte()) : Avx2.ConvertToVector256Int16(bytes);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<short> LoadLast(ref byte x, int count) =>
            Load(ref x) & Avx2.ConvertToVector256Int16(Int8TailMasks.Last128(count).AsSByte());

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> MultiplyAdd(Vector256<int> accumulator, Vector256<short> x, ref sbyte w) =>
            accumulator + Avx2.MultiplyAddAdjacent(x, Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref w)));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Sum(Vector256<int> accumulator) => Vector256.Sum(accumulator);
    }

    /// <summary>The magnitudes and signs of 32 activations, for <see cref="Avx2SignTransfer{TSign}"/>.</summary>
    internal readonly struct SignedMagnitudes
    {
        public SignedMagnitudes(Vector256<byte> magnitudes, Vector256<sbyte> signs)
        {
            Magnitudes = magnitudes;
            Signs = signs;
        }

        /// <summary>|x| as unsigned bytes, at most 128.</summary>
        public Vector256<byte> Magnitudes { get; }

        /// <summary>x itself, whose sign <c>vpsignb</c> moves onto the weights.</summary>
        public Vector256<sbyte> Signs { get; }
    }

    /// <summary>
    /// AVX2, exact for any byte activations: <c>vpmaddubsw</c> on |x| and sign(x)·w, then
    /// <c>vpmaddwd</c> by ones into int32. Uint8 activations are first shifted by −128 into
    /// [−128, 127]. Then |x| ≤ 128 and |w| ≤ 127, so a pair sum is at most 2 · 128 · 127 = 32512
    /// and <c>vpmaddubsw</c> never saturates. This relies on weights never being −128, which
    /// <see cref="Quantization.QuantizedWeights"/> guarantees.
    /// </summary>
    internal readonly struct Avx2SignTransfer<TSign> : IInt8DotProduct<Vector256<int>, SignedMagnitudes>
        where TSign : IActivationSign
    {
        public static bool IsSupported => Avx2.IsSupported;

        public static int Step => 32;

        public static int Shift => TSign.IsSigned ? 0 : -128;

        public static Vector256<int> Zero => Vector256<int>.Zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static SignedMagnitudes Load(ref byte x)
        {
            Vector256<sbyte> values = Vector256.LoadUnsafe(ref x).AsSByte();
            if (!TSign.IsSigned)
            {
                // Flipping the top bit maps the byte u to the signed byte u − 128.
                values ^= Vector256.Create(sbyte.MinValue);
            }

            return new SignedMagnitudes(Avx2.Abs(values), values);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static SignedMagnitudes LoadLast(ref byte x, int count)
        {
            SignedMagnitudes values = Load(ref x);
            return new SignedMagnitudes(values.Magnitudes & Int8TailMasks.Last256(count), values.Signs);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> MultiplyAdd(Vector256<int> accumulator, SignedMagnitudes x, ref sbyte w)
        {
            Vector256<sbyte> signedWeights = Avx2.Sign(Vector256.LoadUnsafe(ref w), x.Signs);
            Vector256<short> pairs = Avx2.MultiplyAddAdjacent(x.Magnitudes, signedWeights);
            return accumulator + Avx2.MultiplyAddAdjacent(pairs, Vector256.Create((short)1));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Sum(Vector256<int> accumulator) => Vector256.Sum(accumulator);
    }

    /// <summary>
    /// AVX2 for uint8 activations in [0, 127] only: <c>vpmaddubsw</c> on x and w directly, then
    /// <c>vpmaddwd</c> by ones. A pair sum is at most 2 · 127 · 127 = 32258, so it never
    /// saturates; an activation above 127 could make it saturate, and the entry point rejects one.
    /// </summary>
    internal readonly struct Avx2SevenBit : IInt8DotProduct<Vector256<int>, Vector256<byte>>
    {
        public static bool IsSupported => Avx2.IsSupported;

        public static int Step => 32;

        public static int Shift => 0;

        public static Vector256<int> Zero => Vector256<int>.Zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> Load(ref byte x) => Vector256.LoadUnsafe(ref x);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> LoadLast(ref byte x, int count) => Load(ref x) & Int8TailMasks.Last256(count);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> MultiplyAdd(Vector256<int> accumulator, Vector256<byte> x, ref sbyte w)
        {
            Vector256<short> pairs = Avx2.MultiplyAddAdjacent(x, Vector256.LoadUnsafe(ref w));
            return accumulator + Avx2.MultiplyAddAdjacent(pairs, Vector256.Create((short)1));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Sum(Vector256<int> accumulator) => Vector256.Sum(accumulator);
    }

    /// <summary>
    /// AVX-VNNI: <c>vpdpbusd</c> multiplies unsigned by signed bytes and adds each group of four
    /// products to an int32 lane without intermediate saturation, so it is exact. Int8 activations
    /// are shifted by +128 into [0, 255] first.
    /// </summary>
    /// <remarks>Used where the CPU has AVX-VNNI, such as the Zen 5 development machine; the tests exercise it only where AvxVnni.IsSupported.</remarks>
    internal readonly struct AvxVnniDotProduct<TSign> : IInt8DotProduct<Vector256<int>, Vector256<byte>>
        where TSign : IActivationSign
    {
        // AvxVnni is a preview API in .NET 8, so the net8.0 build leaves this path out.
#if NET9_0_OR_GREATER
        public static bool IsSupported => AvxVnni.IsSupported;
#else
        public static bool IsSupported => false;
#endif

        public static int Step => 32;

        public static int Shift => TSign.IsSigned ? 128 : 0;

        public static Vector256<int> Zero => Vector256<int>.Zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> Load(ref byte x)
        {
            Vector256<byte> values = Vector256.LoadUnsafe(ref x);
            return TSign.IsSigned ? values ^ Vector256.Create((byte)0x80) : values;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> LoadLast(ref byte x, int count) => Load(ref x) & Int8TailMasks.Last256(count);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> MultiplyAdd(Vector256<int> accumulator, Vector256<byte> x, ref sbyte w) =>
#if NET9_0_OR_GREATER
            AvxVnni.MultiplyWideningAndAdd(accumulator, x, Vector256.LoadUnsafe(ref w));
#else
            throw new PlatformNotSupportedException("The net8.0 build of NetGen has no AVX-VNNI path.");
#endif

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Sum(Vector256<int> accumulator) => Vector256.Sum(accumulator);
    }

    /// <summary>Two halves of 16 activations widened to int16, for <see cref="AdvSimdWidened{TSign}"/>.</summary>
    internal readonly struct WidenedHalves
    {
        public WidenedHalves(Vector128<short> lower, Vector128<short> upper)
        {
            Lower = lower;
            Upper = upper;
        }

        public Vector128<short> Lower { get; }

        public Vector128<short> Upper { get; }
    }

    /// <summary>
    /// Arm64 AdvSimd, exact: widens activations and weights to int16 and multiplies into int32
    /// lanes with <c>smlal</c> and <c>smlal2</c>.
    /// </summary>
    /// <remarks>NOTE: never run on the development machine (x86); it compiles, and the tests exercise it only on Arm64.</remarks>
    internal readonly struct AdvSimdWidened<TSign> : IInt8DotProduct<Vector128<int>, WidenedHalves>
        where TSign : IActivationSign
    {
        public static bool IsSupported => AdvSimd.IsSupported;

        public static int Step => 16;

        public static int Shift => 0;

        public static Vector128<int> Zero => Vector128<int>.Zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static WidenedHalves Load(ref byte x)
        {
            Vector128<byte> bytes = Vector128.LoadUnsafe(ref x);
            return TSign.IsSigned
                ? new WidenedHalves(Vector128.WidenLower(bytes.AsSByte()), Vector128.WidenUpper(bytes.AsSByte()))
                : new WidenedHalves(Vector128.WidenLower(bytes).AsInt16(), Vector128.WidenUpper(bytes).AsInt16());
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static WidenedHalves LoadLast(ref byte x, int count)
        {
            WidenedHalves values = Load(ref x);
            Vector128<sbyte> mask = Int8TailMasks.Last128(count).AsSByte();
            return new WidenedHalves(values.Lower & Vector128.WidenLower(mask), values.Upper & Vector128.WidenUpper(mask));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<int> MultiplyAdd(Vector128<int> accumulator, WidenedHalves x, ref sbyte w)
        {
            Vector128<sbyte> weights = Vector128.LoadUnsafe(ref w);
            Vector128<short> lower = Vector128.WidenLower(weights);
            Vector128<short> upper = Vector128.WidenUpper(weights);
            accumulator = AdvSimd.MultiplyWideningLowerAndAdd(accumulator, x.Lower.GetLower(), lower.GetLower());
            accumulator = AdvSimd.MultiplyWideningUpperAndAdd(accumulator, x.Lower, lower);
            accumulator = AdvSimd.MultiplyWideningLowerAndAdd(accumulator, x.Upper.GetLower(), upper.GetLower());
            return AdvSimd.MultiplyWideningUpperAndAdd(accumulator, x.Upper, upper);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Sum(Vector128<int> accumulator) => Vector128.Sum(accumulator);
    }

    /// <summary>
    /// Arm64 with the dot-product extension: <c>sdot</c> adds each group of four int8 × int8
    /// products to an int32 lane, exactly. Uint8 activations are shifted by −128 into [−128, 127].
    /// </summary>
    /// <remarks>NOTE: never run on the development machine (x86); it compiles, and the tests exercise it only where Dp.IsSupported.</remarks>
    internal readonly struct ArmDotProduct<TSign> : IInt8DotProduct<Vector128<int>, Vector128<sbyte>>
        where TSign : IActivationSign
    {
        public static bool IsSupported => Dp.IsSupported;

        public static int Step => 16;

        public static int Shift => TSign.IsSigned ? 0 : -128;

        public static Vector128<int> Zero => Vector128<int>.Zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<sbyte> Load(ref byte x)
        {
            Vector128<sbyte> values = Vector128.LoadUnsafe(ref x).AsSByte();
            return TSign.IsSigned ? values : values ^ Vector128.Create(sbyte.MinValue);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<sbyte> LoadLast(ref byte x, int count) => Load(ref x) & Int8TailMasks.Last128(count).AsSByte();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<int> MultiplyAdd(Vector128<int> accumulator, Vector128<sbyte> x, ref sbyte w) =>
            Dp.DotProduct(accumulator, x, Vector128.LoadUnsafe(ref w));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Sum(Vector128<int> accumulator) => Vector128.Sum(accumulator);
    }
}
