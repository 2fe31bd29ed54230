using System;

namespace NetGen.Tests.Numerics;

/// <summary>
/// A plain double-precision MLP written from the textbook definitions, independent of the
/// generator and the kernels: y = f(W·x + b) per layer, W stored [outputs, inputs].
/// </summary>
internal sealed class ReferenceMlp
{
    private readonly int[] _sizes;
    private readonly Activation[] _activations;
    private readonly Loss _loss;

    public ReferenceMlp(int[] sizes, Activation[] activations, Loss loss)
    {
        _sizes = sizes;
        _activations = activations;
        _loss = loss;
    }

    public int ParameterCount
    {
        get
        {
            int count = 0;
            for (int l = 0; l + 1 < _sizes.Length; l++)
            {
                count += (_sizes[l] * _sizes[l + 1]) + _sizes[l + 1];
            }

            return count;
        }
    }

    /// <summary>Outputs of one sample.</summary>
    public double[] Forward(ReadOnlySpan<double> parameters, ReadOnlySpan<double> input)
    {
        double[] values = input.ToArray();
        int offset = 0;
        for (int l = 0; l + 1 < _sizes.Length; l++)
        {
            int inputs = _sizes[l];
            int outputs = _sizes[l + 1];
            var next = new double[outputs];
            for (int o = 0; o < outputs; o++)
            {
                double sum = parameters[offset + (inputs * outputs) + o];
                for (int i = 0; i < inputs; i++)
                {
                    sum += parameters[offset + (o * inputs) + i] * values[i];
                }

                next[o] = Activate(_activations[l], sum);
            }

            offset += (inputs * outputs) + outputs;
            values = next;
        }

        return values;
    }

    /// <summary>Mean loss over a batch of samples.</summary>
    public double MeanLoss(ReadOnlySpan<double> parameters, double[][] inputs, double[][] targets)
    {
        double total = 0;
        for (int s = 0; s < inputs.Length; s++)
        {
            double[] output = Forward(parameters, inputs[s]);
            total += SampleLoss(output, targets[s]);
        }

        return total / inputs.Length;
    }

    /// <summary>Gradient of <see cref="MeanLoss"/> by central differences: (L(p + h) − L(p − h)) / 2h.</summary>
    public double[] FiniteDifferenceGradient(double[] parameters, double[][] inputs, double[][] targets, double step)
    {
        var gradient = new double[parameters.Length];
        for (int k = 0; k < parameters.Length; k++)
        {
            double saved = parameters[k];
            parameters[k] = saved + step;
            double above = MeanLoss(parameters, inputs, targets);
            parameters[k] = saved - step;
            double below = MeanLoss(parameters, inputs, targets);
            parameters[k] = saved;
            gradient[k] = (above - below) / (2 * step);
        }

        return gradient;
    }

    private double SampleLoss(double[] output, double[] target)
    {
        if (_loss == Loss.SquaredError)
        {
            double sum = 0;
            for (int o = 0; o < output.Length; o++)
            {
                sum += 0.5 * (output[o] - target[o]) * (output[o] - target[o]);
            }

            return sum;
        }

        // Cross-entropy of softmax(output): −Σ t·(y − log Σ e^y), computed with the row maximum subtracted.
        double max = double.NegativeInfinity;
        foreach (double value in output)
        {
            max = Math.Max(max, value);
        }

        double normaliser = 0;
        foreach (double value in output)
        {
            normaliser += Math.Exp(value - max);
        }

        double logNormaliser = max + Math.Log(normaliser);
        double loss = 0;
        for (int o = 0; o < output.Length; o++)
        {
            loss -= target[o] * (output[o] - logNormaliser);
        }

        return loss;
    }

    private static double Activate(Activation activation, double x) => activation switch
    {
        Activation.Identity => x,
        Activation.Relu => x > 0 ? x : 0,
        Activation.Tanh => Math.Tanh(x),
        Activation.Sigmoid => 1 / (1 + Math.Exp(-x)),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "No reference for this activation."),
    };
}
