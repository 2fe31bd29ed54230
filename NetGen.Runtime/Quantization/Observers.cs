using System;
using System.Globalization;

namespace NetGen.Quantization
{
    /// <summary>
    /// A calibration observer for static quantization: it consumes fp32 activations batch by
    /// batch and then chooses their <see cref="QuantizationParameters"/>.
    /// </summary>
    public abstract class QuantizationObserver
    {
        /// <summary>Number of values observed so far.</summary>
        public long Count { get; private set; }

        /// <summary>The smallest value observed, or 0 before any.</summary>
        public float Minimum { get; private set; }

        /// <summary>The largest value observed, or 0 before any.</summary>
        public float Maximum { get; private set; }

        /// <summary>Adds a batch of activations to the statistics.</summary>
        /// <param name="values">Activations; each finite.</param>
        /// <exception cref="ArgumentException">A value is NaN or infinite; the message names its index in <paramref name="values"/>, and nothing of this batch is recorded.</exception>
        public void Observe(ReadOnlySpan<float> values)
        {
            if (values.IsEmpty)
            {
                return;
            }

            (float minimum, float maximum) = Quantizer.FindRange(values);
            Minimum = Count == 0 ? minimum : Math.Min(Minimum, minimum);
            Maximum = Count == 0 ? maximum : Math.Max(Maximum, maximum);
            Count += values.Length;
            ObserveCore(values);
        }

        /// <summary>Chooses parameters for the observed activations in <paramref name="range"/>.</summary>
        /// <exception cref="InvalidOperationException">No value has been observed yet.</exception>
        public QuantizationParameters ComputeParameters(QuantizedRange range)
        {
            if (Count == 0)
            {
                throw new InvalidOperationException("The observer has seen no values. Call Observe with calibration batches before ComputeParameters.");
            }

            (float minimum, float maximum) = ChooseRange(range);
            return QuantizationParameters.FromRange(minimum, maximum, range);
        }

        /// <summary>Records a batch of finite values; <see cref="Minimum"/>, <see cref="Maximum"/> and <see cref="Count"/> already include it.</summary>
        protected virtual void ObserveCore(ReadOnlySpan<float> values)
        {
        }

        /// <summary>Returns the real range to quantize; <see cref="QuantizationParameters.FromRange"/> then extends it to include 0.</summary>
        protected abstract (float Minimum, float Maximum) ChooseRange(QuantizedRange range);
    }

    /// <summary>Chooses the range [minimum, maximum] of all observed values, as torch's MinMaxObserver does.</summary>
    public sealed class MinMaxObserver : QuantizationObserver
    {
        /// <inheritdoc/>
        protected override (float Minimum, float Maximum) ChooseRange(QuantizedRange range) => (Minimum, Maximum);
    }

    /// <summary>
    /// An observer that keeps a histogram of the observed values: <see cref="BinCount"/> equal bins
    /// over [−R, R], where R is the smallest power of two that covers every |value|. When a value
    /// exceeds R, R doubles and neighbouring bins merge in pairs; because the bin count is a
    /// multiple of 4 and the range stays centred on 0, the merge is exact. Memory is fixed
    /// whatever the number of batches.
    /// </summary>
    public abstract class HistogramObserver : QuantizationObserver
    {
        /// <summary>Number of histogram bins.</summary>
        public const int BinCount = 2048;

        private readonly long[] _counts = new long[BinCount];
        private double _halfRange;

        /// <summary>R: the histogram covers [−R, R]; 0 while only zeros have been observed.</summary>
        protected double HalfRange => _halfRange;

        /// <summary>Bin counts, [<see cref="BinCount"/>].</summary>
        protected ReadOnlySpan<long> Counts => _counts;

        /// <summary>Width of one bin, 2R / <see cref="BinCount"/>.</summary>
        protected double BinWidth => 2 * _halfRange / BinCount;

        /// <summary>Returns the centre of bin <paramref name="bin"/>.</summary>
        protected double BinCenter(int bin) => -_halfRange + (bin + 0.5) * BinWidth;

        /// <inheritdoc/>
        protected override void ObserveCore(ReadOnlySpan<float> values)
        {
            double magnitude = Math.Max(-Minimum, Maximum);
            if (magnitude > 0 && _halfRange == 0)
            {
                _halfRange = Math.ScaleB(1.0, Math.ILogB(magnitude) + 1);
            }

            while (magnitude > _halfRange)
            {
                DoubleRange();
            }

            if (_halfRange == 0)
            {
                // Only zeros so far: they belong to the bin just above 0, which is where they go once R is set.
                _counts[BinCount / 2] += values.Length;
                return;
            }

            double binsPerUnit = BinCount / (2 * _halfRange);
            foreach (float value in values)
            {
                int bin = (int)Math.Floor((value + _halfRange) * binsPerUnit);
                _counts[Math.Clamp(bin, 0, BinCount - 1)]++;
            }
        }

        private void DoubleRange()
        {
            // Old bin k covers [−R + k·w, −R + (k+1)·w); after doubling, that is new bin BinCount/4 + k/2.
            var merged = new long[BinCount];
            for (int k = 0; k < BinCount; k++)
            {
                merged[BinCount / 4 + k / 2] += _counts[k];
            }

            merged.CopyTo(_counts, 0);
            _halfRange *= 2;
        }
    }

    /// <summary>
    /// Chooses the range between the (100 − p)th and the pth percentile of the observed values,
    /// read from the histogram with linear interpolation inside a bin, so that rare outliers do
    /// not stretch the scale.
    /// </summary>
    public sealed class PercentileObserver : HistogramObserver
    {
        /// <summary>Creates an observer for the <paramref name="percentile"/>th percentile.</summary>
        /// <param name="percentile">In (50, 100]; 99.99 by default. 100 gives the histogram's minimum and maximum.</param>
        /// <exception cref="ArgumentOutOfRangeException">The percentile is outside (50, 100].</exception>
        public PercentileObserver(double percentile = 99.99)
        {
            if (!(percentile > 50 && percentile <= 100))
            {
                throw new ArgumentOutOfRangeException(nameof(percentile), percentile,
                    $"The percentile must lie in (50, 100], but it is {percentile.ToString(CultureInfo.InvariantCulture)}. Pass for example 99.99.");
            }

            Percentile = percentile;
        }

        /// <summary>The upper percentile p; the lower bound is the (100 − p)th percentile.</summary>
        public double Percentile { get; }

        /// <inheritdoc/>
        protected override (float Minimum, float Maximum) ChooseRange(QuantizedRange range)
        {
            if (HalfRange == 0)
            {
                return (0f, 0f);
            }

            double lower = Quantile(1 - Percentile / 100);
            double upper = Quantile(Percentile / 100);
            return ((float)Math.Max(lower, Minimum), (float)Math.Min(upper, Maximum));
        }

        /// <summary>Returns the value below which a fraction <paramref name="fraction"/> of the observations lie.</summary>
        private double Quantile(double fraction)
        {
            double target = fraction * Count;
            double cumulative = 0;
            ReadOnlySpan<long> counts = Counts;
            for (int bin = 0; bin < BinCount; bin++)
            {
                if (counts[bin] > 0 && cumulative + counts[bin] >= target)
                {
                    double inside = (target - cumulative) / counts[bin];
                    return -HalfRange + (bin + inside) * BinWidth;
                }

                cumulative += counts[bin];
            }

            return HalfRange;
        }
    }

    /// <summary>
    /// Chooses the clipping range that minimises the expected quantization error over the
    /// histogram. It tries <see cref="CandidateCount"/> ranges [t · Minimum, t · Maximum] for
    /// t = 1, 1 − 1/n, …, 1/n and keeps the one with the smallest estimated mean squared error
    /// (the widest on ties).
    /// </summary>
    /// <remarks>
    /// The error of a bin is estimated at its centre c: scale² / 12, the error of uniform
    /// rounding, when c lies inside the representable range, else the squared distance from c to
    /// that range. Each bin counts with its number of observations.
    /// </remarks>
    public sealed class MseObserver : HistogramObserver
    {
        /// <summary>Number of candidate ranges n.</summary>
        public const int CandidateCount = 200;

        /// <inheritdoc/>
        protected override (float Minimum, float Maximum) ChooseRange(QuantizedRange range)
        {
            if (HalfRange == 0)
            {
                return (0f, 0f);
            }

            (float Minimum, float Maximum) best = (Minimum, Maximum);
            double bestError = double.PositiveInfinity;
            for (int k = CandidateCount; k >= 1; k--)
            {
                double fraction = (double)k / CandidateCount;
                (float Minimum, float Maximum) candidate = ((float)(Minimum * fraction), (float)(Maximum * fraction));
                double error = EstimateError(QuantizationParameters.FromRange(candidate.Minimum, candidate.Maximum, range));
                if (error < bestError)
                {
                    bestError = error;
                    best = candidate;
                }
            }

            return best;
        }

        /// <summary>Returns the estimated sum of squared errors of quantizing the histogram with <paramref name="parameters"/>.</summary>
        private double EstimateError(QuantizationParameters parameters)
        {
            double scale = parameters.Scale;
            double low = ((double)parameters.QuantizedMinimum - parameters.ZeroPoint) * scale;
            double high = ((double)parameters.QuantizedMaximum - parameters.ZeroPoint) * scale;
            double roundingError = scale * scale / 12;
            ReadOnlySpan<long> counts = Counts;
            double total = 0;
            for (int bin = 0; bin < BinCount; bin++)
            {
                if (counts[bin] == 0)
                {
                    continue;
                }

                double center = BinCenter(bin);
                double clipped = Math.Clamp(center, low, high);
                double error = center == clipped ? roundingError : (center - clipped) * (center - clipped);
                total += counts[bin] * error;
            }

            return total;
        }
    }
}
