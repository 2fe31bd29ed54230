using NetGen.Generator.Model;
using static NetGen.Generator.Emit.SourceWriter;

namespace NetGen.Generator.Emit
{
    /// <summary>
    /// Forward and backward blocks of convolution, pooling, normalisation, flatten and residual
    /// layers. Each block calls a runtime kernel with the layer's constant geometry, and the backward
    /// blocks alternate between the two delta rows as the dense blocks do.
    /// </summary>
    internal static partial class NetworkEmitter
    {
        private const string TensorPrimitives = "global::System.Numerics.Tensors.TensorPrimitives";

        private static void EmitLayerForward(SourceWriter w, NetworkLayout layout, LayerLayout layer, string input, string output)
        {
            string n = layer.Name;
            if (layer.IsAlias)
            {
                w.Line("// Layer " + Int(layer.Number) + ": " + n + ", " + OperationText(layer) + "; " + ShapeText(layer.InputShape) + " → " + ShapeText(layer.OutputShape));
                w.Line("// Nothing moves: the next layers read " + input + " as it is.");
                return;
            }

            w.Line("// Layer " + Int(layer.Number) + ": " + n + ", " + OperationText(layer) + "; " + input + ShapeText(layer.InputShape) + " → " + output + ShapeText(layer.OutputShape));

            w.Line(SpanType + " " + output + " = arena.Slice(" + n + "ActivationOffset * rows, batch * " + n + "Outputs);");
            string c = Int(layer.InputShape.Channels);
            string spatial = Int(layer.InputShape.Spatial);
            switch (layer.Kind)
            {
                case LayerKind.Convolution:
                    string target = PreActivationTarget(w, layer, output);

                    w.Line(Kernels + "ConvKernels.Forward(" + input + ", " + Weights("p", layer) + ", " + Biases("p", layer) + ", " + target + ", " + ConvScratch(layer) + ", batch, in " + n + "Geometry);");
                    string? call = ActivationCall(layer, target, output);
                    if (call is not null)
                    {
                        w.Line(call);
                    }

                    break;
                case LayerKind.MaxPool:
                    w.Line(Kernels + "PoolKernels.MaxForward(" + input + ", " + output + ", " + Argmax(layer) + ", batch, in " + n + "Geometry);");
                    break;
                case LayerKind.AvgPool:
                    w.Line(Kernels + "PoolKernels.AvgForward(" + input + ", " + output + ", batch, in " + n + "Geometry);");
                    break;
                case LayerKind.GlobalAvgPool:
                    w.Line(Kernels + "PoolKernels.GlobalAvgForward(" + input + ", " + output + ", batch, " + c + ", " + spatial + ");");
                    break;
                case LayerKind.BatchNorm:
                case LayerKind.LayerNorm:
                    string normTarget = PreActivationTarget(w, layer, output);
                    if (layer.Kind == LayerKind.BatchNorm)
                    {
                        EmitBatchNormForward(w, layer, input, normTarget);
                        if (FusesRelu(layer))
                        {
                            break;
                        }
                    }
                    else
                    {
                        w.Line(Kernels + "NormKernels.LayerNormForward(" + input + ", " + Weights("p", layer) + ", " + Biases("p", layer) + ", " + normTarget + ", " +
                               Normalized(layer) + ", arena.Slice(" + n + "InverseStdOffset * rows, batch), batch, " + n + "Outputs, " + Float(layer.Spec.Epsilon) + ");");
                    }

                    string? normActivation = ActivationCall(layer, normTarget, output);
                    if (normActivation is not null)
                    {
                        w.Line(normActivation);
                    }

                    break;
                default:
                    string skip = layout.OutputName(layer.SkipIndex - 1);
                    w.Line("// The skip input " + skip + " was kept at " + layout.Layers[layer.SkipIndex].Name + ".");
                    w.Line(TensorPrimitives + ".Add(" + input + ", " + skip + ", " + output + ");");
                    string? activation = ActivationCall(layer, output, output);
                    if (activation is not null)
                    {
                        w.Line(activation);
                    }

                    break;
            }
        }

        /// <summary>The span a layer writes before its activation: the kept pre-activation when the derivative needs it.</summary>
        private static string PreActivationTarget(SourceWriter w, LayerLayout layer, string output)
        {
            if (!layer.KeepsPreActivation)
            {
                return output;
            }

            string target = "z" + Int(layer.Number);
            w.Line(SpanType + " " + target + " = arena.Slice(" + layer.Name + "PreActivationOffset * rows, batch * " + layer.Name + "Outputs);");
            return target;
        }

        /// <summary>
        /// Whether a batch norm applies its ReLU inside the training kernels
        /// (NormKernels.BatchNormReluTrainForward and BatchNormReluBackward), which saves a pass
        /// over the activations in each direction. Evaluation mode keeps the separate ReLU.
        /// </summary>
        private static bool FusesRelu(LayerLayout layer) =>
            layer.Kind == LayerKind.BatchNorm && layer.Activation == Activation.Relu && !layer.KeepsPreActivation;

        private static void EmitBatchNormForward(SourceWriter w, LayerLayout layer, string input, string output)
        {
            string n = layer.Name;
            string c = Int(layer.InputShape.Channels);
            string spatial = Int(layer.InputShape.Spatial);
            string epsilon = Float(layer.Spec.Epsilon);
            bool fused = FusesRelu(layer);
            w.Open("if (training)");
            w.Line(fused
                ? "// Normalise with this batch's mean and biased variance per channel, then ReLU; keep x̂, μ and 1/σ for the backward pass."
                : "// Normalise with this batch's mean and biased variance per channel; keep x̂, μ and 1/σ for the backward pass.");
            w.Line(Kernels + (fused ? "NormKernels.BatchNormReluTrainForward(" : "NormKernels.BatchNormTrainForward(") + input + ", " + Weights("p", layer) + ", " + Biases("p", layer) + ", " + output + ", " + Normalized(layer) +
                   ", scratch.Slice(" + n + "StatisticsOffset, " + c + "), scratch.Slice(" + n + "StatisticsOffset + " + c + ", " + c + "), batch, " + c + ", " + spatial + ", " + epsilon + ");");
            w.Open("if (workspace.DefersStatistics)");
            w.Line("workspace.HasPendingStatistics = true;");
            w.Line("workspace.PendingStatisticsBatchSize = batch;");
            w.Close();
            w.Open("else");
            w.Line(RunningUpdate(layer, "scratch", spatial + " * batch"));
            w.Line("// The kept statistics, if any, were overwritten by this batch's, which are applied now.");
            w.Line("workspace.HasPendingStatistics = false;");
            w.Close();
            w.Close();
            w.Open("else");
            w.Line(Kernels + "NormKernels.BatchNormEvalForward(" + input + ", " + Weights("p", layer) + ", " + Biases("p", layer) + ", " + n + "RunningMean, " + n + "RunningVar, " +
                   output + ", batch, " + c + ", " + spatial + ", " + epsilon + ");");
            if (fused)
            {
                w.Line(ActivationCall(layer, output, output)!);
            }

            w.Close();
        }

        /// <summary>Declares the backward pass's view of a layer's extra per-sample block.</summary>
        private static void EmitExtraSpan(SourceWriter w, LayerLayout layer)
        {
            string n = layer.Name;
            string slice = "arena.Slice(" + n + layer.ExtraName + " * rows, batch * " + n + "Outputs)";
            string number = Int(layer.Number);
            switch (layer.Kind)
            {
                case LayerKind.Dropout:
                    w.Line(ReadOnlySpanType + " mask" + number + " = " + slice + ";");
                    break;
                case LayerKind.MaxPool:
                    w.Line("global::System.ReadOnlySpan<int> argmax" + number + " = " + Marshal + ".Cast<float, int>(" + slice + ");");
                    break;
                case LayerKind.BatchNorm:
                case LayerKind.LayerNorm:
                    w.Line(ReadOnlySpanType + " xhat" + number + " = " + slice + ";");
                    if (layer.InverseStdOffset >= 0)
                    {
                        w.Line(ReadOnlySpanType + " invStd" + number + " = arena.Slice(" + n + "InverseStdOffset * rows, batch);");
                    }

                    break;
                default:
                    w.Line(SpanType + " skip" + number + " = " + slice + ";");
                    break;
            }
        }

        /// <summary>Writes one layer's backward block and returns whether the next delta is in deltaA.</summary>
        private static bool EmitLayerBackward(SourceWriter w, NetworkLayout layout, LayerLayout layer, string input, string d, string next, bool inA)
        {
            string n = layer.Name;
            w.Line("// " + n + " backward; forward was " + OperationText(layer) + ", " + ShapeText(layer.InputShape) + " → " + ShapeText(layer.OutputShape));
            switch (layer.Kind)
            {
                case LayerKind.Flatten:
                    return PassThrough(w, d, next, inA);
                case LayerKind.ResidualStart:
                    if (next.Length > 0)
                    {
                        string skip = "skip" + Int(layout.ResidualEndOf(layer).Number);
                        w.Line("// The kept input fed both the branch and the skip: its gradient is the sum of both.");
                        w.Line(TensorPrimitives + ".Add(" + d + ", " + skip + ", " + d + ");");
                    }

                    return PassThrough(w, d, next, inA);
                case LayerKind.ResidualEnd:
                    EmitResidualEndBackward(w, layout, layer, input, d);
                    return PassThrough(w, d, next, inA);
                case LayerKind.Convolution:
                    return EmitConvolutionBackward(w, layer, input, d, next, inA);
            }

            // Pooling and normalisation always write the input gradient: batch and layer norm need the
            // kernel for their parameter gradients even when the input gradient is not used.
            if (next.Length == 0 && layer.ParameterCount == 0)
            {
                w.Line("// The gradient with respect to the network's input is not needed.");
                return inA;
            }

            string? derivative = ActivationBackwardCall(layer, "a" + Int(layer.Number), d);
            if (derivative is not null && !FusesRelu(layer))
            {
                w.Line(derivative);
            }

            inA = !inA;
            string target = next.Length > 0 ? next : "dInput";
            w.Line(SpanType + " " + target + " = " + (inA ? "deltaA" : "deltaB") + ".Slice(0, batch * " + n + "Inputs);");
            string c = Int(layer.InputShape.Channels);
            string spatial = Int(layer.InputShape.Spatial);
            string number = Int(layer.Number);
            string k = Kernels;
            switch (layer.Kind)
            {
                case LayerKind.MaxPool:
                    w.Line("// Each window's gradient goes to its first maximum; overlapping windows add up.");
                    w.Line(k + "PoolKernels.MaxBackward(" + d + ", argmax" + number + ", " + target + ", batch, in " + n + "Geometry);");
                    break;
                case LayerKind.AvgPool:
                    w.Line(k + "PoolKernels.AvgBackward(" + d + ", " + target + ", batch, in " + n + "Geometry);");
                    break;
                case LayerKind.GlobalAvgPool:
                    w.Line(k + "PoolKernels.GlobalAvgBackward(" + d + ", " + target + ", batch, " + c + ", " + spatial + ");");
                    break;
                case LayerKind.BatchNorm:
                    string invStd = "scratch.Slice(" + n + "StatisticsOffset + " + c + ", " + c + ")";
                    w.Open("if (training)");
                    if (FusesRelu(layer))
                    {
                        w.Line("// ReLU′ is recomputed from x̂, γ and β inside the kernel.");
                        w.Line(k + "NormKernels.BatchNormReluBackward(" + d + ", xhat" + number + ", " + Weights("p", layer) + ", " + Biases("p", layer) + ", " + invStd + ", " +
                               target + ", " + Weights("g", layer) + ", " + Biases("g", layer) + ", batch, " + c + ", " + spatial + ");");
                    }
                    else
                    {
                        w.Line(k + "NormKernels.BatchNormBackward(" + d + ", xhat" + number + ", " + Weights("p", layer) + ", " + invStd + ", " +
                               target + ", " + Weights("g", layer) + ", " + Biases("g", layer) + ", batch, " + c + ", " + spatial + ");");
                    }

                    w.Close();
                    w.Open("else");
                    if (FusesRelu(layer) && derivative is not null)
                    {
                        w.Line(derivative);
                    }

                    w.Line(k + "NormKernels.BatchNormEvalBackward(" + d + ", " + input + ", " + Weights("p", layer) + ", " + n + "RunningMean, " + n + "RunningVar, " +
                           target + ", " + Weights("g", layer) + ", " + Biases("g", layer) + ", batch, " + c + ", " + spatial + ", " + Float(layer.Spec.Epsilon) + ");");
                    w.Close();
                    break;
                default:
                    w.Line(k + "NormKernels.LayerNormBackward(" + d + ", xhat" + number + ", " + Weights("p", layer) + ", invStd" + number + ", " + target + ", " +
                           Weights("g", layer) + ", " + Biases("g", layer) + ", batch, " + n + "Outputs);");
                    break;
            }

            return inA;
        }

        private static bool EmitConvolutionBackward(SourceWriter w, LayerLayout layer, string input, string d, string next, bool inA)
        {
            string n = layer.Name;
            string? derivative = ActivationBackwardCall(layer, "a" + Int(layer.Number), d);
            if (derivative is not null)
            {
                w.Line(derivative);
            }

            w.Line("// dW += " + d + " ⋆ " + input + " (correlation over positions and the batch), db += Σ " + d);
            w.Line(Kernels + "ConvKernels.AccumulateGradients(" + d + ", " + input + ", " + Weights("g", layer) + ", " + Biases("g", layer) + ", " + ConvScratch(layer) + ", batch, in " + n + "Geometry);");
            EmitPenalties(w, layer);
            if (next.Length == 0)
            {
                w.Line("// The gradient with respect to the network's input is not needed.");
                return inA;
            }

            inA = !inA;
            w.Line("// " + next + " = the transposed convolution of " + d + " with W, the gradient with respect to " + input);
            w.Line(SpanType + " " + next + " = " + (inA ? "deltaA" : "deltaB") + ".Slice(0, batch * " + n + "Inputs);");
            w.Line(Kernels + "ConvKernels.BackwardInput(" + d + ", " + Weights("p", layer) + ", " + next + ", " + ConvScratch(layer) + ", batch, in " + n + "Geometry);");
            return inA;
        }

        private static void EmitResidualEndBackward(SourceWriter w, NetworkLayout layout, LayerLayout layer, string input, string d)
        {
            string number = Int(layer.Number);
            if (layer.Activation is Activation.Silu or Activation.GeluErf or Activation.GeluTanh)
            {
                // The derivative needs the sum before the activation: rebuild it in the skip row.
                string skip = layout.OutputName(layer.SkipIndex - 1);
                w.Line(TensorPrimitives + ".Add(" + input + ", " + skip + ", skip" + number + ");");
                w.Line(ReadOnlySpanType + " z" + number + " = skip" + number + ";");
            }

            string? derivative = ActivationBackwardCall(layer, "a" + number, d);
            if (derivative is not null)
            {
                w.Line(derivative);
            }

            w.Line("// The sum sends the same gradient to the branch and, kept until its start, to the skip.");
            w.Line(d + ".CopyTo(skip" + number + ");");
        }

        private static bool PassThrough(SourceWriter w, string d, string next, bool inA)
        {
            if (next.Length > 0)
            {
                w.Line(SpanType + " " + next + " = " + d + ";");
            }

            return inA;
        }

        private static void EmitPenalties(SourceWriter w, LayerLayout layer)
        {
            if (layer.Spec.L1 > 0)
            {
                w.Line("loss += " + Kernels + "RegularizationKernels.L1Penalty(" + Weights("p", layer) + ", " + Weights("g", layer) + ", " + Float(layer.Spec.L1) + ");");
            }

            if (layer.Spec.L2 > 0)
            {
                w.Line("loss += " + Kernels + "RegularizationKernels.L2Penalty(" + Weights("p", layer) + ", " + Weights("g", layer) + ", " + Float(layer.Spec.L2) + ");");
            }
        }

        private static string Weights(string buffer, LayerLayout layer) =>
            buffer + ".Slice(" + layer.Name + "WeightOffset, " + Int(layer.WeightCount) + ")";

        private static string Biases(string buffer, LayerLayout layer) =>
            layer.BiasCount > 0 ? buffer + ".Slice(" + layer.Name + "BiasOffset, " + Int(layer.BiasCount) + ")" : "default";

        private static string ConvScratch(LayerLayout layer) =>
            "scratch.Slice(StatisticsLength, " + layer.Name + "Geometry.ScratchLength)";

        private static string Argmax(LayerLayout layer) =>
            Marshal + ".Cast<float, int>(arena.Slice(" + layer.Name + "ArgmaxOffset * rows, batch * " + layer.Name + "Outputs))";

        private static string Normalized(LayerLayout layer) =>
            "arena.Slice(" + layer.Name + "NormalizedOffset * rows, batch * " + layer.Name + "Outputs)";
    }
}
