using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;

namespace NetGen
{
    /// <summary>
    /// Persistent background threads that, together with the calling thread, run the numbered
    /// items of one phase and return when all are done, without allocating.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Worker index 0 is the thread that calls <see cref="Run"/>; indices 1 … threads − 1 are the
    /// pool's own threads, created once by the constructor. Threads take items in increasing order
    /// from a shared counter, so which thread runs an item varies between runs: callers must make
    /// an item's result independent of the worker that computes it.
    /// </para>
    /// <para>
    /// The calling thread starts a phase by raising a phase number that the pool threads poll,
    /// and the pool threads report completion by counting down a counter that the calling
    /// thread polls. A thread that has polled for <see cref="PollTicks"/> blocks on a monitor
    /// instead. Slim events, with the kernel events created up front to keep the phases free of
    /// allocation, took 2–2.5 µs more per phase than these fields. That was on a 2-core KVM
    /// guest (Intel Xeon) with an item of 1.5 µs on each of two threads. A shared training step
    /// runs four phases.
    /// </para>
    /// </remarks>
    internal sealed class WorkerPool : IDisposable
    {
        private readonly Action<int, int> _runItem;
        private readonly Thread[] _threads;

        // The phase that the calling thread started last, and the last phase assigned to each pool
        // thread. Then the pool threads still running the current phase, and the threads that
        // block until one of these fields changes.
        private int _phase;
        private readonly int[] _assigned;
        private int _running;
        private int _sleepers;
        private readonly object _gate = new();
        private readonly Exception?[] _errors;
        private readonly long[] _allocatedBytes;

        // Whether waiting threads poll before they block: only when every worker has a processor
        // of its own. Otherwise a polling thread takes the processor from one that has work, and
        // with 16 workers on 2 cores training ran 56 % slower.
        private readonly bool _poll;

        private int _itemCount;
        private int _nextItem;
        private bool _perWorker; // the current phase runs item w on worker w where it can
        private readonly int[] _claims; // per item of such a phase: 1 once a worker has taken it
        private volatile bool _failed;
        private volatile bool _disposed;

        /// <summary>Starts <paramref name="threads"/> − 1 background threads that wait for work.</summary>
        /// <param name="threads">Total number of workers, the calling thread included; at least 1.</param>
        /// <param name="threadName">Name of the pool threads, followed by each thread's index.</param>
        /// <param name="runItem">
        /// Runs one item: receives the item index and the index of the worker running it. It is
        /// called from several threads at once, on different items.
        /// </param>
        public WorkerPool(int threads, string threadName, Action<int, int> runItem)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
            ArgumentNullException.ThrowIfNull(runItem);

            _runItem = runItem;
            _poll = threads <= Environment.ProcessorCount;
            _errors = new Exception?[threads];
            _allocatedBytes = new long[threads];
            _claims = new int[threads];
            _assigned = new int[threads];
            _threads = new Thread[threads - 1];
            for (int i = 0; i < _threads.Length; i++)
            {
                _threads[i] = new Thread(WorkerLoop)
                {
                    IsBackground = true,
                    Name = $"{threadName} {i + 1}",
                };
                _threads[i].Start(i + 1);
            }

            WarmUpBlockingWait();
        }

        /// <summary>
        /// Blocks on the monitor once for 1 ms while nothing can pulse it. Under NativeAOT the
        /// first blocking wait allocated 168 bytes on the calling thread, which would otherwise land
        /// in whichever training step first waits for longer than the poll. Each pool thread calls
        /// it when it starts, and the constructor on the thread that creates the pool.
        /// </summary>
        private void WarmUpBlockingWait()
        {
            lock (_gate)
            {
                _ = Monitor.Wait(_gate, 1);
            }
        }

        /// <summary>
        /// How long a thread polls a field before it blocks on the monitor: 100 µs. In a training loop one
        /// phase follows the last within tens of microseconds. Two items of 200 µs with 20–100 µs
        /// between phases took 11–15 µs longer than one item when the pool thread blocked, and
        /// 4–9 µs longer when it polled (2-core KVM guest, Intel Xeon). For comparison, LLVM's
        /// OpenMP runtime lets a thread wait 200 ms (KMP_BLOCKTIME) before it sleeps.
        /// </summary>
        private static readonly long PollTicks = Stopwatch.Frequency / 10_000;

        /// <summary>
        /// Returns once <paramref name="field"/> differs from <paramref name="value"/>, or equals
        /// it when <paramref name="untilEqual"/> is set. Polls for up to <see cref="PollTicks"/>
        /// if <paramref name="poll"/> is set, then blocks until <see cref="Notify"/> wakes it.
        /// </summary>
        /// <remarks>
        /// The poll yields the processor between two reads, so a poller that the scheduler put on
        /// the core of the thread with work gives way to it. With pause instructions instead, two
        /// threads trained 784 → 128 → 10 at batch 128 on a 2-core AMD Zen 4 guest in about 585 µs
        /// per step in half of the BenchmarkDotNet processes. The others took 320 µs.
        /// With the yield, three of four processes took 321–327 µs and the fourth a median of 326 µs.
        /// </remarks>
        private void WaitFor(ref int field, int value, bool untilEqual, bool poll)
        {
            long deadline = Stopwatch.GetTimestamp() + PollTicks;
            while (poll && (Volatile.Read(ref field) == value) != untilEqual && Stopwatch.GetTimestamp() < deadline)
            {
                Thread.Yield();
            }

            if ((Volatile.Read(ref field) == value) == untilEqual)
            {
                return;
            }

            lock (_gate)
            {
                // The increment is a full fence before the read below, and Notify fences between
                // its write and its read of _sleepers. So either this thread reads the new value,
                // or Notify counts the sleeper and pulses once this thread waits.
                Interlocked.Increment(ref _sleepers);
                while ((Volatile.Read(ref field) == value) != untilEqual)
                {
                    Monitor.Wait(_gate);
                }

                Interlocked.Decrement(ref _sleepers);
            }
        }

        /// <summary>Wakes the threads that block in <see cref="WaitFor"/>; call it after changing a field they wait on.</summary>
        private void Notify()
        {
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref _sleepers) > 0)
            {
                lock (_gate)
                {
                    Monitor.PulseAll(_gate);
                }
            }
        }

        /// <summary>Runs on a pool thread, with its index, right after it reads a phase number; tests widen race windows with it.</summary>
        internal Action<int>? AfterPhaseRead { get; set; }

        /// <summary>Total number of workers, the calling thread included.</summary>
        public int Threads => _errors.Length;

        /// <summary>
        /// Sum over the pool threads of the bytes each had allocated when it last finished a phase,
        /// for tests that check that phases allocate nothing.
        /// </summary>
        internal long PoolThreadAllocatedBytes
        {
            get
            {
                long total = 0;
                for (int i = 1; i < _allocatedBytes.Length; i++)
                {
                    total += Volatile.Read(ref _allocatedBytes[i]);
                }

                return total;
            }
        }

        /// <summary>
        /// Runs items 0 … <paramref name="itemCount"/> − 1 on the calling thread and on up to
        /// <paramref name="itemCount"/> − 1 pool threads, and returns when every item has finished.
        /// </summary>
        /// <exception cref="AggregateException">
        /// The pool has threads of its own and an item threw; the inner exceptions are the
        /// original ones, in worker order. A pool of one worker lets exceptions pass unchanged.
        /// </exception>
        public void Run(int itemCount) => Start(itemCount, perWorker: false);

        /// <summary>
        /// Runs items 0 … <paramref name="workers"/> − 1, item w on worker w where it can, and
        /// returns when every item has finished. Unlike <see cref="Run"/>, an item runs on the
        /// same thread from one phase to the next, so it finds in that thread's cache what it left
        /// there before. A worker that has finished its own item takes any item that no worker has
        /// started yet, so a thread that the system keeps waiting delays the phase by no more
        /// than its wake-up.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="workers"/> is negative or exceeds <see cref="Threads"/>.</exception>
        /// <exception cref="AggregateException">An item threw, as for <see cref="Run"/>.</exception>
        public void RunPerWorker(int workers)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(workers);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(workers, Threads);
            Start(workers, perWorker: true);
        }

        private void Start(int itemCount, bool perWorker)
        {
            if (_threads.Length == 0)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                for (int item = 0; item < itemCount; item++)
                {
                    _runItem(item, 0);
                }

                return;
            }

            _itemCount = itemCount;
            _nextItem = 0;
            _perWorker = perWorker;
            if (perWorker)
            {
                Array.Clear(_claims, 0, itemCount);
            }

            _failed = false;

            // The calling thread takes items too, so itemCount − 1 pool threads already give every item a thread.
            int helpers = Math.Min(_threads.Length, itemCount - 1);
            lock (_gate)
            {
                // Dispose sets the flag under this lock, so no phase starts after it.
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (helpers > 0)
                {
                    _running = helpers;
                    for (int worker = 1; worker <= helpers; worker++)
                    {
                        _assigned[worker] = _phase + 1;
                    }

                    Interlocked.Increment(ref _phase);
                }
            }

            if (helpers > 0)
            {
                Notify();
            }

            try
            {
                RunItems(0);
            }
            catch (Exception error)
            {
                _errors[0] = error;
                _failed = true;
            }

            if (helpers > 0)
            {
                WaitFor(ref _running, 0, untilEqual: true, _poll);
            }

            if (_failed)
            {
                ThrowFailure();
            }
        }

        /// <summary>
        /// Stops and joins the pool threads. A phase that another thread started first runs to its
        /// end, and later calls of <see cref="Run"/> throw <see cref="ObjectDisposedException"/>.
        /// Calling it again does nothing.
        /// </summary>
        /// <exception cref="InvalidOperationException">An item running on a pool thread called it; that thread would wait for itself.</exception>
        public void Dispose()
        {
            if (Array.IndexOf(_threads, Thread.CurrentThread) >= 0)
            {
                throw new InvalidOperationException(
                    "A pool thread called Dispose from an item of a phase, which would wait for that item to finish. Dispose the pool from the thread that runs its phases or from another thread.");
            }

            lock (_gate)
            {
                if (_disposed)
                {
                    return;
                }

                _disposed = true;
            }

            // The pool threads finish the phase in progress before they see the next number.
            WaitFor(ref _running, 0, untilEqual: true, _poll);
            Interlocked.Increment(ref _phase);
            Notify();
            foreach (Thread thread in _threads)
            {
                thread.Join();
            }
        }

        private void WorkerLoop(object? state)
        {
            int worker = (int)state!;
            int seen = 0;
            WarmUpBlockingWait();
            while (true)
            {
                WaitFor(ref _phase, seen, untilEqual: false, _poll);
                seen = Volatile.Read(ref _phase);
                AfterPhaseRead?.Invoke(worker);

                // A phase with fewer items than workers leaves the last pool threads out. A thread
                // that read the number of a phase it was left out of skips it even if it reads the
                // assignment of the next one, which the calling thread writes before its number.
                if (Volatile.Read(ref _assigned[worker]) != seen)
                {
                    // After Dispose no phase starts. A thread stops once no phase newer than the one
                    // it read has started, because such a phase may be assigned to it and Dispose
                    // waits for it to finish.
                    if (_disposed && Volatile.Read(ref _phase) == seen)
                    {
                        return;
                    }

                    continue;
                }

                try
                {
                    RunItems(worker);
                }
                catch (Exception error)
                {
                    // The calling thread rethrows it from Run once every worker has finished.
                    _errors[worker] = error;
                    _failed = true;
                }
                finally
                {
                    Volatile.Write(ref _allocatedBytes[worker], GC.GetAllocatedBytesForCurrentThread());
                    if (Interlocked.Decrement(ref _running) == 0)
                    {
                        Notify();
                    }
                }
            }
        }

        private void RunItems(int worker)
        {
            if (_perWorker)
            {
                if (worker < _itemCount)
                {
                    RunUnclaimed(worker, worker);
                }

                for (int item = 0; item < _itemCount && !_failed; item++)
                {
                    RunUnclaimed(item, worker);
                }

                return;
            }

            // After a failure the remaining items are skipped, because the phase's result is discarded.
            while (!_failed)
            {
                int item = Interlocked.Increment(ref _nextItem) - 1;
                if (item >= _itemCount)
                {
                    return;
                }

                _runItem(item, worker);
            }
        }

        /// <summary>Runs <paramref name="item"/> on <paramref name="worker"/> unless another worker has claimed it.</summary>
        private void RunUnclaimed(int item, int worker)
        {
            if (Interlocked.Exchange(ref _claims[item], 1) == 0)
            {
                _runItem(item, worker);
            }
        }

        private void ThrowFailure()
        {
            var errors = new List<Exception>();
            for (int i = 0; i < _errors.Length; i++)
            {
                if (_errors[i] is Exception error)
                {
                    errors.Add(error);
                    _errors[i] = null;
                }
            }

            throw new AggregateException(
                $"Training on {Threads} threads failed while processing a batch. The inner exceptions are the original errors, and the parameters keep the updates of the batches finished before.",
                errors);
        }
    }
}
