using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Threading;

namespace NetGen.Samples;

/// <summary>
/// Measures this machine's float32 peak with the widest vector that NetGen's GEMMs use
/// (Vector512 where it is accelerated, else Vector256), on the given number of threads at once. Each thread runs 12 independent chains of
/// fused multiply-adds, more than the 8 that a core with two FMA units of 4-cycle latency needs.
/// </summary>
/// <remarks>
/// The figure is what the cores deliver while the measurement runs, so other processes on the
/// machine lower it just as they slow training down. The best of several rounds is kept.
/// </remarks>
internal static class FmaPeak
{
    private const int Iterations = 2_000_000;
    private const int Chains = 12;
    private const int Rounds = 5;

    /// <summary>Floating-point operations of one thread's loop: 2 per lane of each FMA.</summary>
    private static double FlopsPerThread => 2.0 * Iterations * Chains * (Vector512.IsHardwareAccelerated ? 16 : 8);

    /// <summary>Returns the best GFLOP/s over a few rounds of the FMA loop on <paramref name="threads"/> threads.</summary>
    /// <exception cref="PlatformNotSupportedException">Vector256 is not hardware accelerated.</exception>
    public static double MeasureGflops(int threads)
    {
        if (!Vector256.IsHardwareAccelerated)
        {
            throw new PlatformNotSupportedException("Vector256 is not hardware accelerated on this CPU, so it has no 256-bit FMA peak to measure; pass --peak-gflops.");
        }

        Loop(0.5f, Iterations / 10);   // compiles the loop before it is timed
        double best = 0;
        for (int round = 0; round < Rounds; round++)
        {
            best = Math.Max(best, threads * FlopsPerThread / TimeRound(threads) / 1e9);
        }

        return best;
    }

    /// <summary>Runs the loop on every thread at once and returns the seconds until the last one finished.</summary>
    private static double TimeRound(int threads)
    {
        var workers = new Thread[threads];
        using var start = new ManualResetEventSlim();
        for (int t = 0; t < threads; t++)
        {
            float seed = 0.5f / (t + 1);
            workers[t] = new Thread(() =>
            {
                start.Wait();
                Loop(seed, Iterations);
            });
            workers[t].Start();
        }

        long begin = Stopwatch.GetTimestamp();
        start.Set();
        foreach (Thread worker in workers)
        {
            worker.Join();
        }

        return Stopwatch.GetElapsedTime(begin).TotalSeconds;
    }

    private static float Loop(float seed, int iterations) =>
        Vector512.IsHardwareAccelerated ? FmaLoop512(seed, iterations) : FmaLoop(seed, iterations);

    /// <summary>The 512-bit twin of <see cref="FmaLoop"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float FmaLoop512(float seed, int iterations)
    {
        Vector512<float> a = Vector512.Create(0.999f);
        Vector512<float> b = Vector512.Create(1e-3f);
        Vector512<float> c0 = Vector512.Create(seed), c1 = c0 + b, c2 = c1 + b, c3 = c2 + b;
        Vector512<float> c4 = c3 + b, c5 = c4 + b, c6 = c5 + b, c7 = c6 + b;
        Vector512<float> c8 = c7 + b, c9 = c8 + b, c10 = c9 + b, c11 = c10 + b;
        for (int i = 0; i < iterations; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(c0, a, b);
            c1 = Vector512.FusedMultiplyAdd(c1, a, b);
            c2 = Vector512.FusedMultiplyAdd(c2, a, b);
            c3 = Vector512.FusedMultiplyAdd(c3, a, b);
            c4 = Vector512.FusedMultiplyAdd(c4, a, b);
            c5 = Vector512.FusedMultiplyAdd(c5, a, b);
            c6 = Vector512.FusedMultiplyAdd(c6, a, b);
            c7 = Vector512.FusedMultiplyAdd(c7, a, b);
            c8 = Vector512.FusedMultiplyAdd(c8, a, b);
            c9 = Vector512.FusedMultiplyAdd(c9, a, b);
            c10 = Vector512.FusedMultiplyAdd(c10, a, b);
            c11 = Vector512.FusedMultiplyAdd(c11, a, b);
        }

        return Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }

    /// <summary>
    /// Runs <paramref name="iterations"/> rounds of acc = acc·a + b on 12 registers. With a just
    /// below 1 and b small, every accumulator converges to b / (1 − a) and never overflows or
    /// goes subnormal, so every FMA runs at full speed.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float FmaLoop(float seed, int iterations)
    {
        Vector256<float> a = Vector256.Create(0.999f);
        Vector256<float> b = Vector256.Create(1e-3f);
        Vector256<float> c0 = Vector256.Create(seed), c1 = c0 + b, c2 = c1 + b, c3 = c2 + b;
        Vector256<float> c4 = c3 + b, c5 = c4 + b, c6 = c5 + b, c7 = c6 + b;
        Vector256<float> c8 = c7 + b, c9 = c8 + b, c10 = c9 + b, c11 = c10 + b;
        for (int i = 0; i < iterations; i++)
        {
            c0 = Vector256.FusedMultiplyAdd(c0, a, b);
            c1 = Vector256.FusedMultiplyAdd(c1, a, b);
            c2 = Vector256.FusedMultiplyAdd(c2, a, b);
            c3 = Vector256.FusedMultiplyAdd(c3, a, b);
            c4 = Vector256.FusedMultiplyAdd(c4, a, b);
            c5 = Vector256.FusedMultiplyAdd(c5, a, b);
            c6 = Vector256.FusedMultiplyAdd(c6, a, b);
            c7 = Vector256.FusedMultiplyAdd(c7, a, b);
            c8 = Vector256.FusedMultiplyAdd(c8, a, b);
            c9 = Vector256.FusedMultiplyAdd(c9, a, b);
            c10 = Vector256.FusedMultiplyAdd(c10, a, b);
            c11 = Vector256.FusedMultiplyAdd(c11, a, b);
        }

        Vector256<float> sum = ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11));
        return Vector256.Sum(sum);
    }
}
