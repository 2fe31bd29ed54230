using System;

namespace NetGen
{
    /// <summary>Metrics of one finished training epoch.</summary>
    /// <param name="Epoch">Number of the epoch within its <c>Fit</c> call, from 1.</param>
    /// <param name="Epochs">Number of epochs that the <c>Fit</c> call runs.</param>
    /// <param name="TrainingLoss">
    /// Mean loss per training sample, each batch's loss taken before its parameter update. For a
    /// loss that weighs samples (<see cref="ITrainableNetwork.WeighsSamples"/>) it is the mean
    /// weighted by their weights, as the loss itself defines it, and NaN when every training sample
    /// weighs 0.
    /// </param>
    /// <param name="TrainingAccuracy">
    /// Fraction of training samples classified correctly, each batch measured before its update;
    /// <see cref="double.NaN"/> for networks with one output.
    /// </param>
    /// <param name="ValidationLoss">
    /// Mean loss per validation sample after the epoch, weighted as <see cref="TrainingLoss"/> is;
    /// <see cref="double.NaN"/> without a validation set or when every validation sample weighs 0
    /// (early stopping never counts NaN as an improvement).
    /// </param>
    /// <param name="ValidationAccuracy">
    /// Validation accuracy after the epoch; <see cref="double.NaN"/> without a validation set or
    /// for networks with one output.
    /// </param>
    /// <param name="SamplesPerSecond">Training samples divided by <paramref name="TrainingTime"/>.</param>
    /// <param name="TrainingTime">
    /// Wall-clock time of the epoch's training batches, without validation.
    /// </param>
    /// <param name="Elapsed">Wall-clock time since the <c>Fit</c> call started, at the end of this epoch.</param>
    public readonly record struct EpochReport(
        int Epoch,
        int Epochs,
        double TrainingLoss,
        double TrainingAccuracy,
        double ValidationLoss,
        double ValidationAccuracy,
        double SamplesPerSecond,
        TimeSpan TrainingTime,
        TimeSpan Elapsed);
}
