using System;

namespace NetGen.Benchmarks;

/// <summary>
/// The straightforward C# a developer would write first: nested loops over [out, in] weights,
/// ReLU on hidden layers. The baseline that shows what generation and vectorisation buy.
/// </summary>
public sealed class PlainMlp
{
    private readonly float[] _parameters;
    private readonly int[] _sizes;
    private readonly float[][] _buffers;

    public PlainMlp(float[] parameters, params int[] sizes)
    {
        _parameters = parameters;
        _sizes = sizes;
        _buffers = new float[sizes.Length][];
        for (int l = 0; l < sizes.Length; l++)
        {
            _buffers[l] = new float[128 * sizes[l]];
        }
    }

    public void Forward(ReadOnlySpan<float> input, Span<float> output, int batch)
    {
        input.CopyTo(_buffers[0]);
        int offset = 0;
        for (int l = 0; l + 1 < _sizes.Length; l++)
        {
            int inputs = _sizes[l];
            int outputs = _sizes[l + 1];
            bool relu = l + 2 < _sizes.Length;
            float[] x = _buffers[l];
            float[] y = _buffers[l + 1];
            for (int b = 0; b < batch; b++)
            {
                for (int o = 0; o < outputs; o++)
                {
                    float sum = _parameters[offset + (inputs * outputs) + o];
                    for (int i = 0; i < inputs; i++)
                    {
                        sum += _parameters[offset + (o * inputs) + i] * x[(b * inputs) + i];
                    }

                    y[(b * outputs) + o] = relu && sum < 0 ? 0 : sum;
                }
            }

            offset += (inputs * outputs) + outputs;
        }

        _buffers[^1].AsSpan(0, batch * _sizes[^1]).CopyTo(output);
    }
}
