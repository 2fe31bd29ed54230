namespace NetGen
{
    /// <summary>Mean loss and accuracy of a network over a data set.</summary>
    /// <param name="Loss">Mean loss per sample, computed with the network's <see cref="ITrainableNetwork.Loss"/>; for a loss that weighs samples, the mean weighted by their weights (NaN when they all weigh 0).</param>
    /// <param name="Accuracy">
    /// Fraction of samples whose largest output is at the index of the label (or, without labels,
    /// of the largest target), in [0, 1]. <see cref="double.NaN"/> for networks with one output,
    /// where an argmax carries no meaning.
    /// </param>
    /// <param name="Count">Number of samples evaluated.</param>
    public readonly record struct EvaluationResult(double Loss, double Accuracy, int Count);
}
