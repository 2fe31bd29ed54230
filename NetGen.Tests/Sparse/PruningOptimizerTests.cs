using System;
using System.Linq;
using NetGen.Data;
using NetGen.Sparse;

namespace NetGen.Tests.Sparse;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[SparseInference]
[Input(28 * 28)]
[Dense(128, Activation.Relu)]
[Dense(10)]
public sealed partial class SparseFashionProbe;

public class PruningOptimizerTests
{
    [Fact]
    public void Step_KeepsPrunedWeightsZero()
    {
        var parameters = Enumerable.Range(1, 24).Select(v => (float)v).ToArray();
        var gradients = Enumerable.Repeat(-1f, 24).ToArray();
        // Pruning steps 0 and 1, at sparsity 0 (the initial value) and then 0.5.
        var schedule = new GradualPruningSchedule(0, 0.5, startStep: 0, pruningSteps: 1, stepsBetweenPruning: 1);
        var optimizer = new PruningOptimizer(new Sgd(0.1f, momentum: 0.9f), schedule, [new PrunedWeights(Offset: 4, Rows: 2, Columns: 8)]);

        optimizer.Step(parameters, gradients);
        Assert.Equal(0, parameters.Count(v => v == 0));

        // Step 1 prunes half of the 16 weights at offsets 4..19: the 8 smallest, 4..11.
        optimizer.Step(parameters, gradients);
        Assert.Equal(0.5, optimizer.CurrentSparsity);
        for (int k = 0; k < 24; k++)
        {
            Assert.True((k >= 4 && k < 12) == (parameters[k] == 0), $"parameter {k} is {parameters[k]}");
        }

        // Momentum keeps pushing every weight, but the mask keeps the pruned ones at zero.
        for (int step = 0; step < 5; step++)
        {
            optimizer.Step(parameters, gradients);
        }

        Assert.All(parameters.AsSpan(4, 8).ToArray(), v => Assert.Equal(0f, v));
        Assert.All(parameters.AsSpan(12, 12).ToArray(), v => Assert.NotEqual(0f, v));
        Assert.Equal(7, optimizer.StepCount);
    }

    [Fact]
    public void Step_BlockGranularity_PrunesWholeBlocks()
    {
        var random = new Random(3);
        var parameters = Enumerable.Range(0, 4 * 16).Select(_ => random.NextSingle() + 0.1f).ToArray();
        var schedule = new GradualPruningSchedule(0, 0.75, startStep: 0, pruningSteps: 1, stepsBetweenPruning: 1);
        var optimizer = new PruningOptimizer(new Sgd(0f), schedule, [new PrunedWeights(0, 4, 16, PruningGranularity.Block)]);

        optimizer.Step(parameters, new float[parameters.Length]);
        optimizer.Step(parameters, new float[parameters.Length]);

        var blocks = BlockCsrMatrix.FromDense(parameters, 4, 16);
        Assert.Equal(2, blocks.BlockCount);
        Assert.Equal(0.75, blocks.Sparsity);
    }

    [Fact]
    public void Step_LayerPastParameters_Throws()
    {
        var schedule = new GradualPruningSchedule(0, 0.5, 0, 1, 1);
        var optimizer = new PruningOptimizer(new Sgd(0.1f), schedule, [new PrunedWeights(4, 2, 3)]);
        var error = Assert.Throws<ArgumentException>(() => optimizer.Step(new float[9], new float[9]));
        Assert.Contains("10", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Locate_FindsGeneratedWeightView()
    {
        var network = new SparseFashionProbe(seed: 1);
        PrunedWeights second = PrunedWeights.Locate(network.Parameters, network.Dense2Weight, 10, 128);

        Assert.Equal((784 * 128) + 128, second.Offset);
        Assert.Throws<ArgumentException>(() => PrunedWeights.Locate(network.Parameters, new float[10 * 128], 10, 128));
    }

    /// <summary>
    /// A small run of the fashion-sparse sample on the real data: dense training on 10,000 images,
    /// then gradual pruning to 90 % with the masks reapplied after every Adam step. The bounds
    /// leave room for the seed: 2 epochs reach about 0.84 dense here, and pruning costs a few points
    /// before a longer fine-tuning wins them back.
    /// </summary>
    [Fact]
    public void FashionMnist_PrunedTo90Percent_KeepsAccuracy()
    {
        string folder = FashionMnist.FindDataDirectory() ?? throw new InvalidOperationException("data/fashion-mnist is missing from the repository.");
        (Dataset all, Dataset test) = FashionMnist.Load(folder);
        Dataset train = all.Slice(0, 10_000);
        Standardizer standardizer = Standardizer.Fit(train);
        train = standardizer.Apply(train);
        test = standardizer.Apply(test).Slice(0, 5_000);

        var network = new SparseFashionProbe(seed: 42);
        double denseAccuracy;
        using (var trainer = new Trainer<SparseFashionProbe>(network, new Adam(1e-3f), batchSize: 64, seed: 42, threads: 2))
        {
            trainer.Fit(train, epochs: 2);
            denseAccuracy = trainer.Evaluate(test).Accuracy;
        }

        Span<float> parameters = network.Parameters;
        PrunedWeights[] layers =
        [
            PrunedWeights.Locate(parameters, network.Dense1Weight, 128, 784),
            PrunedWeights.Locate(parameters, network.Dense2Weight, 10, 128),
        ];
        var schedule = new GradualPruningSchedule(0, 0.9, startStep: 0, pruningSteps: 8, stepsBetweenPruning: 10);
        var pruning = new PruningOptimizer(new Adam(5e-4f), schedule, layers);
        double prunedAccuracy;
        using (var trainer = new Trainer<SparseFashionProbe>(network, pruning, batchSize: 64, seed: 7, threads: 2))
        {
            trainer.Fit(train, epochs: 3);
            prunedAccuracy = trainer.Evaluate(test).Accuracy;
        }

        Assert.Equal(0.9, pruning.CurrentSparsity);
        Assert.Equal((int)Math.Round(0.1 * 784 * 128), network.Dense1Weight.ToArray().Count(v => v != 0));
        Assert.True(denseAccuracy >= 0.80, $"dense accuracy {denseAccuracy:P2}");
        Assert.True(prunedAccuracy >= denseAccuracy - 0.05, $"pruned accuracy {prunedAccuracy:P2} against dense {denseAccuracy:P2}");

        // The generated sparse model predicts what the pruned float network predicts.
        var model = new SparseFashionProbe.SparseModel(network, maxBatchSize: 100);
        var outputs = new float[100 * SparseFashionProbe.OutputSize];
        int agree = 0;
        var floatOutputs = new float[outputs.Length];
        Workspace workspace = network.CreateWorkspace(100);
        for (int start = 0; start < test.Count; start += 100)
        {
            ReadOnlySpan<float> inputs = test.Inputs.Slice(start * 784, 100 * 784);
            model.Forward(inputs, outputs);
            network.Forward(inputs, floatOutputs, workspace);
            for (int s = 0; s < 100; s++)
            {
                agree += GeneratedCode.IndexOfMax(outputs.AsSpan(s * 10, 10)) == GeneratedCode.IndexOfMax(floatOutputs.AsSpan(s * 10, 10)) ? 1 : 0;
            }
        }

        Assert.True(agree >= test.Count - 2, $"the sparse model agreed with the float network on {agree} of {test.Count} images");
    }
}
