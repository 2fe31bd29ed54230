using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetGen.Kernels
{
    /// <summary>
    /// Single-sample dense layers for small networks, where per-call overhead and the dependency
    /// chain through the layers dominate. They check no arguments, run eight rows at a time with
    /// the input held in registers, and apply the activation while the sums are in registers.
    /// Generated code calls these only with constant sizes and padded buffers.
    /// </summary>
    /// <remarks>
    /// Callers guarantee: <c>x</c> contains <c>inputs</c> values followed by zeros up to a multiple
    /// of 8, and at least 8 readable floats follow the last weight row. The weight tail lanes
    /// past <c>inputs</c> are masked off, so whatever they hold never reaches the sums.
    /// </remarks>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static class SampleKernels
    {
        /// <summary>Lane masks: row k keeps the first k lanes of a 256-bit vector.</summary>
        private static ReadOnlySpan<int> LeadingLaneMasks =>
        [
            0, 0, 0, 0, 0, 0, 0, 0,
            -1, 0, 0, 0, 0, 0, 0, 0,
            -1, -1, 0, 0, 0, 0, 0, 0,
            -1, -1, -1, 0, 0, 0, 0, 0,
            -1, -1, -1, -1, 0, 0, 0, 0,
            -1, -1, -1, -1, -1, 0, 0, 0,
            -1, -1, -1, -1, -1, -1, 0, 0,
            -1, -1, -1, -1, -1, -1, -1, 0,
        ];

        /// <summary>
        /// Computes y[o] = f(b[o] + Σ_i w[o, i]·x[i]) for one sample, with w stored [outputs, inputs].
        /// </summary>
        /// <typeparam name="TActivation">The activation f, applied in registers.</typeparam>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        public static void Forward<TActivation>(ref float w, ref float b, ref float x, ref float y, int inputs, int outputs)
            where TActivation : struct, ISampleActivation
        {
            if (!Fma.IsSupported || !Vector256.IsHardwareAccelerated)
            {
                ForwardScalar<TActivation>(ref w, ref b, ref x, ref y, inputs, outputs);
                return;
            }

            int whole = inputs & ~7;
            int rest = inputs - whole;
            Vector256<float> tailMask = Vector256.LoadUnsafe(ref Unsafe.As<int, float>(ref Unsafe.AsRef(in LeadingLaneMasks[0])), (nuint)(rest * 8));

            int o = 0;
            for (; o + 8 <= outputs; o += 8)
            {
                ref float row = ref Unsafe.Add(ref w, o * inputs);
                Vector256<float> sums = DotEight(ref row, ref x, inputs, whole, rest, tailMask);
                (sums + Vector256.LoadUnsafe(ref b, (nuint)o)).StoreUnsafe(ref y, (nuint)o);
            }

            // The activation runs as a second pass, so the groups' activations are independent of
            // each other and the core overlaps their long latency chains.
            for (int k = 0; k + 8 <= o; k += 8)
            {
                TActivation.Apply(Vector256.LoadUnsafe(ref y, (nuint)k)).StoreUnsafe(ref y, (nuint)k);
            }

            for (; o < outputs; o++)
            {
                ref float row = ref Unsafe.Add(ref w, o * inputs);
                Vector256<float> sum = Vector256<float>.Zero;
                int i = 0;
                for (; i < whole; i += 8)
                {
                    sum = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref row, (nuint)i), Vector256.LoadUnsafe(ref x, (nuint)i), sum);
                }

                if (rest > 0)
                {
                    Vector256<float> weights = Vector256.LoadUnsafe(ref row, (nuint)i) & tailMask;
                    sum = Fma.MultiplyAdd(weights, Vector256.LoadUnsafe(ref x, (nuint)i), sum);
                }

                Unsafe.Add(ref y, o) = TActivation.Apply(Vector256.Sum(sum) + Unsafe.Add(ref b, o));
            }
        }

        /// <summary>Returns the eight dot products of rows <paramref name="row"/>..+7 with x, one per lane.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> DotEight(ref float row, ref float x, int inputs, int whole, int rest, Vector256<float> tailMask)
        {
            Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            int i = 0;
            for (; i < whole; i += 8)
            {
                Vector256<float> xv = Vector256.LoadUnsafe(ref x, (nuint)i);
                a0 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref row, (nuint)i), xv, a0);
                a1 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref row, (nuint)(inputs + i)), xv, a1);
                a2 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref row, (nuint)((2 * inputs) + i)), xv, a2);
                a3 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref row, (nuint)((3 * inputs) + i)), xv, a3);
                a4 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref row, (nuint)((4 * inputs) + i)), xv, a4);
                a5 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref row, (nuint)((5 * inputs) + i)), xv, a5);
                a6 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref row, (nuint)((6 * inputs) + i)), xv, a6);
                a7 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref row, (nuint)((7 * inputs) + i)), xv, a7);
            }

            if (rest > 0)
            {
                // The x padding is zero and the weight lanes past the row are masked off.
                Vector256<float> xv = Vector256.LoadUnsafe(ref x, (nuint)i);
                a0 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref row, (nuint)i) & tailMask, xv, a0);
                a1 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref row, (nuint)(inputs + i)) & tailMask, xv, a1);
                a2 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref row, (nuint)((2 * inputs) + i)) & tailMask, xv, a2);
                a3 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref row, (nuint)((3 * inputs) + i)) & tailMask, xv, a3);
                a4 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref row, (nuint)((4 * inputs) + i)) & tailMask, xv, a4);
                a5 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref row, (nuint)((5 * inputs) + i)) & tailMask, xv, a5);
                a6 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref row, (nuint)((6 * inputs) + i)) & tailMask, xv, a6);
                a7 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref row, (nuint)((7 * inputs) + i)) & tailMask, xv, a7);
            }

            // Reduce eight accumulators to one vector of eight sums: two rounds of pairwise
            // horizontal adds within 128-bit halves, then add the two halves across.
            Vector256<float> t0 = Avx.HorizontalAdd(a0, a1);
            Vector256<float> t1 = Avx.HorizontalAdd(a2, a3);
            Vector256<float> t2 = Avx.HorizontalAdd(a4, a5);
            Vector256<float> t3 = Avx.HorizontalAdd(a6, a7);
            Vector256<float> u0 = Avx.HorizontalAdd(t0, t1);
            Vector256<float> u1 = Avx.HorizontalAdd(t2, t3);
            return Avx.Permute2x128(u0, u1, 0x20) + Avx.Permute2x128(u0, u1, 0x31);
        }

        private static void ForwardScalar<TActivation>(ref float w, ref float b, ref float x, ref float y, int inputs, int outputs)
            where TActivation : struct, ISampleActivation
        {
            for (int o = 0; o < outputs; o++)
            {
                float sum = Unsafe.Add(ref b, o);
                for (int i = 0; i < inputs; i++)
                {
                    sum += Unsafe.Add(ref w, (o * inputs) + i) * Unsafe.Add(ref x, i);
                }

                Unsafe.Add(ref y, o) = TActivation.Apply(sum);
            }
        }
    }

    /// <summary>
    /// An activation that single-sample kernels apply in registers. The vector form may use AVX2
    /// and FMA instructions: <see cref="SampleKernels"/> calls it only where those exist.
    /// </summary>
    public interface ISampleActivation
    {
        /// <summary>Applies the activation to one value.</summary>
        static abstract float Apply(float x);

        /// <summary>Applies the activation to every lane.</summary>
        static abstract Vector256<float> Apply(Vector256<float> x);
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
        }

        /// <summary>f(x) = tanh(x).</summary>
        public readonly struct Tanh : ISampleActivation
        {
            /// <inheritdoc/>
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static float Apply(float x) => MathF.Tanh(x);

            /// <inheritdoc/>
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static Vector256<float> Apply(Vector256<float> x)
            {
                // tanh|x| = 1 − 2/(e^(2|x|) + 1) loses relative accuracy near 0, so |x| < 0.25 takes
                // the Taylor series x − x³/3 + 2x⁵/15 − 17x⁷/315 + 62x⁹/2835 (truncation below 1e-8 relative there).
                Vector256<float> magnitude = Vector256.Abs(x);
                Vector256<float> far = Vector256<float>.One - (Vector256.Create(2f) / (VectorMath.Exp(magnitude + magnitude) + Vector256<float>.One));
                far = (far & Vector256.Create(0x7FFFFFFF).AsSingle()) | (x & Vector256.Create(unchecked((int)0x80000000)).AsSingle());
                Vector256<float> square = x * x;
                Vector256<float> series = Vector256.Create(62f / 2835f);
                series = Fma.MultiplyAdd(series, square, Vector256.Create(-17f / 315f));
                series = Fma.MultiplyAdd(series, square, Vector256.Create(2f / 15f));
                series = Fma.MultiplyAdd(series, square, Vector256.Create(-1f / 3f));
                series = Fma.MultiplyAdd(x * square, series, x);
                return Vector256.ConditionalSelect(Vector256.LessThan(magnitude, Vector256.Create(0.25f)), series, far);
            }
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
