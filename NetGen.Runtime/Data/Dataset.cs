using System;

namespace NetGen.Data
{
    /// <summary>
    /// Samples for training or evaluation: inputs [Count, InputSize] and targets
    /// [Count, TargetSize], both row-major floats, plus an optional class index per sample.
    /// </summary>
    /// <remarks>
    /// The constructor takes ownership of the arrays and does not copy them, because a copy would
    /// keep a large data set in memory twice. Do not change the arrays afterwards.
    /// </remarks>
    public sealed class Dataset
    {
        private const string InputSizeAdvice = "Pass the number of input values per sample, such as the network's InputSize.";

        private readonly float[] _inputs;
        private readonly float[] _targets;
        private readonly int[]? _labels;

        /// <summary>Creates a dataset over the given arrays without copying them.</summary>
        /// <param name="inputs">Count × <paramref name="inputSize"/> values, sample after sample.</param>
        /// <param name="inputSize">Number of input values per sample; must be positive.</param>
        /// <param name="targets">Count × <paramref name="targetSize"/> values, sample after sample.</param>
        /// <param name="targetSize">Number of target values per sample; must be positive.</param>
        /// <param name="labels">Optional class index per sample: Count values, none negative.</param>
        /// <exception cref="ArgumentOutOfRangeException">A size is zero or negative.</exception>
        /// <exception cref="ArgumentException">The array lengths do not describe the same number of samples, a label is negative, or a value is NaN or infinite.</exception>
        public Dataset(float[] inputs, int inputSize, float[] targets, int targetSize, int[]? labels = null)
        {
            ArgumentNullException.ThrowIfNull(inputs);
            ArgumentNullException.ThrowIfNull(targets);
            ArgumentRules.RequireAtLeast(inputSize, 1, InputSizeAdvice);
            ArgumentRules.RequireAtLeast(targetSize, 1, "Pass the number of target values per sample, such as the network's OutputSize.");

            if (inputs.Length % inputSize != 0)
            {
                throw new ArgumentException(
                    $"The input array has {inputs.Length} values, which is not a multiple of the input size {inputSize}. Pass Count × {inputSize} values.",
                    nameof(inputs));
            }

            int count = inputs.Length / inputSize;
            if ((long)count * targetSize != targets.Length)
            {
                throw new ArgumentException(
                    $"The inputs contain {count} samples of {inputSize} values, so the targets must contain {count} × {targetSize} = {(long)count * targetSize} values, but they contain {targets.Length}.",
                    nameof(targets));
            }

            if (labels is not null)
            {
                ValidateLabels(labels, count);
            }

            // One NaN or infinity would turn every parameter into NaN at the first training step.
            RejectNonFinite(inputs, inputSize, nameof(inputs));
            RejectNonFinite(targets, targetSize, nameof(targets));

            Count = count;
            InputSize = inputSize;
            TargetSize = targetSize;
            _inputs = inputs;
            _targets = targets;
            _labels = labels;
        }

        private static void RejectNonFinite(float[] values, int width, string parameterName)
        {
            for (int i = 0; i < values.Length; i++)
            {
                if (!float.IsFinite(values[i]))
                {
                    throw new ArgumentException(
                        $"Value {i % width} of sample {i / width} is {values[i]}; every value must be a finite number. Clean or impute the data before building the data set.",
                        parameterName);
                }
            }
        }

        /// <summary>Number of samples.</summary>
        public int Count { get; }

        /// <summary>Number of input values per sample.</summary>
        public int InputSize { get; }

        /// <summary>Number of target values per sample.</summary>
        public int TargetSize { get; }

        /// <summary>All inputs, [Count, InputSize] row-major.</summary>
        public ReadOnlySpan<float> Inputs => _inputs;

        /// <summary>All targets, [Count, TargetSize] row-major.</summary>
        public ReadOnlySpan<float> Targets => _targets;

        /// <summary>Whether each sample has a class index, readable with <see cref="Label"/>.</summary>
        public bool HasLabels => _labels is not null;

        /// <summary>Returns the <see cref="InputSize"/> input values of one sample.</summary>
        /// <param name="index">Sample index in [0, <see cref="Count"/>).</param>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside [0, <see cref="Count"/>).</exception>
        public ReadOnlySpan<float> Input(int index)
        {
            CheckIndex(index);
            return _inputs.AsSpan(index * InputSize, InputSize);
        }

        /// <summary>Returns the <see cref="TargetSize"/> target values of one sample.</summary>
        /// <param name="index">Sample index in [0, <see cref="Count"/>).</param>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside [0, <see cref="Count"/>).</exception>
        public ReadOnlySpan<float> Target(int index)
        {
            CheckIndex(index);
            return _targets.AsSpan(index * TargetSize, TargetSize);
        }

        /// <summary>Returns the class index of one sample.</summary>
        /// <param name="index">Sample index in [0, <see cref="Count"/>).</param>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside [0, <see cref="Count"/>).</exception>
        /// <exception cref="InvalidOperationException">The dataset has no labels (<see cref="HasLabels"/> is false).</exception>
        public int Label(int index)
        {
            CheckIndex(index);
            if (_labels is null)
            {
                throw new InvalidOperationException(
                    "This dataset has no labels. Create it with ForClassification or pass labels to the constructor.");
            }

            return _labels[index];
        }

        /// <summary>
        /// Creates a classification dataset: the targets are one-hot vectors of
        /// <paramref name="classCount"/> values, 1 at the label and 0 elsewhere, and the labels are kept.
        /// </summary>
        /// <param name="inputs">Count × <paramref name="inputSize"/> values, sample after sample; not copied.</param>
        /// <param name="inputSize">Number of input values per sample; must be positive.</param>
        /// <param name="labels">Class index of each sample, each below <paramref name="classCount"/>.</param>
        /// <param name="classCount">Number of classes; must be positive.</param>
        /// <returns>A dataset with <see cref="TargetSize"/> equal to <paramref name="classCount"/>.</returns>
        /// <exception cref="ArgumentOutOfRangeException">A size is zero or negative.</exception>
        /// <exception cref="ArgumentException">The number of labels differs from the number of samples, or a label is not below <paramref name="classCount"/>.</exception>
        public static Dataset ForClassification(float[] inputs, int inputSize, ReadOnlySpan<byte> labels, int classCount)
        {
            ArgumentNullException.ThrowIfNull(inputs);
            ArgumentRules.RequireAtLeast(inputSize, 1, InputSizeAdvice);
            ArgumentRules.RequireAtLeast(classCount, 1, "Pass the number of classes, such as the network's OutputSize.");

            if (inputs.Length % inputSize != 0)
            {
                throw new ArgumentException(
                    $"The input array has {inputs.Length} values, which is not a multiple of the input size {inputSize}. Pass Count × {inputSize} values.",
                    nameof(inputs));
            }

            int count = inputs.Length / inputSize;
            if (labels.Length != count)
            {
                throw new ArgumentException(
                    $"The inputs contain {count} samples of {inputSize} values, but there are {labels.Length} labels. Pass one label per sample.",
                    nameof(labels));
            }

            long targetLength = (long)count * classCount;
            if (targetLength > Array.MaxLength)
            {
                throw new ArgumentException(
                    $"One-hot targets for {count} samples of {classCount} classes need {targetLength} values, more than the maximum array length {Array.MaxLength}. Use fewer samples per dataset.",
                    nameof(classCount));
            }

            var targets = new float[targetLength];
            var classes = new int[count];
            for (int i = 0; i < count; i++)
            {
                int label = labels[i];
                if (label >= classCount)
                {
                    throw new ArgumentException(
                        $"Label {label} of sample {i} is not a valid class index: with {classCount} classes, labels must be in [0, {classCount - 1}].",
                        nameof(labels));
                }

                classes[i] = label;
                targets[((long)i * classCount) + label] = 1f;
            }

            return new Dataset(inputs, inputSize, targets, classCount, classes);
        }

        /// <summary>
        /// Copies the samples [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>)
        /// into a new dataset, for example to hold out a validation split.
        /// </summary>
        /// <param name="start">Index of the first sample to copy.</param>
        /// <param name="count">Number of samples to copy; may be zero.</param>
        /// <returns>A dataset that shares no arrays with this one, with labels if this one has them.</returns>
        /// <exception cref="ArgumentOutOfRangeException">The range does not lie within [0, <see cref="Count"/>].</exception>
        public Dataset Slice(int start, int count)
        {
            if (start < 0 || start > Count)
            {
                throw new ArgumentOutOfRangeException(nameof(start), start,
                    $"The slice start must be in [0, {Count}], the number of samples.");
            }

            if (count < 0 || count > Count - start)
            {
                throw new ArgumentOutOfRangeException(nameof(count), count,
                    $"The slice starting at {start} can contain 0 to {Count - start} samples of the {Count} in the dataset.");
            }

            float[] inputs = _inputs.AsSpan(start * InputSize, count * InputSize).ToArray();
            float[] targets = _targets.AsSpan(start * TargetSize, count * TargetSize).ToArray();
            int[]? labels = _labels?.AsSpan(start, count).ToArray();
            return new Dataset(inputs, InputSize, targets, TargetSize, labels);
        }

        private void CheckIndex(int index)
        {
            if ((uint)index >= (uint)Count)
            {
                throw new ArgumentOutOfRangeException(nameof(index), index,
                    $"The sample index must be in [0, {Count}).");
            }
        }

        private static void ValidateLabels(int[] labels, int count)
        {
            if (labels.Length != count)
            {
                throw new ArgumentException(
                    $"The inputs contain {count} samples, but there are {labels.Length} labels. Pass one label per sample.",
                    nameof(labels));
            }

            for (int i = 0; i < labels.Length; i++)
            {
                if (labels[i] < 0)
                {
                    throw new ArgumentException(
                        $"Label {labels[i]} of sample {i} is negative, but a label is a class index, 0 or greater.",
                        nameof(labels));
                }
            }
        }
    }
}
