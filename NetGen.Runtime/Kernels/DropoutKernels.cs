using System;
using System.Diagnostics.CodeAnalysis;
using System.Numerics.Tensors;

namespace NetGen.Kernels
{
    /// <summary>
    /// A SplitMix64 pseudo-random generator for dropout masks: one 64-bit state, no allocation,
    /// and the same sequence on every platform because it uses only integer arithmetic.
    /// </summary>
    /// <remarks>
    /// SplitMix64 is from Steele, Lea and Flood, "Fast Splittable Pseudorandom Number Generators"
    /// (OOPSLA 2014). It is meant for simulation, not for cryptography.
    /// The type is a mutable struct, so pass it by <see langword="ref"/>; a copy continues the sequence separately.
    /// </remarks>
    public struct DropoutRandom
    {
        /// <summary>Weyl-sequence increment, 2⁶⁴ divided by the golden ratio, rounded to odd.</summary>
        private const ulong GoldenGamma = 0x9E37_79B9_7F4A_7C15;

        private ulong _state;

        /// <summary>Creates a generator whose first state is <paramref name="seed"/>; every seed, 0 included, is valid.</summary>
        /// <param name="seed">The initial state. Store <see cref="State"/> to resume a sequence later.</param>
        public DropoutRandom(ulong seed) => _state = seed;

        /// <summary>The current state; a generator created from it continues the same sequence.</summary>
        public readonly ulong State => _state;

        /// <summary>Advances the state and returns the next 64 uniformly distributed bits.</summary>
        /// <returns>The next value of the sequence.</returns>
        public ulong NextUInt64()
        {
            _state += GoldenGamma;
            ulong z = _state;
            z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9;
            z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EB;
            return z ^ (z >> 31);
        }
    }

    /// <summary>
    /// Inverted dropout for training: each element is zeroed with probability p and the survivors
    /// are scaled by 1/(1 − p), so the expected output equals the input, as torch.nn.Dropout in
    /// training mode. At inference, skip dropout entirely.
    /// </summary>
    public static class DropoutKernels
    {
        /// <summary>2²⁴: each draw uses 24 random bits, the precision of a float in [0, 1).</summary>
        private const double DrawRange = 16_777_216.0;

        /// <summary>
        /// Draws a dropout mask and applies it: <c>mask[k]</c> is 0 with probability p, else
        /// 1/(1 − p), and <c>values[k] *= mask[k]</c>.
        /// </summary>
        /// <remarks>
        /// Each 64-bit draw gives two elements 24 random bits each, so an element is dropped with a
        /// probability within 2⁻²⁴ of p (exactly p when p ≥ 0.5 or p is a multiple of 2⁻²⁴). With p = 0
        /// the mask is all ones, the values are unchanged, and no number is drawn. A NaN value stays
        /// NaN even where it is dropped, as in PyTorch.
        /// </remarks>
        /// <param name="values">Activations to drop out in place.</param>
        /// <param name="mask">Receives the mask for <see cref="Backward"/>; the same length as <paramref name="values"/>.</param>
        /// <param name="probability">Drop probability p in [0, 1).</param>
        /// <param name="random">Generator, advanced by ⌈length/2⌉ draws.</param>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="probability"/> is outside [0, 1).</exception>
        /// <exception cref="ArgumentException">The spans differ in length.</exception>
        public static void Forward(Span<float> values, Span<float> mask, float probability, ref DropoutRandom random)
        {
            KernelArguments.RequireSameLength(mask.Length, values.Length, nameof(mask), nameof(values));

            // The negated test also rejects NaN.
            if (!(probability >= 0f && probability < 1f))
            {
                ThrowInvalidProbability(probability);
            }

            if (probability == 0f)
            {
                mask.Fill(1f);
                return;
            }

            float keepScale = (float)(1.0 / (1.0 - probability));
            uint dropBelow = (uint)Math.Ceiling(probability * DrawRange);
            int k = 0;
            for (; k + 1 < mask.Length; k += 2)
            {
                ulong bits = random.NextUInt64();
                mask[k] = (uint)(bits >> 40) < dropBelow ? 0f : keepScale;
                mask[k + 1] = (uint)(bits >> 8 & 0xFF_FFFF) < dropBelow ? 0f : keepScale;
            }

            if (k < mask.Length)
            {
                mask[k] = (uint)(random.NextUInt64() >> 40) < dropBelow ? 0f : keepScale;
            }

            for (int start = 0; start < values.Length; start = CacheBlocks.Next(values.Length, start))
            {
                Span<float> block = CacheBlocks.Slice(values, start);
                TensorPrimitives.Multiply(block, CacheBlocks.Slice(mask, start), block);
            }
        }

        /// <summary>Multiplies each gradient by the mask that <see cref="Forward"/> drew.</summary>
        /// <param name="mask">The mask of the forward pass.</param>
        /// <param name="gradient">Gradient with respect to the dropout output on entry, with respect to its input on return; the same length as <paramref name="mask"/>.</param>
        /// <exception cref="ArgumentException">The spans differ in length.</exception>
        public static void Backward(ReadOnlySpan<float> mask, Span<float> gradient)
        {
            KernelArguments.RequireSameLength(gradient.Length, mask.Length, nameof(gradient), nameof(mask));
            for (int start = 0; start < gradient.Length; start = CacheBlocks.Next(gradient.Length, start))
            {
                Span<float> block = CacheBlocks.Slice(gradient, start);
                TensorPrimitives.Multiply(block, CacheBlocks.Slice(mask, start), block);
            }
        }

        [DoesNotReturn]
        private static void ThrowInvalidProbability(float probability) =>
            throw new ArgumentOutOfRangeException(
                nameof(probability), probability, $"The dropout probability must be in [0, 1), but it is {probability}. Pass 0 to keep every element; PyTorch's default is 0.5.");
    }
}
