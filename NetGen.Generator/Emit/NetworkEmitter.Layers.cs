using System.Collections.Generic;
using NetGen.Generator.Model;
using static NetGen.Generator.Emit.SourceWriter;

namespace NetGen.Generator.Emit
{
    /// <summary>
    /// Members of convolution, pooling and normalisation layers: their geometry, the running
    /// statistics of batch norm, the parameter views and the initial values of γ and β.
    /// </summary>
    internal static partial class NetworkEmitter
    {
        private const string ConvGeometryType = "global::NetGen.Kernels.ConvGeometry";
        private const string PoolGeometryType = "global::NetGen.Kernels.PoolGeometry";

        private static void EmitGeometry(SourceWriter w, NetworkLayout layout)
        {
            var convolutions = new List<string>();
            foreach (LayerLayout layer in layout.Layers)
            {
                TensorShape input = layer.InputShape;
                if (layer.Kind == LayerKind.Convolution)
                {
                    ConvSpec conv = layer.Spec.Conv!;
                    ConvPadding pad = ShapeInference.Padding(conv);
                    w.Line("// " + layer.Name + ": " + OperationText(layer) + ".");
                    w.Line("private static readonly " + ConvGeometryType + " " + layer.Name + "Geometry = new " + ConvGeometryType + "(" +
                           Int(input.Channels) + ", " + Int(input.Height) + ", " + Int(input.Width) + ", " + Int(conv.OutChannels) + ", " +
                           Int(conv.KernelHeight) + ", " + Int(conv.KernelWidth) + ", " + Int(conv.Rank == 2 ? 1 : conv.Stride) + ", " + Int(conv.Stride) + ", " +
                           Int(pad.Top) + ", " + Int(pad.Left) + ", " + Int(pad.Bottom) + ", " + Int(pad.Right) + ", " +
                           Int(conv.Rank == 2 ? 1 : conv.Dilation) + ", " + Int(conv.Dilation) + ", " + Int(conv.Groups) + ");");
                    convolutions.Add(layer.Name + "Geometry.ScratchLength");
                }
                else if (layer.Kind is LayerKind.MaxPool or LayerKind.AvgPool)
                {
                    PoolSpec pool = layer.Spec.Pool!;
                    bool oneD = input.Rank == 2;
                    int stride = ShapeInference.PoolStride(pool);
                    w.Line("// " + layer.Name + ": " + OperationText(layer) + ".");
                    w.Line("private static readonly " + PoolGeometryType + " " + layer.Name + "Geometry = new " + PoolGeometryType + "(" +
                           Int(input.Channels) + ", " + Int(input.Height) + ", " + Int(input.Width) + ", " +
                           Int(oneD ? 1 : pool.Kernel) + ", " + Int(pool.Kernel) + ", " + Int(oneD ? 1 : stride) + ", " + Int(stride) + ", " +
                           Int(oneD ? 0 : pool.Padding) + ", " + Int(pool.Padding) + ");");
                }
            }

            if (!layout.HasConvolution && !layout.HasBatchNorm)
            {
                return;
            }

            w.Line();
            w.Line("// Workspace scratch: batch-norm statistics (mean, then 1/σ, per channel), then the");
            w.Line("// largest scratch a convolution kernel asks for.");
            w.Line("private const int StatisticsLength = " + Int(layout.StatisticsLength) + ";");
            foreach (LayerLayout layer in layout.Layers)
            {
                if (layer.StatisticsOffset >= 0)
                {
                    w.Line("private const int " + layer.Name + "StatisticsOffset = " + Int(layer.StatisticsOffset) + ";");
                }
            }

            string largest = "0";
            foreach (string term in convolutions)
            {
                largest = "global::System.Math.Max(" + largest + ", " + term + ")";
            }

            w.Line("private static readonly int ScratchLength = StatisticsLength + " + largest + ";");
            w.Line();
        }

        private static void EmitBufferMembers(SourceWriter w, NetworkLayout layout)
        {
            w.Line("/// <summary>Running mean and variance of every batch norm, layer after layer: saved with the weights, not trained.</summary>");
            w.Line("public " + SpanType + " Buffers => _buffers;");
            w.Line();
            w.Line("/// <summary>");
            w.Line("/// Moves the running statistics of every batch norm by the batch statistics that the last training");
            w.Line("/// forward pass on <paramref name=\"workspace\"/> kept while its DefersStatistics was set.");
            w.Line("/// </summary>");
            w.Line("/// <param name=\"workspace\">The workspace of that forward pass.</param>");
            w.Open("public void CommitStatistics(" + WorkspaceType + " workspace)");
            w.Line(Support + ".CheckWorkspace(workspace, ArchitectureText, ActivationsPerSample, ParameterCount, ScratchLength);");
            w.Open("if (!workspace.HasPendingStatistics)");
            w.Line("return;");
            w.Close();
            w.Line();
            w.Line(SpanType + " statistics = workspace.Scratch;");
            foreach (LayerLayout layer in layout.Layers)
            {
                if (layer.Kind == LayerKind.BatchNorm)
                {
                    w.Line(RunningUpdate(layer, "statistics", Int(layer.InputShape.Spatial) + " * workspace.PendingStatisticsBatchSize"));
                }
            }

            w.Line("workspace.HasPendingStatistics = false;");
            w.Close();
            w.Line();
        }

        /// <summary>The statement that moves one batch norm's running statistics by its batch statistics.</summary>
        private static string RunningUpdate(LayerLayout layer, string statistics, string count)
        {
            string n = layer.Name;
            string c = Int(layer.InputShape.Channels);
            return Kernels + "NormKernels.UpdateRunningStatistics(" + statistics + ".Slice(" + n + "StatisticsOffset, " + c + "), " +
                   statistics + ".Slice(" + n + "StatisticsOffset + " + c + ", " + c + "), " + n + "RunningMean, " + n + "RunningVar, " +
                   count + ", " + Float(layer.Spec.Momentum) + ", " + Float(layer.Spec.Epsilon) + ");";
        }

        private static void EmitLayerViews(SourceWriter w, NetworkLayout layout)
        {
            foreach (LayerLayout layer in layout.Layers)
            {
                string n = layer.Name;
                string weight = layer.Kind switch
                {
                    LayerKind.Convolution => "Weight of " + n + ": " + ConvWeightShape(layer) + " row-major, as torch's Conv weight.",
                    LayerKind.BatchNorm or LayerKind.LayerNorm => "Scale γ of " + n + ", one per " + (layer.Kind == LayerKind.BatchNorm ? "channel" : "value") + ", as torch's weight.",
                    _ => string.Empty,
                };
                if (weight.Length == 0)
                {
                    continue;
                }

                string bias = layer.HasWeights ? "Bias of " + n + ", one per output channel." : "Shift β of " + n + ", as torch's bias.";
                w.Line("/// <summary>" + weight + "</summary>");
                w.Line("public " + SpanType + " " + n + "Weight => new " + SpanType + "(_parameters, " + n + "WeightOffset, " + Int(layer.WeightCount) + ");");
                w.Line();
                if (layer.BiasCount > 0)
                {
                    w.Line("/// <summary>" + bias + "</summary>");
                    w.Line("public " + SpanType + " " + n + "Bias => new " + SpanType + "(_parameters, " + n + "BiasOffset, " + Int(layer.BiasCount) + ");");
                    w.Line();
                }

                if (layer.Kind == LayerKind.BatchNorm)
                {
                    string c = Int(layer.InputShape.Channels);
                    w.Line("/// <summary>Running mean of " + n + ", as torch's running_mean; starts at 0.</summary>");
                    w.Line("public " + SpanType + " " + n + "RunningMean => new " + SpanType + "(_buffers, " + Int(layer.BufferOffset) + ", " + c + ");");
                    w.Line();
                    w.Line("/// <summary>Running unbiased variance of " + n + ", as torch's running_var; starts at 1.</summary>");
                    w.Line("public " + SpanType + " " + n + "RunningVar => new " + SpanType + "(_buffers, " + Int(layer.BufferOffset + layer.InputShape.Channels) + ", " + c + ");");
                    w.Line();
                }
            }
        }

        private static void EmitNormInitialization(SourceWriter w, LayerLayout layer)
        {
            if (layer.Kind is not (LayerKind.BatchNorm or LayerKind.LayerNorm))
            {
                return;
            }

            w.Line();
            w.Line("// " + layer.Name + ": γ = 1 and β = 0, as torch" + (layer.Kind == LayerKind.BatchNorm ? "; running mean 0, running variance 1." : "."));
            w.Line(layer.Name + "Weight.Fill(1f);");
            w.Line(layer.Name + "Bias.Clear();");
            if (layer.Kind == LayerKind.BatchNorm)
            {
                w.Line(layer.Name + "RunningMean.Clear();");
                w.Line(layer.Name + "RunningVar.Fill(1f);");
            }
        }

        private static string ConvWeightShape(LayerLayout layer)
        {
            ConvSpec conv = layer.Spec.Conv!;
            string channels = Int(conv.OutChannels) + ", " + Int(layer.InputShape.Channels / conv.Groups);
            return conv.Rank == 3
                ? "[" + channels + ", " + Int(conv.KernelHeight) + ", " + Int(conv.KernelWidth) + "]"
                : "[" + channels + ", " + Int(conv.KernelWidth) + "]";
        }

        /// <summary>What a layer computes, for the remarks table and the comments.</summary>
        private static string OperationText(LayerLayout layer)
        {
            LayerSpec spec = layer.Spec;
            switch (layer.Kind)
            {
                case LayerKind.Dense:
                    return "Dense, " + ActivationText(layer);
                case LayerKind.Dropout:
                    return "Dropout, p = " + Float(spec.Probability).TrimEnd('f') + " while training";
                case LayerKind.Convolution:
                    ConvSpec conv = spec.Conv!;
                    ConvPadding pad = ShapeInference.Padding(conv);
                    string kernel = conv.Rank == 3 ? Int(conv.KernelHeight) + "×" + Int(conv.KernelWidth) : Int(conv.KernelWidth);
                    string padding = conv.Rank == 3
                        ? Int(pad.Top) + "/" + Int(pad.Bottom) + "/" + Int(pad.Left) + "/" + Int(pad.Right)
                        : Int(pad.Left) + "/" + Int(pad.Right);
                    return (conv.Rank == 3 ? "Conv2D " : "Conv1D ") + kernel + ", stride " + Int(conv.Stride) + ", padding " + padding +
                           ", dilation " + Int(conv.Dilation) + ", groups " + Int(conv.Groups) + (conv.Bias ? string.Empty : ", no bias") + ", " + ActivationText(layer);
                case LayerKind.MaxPool:
                case LayerKind.AvgPool:
                    PoolSpec pool = spec.Pool!;
                    return (layer.Kind == LayerKind.MaxPool ? "MaxPool " : "AvgPool ") + Int(pool.Kernel) + ", stride " + Int(ShapeInference.PoolStride(pool)) +
                           ", padding " + Int(pool.Padding);
                case LayerKind.GlobalAvgPool:
                    return "Global average pool";
                case LayerKind.Flatten:
                    return "Flatten";
                case LayerKind.BatchNorm:
                    return "BatchNorm, ε = " + Float(spec.Epsilon).TrimEnd('f') + ", momentum " + Float(spec.Momentum).TrimEnd('f') + ", " + ActivationText(layer);
                case LayerKind.LayerNorm:
                    return "LayerNorm, ε = " + Float(spec.Epsilon).TrimEnd('f') + ", " + ActivationText(layer);
                case LayerKind.ResidualStart:
                    return "Residual block start (keeps its input)";
                default:
                    return "Residual block end, adds the input kept at a residual start, " + ActivationText(layer);
            }
        }

        private static string ShapeText(TensorShape shape) => shape.Rank switch
        {
            1 => "[B, " + Int(shape.Channels) + "]",
            2 => "[B, " + Int(shape.Channels) + ", " + Int(shape.Width) + "]",
            _ => "[B, " + Int(shape.Channels) + ", " + Int(shape.Height) + ", " + Int(shape.Width) + "]",
        };
    }
}
