using System;

namespace NetGen
{
    /// <summary>
    /// A schedule that multiplies the learning rate by γ every <see cref="StepSize"/> steps, as
    /// torch.optim.lr_scheduler.StepLR does.
    /// </summary>
    /// <remarks>lr(step) = baseLr·γ^⌊step / stepSize⌋, computed in double and rounded to float once.</remarks>
    public sealed class StepDecay : ILearningRateSchedule
    {
        /// <summary>Creates the schedule and checks its arguments.</summary>
        /// <param name="baseLearningRate">Learning rate of steps 0 to stepSize − 1, finite and at least 0.</param>
        /// <param name="stepSize">Number of steps between two decays, at least 1.</param>
        /// <param name="gamma">Factor γ applied at each decay, finite and greater than 0.</param>
        /// <exception cref="ArgumentOutOfRangeException">An argument is NaN, infinite or out of range.</exception>
        public StepDecay(float baseLearningRate, int stepSize, float gamma = 0.1f)
        {
            OptimizerArguments.RequireFiniteNonNegative(baseLearningRate, nameof(baseLearningRate), "The base learning rate");
            OptimizerArguments.RequireAtLeast(stepSize, 1, nameof(stepSize), "The step size");
            OptimizerArguments.RequireFinitePositive(gamma, nameof(gamma), "The decay factor gamma");

            BaseLearningRate = baseLearningRate;
            StepSize = stepSize;
            Gamma = gamma;
        }

        /// <summary>Learning rate of steps 0 to <see cref="StepSize"/> − 1.</summary>
        public float BaseLearningRate { get; }

        /// <summary>Number of steps between two decays.</summary>
        public int StepSize { get; }

        /// <summary>Factor γ applied at each decay.</summary>
        public float Gamma { get; }

        /// <inheritdoc/>
        public float LearningRate(int step)
        {
            OptimizerArguments.RequireAtLeast(step, 0, nameof(step), "The step number");
            return (float)(BaseLearningRate * Math.Pow(Gamma, step / StepSize));
        }
    }
}
