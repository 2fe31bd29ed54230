using System;
using System.Diagnostics;
using System.Globalization;
using System.Threading;

namespace NetGen.Benchmarks;

/// <summary>
/// The latency distribution of single-sample inference: one million consecutive
/// <see cref="TinyControlNet.Forward(ReadOnlySpan{float}, Span{float})"/> calls on one thread,
/// each timed with <see cref="Stopwatch.GetTimestamp"/>, with the garbage collector's counts and
/// the bytes allocated across the measured loop.
/// </summary>
/// <remarks>Run with <c>dotnet run -c Release --project NetGen.Benchmarks -- latency</c>.</remarks>
internal static class LatencyMode
{
    // Tiered compilation recompiles hot methods in the background about 100 ms after start-up
    // activity settles, so the warm-up runs for a fixed time and then pauses for the compiler.
    private static readonly TimeSpan WarmUpTime = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan CompilerPause = TimeSpan.FromMilliseconds(300);
    private const int MeasuredCalls = 1_000_000;

    /// <summary>Runs the measurement and prints it; returns the process exit code.</summary>
    public static int Run()
    {
        var network = new TinyControlNet(seed: 1);
        var input = new float[TinyControlNet.InputSize];
        var output = new float[TinyControlNet.OutputSize];
        var ticks = new long[MeasuredCalls];
        var random = new Random(7);
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = (random.NextSingle() * 2) - 1;
        }

        // Warm-up lets tiered compilation reach the optimised code before any call is timed.
        long warmUpCalls = WarmUp(network, input, output, WarmUpTime);
        Thread.Sleep(CompilerPause);
        warmUpCalls += WarmUp(network, input, output, WarmUpTime);

        long timerOverhead = MeasureTimerOverhead();
        int gen0Before = GC.CollectionCount(0);
        int gen1Before = GC.CollectionCount(1);
        int gen2Before = GC.CollectionCount(2);
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();

        for (int i = 0; i < MeasuredCalls; i++)
        {
            long start = Stopwatch.GetTimestamp();
            network.Forward(input, output);
            ticks[i] = Stopwatch.GetTimestamp() - start;

            // Feeding an output back makes each call depend on the previous one, like a control loop.
            input[i & 3] = Feedback(output[0]);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        int gen0After = GC.CollectionCount(0);
        int gen1After = GC.CollectionCount(1);
        int gen2After = GC.CollectionCount(2);

        Array.Sort(ticks);
        double nanosecondsPerTick = 1e9 / Stopwatch.Frequency;
        string Format(long value) => (value * nanosecondsPerTick).ToString("F0", CultureInfo.InvariantCulture);
        long Percentile(double fraction) => ticks[Math.Min(ticks.Length - 1, (int)Math.Ceiling(fraction * ticks.Length) - 1)];

        Console.WriteLine($"TinyControlNet (4 → 32 → 32 → 2, tanh) single-sample Forward, {MeasuredCalls:N0} calls after {warmUpCalls:N0} warm-up calls, one thread");
        Console.WriteLine($"Timer: Stopwatch.Frequency = {Stopwatch.Frequency:N0} Hz, {nanosecondsPerTick:F1} ns per tick; two back-to-back timestamps take {Format(timerOverhead)} ns (median), included in every figure below");
        Console.WriteLine($"p50    {Format(Percentile(0.50)),8} ns");
        Console.WriteLine($"p99    {Format(Percentile(0.99)),8} ns");
        Console.WriteLine($"p99.9  {Format(Percentile(0.999)),8} ns");
        Console.WriteLine($"max    {Format(ticks[^1]),8} ns");
        Console.WriteLine($"GC collections gen0/gen1/gen2: before {gen0Before}/{gen1Before}/{gen2Before}, after {gen0After}/{gen1After}/{gen2After}");
        Console.WriteLine($"Allocated during the measured calls: {allocated} bytes");

        bool clean = allocated == 0 && gen0After == gen0Before && gen1After == gen1Before && gen2After == gen2Before;
        if (!clean)
        {
            Console.Error.WriteLine("Forward allocated memory or a garbage collection ran during the measured calls; the inference path must not allocate.");
            return 1;
        }

        return 0;
    }

    private static long WarmUp(TinyControlNet network, float[] input, float[] output, TimeSpan duration)
    {
        long calls = 0;
        long end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < end)
        {
            for (int i = 0; i < 1000; i++)
            {
                network.Forward(input, output);
                input[i & 3] = Feedback(output[0]);
            }

            calls += 1000;
        }

        return calls;
    }

    /// <summary>
    /// Returns the next input from the last output. The offset keeps the state away from zero.
    /// With <c>output · 0.5</c> alone, one kernel variant settled at a subnormal value (about
    /// 3e-45), where every FMA takes a microcode assist on Intel Xeon: calls took 3.6 µs instead
    /// of 0.15 µs.
    /// </summary>
    private static float Feedback(float output) => 0.25f + (output * 0.5f);

    private static long MeasureTimerOverhead()
    {
        var samples = new long[10_001];
        for (int i = 0; i < samples.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            samples[i] = Stopwatch.GetTimestamp() - start;
        }

        Array.Sort(samples);
        return samples[samples.Length / 2];
    }
}
