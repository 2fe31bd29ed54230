namespace NetGen
{
    /// <summary>A schedule that returns one learning rate at every step.</summary>
    public sealed class ConstantSchedule : ILearningRateSchedule
    {
        /// <summary>Creates the schedule.</summary>
        /// <param name="learningRate">Learning rate for every step, finite and at least 0.</param>
        /// <exception cref="System.ArgumentOutOfRangeException"><paramref name="learningRate"/> is negative, NaN or infinite.</exception>
        public ConstantSchedule(float learningRate)
        {
            OptimizerArguments.RequireFiniteNonNegative(learningRate, nameof(learningRate), "The learning rate");
            BaseLearningRate = learningRate;
        }

        /// <summary>Learning rate returned for every step.</summary>
        public float BaseLearningRate { get; }

        /// <inheritdoc/>
        public float LearningRate(int step)
        {
            OptimizerArguments.RequireAtLeast(step, 0, nameof(step), "The step number");
            return BaseLearningRate;
        }
    }
}
