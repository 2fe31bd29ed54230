using System.Collections;
using System.Collections.Generic;

namespace NetGen
{
    /// <summary>Reports of the epochs that one <c>Fit</c> call ran, in order.</summary>
    public sealed class TrainingHistory : IReadOnlyList<EpochReport>
    {
        private readonly List<EpochReport> _epochs;

        /// <summary>Creates an empty history with room for <paramref name="capacity"/> epochs.</summary>
        internal TrainingHistory(int capacity) => _epochs = new List<EpochReport>(capacity);

        /// <summary>Number of finished epochs.</summary>
        public int Count => _epochs.Count;

        /// <summary>Report of the epoch at <paramref name="index"/>, from 0.</summary>
        public EpochReport this[int index] => _epochs[index];

        /// <summary>Enumerates the reports in epoch order.</summary>
        public IEnumerator<EpochReport> GetEnumerator() => _epochs.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        /// <summary>Appends the report of a finished epoch.</summary>
        internal void Add(EpochReport report) => _epochs.Add(report);
    }
}
