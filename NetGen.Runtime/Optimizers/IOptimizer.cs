using System;

namespace NetGen
{
    /// <summary>An update rule that moves parameters against their gradients.</summary>
    public interface IOptimizer
    {
        /// <summary>Step size of the next update.</summary>
        float LearningRate { get; set; }

        /// <summary>
        /// Updates <paramref name="parameters"/> in place from <paramref name="gradients"/> of the
        /// same length. State (momentum, moments) is allocated on the first call and reused; a
        /// later call with another length throws <see cref="ArgumentException"/>.
        /// </summary>
        void Step(Span<float> parameters, ReadOnlySpan<float> gradients);

        /// <summary>Clears the state, as if no step had been taken.</summary>
        void Reset();
    }
}
