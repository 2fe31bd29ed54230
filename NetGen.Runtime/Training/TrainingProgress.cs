namespace NetGen
{
    /// <summary>
    /// Progress of a <c>Fit</c> call: sent during an epoch after some batches, and once at the end
    /// of every epoch with <see cref="CompletedEpoch"/> set.
    /// </summary>
    /// <param name="Epoch">Current epoch within the <c>Fit</c> call, from 1.</param>
    /// <param name="Epochs">Number of epochs that the <c>Fit</c> call runs.</param>
    /// <param name="Batch">Number of batches of the current epoch finished so far, from 1.</param>
    /// <param name="BatchesPerEpoch">Number of batches in every epoch, the last partial one included.</param>
    /// <param name="Loss">Mean training loss per sample over the finished batches of this epoch, weighted as <see cref="EpochReport.TrainingLoss"/> is; NaN while every sample so far weighs 0.</param>
    /// <param name="CompletedEpoch">
    /// The report of the epoch when it has just ended, after validation; <see langword="null"/> in
    /// reports sent during the epoch.
    /// </param>
    public readonly record struct TrainingProgress(
        int Epoch,
        int Epochs,
        int Batch,
        int BatchesPerEpoch,
        double Loss,
        EpochReport? CompletedEpoch)
    {
        /// <summary>Finished share of all batches of the <c>Fit</c> call, in [0, 1], for a progress bar.</summary>
        public double FractionComplete =>
            ((Epoch - 1) * (double)BatchesPerEpoch + Batch) / ((double)Epochs * BatchesPerEpoch);
    }
}
