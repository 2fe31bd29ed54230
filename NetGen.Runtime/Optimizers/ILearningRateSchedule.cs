namespace NetGen
{
    /// <summary>A learning rate as a function of the step number.</summary>
    /// <remarks>
    /// The step counts from 0 in the caller's unit: the trainer calls it once per epoch, so step 0 is
    /// the first epoch. A schedule has no state, so asking twice for one step returns one value.
    /// </remarks>
    public interface ILearningRateSchedule
    {
        /// <summary>Returns the learning rate for step <paramref name="step"/>, counting from 0.</summary>
        /// <param name="step">Step number, at least 0.</param>
        /// <exception cref="System.ArgumentOutOfRangeException"><paramref name="step"/> is negative.</exception>
        float LearningRate(int step);
    }
}
