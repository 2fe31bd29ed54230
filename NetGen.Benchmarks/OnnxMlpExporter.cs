using System;
using System.Globalization;

namespace NetGen.Benchmarks;

/// <summary>
/// Exports a dense network (a chain of fully connected layers) as an ONNX model with the exact
/// weights, so ONNX Runtime computes the same function as the NetGen network.
/// </summary>
/// <remarks>
/// The model has opset 17 of the default domain and IR version 8, one input "input" [batch,
/// inputs] and one output "output" [batch, outputs], both float, with a fixed batch size. Each
/// layer is a Gemm with transB = 1, because NetGen stores weights [outputs, inputs] like
/// torch.nn.Linear, followed by a Relu, Tanh or Sigmoid node unless the activation is identity.
/// Field numbers are those of onnx/onnx.proto (ONNX 1.12, which introduced opset 17).
/// </remarks>
internal static class OnnxMlpExporter
{
    private const long IrVersion = 8;
    private const long OpsetVersion = 17;
    private const int FloatDataType = 1;
    private const int IntAttributeType = 2;

    // ModelProto fields.
    private const int ModelIrVersion = 1;
    private const int ModelProducerName = 2;
    private const int ModelGraph = 7;
    private const int ModelOpsetImport = 8;

    // OperatorSetIdProto fields.
    private const int OpsetDomain = 1;
    private const int OpsetVersionField = 2;

    // GraphProto fields.
    private const int GraphNode = 1;
    private const int GraphName = 2;
    private const int GraphInitializer = 5;
    private const int GraphInput = 11;
    private const int GraphOutput = 12;

    // NodeProto fields.
    private const int NodeInput = 1;
    private const int NodeOutput = 2;
    private const int NodeName = 3;
    private const int NodeOpType = 4;
    private const int NodeAttribute = 5;

    // AttributeProto fields.
    private const int AttributeName = 1;
    private const int AttributeInt = 3;
    private const int AttributeType = 20;

    // TensorProto fields.
    private const int TensorDims = 1;
    private const int TensorDataType = 2;
    private const int TensorName = 8;
    private const int TensorRawData = 9;

    // ValueInfoProto, TypeProto, TypeProto.Tensor, TensorShapeProto and its Dimension fields.
    private const int ValueInfoName = 1;
    private const int ValueInfoType = 2;
    private const int TypeTensorType = 1;
    private const int TensorTypeElemType = 1;
    private const int TensorTypeShape = 2;
    private const int ShapeDim = 1;
    private const int DimensionValue = 1;

    /// <summary>Name of the model's input tensor.</summary>
    public const string InputName = "input";

    /// <summary>Name of the model's output tensor.</summary>
    public const string OutputName = "output";

    /// <summary>Encodes the network as ONNX model bytes.</summary>
    /// <param name="sizes">Layer widths from input to output, for example [784, 128, 10].</param>
    /// <param name="activations">One activation per dense layer: sizes.Length − 1 entries.</param>
    /// <param name="parameters">Each layer's weight [outputs, inputs] row-major, then its bias, layer after layer.</param>
    /// <param name="batch">The fixed batch size of the input and output shapes.</param>
    public static byte[] Export(int[] sizes, Activation[] activations, ReadOnlySpan<float> parameters, int batch)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        ArgumentNullException.ThrowIfNull(activations);
        if (sizes.Length < 2 || activations.Length != sizes.Length - 1)
        {
            throw new ArgumentException(
                $"Expected at least two sizes and one activation per layer, got {sizes.Length} sizes and {activations.Length} activations.",
                nameof(activations));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        int expectedParameters = 0;
        for (int l = 0; l + 1 < sizes.Length; l++)
        {
            expectedParameters += (sizes[l] * sizes[l + 1]) + sizes[l + 1];
        }

        if (parameters.Length != expectedParameters)
        {
            throw new ArgumentException(
                $"The sizes [{string.Join(", ", sizes)}] need {expectedParameters} parameters, got {parameters.Length}.",
                nameof(parameters));
        }

        var graph = new ProtobufWriter();
        string current = InputName;
        int offset = 0;
        for (int l = 0; l + 1 < sizes.Length; l++)
        {
            int inputs = sizes[l];
            int outputs = sizes[l + 1];
            string layer = "dense" + (l + 1).ToString(CultureInfo.InvariantCulture);
            string weightName = layer + ".weight";
            string biasName = layer + ".bias";
            ReadOnlySpan<float> weight = parameters.Slice(offset, inputs * outputs);
            ReadOnlySpan<float> bias = parameters.Slice(offset + (inputs * outputs), outputs);
            offset += (inputs * outputs) + outputs;

            float[] weightCopy = weight.ToArray();
            float[] biasCopy = bias.ToArray();
            graph.WriteMessage(GraphInitializer, t => WriteTensor(t, weightName, [outputs, inputs], weightCopy));
            graph.WriteMessage(GraphInitializer, t => WriteTensor(t, biasName, [outputs], biasCopy));

            bool isLast = l + 2 == sizes.Length;
            string? activationOp = activations[l] switch
            {
                Activation.Identity => null,
                Activation.Relu => "Relu",
                Activation.Tanh => "Tanh",
                Activation.Sigmoid => "Sigmoid",
                _ => throw new ArgumentException($"Activation {activations[l]} of layer {l + 1} has no ONNX operator in this exporter.", nameof(activations)),
            };

            string gemmOutput = isLast && activationOp is null ? OutputName : layer + ".linear";
            string input = current;
            graph.WriteMessage(GraphNode, n =>
            {
                n.WriteString(NodeInput, input);
                n.WriteString(NodeInput, weightName);
                n.WriteString(NodeInput, biasName);
                n.WriteString(NodeOutput, gemmOutput);
                n.WriteString(NodeName, layer + ".gemm");
                n.WriteString(NodeOpType, "Gemm");
                n.WriteMessage(NodeAttribute, a =>
                {
                    a.WriteString(AttributeName, "transB");
                    a.WriteInt64(AttributeInt, 1);
                    a.WriteInt64(AttributeType, IntAttributeType);
                });
            });
            current = gemmOutput;

            if (activationOp is not null)
            {
                string activationOutput = isLast ? OutputName : layer + ".activation";
                string activationInput = current;
                graph.WriteMessage(GraphNode, n =>
                {
                    n.WriteString(NodeInput, activationInput);
                    n.WriteString(NodeOutput, activationOutput);
                    n.WriteString(NodeName, layer + "." + activationOp.ToLowerInvariant());
                    n.WriteString(NodeOpType, activationOp);
                });
                current = activationOutput;
            }
        }

        graph.WriteString(GraphName, "netgen_mlp");
        graph.WriteMessage(GraphInput, v => WriteValueInfo(v, InputName, batch, sizes[0]));
        graph.WriteMessage(GraphOutput, v => WriteValueInfo(v, OutputName, batch, sizes[^1]));

        var model = new ProtobufWriter();
        model.WriteInt64(ModelIrVersion, IrVersion);
        model.WriteString(ModelProducerName, "NetGen.Benchmarks");
        byte[] graphBytes = graph.ToArray();
        model.WriteBytes(ModelGraph, graphBytes);
        model.WriteMessage(ModelOpsetImport, o =>
        {
            o.WriteString(OpsetDomain, string.Empty);
            o.WriteInt64(OpsetVersionField, OpsetVersion);
        });
        return model.ToArray();
    }

    private static void WriteTensor(ProtobufWriter tensor, string name, long[] dims, float[] values)
    {
        foreach (long dim in dims)
        {
            tensor.WriteInt64(TensorDims, dim);
        }

        tensor.WriteInt64(TensorDataType, FloatDataType);
        tensor.WriteString(TensorName, name);
        tensor.WriteFloatsAsBytes(TensorRawData, values);
    }

    private static void WriteValueInfo(ProtobufWriter valueInfo, string name, int batch, int features)
    {
        valueInfo.WriteString(ValueInfoName, name);
        valueInfo.WriteMessage(ValueInfoType, type => type.WriteMessage(TypeTensorType, tensorType =>
        {
            tensorType.WriteInt64(TensorTypeElemType, FloatDataType);
            tensorType.WriteMessage(TensorTypeShape, shape =>
            {
                shape.WriteMessage(ShapeDim, d => d.WriteInt64(DimensionValue, batch));
                shape.WriteMessage(ShapeDim, d => d.WriteInt64(DimensionValue, features));
            });
        }));
    }
}
