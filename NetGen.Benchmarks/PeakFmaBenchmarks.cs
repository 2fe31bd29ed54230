using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Filters;

namespace NetGen.Benchmarks;

/// <summary>
/// Adds a GFLOP/s column for the FMA peak benchmarks, and leaves out the Vector512 cases on a CPU
/// without AVX-512, where they have nothing to measure.
/// </summary>
public sealed class PeakFmaConfig : PeerBenchmarkConfig
{
    /// <summary>Creates the configuration.</summary>
    public PeakFmaConfig()
    {
        AddColumn(new RateColumn(
            "GFLOP/s",
            "Billions of floating-point operations per second: 2 per lane of each fused multiply-add",
            c => PeakFmaBenchmarks.Flops(c.Descriptor.WorkloadMethod.Name),
            unitsPerSecondScale: 1));
        AddFilter(new SimpleFilter(c => Vector512.IsHardwareAccelerated || !PeakFmaBenchmarks.NeedsVector512(c.Descriptor.WorkloadMethod.Name)));
    }
}

/// <summary>
/// Peer case (e), the roofline's ceiling: the CPU's peak float32 FMA throughput, measured with
/// 12 independent chains of Vector256 fused multiply-adds, and of Vector512 ones where the CPU
/// has AVX-512. Keeping the FMA units busy takes latency × throughput chains: 5 on Zen 1
/// (5 cycles, one 256-bit FMA per cycle) and 8 on Skylake (4 cycles, two per cycle). Zen 5
/// completes two 512-bit FMAs per cycle with a latency of about 4 cycles, so it needs about 8
/// as well, and 12 chains never wait for a result.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(PeakFmaConfig))]
public class PeakFmaBenchmarks
{
    /// <summary>Loop iterations of one thread; each issues one FMA per chain.</summary>
    public const int Iterations = 1_000_000;

    /// <summary>Independent accumulator chains.</summary>
    public const int Chains = 12;

    /// <summary>Floating-point operations of one thread's Vector256 loop: 2 per lane per FMA.</summary>
    public const double FlopsPerThread = 2.0 * Iterations * Chains * 8;

    /// <summary>Floating-point operations of one thread's Vector512 loop: twice the lanes of <see cref="FlopsPerThread"/>.</summary>
    public const double Vector512FlopsPerThread = 2 * FlopsPerThread;

    /// <summary>Returns whether the benchmark method <paramref name="methodName"/> runs 512-bit vectors.</summary>
    public static bool NeedsVector512(string methodName) =>
        methodName is nameof(Vector512OneThread) or nameof(Vector512TwoThreads);

    /// <summary>Returns the floating-point operations of one call of the benchmark method <paramref name="methodName"/>.</summary>
    public static double Flops(string methodName) => methodName switch
    {
        nameof(TwoThreads) => 2 * FlopsPerThread,
        nameof(Vector512OneThread) => Vector512FlopsPerThread,
        nameof(Vector512TwoThreads) => 2 * Vector512FlopsPerThread,
        _ => FlopsPerThread,
    };

    /// <summary>One thread: the peak of one core.</summary>
    [Benchmark(Baseline = true, Description = "Vector256 FMA, 12 chains, 1 thread")]
    public float OneThread() => FmaLoop(0.5f);

    /// <summary>Two threads, one per core of the test machine: the machine's peak.</summary>
    [Benchmark(Description = "Vector256 FMA, 12 chains, 2 threads")]
    public float TwoThreads()
    {
        float first = 0, second = 0;
        Parallel.Invoke(() => first = FmaLoop(0.5f), () => second = FmaLoop(0.25f));
        return first + second;
    }

    /// <summary>One thread with 512-bit vectors: the peak of one core on a CPU with AVX-512.</summary>
    [Benchmark(Description = "Vector512 FMA, 12 chains, 1 thread")]
    public float Vector512OneThread() => FmaLoop512(0.5f);

    /// <summary>Two threads with 512-bit vectors, one per core of the test machine.</summary>
    [Benchmark(Description = "Vector512 FMA, 12 chains, 2 threads")]
    public float Vector512TwoThreads()
    {
        float first = 0, second = 0;
        Parallel.Invoke(() => first = FmaLoop512(0.5f), () => second = FmaLoop512(0.25f));
        return first + second;
    }

    /// <summary>
    /// Runs <see cref="Iterations"/> rounds of acc = acc·a + b on 12 registers. With a just below 1
    /// and b small, every accumulator converges to b / (1 − a) and never overflows or goes
    /// subnormal, so every FMA runs at full speed.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float FmaLoop(float seed)
    {
        if (!Vector256.IsHardwareAccelerated)
        {
            throw new PlatformNotSupportedException("Vector256 is not hardware accelerated on this CPU, so it has no 256-bit FMA peak to measure.");
        }

        Vector256<float> a = Vector256.Create(0.999f);
        Vector256<float> b = Vector256.Create(1e-3f);
        Vector256<float> c0 = Vector256.Create(seed), c1 = c0 + b, c2 = c1 + b, c3 = c2 + b;
        Vector256<float> c4 = c3 + b, c5 = c4 + b, c6 = c5 + b, c7 = c6 + b;
        Vector256<float> c8 = c7 + b, c9 = c8 + b, c10 = c9 + b, c11 = c10 + b;
        for (int i = 0; i < Iterations; i++)
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

    /// <summary>Runs the loop of <see cref="FmaLoop"/> with 512-bit vectors.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float FmaLoop512(float seed)
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            throw new PlatformNotSupportedException("Vector512 is not hardware accelerated on this CPU (it needs AVX-512), so it has no 512-bit FMA peak to measure. Run the Vector256 cases instead.");
        }

        Vector512<float> a = Vector512.Create(0.999f);
        Vector512<float> b = Vector512.Create(1e-3f);
        Vector512<float> c0 = Vector512.Create(seed), c1 = c0 + b, c2 = c1 + b, c3 = c2 + b;
        Vector512<float> c4 = c3 + b, c5 = c4 + b, c6 = c5 + b, c7 = c6 + b;
        Vector512<float> c8 = c7 + b, c9 = c8 + b, c10 = c9 + b, c11 = c10 + b;
        for (int i = 0; i < Iterations; i++)
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

        Vector512<float> sum = ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11));
        return Vector512.Sum(sum);
    }
}
