using System;

namespace NetGen.Sparse
{
    /// <summary>
    /// The gradual pruning schedule of Zhu and Gupta, "To prune, or not to prune: exploring the
    /// efficacy of pruning for model compression" (2017, arXiv:1710.01878): sparsity rises from
    /// s_i to s_f over n pruning steps spaced Δt training steps apart, starting at step t0, as
    /// <c>s_t = s_f + (s_i − s_f)(1 − (t − t0)/(nΔt))³</c>.
    /// </summary>
    /// <remarks>
    /// The cubic prunes fast at first, while many redundant weights remain, and slowly near the
    /// end. The mask is recomputed only at pruning steps t = t0 + kΔt, k = 0 … n, so between them
    /// <see cref="SparsityAt"/> stays at the value of the last pruning step. Before t0 it returns
    /// s_i, and from t0 + nΔt on it returns s_f.
    /// </remarks>
    public sealed class GradualPruningSchedule
    {
        /// <summary>Creates a schedule.</summary>
        /// <param name="initialSparsity">s_i, the sparsity at step t0, in [0, 1]; usually 0.</param>
        /// <param name="finalSparsity">s_f, the sparsity from step t0 + nΔt on, in [s_i, 1].</param>
        /// <param name="startStep">t0, the first pruning step, zero or positive.</param>
        /// <param name="pruningSteps">n, the number of pruning steps after t0, at least 1.</param>
        /// <param name="stepsBetweenPruning">Δt, training steps between two pruning steps, at least 1.</param>
        /// <exception cref="ArgumentOutOfRangeException">An argument is outside the range given for it.</exception>
        public GradualPruningSchedule(double initialSparsity, double finalSparsity, long startStep, int pruningSteps, long stepsBetweenPruning)
        {
            MagnitudePruning.RequireSparsity(initialSparsity, nameof(initialSparsity));
            MagnitudePruning.RequireSparsity(finalSparsity, nameof(finalSparsity));
            if (finalSparsity < initialSparsity)
            {
                throw new ArgumentOutOfRangeException(nameof(finalSparsity), finalSparsity, $"The final sparsity must be at least the initial sparsity {initialSparsity}, because pruned weights stay pruned.");
            }

            ArgumentRules.RequireAtLeast(startStep, 0, "Pass the optimizer step at which pruning starts, 0 to start at once.");
            ArgumentRules.RequireAtLeast(pruningSteps, 1, "Pass how many times to prune, at least once.");
            ArgumentRules.RequireAtLeast(stepsBetweenPruning, 1, "Pass the number of optimizer steps between two prunings, 1 to prune after every step.");

            InitialSparsity = initialSparsity;
            FinalSparsity = finalSparsity;
            StartStep = startStep;
            PruningSteps = pruningSteps;
            StepsBetweenPruning = stepsBetweenPruning;
        }

        /// <summary>s_i, the sparsity at the start step.</summary>
        public double InitialSparsity { get; }

        /// <summary>s_f, the sparsity reached at <see cref="EndStep"/>.</summary>
        public double FinalSparsity { get; }

        /// <summary>t0, the first pruning step.</summary>
        public long StartStep { get; }

        /// <summary>n, the number of pruning steps after <see cref="StartStep"/>.</summary>
        public int PruningSteps { get; }

        /// <summary>Δt, training steps between two pruning steps.</summary>
        public long StepsBetweenPruning { get; }

        /// <summary>t0 + nΔt, the last pruning step, where the sparsity reaches <see cref="FinalSparsity"/>.</summary>
        public long EndStep => StartStep + PruningSteps * StepsBetweenPruning;

        /// <summary>Returns whether the mask should be recomputed at <paramref name="step"/>: t0 + kΔt for k = 0 … n.</summary>
        /// <param name="step">The training step.</param>
        /// <returns><see langword="true"/> at a pruning step.</returns>
        public bool IsPruningStep(long step) =>
            step >= StartStep && step <= EndStep && (step - StartStep) % StepsBetweenPruning == 0;

        /// <summary>Returns the target sparsity at <paramref name="step"/>: the schedule's value at the last pruning step at or before it.</summary>
        /// <param name="step">The training step.</param>
        /// <returns>The target sparsity, in [s_i, s_f].</returns>
        public double SparsityAt(long step)
        {
            if (step <= StartStep)
            {
                return InitialSparsity;
            }

            if (step >= EndStep)
            {
                return FinalSparsity;
            }

            long completedIntervals = (step - StartStep) / StepsBetweenPruning;
            double progress = (double)completedIntervals / PruningSteps;
            double remaining = 1.0 - progress;
            return FinalSparsity + (InitialSparsity - FinalSparsity) * remaining * remaining * remaining;
        }
    }
}
