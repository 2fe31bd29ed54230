using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NetGen
{
    /// <summary>
    /// Moment estimates and the bias-corrected update shared by <see cref="Adam"/> and
    /// <see cref="AdamW"/>, which differ only in how they apply weight decay before this update.
    /// </summary>
    /// <remarks>
    /// Step t (counting from 1), with gradient g:
    /// <code>
    /// m = β1·m + (1 − β1)·g
    /// v = β2·v + (1 − β2)·g²
    /// u = amsgrad ? (vmax = max(vmax, v)) : v
    /// p = p − lr·(m / (1 − β1^t)) / (√(u / (1 − β2^t)) + ε)
    /// </code>
    /// With AMSGrad the running maximum is taken over the raw v and bias-corrected with the current
    /// t, as torch.optim.Adam's implementation does (torch 1.x documented the maximum over the
    /// corrected v̂ instead).
    /// <para>
    /// First moments below the smallest normal float, 2⁻¹²⁶ ≈ 1.18e-38 in magnitude, are stored as
    /// 0, which torch.optim.Adam does not do. A parameter whose gradient stays 0, such as a weight
    /// of a ReLU unit that never fires, has m multiplied by β1 every step until m is subnormal.
    /// There it sticks: 0.9 times a few units of 2⁻¹⁴⁹ rounds back to the same value. Every later
    /// step then computes with subnormal numbers, which Intel cores handle in microcode. A review
    /// measured Adam training 784 → 128 → 10 at 22,600 samples per second in its fourth epoch
    /// against 171,000 in the first (Intel Xeon, Emerald Rapids). The flush changes a step by less
    /// than lr·2⁻¹²⁶/((1 − β1)·ε), the bias correction included. Second moments are flushed too
    /// while ε·√(1 − β2ᵗ) is at least 2⁻³⁹: √v then stays below 2⁻⁶³, under a rounding step of
    /// the denominator. With a smaller ε, or ε = 0, v keeps its subnormal value as in torch, since
    /// dividing a normal m by a flushed v would give an infinite step.
    /// As with every flushed average beside ε (see <see cref="DecayingState"/>), a later step can
    /// differ in the last bit when a gradient of about 1e-19 to 1e-17 returns.
    /// </para>
    /// </remarks>
    internal sealed class AdamMoments
    {
        private readonly float _beta1;
        private readonly float _beta2;
        private readonly float _epsilon;
        private readonly bool _amsgrad;

        // 1 − β1 and 1 − β2, rounded once from double.
        private readonly float _gradientWeight1;
        private readonly float _gradientWeight2;

        // First moment m, second moment v, its running maximum vmax (AMSGrad only) and a work buffer.
        private float[] _firstMoment = Array.Empty<float>();
        private float[] _secondMoment = Array.Empty<float>();
        private float[] _maxSecondMoment = Array.Empty<float>();
        private float[] _work = Array.Empty<float>();

        // The bound below which this step stores second moments as 0. It is 2⁻¹²⁶, or 0 (no
        // flush) when ε·√c2 is too small to absorb √v; Begin sets it.
        private float _secondMomentFloor;

        // ε·√c2 and lr·√c2/c1 of the step that Begin started; see Begin.
        private float _scaledEpsilon;
        private float _stepSize;

        public AdamMoments(float beta1, float beta2, float epsilon, bool amsgrad)
        {
            _beta1 = beta1;
            _beta2 = beta2;
            _epsilon = epsilon;
            _amsgrad = amsgrad;
            _gradientWeight1 = (float)(1.0 - beta1);
            _gradientWeight2 = (float)(1.0 - beta2);
        }

        /// <summary>The first moment m of every parameter, for tests.</summary>
        internal ReadOnlySpan<float> FirstMoment => _firstMoment;

        /// <summary>The second moment v of every parameter, for tests.</summary>
        internal ReadOnlySpan<float> SecondMoment => _secondMoment;

        /// <summary>Sets the moments to zero for <paramref name="length"/> parameters, reusing buffers of that length.</summary>
        public void Prepare(int length)
        {
            if (_firstMoment.Length == length)
            {
                Array.Clear(_firstMoment);
                Array.Clear(_secondMoment);
                Array.Clear(_maxSecondMoment);
                return;
            }

            _firstMoment = new float[length];
            _secondMoment = new float[length];
            _work = new float[length];
            if (_amsgrad)
            {
                _maxSecondMoment = new float[length];
            }
        }

        /// <summary>
        /// Fixes the bias-corrected step size for step number <paramref name="step"/> (1 on the
        /// first step), which the <see cref="StepRange"/> calls of that step use.
        /// </summary>
        public void Begin(float learningRate, long step)
        {
            // The bias corrections 1 − β^t are computed in double, because in float 1 − 0.999^t keeps
            // only about four significant digits for small t.
            double correction1 = 1.0 - Math.Pow(_beta1, step);
            double sqrtCorrection2 = Math.Sqrt(1.0 - Math.Pow(_beta2, step));

            // lr·m̂/(√v̂ + ε) is computed as (lr·√c2/c1)·m/(√v + ε·√c2), where c1 and c2 are the two
            // corrections. Multiplying numerator and denominator by √c2 changes nothing but saves a pass.
            _scaledEpsilon = (float)(_epsilon * sqrtCorrection2);
            _stepSize = (float)(learningRate * sqrtCorrection2 / correction1);
            _secondMomentFloor = DecayingState.FloorBesideSquareRoot(_scaledEpsilon);
        }

        /// <summary>
        /// Updates the moments of the parameters from <paramref name="start"/> on from
        /// <paramref name="gradients"/> and moves <paramref name="parameters"/> by the step that
        /// <see cref="Begin"/> fixed. Ranges that do not overlap may run at once.
        /// </summary>
        public void StepRange(int start, Span<float> parameters, ReadOnlySpan<float> gradients)
        {
            int length = parameters.Length;
            Span<float> m = _firstMoment.AsSpan(start, length);
            Span<float> v = _secondMoment.AsSpan(start, length);
            Span<float> work = _work.AsSpan(start, length);
            float scaledEpsilon = _scaledEpsilon, stepSize = _stepSize;
            if (!_amsgrad)
            {
                StepFused(parameters, gradients, m, v, scaledEpsilon, stepSize);
                return;
            }

            // m = β1·m + (1 − β1)·g.
            TensorPrimitives.Multiply(m, _beta1, m);
            TensorPrimitives.MultiplyAdd(gradients, _gradientWeight1, m, m);

            // v = β2·v + (1 − β2)·g·g.
            DecayingState.AverageSquares(v, gradients, _beta2, _gradientWeight2, _secondMomentFloor);
            DecayingState.Flush(m, DecayingState.SmallestNormal);

            // AMSGrad: the denominator uses vmax = max(vmax, v), so it never shrinks.
            Span<float> maxV = _maxSecondMoment.AsSpan(start, length);
            TensorPrimitives.Max(maxV, v, maxV);

            TensorPrimitives.Sqrt(maxV, work);
            TensorPrimitives.Add(work, scaledEpsilon, work);
            TensorPrimitives.Divide(m, work, work);

            // p = p − stepSize·m/(√v + ε·√c2).
            TensorPrimitives.MultiplyAdd(work, -stepSize, parameters, parameters);
        }

        /// <summary>
        /// Runs the update without AMSGrad in one pass over the parameters. It rounds as the
        /// multi-pass path does, with a separate multiply and add where that path calls
        /// TensorPrimitives.MultiplyAdd, which does not fuse them. Each pass of that path streams the
        /// whole parameter vector, which for a few hundred thousand parameters does not fit in L2.
        /// </summary>
        private void StepFused(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> m, Span<float> v, float scaledEpsilon, float stepSize)
        {
            ref float p = ref MemoryMarshal.GetReference(parameters);
            ref float g = ref MemoryMarshal.GetReference(gradients);
            ref float first = ref MemoryMarshal.GetReference(m);
            ref float second = ref MemoryMarshal.GetReference(v);
            int length = parameters.Length;
            int i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                Vector256<float> beta1 = Vector256.Create(_beta1), beta2 = Vector256.Create(_beta2);
                Vector256<float> weight1 = Vector256.Create(_gradientWeight1), weight2 = Vector256.Create(_gradientWeight2);
                Vector256<float> epsilon = Vector256.Create(scaledEpsilon), negativeStep = Vector256.Create(-stepSize);
                Vector256<float> firstFloor = Vector256.Create(DecayingState.SmallestNormal), secondFloor = Vector256.Create(_secondMomentFloor);
                for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
                {
                    Vector256<float> gradient = Vector256.LoadUnsafe(ref g, (nuint)i);
                    Vector256<float> newFirst = DecayingState.Flush((gradient * weight1) + (Vector256.LoadUnsafe(ref first, (nuint)i) * beta1), firstFloor);
                    Vector256<float> newSecond = DecayingState.Flush(((gradient * weight2) * gradient) + (Vector256.LoadUnsafe(ref second, (nuint)i) * beta2), secondFloor);
                    newFirst.StoreUnsafe(ref first, (nuint)i);
                    newSecond.StoreUnsafe(ref second, (nuint)i);
                    Vector256<float> update = newFirst / (Vector256.Sqrt(newSecond) + epsilon);
                    ((update * negativeStep) + Vector256.LoadUnsafe(ref p, (nuint)i)).StoreUnsafe(ref p, (nuint)i);
                }
            }

            for (; i < length; i++)
            {
                float gradient = Unsafe.Add(ref g, i);
                ref float firstMoment = ref Unsafe.Add(ref first, i);
                ref float secondMoment = ref Unsafe.Add(ref second, i);
                firstMoment = DecayingState.Flush((gradient * _gradientWeight1) + (firstMoment * _beta1), DecayingState.SmallestNormal);
                secondMoment = DecayingState.Flush(((gradient * _gradientWeight2) * gradient) + (secondMoment * _beta2), _secondMomentFloor);
                float update = firstMoment / (MathF.Sqrt(secondMoment) + scaledEpsilon);
                Unsafe.Add(ref p, i) = (update * -stepSize) + Unsafe.Add(ref p, i);
            }
        }
    }
}
