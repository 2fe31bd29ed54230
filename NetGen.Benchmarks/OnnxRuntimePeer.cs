using System;
using Microsoft.ML.OnnxRuntime;

namespace NetGen.Benchmarks;

/// <summary>
/// An ONNX Runtime session for an exported NetGen network, set up for the lowest per-call
/// overhead: one intra-op and one inter-op thread, sequential execution, all graph
/// optimisations, and input and output tensors allocated once and bound with an IoBinding, so
/// <see cref="Run"/> only executes the graph.
/// </summary>
internal sealed class OnnxRuntimePeer : IDisposable
{
    private readonly SessionOptions _options;
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions;
    private readonly OrtIoBinding _binding;
    private readonly OrtValue _input;
    private readonly OrtValue _output;
    private readonly float[] _inputBuffer;
    private readonly float[] _outputBuffer;

    /// <summary>Exports <paramref name="stack"/> for a fixed batch size and opens a session for it.</summary>
    public OnnxRuntimePeer(DenseStack stack, int batch)
    {
        byte[] model = OnnxMlpExporter.Export(stack.Sizes, stack.Activations, stack.Parameters, batch);
        _options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _session = new InferenceSession(model, _options);
        _runOptions = new RunOptions();

        _inputBuffer = new float[batch * stack.Sizes[0]];
        _outputBuffer = new float[batch * stack.Sizes[^1]];
        _input = OrtValue.CreateTensorValueFromMemory(_inputBuffer, [batch, stack.Sizes[0]]);
        _output = OrtValue.CreateTensorValueFromMemory(_outputBuffer, [batch, stack.Sizes[^1]]);
        _binding = _session.CreateIoBinding();
        _binding.BindInput(OnnxMlpExporter.InputName, _input);
        _binding.BindOutput(OnnxMlpExporter.OutputName, _output);
    }

    /// <summary>The bound input: write samples here before <see cref="Run"/>.</summary>
    public Span<float> Input => _inputBuffer;

    /// <summary>The bound output, which <see cref="Run"/> overwrites.</summary>
    public ReadOnlySpan<float> Output => _outputBuffer;

    /// <summary>Runs the graph on the bound input.</summary>
    public void Run() => _session.RunWithBinding(_runOptions, _binding);

    /// <inheritdoc/>
    public void Dispose()
    {
        _binding.Dispose();
        _input.Dispose();
        _output.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
        _options.Dispose();
    }
}
