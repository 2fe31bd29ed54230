using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NetGen
{
    /// <summary>
    /// Flushes optimizer state that decays toward 0 (momentum buffers and running averages) to 0
    /// once it falls below the smallest normal float, 2⁻¹²⁶ ≈ 1.18e-38 in magnitude.
    /// </summary>
    /// <remarks>
    /// <para>
    /// A parameter whose gradient stays 0, such as a weight of a ReLU unit that never fires, has
    /// its state multiplied by a decay factor below 1 every step until the state is subnormal.
    /// There it sticks: 0.9 times a few units of 2⁻¹⁴⁹ rounds back to the same value. Every later
    /// step then computes with subnormal numbers, which Intel cores handle in microcode. In one
    /// harness, SGD with momentum 0.9 ran 101,770 parameters, 30 % of them with a zero gradient after
    /// the first step. It took 26–31 µs per step at first and 486–543 µs once those buffers were
    /// subnormal (median of 100 steps, Intel Xeon, Emerald Rapids). AdaDelta went from 184 to
    /// 585–620 µs. PyTorch keeps the subnormal values.
    /// </para>
    /// <para>
    /// State that a parameter's update uses directly (a momentum buffer, Adam's first moment) is
    /// always flushed. For a momentum buffer each step then differs from PyTorch's formula by less
    /// than lr·2⁻¹²⁶, all steps together by less than lr·2⁻¹²⁶/(1 − μ), which changes only
    /// parameters below about lr·2⁻¹⁰²/(1 − μ) in magnitude; AdamMoments gives Adam's bound.
    /// State that enters the update next to ε, as √v + ε or √(v + ε), is flushed only while ε
    /// absorbs it whole, so the step that flushes it is unchanged; see
    /// <see cref="FloorBesideSquareRoot"/> and <see cref="FloorInsideSquareRoot"/>. A later step
    /// can differ in the last bit when a gradient of about 1e-19 to 1e-17 returns and its square
    /// meets the flushed value in the average. With a smaller ε the state keeps its subnormal
    /// value as in PyTorch, because a flushed v would change the denominator.
    /// </para>
    /// </remarks>
    internal static class DecayingState
    {
        /// <summary>The smallest normal float, 2⁻¹²⁶: flushed state of smaller magnitude is stored as 0.</summary>
        internal const float SmallestNormal = 1.17549435e-38f;

        /// <summary>The smallest ε, 2⁻³⁹, that absorbs √v of any subnormal v: 2²⁴ times √(2⁻¹²⁶).</summary>
        private const float SquareRootAbsorbingEpsilon = 1.8189894e-12f;

        /// <summary>The smallest ε, 2⁻¹⁰², that absorbs any subnormal v in v + ε: 2²⁴ times 2⁻¹²⁶.</summary>
        private const float SumAbsorbingEpsilon = 1.9721523e-31f;

        /// <summary>
        /// Returns the floor for state v that enters the update as √v + <paramref name="epsilon"/>:
        /// <see cref="SmallestNormal"/> when ε is at least 2⁻³⁹, so that √v stays below half a
        /// rounding step of ε, or 0 (no flush) otherwise.
        /// </summary>
        internal static float FloorBesideSquareRoot(float epsilon) => epsilon >= SquareRootAbsorbingEpsilon ? SmallestNormal : 0f;

        /// <summary>
        /// Returns the floor for state v that enters the update as √(v + <paramref name="epsilon"/>):
        /// <see cref="SmallestNormal"/> when ε is at least 2⁻¹⁰², so that v + ε rounds to ε, or 0 (no flush) otherwise.
        /// </summary>
        internal static float FloorInsideSquareRoot(float epsilon) => epsilon >= SumAbsorbingEpsilon ? SmallestNormal : 0f;

        /// <summary>Returns 0 of the same sign in the lanes of <paramref name="state"/> below <paramref name="floor"/> in magnitude; NaN stays NaN.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal static Vector256<float> Flush(Vector256<float> state, Vector256<float> floor) =>
            Vector256.ConditionalSelect(Vector256.LessThan(Vector256.Abs(state), floor), state & Vector256.Create(-0f), state);

        /// <summary>Returns 0 of the same sign for <paramref name="state"/> below <paramref name="floor"/> in magnitude; NaN stays NaN.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal static float Flush(float state, float floor) => MathF.Abs(state) < floor ? MathF.CopySign(0f, state) : state;

        /// <summary>
        /// Sets v = flush(decay·v + (weight·x)·x) over <paramref name="average"/> in one pass, with
        /// the roundings of the TensorPrimitives passes Multiply(v, decay), Multiply(x, weight) and
        /// MultiplyAdd((weight·x), x, v·decay), which do not fuse a multiply with an add. On 101,770
        /// parameters an RMSprop step took 83–89 µs with those passes and no flush, and 92–102 µs
        /// with a flush pass added. With this pass it took 86–98 µs. AdaDelta, which has two such
        /// averages, took 184 µs before and 143–178 µs with it.
        /// </summary>
        internal static void AverageSquares(Span<float> average, ReadOnlySpan<float> x, float decay, float weight, float floor)
        {
            ref float v = ref MemoryMarshal.GetReference(average);
            ref float values = ref MemoryMarshal.GetReference(x);
            int i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                Vector256<float> decays = Vector256.Create(decay), weights = Vector256.Create(weight), floors = Vector256.Create(floor);
                for (; i <= average.Length - Vector256<float>.Count; i += Vector256<float>.Count)
                {
                    Vector256<float> value = Vector256.LoadUnsafe(ref values, (nuint)i);
                    Vector256<float> decayed = Vector256.LoadUnsafe(ref v, (nuint)i) * decays;
                    Flush(((value * weights) * value) + decayed, floors).StoreUnsafe(ref v, (nuint)i);
                }
            }

            for (; i < average.Length; i++)
            {
                float value = Unsafe.Add(ref values, i);
                Unsafe.Add(ref v, i) = Flush(((value * weight) * value) + (Unsafe.Add(ref v, i) * decay), floor);
            }
        }

        /// <summary>Sets every value of <paramref name="state"/> below <paramref name="floor"/> in magnitude to 0 of the same sign; a floor of 0 changes nothing.</summary>
        internal static void Flush(Span<float> state, float floor)
        {
            if (floor == 0f)
            {
                return;
            }

            ref float start = ref MemoryMarshal.GetReference(state);
            int i = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                Vector512<float> floors = Vector512.Create(floor);
                for (; i <= state.Length - Vector512<float>.Count; i += Vector512<float>.Count)
                {
                    Vector512<float> values = Vector512.LoadUnsafe(ref start, (nuint)i);
                    Vector512.ConditionalSelect(Vector512.LessThan(Vector512.Abs(values), floors), values & Vector512.Create(-0f), values).StoreUnsafe(ref start, (nuint)i);
                }
            }

            if (Vector256.IsHardwareAccelerated)
            {
                Vector256<float> floors = Vector256.Create(floor);
                for (; i <= state.Length - Vector256<float>.Count; i += Vector256<float>.Count)
                {
                    Flush(Vector256.LoadUnsafe(ref start, (nuint)i), floors).StoreUnsafe(ref start, (nuint)i);
                }
            }

            for (; i < state.Length; i++)
            {
                Unsafe.Add(ref start, i) = Flush(Unsafe.Add(ref start, i), floor);
            }
        }
    }
}
