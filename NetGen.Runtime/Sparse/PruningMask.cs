using System;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace NetGen.Sparse
{
    /// <summary>
    /// Which weights of a parameter tensor are kept (1) and which are pruned (0), one entry per weight.
    /// </summary>
    /// <remarks>
    /// Call <see cref="Apply"/> on the weights after every optimizer step. An optimizer with
    /// momentum or Adam moments keeps moving a pruned weight away from zero, so the mask must be
    /// reapplied each step or the weight comes back. Applying it to the momentum or moment
    /// buffers as well stops the stale state from acting when the mask later changes.
    /// </remarks>
    public sealed class PruningMask
    {
        // All bits set for a kept weight and clear for a pruned one, so applying the mask is one
        // bitwise AND per weight, which TensorPrimitives vectorises.
        private readonly uint[] _bits;

        private PruningMask(uint[] bits)
        {
            _bits = bits;
            int kept = 0;
            foreach (uint bit in bits)
            {
                kept += (int)(bit & 1);
            }

            KeptCount = kept;
        }

        /// <summary>Number of weights the mask covers.</summary>
        public int Length => _bits.Length;

        /// <summary>Number of kept weights.</summary>
        public int KeptCount { get; }

        /// <summary>Number of pruned weights.</summary>
        public int PrunedCount => Length - KeptCount;

        /// <summary>Fraction of pruned weights, from 0 to 1; 0 for an empty mask.</summary>
        public double Sparsity => Length == 0 ? 0.0 : (double)PrunedCount / Length;

        /// <summary>Creates a mask from one flag per weight: <see langword="true"/> keeps the weight.</summary>
        /// <param name="keep">The flags.</param>
        /// <returns>A new mask.</returns>
        public static PruningMask FromFlags(ReadOnlySpan<bool> keep)
        {
            var bits = new uint[keep.Length];
            for (int i = 0; i < keep.Length; i++)
            {
                bits[i] = keep[i] ? uint.MaxValue : 0u;
            }

            return new PruningMask(bits);
        }

        /// <summary>Creates a mask that keeps exactly the weights that are not zero (+0 and −0 count as zero; NaN is kept).</summary>
        /// <param name="weights">The weights.</param>
        /// <returns>A new mask.</returns>
        public static PruningMask FromNonZeros(ReadOnlySpan<float> weights)
        {
            var bits = new uint[weights.Length];
            for (int i = 0; i < weights.Length; i++)
            {
                bits[i] = weights[i] != 0f ? uint.MaxValue : 0u;
            }

            return new PruningMask(bits);
        }

        /// <summary>Returns whether the weight at <paramref name="index"/> is kept.</summary>
        /// <param name="index">Index of the weight, in [0, <see cref="Length"/>).</param>
        /// <returns><see langword="true"/> if kept, <see langword="false"/> if pruned.</returns>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside the mask.</exception>
        public bool IsKept(int index)
        {
            if ((uint)index >= (uint)_bits.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(index), index, $"The index must be in [0, {_bits.Length}).");
            }

            return _bits[index] != 0;
        }

        /// <summary>Writes one flag per weight: 1 for kept, 0 for pruned.</summary>
        /// <param name="destination">One byte per weight, <see cref="Length"/> of them.</param>
        /// <exception cref="ArgumentException"><paramref name="destination"/> has a different length.</exception>
        public void CopyTo(Span<byte> destination)
        {
            RequireLength(destination.Length, nameof(destination));
            for (int i = 0; i < _bits.Length; i++)
            {
                destination[i] = (byte)(_bits[i] & 1);
            }
        }

        /// <summary>
        /// Sets every pruned weight to +0 and leaves the kept ones unchanged, bit for bit.
        /// It allocates nothing.
        /// </summary>
        /// <param name="weights">The weights, or any per-weight state such as gradients or Adam moments; <see cref="Length"/> of them.</param>
        /// <exception cref="ArgumentException"><paramref name="weights"/> has a different length.</exception>
        public void Apply(Span<float> weights)
        {
            RequireLength(weights.Length, nameof(weights));
            Span<uint> bits = MemoryMarshal.Cast<float, uint>(weights);
            TensorPrimitives.BitwiseAnd<uint>(bits, _bits, bits);
        }

        internal static PruningMask FromBits(uint[] bits) => new(bits);

        private void RequireLength(int actual, string name)
        {
            if (actual != _bits.Length)
            {
                throw new ArgumentException(
                    $"The span '{name}' must have one element per masked weight, {_bits.Length}, but it has {actual}. Use the mask created for this parameter tensor.",
                    name);
            }
        }
    }
}
