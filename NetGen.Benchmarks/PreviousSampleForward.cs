using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Runtime.InteropServices;
using NetGen.Kernels;

namespace NetGen.Benchmarks;

/// <summary>
/// The single-sample path that small networks used before packed weights, kept here so one
/// benchmark run can time it next to the current one: row-major weights, eight rows per pass
/// with horizontal sums, the input copied next to zero padding, and tanh through e^(2|x|).
/// It needs AVX2 and FMA.
/// </summary>
internal sealed class PreviousSampleForward
{
    private readonly DenseStack _stack;
    private readonly float[] _parameters;
    private readonly float[] _buffer;
    private readonly int[] _offsets;

    /// <summary>Copies the parameters of <paramref name="stack"/> with the padding the kernel reads past the end.</summary>
    public PreviousSampleForward(DenseStack stack)
    {
        _stack = stack;
        _parameters = new float[stack.Parameters.Length + 8];
        stack.Parameters.CopyTo(_parameters, 0);
        _offsets = new int[stack.Sizes.Length];
        int length = RoundUp(stack.Sizes[0]);
        for (int l = 1; l < stack.Sizes.Length; l++)
        {
            _offsets[l] = length;
            length += RoundUp(stack.Sizes[l]);
        }

        _buffer = new float[length + 8];
    }

    /// <summary>Computes one sample's outputs.</summary>
    public void Forward(ReadOnlySpan<float> input, Span<float> output)
    {
        input.CopyTo(_buffer);
        ref float p = ref MemoryMarshal.GetArrayDataReference(_parameters);
        ref float s = ref MemoryMarshal.GetArrayDataReference(_buffer);
        for (int l = 0; l < _stack.LayerCount; l++)
        {
            int inputs = _stack.Sizes[l];
            int outputs = _stack.Sizes[l + 1];
            int weights = _stack.WeightOffset(l);
            ref float w = ref Unsafe.Add(ref p, weights);
            ref float b = ref Unsafe.Add(ref p, weights + (inputs * outputs));
            ref float x = ref Unsafe.Add(ref s, _offsets[l]);
            ref float y = ref Unsafe.Add(ref s, _offsets[l + 1]);
            switch (_stack.Activations[l])
            {
                case Activation.Tanh:
                    PreviousSampleKernels.Forward<PreviousTanh>(ref w, ref b, ref x, ref y, inputs, outputs);
                    break;
                case Activation.Relu:
                    PreviousSampleKernels.Forward<SampleActivations.Relu>(ref w, ref b, ref x, ref y, inputs, outputs);
                    break;
                default:
                    PreviousSampleKernels.Forward<SampleActivations.Identity>(ref w, ref b, ref x, ref y, inputs, outputs);
                    break;
            }
        }

        _buffer.AsSpan(_offsets[^1], output.Length).CopyTo(output);
    }

    private static int RoundUp(int count) => (count + 7) & ~7;
}

/// <summary>The previous register-blocked sample kernel, unchanged.</summary>
internal static class PreviousSampleKernels
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
}

/// <summary>The previous vector tanh: 1 − 2/(e^(2|x|) + 1), with a Taylor series below |x| = 0.25.</summary>
internal readonly struct PreviousTanh : ISampleActivation
{
    /// <inheritdoc/>
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

    /// <inheritdoc/>
    /// <remarks>The previous kernels ran 256-bit vectors only; this form exists for the interface.</remarks>
    public static Vector512<float> Apply(Vector512<float> x) => Vector512.Create(Apply(x.GetLower()), Apply(x.GetUpper()));
}
