using System;
using System.Numerics;

namespace NetGen
{
    /// <summary>
    /// Resilient backpropagation (Rprop) with a step size per parameter, computed as torch.optim.Rprop
    /// does it (Riedmiller and Braun, "A Direct Adaptive Method for Faster Backpropagation Learning:
    /// The RPROP Algorithm", 1993). Meant for full-batch training.
    /// </summary>
    /// <remarks>
    /// Each parameter i keeps a step size Δᵢ, which starts at lr, and the gradient gprevᵢ of the step
    /// before, which starts at 0. One step, with gradient g and parameters p:
    /// <code>
    /// gᵢ·gprevᵢ &gt; 0:  Δᵢ = min(Δᵢ·η+, Δmax)
    /// gᵢ·gprevᵢ &lt; 0:  Δᵢ = max(Δᵢ·η−, Δmin) and gᵢ = 0   (the sign flipped: the last step overshot)
    /// gᵢ·gprevᵢ = 0:  Δᵢ = clamp(Δᵢ, Δmin, Δmax)
    /// pᵢ = pᵢ − sign(gᵢ)·Δᵢ
    /// gprevᵢ = gᵢ                                      (0 after a flip, so the next step neither grows nor shrinks Δᵢ)
    /// </code>
    /// Only the sign of the gradient is used, so Rprop needs the gradient of the whole training set:
    /// mini-batch noise flips signs at random and shrinks every step size towards Δmin. Train with
    /// one batch that contains every sample, as Encog's ResilientPropagation does. The clamp on the
    /// third line follows torch's implementation, which clamps every step size on every step. It
    /// changes only a first step size lr outside [Δmin, Δmax]. A NaN gradient makes its parameter NaN.
    /// Instances are not thread-safe.
    /// </remarks>
    public sealed class Rprop : IOptimizer
    {
        private float _learningRate;

        // Step sizes Δ and previous gradients gprev, allocated on the first step.
        private float[] _stepSizes = Array.Empty<float>();
        private float[] _previousGradients = Array.Empty<float>();

        // Parameter count fixed by the first step, or -1 before it.
        private int _length = -1;

        /// <summary>Creates the optimizer and checks the hyperparameters.</summary>
        /// <param name="learningRate">Initial step size of every parameter, finite and at least 0.</param>
        /// <param name="etaMinus">Factor η− that shrinks a step size after a sign flip, in (0, 1).</param>
        /// <param name="etaPlus">Factor η+ that grows a step size while the sign holds, finite and greater than 1.</param>
        /// <param name="minStep">Smallest step size Δmin, finite and at least 0.</param>
        /// <param name="maxStep">Largest step size Δmax, finite and at least <paramref name="minStep"/>.</param>
        /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is NaN, infinite or out of range.</exception>
        public Rprop(float learningRate = 1e-2f, float etaMinus = 0.5f, float etaPlus = 1.2f, float minStep = 1e-6f, float maxStep = 50f)
        {
            OptimizerArguments.RequireFiniteNonNegative(learningRate, nameof(learningRate), "The learning rate");

            // The negated comparisons also reject NaN.
            if (!(etaMinus > 0 && etaMinus < 1))
            {
                throw new ArgumentOutOfRangeException(nameof(etaMinus), etaMinus,
                    "The decrease factor etaMinus must be greater than 0 and less than 1, such as 0.5.");
            }

            if (!(etaPlus > 1) || !float.IsFinite(etaPlus))
            {
                throw new ArgumentOutOfRangeException(nameof(etaPlus), etaPlus,
                    "The increase factor etaPlus must be a finite number greater than 1, such as 1.2.");
            }

            OptimizerArguments.RequireFiniteNonNegative(minStep, nameof(minStep), "The minimum step size");
            if (!float.IsFinite(maxStep) || maxStep < minStep)
            {
                throw new ArgumentOutOfRangeException(nameof(maxStep), maxStep,
                    $"The maximum step size must be a finite number of at least minStep ({minStep}). Raise maxStep or lower minStep.");
            }

            _learningRate = learningRate;
            EtaMinus = etaMinus;
            EtaPlus = etaPlus;
            MinStep = minStep;
            MaxStep = maxStep;
        }

        /// <summary>Initial step size of every parameter.</summary>
        /// <remarks>
        /// The value is read only when the state is allocated: on the first step and on the first step
        /// after <see cref="Reset"/>. Afterwards each parameter follows its own step size, so setting
        /// this property (from a learning-rate schedule, say) changes nothing until the next Reset, as
        /// with torch.optim.Rprop.
        /// </remarks>
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

        /// <summary>Factor η− that shrinks a step size when the gradient changes sign.</summary>
        public float EtaMinus { get; }

        /// <summary>Factor η+ that grows a step size while the gradient keeps its sign.</summary>
        public float EtaPlus { get; }

        /// <summary>Smallest step size Δmin.</summary>
        public float MinStep { get; }

        /// <summary>Largest step size Δmax.</summary>
        public float MaxStep { get; }

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

            Span<float> stepSizes = _stepSizes;
            Span<float> previous = _previousGradients;
            int width = Vector<float>.Count;
            int vectorEnd = parameters.Length - parameters.Length % width;

            for (int i = 0; i < vectorEnd; i += width)
            {
                UpdateBlock(
                    parameters.Slice(i, width), gradients.Slice(i, width),
                    stepSizes.Slice(i, width), previous.Slice(i, width));
            }

            int tail = parameters.Length - vectorEnd;
            if (tail > 0)
            {
                UpdateTail(
                    parameters.Slice(vectorEnd), gradients.Slice(vectorEnd),
                    stepSizes.Slice(vectorEnd), previous.Slice(vectorEnd));
            }
        }

        /// <inheritdoc/>
        /// <remarks>
        /// The next step starts again from step sizes equal to <see cref="LearningRate"/> and no
        /// previous gradient. The buffers are kept, so a later step with the same length allocates nothing.
        /// </remarks>
        public void Reset() => _length = -1;

        private void AllocateState(int length)
        {
            if (_stepSizes.Length != length)
            {
                _stepSizes = new float[length];
                _previousGradients = new float[length];
            }
            else
            {
                Array.Clear(_previousGradients);
            }

            Array.Fill(_stepSizes, _learningRate);
            _length = length;
        }

        // Runs the vector update on fewer than Vector<float>.Count elements by copying them into
        // zero-padded blocks on the stack. Padding lanes have g = gprev = 0 and Δ = 0, and are dropped.
        private void UpdateTail(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> stepSizes, Span<float> previous)
        {
            int width = Vector<float>.Count;
            Span<float> blockParameters = stackalloc float[width];
            Span<float> blockGradients = stackalloc float[width];
            Span<float> blockStepSizes = stackalloc float[width];
            Span<float> blockPrevious = stackalloc float[width];
            blockParameters.Clear();
            blockGradients.Clear();
            blockStepSizes.Clear();
            blockPrevious.Clear();
            parameters.CopyTo(blockParameters);
            gradients.CopyTo(blockGradients);
            stepSizes.CopyTo(blockStepSizes);
            previous.CopyTo(blockPrevious);

            UpdateBlock(blockParameters, blockGradients, blockStepSizes, blockPrevious);

            int count = parameters.Length;
            blockParameters.Slice(0, count).CopyTo(parameters);
            blockStepSizes.Slice(0, count).CopyTo(stepSizes);
            blockPrevious.Slice(0, count).CopyTo(previous);
        }

        // Applies the Rprop rule to exactly Vector<float>.Count elements.
        private void UpdateBlock(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> stepSizes, Span<float> previous)
        {
            var zero = Vector<float>.Zero;
            var one = Vector<float>.One;
            var g = new Vector<float>(gradients);
            var p = new Vector<float>(parameters);
            var step = new Vector<float>(stepSizes);
            var gPrevious = new Vector<float>(previous);

            // Factor η+ where g·gprev > 0, η− where it is < 0, and 1 where it is 0 or NaN.
            Vector<float> product = g * gPrevious;
            Vector<int> sameSign = Vector.GreaterThan(product, zero);
            Vector<int> flipped = Vector.LessThan(product, zero);
            Vector<float> factor = Vector.ConditionalSelect(
                sameSign,
                new Vector<float>(EtaPlus),
                Vector.ConditionalSelect(flipped, new Vector<float>(EtaMinus), one));

            step = Vector.Min(Vector.Max(step * factor, new Vector<float>(MinStep)), new Vector<float>(MaxStep));

            // After a flip the gradient counts as 0: no move now, and no growth or shrinkage next step.
            g = Vector.ConditionalSelect(flipped, zero, g);

            // sign(g) is +1, −1, ±0 for a zero gradient and NaN for a NaN gradient (0·NaN).
            Vector<float> sign = Vector.ConditionalSelect(
                Vector.GreaterThan(g, zero),
                one,
                Vector.ConditionalSelect(Vector.LessThan(g, zero), -one, g * zero));

            p -= sign * step;

            p.CopyTo(parameters);
            step.CopyTo(stepSizes);
            g.CopyTo(previous);
        }
    }
}
