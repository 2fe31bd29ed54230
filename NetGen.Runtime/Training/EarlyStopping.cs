using System;

namespace NetGen
{
    /// <summary>
    /// Settings that stop <c>Fit</c> once the validation loss has stopped improving.
    /// </summary>
    /// <remarks>
    /// An epoch improves when its validation loss is below the best loss so far by more than
    /// <see cref="MinDelta"/>; the first epoch with a finite validation loss always improves,
    /// and a NaN loss never does. Training stops after <see cref="Patience"/> epochs in a row
    /// without improvement.
    /// </remarks>
    public sealed class EarlyStopping
    {
        /// <summary>Creates early-stopping settings.</summary>
        /// <param name="patience">Epochs in a row without improvement after which training stops; at least 1.</param>
        /// <param name="minDelta">
        /// Amount by which the validation loss must fall below the best so far to count as an
        /// improvement; finite and at least 0.
        /// </param>
        /// <param name="restoreBestWeights">
        /// Whether <c>Fit</c> ends by copying back the parameters of the best epoch, whether it
        /// stopped early or ran every epoch.
        /// </param>
        public EarlyStopping(int patience, float minDelta = 0, bool restoreBestWeights = true)
        {
            if (patience < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(patience), patience,
                    "The patience must be at least 1 epoch.");
            }

            if (!float.IsFinite(minDelta) || minDelta < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(minDelta), minDelta,
                    "The minimum improvement must be a finite number of at least 0; pass 0 to count any decrease.");
            }

            Patience = patience;
            MinDelta = minDelta;
            RestoreBestWeights = restoreBestWeights;
        }

        /// <summary>Epochs in a row without improvement after which training stops.</summary>
        public int Patience { get; }

        /// <summary>Amount by which the validation loss must fall below the best so far to count as an improvement.</summary>
        public float MinDelta { get; }

        /// <summary>
        /// Whether <c>Fit</c> ends with the parameters of the best epoch, and with the running
        /// statistics of its batch-norm layers (the network's <see cref="INetwork.Buffers"/>).
        /// </summary>
        /// <remarks>
        /// NOTE: the optimizer keeps the state (momentum, moments) of the last epoch run.
        /// </remarks>
        public bool RestoreBestWeights { get; }
    }

    /// <summary>The running state of <see cref="EarlyStopping"/> during one <c>Fit</c> call.</summary>
    internal struct EarlyStoppingMonitor
    {
        private readonly EarlyStopping? _settings;
        private double _bestLoss;
        private int _epochsWithoutImprovement;

        /// <summary>Starts monitoring; with <see langword="null"/> settings the monitor never stops training.</summary>
        public EarlyStoppingMonitor(EarlyStopping? settings)
        {
            _settings = settings;
            _bestLoss = double.PositiveInfinity;
        }

        /// <summary>Whether the best epoch's parameters must be kept and restored.</summary>
        public readonly bool RestoresBestParameters => _settings?.RestoreBestWeights == true;

        /// <summary>Number, from 1, of the last epoch that improved; <see langword="null"/> before one has.</summary>
        public int? BestEpoch { get; private set; }

        /// <summary>
        /// Records an epoch's validation loss. Returns whether it improved on the best so far, and
        /// sets <paramref name="stop"/> when <see cref="EarlyStopping.Patience"/> epochs in a row
        /// have not.
        /// </summary>
        public bool Observe(int epoch, double validationLoss, out bool stop)
        {
            stop = false;
            if (_settings is null)
            {
                return false;
            }

            // The comparison is false for NaN, so a NaN loss never improves.
            if (validationLoss < _bestLoss - _settings.MinDelta)
            {
                _bestLoss = validationLoss;
                _epochsWithoutImprovement = 0;
                BestEpoch = epoch;
                return true;
            }

            _epochsWithoutImprovement++;
            stop = _epochsWithoutImprovement >= _settings.Patience;
            return false;
        }
    }
}
