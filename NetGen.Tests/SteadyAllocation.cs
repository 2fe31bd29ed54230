using System;

namespace NetGen.Tests;

/// <summary>Measures what a warmed-up piece of code allocates on the calling thread.</summary>
internal static class SteadyAllocation
{
    /// <summary>
    /// Runs <paramref name="body"/> in up to three windows and returns the fewest bytes that one
    /// window allocated on this thread, stopping at the first window with none. A call that
    /// allocates every time shows in every window. A one-time allocation by the runtime while the
    /// test runs shows in one window only: the full suite saw 4–7 KB once in a while, never when a
    /// test class ran alone. NOTE: which part of the runtime allocated those bytes is not known.
    /// </summary>
    public static long MinimumBytes(Action body)
    {
        long fewest = long.MaxValue;
        for (int window = 0; window < 3 && fewest > 0; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            body();
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return fewest;
    }
}
