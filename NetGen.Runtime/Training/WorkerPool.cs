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
    /// Each pool thread waits on its own <see cref="ManualResetEventSlim"/> and reports completion
    /// through one <see cref="CountdownEvent"/>. Both are reused for every phase, and the
    /// constructor makes them create their kernel handles and internal locks, so no phase allocates.
    /// </para>
    /// </remarks>
    internal sealed class WorkerPool : IDisposable
    {
        private readonly Action<int, int> _runItem;
        private readonly Thread[] _threads;
        private readonly ManualResetEventSlim[] _startSignals;
        private readonly CountdownEvent _finished = new(1);
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
            _threads = new Thread[threads - 1];
            _startSignals = new ManualResetEventSlim[threads - 1];
            for (int i = 0; i < _threads.Length; i++)
            {
                _startSignals[i] = new ManualResetEventSlim(false);

                // A slim event creates its kernel handle the first time a wait outlasts the spin.
                // Creating it here keeps that allocation out of the training steps.
                _ = _startSignals[i].WaitHandle;
                _threads[i] = new Thread(WorkerLoop)
                {
                    IsBackground = true,
                    Name = $"{threadName} {i + 1}",
                };
            }

            _ = _finished.WaitHandle;
            CreateLocks();
            for (int i = 0; i < _threads.Length; i++)
            {
                _threads[i].Start(i + 1);
            }
        }

        /// <summary>
        /// Makes every event create the lock object it allocates on the first wait that blocks,
        /// by waiting 1 ms on each while nothing can set it. Without this, the 24-byte lock of
        /// the first blocking wait lands in whichever training step first waits long enough,
        /// which happened on a loaded machine.
        /// </summary>
        private void CreateLocks()
        {
            foreach (ManualResetEventSlim signal in _startSignals)
            {
                _ = signal.Wait(1);
            }

            _ = _finished.Wait(1);
        }

        /// <summary>
        /// How long a thread polls an event before it blocks on it: 100 µs. In a training loop one
        /// phase follows the last within tens of microseconds. Two items of 200 µs with 20–100 µs
        /// between phases took 11–15 µs longer than one item when the pool thread blocked, and
        /// 4–9 µs longer when it polled (2-core KVM guest, Intel Xeon). For comparison, LLVM's
        /// OpenMP runtime lets a thread wait 200 ms (KMP_BLOCKTIME) before it sleeps.
        /// </summary>
        private static readonly long PollTicks = Stopwatch.Frequency / 10_000;

        /// <summary>Polls <paramref name="signal"/> for up to <see cref="PollTicks"/> if <paramref name="poll"/> is set, then blocks until it is set.</summary>
        /// <remarks>
        /// The poll yields the processor between two reads, so a poller that the scheduler put on
        /// the core of the thread with work gives way to it. With pause instructions instead, two
        /// threads trained 784 → 128 → 10 at batch 128 on a 2-core AMD Zen 4 guest in about 585 µs
        /// per step in half of the BenchmarkDotNet processes. The others took 320 µs.
        /// With the yield, three of four processes took 321–327 µs and the fourth a median of 326 µs.
        /// </remarks>
        private static void SpinThenWait(ManualResetEventSlim signal, bool poll)
        {
            long deadline = Stopwatch.GetTimestamp() + PollTicks;
            while (poll && !signal.IsSet && Stopwatch.GetTimestamp() < deadline)
            {
                Thread.Yield();
            }

            signal.Wait();
        }

        /// <summary>Polls <paramref name="countdown"/> for up to <see cref="PollTicks"/> if <paramref name="poll"/> is set, then blocks until it reaches zero.</summary>
        private static void SpinThenWait(CountdownEvent countdown, bool poll)
        {
            long deadline = Stopwatch.GetTimestamp() + PollTicks;
            while (poll && !countdown.IsSet && Stopwatch.GetTimestamp() < deadline)
            {
                Thread.Yield();
            }

            countdown.Wait();
        }

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
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_threads.Length == 0)
            {
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
            if (helpers > 0)
            {
                _finished.Reset(helpers);
                for (int i = 0; i < helpers; i++)
                {
                    _startSignals[i].Set();
                }
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
                SpinThenWait(_finished, _poll);
            }

            if (_failed)
            {
                ThrowFailure();
            }
        }

        /// <summary>Stops and joins the pool threads. Calling it again does nothing.</summary>
        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (ManualResetEventSlim signal in _startSignals)
            {
                signal.Set();
            }

            foreach (Thread thread in _threads)
            {
                thread.Join();
            }

            foreach (ManualResetEventSlim signal in _startSignals)
            {
                signal.Dispose();
            }

            _finished.Dispose();
        }

        private void WorkerLoop(object? state)
        {
            int worker = (int)state!;
            ManualResetEventSlim start = _startSignals[worker - 1];
            while (true)
            {
                SpinThenWait(start, _poll);
                start.Reset();
                if (_disposed)
                {
                    return;
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
                    _finished.Signal();
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
