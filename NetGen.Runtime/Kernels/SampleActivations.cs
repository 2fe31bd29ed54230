using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetGen.Kernels
{
    /// <summary>
    /// An activation that single-sample kernels apply in registers. The 256-bit form may use AVX2
    /// and FMA instructions and the 512-bit form AVX-512F: <see cref="SampleKernels"/> calls each
    /// only where those exist.
    /// </summary>
    public interface ISampleActivation
    {
        /// <summary>Applies the activation to one value.</summary>
        static abstract float Apply(float x);

        /// <summary>Applies the activation to every lane.</summary>
        static abstract Vector256<float> Apply(Vector256<float> x);

        /// <summary>Applies the activation to every lane of a 512-bit vector.</summary>
        static abstract Vector512<float> Apply(Vector512<float> x);
    }

    /// <summary>Activations for <see cref="SampleKernels"/>; names match <see cref="Activation"/>.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static class SampleActivations
    {
        /// <summary>f(x) = x.</summary>
        public readonly struct Identity : ISampleActivation
        {
            /// <inheritdoc/>
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static float Apply(float x) => x;

            /// <inheritdoc/>
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static Vector256<float> Apply(Vector256<float> x) => x;

            /// <inheritdoc/>
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static Vector512<float> Apply(Vector512<float> x) => x;
        }

        /// <summary>f(x) = max(0, x), NaN kept.</summary>
        public readonly struct Relu : ISampleActivation
        {
            /// <inheritdoc/>
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static float Apply(float x) => x > 0 || float.IsNaN(x) ? x : 0f;

            /// <inheritdoc/>
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static Vector256<float> Apply(Vector256<float> x) =>
                Vector256.ConditionalSelect(Vector256.LessThanOrEqual(x, Vector256<float>.Zero), Vector256<float>.Zero, x);

            /// <inheritdoc/>
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static Vector512<float> Apply(Vector512<float> x) =>
                Vector512.ConditionalSelect(Vector512.LessThanOrEqual(x, Vector512<float>.Zero), Vector512<float>.Zero, x);
        }

        /// <summary>f(x) = tanh(x).</summary>
        /// <remarks>
        /// A rational function x·P(x²)/Q(x²), P of degree 5 and Q of degree 3, fitted to tanh on
        /// [0, 9] for the smallest maximum relative error (Loeb's linearised least squares with
        /// Lawson's reweighting, evaluated in 40-digit arithmetic). The fit errs by at most 6.2e-8
        /// relative. Evaluated in float it errs by at most 3.6e-7 relative: 3.56e-7 at x = 0.1471794,
        /// the largest over every float in (0, 9.5), an input that a test checks.
        /// Inputs are clamped to ±9, where tanh rounds to ±1 in float; NaN stays NaN. Below
        /// <see cref="SmallArgument"/> in magnitude the result is x itself, which is tanh(x) to within
        /// half an ulp there. The polynomials then run on ±SmallArgument (0 without AVX-512DQ) instead
        /// of x, because x² and x⁴ of such an x can be subnormal. On Intel Xeon every FMA on a
        /// subnormal takes a microcode assist, which made a call of a small network about ten times
        /// slower. With AVX-512DQ one range instruction lifts the magnitude and a comparison with x
        /// finds the small lanes, in place of an absolute value, a comparison, and zeroing through
        /// a vector mask. It gives the same bits for every float (checked over all 2³² inputs) and took
        /// 4.04–4.18 against 4.39 ns per 512-bit vector in a throughput loop on AMD Zen 4. P and Q are
        /// evaluated by Estrin's scheme, which combines pairs of terms with powers of x². That puts
        /// three fused multiply-adds on the longest path instead of Horner's five, and in a small
        /// network the activation lies on the chain of dependent instructions that sets a call's latency.
        /// For the same reason both clamps take one AVX-512DQ range instruction where the CPU has
        /// one, in place of a minimum and a maximum. That saved about 2 ns per 512-bit vector on
        /// Intel Xeon (Emerald Rapids) and gives the same bits for every float.
        /// </remarks>
        public readonly struct Tanh : ISampleActivation
        {
            private const float P0 = 0.999999947347f, P1 = 0.129198298152f, P2 = 0.00292136930717f;
            private const float P3 = 9.27219271611e-6f, P4 = -1.27918436214e-8f, P5 = 1.827717624e-11f;
            private const float Q1 = 0.462531168765f, Q2 = 0.023765761243f, Q3 = 0.000228178946786f;

            /// <summary>
            /// 2⁻¹², below which tanh(x) = x·(1 − x²/3 + …) differs from x by less than 2e-8
            /// relative, under half an ulp of a float.
            /// </summary>
            private const float SmallArgument = 1f / 4096;

            /// <summary>
            /// The VRANGEPS control that returns whichever operand has the smaller magnitude, with the
            /// sign of the first: bits 1:0 = 10b pick the smaller magnitude, bits 3:2 = 00b keep the
            /// first operand's sign. For a NaN first operand it returns the second, not NaN.
            /// </summary>
            private const byte RangeMinimumMagnitudeKeepSign = 0b0010;

            /// <summary>
            /// The VRANGEPS control that returns whichever operand has the larger magnitude, with the
            /// sign of the first: bits 1:0 = 11b pick the larger magnitude, bits 3:2 = 00b keep the first operand's sign.
            /// </summary>
            private const byte RangeMaximumMagnitudeKeepSign = 0b0011;

            /// <inheritdoc/>
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static float Apply(float x) => MathF.Tanh(x);

            /// <inheritdoc/>
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static Vector256<float> Apply(Vector256<float> x)
            {
                Vector256<float> small, clamped;
                if (Avx512DQ.VL.IsSupported)
                {
                    // Lifting |x| to SmallArgument keeps x² and x⁴ normal. A lane the lift changed is
                    // small, or NaN, which never compares equal, so the final select returns it as it came.
                    Vector256<float> lifted = Avx512DQ.VL.Range(x, Vector256.Create(SmallArgument), RangeMaximumMagnitudeKeepSign);
                    small = Avx.CompareNotEqual(lifted, x);
                    clamped = Avx512DQ.VL.Range(lifted, Vector256.Create(9f), RangeMinimumMagnitudeKeepSign);
                }
                else
                {
                    // The unordered comparison is also true for NaN, so the final select returns NaN as it came.
                    small = Avx.Compare(Vector256.Abs(x), Vector256.Create(SmallArgument), FloatComparisonMode.UnorderedNotGreaterThanOrEqualNonSignaling);
                    clamped = Vector256.AndNot(ClampMagnitude(x, 9f), small);
                }

                Vector256<float> s = clamped * clamped;
                Vector256<float> s2 = s * s;
                Vector256<float> p = Fma.MultiplyAdd(
                    Fma.MultiplyAdd(Fma.MultiplyAdd(Vector256.Create(P5), s, Vector256.Create(P4)), s2, Fma.MultiplyAdd(Vector256.Create(P3), s, Vector256.Create(P2))),
                    s2,
                    Fma.MultiplyAdd(Vector256.Create(P1), s, Vector256.Create(P0)));
                Vector256<float> q = Fma.MultiplyAdd(
                    Fma.MultiplyAdd(Vector256.Create(Q3), s, Vector256.Create(Q2)),
                    s2,
                    Fma.MultiplyAdd(Vector256.Create(Q1), s, Vector256<float>.One));

                // Rounding can carry the quotient a few ulp past ±1 near the clamp.
                Vector256<float> tanh = ClampMagnitude(clamped * p / q, 1f);
                return Vector256.ConditionalSelect(small, x, tanh);
            }

            /// <inheritdoc/>
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static Vector512<float> Apply(Vector512<float> x)
            {
                // The same steps as the 256-bit form.
                Vector512<float> small, clamped;
                if (Avx512DQ.IsSupported)
                {
                    Vector512<float> lifted = Avx512DQ.Range(x, Vector512.Create(SmallArgument), RangeMaximumMagnitudeKeepSign);
                    small = Avx512F.CompareNotEqual(lifted, x);
                    clamped = Avx512DQ.Range(lifted, Vector512.Create(9f), RangeMinimumMagnitudeKeepSign);
                }
                else
                {
                    // NOTE: no test runs this branch. Every AVX-512 CPU since Skylake has DQ, and .NET 10 turns off
                    // AVX-512 only as a whole. It is the 256-bit form's fallback at 512 bits.
                    small = Avx512F.CompareNotGreaterThanOrEqual(Vector512.Abs(x), Vector512.Create(SmallArgument));
                    clamped = Vector512.AndNot(ClampMagnitude(x, 9f), small);
                }

                Vector512<float> s = clamped * clamped;
                Vector512<float> s2 = s * s;
                Vector512<float> p = Avx512F.FusedMultiplyAdd(
                    Avx512F.FusedMultiplyAdd(Avx512F.FusedMultiplyAdd(Vector512.Create(P5), s, Vector512.Create(P4)), s2, Avx512F.FusedMultiplyAdd(Vector512.Create(P3), s, Vector512.Create(P2))),
                    s2,
                    Avx512F.FusedMultiplyAdd(Vector512.Create(P1), s, Vector512.Create(P0)));
                Vector512<float> q = Avx512F.FusedMultiplyAdd(
                    Avx512F.FusedMultiplyAdd(Vector512.Create(Q3), s, Vector512.Create(Q2)),
                    s2,
                    Avx512F.FusedMultiplyAdd(Vector512.Create(Q1), s, Vector512<float>.One));
                Vector512<float> tanh = ClampMagnitude(clamped * p / q, 1f);
                return Vector512.ConditionalSelect(small, x, tanh);
            }

            /// <summary>Returns x limited to [−limit, limit] per lane, for a positive limit. NaN lanes may come back as any value.</summary>
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            private static Vector256<float> ClampMagnitude(Vector256<float> x, float limit) =>
                Avx512DQ.VL.IsSupported
                    ? Avx512DQ.VL.Range(x, Vector256.Create(limit), RangeMinimumMagnitudeKeepSign)
                    : Avx.Max(Vector256.Create(-limit), Avx.Min(Vector256.Create(limit), x));

            /// <inheritdoc cref="ClampMagnitude(Vector256{float}, float)"/>
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            private static Vector512<float> ClampMagnitude(Vector512<float> x, float limit) =>
                Avx512DQ.IsSupported
                    ? Avx512DQ.Range(x, Vector512.Create(limit), RangeMinimumMagnitudeKeepSign)
                    : Avx512F.Max(Vector512.Create(-limit), Avx512F.Min(Vector512.Create(limit), x));
        }

        /// <summary>f(x) = 1/(1 + e^−x).</summary>
        public readonly struct Sigmoid : ISampleActivation
        {
            /// <inheritdoc/>
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static float Apply(float x) => 1f / (1f + MathF.Exp(-x));

            /// <inheritdoc/>
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static Vector256<float> Apply(Vector256<float> x) =>
                Vector256<float>.One / (Vector256<float>.One + VectorMath.Exp(-x));

            /// <inheritdoc/>
            /// <remarks>
            /// Runs the 256-bit form on each half. Single-sample sigmoid layers call it after their sums
            /// are written (SampleKernels.ActivatesOutOfLine), not on the chain of a call's accumulators.
            /// </remarks>
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static Vector512<float> Apply(Vector512<float> x) =>
                Vector512.Create(Apply(x.GetLower()), Apply(x.GetUpper()));
        }
    }

    /// <summary>Vector exponential in float arithmetic, for activations computed in registers on x86 with AVX2 and FMA.</summary>
    internal static class VectorMath
    {
        /// <summary>
        /// Returns e^x per lane: x = n·ln2 + r with |r| ≤ ln2/2 (ln2 split in two parts, Cody and
        /// Waite's reduction), e^r by its Taylor polynomial to r⁶, scaled by 2ⁿ through the exponent
        /// bits. The truncation error is below 1.3e-7 relative; rounding adds an estimated few ulp,
        /// which the forward tests of small networks bound at 1e-3 relative. Inputs are clamped to
        /// [−87.3, 88.7] so the result stays a normal float or ∞ past the top; NaN stays NaN.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Exp(Vector256<float> x)
        {
            Vector256<float> clamped = Avx.Min(Avx.Max(x, Vector256.Create(-87.3f)), Vector256.Create(88.7f));
            Vector256<float> n = Avx.RoundToNearestInteger(clamped * Vector256.Create(1.44269504f));
            Vector256<float> r = clamped - (n * Vector256.Create(0.693359375f));
            r -= n * Vector256.Create(-2.12194440e-4f);

            // Horner's rule with fused multiply-adds: half the latency of separate multiplies and adds.
            Vector256<float> p = Vector256.Create(1f / 720f);
            p = Fma.MultiplyAdd(p, r, Vector256.Create(1f / 120f));
            p = Fma.MultiplyAdd(p, r, Vector256.Create(1f / 24f));
            p = Fma.MultiplyAdd(p, r, Vector256.Create(1f / 6f));
            p = Fma.MultiplyAdd(p, r, Vector256.Create(0.5f));
            p = Fma.MultiplyAdd(p, r, Vector256<float>.One);
            p = Fma.MultiplyAdd(p, r, Vector256<float>.One);

            Vector256<int> scale = (Vector256.ConvertToInt32(n) + Vector256.Create(127)) << 23;
            Vector256<float> result = p * scale.AsSingle();

            // Above the clamp the true value overflows; NaN fails both comparisons and stays NaN.
            result = Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(88.7f)), Vector256.Create(float.PositiveInfinity), result);
            return Vector256.ConditionalSelect(Vector256.Equals(x, x), result, x);
        }
    }
}
