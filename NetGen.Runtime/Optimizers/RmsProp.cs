using System;
using System.Numerics.Tensors;

namespace NetGen
{
    /// <summary>
    /// RMSprop with optional momentum, centering and L2 weight decay, computed as torch.optim.RMSprop
    /// documents it (Hinton's lecture notes; the centered form is from Graves, "Generating Sequences
    /// With Recurrent Neural Networks", 2013).
    /// </summary>
    /// <remarks>
    /// One step, with gradient g, parameters p and learning rate lr:
    /// <code>
    /// g = g + λ·p                      (only when λ ≠ 0)
    /// v = α·v + (1 − α)·g²
    /// ṽ = v                            (plain)
    /// a = α·a + (1 − α)·g              (centered only)
    /// ṽ = max(v − a², 0)               (centered only)
    /// b = μ·b + g / (√ṽ + ε)           (only when μ &gt; 0)
    /// p = p − lr·b                     (when μ &gt; 0)
    /// p = p − lr·g / (√ṽ + ε)          (when μ = 0)
    /// </code>
    /// ε is added after the square root, as in PyTorch. v, a and b start at 0, so the first
    /// momentum step sets b = g/(√ṽ + ε). The centered estimate v − a² is a variance and is
    /// non-negative in exact arithmetic. Rounding can push it a few units in the last place below
    /// 0 when the gradient barely changes, so it is clamped at 0 where torch would take the square
    /// root of a negative number and return NaN. Instances are not thread-safe, except that
    /// <see cref="StepRange"/> calls on ranges that do not overlap may run at once.
    /// <para>
    /// Values of b and a below 2⁻¹²⁶ in magnitude are stored as 0, and so are those of v while ε
    /// is at least 2⁻³⁹, which torch.optim.RMSprop does not do; see <see cref="DecayingState"/>.
    /// </para>
    /// </remarks>
    public sealed class RmsProp : IElementwiseOptimizer
    {
        private float _learningRate;

        // 1 − α, rounded once from double.
        private readonly float _newWeight;

        // Average squared gradient v, average gradient a (centered only), momentum buffer b
        // (momentum only) and a work buffer, all allocated on the first step.
        private float[] _squareAverage = Array.Empty<float>();
        private float[] _gradientAverage = Array.Empty<float>();
        private float[] _momentumBuffer = Array.Empty<float>();
        private float[] _work = Array.Empty<float>();

        // Gradient plus λ·p, allocated on the first step when WeightDecay ≠ 0.
        private float[] _decayedGradient = Array.Empty<float>();

        // Parameter count fixed by the first step, or -1 before it.
        private int _length = -1;

        // The learning rate when BeginStep started the current step, which all its ranges use.
        private float _stepLearningRate;

        /// <summary>Creates the optimizer and checks the hyperparameters.</summary>
        /// <param name="learningRate">Step size lr, finite and at least 0.</param>
        /// <param name="alpha">Smoothing constant α of the running averages, in [0, 1).</param>
        /// <param name="epsilon">Term ε added to √ṽ in the denominator, finite and at least 0.</param>
        /// <param name="weightDecay">L2 penalty λ added to the gradient as λ·p, finite and at least 0.</param>
        /// <param name="momentum">Momentum factor μ, finite and at least 0. 0 turns momentum off.</param>
        /// <param name="centered">Whether to divide by an estimate of the gradient's variance, v − a², instead of v.</param>
        /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is NaN, infinite or out of range.</exception>
        public RmsProp(float learningRate = 1e-2f, float alpha = 0.99f, float epsilon = 1e-8f, float weightDecay = 0, float momentum = 0, bool centered = false)
        {
            OptimizerArguments.RequireFiniteNonNegative(learningRate, nameof(learningRate), "The learning rate");
            OptimizerArguments.RequireDecayRate(alpha, nameof(alpha));
            OptimizerArguments.RequireFiniteNonNegative(epsilon, nameof(epsilon), "Epsilon");
            OptimizerArguments.RequireFiniteNonNegative(weightDecay, nameof(weightDecay), "The weight decay");
            OptimizerArguments.RequireFiniteNonNegative(momentum, nameof(momentum), "The momentum");

            _learningRate = learningRate;
            Alpha = alpha;
            Epsilon = epsilon;
            WeightDecay = weightDecay;
            Momentum = momentum;
            Centered = centered;
            _newWeight = (float)(1.0 - alpha);
        }

        /// <inheritdoc/>
        /// <exception cref="ArgumentOutOfRangeException">The value is negative, NaN or infinite.</exception>
        public float LearningRate
        {
            get => _learningRate;
            set
            {
                OptimizerArguments.RequireFiniteNonNegative(value, nameof(value), "The learning rate");
                _learningRate = value;
            }
        }

        /// <summary>Smoothing constant α of the running averages.</summary>
        public float Alpha { get; }

        /// <summary>Term ε added to √ṽ in the denominator.</summary>
        public float Epsilon { get; }

        /// <summary>L2 penalty λ added to the gradient as λ·p.</summary>
        public float WeightDecay { get; }

        /// <summary>Momentum factor μ. 0 means the scaled gradient is applied directly.</summary>
        public float Momentum { get; }

        /// <summary>Whether the denominator uses the variance estimate v − a² instead of v.</summary>
        public bool Centered { get; }

        /// <summary>The average squared gradient v, empty before the first step; for tests.</summary>
        internal ReadOnlySpan<float> SquareAverage => _squareAverage;

        /// <summary>The momentum buffer b, empty unless μ &gt; 0; for tests.</summary>
        internal ReadOnlySpan<float> MomentumBuffer => _momentumBuffer;

        /// <inheritdoc/>
        /// <exception cref="ArgumentException">
        /// The spans differ in length, or their length differs from the first step's.
        /// </exception>
        public void Step(Span<float> parameters, ReadOnlySpan<float> gradients) =>
            OptimizerArguments.StepWhole(this, parameters, gradients, _length);

        /// <inheritdoc/>
        public void BeginStep(int parameterCount)
        {
            OptimizerArguments.CheckBeginStep(parameterCount, _length);
            if (_length < 0)
            {
                AllocateState(parameterCount);
            }

            _stepLearningRate = _learningRate;
        }

        /// <inheritdoc/>
        public void StepRange(int start, Span<float> parameters, ReadOnlySpan<float> gradients)
        {
            OptimizerArguments.CheckRange(start, parameters.Length, gradients.Length, _length);
            Span<float> v = _squareAverage.AsSpan(start, parameters.Length);
            Span<float> work = _work.AsSpan(start, parameters.Length);
            ReadOnlySpan<float> g = gradients;

            // L2 penalty: g = g + λ·p.
            if (WeightDecay != 0)
            {
                Span<float> decayed = _decayedGradient.AsSpan(start, parameters.Length);
                TensorPrimitives.MultiplyAdd(parameters, WeightDecay, gradients, decayed);
                g = decayed;
            }

            // v = α·v + (1 − α)·g·g.
            DecayingState.AverageSquares(v, g, Alpha, _newWeight, DecayingState.FloorBesideSquareRoot(Epsilon));

            if (Centered)
            {
                // a = α·a + (1 − α)·g, then work = max(v − a·a, 0).
                Span<float> a = _gradientAverage.AsSpan(start, parameters.Length);
                TensorPrimitives.Multiply(a, Alpha, a);
                TensorPrimitives.MultiplyAdd(g, _newWeight, a, a);

                // A subnormal a has a·a = 0 in float, so flushing it changes nothing downstream.
                DecayingState.Flush(a, DecayingState.SmallestNormal);
                TensorPrimitives.Multiply(a, a, work);
                TensorPrimitives.Subtract(v, work, work);
                TensorPrimitives.Max(work, 0f, work);
                TensorPrimitives.Sqrt(work, work);
            }
            else
            {
                TensorPrimitives.Sqrt(v, work);
            }

            // work = g/(√ṽ + ε).
            TensorPrimitives.Add(work, Epsilon, work);
            TensorPrimitives.Divide(g, work, work);

            ReadOnlySpan<float> direction = work;
            if (Momentum > 0)
            {
                // b = μ·b + g/(√ṽ + ε).
                Span<float> b = _momentumBuffer.AsSpan(start, parameters.Length);
                TensorPrimitives.MultiplyAdd(b, Momentum, work, b);
                DecayingState.Flush(b, DecayingState.SmallestNormal);
                direction = b;
            }

            // p = p − lr·direction.
            TensorPrimitives.MultiplyAdd(direction, -_stepLearningRate, parameters, parameters);
        }

        /// <inheritdoc/>
        /// <remarks>The buffers are kept and cleared on the next step, so a later step with the same length allocates nothing.</remarks>
        public void Reset() => _length = -1;

        private void AllocateState(int length)
        {
            if (_squareAverage.Length == length)
            {
                // The buffers survive a Reset, so the averages are set back to zero here.
                Array.Clear(_squareAverage);
                Array.Clear(_gradientAverage);
                Array.Clear(_momentumBuffer);
            }
            else
            {
                _squareAverage = new float[length];
                _work = new float[length];
                _gradientAverage = Centered ? new float[length] : Array.Empty<float>();
                _momentumBuffer = Momentum > 0 ? new float[length] : Array.Empty<float>();
            }

            if (WeightDecay != 0 && _decayedGradient.Length != length)
            {
                _decayedGradient = new float[length];
            }

            _length = length;
        }
    }
}
