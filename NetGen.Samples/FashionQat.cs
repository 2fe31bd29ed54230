using System;
using NetGen.Data;
using NetGen.Quantization;
using Spectre.Console;

namespace NetGen.Samples;

/// <summary>Quantization-aware fine-tuning of the Fashion-MNIST MLP: Adam on fp32 master weights, forward and backward on their int8 values.</summary>
internal static class QuantizationAwareTuning
{
    /// <summary>
    /// Fine-tunes <paramref name="network"/> for <paramref name="epochs"/> epochs, reshuffling the
    /// training set every epoch, and leaves the fine-tuned fp32 weights in the network.
    /// </summary>
    public static void Run(FashionMlp network, Dataset train, int epochs, float learningRate, int seed, int batchSize)
    {
        if (batchSize > train.Count)
        {
            // Every epoch would run no step and report a NaN mean loss.
            throw new ArgumentException($"--batch-size is {batchSize}, but the training set has {train.Count} images; pass at most {train.Count}.", nameof(batchSize));
        }

        var tuning = new QuantizationAwareTraining<FashionMlp>(network, new Adam(learningRate), FashionMlp.Quantized.FakeQuantizeWeights, batchSize);
        var random = new Random(seed);
        int[] order = new int[train.Count];
        var inputs = new float[batchSize * train.InputSize];
        var targets = new float[batchSize * train.TargetSize];
        for (int k = 0; k < order.Length; k++)
        {
            order[k] = k;
        }

        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            random.Shuffle(order);
            double lossSum = 0;
            int steps = 0;
            for (int start = 0; start + batchSize <= order.Length; start += batchSize)
            {
                for (int s = 0; s < batchSize; s++)
                {
                    train.Input(order[start + s]).CopyTo(inputs.AsSpan(s * train.InputSize));
                    train.Target(order[start + s]).CopyTo(targets.AsSpan(s * train.TargetSize));
                }

                lossSum += tuning.TrainStep(inputs, targets);
                steps++;
            }

            AnsiConsole.MarkupLine($"QAT epoch {epoch}/{epochs}: mean training loss on int8 weights {lossSum / steps:F4}");
        }

        tuning.CopyMasterToNetwork();
    }
}
