using System;
using System.Numerics.Tensors;

namespace NetGen
{
    /// <summary>
    /// AdaDelta with optional L2 weight decay, computed as torch.optim.Adadelta documents it
    /// (Zeiler, "ADADELTA: An Adaptive Learning Rate Method", 2012).
    /// </summary>
    /// <remarks>
    /// One step, with gradient g, parameters p and learning rate lr:
    /// <code>
    /// g = g + λ·p                      (only when λ ≠ 0)
    /// v = ρ·v + (1 − ρ)·g²
    /// Δ = √(u + ε) / √(v + ε) · g
    /// u = ρ·u + (1 − ρ)·Δ²
    /// p = p − lr·Δ
    /// </code>
    /// ε is added inside both square roots, unlike Adam and RMSprop. v and u start at 0. The
    /// default lr = 1 is the original method, which has no learning rate. Instances are not
    /// thread-safe, except that <see cref="StepRange"/> calls on ranges that do not overlap may
    /// run at once.
    /// <para>
    /// While ε is at least 2⁻¹⁰², values of v and u below 2⁻¹²⁶ in magnitude are stored as 0,
    /// which torch.optim.Adadelta does not do. In the step that flushes them, v + ε and u + ε
    /// round to the same float either way; see <see cref="DecayingState"/> for later steps.
    /// </para>
    /// </remarks>
    public sealed class AdaDelta : IElementwiseOptimizer
    {
        private float _learningRate;

        // 1 − ρ, rounded once from double.
        private readonly float _newWeight;

        // Average squared gradient v, average squared update u, the update Δ and a work buffer.
        private float[] _squareAverage = Array.Empty<float>();
        private float[] _deltaAverage = Array.Empty<float>();
        private float[] _delta = Array.Empty<float>();
        private float[] _work = Array.Empty<float>();

        // Gradient plus λ·p, allocated on the first step when WeightDecay ≠ 0.
        private float[] _decayedGradient = Array.Empty<float>();

        // Parameter count fixed by the first step, or -1 before it.
        private int _length = -1;

        // The learning rate when BeginStep started the current step, which all its ranges use.
        private float _stepLearningRate;

        /// <summary>Creates the optimizer and checks the hyperparameters.</summary>
        /// <param name="learningRate">Factor lr applied to the update Δ, finite and at least 0.</param>
        /// <param name="rho">Decay rate ρ of both running averages, in [0, 1).</param>
        /// <param name="epsilon">Term ε added inside both square roots, finite and at least 0.</param>
        /// <param name="weightDecay">L2 penalty λ added to the gradient as λ·p, finite and at least 0.</param>
        /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is NaN, infinite or out of range.</exception>
        public AdaDelta(float learningRate = 1.0f, float rho = 0.9f, float epsilon = 1e-6f, float weightDecay = 0)
        {
            OptimizerArguments.RequireFiniteNonNegative(learningRate, nameof(learningRate), "The learning rate");
            OptimizerArguments.RequireDecayRate(rho, nameof(rho));
            OptimizerArguments.RequireFiniteNonNegative(epsilon, nameof(epsilon), "Epsilon");
            OptimizerArguments.RequireFiniteNonNegative(weightDecay, nameof(weightDecay), "The weight decay");

            _learningRate = learningRate;
            Rho = rho;
            Epsilon = epsilon;
            WeightDecay = weightDecay;
            _newWeight = (float)(1.0 - rho);
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

        /// <summary>Decay rate ρ of the running averages of g² and Δ².</summary>
        public float Rho { get; }

        /// <summary>Term ε added inside both square roots.</summary>
        public float Epsilon { get; }

        /// <summary>L2 penalty λ added to the gradient as λ·p.</summary>
        public float WeightDecay { get; }

        /// <summary>The average squared gradient v, empty before the first step; for tests.</summary>
        internal ReadOnlySpan<float> SquareAverage => _squareAverage;

        /// <summary>The average squared update u, empty before the first step; for tests.</summary>
        internal ReadOnlySpan<float> DeltaAverage => _deltaAverage;

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
            Span<float> u = _deltaAverage.AsSpan(start, parameters.Length);
            Span<float> delta = _delta.AsSpan(start, parameters.Length);
            Span<float> work = _work.AsSpan(start, parameters.Length);
            ReadOnlySpan<float> g = gradients;

            // L2 penalty: g = g + λ·p.
            if (WeightDecay != 0)
            {
                Span<float> decayed = _decayedGradient.AsSpan(start, parameters.Length);
                TensorPrimitives.MultiplyAdd(parameters, WeightDecay, gradients, decayed);
                g = decayed;
            }

            // v = ρ·v + (1 − ρ)·g·g.
            float floor = DecayingState.FloorInsideSquareRoot(Epsilon);
            DecayingState.AverageSquares(v, g, Rho, _newWeight, floor);

            // Δ = √(u + ε)/√(v + ε)·g, with the old u.
            TensorPrimitives.Add(v, Epsilon, work);
            TensorPrimitives.Sqrt(work, work);
            TensorPrimitives.Add(u, Epsilon, delta);
            TensorPrimitives.Sqrt(delta, delta);
            TensorPrimitives.Divide(delta, work, delta);
            TensorPrimitives.Multiply(delta, g, delta);

            // u = ρ·u + (1 − ρ)·Δ·Δ.
            DecayingState.AverageSquares(u, delta, Rho, _newWeight, floor);

            // p = p − lr·Δ.
            TensorPrimitives.MultiplyAdd(delta, -_stepLearningRate, parameters, parameters);
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
                Array.Clear(_deltaAverage);
            }
            else
            {
                _squareAverage = new float[length];
                _deltaAverage = new float[length];
                _delta = new float[length];
                _work = new float[length];
            }

            if (WeightDecay != 0 && _decayedGradient.Length != length)
            {
                _decayedGradient = new float[length];
            }

            _length = length;
        }
    }
}
