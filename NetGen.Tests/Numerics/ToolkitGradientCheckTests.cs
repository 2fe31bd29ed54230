using System;
using System.Collections.Generic;
using System.Linq;

namespace NetGen.Tests.Numerics;

public class ToolkitGradientCheckTests
{
    // The same bounds as the first four activations: float32 rounding stays near 1e-6, a wrong
    // derivative is off by the size of the gradient. GELU's erf is computed in float, so its
    // derivative may carry errors near 1e-6 too.
    private const double AbsoluteTolerance = 2e-5;
    private const double RelativeTolerance = 1e-3;
    private const double FiniteDifferenceStep = 1e-6;
    private const int BatchSize = 5;

    public sealed record Case(string Name, Func<ITrainableNetwork> Create, int Inputs, ReferenceLayer[] Layers, ReferenceLoss Loss)
    {
        public override string ToString() => Name;
    }

    private static Case Squared(string name, Func<ITrainableNetwork> create, Activation a, double alpha = double.NaN) =>
        new(name, create, 7, new[] { new ReferenceLayer(9, a, alpha), new ReferenceLayer(3, a, alpha) }, new ReferenceLoss(Loss.SquaredError));

    private static Case Softmax(string name, Func<ITrainableNetwork> create, Activation a) =>
        new(name, create, 3, new[] { new ReferenceLayer(33, a), new ReferenceLayer(8, Activation.Identity) }, new ReferenceLoss(Loss.SoftmaxCrossEntropy));

    private static Case LossCase(string name, Func<ITrainableNetwork> create, int outputs, ReferenceLoss loss) =>
        new(name, create, 5, new[] { new ReferenceLayer(9, Activation.Tanh), new ReferenceLayer(outputs, Activation.Identity) }, loss);

    public static IEnumerable<object[]> Cases() => new[]
    {
        Squared("SquaredLeakyRelu", () => new SquaredLeakyRelu(1), Activation.LeakyRelu, 0.1),
        Squared("SquaredElu", () => new SquaredElu(2), Activation.Elu, 0.7),
        Squared("SquaredLeCunTanh", () => new SquaredLeCunTanh(3), Activation.LeCunTanh),
        Squared("SquaredSoftsign", () => new SquaredSoftsign(4), Activation.Softsign),
        Squared("SquaredSoftplus", () => new SquaredSoftplus(5), Activation.Softplus),
        Squared("SquaredSilu", () => new SquaredSilu(6), Activation.Silu),
        Squared("SquaredGeluErf", () => new SquaredGeluErf(7), Activation.GeluErf),
        Squared("SquaredGeluTanh", () => new SquaredGeluTanh(8), Activation.GeluTanh),
        Squared("SquaredSoftmax", () => new SquaredSoftmax(9), Activation.Softmax),
        Softmax("SoftmaxLeakyRelu", () => new SoftmaxLeakyRelu(10), Activation.LeakyRelu),
        Softmax("SoftmaxElu", () => new SoftmaxElu(11), Activation.Elu),
        Softmax("SoftmaxLeCunTanh", () => new SoftmaxLeCunTanh(12), Activation.LeCunTanh),
        Softmax("SoftmaxSoftsign", () => new SoftmaxSoftsign(13), Activation.Softsign),
        Softmax("SoftmaxSoftplus", () => new SoftmaxSoftplus(14), Activation.Softplus),
        Softmax("SoftmaxSilu", () => new SoftmaxSilu(15), Activation.Silu),
        Softmax("SoftmaxGeluErf", () => new SoftmaxGeluErf(16), Activation.GeluErf),
        Softmax("SoftmaxGeluTanh", () => new SoftmaxGeluTanh(17), Activation.GeluTanh),
        Softmax("SoftmaxSoftmax", () => new SoftmaxSoftmax(18), Activation.Softmax),
        LossCase("MeanSquared", () => new MeanSquaredNetwork(19), 3, new ReferenceLoss(Loss.MeanSquaredError)),
        LossCase("Absolute", () => new AbsoluteNetwork(20), 3, new ReferenceLoss(Loss.AbsoluteError)),
        LossCase("Huber", () => new HuberNetwork(21), 3, new ReferenceLoss(Loss.Huber, HuberDelta: 0.3)),
        LossCase("Binary", () => new BinaryNetwork(22), 4, new ReferenceLoss(Loss.BinaryCrossEntropyWithLogits)),
        LossCase("SmoothedWeighted", () => new SmoothedWeightedNetwork(23), 5,
            new ReferenceLoss(Loss.SoftmaxCrossEntropy, LabelSmoothing: 0.1, ClassWeights: new[] { 1.0, 2.0, 0.5, 3.0, 1.0 })),
        new Case("Penalised", () => new PenalisedNetwork(24), 5,
            new[] { new ReferenceLayer(9, Activation.Tanh, L1: 0.01, L2: 0.1), new ReferenceLayer(3, Activation.Identity, L2: 0.05) },
            new ReferenceLoss(Loss.SquaredError)),
    }.Select(c => new object[] { c });

    [Theory]
    [MemberData(nameof(Cases))]
    public void Backward_MatchesFiniteDifferences(Case testCase)
    {
        ITrainableNetwork network = testCase.Create();
        var reference = new ReferenceMlp(testCase.Inputs, testCase.Layers, testCase.Loss);
        Assert.Equal(reference.ParameterCount, network.ParameterCount);
        var (inputs, targets) = MakeBatch(testCase, seed: 300);

        Workspace workspace = network.CreateWorkspace(BatchSize);
        var outputs = new float[BatchSize * network.OutputSize];
        network.Forward(Flatten(inputs), outputs, workspace);
        float loss = network.Backward(Flatten(inputs), Flatten(targets), workspace);

        double[] parameters = network.Parameters.ToArray().Select(v => (double)v).ToArray();
        double expectedLoss = reference.MeanLoss(parameters, inputs, targets);
        Assert.True(Close(loss, expectedLoss), $"{testCase.Name}: loss {loss} but the reference gives {expectedLoss}");
        if (testCase.Layers.All(layer => layer.L1 == 0 && layer.L2 == 0))
        {
            float evaluated = network.ComputeLoss(outputs, Flatten(targets));
            Assert.True(Close(evaluated, expectedLoss), $"{testCase.Name}: ComputeLoss gives {evaluated} but the reference gives {expectedLoss}");
        }

        for (int s = 0; s < BatchSize; s++)
        {
            double[] expected = reference.Forward(parameters, inputs[s]);
            for (int o = 0; o < expected.Length; o++)
            {
                float actual = outputs[(s * network.OutputSize) + o];
                Assert.True(Close(actual, expected[o]), $"{testCase.Name} sample {s} output {o}: {actual} vs reference {expected[o]}");
            }
        }

        double[] expectedGradient = reference.FiniteDifferenceGradient(parameters, inputs, targets, FiniteDifferenceStep);
        float[] gradient = workspace.Gradients.ToArray();
        for (int k = 0; k < expectedGradient.Length; k++)
        {
            Assert.True(Close(gradient[k], expectedGradient[k]),
                $"{testCase.Name}: gradient {k} is {gradient[k]}, finite differences give {expectedGradient[k]}");
        }
    }

    private static bool Close(double actual, double expected) =>
        Math.Abs(actual - expected) <= AbsoluteTolerance + (RelativeTolerance * Math.Abs(expected));

    private static (double[][] Inputs, double[][] Targets) MakeBatch(Case testCase, int seed)
    {
        var random = new Random(seed);
        int outputs = testCase.Layers[^1].Outputs;
        var inputs = new double[BatchSize][];
        var targets = new double[BatchSize][];
        for (int s = 0; s < BatchSize; s++)
        {
            inputs[s] = Enumerable.Range(0, testCase.Inputs).Select(_ => (double)(float)((random.NextDouble() * 4) - 2)).ToArray();
            targets[s] = new double[outputs];
            if (testCase.Loss.Kind == Loss.SoftmaxCrossEntropy)
            {
                targets[s][random.Next(outputs)] = 1;
            }
            else
            {
                for (int o = 0; o < outputs; o++)
                {
                    targets[s][o] = (float)random.NextDouble();
                }
            }
        }

        return (inputs, targets);
    }

    private static float[] Flatten(double[][] rows) => rows.SelectMany(row => row.Select(v => (float)v)).ToArray();
}
