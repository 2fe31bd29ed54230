using System;

namespace NetGen
{
    /// <summary>
    /// A schedule that multiplies the learning rate by γ every step, as
    /// torch.optim.lr_scheduler.ExponentialLR does.
    /// </summary>
    /// <remarks>lr(step) = baseLr·γ^step, computed in double and rounded to float once.</remarks>
    public sealed class ExponentialDecay : ILearningRateSchedule
    {
        /// <summary>Creates the schedule and checks its arguments.</summary>
        /// <param name="baseLearningRate">Learning rate of step 0, finite and at least 0.</param>
        /// <param name="gamma">Factor γ applied at each step, finite and greater than 0.</param>
        /// <exception cref="ArgumentOutOfRangeException">An argument is NaN, infinite or out of range.</exception>
        public ExponentialDecay(float baseLearningRate, float gamma)
        {
            OptimizerArguments.RequireFiniteNonNegative(baseLearningRate, nameof(baseLearningRate), "The base learning rate");
            OptimizerArguments.RequireFinitePositive(gamma, nameof(gamma), "The decay factor gamma");

            BaseLearningRate = baseLearningRate;
            Gamma = gamma;
        }

        /// <summary>Learning rate of step 0.</summary>
        public float BaseLearningRate { get; }

        /// <summary>Factor γ applied at each step.</summary>
        public float Gamma { get; }

        /// <inheritdoc/>
        public float LearningRate(int step)
        {
            OptimizerArguments.RequireAtLeast(step, 0, nameof(step), "The step number");
            return (float)(BaseLearningRate * Math.Pow(Gamma, step));
        }
    }
}
