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
    }
}
