using System;
using System.Numerics.Tensors;

namespace NetGen.Data
{
    /// <summary>
    /// Per-feature input standardisation: maps each input value x of feature j to
    /// (x − mean[j]) / sqrt(var[j] + ε), with the mean and population variance of a training set.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Fit the statistics on the training set only and apply the same instance to the training,
    /// validation and test sets and to every input given to the trained network, so that all of
    /// them go through one transform.
    /// </para>
    /// <para>
    /// A feature whose training variance is exactly 0 (a constant column, such as a border pixel
    /// that is black in every training image) maps every value to 0, never to NaN or ∞. This holds
    /// even when a later input differs from the training constant, because the training set gives
    /// no scale for it. Such a feature has a standard deviation of 0 in <see cref="StandardDeviations"/>.
    /// </para>
    /// <para>
    /// An instance lives in memory only. To reuse it in another run, store
    /// <see cref="Means"/> and <see cref="StandardDeviations"/> and pass them to
    /// <see cref="Standardizer(ReadOnlySpan{float}, ReadOnlySpan{float})"/>.
    /// </para>
    /// </remarks>
    public sealed class Standardizer
    {
        private readonly float[] _means;
        private readonly float[] _standardDeviations;

        // 1 / standard deviation, or 0 for a constant feature, so that the transform is a
        // subtraction and a multiplication that never divide by zero.
        private readonly float[] _scales;

        /// <summary>Creates a standardizer from statistics computed earlier, for example by <see cref="Fit"/> in another run.</summary>
        /// <param name="means">Mean of each feature; finite values. The values are copied.</param>
        /// <param name="standardDeviations">
        /// Divisor of each feature, sqrt(var + ε) as <see cref="StandardDeviations"/> returns it:
        /// finite and positive, or 0 for a feature that maps to 0. The values are copied.
        /// </param>
        /// <exception cref="ArgumentException">
        /// The spans are empty or differ in length, a mean is not finite, or a standard deviation
        /// is negative or not finite.
        /// </exception>
        public Standardizer(ReadOnlySpan<float> means, ReadOnlySpan<float> standardDeviations)
        {
            if (means.IsEmpty)
            {
                throw new ArgumentException(
                    "The means are empty. Pass one mean per input feature.", nameof(means));
            }

            if (standardDeviations.Length != means.Length)
            {
                throw new ArgumentException(
                    $"There are {means.Length} means but {standardDeviations.Length} standard deviations. Pass one of each per input feature.",
                    nameof(standardDeviations));
            }

            for (int feature = 0; feature < means.Length; feature++)
            {
                if (!float.IsFinite(means[feature]))
                {
                    throw new ArgumentException(
                        $"The mean of feature {feature} is {means[feature]}, but a mean must be finite.",
                        nameof(means));
                }

                float deviation = standardDeviations[feature];
                if (!float.IsFinite(deviation) || deviation < 0f)
                {
                    throw new ArgumentException(
                        $"The standard deviation of feature {feature} is {deviation}, but it must be finite and positive, or 0 for a feature that maps to 0.",
                        nameof(standardDeviations));
                }
            }

            _means = means.ToArray();
            _standardDeviations = standardDeviations.ToArray();
            _scales = new float[means.Length];
            for (int feature = 0; feature < _scales.Length; feature++)
            {
                float deviation = _standardDeviations[feature];
                _scales[feature] = deviation == 0f ? 0f : 1f / deviation;
            }
        }

        /// <summary>Number of input values per sample that this standardizer transforms.</summary>
        public int FeatureCount => _means.Length;

        /// <summary>Mean of each feature, subtracted from its values.</summary>
        public ReadOnlySpan<float> Means => _means;

        /// <summary>
        /// Divisor of each feature: sqrt(var + ε) after <see cref="Fit"/>, or 0 for a feature whose
        /// training variance was 0 and which therefore maps to 0.
        /// </summary>
        public ReadOnlySpan<float> StandardDeviations => _standardDeviations;

        /// <summary>
        /// Computes the mean and population variance of every input feature of a training set.
        /// </summary>
        /// <param name="training">The samples to take the statistics from; at least one.</param>
        /// <param name="epsilon">
        /// Value added to each variance before the square root, finite and 0 or greater. It limits
        /// the factor by which a feature with a tiny variance is amplified to 1/sqrt(ε).
        /// </param>
        /// <returns>A standardizer with <see cref="FeatureCount"/> equal to the training set's input size.</returns>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="epsilon"/> is negative or not finite.</exception>
        /// <exception cref="ArgumentException">The training set is empty or contains a value that is not finite.</exception>
        public static Standardizer Fit(Dataset training, float epsilon = 1e-8f)
        {
            ArgumentNullException.ThrowIfNull(training);
            if (!float.IsFinite(epsilon) || epsilon < 0f)
            {
                throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon,
                    "Epsilon must be finite and 0 or greater; the default is 1e-8.");
            }

            if (training.Count == 0)
            {
                throw new ArgumentException(
                    "The training set is empty, so it has no statistics. Fit on at least one sample.",
                    nameof(training));
            }

            int featureCount = training.InputSize;
            ReadOnlySpan<float> inputs = training.Inputs;
            double[] means = ComputeMeans(inputs, featureCount, training.Count);
            double[] variances = ComputeVariances(inputs, featureCount, training.Count, means);

            var meanValues = new float[featureCount];
            var deviations = new float[featureCount];
            for (int feature = 0; feature < featureCount; feature++)
            {
                if (!double.IsFinite(variances[feature]))
                {
                    throw new ArgumentException(
                        $"Input feature {feature} of the training set contains a value that is not finite (NaN or ∞), so its mean and variance are undefined. Remove or replace such values before fitting.",
                        nameof(training));
                }

                meanValues[feature] = (float)means[feature];
                deviations[feature] = variances[feature] == 0d
                    ? 0f
                    : (float)Math.Sqrt(variances[feature] + epsilon);
            }

            return new Standardizer(meanValues, deviations);
        }

        /// <summary>Returns a new dataset whose inputs are standardised; its targets and labels are copies of the original's.</summary>
        /// <param name="data">Samples with <see cref="FeatureCount"/> input values each; not changed.</param>
        /// <exception cref="ArgumentException">The dataset's input size differs from <see cref="FeatureCount"/>.</exception>
        public Dataset Apply(Dataset data)
        {
            ArgumentNullException.ThrowIfNull(data);
            if (data.InputSize != FeatureCount)
            {
                throw new ArgumentException(
                    $"The dataset has {data.InputSize} input values per sample, but this standardizer was fitted on {FeatureCount}. Apply it only to data with the training set's input size.",
                    nameof(data));
            }

            float[] inputs = data.Inputs.ToArray();
            ApplyInPlace(inputs);

            // Dataset does not expose its arrays, so the targets and labels are copied; both are
            // small next to the inputs.
            float[] targets = data.Targets.ToArray();
            int[]? labels = null;
            if (data.HasLabels)
            {
                labels = new int[data.Count];
                for (int index = 0; index < labels.Length; index++)
                {
                    labels[index] = data.Label(index);
                }
            }

            return new Dataset(inputs, data.InputSize, targets, data.TargetSize, labels);
        }

        /// <summary>
        /// Standardises one sample or a batch of samples in place, without allocating.
        /// </summary>
        /// <param name="inputs">
        /// Samples of <see cref="FeatureCount"/> values one after another; the length must be a
        /// multiple of <see cref="FeatureCount"/>, and 0 is allowed.
        /// </param>
        /// <exception cref="ArgumentException">The length is not a multiple of <see cref="FeatureCount"/>.</exception>
        public void ApplyInPlace(Span<float> inputs)
        {
            if (inputs.Length % FeatureCount != 0)
            {
                throw new ArgumentException(
                    $"The input span has {inputs.Length} values, which is not a multiple of the feature count {FeatureCount}. Pass whole samples of {FeatureCount} values.",
                    nameof(inputs));
            }

            for (int start = 0; start < inputs.Length; start += FeatureCount)
            {
                Span<float> sample = inputs.Slice(start, FeatureCount);
                TensorPrimitives.Subtract(sample, _means, sample);
                TensorPrimitives.Multiply(sample, _scales, sample);
            }
        }

        private static double[] ComputeMeans(ReadOnlySpan<float> inputs, int featureCount, int count)
        {
            var sums = new double[featureCount];
            for (int start = 0; start < inputs.Length; start += featureCount)
            {
                ReadOnlySpan<float> sample = inputs.Slice(start, featureCount);
                for (int feature = 0; feature < featureCount; feature++)
                {
                    sums[feature] += sample[feature];
                }
            }

            for (int feature = 0; feature < featureCount; feature++)
            {
                sums[feature] /= count;
            }

            return sums;
        }

        /// <summary>
        /// Computes the population variance as the mean squared deviation from the already known
        /// mean (the second pass of the two-pass method), which avoids the cancellation of
        /// E[x²] − E[x]².
        /// </summary>
        private static double[] ComputeVariances(ReadOnlySpan<float> inputs, int featureCount, int count, double[] means)
        {
            var sums = new double[featureCount];
            for (int start = 0; start < inputs.Length; start += featureCount)
            {
                ReadOnlySpan<float> sample = inputs.Slice(start, featureCount);
                for (int feature = 0; feature < featureCount; feature++)
                {
                    double deviation = sample[feature] - means[feature];
                    sums[feature] += deviation * deviation;
                }
            }

            for (int feature = 0; feature < featureCount; feature++)
            {
                sums[feature] /= count;
            }

            return sums;
        }
    }
}
