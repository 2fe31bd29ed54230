using System;

namespace NetGen
{
    /// <summary>
    /// An optimizer that clips the gradients before passing them to another optimizer.
    /// </summary>
    /// <remarks>
    /// Each step copies the gradients into a buffer that is allocated on the first step, clips the
    /// copy and calls the inner optimizer's Step with it, so the caller's gradients stay unchanged.
    /// When both limits are set, the norm clipping (<see cref="GradientClipping.ClipByGlobalNorm"/>)
    /// runs first and the value clipping (<see cref="GradientClipping.ClipByValue"/>) second. Both
    /// only shrink gradients, so the result meets both limits. A non-finite gradient norm raises no
    /// error and turns the clipped gradients into NaN, as torch.nn.utils.clip_grad_norm_ does by
    /// default. Check <see cref="LastNorm"/> to detect it. Instances are not thread-safe.
    /// </remarks>
    public sealed class ClippedOptimizer : IOptimizer
    {
        // Clipped copy of the gradients, allocated on the first step.
        private float[] _clipped = Array.Empty<float>();

        // Parameter count fixed by the first step, or -1 before it.
        private int _length = -1;

        /// <summary>Wraps <paramref name="inner"/> and checks the limits.</summary>
        /// <param name="inner">Optimizer that receives the clipped gradients.</param>
        /// <param name="maxNorm">Largest global L2 norm of the gradients, finite and greater than 0, or null to skip norm clipping.</param>
        /// <param name="maxValue">Largest absolute value of each gradient, finite and greater than 0, or null to skip value clipping.</param>
        /// <exception cref="ArgumentNullException"><paramref name="inner"/> is null.</exception>
        /// <exception cref="ArgumentOutOfRangeException">A limit is NaN, infinite or not positive.</exception>
        /// <exception cref="ArgumentException">Both limits are null.</exception>
        public ClippedOptimizer(IOptimizer inner, float? maxNorm = null, float? maxValue = null)
        {
            ArgumentNullException.ThrowIfNull(inner);
            if (maxNorm is null && maxValue is null)
            {
                throw new ArgumentException(
                    "ClippedOptimizer needs maxNorm, maxValue or both, but both are null. Pass a limit, or use the inner optimizer directly.",
                    nameof(maxNorm));
            }

            if (maxNorm is float norm)
            {
                OptimizerArguments.RequireFinitePositive(norm, nameof(maxNorm), "The maximum norm");
            }

            if (maxValue is float value)
            {
                OptimizerArguments.RequireFinitePositive(value, nameof(maxValue), "The maximum value");
            }

            Inner = inner;
            MaxNorm = maxNorm;
            MaxValue = maxValue;
        }

        /// <summary>Optimizer that receives the clipped gradients.</summary>
        public IOptimizer Inner { get; }

        /// <summary>Largest global L2 norm of the gradients, or null when the norm is not clipped.</summary>
        public float? MaxNorm { get; }

        /// <summary>Largest absolute value of each gradient, or null when values are not clipped.</summary>
        public float? MaxValue { get; }

        /// <summary>
        /// Global L2 norm of the gradients of the last step before clipping, or NaN before the first
        /// step and when <see cref="MaxNorm"/> is null.
        /// </summary>
        public float LastNorm { get; private set; } = float.NaN;

        /// <summary>Step size of the inner optimizer, which this property reads and sets.</summary>
        public float LearningRate
        {
            get => Inner.LearningRate;
            set => Inner.LearningRate = value;
        }

        /// <inheritdoc/>
        /// <exception cref="ArgumentException">
        /// The spans differ in length, or their length differs from the first step's.
        /// </exception>
        public void Step(Span<float> parameters, ReadOnlySpan<float> gradients)
        {
            OptimizerArguments.CheckStepLengths(parameters.Length, gradients.Length, _length);
            if (_length < 0)
            {
                if (_clipped.Length != parameters.Length)
                {
                    _clipped = new float[parameters.Length];
                }

                _length = parameters.Length;
            }

            Span<float> clipped = _clipped;
            gradients.CopyTo(clipped);

            if (MaxNorm is float maxNorm)
            {
                LastNorm = GradientClipping.ClipByGlobalNorm(clipped, maxNorm);
            }

            if (MaxValue is float maxValue)
            {
                GradientClipping.ClipByValue(clipped, maxValue);
            }

            Inner.Step(parameters, clipped);
        }

        /// <inheritdoc/>
        /// <remarks>Resets the inner optimizer too. The buffer is kept, so a later step with the same length allocates nothing.</remarks>
        public void Reset()
        {
            _length = -1;
            LastNorm = float.NaN;
            Inner.Reset();
        }
    }
}
