using System;
using NetGen.Quantization;

namespace NetGen.Tests.Quantization
{
    public class ObserverTests
    {
        /// <summary>
        /// Allowed error of a percentile read from the histogram: a bin of 2048 over [−1, 1] is
        /// 0.001 wide, and the sample quantile of 200 000 uniform draws errs by about
        /// sqrt(p(1 − p)/n) · 2 ≈ 0.0005 at p = 0.99; taken with a margin.
        /// </summary>
        private const double PercentileTolerance = 0.005;

        /// <summary>
        /// How far the MSE observer's choice may be from the best candidate measured on the data:
        /// it estimates errors from bin centres, which misplaces a value by up to half a bin.
        /// </summary>
        private const double MseSearchTolerance = 1.1;

        [Fact]
        public void MinMax_MatchesHandComputedParameters()
        {
            var observer = new MinMaxObserver();
            observer.Observe(new[] { -1f, 2f });
            observer.Observe(new[] { 3f, 0.5f });

            // [−1, 3]: scale 4/255, zero point round(1 / (4/255)) = round(63.75) = 64.
            QuantizationParameters parameters = observer.ComputeParameters(QuantizedRange.UInt8);
            Assert.Equal((float)(4.0 / 255), parameters.Scale);
            Assert.Equal(64, parameters.ZeroPoint);
            Assert.Equal(4, observer.Count);
        }

        [Fact]
        public void Percentile_UniformDataGivesQuantile()
        {
            var observer = new PercentileObserver(99);
            float[] data = Uniform(200_000, -1, 1, seed: 3);
            for (int start = 0; start < data.Length; start += 1000)
            {
                observer.Observe(data.AsSpan(start, 1000));
            }

            QuantizationParameters parameters = observer.ComputeParameters(QuantizedRange.UInt8);

            // The 1st and 99th percentiles of U(−1, 1) are ∓0.98; the quantized range spans them up to a step.
            Assert.InRange(parameters.RepresentableMaximum, 0.98 - PercentileTolerance, 0.98 + PercentileTolerance + parameters.Scale);
            Assert.InRange(parameters.RepresentableMinimum, -0.98 - PercentileTolerance - parameters.Scale, -0.98 + PercentileTolerance);
        }

        [Fact]
        public void Percentile_IgnoresRareOutlierAfterRangeGrowth()
        {
            var observer = new PercentileObserver(99.9);
            observer.Observe(Uniform(10_000, 0, 1, seed: 4));
            observer.Observe(new[] { 1000f });
            observer.Observe(Uniform(10_000, 0, 1, seed: 5));

            QuantizationParameters parameters = observer.ComputeParameters(QuantizedRange.UInt8);
            Assert.Equal(1000f, observer.Maximum);
            Assert.InRange(parameters.RepresentableMaximum, 0.99, 1.6);

            var full = new PercentileObserver(100);
            full.Observe(new[] { 0.25f, 1000f });
            Assert.Equal((float)(1000.0 / 255), full.ComputeParameters(QuantizedRange.UInt8).Scale);
        }

        [Fact]
        public void Mse_HeavyTailsFindBestClipping()
        {
            float[] data = Laplace(100_000, seed: 6);
            var minMax = new MinMaxObserver();
            var mse = new MseObserver();
            minMax.Observe(data);
            mse.Observe(data);

            double minMaxError = QuantizationError(data, minMax.ComputeParameters(QuantizedRange.UInt8));
            double mseError = QuantizationError(data, mse.ComputeParameters(QuantizedRange.UInt8));

            // The best of the same candidate ranges, with the error measured on the data itself instead of the histogram.
            double bestError = double.PositiveInfinity;
            for (int k = 1; k <= MseObserver.CandidateCount; k++)
            {
                double t = (double)k / MseObserver.CandidateCount;
                var candidate = QuantizationParameters.FromRange((float)(minMax.Minimum * t), (float)(minMax.Maximum * t), QuantizedRange.UInt8);
                bestError = Math.Min(bestError, QuantizationError(data, candidate));
            }

            // For 100 000 Laplace draws the best clipping is about 0.9 × the full range and lowers the error by about 15 %.
            Assert.True(mseError < minMaxError, $"MSE observer error {mseError:E3} is not below the min-max error {minMaxError:E3}.");
            Assert.True(mseError <= MseSearchTolerance * bestError, $"MSE observer error {mseError:E3} exceeds the best candidate's {bestError:E3} by more than {MseSearchTolerance}×.");
        }

        [Fact]
        public void Mse_UniformDataKeepsNearlyFullRange()
        {
            var observer = new MseObserver();
            observer.Observe(Uniform(50_000, 0, 1, seed: 7));

            QuantizationParameters parameters = observer.ComputeParameters(QuantizedRange.UInt8);
            Assert.InRange(parameters.RepresentableMaximum, 0.95, 1.0);
        }

        [Fact]
        public void AllZeroObservations_GiveScaleOne()
        {
            foreach (QuantizationObserver observer in new QuantizationObserver[] { new MinMaxObserver(), new PercentileObserver(), new MseObserver() })
            {
                observer.Observe(new float[100]);
                Assert.Equal(new QuantizationParameters(1f, 0, QuantizedRange.UInt8), observer.ComputeParameters(QuantizedRange.UInt8));
            }
        }

        [Fact]
        public void Observe_NaNThrowsNamingIndex()
        {
            var observer = new MseObserver();
            var values = new float[10];
            values[5] = float.NaN;

            ArgumentException error = Assert.Throws<ArgumentException>(() => observer.Observe(values));
            Assert.Contains("index 5", error.Message, StringComparison.Ordinal);
            Assert.Equal(0, observer.Count);
            Assert.Throws<InvalidOperationException>(() => observer.ComputeParameters(QuantizedRange.UInt8));
            Assert.Throws<ArgumentOutOfRangeException>(() => new PercentileObserver(40));
        }

        [Fact]
        public void FakeQuantization_ForwardMatchesHandValues()
        {
            var parameters = new QuantizationParameters(0.5f, 10, QuantizedRange.UInt8);
            float[] x = { 0.26f, -10f, 200f, 0.25f, float.NaN };
            var y = new float[x.Length];

            FakeQuantization.Forward(x, parameters, y);

            // 0.26 → 0.52 → 1 → 0.5; −10 → −10 → 0 (saturated) → −5; 200 → 410 → 255 → 122.5; 0.25 → 0.5 → 0 (tie to even) → 0.
            Assert.Equal(new[] { 0.5f, -5f, 122.5f, 0f }, y.AsSpan(0, 4).ToArray());
            Assert.True(float.IsNaN(y[4]));
        }

        [Fact]
        public void FakeQuantization_GradientPassesInsideRangeOnly()
        {
            var parameters = new QuantizationParameters(0.5f, 10, QuantizedRange.UInt8);

            // q = round(x / 0.5) + 10: 122.5 → 255 (inside), 123 → 256 (outside), −5 → 0 (inside), −5.5 → −1 (outside).
            float[] x = { 122.5f, 123f, -5f, -5.5f, 1f, float.NaN };
            float[] dy = { 1f, 2f, 3f, 4f, 5f, 6f };
            var dx = new float[x.Length];

            FakeQuantization.Backward(x, dy, parameters, dx);
            Assert.Equal(new[] { 1f, 0f, 3f, 0f, 5f, 0f }, dx);
        }

        /// <summary>Mean squared error of quantize–dequantize, computed in double from the formulas.</summary>
        internal static double QuantizationError(float[] data, QuantizationParameters parameters)
        {
            double sum = 0;
            foreach (float value in data)
            {
                double q = Math.Round((double)(value / parameters.Scale), MidpointRounding.ToEven) + parameters.ZeroPoint;
                q = Math.Clamp(q, parameters.QuantizedMinimum, parameters.QuantizedMaximum);
                double restored = (q - parameters.ZeroPoint) * parameters.Scale;
                sum += (restored - value) * (restored - value);
            }

            return sum / data.Length;
        }

        private static float[] Uniform(int length, double minimum, double maximum, int seed)
        {
            var random = new Random(seed);
            var values = new float[length];
            for (int i = 0; i < length; i++)
            {
                values[i] = (float)(minimum + random.NextDouble() * (maximum - minimum));
            }

            return values;
        }

        /// <summary>Returns draws from the Laplace distribution with scale 1, whose tails are heavier than a Gaussian's.</summary>
        private static float[] Laplace(int length, int seed)
        {
            var random = new Random(seed);
            var values = new float[length];
            for (int i = 0; i < length; i++)
            {
                double magnitude = -Math.Log(1 - random.NextDouble());
                values[i] = (float)(random.Next(2) == 0 ? magnitude : -magnitude);
            }

            return values;
        }
    }
}
