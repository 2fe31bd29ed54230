using System;
using NetGen.Kernels;

namespace NetGen.Tests.Kernels
{
    /// <summary>Tests of the double-precision helpers behind the activations, and of the test reference for erf.</summary>
    public class ScalarMathTests
    {
        /// <summary>Allowed relative error of a double-precision helper: a few hundred units of 2⁻⁵³, far below float's precision.</summary>
        private const double DoubleTolerance = 1e-13;

        /// <summary>Values of erf and erfc to 19 significant digits; each agrees with Python 3's math.erf and math.erfc to within 2e-16 relative.</summary>
        private static readonly (double Z, double Erf, double Erfc)[] KnownValues =
        {
            (0.5, 0.5204998778130465377, 0.4795001221869534623),
            (1.0, 0.8427007929497148693, 0.1572992070502851307),
            (2.0, 0.9953222650189527342, 0.004677734981047265838),
            (3.0, 0.9999779095030014146, 2.209049699858544137e-5),
            (4.0, 0.9999999845827420997, 1.541725790028001885e-8),
            (5.0, 0.9999999999984625402, 1.537459794428034850e-12),
        };

        [Fact]
        public void ReferenceErf_MatchesKnownValues()
        {
            foreach ((double z, double erf, double erfc) in KnownValues)
            {
                ReferenceMath.AssertNear(erf, ReferenceMath.Erf(z), DoubleTolerance, 0, $"reference erf({z})");
                ReferenceMath.AssertNear(erfc, ReferenceMath.Erfc(z), DoubleTolerance, 0, $"reference erfc({z})");
                ReferenceMath.AssertNear(-erf, ReferenceMath.Erf(-z), DoubleTolerance, 0, $"reference erf(−{z})");
            }
        }

        [Fact]
        public void NormalCdf_MatchesKnownValuesAndReference()
        {
            // Φ(x) = ½(1 + erf(x/√2)), so Φ(z√2) = ½(1 + erf z) and Φ(−z√2) = ½·erfc z.
            foreach ((double z, double erf, double erfc) in KnownValues)
            {
                double x = z * Math.Sqrt(2);
                ReferenceMath.AssertNear(0.5 * (1 + erf), ActivationKernels.NormalCdf(x), DoubleTolerance, 0, $"Φ({x:R})");
                ReferenceMath.AssertNear(0.5 * erfc, ActivationKernels.NormalCdf(-x), DoubleTolerance, 0, $"Φ({-x:R})");
            }

            // In the lower tail Φ ∝ e^(−x²/2), and the rounding of x²/2 alone gives it a relative error of about (x²/2)·2⁻⁵³.
            for (double x = -38; x <= 10; x += 0.0625)
            {
                double tolerance = DoubleTolerance * (1 + x * x / 2);
                ReferenceMath.AssertNear(ReferenceMath.NormalCdf(x), ActivationKernels.NormalCdf(x), tolerance, 1e-300, $"Φ({x:R}) against the reference");
            }

            Assert.Equal(0.0, ActivationKernels.NormalCdf(-1e30));
            Assert.Equal(1.0, ActivationKernels.NormalCdf(1e30));
            Assert.True(double.IsNaN(ActivationKernels.NormalCdf(double.NaN)), "Φ(NaN) must be NaN.");
        }

        [Fact]
        public void ExpM1AndLogP1_KeepPrecisionNearZero()
        {
            foreach (double x in new[] { 1e-30, -1e-20, 1e-10, -3e-6, 1e-4, -0.001, 0.3, -0.7, 5, -40, 700 })
            {
                ReferenceMath.AssertNear(ReferenceMath.ExpM1(x), ActivationKernels.ExpM1(x), DoubleTolerance, 0, $"expm1({x:R})");
            }

            foreach (double u in new[] { 1e-30, 1e-20, 1e-10, -3e-6, 1e-4, -0.001, 0.3, -0.7, 5, 1e10 })
            {
                ReferenceMath.AssertNear(ReferenceMath.LogP1(u), ActivationKernels.LogP1(u), DoubleTolerance, 0, $"log1p({u:R})");
            }

            Assert.Equal(-1.0, ActivationKernels.ExpM1(double.NegativeInfinity));
            Assert.Equal(0.0, ActivationKernels.ExpM1(0.0));
            Assert.Equal(0.0, ActivationKernels.LogP1(0.0));
        }

        [Fact]
        public void SigmoidPair_ComplementKeepsPrecision()
        {
            foreach (double x in new[] { -800, -50, -3, -1e-9, 0, 1e-9, 3, 50, 800 })
            {
                (double sigmoid, double complement) = ActivationKernels.SigmoidPair(x);
                ReferenceMath.AssertNear(ReferenceMath.Sigmoid(x), sigmoid, DoubleTolerance, 0, $"σ({x})");
                ReferenceMath.AssertNear(ReferenceMath.Sigmoid(-x), complement, DoubleTolerance, 0, $"σ(−{x})");
            }
        }
    }
}
