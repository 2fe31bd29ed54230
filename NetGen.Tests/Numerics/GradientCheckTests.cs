using System;
using System.Collections.Generic;
using System.Linq;

namespace NetGen.Tests.Numerics;

public class GradientCheckTests
{
    // The generated code computes in float32: sums of up to 33 products of magnitude about 1
    // carry rounding errors near 1e-6, far below these bounds. A wrong derivative is off by
    // the size of the gradient itself, far above them.
    private const double AbsoluteTolerance = 2e-5;
    private const double RelativeTolerance = 1e-3;

    // Central-difference step in the double-precision reference: truncation error O(h²) ≈ 1e-12
    // and cancellation error ≈ 1e-16 / h ≈ 1e-10, both negligible.
    private const double FiniteDifferenceStep = 1e-6;

    private const int BatchSize = 5;

    public sealed record Case(string Name, Func<ITrainableNetwork> Create, int[] Sizes, Activation[] Activations, Loss Loss)
    {
        public override string ToString() => Name;
    }

    private static Case Squared(string name, Func<ITrainableNetwork> create, Activation a) =>
        new(name, create, new[] { 1, 3, 33, 9 }, new[] { a, a, a }, Loss.SquaredError);

    private static Case SquaredWide(string name, Func<ITrainableNetwork> create, Activation a) =>
        new(name, create, new[] { 31, 8, 1 }, new[] { a, Activation.Identity }, Loss.SquaredError);

    private static Case Softmax(string name, Func<ITrainableNetwork> create, Activation a) =>
        new(name, create, new[] { 9, 31, 7 }, new[] { a, Activation.Identity }, Loss.SoftmaxCrossEntropy);

    private static Case SoftmaxNarrow(string name, Func<ITrainableNetwork> create, Activation a, int first) =>
        new(name, create, new[] { 33, first, 8, 3 }, new[] { a, a, Activation.Identity }, Loss.SoftmaxCrossEntropy);

    public static IEnumerable<object[]> Cases() => new[]
    {
        Squared("SquaredIdentity", () => new SquaredIdentity(1), Activation.Identity),
        Squared("SquaredRelu", () => new SquaredRelu(2), Activation.Relu),
        Squared("SquaredTanh", () => new SquaredTanh(3), Activation.Tanh),
        Squared("SquaredSigmoid", () => new SquaredSigmoid(4), Activation.Sigmoid),
        SquaredWide("SquaredWideIdentity", () => new SquaredWideIdentity(5), Activation.Identity),
        SquaredWide("SquaredWideRelu", () => new SquaredWideRelu(6), Activation.Relu),
        SquaredWide("SquaredWideTanh", () => new SquaredWideTanh(7), Activation.Tanh),
        SquaredWide("SquaredWideSigmoid", () => new SquaredWideSigmoid(8), Activation.Sigmoid),
        Softmax("SoftmaxIdentity", () => new SoftmaxIdentity(9), Activation.Identity),
        Softmax("SoftmaxRelu", () => new SoftmaxRelu(10), Activation.Relu),
        Softmax("SoftmaxTanh", () => new SoftmaxTanh(11), Activation.Tanh),
        Softmax("SoftmaxSigmoid", () => new SoftmaxSigmoid(12), Activation.Sigmoid),
        SoftmaxNarrow("SoftmaxNarrowIdentity", () => new SoftmaxNarrowIdentity(13), Activation.Identity, 1),
        SoftmaxNarrow("SoftmaxNarrowRelu", () => new SoftmaxNarrowRelu(14), Activation.Relu, 7),
        SoftmaxNarrow("SoftmaxNarrowTanh", () => new SoftmaxNarrowTanh(15), Activation.Tanh, 1),
        SoftmaxNarrow("SoftmaxNarrowSigmoid", () => new SoftmaxNarrowSigmoid(16), Activation.Sigmoid, 1),
    }.Select(c => new object[] { c });

    [Theory]
    [MemberData(nameof(Cases))]
    public void Backward_MatchesFiniteDifferences(Case testCase)
    {
        ITrainableNetwork network = testCase.Create();
        var reference = new ReferenceMlp(testCase.Sizes, testCase.Activations, testCase.Loss);
        Assert.Equal(reference.ParameterCount, network.ParameterCount);
        var (inputs, targets) = MakeBatch(testCase, seed: 100);

        Workspace workspace = network.CreateWorkspace(BatchSize);
        var outputs = new float[BatchSize * network.OutputSize];
        network.Forward(Flatten(inputs), outputs, workspace);
        workspace.ZeroGradients();
        float loss = network.Backward(Flatten(inputs), Flatten(targets), workspace);

        double[] parameters = network.Parameters.ToArray().Select(v => (double)v).ToArray();
        double expectedLoss = reference.MeanLoss(parameters, inputs, targets);
        Assert.True(Close(loss, expectedLoss), $"{testCase.Name}: loss {loss} but the reference gives {expectedLoss}");

        double[] expected = reference.FiniteDifferenceGradient(parameters, inputs, targets, FiniteDifferenceStep);
        float[] actual = workspace.Gradients.ToArray();
        double worst = 0;
        int worstIndex = -1;
        for (int k = 0; k < expected.Length; k++)
        {
            double excess = Math.Abs(actual[k] - expected[k]) - (AbsoluteTolerance + (RelativeTolerance * Math.Abs(expected[k])));
            if (excess > worst)
            {
                worst = excess;
                worstIndex = k;
            }
        }

        Assert.True(worstIndex < 0,
            $"{testCase.Name}: gradient {worstIndex} is {(worstIndex < 0 ? 0 : actual[worstIndex])}, finite differences give {(worstIndex < 0 ? 0 : expected[worstIndex])}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_MatchesReference(Case testCase)
    {
        ITrainableNetwork network = testCase.Create();
        var reference = new ReferenceMlp(testCase.Sizes, testCase.Activations, testCase.Loss);
        var (inputs, _) = MakeBatch(testCase, seed: 200);
        double[] parameters = network.Parameters.ToArray().Select(v => (double)v).ToArray();

        Workspace workspace = network.CreateWorkspace(BatchSize);
        var batchOutputs = new float[BatchSize * network.OutputSize];
        network.Forward(Flatten(inputs), batchOutputs, workspace);

        var single = new float[network.OutputSize];
        for (int s = 0; s < BatchSize; s++)
        {
            double[] expected = reference.Forward(parameters, inputs[s]);
            network.Forward(inputs[s].Select(v => (float)v).ToArray(), single);
            for (int o = 0; o < expected.Length; o++)
            {
                Assert.True(Close(single[o], expected[o]), $"{testCase.Name} sample {s} output {o}: {single[o]} vs reference {expected[o]}");
                Assert.True(Close(batchOutputs[(s * network.OutputSize) + o], expected[o]),
                    $"{testCase.Name} batch sample {s} output {o}: {batchOutputs[(s * network.OutputSize) + o]} vs reference {expected[o]}");
            }
        }
    }

    private static bool Close(double actual, double expected) =>
        Math.Abs(actual - expected) <= AbsoluteTolerance + (RelativeTolerance * Math.Abs(expected));

    private static (double[][] Inputs, double[][] Targets) MakeBatch(Case testCase, int seed)
    {
        var random = new Random(seed);
        int inputSize = testCase.Sizes[0];
        int outputSize = testCase.Sizes[^1];
        var inputs = new double[BatchSize][];
        var targets = new double[BatchSize][];
        for (int s = 0; s < BatchSize; s++)
        {
            // Values that float32 holds exactly, so both sides see the same numbers.
            inputs[s] = Enumerable.Range(0, inputSize).Select(_ => (double)(float)((random.NextDouble() * 2) - 1)).ToArray();
            targets[s] = new double[outputSize];
            if (testCase.Loss == Loss.SoftmaxCrossEntropy)
            {
                targets[s][random.Next(outputSize)] = 1;
            }
            else
            {
                for (int o = 0; o < outputSize; o++)
                {
                    targets[s][o] = (float)random.NextDouble();
                }
            }
        }

        return (inputs, targets);
    }

    private static float[] Flatten(double[][] rows) => rows.SelectMany(row => row.Select(v => (float)v)).ToArray();
}
