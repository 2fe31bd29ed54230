using System;
using System.Collections.Generic;
using System.Threading;

namespace NetGen.Tests.Training;

/// <summary>
/// A hand-written linear network y = W·x + b for trainer tests, with analytic gradients for
/// squared error (linear least squares) and softmax cross-entropy (softmax regression).
/// It does not use the generator, so trainer tests do not depend on generated code.
/// </summary>
/// <remarks>
/// Parameters are W [outputs, inputs] row-major, then b [outputs]. The workspace keeps each
/// sample's outputs as its activations. Instrumentation (samples seen, recorded first features,
/// a hook after each backward pass) lets tests observe what the trainer fed in.
/// </remarks>
internal sealed class LinearTestNetwork : ITrainableNetwork
{
    private readonly float[] _parameters;
    private int _samplesSeen;

    public LinearTestNetwork(int inputSize, int outputSize, Loss loss)
    {
        InputSize = inputSize;
        OutputSize = outputSize;
        Loss = loss;
        _parameters = new float[outputSize * inputSize + outputSize];
    }

    public int InputSize { get; }

    public int OutputSize { get; }

    public Loss Loss { get; }

    public int ParameterCount => _parameters.Length;

    public string Architecture => $"LinearTest({InputSize},{OutputSize},{Loss})";

    public Span<float> Parameters => _parameters;

    /// <summary>Sum of the batch sizes that <see cref="Backward"/> received; safe to update from several threads.</summary>
    public int SamplesSeen => _samplesSeen;

    // The lists below are not thread-safe: set them only for trainers with one thread.

    /// <summary>When set, receives the size of every batch that <see cref="Backward"/> received.</summary>
    public List<int>? BatchSizes { get; set; }

    /// <summary>When set, receives the first input feature of every trained sample, in order.</summary>
    public List<float>? FirstFeatures { get; set; }

    /// <summary>When set, receives the mean loss that every <see cref="Backward"/> call returns.</summary>
    public List<float>? BatchLosses { get; set; }

    /// <summary>When set, runs after every <see cref="Backward"/> call.</summary>
    public Action? AfterBackward { get; set; }

    public Workspace CreateWorkspace(int maxBatchSize) =>
        new(Architecture, maxBatchSize, OutputSize, ParameterCount);

    public void Forward(ReadOnlySpan<float> input, Span<float> output) => ComputeOutputs(input, output);

    public void Forward(ReadOnlySpan<float> inputs, Span<float> outputs, Workspace workspace)
    {
        Span<float> activations = workspace.Activations[..outputs.Length];
        ComputeOutputs(inputs, activations);
        activations.CopyTo(outputs);
    }

    public float ComputeLoss(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets)
    {
        int batch = outputs.Length / OutputSize;
        return Loss == Loss.SquaredError
            ? NetGen.Kernels.LossKernels.SquaredErrorLoss(outputs, targets, batch, OutputSize)
            : NetGen.Kernels.LossKernels.SoftmaxCrossEntropyLoss(outputs, targets, batch, OutputSize);
    }

    public float Backward(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, Workspace workspace)
    {
        int batch = inputs.Length / InputSize;
        Span<float> gradients = workspace.Gradients;
        int biasOffset = OutputSize * InputSize;
        Span<double> delta = stackalloc double[OutputSize];
        double lossSum = 0;

        for (int s = 0; s < batch; s++)
        {
            ReadOnlySpan<float> x = inputs.Slice(s * InputSize, InputSize);
            ReadOnlySpan<float> y = workspace.Activations.Slice(s * OutputSize, OutputSize);
            ReadOnlySpan<float> t = targets.Slice(s * OutputSize, OutputSize);
            lossSum += Loss == Loss.SquaredError
                ? SquaredErrorDelta(y, t, delta)
                : SoftmaxCrossEntropyDelta(y, t, delta);

            // dE/dW[o,i] = delta[o]·x[i] and dE/db[o] = delta[o], averaged over the batch.
            for (int o = 0; o < OutputSize; o++)
            {
                for (int i = 0; i < InputSize; i++)
                {
                    gradients[o * InputSize + i] += (float)(delta[o] * x[i] / batch);
                }

                gradients[biasOffset + o] += (float)(delta[o] / batch);
            }

            FirstFeatures?.Add(x[0]);
        }

        float loss = (float)(lossSum / batch);
        Interlocked.Add(ref _samplesSeen, batch);
        BatchSizes?.Add(batch);
        BatchLosses?.Add(loss);
        AfterBackward?.Invoke();
        return loss;
    }

    public float TrainStep(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, IOptimizer optimizer, Workspace workspace)
    {
        workspace.ZeroGradients();
        ComputeOutputs(inputs, workspace.Activations[..(inputs.Length / InputSize * OutputSize)]);
        float loss = Backward(inputs, targets, workspace);
        optimizer.Step(Parameters, workspace.Gradients);
        return loss;
    }

    private void ComputeOutputs(ReadOnlySpan<float> inputs, Span<float> outputs)
    {
        int batch = inputs.Length / InputSize;
        int biasOffset = OutputSize * InputSize;
        for (int s = 0; s < batch; s++)
        {
            for (int o = 0; o < OutputSize; o++)
            {
                double sum = _parameters[biasOffset + o];
                for (int i = 0; i < InputSize; i++)
                {
                    sum += (double)_parameters[o * InputSize + i] * inputs[s * InputSize + i];
                }

                outputs[s * OutputSize + o] = (float)sum;
            }
        }
    }

    // E = ½‖y − t‖², dE/dy = y − t.
    private static double SquaredErrorDelta(ReadOnlySpan<float> y, ReadOnlySpan<float> t, Span<double> delta)
    {
        double loss = 0;
        for (int o = 0; o < y.Length; o++)
        {
            delta[o] = (double)y[o] - t[o];
            loss += 0.5 * delta[o] * delta[o];
        }

        return loss;
    }

    // E = −Σ t·log softmax(y), dE/dy = softmax(y) − t.
    private static double SoftmaxCrossEntropyDelta(ReadOnlySpan<float> y, ReadOnlySpan<float> t, Span<double> delta)
    {
        double max = double.NegativeInfinity;
        foreach (float value in y)
        {
            max = Math.Max(max, value);
        }

        double sum = 0;
        for (int o = 0; o < y.Length; o++)
        {
            sum += Math.Exp(y[o] - max);
        }

        double logSum = max + Math.Log(sum);
        double loss = 0;
        for (int o = 0; o < y.Length; o++)
        {
            double logProbability = y[o] - logSum;
            loss -= t[o] * logProbability;
            delta[o] = Math.Exp(logProbability) - t[o];
        }

        return loss;
    }
}

/// <summary>Plain stochastic gradient descent, p ← p − η·g, written for trainer tests.</summary>
internal sealed class TestSgd : IOptimizer
{
    public TestSgd(float learningRate) => LearningRate = learningRate;

    public float LearningRate { get; set; }

    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        for (int i = 0; i < parameters.Length; i++)
        {
            parameters[i] -= LearningRate * gradients[i];
        }
    }

    public void Reset()
    {
    }
}

/// <summary>Plain stochastic gradient descent that records the learning rate of every step.</summary>
internal sealed class RecordingSgd : IOptimizer
{
    public RecordingSgd(float learningRate) => LearningRate = learningRate;

    public float LearningRate { get; set; }

    public List<float> StepLearningRates { get; } = [];

    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        StepLearningRates.Add(LearningRate);
        for (int i = 0; i < parameters.Length; i++)
        {
            parameters[i] -= LearningRate * gradients[i];
        }
    }

    public void Reset()
    {
    }
}

/// <summary>
/// An optimizer that ignores the gradients and, at step k (from 0), sets the first parameter to
/// k + 1 and the second to <c>script[k]</c>. On a <see cref="LinearTestNetwork"/> with one input
/// and one output, fed inputs of 0, the output is the bias, so the script sets every epoch's
/// validation loss and the first parameter shows which step's parameters the network contains.
/// </summary>
internal sealed class ScriptedOptimizer(params float[] script) : IOptimizer
{
    private int _steps;

    public float LearningRate { get; set; }

    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        parameters[0] = _steps + 1;
        parameters[1] = script[_steps];
        _steps++;
    }

    public void Reset() => _steps = 0;
}
