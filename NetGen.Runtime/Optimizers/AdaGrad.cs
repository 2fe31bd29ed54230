using System;
using System.Numerics.Tensors;

namespace NetGen
{
    /// <summary>
    /// AdaGrad with optional learning-rate decay and L2 weight decay, computed as torch.optim.Adagrad
    /// does it (Duchi, Hazan and Singer, "Adaptive Subgradient Methods for Online Learning and
    /// Stochastic Optimization", 2011).
    /// </summary>
    /// <remarks>
    /// Step t (counting from 1), with gradient g, parameters p and learning rate lr:
    /// <code>
    /// s = τ                          (before the first step; τ is the initial accumulator value)
    /// clr = lr / (1 + (t − 1)·η)     (η is the learning-rate decay)
    /// g = g + λ·p                    (only when λ ≠ 0)
    /// s = s + g²
    /// p = p − clr·g / (√s + ε)
    /// </code>
    /// ε is added after the square root, as in PyTorch. The sum s only grows, so the effective step
    /// of each parameter only shrinks. Instances are not thread-safe, except that
    /// <see cref="StepRange"/> calls on ranges that do not overlap may run at once.
    /// </remarks>
    public sealed class AdaGrad : IElementwiseOptimizer
    {
        private float _learningRate;

        // Sum of squared gradients s and a work buffer, allocated on the first step.
        private float[] _sum = Array.Empty<float>();
        private float[] _work = Array.Empty<float>();

        // Gradient plus λ·p, allocated on the first step when WeightDecay ≠ 0.
        private float[] _decayedGradient = Array.Empty<float>();

        // Parameter count fixed by the first step, or -1 before it.
        private int _length = -1;

        // The decayed learning rate clr of the step that BeginStep started.
        private float _decayedLearningRate;

        /// <summary>Creates the optimizer and checks the hyperparameters.</summary>
        /// <param name="learningRate">Step size lr, finite and at least 0.</param>
        /// <param name="learningRateDecay">Decay η: step t uses lr / (1 + (t − 1)·η). Finite and at least 0.</param>
        /// <param name="weightDecay">L2 penalty λ added to the gradient as λ·p, finite and at least 0.</param>
        /// <param name="initialAccumulatorValue">Starting value τ of every sum s, finite and at least 0.</param>
        /// <param name="epsilon">Term ε added to √s in the denominator, finite and at least 0.</param>
        /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is NaN, infinite or negative.</exception>
        public AdaGrad(float learningRate = 1e-2f, float learningRateDecay = 0, float weightDecay = 0, float initialAccumulatorValue = 0, float epsilon = 1e-10f)
        {
            OptimizerArguments.RequireFiniteNonNegative(learningRate, nameof(learningRate), "The learning rate");
            OptimizerArguments.RequireFiniteNonNegative(learningRateDecay, nameof(learningRateDecay), "The learning-rate decay");
            OptimizerArguments.RequireFiniteNonNegative(weightDecay, nameof(weightDecay), "The weight decay");
            OptimizerArguments.RequireFiniteNonNegative(initialAccumulatorValue, nameof(initialAccumulatorValue), "The initial accumulator value");
            OptimizerArguments.RequireFiniteNonNegative(epsilon, nameof(epsilon), "Epsilon");

            _learningRate = learningRate;
            LearningRateDecay = learningRateDecay;
            WeightDecay = weightDecay;
            InitialAccumulatorValue = initialAccumulatorValue;
            Epsilon = epsilon;
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

        /// <summary>Decay η: step t uses the learning rate lr / (1 + (t − 1)·η).</summary>
        public float LearningRateDecay { get; }

        /// <summary>L2 penalty λ added to the gradient as λ·p before it enters the sum.</summary>
        public float WeightDecay { get; }

        /// <summary>Starting value τ of the sum of squared gradients.</summary>
        public float InitialAccumulatorValue { get; }

        /// <summary>Term ε added to √s in the denominator.</summary>
        public float Epsilon { get; }

        /// <summary>Number of steps taken since creation or the last <see cref="Reset"/>, which is t in the learning-rate decay.</summary>
        public long StepCount { get; private set; }

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

            StepCount++;

            // clr = lr/(1 + (t − 1)·η), computed in double.
            _decayedLearningRate = (float)(_learningRate / (1.0 + (StepCount - 1) * (double)LearningRateDecay));
        }

        /// <inheritdoc/>
        public void StepRange(int start, Span<float> parameters, ReadOnlySpan<float> gradients)
        {
            OptimizerArguments.CheckRange(start, parameters.Length, gradients.Length, _length);
            Span<float> sum = _sum.AsSpan(start, parameters.Length);
            Span<float> work = _work.AsSpan(start, parameters.Length);
            ReadOnlySpan<float> g = gradients;

            // L2 penalty: g = g + λ·p.
            if (WeightDecay != 0)
            {
                Span<float> decayed = _decayedGradient.AsSpan(start, parameters.Length);
                TensorPrimitives.MultiplyAdd(parameters, WeightDecay, gradients, decayed);
                g = decayed;
            }

            // s = s + g·g.
            TensorPrimitives.MultiplyAdd(g, g, sum, sum);

            // p = p − clr·g/(√s + ε).
            TensorPrimitives.Sqrt(sum, work);
            TensorPrimitives.Add(work, Epsilon, work);
            TensorPrimitives.Divide(g, work, work);
            TensorPrimitives.MultiplyAdd(work, -_decayedLearningRate, parameters, parameters);
        }

        /// <inheritdoc/>
        /// <remarks>
        /// Sets <see cref="StepCount"/> to 0. The buffers are kept and refilled with the initial
        /// accumulator value on the next step, so a later step with the same length allocates nothing.
        /// </remarks>
        public void Reset()
        {
            _length = -1;
            StepCount = 0;
        }

        private void AllocateState(int length)
        {
            if (_sum.Length != length)
            {
                _sum = new float[length];
                _work = new float[length];
            }

            Array.Fill(_sum, InitialAccumulatorValue);

            if (WeightDecay != 0 && _decayedGradient.Length != length)
            {
                _decayedGradient = new float[length];
            }

            _length = length;
        }
    }
}
