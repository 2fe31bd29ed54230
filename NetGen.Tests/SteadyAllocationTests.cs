using System;

namespace NetGen.Tests;

/// <summary>The allocation measure that the allocation tests share must still see allocations.</summary>
public class SteadyAllocationTests
{
    private static object? s_keep;

    [Fact]
    public void MedianBytes_EveryCallAllocates()
    {
        Assert.True(SteadyAllocation.MedianBytes(() => s_keep = new byte[64]) >= 64);
    }

    [Fact]
    public void MedianBytes_EverySecondCallAllocates()
    {
        int calls = 0;
        long bytes = SteadyAllocation.MedianBytes(() =>
        {
            for (int i = 0; i < 4; i++)
            {
                if (++calls % 2 == 0)
                {
                    s_keep = new byte[64];
                }
            }
        });

        Assert.True(bytes >= 128, $"Two allocations per run should count, but the median run allocated {bytes} bytes.");
    }

    [Fact]
    public void MedianBytes_OneTimeAllocationPasses()
    {
        bool first = true;
        long bytes = SteadyAllocation.MedianBytes(() =>
        {
            if (first)
            {
                first = false;
                s_keep = new byte[4096];
            }
        });

        Assert.Equal(0, bytes);
    }
}
