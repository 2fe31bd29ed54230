using System;

namespace NetGen
{
    /// <summary>
    /// A schedule with an optional linear warm-up followed by cosine annealing from the base
    /// learning rate down to a minimum, in the closed form of torch.optim.lr_scheduler.CosineAnnealingLR.
    /// </summary>
    /// <remarks>
    /// With w warm-up steps and T = totalSteps − w annealing steps:
    /// <code>
    /// step &lt; w:                lr = baseLr·(step + 1) / w
    /// w ≤ step &lt; totalSteps:   lr = minLr + (baseLr − minLr)·(1 + cos(π·(step − w) / T)) / 2
    /// step ≥ totalSteps:        lr = minLr
    /// </code>
    /// The warm-up reaches baseLr on its last step (w − 1), and the cosine starts at baseLr on step w.
    /// Without warm-up, step 0 returns baseLr and step totalSteps − 1 returns a value just above minLr.
    /// Past totalSteps the schedule stays at minLr, whereas torch's closed form would rise again
    /// along the cosine. The value is computed in double and rounded to float once.
    /// </remarks>
    public sealed class CosineDecay : ILearningRateSchedule
    {
        /// <summary>Creates the schedule and checks its arguments.</summary>
        /// <param name="baseLearningRate">Peak learning rate, finite and at least 0.</param>
        /// <param name="totalSteps">Number of steps, warm-up included, after which the rate stays at <paramref name="minLearningRate"/>. Greater than <paramref name="warmupSteps"/>.</param>
        /// <param name="minLearningRate">Final learning rate, finite, at least 0 and at most <paramref name="baseLearningRate"/>.</param>
        /// <param name="warmupSteps">Number of linear warm-up steps at the start, at least 0.</param>
        /// <exception cref="ArgumentOutOfRangeException">An argument is NaN, infinite or out of range.</exception>
        public CosineDecay(float baseLearningRate, int totalSteps, float minLearningRate = 0, int warmupSteps = 0)
        {
            OptimizerArguments.RequireFiniteNonNegative(baseLearningRate, nameof(baseLearningRate), "The base learning rate");
            OptimizerArguments.RequireFiniteNonNegative(minLearningRate, nameof(minLearningRate), "The minimum learning rate");
            if (minLearningRate > baseLearningRate)
            {
                throw new ArgumentOutOfRangeException(nameof(minLearningRate), minLearningRate,
                    $"The minimum learning rate must not exceed the base learning rate ({baseLearningRate}). Lower minLearningRate or raise baseLearningRate.");
            }

            OptimizerArguments.RequireAtLeast(warmupSteps, 0, nameof(warmupSteps), "The number of warm-up steps");
            if (totalSteps <= warmupSteps)
            {
                throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps,
                    $"The total number of steps must be greater than the number of warm-up steps ({warmupSteps}), so that at least one annealing step remains.");
            }

            BaseLearningRate = baseLearningRate;
            TotalSteps = totalSteps;
            MinLearningRate = minLearningRate;
            WarmupSteps = warmupSteps;
        }

        /// <summary>Peak learning rate, reached at the end of the warm-up.</summary>
        public float BaseLearningRate { get; }

        /// <summary>Number of steps, warm-up included, after which the rate stays at <see cref="MinLearningRate"/>.</summary>
        public int TotalSteps { get; }

        /// <summary>Final learning rate.</summary>
        public float MinLearningRate { get; }

        /// <summary>Number of linear warm-up steps at the start.</summary>
        public int WarmupSteps { get; }

        /// <inheritdoc/>
        public float LearningRate(int step)
        {
            OptimizerArguments.RequireAtLeast(step, 0, nameof(step), "The step number");

            if (step < WarmupSteps)
            {
                return (float)((double)BaseLearningRate * (step + 1) / WarmupSteps);
            }

            if (step >= TotalSteps)
            {
                return MinLearningRate;
            }

            double progress = (double)(step - WarmupSteps) / (TotalSteps - WarmupSteps);
            return (float)(MinLearningRate + (BaseLearningRate - (double)MinLearningRate) * (1 + Math.Cos(Math.PI * progress)) / 2);
        }
    }
}
