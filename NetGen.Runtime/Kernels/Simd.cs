using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace NetGen.Kernels
{
    /// <summary>
    /// Vector operations that the dense drivers are written against, so that one generic driver
    /// serves 512-bit, 256-bit, 128-bit and scalar code. Every implementation is a struct, so the JIT
    /// compiles a separate copy of a driver for each one, with these members inlined.
    /// </summary>
    /// <typeparam name="TVector">The register type: a vector of floats, or <see cref="float"/>.</typeparam>
    internal interface ISimd<TVector>
        where TVector : struct
    {
        /// <summary>Whether this machine runs these operations in hardware.</summary>
        static abstract bool IsSupported { get; }

        /// <summary>Number of floats in one <typeparamref name="TVector"/>.</summary>
        static abstract int Count { get; }

        /// <summary>A vector with every lane zero.</summary>
        static abstract TVector Zero { get; }

        /// <summary>Loads <see cref="Count"/> floats starting at <paramref name="source"/>.</summary>
        static abstract TVector Load(ref float source);

        /// <summary>Stores <see cref="Count"/> floats starting at <paramref name="destination"/>.</summary>
        static abstract void Store(ref float destination, TVector value);

        /// <summary>Returns a vector with <paramref name="value"/> in every lane.</summary>
        static abstract TVector Broadcast(float value);

        /// <summary>Returns <c>left * right + addend</c>, rounded once where the hardware has FMA.</summary>
        static abstract TVector MultiplyAdd(TVector left, TVector right, TVector addend);

        /// <summary>Returns <c>left + right</c>.</summary>
        static abstract TVector Add(TVector left, TVector right);

        /// <summary>Returns <c>left − right</c>.</summary>
        static abstract TVector Subtract(TVector left, TVector right);

        /// <summary>Returns <c>left · right</c>, rounded once.</summary>
        static abstract TVector Multiply(TVector left, TVector right);

        /// <summary>Returns the bitwise AND of <paramref name="value"/> and <paramref name="mask"/>.</summary>
        static abstract TVector And(TVector value, TVector mask);

        /// <summary>Takes each lane from <paramref name="ifSet"/> where <paramref name="mask"/> is set, else from <paramref name="ifClear"/>.</summary>
        static abstract TVector Select(TVector mask, TVector ifSet, TVector ifClear);

        /// <summary>
        /// Returns a mask with the last <paramref name="laneCount"/> lanes set and the others clear.
        /// A row whose length is not a multiple of <see cref="Count"/> ends with a vector that
        /// overlaps the one before it, and this mask keeps only the lanes that vector adds.
        /// </summary>
        static abstract TVector UpperLanesMask(int laneCount);

        /// <summary>Returns a mask with the lanes set where <paramref name="value"/> is greater than zero; NaN lanes are clear.</summary>
        static abstract TVector PositiveMask(TVector value);

        /// <summary>Returns the sum of all lanes.</summary>
        static abstract float Sum(TVector value);

        /// <summary>
        /// Writes <c>destination[k] = bias[k] + (sum of the lanes of the k-th vector)</c> for the
        /// four vectors <paramref name="first"/> to <paramref name="fourth"/>.
        /// </summary>
        static abstract void StoreSumsPlusBias(TVector first, TVector second, TVector third, TVector fourth, ref float bias, ref float destination);
    }

    /// <summary>
    /// The widest vector, in bits, that kernels may pick: 512, 256, 128, or 0 for scalar code.
    /// </summary>
    /// <remarks>
    /// Tests lower it so that a machine with wide vectors also runs the narrower paths, which
    /// other machines take. Each <c>IsSupported</c> below reads it after the hardware checks, so
    /// on hardware without a width the JIT still removes that path. It is one process-wide value:
    /// code that lowers it must restore it and must not run beside kernels that expect the default.
    /// </remarks>
    internal static class SimdWidth
    {
        /// <summary>The default, which allows every width the hardware has.</summary>
        internal const int Unlimited = 512;

        // The field stores how far the width is lowered, so that its default of 0 means "unlimited"
        // and the class needs no static constructor. With one, code that the JIT compiled before
        // the class ran its constructor called IsSupported instead of inlining it.
        private static int s_lowering;

        internal static int MaximumBits
        {
            get => Unlimited - s_lowering;
            set => s_lowering = Unlimited - value;
        }
    }

    /// <summary>512-bit vectors with fused multiply-add (x86 AVX-512F).</summary>
    internal readonly struct Vector512Fma : ISimd<Vector512<float>>
    {
        public static bool IsSupported => Avx512F.IsSupported && Vector512.IsHardwareAccelerated && SimdWidth.MaximumBits >= 512;

        public static int Count => Vector512<float>.Count;

        public static Vector512<float> Zero => Vector512<float>.Zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load(ref float source) => Vector512.LoadUnsafe(ref source);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(ref float destination, Vector512<float> value) => value.StoreUnsafe(ref destination);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Broadcast(float value) => Vector512.Create(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> MultiplyAdd(Vector512<float> left, Vector512<float> right, Vector512<float> addend) =>
            Avx512F.FusedMultiplyAdd(left, right, addend);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Add(Vector512<float> left, Vector512<float> right) => left + right;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Subtract(Vector512<float> left, Vector512<float> right) => left - right;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Multiply(Vector512<float> left, Vector512<float> right) => left * right;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> And(Vector512<float> value, Vector512<float> mask) => value & mask;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Select(Vector512<float> mask, Vector512<float> ifSet, Vector512<float> ifClear) =>
            Vector512.ConditionalSelect(mask, ifSet, ifClear);

        public static Vector512<float> UpperLanesMask(int laneCount) =>
            Vector512.GreaterThanOrEqual(
                Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                Vector512.Create(Vector512<float>.Count - laneCount)).AsSingle();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> PositiveMask(Vector512<float> value) => Vector512.GreaterThan(value, Vector512<float>.Zero);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Sum(Vector512<float> value) => Vector512.Sum(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void StoreSumsPlusBias(Vector512<float> first, Vector512<float> second, Vector512<float> third, Vector512<float> fourth, ref float bias, ref float destination) =>
            // Adding the two 256-bit halves keeps every sum, and the 256-bit reduction does the rest.
            Vector256Fma.StoreSumsPlusBias(
                first.GetLower() + first.GetUpper(),
                second.GetLower() + second.GetUpper(),
                third.GetLower() + third.GetUpper(),
                fourth.GetLower() + fourth.GetUpper(),
                ref bias,
                ref destination);
    }

    /// <summary>256-bit vectors with fused multiply-add (x86 AVX2 and FMA).</summary>
    internal readonly struct Vector256Fma : ISimd<Vector256<float>>
    {
        public static bool IsSupported => Fma.IsSupported && Vector256.IsHardwareAccelerated && SimdWidth.MaximumBits >= 256;

        public static int Count => Vector256<float>.Count;

        public static Vector256<float> Zero => Vector256<float>.Zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Load(ref float source) => Vector256.LoadUnsafe(ref source);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(ref float destination, Vector256<float> value) => value.StoreUnsafe(ref destination);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Broadcast(float value) => Vector256.Create(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> MultiplyAdd(Vector256<float> left, Vector256<float> right, Vector256<float> addend) =>
            Fma.MultiplyAdd(left, right, addend);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Add(Vector256<float> left, Vector256<float> right) => left + right;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Subtract(Vector256<float> left, Vector256<float> right) => left - right;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Multiply(Vector256<float> left, Vector256<float> right) => left * right;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> And(Vector256<float> value, Vector256<float> mask) => value & mask;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Select(Vector256<float> mask, Vector256<float> ifSet, Vector256<float> ifClear) =>
            Vector256.ConditionalSelect(mask, ifSet, ifClear);

        public static Vector256<float> UpperLanesMask(int laneCount) =>
            Vector256.GreaterThanOrEqual(
                Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7),
                Vector256.Create(Vector256<float>.Count - laneCount)).AsSingle();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> PositiveMask(Vector256<float> value) => Vector256.GreaterThan(value, Vector256<float>.Zero);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Sum(Vector256<float> value) => Vector256.Sum(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void StoreSumsPlusBias(Vector256<float> first, Vector256<float> second, Vector256<float> third, Vector256<float> fourth, ref float bias, ref float destination)
        {
            // Pairwise adds transpose as they reduce. The last one contains the four sums of the
            // lower 128-bit halves in its lower half, and those of the upper halves in its upper half.
            Vector256<float> firstSecond = Avx.HorizontalAdd(first, second);
            Vector256<float> thirdFourth = Avx.HorizontalAdd(third, fourth);
            Vector256<float> halves = Avx.HorizontalAdd(firstSecond, thirdFourth);
            Vector128<float> sums = halves.GetLower() + halves.GetUpper();
            (Vector128.LoadUnsafe(ref bias) + sums).StoreUnsafe(ref destination);
        }
    }

    /// <summary>
    /// 128-bit vectors: fused multiply-add on x86 with FMA and on Arm64, a separate multiply and
    /// add elsewhere.
    /// </summary>
    internal readonly struct Vector128Simd : ISimd<Vector128<float>>
    {
        public static bool IsSupported => Vector128.IsHardwareAccelerated && SimdWidth.MaximumBits >= 128;

        public static int Count => Vector128<float>.Count;

        public static Vector128<float> Zero => Vector128<float>.Zero;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Load(ref float source) => Vector128.LoadUnsafe(ref source);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(ref float destination, Vector128<float> value) => value.StoreUnsafe(ref destination);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Broadcast(float value) => Vector128.Create(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> MultiplyAdd(Vector128<float> left, Vector128<float> right, Vector128<float> addend)
        {
            if (Fma.IsSupported)
            {
                return Fma.MultiplyAdd(left, right, addend);
            }

            if (AdvSimd.IsSupported)
            {
                return AdvSimd.FusedMultiplyAdd(addend, left, right);
            }

            return left * right + addend;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Add(Vector128<float> left, Vector128<float> right) => left + right;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Subtract(Vector128<float> left, Vector128<float> right) => left - right;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Multiply(Vector128<float> left, Vector128<float> right) => left * right;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> And(Vector128<float> value, Vector128<float> mask) => value & mask;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Select(Vector128<float> mask, Vector128<float> ifSet, Vector128<float> ifClear) =>
            Vector128.ConditionalSelect(mask, ifSet, ifClear);

        public static Vector128<float> UpperLanesMask(int laneCount) =>
            Vector128.GreaterThanOrEqual(
                Vector128.Create(0, 1, 2, 3),
                Vector128.Create(Vector128<float>.Count - laneCount)).AsSingle();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> PositiveMask(Vector128<float> value) => Vector128.GreaterThan(value, Vector128<float>.Zero);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Sum(Vector128<float> value) => Vector128.Sum(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void StoreSumsPlusBias(Vector128<float> first, Vector128<float> second, Vector128<float> third, Vector128<float> fourth, ref float bias, ref float destination)
        {
            Vector128<float> sums;
            if (Sse3.IsSupported)
            {
                sums = Sse3.HorizontalAdd(Sse3.HorizontalAdd(first, second), Sse3.HorizontalAdd(third, fourth));
            }
            else if (AdvSimd.Arm64.IsSupported)
            {
                sums = AdvSimd.Arm64.AddPairwise(AdvSimd.Arm64.AddPairwise(first, second), AdvSimd.Arm64.AddPairwise(third, fourth));
            }
            else
            {
                sums = Vector128.Create(Vector128.Sum(first), Vector128.Sum(second), Vector128.Sum(third), Vector128.Sum(fourth));
            }

            (Vector128.LoadUnsafe(ref bias) + sums).StoreUnsafe(ref destination);
        }
    }

    /// <summary>One float at a time, for machines without SIMD and for rows shorter than a 128-bit vector.</summary>
    internal readonly struct ScalarSimd : ISimd<float>
    {
        public static bool IsSupported => true;

        public static int Count => 1;

        public static float Zero => 0f;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Load(ref float source) => source;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(ref float destination, float value) => destination = value;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Broadcast(float value) => value;

        // A separate multiply and add: MathF.FusedMultiplyAdd is a slow software routine on
        // machines without FMA, and such machines are the ones that take this path.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float MultiplyAdd(float left, float right, float addend) => left * right + addend;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Add(float left, float right) => left + right;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Subtract(float left, float right) => left - right;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Multiply(float left, float right) => left * right;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float And(float value, float mask) =>
            BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(value) & BitConverter.SingleToInt32Bits(mask));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Select(float mask, float ifSet, float ifClear) =>
            BitConverter.SingleToInt32Bits(mask) != 0 ? ifSet : ifClear;

        public static float UpperLanesMask(int laneCount) =>
            laneCount > 0 ? BitConverter.Int32BitsToSingle(-1) : 0f;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float PositiveMask(float value) => value > 0 ? BitConverter.Int32BitsToSingle(-1) : 0f;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Sum(float value) => value;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void StoreSumsPlusBias(float first, float second, float third, float fourth, ref float bias, ref float destination)
        {
            destination = bias + first;
            Unsafe.Add(ref destination, 1) = Unsafe.Add(ref bias, 1) + second;
            Unsafe.Add(ref destination, 2) = Unsafe.Add(ref bias, 2) + third;
            Unsafe.Add(ref destination, 3) = Unsafe.Add(ref bias, 3) + fourth;
        }
    }
}
