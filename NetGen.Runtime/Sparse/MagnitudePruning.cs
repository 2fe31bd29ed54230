using System;
using System.Collections.Generic;

namespace NetGen.Sparse
{
    /// <summary>
    /// Unstructured magnitude pruning: the weights with the smallest absolute values are set to
    /// zero until a target fraction of them is zero.
    /// </summary>
    /// <remarks>
    /// The number of pruned weights is exactly <see cref="PrunedCount"/>: the target sparsity
    /// times the weight count, rounded to the nearest integer with halves rounded up. Weights that
    /// are already zero have the smallest magnitude, so they count towards the target. Among
    /// weights of equal magnitude the one with the lower index is pruned first, so the result
    /// does not depend on the sort algorithm. +0 and −0 have equal magnitude. A NaN weight has no
    /// magnitude order, so it is rejected.
    /// </remarks>
    public static class MagnitudePruning
    {
        /// <summary>Returns how many of <paramref name="weightCount"/> weights a target <paramref name="sparsity"/> prunes: round(sparsity · weightCount), halves rounded up.</summary>
        /// <param name="weightCount">Number of weights.</param>
        /// <param name="sparsity">Target fraction of zero weights, in [0, 1].</param>
        /// <returns>The number of weights to prune.</returns>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="weightCount"/> is negative, or <paramref name="sparsity"/> is outside [0, 1].</exception>
        public static int PrunedCount(int weightCount, double sparsity)
        {
            ArgumentRules.RequireAtLeast(weightCount, 0, "Pass the number of weights in the layer.");
            RequireSparsity(sparsity);
            return (int)Math.Min(weightCount, Math.Round(sparsity * weightCount, MidpointRounding.AwayFromZero));
        }

        /// <summary>Computes the mask that prunes the smallest-magnitude weights to reach <paramref name="sparsity"/>, without changing the weights.</summary>
        /// <param name="weights">The weights of one layer, in any layout.</param>
        /// <param name="sparsity">Target fraction of zero weights, in [0, 1].</param>
        /// <returns>The mask.</returns>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="sparsity"/> is outside [0, 1].</exception>
        /// <exception cref="ArgumentException">A weight is NaN.</exception>
        public static PruningMask ComputeMask(ReadOnlySpan<float> weights, double sparsity)
        {
            int pruned = PrunedCount(weights.Length, sparsity);
            var keys = new ulong[weights.Length];
            AddKeys(weights, keys, 0, nameof(weights));
            return PruningMask.FromBits(KeepBits(keys, pruned, 0, weights.Length));
        }

        /// <summary>Sets the smallest-magnitude weights to zero to reach <paramref name="sparsity"/> and returns the mask to reapply after each optimizer step.</summary>
        /// <param name="weights">The weights of one layer, in any layout; changed in place.</param>
        /// <param name="sparsity">Target fraction of zero weights, in [0, 1].</param>
        /// <returns>The mask.</returns>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="sparsity"/> is outside [0, 1].</exception>
        /// <exception cref="ArgumentException">A weight is NaN.</exception>
        public static PruningMask Prune(Span<float> weights, double sparsity)
        {
            PruningMask mask = ComputeMask(weights, sparsity);
            mask.Apply(weights);
            return mask;
        }

        /// <summary>
        /// Computes one mask per layer from a single magnitude threshold over all layers together,
        /// so that <paramref name="sparsity"/> of all their weights is pruned. Layers whose weights
        /// are smaller end up sparser. Ties are broken by layer order, then by index.
        /// </summary>
        /// <param name="layers">The weights of each layer.</param>
        /// <param name="sparsity">Target fraction of zero weights over all layers, in [0, 1].</param>
        /// <returns>One mask per layer, in the order of <paramref name="layers"/>.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="layers"/> is null.</exception>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="sparsity"/> is outside [0, 1].</exception>
        /// <exception cref="ArgumentException">A weight is NaN, or the layers hold more than <see cref="int.MaxValue"/> weights together.</exception>
        public static PruningMask[] ComputeGlobalMasks(IReadOnlyList<ReadOnlyMemory<float>> layers, double sparsity)
        {
            ArgumentNullException.ThrowIfNull(layers);
            RequireSparsity(sparsity);

            long total = 0;
            foreach (ReadOnlyMemory<float> layer in layers)
            {
                total += layer.Length;
            }

            if (total > int.MaxValue)
            {
                throw new ArgumentException($"The layers hold {total} weights together, more than the {int.MaxValue} that global pruning supports. Prune them in groups.", nameof(layers));
            }

            int pruned = PrunedCount((int)total, sparsity);
            var keys = new ulong[total];
            int offset = 0;
            for (int l = 0; l < layers.Count; l++)
            {
                AddKeys(layers[l].Span, keys, offset, $"{nameof(layers)}[{l}]");
                offset += layers[l].Length;
            }

            var masks = new PruningMask[layers.Count];
            uint[] allBits = KeepBits(keys, pruned, 0, (int)total);
            offset = 0;
            for (int l = 0; l < layers.Count; l++)
            {
                masks[l] = PruningMask.FromBits(allBits.AsSpan(offset, layers[l].Length).ToArray());
                offset += layers[l].Length;
            }

            return masks;
        }

        /// <summary>Prunes several layers with one global magnitude threshold, as <see cref="ComputeGlobalMasks"/> describes, and applies the masks.</summary>
        /// <param name="layers">The weights of each layer; changed in place.</param>
        /// <param name="sparsity">Target fraction of zero weights over all layers, in [0, 1].</param>
        /// <returns>One mask per layer, in the order of <paramref name="layers"/>.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="layers"/> is null.</exception>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="sparsity"/> is outside [0, 1].</exception>
        /// <exception cref="ArgumentException">A weight is NaN, or the layers hold more than <see cref="int.MaxValue"/> weights together.</exception>
        public static PruningMask[] PruneGlobal(IReadOnlyList<Memory<float>> layers, double sparsity)
        {
            ArgumentNullException.ThrowIfNull(layers);
            var views = new ReadOnlyMemory<float>[layers.Count];
            for (int l = 0; l < layers.Count; l++)
            {
                views[l] = layers[l];
            }

            PruningMask[] masks = ComputeGlobalMasks(views, sparsity);
            for (int l = 0; l < layers.Count; l++)
            {
                masks[l].Apply(layers[l].Span);
            }

            return masks;
        }

        internal static void RequireSparsity(double sparsity, string name = "sparsity")
        {
            if (!(sparsity >= 0.0 && sparsity <= 1.0))
            {
                throw new ArgumentOutOfRangeException(name, sparsity, $"The sparsity is the fraction of weights to prune, so it must be in [0, 1], but it is {sparsity}.");
            }
        }

        /// <summary>
        /// Writes one sort key per weight: the magnitude's bits above the global index. The bits of
        /// a non-negative float order like the float, so sorting the keys orders by magnitude, then by index.
        /// </summary>
        private static void AddKeys(ReadOnlySpan<float> weights, ulong[] keys, int offset, string name)
        {
            for (int i = 0; i < weights.Length; i++)
            {
                if (float.IsNaN(weights[i]))
                {
                    throw new ArgumentException($"The weight at index {i} of '{name}' is NaN, which has no magnitude to rank. Check the training run that produced it.", name);
                }

                ulong magnitude = (uint)BitConverter.SingleToInt32Bits(weights[i]) & 0x7FFF_FFFFu;
                keys[offset + i] = (magnitude << 32) | (uint)(offset + i);
            }
        }

        /// <summary>Sorts the keys and returns keep bits with the <paramref name="pruned"/> smallest cleared.</summary>
        private static uint[] KeepBits(ulong[] keys, int pruned, int offset, int length)
        {
            Array.Sort(keys);
            var bits = new uint[length];
            bits.AsSpan().Fill(uint.MaxValue);
            for (int k = 0; k < pruned; k++)
            {
                bits[(int)(uint)keys[k] - offset] = 0;
            }

            return bits;
        }
    }
}
