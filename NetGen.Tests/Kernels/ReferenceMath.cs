using System;

namespace NetGen.Tests.Kernels
{
    /// <summary>
    /// Double-precision reference functions for the kernel tests, written independently of the
    /// kernels: Taylor polynomials near 0 where the library function cancels, and for erf the
    /// alternating Maclaurin series with a continued fraction evaluated from the bottom up.
    /// </summary>
    internal static class ReferenceMath
    {
        /// <summary>e^x − 1: its Taylor polynomial to x⁶ for |x| &lt; 1e-3 (error below x⁷/5040 ≈ 2e-25), else Math.Exp(x) − 1.</summary>
        public static double ExpM1(double x)
        {
            if (Math.Abs(x) < 1e-3)
            {
                return x * (1 + x / 2 * (1 + x / 3 * (1 + x / 4 * (1 + x / 5 * (1 + x / 6)))));
            }

            return Math.Exp(x) - 1;
        }

        /// <summary>ln(1 + u): its Taylor polynomial to u⁶ for |u| &lt; 1e-3 (error below u⁷/7 ≈ 1.5e-22), else Math.Log(1 + u).</summary>
        public static double LogP1(double u)
        {
            if (Math.Abs(u) < 1e-3)
            {
                return u - u * u / 2 + u * u * u / 3 - u * u * u * u / 4 + Math.Pow(u, 5) / 5 - Math.Pow(u, 6) / 6;
            }

            return Math.Log(1 + u);
        }

        /// <summary>The logistic function, from the side where the exponential cannot overflow.</summary>
        public static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));

        /// <summary>
        /// erf(z) for |z| ≤ 2 from the Maclaurin series
        /// erf(z) = (2/√π) Σ_n (−1)ⁿ z^(2n+1) / (n!·(2n+1)) (Abramowitz and Stegun, §7.1); 1 − erfc(z) beyond.
        /// </summary>
        public static double Erf(double z)
        {
            if (Math.Abs(z) > 2)
            {
                return Math.Sign(z) * (1 - Erfc(Math.Abs(z)));
            }

            double power = z;
            double sum = 0;
            for (int n = 0; n < 60; n++)
            {
                sum += power / (2 * n + 1);
                power *= -z * z / (n + 1);
            }

            return 2 / Math.Sqrt(Math.PI) * sum;
        }

        /// <summary>
        /// erfc(z) for z &gt; 2 from the continued fraction
        /// erfc(z) = (e^(−z²)/√π) / (z + (1/2)/(z + 1/(z + (3/2)/(z + …)))) (Abramowitz and Stegun, §7.1),
        /// truncated at 2000 levels and evaluated from the innermost level outwards; 1 − erf(z) below.
        /// </summary>
        public static double Erfc(double z)
        {
            if (z <= 2)
            {
                return 1 - Erf(z);
            }

            double tail = z;
            for (int n = 2000; n >= 1; n--)
            {
                tail = z + n / 2.0 / tail;
            }

            return Math.Exp(-z * z) / Math.Sqrt(Math.PI) / tail;
        }

        /// <summary>The standard normal CDF Φ(x), through erfc in the lower tail so that it keeps relative precision there.</summary>
        public static double NormalCdf(double x) =>
            x >= 0 ? 0.5 * (1 + Erf(x / Math.Sqrt(2))) : 0.5 * Erfc(-x / Math.Sqrt(2));

        /// <summary>The standard normal density φ(x).</summary>
        public static double NormalDensity(double x) => Math.Exp(-x * x / 2) / Math.Sqrt(2 * Math.PI);

        /// <summary>Central difference (f(x + h) − f(x − h)) / 2h with h = 1e-5·max(1, |x|).</summary>
        public static double CentralDifference(Func<double, double> function, double x)
        {
            double h = 1e-5 * Math.Max(1, Math.Abs(x));
            return (function(x + h) - function(x - h)) / (2 * h);
        }

        /// <summary>Asserts <c>|actual − expected| ≤ relative·|expected| + absolute</c>, naming the element in the message.</summary>
        public static void AssertNear(double expected, double actual, double relative, double absolute, string element)
        {
            double error = Math.Abs(actual - expected);
            double bound = relative * Math.Abs(expected) + absolute;
            Assert.True(error <= bound,
                $"{element}: expected {expected:R}, got {actual:R}; error {error:E3} exceeds {relative:E1} × |expected| + {absolute:E1} = {bound:E3}.");
        }
    }
}
