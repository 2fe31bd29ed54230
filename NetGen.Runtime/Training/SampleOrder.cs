using System;

namespace NetGen
{
    /// <summary>
    /// Seeded shuffling of the sample order for one epoch, without allocation.
    /// </summary>
    /// <remarks>
    /// The generator is SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
    /// generators", OOPSLA 2014), started from the state (seed &lt;&lt; 32) XOR epoch, so the
    /// order of an epoch depends on nothing else. <see cref="System.Random"/> is not used
    /// because constructing a seeded instance allocates the object and its state table.
    /// </remarks>
    internal static class SampleOrder
    {
        /// <summary>Fills <paramref name="order"/> with 0 … length − 1.</summary>
        public static void Identity(Span<int> order)
        {
            for (int i = 0; i < order.Length; i++)
            {
                order[i] = i;
            }
        }

        /// <summary>
        /// Fills <paramref name="order"/> with 0 … length − 1 and shuffles it with Fisher–Yates,
        /// drawing from a generator started from <paramref name="seed"/> and <paramref name="epoch"/>.
        /// </summary>
        public static void Shuffle(Span<int> order, int seed, long epoch)
        {
            Identity(order);

            var random = new SplitMix64(((ulong)(uint)seed << 32) ^ (ulong)epoch);

            // Fisher–Yates: position i takes a uniformly chosen element of order[0..i].
            for (int i = order.Length - 1; i > 0; i--)
            {
                int j = random.NextBelow((uint)i + 1);
                (order[i], order[j]) = (order[j], order[i]);
            }
        }

        private struct SplitMix64
        {
            private ulong _state;

            public SplitMix64(ulong seed)
            {
                _state = seed;
            }

            public ulong Next()
            {
                _state += 0x9E3779B97F4A7C15UL;
                ulong z = _state;
                z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
                z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
                return z ^ (z >> 31);
            }

            /// <summary>
            /// Draws an integer uniformly from [0, <paramref name="bound"/>) by multiply-and-reject
            /// (Lemire, "Fast Random Integer Generation in an Interval", 2019), which has no modulo bias.
            /// </summary>
            public int NextBelow(uint bound)
            {
                ulong high = Math.BigMul(Next(), bound, out ulong low);
                if (low < bound)
                {
                    // 2^64 mod bound: products whose low half falls below it would over-represent some results.
                    ulong threshold = (0UL - bound) % bound;
                    while (low < threshold)
                    {
                        high = Math.BigMul(Next(), bound, out low);
                    }
                }

                return (int)high;
            }
        }
    }
}
