using System;
using System.Collections.Generic;
using System.Linq;

namespace NetGen.Tests.Numerics;

/// <summary>
/// Checks the generated backward pass of convolutional networks against central finite
/// differences of the generated forward pass in training mode. The networks use smooth
/// activations and the differences a step large enough that float32 rounding stays far below a
/// wrong derivative, which is off by the size of the gradient itself.
/// </summary>
public class ConvolutionGradientCheckTests
{
    // Max pooling has kinks where two window values tie, so its networks take a small step.
    // Batch norm over three samples amplifies rounding, so its network takes a large one.
    private const float SmallStep = 1e-3f;
    private const float Step = 4e-3f;
    private const float LargeStep = 1e-2f;
    private const double AbsoluteTolerance = 1.5e-3;
    private const double RelativeTolerance = 3e-2;
    private const int BatchSize = 3;
    private const int CheckedParameters = 160;

    public static IEnumerable<object[]> Networks() => new (string Name, Func<ITrainableNetwork> Create, float Step)[]
    {
        ("StridedDilatedConv", () => new StridedDilatedConv(1), Step),
        ("GroupedSameConv", () => new GroupedSameConv(2), Step),
        ("DepthwiseMaxPool", () => new DepthwiseMaxPool(3), SmallStep),
        ("SequenceConv", () => new SequenceConv(4), SmallStep),
        ("BatchNormed", () => new BatchNormed(5), LargeStep),
        ("LayerNormed", () => new LayerNormed(6), Step),
        ("ResidualConv", () => new ResidualConv(7), Step),
        ("NestedResidualMlp", () => new NestedResidualMlp(8), Step),
    }.Select(c => new object[] { c.Name, c.Create, c.Step });

    [Theory]
    [MemberData(nameof(Networks))]
    public void Backward_MatchesFiniteDifferences(string name, Func<ITrainableNetwork> create, float step)
    {
        ITrainableNetwork network = create();
        var random = new Random(name.Length * 7919);
        RandomizeNormParameters(network, random);
        float[] inputs = Enumerable.Range(0, BatchSize * network.InputSize).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        float[] targets = MakeTargets(network, random);
        Workspace workspace = network.CreateWorkspace(BatchSize);
        workspace.IsTraining = true;
        var outputs = new float[BatchSize * network.OutputSize];

        workspace.ZeroGradients();
        network.Forward(inputs, outputs, workspace);
        network.Backward(inputs, targets, workspace);
        float[] gradient = workspace.Gradients.ToArray();

        Span<float> parameters = network.Parameters;
        foreach (int i in ChosenIndices(network.ParameterCount, random))
        {
            float saved = parameters[i];
            parameters[i] = saved + step;
            network.Forward(inputs, outputs, workspace);
            double plus = network.ComputeLoss(outputs, targets);
            parameters[i] = saved - step;
            network.Forward(inputs, outputs, workspace);
            double minus = network.ComputeLoss(outputs, targets);
            parameters[i] = saved;

            double expected = (plus - minus) / (2.0 * step);
            double error = Math.Abs(gradient[i] - expected);
            Assert.True(error <= AbsoluteTolerance + (RelativeTolerance * Math.Abs(expected)),
                $"{name}: parameter {i} has gradient {gradient[i]} but finite differences give {expected}");
        }
    }

    [Fact]
    public void Check_FailsForAWrongGradient()
    {
        // The tolerance must be tight enough to see a gradient that is off by a tenth.
        ITrainableNetwork network = new ResidualConv(9);
        var random = new Random(5);
        float[] inputs = Enumerable.Range(0, BatchSize * network.InputSize).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        float[] targets = MakeTargets(network, random);
        Workspace workspace = network.CreateWorkspace(BatchSize);
        var outputs = new float[BatchSize * network.OutputSize];
        network.Forward(inputs, outputs, workspace);
        network.Backward(inputs, targets, workspace);
        float[] gradient = workspace.Gradients.ToArray();
        int largest = Array.IndexOf(gradient, gradient.MaxBy(Math.Abs));
        Assert.True(Math.Abs(0.1 * gradient[largest]) > AbsoluteTolerance + (RelativeTolerance * 1.1 * Math.Abs(gradient[largest])));
    }

    // γ = 1 and β = 0 would hide a swapped or missing γ term; move them away from their start.
    private static void RandomizeNormParameters(ITrainableNetwork network, Random random)
    {
        Span<float> parameters = network.Parameters;
        for (int i = 0; i < parameters.Length; i++)
        {
            if (parameters[i] == 1f || parameters[i] == 0f)
            {
                parameters[i] = (float)(0.5 + random.NextDouble());
            }
        }
    }

    private static float[] MakeTargets(ITrainableNetwork network, Random random)
    {
        var targets = new float[BatchSize * network.OutputSize];
        for (int b = 0; b < BatchSize; b++)
        {
            if (network.Loss == Loss.SoftmaxCrossEntropy)
            {
                targets[(b * network.OutputSize) + random.Next(network.OutputSize)] = 1f;
            }
            else
            {
                for (int o = 0; o < network.OutputSize; o++)
                {
                    targets[(b * network.OutputSize) + o] = (float)((random.NextDouble() * 2) - 1);
                }
            }
        }

        return targets;
    }

    private static IEnumerable<int> ChosenIndices(int count, Random random) =>
        count <= CheckedParameters
            ? Enumerable.Range(0, count)
            : Enumerable.Range(0, count).OrderBy(_ => random.Next()).Take(CheckedParameters).Order();
}
