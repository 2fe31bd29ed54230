using System;
using System.Numerics.Tensors;

namespace NetGen
{
    /// <summary>
    /// Adam with bias-corrected moments and coupled L2 weight decay, computed as torch.optim.Adam
    /// documents it (Kingma and Ba, "Adam: A Method for Stochastic Optimization", 2015).
    /// </summary>
    /// <remarks>
    /// Step t (counting from 1), with gradient g, parameters p and learning rate lr:
    /// <code>
    /// g = g + λ·p                  (only when λ ≠ 0; the decay goes through the moments)
    /// m = β1·m + (1 − β1)·g
    /// v = β2·v + (1 − β2)·g²
    /// m̂ = m / (1 − β1^t)
    /// v̂ = v / (1 − β2^t)
    /// p = p − lr·m̂ / (√v̂ + ε)
    /// </code>
    /// ε is added after the square root, as in PyTorch. The weight decay is coupled: it passes
    /// through the moments, unlike AdamW's decoupled decay. Instances are not thread-safe.
    /// </remarks>
    public sealed class Adam : IOptimizer
    {
        private float _learningRate;

        // 1 − β1 and 1 − β2, rounded once from double.
        private readonly float _gradientWeight1;
        private readonly float _gradientWeight2;

        // First moment m, second moment v and a work buffer, all allocated on the first step.
        private float[] _firstMoment = Array.Empty<float>();
        private float[] _secondMoment = Array.Empty<float>();
        private float[] _work = Array.Empty<float>();

        // Gradient plus λ·p. The caller's gradients are read-only, so the first step allocates
        // this buffer when WeightDecay ≠ 0.
        private float[] _decayedGradient = Array.Empty<float>();

        // Parameter count fixed by the first step, or -1 before it.
        private int _length = -1;

        /// <summary>Creates the optimizer and checks the hyperparameters.</summary>
        /// <param name="learningRate">Step size lr, finite and at least 0.</param>
        /// <param name="beta1">Decay rate β1 of the first moment, in [0, 1).</param>
        /// <param name="beta2">Decay rate β2 of the second moment, in [0, 1).</param>
        /// <param name="epsilon">Term ε added to √v̂ in the denominator, finite and at least 0.</param>
        /// <param name="weightDecay">L2 penalty λ added to the gradient as λ·p, finite and at least 0.</param>
        /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is NaN, infinite or out of range.</exception>
        public Adam(float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0)
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
            _gradientWeight1 = (float)(1.0 - beta1);
            _gradientWeight2 = (float)(1.0 - beta2);
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

        /// <summary>L2 penalty λ added to the gradient as λ·p before the moment updates.</summary>
        public float WeightDecay { get; }

        /// <summary>Number of steps taken since creation or the last <see cref="Reset"/>, which is t in the bias corrections.</summary>
        public long StepCount { get; private set; }

        /// <inheritdoc/>
        /// <exception cref="ArgumentException">
        /// The spans differ in length, or their length differs from the first step's.
        /// </exception>
        public void Step(Span<float> parameters, ReadOnlySpan<float> gradients)
        {
            OptimizerArguments.CheckStepLengths(parameters.Length, gradients.Length, _length);
            if (_length < 0)
            {
                AllocateState(parameters.Length);
            }

            StepCount++;
            Span<float> m = _firstMoment;
            Span<float> v = _secondMoment;
            Span<float> work = _work;
            ReadOnlySpan<float> g = gradients;

            // Coupled L2 penalty: g = g + λ·p.
            if (WeightDecay != 0)
            {
                Span<float> decayed = _decayedGradient;
                TensorPrimitives.MultiplyAdd(parameters, WeightDecay, gradients, decayed);
                g = decayed;
            }

            // m = β1·m + (1 − β1)·g.
            TensorPrimitives.Multiply(m, Beta1, m);
            TensorPrimitives.MultiplyAdd(g, _gradientWeight1, m, m);

            // v = β2·v + (1 − β2)·g·g.
            TensorPrimitives.Multiply(v, Beta2, v);
            TensorPrimitives.Multiply(g, _gradientWeight2, work);
            TensorPrimitives.MultiplyAdd(work, g, v, v);

            // The bias corrections 1 − β^t are computed in double, because in float 1 − 0.999^t keeps
            // only about four significant digits for small t.
            double correction1 = 1.0 - Math.Pow(Beta1, StepCount);
            double sqrtCorrection2 = Math.Sqrt(1.0 - Math.Pow(Beta2, StepCount));

            // lr·m̂/(√v̂ + ε) is computed as (lr·√c2/c1)·m/(√v + ε·√c2), where c1 and c2 are the two
            // corrections. Multiplying numerator and denominator by √c2 changes nothing but saves a pass.
            var scaledEpsilon = (float)(Epsilon * sqrtCorrection2);
            var stepSize = (float)(_learningRate * sqrtCorrection2 / correction1);
            TensorPrimitives.Sqrt(v, work);
            TensorPrimitives.Add(work, scaledEpsilon, work);
            TensorPrimitives.Divide(m, work, work);

            // p = p − stepSize·m/(√v + ε·√c2).
            TensorPrimitives.MultiplyAdd(work, -stepSize, parameters, parameters);
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

        private void AllocateState(int length)
        {
            if (_firstMoment.Length == length)
            {
                // The buffers survive a Reset, so the moments are set back to zero here.
                Array.Clear(_firstMoment);
                Array.Clear(_secondMoment);
            }
            else
            {
                _firstMoment = new float[length];
                _secondMoment = new float[length];
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
