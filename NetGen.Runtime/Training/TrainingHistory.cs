using System.Collections;
using System.Collections.Generic;

namespace NetGen
{
    /// <summary>Reports of the epochs that one <c>Fit</c> call ran, in order.</summary>
    public sealed class TrainingHistory : IReadOnlyList<EpochReport>
    {
        private readonly List<EpochReport> _epochs;

        /// <summary>
        /// Creates an empty history for a call of <paramref name="epochs"/> epochs. It reserves room
        /// for at most 1,024 of them, because a call with a huge count, to run until early stopping,
        /// must not reserve memory for every epoch it may never run.
        /// </summary>
        internal TrainingHistory(int epochs) => _epochs = new List<EpochReport>(System.Math.Min(epochs, 1024));

        /// <summary>Number of finished epochs.</summary>
        public int Count => _epochs.Count;

        /// <summary>Report of the epoch at <paramref name="index"/>, from 0.</summary>
        public EpochReport this[int index] => _epochs[index];

        /// <summary>
        /// Whether early stopping ended the <c>Fit</c> call before it had run every requested epoch.
        /// </summary>
        public bool StoppedEarly { get; internal set; }

        /// <summary>
        /// Number, from 1, of the last epoch whose validation loss improved on the best so far by
        /// more than <see cref="EarlyStopping.MinDelta"/>. The network ends with that epoch's
        /// parameters when <see cref="EarlyStopping.RestoreBestWeights"/> is set.
        /// <see langword="null"/> without early stopping or when no validation loss was a number.
        /// </summary>
        public int? BestEpoch { get; internal set; }

        /// <summary>Enumerates the reports in epoch order.</summary>
        public IEnumerator<EpochReport> GetEnumerator() => _epochs.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        /// <summary>Appends the report of a finished epoch.</summary>
        internal void Add(EpochReport report) => _epochs.Add(report);
    }
}
