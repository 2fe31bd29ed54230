using System;

namespace NetGen.Tests;

/// <summary>Measures what a warmed-up piece of code allocates on the calling thread.</summary>
internal static class SteadyAllocation
{
    /// <summary>
    /// Runs <paramref name="body"/> three times and returns the median of the bytes that each run
    /// allocated on this thread. An allocation that recurs shows in at least two runs and fails the
    /// test: one on every call, or one every N calls when a run makes at least N calls. A one-time
    /// allocation by the runtime shows in one run only: the full suite saw 4–7 KB once in a while
    /// in a single window, never when a test class ran alone. NOTE: which part of the runtime
    /// allocated those bytes is not known.
    /// </summary>
    public static long MedianBytes(Action body)
    {
        Span<long> bytes = stackalloc long[3];
        for (int run = 0; run < bytes.Length; run++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            body();
            bytes[run] = GC.GetAllocatedBytesForCurrentThread() - before;
        }

        bytes.Sort();
        return bytes[1];
    }
}
