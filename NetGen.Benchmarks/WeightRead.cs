using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NetGen.Benchmarks;

/// <summary>
/// The memory side of the roofline: a read of a weight array with the widest vectors and
/// nothing else, an estimate of the time any forward pass that reads every weight once needs.
/// A forward pass can come close to it, and on an AMD EPYC (Zen 4) one measured 3 % below it.
/// </summary>
public static class WeightRead
{
    /// <summary>
    /// Returns the sum of <paramref name="values"/>. Eight accumulators keep the adds off the
    /// critical path (two loads per cycle times an add latency of about 4 cycles), so the loads
    /// alone set the time. The values after the last group of eight vectors are added one by one.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static float Sum(ReadOnlySpan<float> values)
    {
        ref float start = ref MemoryMarshal.GetReference(values);
        int i = 0;
        float sum = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            for (; i + 128 <= values.Length; i += 128)
            {
                ref float block = ref Unsafe.Add(ref start, i);
                a0 += Vector512.LoadUnsafe(ref block);
                a1 += Vector512.LoadUnsafe(ref block, 16);
                a2 += Vector512.LoadUnsafe(ref block, 32);
                a3 += Vector512.LoadUnsafe(ref block, 48);
                a4 += Vector512.LoadUnsafe(ref block, 64);
                a5 += Vector512.LoadUnsafe(ref block, 80);
                a6 += Vector512.LoadUnsafe(ref block, 96);
                a7 += Vector512.LoadUnsafe(ref block, 112);
            }

            sum = Vector512.Sum(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)));
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            for (; i + 64 <= values.Length; i += 64)
            {
                ref float block = ref Unsafe.Add(ref start, i);
                a0 += Vector256.LoadUnsafe(ref block);
                a1 += Vector256.LoadUnsafe(ref block, 8);
                a2 += Vector256.LoadUnsafe(ref block, 16);
                a3 += Vector256.LoadUnsafe(ref block, 24);
                a4 += Vector256.LoadUnsafe(ref block, 32);
                a5 += Vector256.LoadUnsafe(ref block, 40);
                a6 += Vector256.LoadUnsafe(ref block, 48);
                a7 += Vector256.LoadUnsafe(ref block, 56);
            }

            sum = Vector256.Sum(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)));
        }

        for (; i < values.Length; i++)
        {
            sum += Unsafe.Add(ref start, i);
        }

        return sum;
    }
}
