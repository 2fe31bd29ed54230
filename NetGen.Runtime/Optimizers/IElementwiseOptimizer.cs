using System;

namespace NetGen
{
    /// <summary>
    /// An optimizer whose update of each parameter reads only that parameter, its gradient and its
    /// own state, so one step can be split into ranges of parameters that several threads update
    /// at once. <see cref="Trainer{TNetwork}"/> spreads the step of such an optimizer over its threads.
    /// </summary>
    /// <remarks>
    /// One step is a call of <see cref="BeginStep"/> followed by <see cref="StepRange"/> calls whose
    /// ranges cover every parameter exactly once, in any order and from any threads. The parameters
    /// and the state then hold the same bits as after one <see cref="IOptimizer.Step"/> call. The
    /// optimizer does not check the coverage: a range left out keeps its old values. An
    /// optimizer that needs the whole gradient for any one update, such as one that clips the
    /// gradient's norm, does not implement this interface.
    /// </remarks>
    public interface IElementwiseOptimizer : IOptimizer
    {
        /// <summary>
        /// Starts a step over <paramref name="parameterCount"/> parameters: checks the count against
        /// the state, allocates the state on the first step and advances the step count.
        /// </summary>
        /// <remarks>
        /// Every call starts a new step, and its ranges use the learning rate of that moment. A
        /// step whose ranges are never stepped still counts: it advances the step count of Adam's
        /// and AdamW's bias correction and of AdaGrad's learning-rate decay. Sgd's first step,
        /// which sets the momentum buffer to the gradient, stays pending until a range that is not
        /// empty has been stepped.
        /// </remarks>
        /// <param name="parameterCount">Number of parameters that the step's ranges cover.</param>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="parameterCount"/> is negative.</exception>
        /// <exception cref="ArgumentException">The state was allocated for another number of parameters.</exception>
        void BeginStep(int parameterCount);

        /// <summary>
        /// Updates the parameters <paramref name="start"/> … <paramref name="start"/> + length − 1 of
        /// the step that <see cref="BeginStep"/> started. Calls on ranges that do not overlap may run
        /// on several threads at once.
        /// </summary>
        /// <param name="start">Index of the first parameter of the range in the whole parameter set.</param>
        /// <param name="parameters">The range's parameters, updated in place.</param>
        /// <param name="gradients">The range's gradients, as many as <paramref name="parameters"/>.</param>
        /// <exception cref="InvalidOperationException">No step has begun since the optimizer was created or reset.</exception>
        /// <exception cref="ArgumentException">The spans differ in length, or the range ends past the parameter count of the step.</exception>
        void StepRange(int start, Span<float> parameters, ReadOnlySpan<float> gradients);
    }
}
