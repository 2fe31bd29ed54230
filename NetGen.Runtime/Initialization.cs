using System;

namespace NetGen
{
    /// <summary>Fills parameter buffers with initial values drawn from a seeded generator.</summary>
    public static class Initialization
    {
        /// <summary>Fills <paramref name="values"/> with independent draws from U(−bound, bound).</summary>
        /// <param name="values">Buffer to fill.</param>
        /// <param name="bound">Half-width of the interval; must be finite and non-negative.</param>
        /// <param name="random">Generator to draw from; a seeded <see cref="Random"/> makes the values reproducible.</param>
        public static void Uniform(Span<float> values, float bound, Random random)
        {
            ArgumentNullException.ThrowIfNull(random);
            if (!float.IsFinite(bound) || bound < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(bound), bound, "The bound must be a finite, non-negative number.");
            }

            for (int i = 0; i < values.Length; i++)
            {
                values[i] = (float)(((2.0 * random.NextDouble()) - 1.0) * bound);
            }
        }
    
        /// <summary>Fills <paramref name="values"/> with independent draws from N(0, <paramref name="standardDeviation"/>²).</summary>
        /// <param name="values">Buffer to fill.</param>
        /// <param name="standardDeviation">Standard deviation; must be finite and non-negative.</param>
        /// <param name="random">Generator to draw from; a seeded <see cref="Random"/> makes the values reproducible.</param>
        public static void Normal(Span<float> values, float standardDeviation, Random random)
        {
            ArgumentNullException.ThrowIfNull(random);
            if (!float.IsFinite(standardDeviation) || standardDeviation < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(standardDeviation), standardDeviation, "The standard deviation must be a finite, non-negative number.");
            }

            // Box–Muller: two uniform draws give two independent standard normal draws.
            for (int i = 0; i < values.Length; i += 2)
            {
                double u1 = 1.0 - random.NextDouble();
                double u2 = random.NextDouble();
                double radius = Math.Sqrt(-2.0 * Math.Log(u1)) * standardDeviation;
                values[i] = (float)(radius * Math.Cos(2 * Math.PI * u2));
                if (i + 1 < values.Length)
                {
                    values[i + 1] = (float)(radius * Math.Sin(2 * Math.PI * u2));
                }
            }
        }
    }
}
