using System;

namespace NetGen.Benchmarks;

/// <summary>
/// The forward pass a developer would write by hand for one sample: nested scalar loops over
/// [outputs, inputs] weights and MathF activations, with buffers allocated once.
/// </summary>
internal sealed class PlainDenseForward
{
    private readonly DenseStack _stack;
    private readonly float[][] _activations;

    /// <summary>Allocates one buffer per layer for <paramref name="stack"/>.</summary>
    public PlainDenseForward(DenseStack stack)
    {
        _stack = stack;
        _activations = new float[stack.Sizes.Length][];
        for (int l = 0; l < stack.Sizes.Length; l++)
        {
            _activations[l] = new float[stack.Sizes[l]];
        }
    }

    /// <summary>Computes one sample's outputs.</summary>
    public void Forward(ReadOnlySpan<float> input, Span<float> output)
    {
        input.CopyTo(_activations[0]);
        float[] parameters = _stack.Parameters;
        int offset = 0;
        for (int l = 0; l < _stack.LayerCount; l++)
        {
            int inputs = _stack.Sizes[l];
            int outputs = _stack.Sizes[l + 1];
            float[] x = _activations[l];
            float[] y = _activations[l + 1];
            Activation activation = _stack.Activations[l];
            for (int o = 0; o < outputs; o++)
            {
                float sum = parameters[offset + (inputs * outputs) + o];
                for (int i = 0; i < inputs; i++)
                {
                    sum += parameters[offset + (o * inputs) + i] * x[i];
                }

                y[o] = activation switch
                {
                    Activation.Tanh => MathF.Tanh(sum),
                    Activation.Relu => MathF.Max(sum, 0),
                    Activation.Sigmoid => 1 / (1 + MathF.Exp(-sum)),
                    _ => sum,
                };
            }

            offset += (inputs * outputs) + outputs;
        }

        _activations[^1].CopyTo(output);
    }
}
