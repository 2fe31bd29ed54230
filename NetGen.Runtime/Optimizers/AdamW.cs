using System;
using System.Numerics.Tensors;

namespace NetGen
{
    /// <summary>
    /// Adam with decoupled weight decay, computed as torch.optim.AdamW documents it (Loshchilov and
    /// Hutter, "Decoupled Weight Decay Regularization", 2019).
    /// </summary>
    /// <remarks>
    /// Step t (counting from 1), with gradient g, parameters p and learning rate lr:
    /// <code>
    /// p = p·(1 − lr·λ)             (decoupled: the decay never enters the moments)
    /// m = β1·m + (1 − β1)·g
    /// v = β2·v + (1 − β2)·g²
    /// vmax = max(vmax, v)          (only with AMSGrad; vmax starts at 0)
    /// m̂ = m / (1 − β1^t)
    /// v̂ = v / (1 − β2^t), or vmax / (1 − β2^t) with AMSGrad
    /// p = p − lr·m̂ / (√v̂ + ε)
    /// </code>
    /// The decay is scaled by the current learning rate, so a schedule that lowers lr also lowers
    /// the decay, as in PyTorch. With λ = 0 the update equals <see cref="Adam"/>'s. Instances are
    /// not thread-safe, except that <see cref="StepRange"/> calls on ranges that do not overlap may
    /// run at once.
    /// </remarks>
    public sealed class AdamW : IElementwiseOptimizer
    {
        private float _learningRate;

        private readonly AdamMoments _moments;

        /// <summary>The moment estimates, for tests.</summary>
        internal AdamMoments Moments => _moments;

        // Parameter count fixed by the first step, or -1 before it.
        private int _length = -1;

        // 1 − lr·λ of the step that BeginStep started, the factor of the decoupled decay.
        private float _keep;

        /// <summary>Creates the optimizer and checks the hyperparameters.</summary>
        /// <param name="learningRate">Step size lr, finite and at least 0.</param>
        /// <param name="beta1">Decay rate β1 of the first moment, in [0, 1).</param>
        /// <param name="beta2">Decay rate β2 of the second moment, in [0, 1).</param>
        /// <param name="epsilon">Term ε added to √v̂ in the denominator, finite and at least 0.</param>
        /// <param name="weightDecay">Decoupled decay λ: each step multiplies p by 1 − lr·λ. Finite and at least 0.</param>
        /// <param name="amsgrad">Whether to divide by the running maximum of the second moment (AMSGrad).</param>
        /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is NaN, infinite or out of range.</exception>
        public AdamW(float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 1e-2f, bool amsgrad = false)
        {
            OptimizerArguments.RequireFiniteNonNegative(learningRate, nameof(learningRate), "The learning rate");
            OptimizerArguments.RequireDecayRate(beta1, nameof(beta1));
            OptimizerArguments.RequireDecayRate(beta2, nameof(beta2));
            OptimizerArguments.RequireFiniteNonNegative(epsilon, nameof(epsilon), "Epsilon");
            OptimizerArguments.RequireFiniteNonNegative(weightDecay, nameof(weightDecay), "The weight decay");

            _learningRate = learningRate;
            Beta1 = beta1;
            Beta2 = beta2;
            Epsilon = epsilon;
            WeightDecay = weightDecay;
            Amsgrad = amsgrad;
            _moments = new AdamMoments(beta1, beta2, epsilon, amsgrad);
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

        /// <summary>Decay rate β1 of the first moment.</summary>
        public float Beta1 { get; }

        /// <summary>Decay rate β2 of the second moment.</summary>
        public float Beta2 { get; }

        /// <summary>Term ε added to √v̂ in the denominator.</summary>
        public float Epsilon { get; }

        /// <summary>Decoupled decay λ: each step first multiplies the parameters by 1 − lr·λ.</summary>
        public float WeightDecay { get; }

        /// <summary>Whether the denominator uses the running maximum of the second moment (AMSGrad).</summary>
        public bool Amsgrad { get; }

        /// <summary>Number of steps taken since creation or the last <see cref="Reset"/>, which is t in the bias corrections.</summary>
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
                // The buffers survive a Reset, so Prepare sets the moments back to zero.
                _moments.Prepare(parameterCount);
                _length = parameterCount;
            }

            StepCount++;
            _keep = (float)(1.0 - (double)_learningRate * WeightDecay);
            _moments.Begin(_learningRate, StepCount);
        }

        /// <inheritdoc/>
        public void StepRange(int start, Span<float> parameters, ReadOnlySpan<float> gradients)
        {
            OptimizerArguments.CheckRange(start, parameters.Length, gradients.Length, _length);

            // Decoupled decay: p = p·(1 − lr·λ), applied before the Adam step as torch.optim.AdamW does.
            if (WeightDecay != 0)
            {
                TensorPrimitives.Multiply(parameters, _keep, parameters);
            }

            _moments.StepRange(start, parameters, gradients);
        }

        /// <inheritdoc/>
        /// <remarks>
        /// Sets <see cref="StepCount"/> to 0. The buffers are kept and cleared on the next step, so a
        /// later step with the same length allocates nothing.
        /// </remarks>
        public void Reset()
        {
            _length = -1;
            StepCount = 0;
        }
    }
}
