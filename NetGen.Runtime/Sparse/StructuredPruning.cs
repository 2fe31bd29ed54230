using System;
using NetGen.Kernels;

namespace NetGen.Sparse
{
    /// <summary>
    /// The two smaller weight matrices left after removing hidden units between two dense layers,
    /// and which units were kept.
    /// </summary>
    /// <param name="FirstWeights">Weights of the first layer with the removed units' rows dropped, [kept units, inputs].</param>
    /// <param name="FirstBias">Bias of the first layer with the removed units' entries dropped, [kept units].</param>
    /// <param name="SecondWeights">Weights of the second layer with the removed units' columns dropped, [outputs, kept units]. Its bias is unchanged.</param>
    /// <param name="KeptUnits">Original index of each kept unit, increasing; row u of <paramref name="FirstWeights"/> was row KeptUnits[u].</param>
    public sealed record UnitPruningResult(float[] FirstWeights, float[] FirstBias, float[] SecondWeights, int[] KeptUnits);

    /// <summary>
    /// Structured pruning: removes whole hidden units, so the layers become smaller dense layers
    /// rather than sparse ones.
    /// </summary>
    /// <remarks>
    /// A hidden unit u of layer l owns row u of W_l [units, inputs] and entry u of its bias, and
    /// feeds column u of W_{l+1} [outputs, units]. Removing the unit drops all three, which is
    /// exact for the network function whenever the unit's activation does not reach the
    /// output, as when its outgoing column is already zero. Units are ranked by the L2 norm of
    /// their row in W_l, and the smallest are removed. Among units of equal norm the one with
    /// the lower index is removed first.
    /// </remarks>
    public static class StructuredPruning
    {
        /// <summary>Selects the <paramref name="keptUnits"/> hidden units whose rows in the first layer's weights have the largest L2 norm.</summary>
        /// <param name="firstWeights">Weights of the first layer, [units, inputs] row-major.</param>
        /// <param name="inputs">Number of inputs of the first layer.</param>
        /// <param name="units">Number of hidden units (rows of the first layer).</param>
        /// <param name="keptUnits">How many units to keep, in [0, units].</param>
        /// <returns>The original indices of the kept units, increasing.</returns>
        /// <exception cref="ArgumentOutOfRangeException">A size is negative, or <paramref name="keptUnits"/> is outside [0, units].</exception>
        /// <exception cref="ArgumentException"><paramref name="firstWeights"/> does not have units × inputs elements, or a weight is NaN.</exception>
        public static int[] SelectUnits(ReadOnlySpan<float> firstWeights, int inputs, int units, int keptUnits)
        {
            KernelArguments.RequireSize(inputs);
            KernelArguments.RequireSize(units);
            KernelArguments.RequireLength(firstWeights.Length, units, inputs, nameof(firstWeights), nameof(units), nameof(inputs));
            if (keptUnits < 0 || keptUnits > units)
            {
                throw new ArgumentOutOfRangeException(nameof(keptUnits), keptUnits, $"The number of kept units must be in [0, {units}] (the layer's units), but it is {keptUnits}.");
            }

            var norms = new double[units];
            for (int u = 0; u < units; u++)
            {
                double squares = 0;
                foreach (float w in firstWeights.Slice(u * inputs, inputs))
                {
                    if (float.IsNaN(w))
                    {
                        throw new ArgumentException($"A weight in row {u} of '{nameof(firstWeights)}' is NaN, which has no magnitude to rank. Check the training run that produced it.", nameof(firstWeights));
                    }

                    squares += (double)w * w;
                }

                norms[u] = squares;
            }

            var order = new int[units];
            for (int u = 0; u < units; u++)
            {
                order[u] = u;
            }

            // Removal order: smallest norm first, lower index first among equal norms.
            Array.Sort(order, (a, b) =>
            {
                int byNorm = norms[a].CompareTo(norms[b]);
                return byNorm != 0 ? byNorm : a.CompareTo(b);
            });

            int[] kept = order.AsSpan(units - keptUnits).ToArray();
            Array.Sort(kept);
            return kept;
        }

        /// <summary>
        /// Removes all but the <paramref name="keptUnits"/> hidden units of largest L2 norm between
        /// two dense layers: their rows of the first layer's weights and bias, and the matching
        /// input columns of the second layer's weights.
        /// </summary>
        /// <param name="firstWeights">Weights of the first layer, [units, inputs] row-major.</param>
        /// <param name="firstBias">Bias of the first layer, [units].</param>
        /// <param name="secondWeights">Weights of the second layer, [outputs, units] row-major.</param>
        /// <param name="inputs">Number of inputs of the first layer.</param>
        /// <param name="units">Number of hidden units.</param>
        /// <param name="outputs">Number of outputs of the second layer.</param>
        /// <param name="keptUnits">How many units to keep, in [0, units].</param>
        /// <returns>The smaller matrices and the kept units' original indices.</returns>
        /// <exception cref="ArgumentOutOfRangeException">A size is negative, or <paramref name="keptUnits"/> is outside [0, units].</exception>
        /// <exception cref="ArgumentException">A span's length differs from its shape, or a first-layer weight is NaN.</exception>
        public static UnitPruningResult RemoveUnits(
            ReadOnlySpan<float> firstWeights,
            ReadOnlySpan<float> firstBias,
            ReadOnlySpan<float> secondWeights,
            int inputs,
            int units,
            int outputs,
            int keptUnits)
        {
            KernelArguments.RequireSize(outputs);
            KernelArguments.RequireLength(firstBias.Length, units, nameof(firstBias), nameof(units));
            KernelArguments.RequireLength(secondWeights.Length, outputs, units, nameof(secondWeights), nameof(outputs), nameof(units));
            int[] kept = SelectUnits(firstWeights, inputs, units, keptUnits);

            var first = new float[kept.Length * inputs];
            var bias = new float[kept.Length];
            var second = new float[outputs * kept.Length];
            for (int k = 0; k < kept.Length; k++)
            {
                int u = kept[k];
                firstWeights.Slice(u * inputs, inputs).CopyTo(first.AsSpan(k * inputs, inputs));
                bias[k] = firstBias[u];
                for (int o = 0; o < outputs; o++)
                {
                    second[o * kept.Length + k] = secondWeights[o * units + u];
                }
            }

            return new UnitPruningResult(first, bias, second, kept);
        }
    }
}
