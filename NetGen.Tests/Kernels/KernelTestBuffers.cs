using System;

namespace NetGen.Tests.Kernels
{
    /// <summary>
    /// A float buffer with guard zones on both sides. The guards hold a NaN with a distinctive bit
    /// pattern, so a kernel that reads past its span produces NaN, and one that writes past it
    /// changes a guard, which <see cref="AssertGuardsIntact"/> reports.
    /// </summary>
    internal sealed class GuardedBuffer
    {
        private const int GuardLength = 16;
        private const int GuardBits = unchecked((int)0x7FC0_BEEF);
        private readonly float[] _storage;
        private readonly int _length;

        public GuardedBuffer(int length)
        {
            _length = length;
            _storage = new float[length + 2 * GuardLength];
            _storage.AsSpan().Fill(BitConverter.Int32BitsToSingle(GuardBits));
        }

        public GuardedBuffer(float[] values)
            : this(values.Length)
        {
            values.CopyTo(Span);
        }

        public Span<float> Span => _storage.AsSpan(GuardLength, _length);

        public float this[int index] => Span[index];

        public float[] ToArray() => Span.ToArray();

        public void AssertGuardsIntact()
        {
            for (int k = 0; k < GuardLength; k++)
            {
                Assert.True(BitConverter.SingleToInt32Bits(_storage[k]) == GuardBits, $"The guard {GuardLength - k} elements before the span was overwritten.");
                Assert.True(BitConverter.SingleToInt32Bits(_storage[GuardLength + _length + k]) == GuardBits, $"The guard {k} elements after the span was overwritten.");
            }
        }
    }

    internal static class TestValues
    {
        /// <summary>Returns <paramref name="length"/> values uniform in [−1, 1) from a fixed seed.</summary>
        public static float[] Uniform(int length, int seed, float scale = 1f)
        {
            var random = new Random(seed);
            var values = new float[length];
            for (int k = 0; k < length; k++)
            {
                values[k] = (float)(random.NextDouble() * 2 - 1) * scale;
            }

            return values;
        }

        /// <summary>Returns one-hot rows, [batch, outputs], with the hot class drawn from a fixed seed.</summary>
        public static float[] OneHot(int batch, int outputs, int seed)
        {
            var random = new Random(seed);
            var values = new float[batch * outputs];
            if (outputs > 0)
            {
                for (int b = 0; b < batch; b++)
                {
                    values[b * outputs + random.Next(outputs)] = 1f;
                }
            }

            return values;
        }

        /// <summary>Returns probability rows, [batch, outputs], each positive and summing to 1.</summary>
        public static float[] Probabilities(int batch, int outputs, int seed)
        {
            var random = new Random(seed);
            var values = new float[batch * outputs];
            for (int b = 0; b < batch; b++)
            {
                double sum = 0;
                for (int o = 0; o < outputs; o++)
                {
                    values[b * outputs + o] = (float)(random.NextDouble() + 0.01);
                    sum += values[b * outputs + o];
                }

                for (int o = 0; o < outputs; o++)
                {
                    values[b * outputs + o] = (float)(values[b * outputs + o] / sum);
                }
            }

            return values;
        }

        /// <summary>Asserts <c>|actual − expected| ≤ tolerance · scale</c>, naming the element in the message.</summary>
        public static void AssertClose(double expected, float actual, double scale, double tolerance, string element)
        {
            double error = Math.Abs(actual - expected);
            Assert.True(error <= tolerance * scale,
                $"{element}: expected {expected:R}, got {actual:R}; error {error:E3} exceeds {tolerance:E1} × scale {scale:E3}.");
        }
    }
}
