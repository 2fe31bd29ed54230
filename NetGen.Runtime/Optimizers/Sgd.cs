using System;
using System.Numerics.Tensors;

namespace NetGen
{
    /// <summary>
    /// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2
    /// weight decay, computed as torch.optim.SGD documents it.
    /// </summary>
    /// <remarks>
    /// One step, with gradient g, parameters p, learning rate lr, momentum μ, dampening τ and
    /// weight decay λ:
    /// <code>
    /// g = g + λ·p                        (only when λ ≠ 0)
    /// b = g on the first step,
    ///     μ·b + (1 − τ)·g afterwards     (only when μ ≠ 0)
    /// g = nesterov ? g + μ·b : b         (only when μ ≠ 0)
    /// p = p − lr·g
    /// </code>
    /// The momentum buffer b is velocity in gradient units, not scaled by the learning rate, as in
    /// PyTorch. Instances are not thread-safe, except that <see cref="StepRange"/> calls on ranges
    /// that do not overlap may run at once.
    /// NOTE: unlike Adam's moments, the momentum buffer is not flushed to 0. A parameter whose
    /// gradient stays 0 has its buffer multiplied by μ every step, so by the same arithmetic as
    /// Adam's first moment it can stick at subnormal values, which Intel cores compute slowly. Not
    /// measured for SGD.
    /// </remarks>
    public sealed class Sgd : IElementwiseOptimizer
    {
        private float _learningRate;

        // Momentum buffer b, allocated on the first step when Momentum ≠ 0.
        private float[] _momentumBuffer = Array.Empty<float>();

        // Decayed gradient and Nesterov direction. The caller's gradients are read-only, so the
        // first step allocates this buffer when WeightDecay ≠ 0 or Nesterov is on.
        private float[] _scratch = Array.Empty<float>();

        // Parameter count fixed by the first step, or -1 before it.
        private int _length = -1;

        // The learning rate when BeginStep started the current step, which all its ranges use.
        private float _stepLearningRate;

        // Whether the step that BeginStep started is the first, which sets the momentum buffer to g.
        private bool _isFirstStep;

        // Whether a StepRange has written the momentum buffer since the state was allocated. A
        // step begun but never stepped, or stepped only on empty ranges, leaves it false, so the
        // next step is still the first.
        private bool _momentumStarted;

        /// <summary>Creates the optimizer and checks the hyperparameters.</summary>
        /// <param name="learningRate">Step size lr, finite and at least 0.</param>
        /// <param name="momentum">Momentum factor μ, finite and at least 0. 0 turns momentum off.</param>
        /// <param name="dampening">Dampening τ applied to the gradient in the momentum update from the second step on. Must be finite.</param>
        /// <param name="nesterov">Whether to use Nesterov momentum, which requires <paramref name="momentum"/> &gt; 0 and <paramref name="dampening"/> = 0.</param>
        /// <param name="weightDecay">L2 penalty λ added to the gradient as λ·p, finite and at least 0.</param>
        /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is NaN, infinite or out of range.</exception>
        /// <exception cref="ArgumentException"><paramref name="nesterov"/> is set without positive momentum and zero dampening.</exception>
        public Sgd(float learningRate, float momentum = 0, float dampening = 0, bool nesterov = false, float weightDecay = 0)
        {
            OptimizerArguments.RequireFiniteNonNegative(learningRate, nameof(learningRate), "The learning rate");
            OptimizerArguments.RequireFiniteNonNegative(momentum, nameof(momentum), "The momentum");
            OptimizerArguments.RequireFinite(dampening, nameof(dampening), "The dampening");
            OptimizerArguments.RequireFiniteNonNegative(weightDecay, nameof(weightDecay), "The weight decay");
            if (nesterov && (momentum <= 0 || dampening != 0))
            {
                throw new ArgumentException(
                    $"Nesterov momentum requires momentum > 0 and dampening = 0, but momentum is {momentum} and dampening is {dampening}. " +
                    "Set a positive momentum and zero dampening, or turn Nesterov off.",
                    nameof(nesterov));
            }

            _learningRate = learningRate;
            Momentum = momentum;
            Dampening = dampening;
            Nesterov = nesterov;
            WeightDecay = weightDecay;
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

        /// <summary>Momentum factor μ. 0 means plain gradient descent.</summary>
        public float Momentum { get; }

        /// <summary>Dampening τ: the gradient enters the momentum buffer scaled by 1 − τ.</summary>
        public float Dampening { get; }

        /// <summary>Whether the step follows g + μ·b (Nesterov) instead of b.</summary>
        public bool Nesterov { get; }

        /// <summary>L2 penalty λ added to the gradient as λ·p before the momentum update.</summary>
        public float WeightDecay { get; }

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
                _momentumStarted = false;
            }

            _isFirstStep = !_momentumStarted;
            _stepLearningRate = _learningRate;
        }

        /// <inheritdoc/>
        public void StepRange(int start, Span<float> parameters, ReadOnlySpan<float> gradients)
        {
            OptimizerArguments.CheckRange(start, parameters.Length, gradients.Length, _length);
            ReadOnlySpan<float> direction = gradients;

            // L2 penalty: g = g + λ·p.
            if (WeightDecay != 0)
            {
                Span<float> decayed = _scratch.AsSpan(start, parameters.Length);
                TensorPrimitives.MultiplyAdd(parameters, WeightDecay, gradients, decayed);
                direction = decayed;
            }

            // Momentum: b = g on the first step, b = μ·b + (1 − τ)·g afterwards.
            if (Momentum != 0)
            {
                Span<float> buffer = _momentumBuffer.AsSpan(start, parameters.Length);
                if (_isFirstStep)
                {
                    direction.CopyTo(buffer);
                }
                else
                {
                    TensorPrimitives.Multiply(buffer, Momentum, buffer);
                    TensorPrimitives.MultiplyAdd(direction, 1 - Dampening, buffer, buffer);
                }

                if (Nesterov)
                {
                    // g + μ·b. Direction may already be the scratch span, and TensorPrimitives allows that exact overlap.
                    Span<float> lookahead = _scratch.AsSpan(start, parameters.Length);
                    TensorPrimitives.MultiplyAdd(buffer, Momentum, direction, lookahead);
                    direction = lookahead;
                }
                else
                {
                    direction = buffer;
                }
            }

            // p = p − lr·g.
            TensorPrimitives.MultiplyAdd(direction, -_stepLearningRate, parameters, parameters);
            if (!parameters.IsEmpty)
            {
                _momentumStarted = true;
            }
        }

        /// <inheritdoc/>
        /// <remarks>The buffers are kept, so a later step with the same length allocates nothing.</remarks>
        public void Reset() => _length = -1;

        private void AllocateState(int length)
        {
            // The momentum buffer needs no clearing because the first step overwrites it with g.
            if (Momentum != 0 && _momentumBuffer.Length != length)
            {
                _momentumBuffer = new float[length];
            }

            if ((WeightDecay != 0 || Nesterov) && _scratch.Length != length)
            {
                _scratch = new float[length];
            }

            _length = length;
        }
    }
}
