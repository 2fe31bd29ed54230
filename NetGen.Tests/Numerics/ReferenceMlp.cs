using System;
using System.Linq;

namespace NetGen.Tests.Numerics;

/// <summary>One dense layer of the reference: its activation, α and weight penalties.</summary>
public sealed record ReferenceLayer(int Outputs, Activation Activation, double Alpha = double.NaN, double L1 = 0, double L2 = 0);

/// <summary>The loss of the reference and its options.</summary>
public sealed record ReferenceLoss(Loss Kind, double HuberDelta = 1, double LabelSmoothing = 0, double[]? ClassWeights = null);

/// <summary>
/// A plain double-precision MLP written from the textbook and PyTorch definitions, independent
/// of the generator and the kernels: y = f(W·x + b) per layer, W stored [outputs, inputs].
/// </summary>
internal sealed class ReferenceMlp
{
    private readonly int _inputs;
    private readonly ReferenceLayer[] _layers;
    private readonly ReferenceLoss _loss;

    public ReferenceMlp(int inputs, ReferenceLayer[] layers, ReferenceLoss loss)
    {
        _inputs = inputs;
        _layers = layers;
        _loss = loss;
    }

    public ReferenceMlp(int[] sizes, Activation[] activations, Loss loss)
        : this(sizes[0], sizes.Skip(1).Select((size, i) => new ReferenceLayer(size, activations[i])).ToArray(), new ReferenceLoss(loss))
    {
    }

    public int ParameterCount
    {
        get
        {
            int count = 0;
            int inputs = _inputs;
            foreach (ReferenceLayer layer in _layers)
            {
                count += (inputs * layer.Outputs) + layer.Outputs;
                inputs = layer.Outputs;
            }

            return count;
        }
    }

    /// <summary>Outputs of one sample.</summary>
    public double[] Forward(ReadOnlySpan<double> parameters, ReadOnlySpan<double> input)
    {
        double[] values = input.ToArray();
        int offset = 0;
        int inputs = _inputs;
        foreach (ReferenceLayer layer in _layers)
        {
            var sums = new double[layer.Outputs];
            for (int o = 0; o < layer.Outputs; o++)
            {
                double sum = parameters[offset + (inputs * layer.Outputs) + o];
                for (int i = 0; i < inputs; i++)
                {
                    sum += parameters[offset + (o * inputs) + i] * values[i];
                }

                sums[o] = sum;
            }

            values = Activate(layer, sums);
            offset += (inputs * layer.Outputs) + layer.Outputs;
            inputs = layer.Outputs;
        }

        return values;
    }

    /// <summary>Loss over a batch as NetGen defines it, plus the weight penalties.</summary>
    public double MeanLoss(ReadOnlySpan<double> parameters, double[][] inputs, double[][] targets)
    {
        var outputs = new double[inputs.Length][];
        for (int s = 0; s < inputs.Length; s++)
        {
            outputs[s] = Forward(parameters, inputs[s]);
        }

        return BatchLoss(outputs, targets) + Penalty(parameters);
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

    private double BatchLoss(double[][] outputs, double[][] targets)
    {
        int batch = outputs.Length;
        int width = outputs[0].Length;
        double total = 0;
        switch (_loss.Kind)
        {
            case Loss.SquaredError:
                for (int s = 0; s < batch; s++)
                {
                    total += outputs[s].Zip(targets[s], (y, t) => 0.5 * (y - t) * (y - t)).Sum();
                }

                return total / batch;
            case Loss.MeanSquaredError:
                return Elementwise(outputs, targets, (y, t) => (y - t) * (y - t));
            case Loss.AbsoluteError:
                return Elementwise(outputs, targets, (y, t) => Math.Abs(y - t));
            case Loss.Huber:
                double delta = _loss.HuberDelta;
                return Elementwise(outputs, targets, (y, t) => Math.Abs(y - t) < delta ? 0.5 * (y - t) * (y - t) : delta * (Math.Abs(y - t) - (0.5 * delta)));
            case Loss.BinaryCrossEntropyWithLogits:
                // −t·log σ(y) − (1 − t)·log(1 − σ(y)), written directly from the definition.
                return Elementwise(outputs, targets, (y, t) => -(t * Math.Log(Sigmoid(y))) - ((1 - t) * Math.Log(1 - Sigmoid(y))));
            default:
                return SoftmaxCrossEntropy(outputs, targets, width);
        }
    }

    private double SoftmaxCrossEntropy(double[][] outputs, double[][] targets, int classes)
    {
        double[] weights = _loss.ClassWeights ?? Enumerable.Repeat(1.0, classes).ToArray();
        double epsilon = _loss.LabelSmoothing;
        double numerator = 0;
        double denominator = 0;
        for (int s = 0; s < outputs.Length; s++)
        {
            double max = outputs[s].Max();
            double logNormaliser = max + Math.Log(outputs[s].Sum(y => Math.Exp(y - max)));
            for (int c = 0; c < classes; c++)
            {
                double target = ((1 - epsilon) * targets[s][c]) + (epsilon / classes);
                numerator -= weights[c] * target * (outputs[s][c] - logNormaliser);
                denominator += weights[c] * target;
            }
        }

        return numerator / denominator;
    }

    private static double Elementwise(double[][] outputs, double[][] targets, Func<double, double, double> term)
    {
        double total = 0;
        int count = 0;
        for (int s = 0; s < outputs.Length; s++)
        {
            for (int o = 0; o < outputs[s].Length; o++)
            {
                total += term(outputs[s][o], targets[s][o]);
                count++;
            }
        }

        return total / count;
    }

    private double Penalty(ReadOnlySpan<double> parameters)
    {
        double penalty = 0;
        int offset = 0;
        int inputs = _inputs;
        foreach (ReferenceLayer layer in _layers)
        {
            for (int k = 0; k < inputs * layer.Outputs; k++)
            {
                double w = parameters[offset + k];
                penalty += (layer.L1 * Math.Abs(w)) + (0.5 * layer.L2 * w * w);
            }

            offset += (inputs * layer.Outputs) + layer.Outputs;
            inputs = layer.Outputs;
        }

        return penalty;
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    private static double[] Activate(ReferenceLayer layer, double[] x)
    {
        if (layer.Activation == Activation.Softmax)
        {
            double max = x.Max();
            double[] exponentials = x.Select(v => Math.Exp(v - max)).ToArray();
            double sum = exponentials.Sum();
            return exponentials.Select(e => e / sum).ToArray();
        }

        return x.Select(v => Activate(layer.Activation, layer.Alpha, v)).ToArray();
    }

    private static double Activate(Activation activation, double alpha, double x) => activation switch
    {
        Activation.Identity => x,
        Activation.Relu => x > 0 ? x : 0,
        Activation.Tanh => Math.Tanh(x),
        Activation.Sigmoid => Sigmoid(x),
        Activation.LeakyRelu => x > 0 ? x : (double.IsNaN(alpha) ? 0.01 : alpha) * x,
        Activation.Elu => x > 0 ? x : (double.IsNaN(alpha) ? 1.0 : alpha) * (Math.Exp(x) - 1),
        Activation.LeCunTanh => 1.7159 * Math.Tanh(2.0 * x / 3.0),
        Activation.Softsign => x / (1 + Math.Abs(x)),
        Activation.Softplus => x > 20 ? x : Math.Log(1 + Math.Exp(x)),
        Activation.Silu => x * Sigmoid(x),
        Activation.GeluErf => 0.5 * x * (1 + Erf(x / Math.Sqrt(2))),
        Activation.GeluTanh => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + (0.044715 * x * x * x)))),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "No reference for this activation."),
    };

    /// <summary>
    /// erf from two textbook expansions: the Maclaurin series 2/√π·Σ (−1)ⁿ x^(2n+1) / (n!(2n+1))
    /// for |x| ≤ 2.5, where its terms stay below 10³ so cancellation costs under 1e-13, and above
    /// that 1 − erfc(x) with erfc(x) = e^(−x²)/√π · 1/(x + ½/(x + 1/(x + (3/2)/(x + …)))), the
    /// continued fraction in Abramowitz and Stegun 7.1.14, evaluated from depth 80 upwards.
    /// </summary>
    private static double Erf(double x)
    {
        double magnitude = Math.Abs(x);
        if (magnitude > 2.5)
        {
            double fraction = 0;
            for (int k = 80; k >= 1; k--)
            {
                fraction = (k / 2.0) / (magnitude + fraction);
            }

            double complement = Math.Exp(-magnitude * magnitude) / Math.Sqrt(Math.PI) / (magnitude + fraction);
            return Math.Sign(x) * (1 - complement);
        }

        double term = x;
        double sum = x;
        for (int n = 1; n < 200; n++)
        {
            term *= -x * x / n;
            double next = term / ((2 * n) + 1);
            sum += next;
            if (Math.Abs(next) < 1e-17 * Math.Abs(sum))
            {
                break;
            }
        }

        return sum * 2 / Math.Sqrt(Math.PI);
    }
}
