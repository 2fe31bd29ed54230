using System;
using System.Threading;

namespace NetGen.Tests.Training;

public class WorkerPoolTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void RunPerWorker_RunsEveryItemOnce(int threads)
    {
        // Items spin for varying times, so workers finish early and take the items of late ones.
        // Every item must still run exactly once per phase.
        const int Phases = 2000;
        int[] runs = new int[threads];
        int[] phaseRuns = new int[threads];
        bool twice = false;
        using var pool = new WorkerPool(threads, "test worker", (item, worker) =>
        {
            if (Interlocked.Increment(ref phaseRuns[item]) != 1)
            {
                twice = true;
            }

            Interlocked.Increment(ref runs[item]);
            Thread.SpinWait((item * 37 + worker * 11) % 200);
        });

        for (int phase = 0; phase < Phases; phase++)
        {
            int items = 1 + (phase % threads);
            Array.Clear(phaseRuns);
            pool.RunPerWorker(items);
            for (int item = 0; item < threads; item++)
            {
                Assert.Equal(item < items ? 1 : 0, phaseRuns[item]);
            }
        }

        Assert.False(twice);
        for (int item = 0; item < threads; item++)
        {
            int expected = 0;
            for (int phase = 0; phase < Phases; phase++)
            {
                expected += item < 1 + (phase % threads) ? 1 : 0;
            }

            Assert.Equal(expected, runs[item]);
        }
    }

    [Fact]
    public async System.Threading.Tasks.Task RunPerWorker_BlockedThreads_Wake()
    {
        // Pauses of 2 ms outlast the 100 µs poll, so the pool threads block between phases, and
        // items of 2 ms make the calling thread block until they finish. A lost wake-up hangs a
        // phase, which the timeout turns into a failure.
        int[] runs = new int[3];
        using var pool = new WorkerPool(3, "test worker", (item, _) =>
        {
            Interlocked.Increment(ref runs[item]);
            if (item > 0)
            {
                Thread.Sleep(2);
            }
        });

        long poolBefore = 0;
        long callerBefore = 0;
        long callerAfter = 0;
        var phases = System.Threading.Tasks.Task.Run(() =>
        {
            for (int phase = 0; phase < 40; phase++)
            {
                pool.RunPerWorker(1 + (phase % 3));
                if (phase == 4)
                {
                    poolBefore = pool.PoolThreadAllocatedBytes;
                    callerBefore = GC.GetAllocatedBytesForCurrentThread();
                }

                Thread.Sleep(2);
            }

            callerAfter = GC.GetAllocatedBytesForCurrentThread();
        });

        await phases.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal([40, 26, 13], runs);
        Assert.Equal(poolBefore, pool.PoolThreadAllocatedBytes);
        Assert.Equal(callerBefore, callerAfter);
    }

    [Fact]
    public async System.Threading.Tasks.Task Dispose_DuringRunOnOtherThread_Returns()
    {
        // Dispose from a second thread while the calling thread runs phases, as when a trainer is
        // disposed during Fit. The phase in progress must finish, and the next Run must throw.
        int hangs = 0;
        for (int attempt = 0; attempt < 50; attempt++)
        {
            using var started = new ManualResetEventSlim();
            var pool = new WorkerPool(2, "test worker", (_, _) =>
            {
                started.Set();
                Thread.SpinWait(2000);
            });
            var runner = System.Threading.Tasks.Task.Run(() =>
            {
                try
                {
                    for (int i = 0; i < 1000; i++)
                    {
                        pool.Run(2);
                    }
                }
                catch (ObjectDisposedException)
                {
                }
            });
            started.Wait();
            var disposer = System.Threading.Tasks.Task.Run(pool.Dispose);
            var both = System.Threading.Tasks.Task.WhenAll(runner, disposer);
            if (await System.Threading.Tasks.Task.WhenAny(both, System.Threading.Tasks.Task.Delay(5000)) != both)
            {
                hangs++;
            }
        }

        Assert.True(hangs == 0, $"{hangs} of 50 runs hung when Dispose ran during Run on another thread");
    }

    [Fact]
    public async System.Threading.Tasks.Task Dispose_LeftOutThreadAssignedNext_Returns()
    {
        // The last pool thread sits out a phase of 2 items and stalls for 200 ms after reading that
        // phase's number. Meanwhile a phase of 3 items assigns it the next phase, and another
        // thread calls Dispose. The stalled thread must run its phase instead of leaving, or the
        // phase and Dispose wait forever. Item 0 of the second phase keeps that phase running for
        // 50 ms.
        using var inSecondPhase = new ManualResetEventSlim();
        int phase = 0;
        var pool = new WorkerPool(3, "test worker", (item, _) =>
        {
            if (Volatile.Read(ref phase) == 1 && item == 0)
            {
                inSecondPhase.Set();
                Thread.Sleep(50);
            }
        });
        pool.AfterPhaseRead = worker =>
        {
            if (worker == 2 && Volatile.Read(ref phase) == 0)
            {
                Thread.Sleep(200);
            }
        };

        var runner = System.Threading.Tasks.Task.Run(() =>
        {
            pool.RunPerWorker(2);
            Volatile.Write(ref phase, 1);
            pool.RunPerWorker(3);
        });
        Assert.True(inSecondPhase.Wait(TimeSpan.FromSeconds(10)), "the second phase did not start");
        var disposer = System.Threading.Tasks.Task.Run(pool.Dispose);

        var both = System.Threading.Tasks.Task.WhenAll(runner, disposer);
        Assert.True(await System.Threading.Tasks.Task.WhenAny(both, System.Threading.Tasks.Task.Delay(5000)) == both, "the second phase and Dispose hung");
    }

    [Fact]
    public void Dispose_FromPoolThreadItem_Throws()
    {
        // Item 0 waits until item 1 has started, so the calling thread cannot take item 1 and the
        // pool thread runs it. Its Dispose would wait for itself, so it must throw.
        Exception? error = null;
        using var itemOneStarted = new ManualResetEventSlim();
        WorkerPool? pool = null;
        pool = new WorkerPool(2, "test worker", (item, worker) =>
        {
            if (item == 0)
            {
                Assert.True(itemOneStarted.Wait(TimeSpan.FromSeconds(10)), "the pool thread did not start item 1");
                return;
            }

            itemOneStarted.Set();
            try
            {
                pool!.Dispose();
            }
            catch (InvalidOperationException e)
            {
                error = e;
            }
        });

        pool.RunPerWorker(2);
        pool.Dispose();

        Assert.NotNull(error);
    }

    [Fact]
    public void Run_AfterDispose_Throws()
    {
        var pool = new WorkerPool(2, "test worker", (_, _) => { });
        pool.Run(2);
        pool.Dispose();
        pool.Dispose();

        Assert.Throws<ObjectDisposedException>(() => pool.Run(2));
        Assert.Throws<ObjectDisposedException>(() => pool.RunPerWorker(1));
    }

    [Fact]
    public void RunPerWorker_ItemError_ReachesCaller()
    {
        using var pool = new WorkerPool(2, "test worker", (item, _) =>
        {
            if (item == 1)
            {
                throw new InvalidOperationException("item 1 failed");
            }
        });

        var error = Assert.Throws<AggregateException>(() => pool.RunPerWorker(2));

        Assert.Contains(error.InnerExceptions, e => e.Message == "item 1 failed");
        pool.RunPerWorker(1);
    }

    [Fact]
    public void RunPerWorker_MoreItemsThanWorkers_Throws()
    {
        using var pool = new WorkerPool(2, "test worker", (_, _) => { });

        Assert.Throws<ArgumentOutOfRangeException>(() => pool.RunPerWorker(3));
    }
}
