using System;

namespace NetGen.Tests.Networks;

/// <summary>
/// Plain double-precision CNN layers written from torch's definitions, independent of the
/// generator and the kernels. Tensors are one sample's [channels, height, width] in row-major
/// order; convolution weights are [outChannels, inChannels, kernel, kernel], as torch.nn.Conv2d.
/// </summary>
internal static class ReferenceCnn
{
    /// <summary>
    /// Direct convolution with stride 1 and <paramref name="padding"/> zeros on every side:
    /// y[o, i, j] = b[o] + Σ_c Σ_u Σ_v w[o, c, u, v] · x[c, i + u − padding, j + v − padding].
    /// </summary>
    public static double[] Conv2D(
        double[] input, int channels, int height, int width,
        ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, int outChannels, int kernel, int padding,
        out int outHeight, out int outWidth)
    {
        outHeight = height + (2 * padding) - kernel + 1;
        outWidth = width + (2 * padding) - kernel + 1;
        var output = new double[outChannels * outHeight * outWidth];
        for (int o = 0; o < outChannels; o++)
        {
            for (int i = 0; i < outHeight; i++)
            {
                for (int j = 0; j < outWidth; j++)
                {
                    double sum = bias.IsEmpty ? 0 : bias[o];
                    for (int c = 0; c < channels; c++)
                    {
                        for (int u = 0; u < kernel; u++)
                        {
                            int row = i + u - padding;
                            if (row < 0 || row >= height)
                            {
                                continue;
                            }

                            for (int v = 0; v < kernel; v++)
                            {
                                int column = j + v - padding;
                                if (column < 0 || column >= width)
                                {
                                    continue;
                                }

                                double weight = weights[(((o * channels) + c) * kernel * kernel) + (u * kernel) + v];
                                sum += weight * input[(((c * height) + row) * width) + column];
                            }
                        }
                    }

                    output[(((o * outHeight) + i) * outWidth) + j] = sum;
                }
            }
        }

        return output;
    }

    /// <summary>
    /// Batch normalisation in evaluation mode, per channel: y = γ·(x − mean)/√(var + ε) + β with
    /// the running mean and variance.
    /// </summary>
    public static void BatchNormEvaluation(
        double[] values, int channels,
        ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVariance, double epsilon)
    {
        int positions = values.Length / channels;
        for (int c = 0; c < channels; c++)
        {
            double scale = gamma[c] / Math.Sqrt(runningVariance[c] + epsilon);
            for (int p = 0; p < positions; p++)
            {
                int index = (c * positions) + p;
                values[index] = (scale * (values[index] - runningMean[c])) + beta[c];
            }
        }
    }

    /// <summary>Replaces every value with max(0, value).</summary>
    public static void Relu(double[] values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = Math.Max(0, values[i]);
        }
    }

    /// <summary>Max pooling with a square window whose stride equals its size, output size rounded down.</summary>
    public static double[] MaxPool(double[] input, int channels, int height, int width, int kernel, out int outHeight, out int outWidth)
    {
        outHeight = height / kernel;
        outWidth = width / kernel;
        var output = new double[channels * outHeight * outWidth];
        for (int c = 0; c < channels; c++)
        {
            for (int i = 0; i < outHeight; i++)
            {
                for (int j = 0; j < outWidth; j++)
                {
                    double max = double.NegativeInfinity;
                    for (int u = 0; u < kernel; u++)
                    {
                        for (int v = 0; v < kernel; v++)
                        {
                            max = Math.Max(max, input[(((c * height) + (i * kernel) + u) * width) + (j * kernel) + v]);
                        }
                    }

                    output[(((c * outHeight) + i) * outWidth) + j] = max;
                }
            }
        }

        return output;
    }

    /// <summary>Fully connected layer y = W·x + b with W stored [outputs, inputs].</summary>
    public static double[] Dense(double[] input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, int outputs)
    {
        int inputs = input.Length;
        var output = new double[outputs];
        for (int o = 0; o < outputs; o++)
        {
            double sum = bias[o];
            for (int i = 0; i < inputs; i++)
            {
                sum += weights[(o * inputs) + i] * input[i];
            }

            output[o] = sum;
        }

        return output;
    }
}
