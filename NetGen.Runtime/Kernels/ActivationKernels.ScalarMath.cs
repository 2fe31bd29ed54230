using System;

namespace NetGen.Kernels
{
    // Double-precision building blocks that .NET lacks or computes with cancellation: expm1,
    // log1p, a sigmoid pair without 1 − σ, and the standard normal CDF through erf and erfc.
    // The float kernels evaluate them in double and round once, so each float result is within
    // about one or two units in the last place.
    public static partial class ActivationKernels
    {
        /// <summary>1/√π.</summary>
        private const double InverseSqrtPi = 0.56418958354775628695;

        /// <summary>1/√2.</summary>
        private const double InverseSqrt2 = 0.70710678118654752440;

        /// <summary>1/√(2π).</summary>
        private const double InverseSqrt2Pi = 0.39894228040143267794;

        /// <summary>
        /// Below this |x|/√2, erf comes from its power series, and above it erfc comes from its
        /// continued fraction. Each takes about 40 terms near 2.5 and fewer away from it.
        /// </summary>
        private const double ErfSeriesLimit = 2.5;

        /// <summary>Above this |x|/√2, erfc underflows double (erfc(27) ≈ 5e-319), so Φ is exactly 0 or 1.</summary>
        private const double ErfcUnderflowLimit = 27;

        /// <summary>
        /// Returns e^x − 1 without the cancellation of <c>Math.Exp(x) − 1</c> near 0.
        /// </summary>
        /// <remarks>
        /// With u = fl(e^x), the ratio (u − 1)/ln u cancels the rounding error of u, so
        /// (u − 1)·x/ln u keeps nearly full relative precision for every x.
        /// </remarks>
        internal static double ExpM1(double x)
        {
            double u = Math.Exp(x);
            if (u == 1.0)
            {
                return x;
            }

            double uMinusOne = u - 1.0;
            if (uMinusOne == -1.0)
            {
                return -1.0;
            }

            return uMinusOne * x / Math.Log(u);
        }

        /// <summary>
        /// Returns ln(1 + x) without the cancellation of <c>Math.Log(1 + x)</c> near 0, for x &gt; −1.
        /// </summary>
        /// <remarks>
        /// With w = fl(1 + x), ln(w)·x/(w − 1) has a relative error of at most 5 units in the last place
        /// for 0 ≤ x &lt; 3/4 (Goldberg, "What Every Computer Scientist Should Know About Floating-Point
        /// Arithmetic", 1991, Theorem 4). Larger x do not cancel.
        /// </remarks>
        internal static double LogP1(double x)
        {
            double w = 1.0 + x;
            if (w == 1.0)
            {
                return x;
            }

            return Math.Log(w) * x / (w - 1.0);
        }

        /// <summary>
        /// Returns σ(x) = 1/(1 + e^−x) and σ(−x) = 1 − σ(x), each computed directly so that neither
        /// loses precision to cancellation when the other is close to 1.
        /// </summary>
        internal static (double Sigmoid, double Complement) SigmoidPair(double x)
        {
            if (x >= 0)
            {
                double e = Math.Exp(-x);
                double denominator = 1.0 + e;
                return (1.0 / denominator, e / denominator);
            }
            else
            {
                // NaN takes this branch, so both results are NaN.
                double e = Math.Exp(x);
                double denominator = 1.0 + e;
                return (e / denominator, 1.0 / denominator);
            }
        }

        /// <summary>
        /// Returns the standard normal CDF Φ(x) = ½(1 + erf(x/√2)), with full relative precision in
        /// the lower tail, where it equals ½·erfc(|x|/√2).
        /// </summary>
        internal static double NormalCdf(double x)
        {
            if (double.IsNaN(x))
            {
                return x;
            }

            double z = Math.Abs(x) * InverseSqrt2;
            if (z < ErfSeriesLimit)
            {
                double erf = ErfSeries(z);
                return x >= 0 ? 0.5 + 0.5 * erf : 0.5 - 0.5 * erf;
            }

            double erfc = z > ErfcUnderflowLimit ? 0.0 : ErfcContinuedFraction(z);
            return x >= 0 ? 1.0 - 0.5 * erfc : 0.5 * erfc;
        }

        /// <summary>Returns the standard normal density φ(x) = e^(−x²/2)/√(2π).</summary>
        internal static double NormalDensity(double x) => InverseSqrt2Pi * Math.Exp(-0.5 * x * x);

        /// <summary>
        /// Returns erf(z) for 0 ≤ z &lt; <see cref="ErfSeriesLimit"/> from the series with positive terms
        /// erf(z) = (2/√π)·e^(−z²)·Σ_n 2ⁿ z^(2n+1) / (1·3·…·(2n+1)), from Abramowitz and Stegun,
        /// Handbook of Mathematical Functions (1964), §7.1.
        /// </summary>
        private static double ErfSeries(double z)
        {
            double ratio = 2.0 * z * z;
            double term = z;
            double sum = z;
            for (int n = 1; n < 200 && term > 1e-17 * sum; n++)
            {
                term *= ratio / (2 * n + 1);
                sum += term;
            }

            return 2.0 * InverseSqrtPi * Math.Exp(-z * z) * sum;
        }

        /// <summary>
        /// Returns erfc(z) for z ≥ <see cref="ErfSeriesLimit"/> from the continued fraction
        /// erfc(z) = (e^(−z²)/√π) / (z + (1/2)/(z + 1/(z + (3/2)/(z + …)))), from Abramowitz and Stegun,
        /// Handbook of Mathematical Functions (1964), §7.1, evaluated front to back with the modified Lentz method.
        /// </summary>
        private static double ErfcContinuedFraction(double z)
        {
            double fraction = z;
            double c = z;
            double d = 0.0;
            for (int n = 1; n < 500; n++)
            {
                double numerator = 0.5 * n;
                d = 1.0 / (z + numerator * d);
                c = z + numerator / c;
                double delta = c * d;
                fraction *= delta;
                if (Math.Abs(delta - 1.0) < 1e-16)
                {
                    break;
                }
            }

            return InverseSqrtPi * Math.Exp(-z * z) / fraction;
        }
    }
}
