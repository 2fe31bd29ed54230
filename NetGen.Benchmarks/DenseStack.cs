using System;

namespace NetGen.Benchmarks;

/// <summary>
/// The shape of a chain of dense layers and its parameters, in NetGen's layout: each layer's
/// weight [outputs, inputs] row-major, then its bias. The peers build their models from it.
/// </summary>
/// <param name="Sizes">Layer widths from input to output, for example [784, 128, 10].</param>
/// <param name="Activations">One activation per dense layer.</param>
/// <param name="Parameters">A copy of the network's parameters.</param>
internal sealed record DenseStack(int[] Sizes, Activation[] Activations, float[] Parameters)
{
    /// <summary>Number of dense layers.</summary>
    public int LayerCount => Sizes.Length - 1;

    /// <summary>Offset of layer <paramref name="layer"/>'s weight in <see cref="Parameters"/>.</summary>
    public int WeightOffset(int layer)
    {
        int offset = 0;
        for (int l = 0; l < layer; l++)
        {
            offset += (Sizes[l] * Sizes[l + 1]) + Sizes[l + 1];
        }

        return offset;
    }

    /// <summary>Layer <paramref name="layer"/>'s weight, [outputs, inputs] row-major.</summary>
    public ReadOnlySpan<float> Weight(int layer) => Parameters.AsSpan(WeightOffset(layer), Sizes[layer] * Sizes[layer + 1]);

    /// <summary>Layer <paramref name="layer"/>'s bias.</summary>
    public ReadOnlySpan<float> Bias(int layer) => Parameters.AsSpan(WeightOffset(layer) + (Sizes[layer] * Sizes[layer + 1]), Sizes[layer + 1]);

    /// <summary>Floating-point operations of one sample's forward pass: a multiply and an add per weight.</summary>
    public double ForwardFlopsPerSample()
    {
        double flops = 0;
        for (int l = 0; l < LayerCount; l++)
        {
            flops += 2.0 * Sizes[l] * Sizes[l + 1];
        }

        return flops;
    }
}

/// <summary>Compares a peer's outputs with NetGen's before a benchmark measures either.</summary>
internal static class OutputCheck
{
    /// <summary>
    /// Largest absolute difference allowed between a peer and NetGen. Both compute in float32
    /// but sum in different orders (and ONNX Runtime and libtorch use their own tanh), which
    /// moves outputs of order 1 by a few units in the last place, far below this.
    /// </summary>
    public const float Tolerance = 1e-4f;

    /// <summary>Throws unless every output of <paramref name="peer"/> is within <see cref="Tolerance"/> of NetGen's.</summary>
    public static void RequireSameOutputs(string peerName, ReadOnlySpan<float> netGen, ReadOnlySpan<float> peer)
    {
        if (netGen.Length != peer.Length)
        {
            throw new InvalidOperationException($"{peerName} returned {peer.Length} outputs, NetGen {netGen.Length}; the exported model has the wrong shape.");
        }

        for (int i = 0; i < netGen.Length; i++)
        {
            float difference = MathF.Abs(netGen[i] - peer[i]);
            if (!(difference <= Tolerance))
            {
                throw new InvalidOperationException(
                    $"{peerName} output {i} is {peer[i]}, NetGen's is {netGen[i]}: they differ by {difference}, more than {Tolerance}. " +
                    "The peer model does not compute the NetGen network, so its timings would compare different work.");
            }
        }
    }
}
