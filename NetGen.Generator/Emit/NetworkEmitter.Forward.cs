using NetGen.Generator.Model;
using static NetGen.Generator.Emit.SourceWriter;

namespace NetGen.Generator.Emit
{
    internal static partial class NetworkEmitter
    {
        private static void EmitForward(SourceWriter w, NetworkLayout layout)
        {
            string last = layout.Output.Name;

            w.Line("/// <summary>");
            w.Line("/// Computes the outputs of one sample without allocating, in inference mode. It uses buffers");
            w.Line("/// owned by this instance, so calls on one instance must not overlap across threads.");
            w.Line("/// </summary>");
            w.Line("/// <param name=\"input\">Exactly <see cref=\"InputSize\"/> values.</param>");
            w.Line("/// <param name=\"output\">Exactly <see cref=\"OutputSize\"/> values, overwritten.</param>");
            w.Open("public void Forward(" + ReadOnlySpanType + " input, " + SpanType + " output)");
            w.Line(Support + ".CheckLength(input.Length, InputSize, \"input\");");
            w.Line(Support + ".CheckLength(output.Length, OutputSize, \"output\");");
            if (layout.IsSmall)
            {
                w.Line(Marshal + ".CreateReadOnlySpan(ref RunSampleForward(input), OutputSize).CopyTo(output);");
            }
            else if (layout.HasPackedSample)
            {
                w.Open("if (UsePackedWeights())");
                w.Line(Marshal + ".CreateReadOnlySpan(ref RunSampleForward(input), OutputSize).CopyTo(output);");
                w.Close();
                w.Open("else");
                w.Line("RunForward(input, _sampleWorkspace, 1, false);");
                w.Line("_sampleWorkspace.Activations.Slice(" + last + "ActivationOffset, OutputSize).CopyTo(output);");
                w.Close();
            }
            else
            {
                w.Line("RunForward(input, _sampleWorkspace, 1, false);");
                w.Line("_sampleWorkspace.Activations.Slice(" + last + "ActivationOffset, OutputSize).CopyTo(output);");
            }

            w.Close();
            w.Line();

            w.Line("/// <summary>");
            w.Line("/// Returns the index of the largest output for one sample: the predicted class of a classifier.");
            w.Line("/// The first NaN output counts as the largest, as torch.argmax does, so a NaN input gives the");
            w.Line("/// index of the first NaN output.");
            w.Line("/// </summary>");
            w.Line("/// <param name=\"input\">Exactly <see cref=\"InputSize\"/> values.</param>");
            w.Open("public int Predict(" + ReadOnlySpanType + " input)");
            w.Line(Support + ".CheckLength(input.Length, InputSize, \"input\");");
            if (layout.IsSmall)
            {
                w.Line("return " + Support + ".IndexOfMax(" + Marshal + ".CreateReadOnlySpan(ref RunSampleForward(input), OutputSize));");
            }
            else if (layout.HasPackedSample)
            {
                w.Open("if (UsePackedWeights())");
                w.Line("return " + Support + ".IndexOfMax(" + Marshal + ".CreateReadOnlySpan(ref RunSampleForward(input), OutputSize));");
                w.Close();
                w.Line();
                w.Line("RunForward(input, _sampleWorkspace, 1, false);");
                w.Line("return " + Support + ".IndexOfMax(_sampleWorkspace.Activations.Slice(" + last + "ActivationOffset, OutputSize));");
            }
            else
            {
                w.Line("RunForward(input, _sampleWorkspace, 1, false);");
                w.Line("return " + Support + ".IndexOfMax(_sampleWorkspace.Activations.Slice(" + last + "ActivationOffset, OutputSize));");
            }

            w.Close();
            w.Line();

            if (layout.HasPackedSample)
            {
                EmitSampleForward(w, layout);
            }
            else
            {
                // Declared on every network, so code that calls it keeps compiling when a network
                // gains a layer that takes it off the packed path.
                w.Line("/// <summary>");
                w.Line("/// Tells the network that its parameters changed through a span obtained before the last");
                w.Line("/// <see cref=\"Forward(global::System.ReadOnlySpan{float}, global::System.Span{float})\"/> or <see cref=\"Predict\"/> call.");
                w.Line("/// This network reads its parameters directly in single-sample calls, so there is nothing to update.");
                w.Line("/// </summary>");
                w.Line("public void NotifyParametersChanged()");
                w.Line("{");
                w.Line("}");
                w.Line();
            }

            w.Line("/// <summary>");
            w.Line("/// Computes the outputs of a batch and keeps the activations in <paramref name=\"workspace\"/> for");
            w.Line("/// <see cref=\"Backward\"/>. Dropout layers are active only when the workspace's IsTraining is set.");
            w.Line("/// </summary>");
            w.Line("/// <param name=\"inputs\">batch × <see cref=\"InputSize\"/> values, sample after sample.</param>");
            w.Line("/// <param name=\"outputs\">batch × <see cref=\"OutputSize\"/> values, overwritten.</param>");
            w.Line("/// <param name=\"workspace\">Buffers from <see cref=\"CreateWorkspace\"/>.</param>");
            w.Open("public void Forward(" + ReadOnlySpanType + " inputs, " + SpanType + " outputs, " + WorkspaceType + " workspace)");
            w.Line("int batch = " + Support + ".BatchSize(inputs.Length, InputSize, workspace, ArchitectureText, \"inputs\");");
            w.Line(WorkspaceLayoutCheck(layout));
            w.Line(Support + ".CheckBatchLength(outputs.Length, batch, OutputSize, \"outputs\", \"'inputs'\");");
            w.Line("RunForward(inputs, workspace, batch, workspace.IsTraining);");
            w.Line("workspace.Activations.Slice(" + last + "ActivationOffset * workspace.MaxBatchSize, batch * OutputSize).CopyTo(outputs);");
            w.Close();
            w.Line();

            w.Line("// Forward pass over a batch whose size the caller has checked; each layer writes its");
            w.Line("// outputs into its own block of the arena, where the backward pass finds them.");
            w.Open("private void RunForward(" + ReadOnlySpanType + " x, " + WorkspaceType + " workspace, int batch, bool training)");
            if (layout.HasBatchNorm)
            {
                w.Open("if (training)");
                EmitBatchNormChecks(w, layout);
                w.Close();
                w.Line();
            }
            w.Line("// Read-only, so it does not go through Parameters, which would mark packed weights stale.");
            w.Line(ReadOnlySpanType + " p = new " + ReadOnlySpanType + "(_parameters, 0, ParameterCount);");
            w.Line(SpanType + " arena = workspace.Activations;");
            w.Line("int rows = workspace.MaxBatchSize;");
            w.Line("workspace.BatchSize = batch;");
            w.Line("workspace.ForwardWasTraining = training;");

            if (layout.HasConvolution || layout.HasBatchNorm)
            {
                w.Line(SpanType + " scratch = workspace.Scratch;");
            }

            for (int i = 0; i < layout.Layers.Count; i++)
            {
                LayerLayout layer = layout.Layers[i];
                string input = i == 0 ? "x" : layout.OutputName(i - 1);
                string output = layout.OutputName(i);
                w.Line();
                switch (layer.Kind)
                {
                    case LayerKind.Dense:
                        EmitDenseForward(w, layer, input, output);
                        break;
                    case LayerKind.Dropout:
                        EmitDropoutForward(w, layer, input, output);
                        break;
                    default:
                        EmitLayerForward(w, layout, layer, input, output);
                        break;
                }
            }

            w.Close();
            w.Line();
        }

        /// <summary>
        /// Emits the training-mode check of every batch norm's batch. The forward pass runs them before
        /// its first layer, so that a batch that a later batch norm rejects has not moved an earlier
        /// one's running statistics.
        /// </summary>
        private static void EmitBatchNormChecks(SourceWriter w, NetworkLayout layout)
        {
            foreach (LayerLayout layer in layout.Layers)
            {
                if (layer.Kind == LayerKind.BatchNorm)
                {
                    w.Line(Support + ".CheckBatchNormValues(batch, " + Int(layer.InputShape.Spatial) + ", \"" + layer.Name + "\");");
                }
            }
        }

        private static void EmitDenseForward(SourceWriter w, LayerLayout layer, string input, string output)
        {
            string n = layer.Name;
            w.Line("// Layer " + Int(layer.Number) + ": " + n + ", " + Int(layer.Inputs) + " → " + Int(layer.Outputs) + ", " + ActivationText(layer) +
                   "; " + input + "[B, " + Int(layer.Inputs) + "] → " + output + "[B, " + Int(layer.Outputs) + "]");
            w.Line(SpanType + " " + output + " = arena.Slice(" + n + "ActivationOffset * rows, batch * " + n + "Outputs);");
            string target = output;
            if (layer.KeepsPreActivation)
            {
                target = "z" + Int(layer.Number);
                w.Line("// " + target + " keeps W·x + b: the derivative of " + layer.Activation + " needs the activation's input.");
                w.Line(SpanType + " " + target + " = arena.Slice(" + n + "PreActivationOffset * rows, batch * " + n + "Outputs);");
            }

            w.Line(Kernels + "DenseKernels.Forward(" + input + ", " + WeightSlice("p", n) + ", " + BiasSlice("p", n) + ", " + target + ", batch, " + n + "Inputs, " + n + "Outputs);");
            string? call = ActivationCall(layer, target, output);
            if (call is not null)
            {
                w.Line(call);
            }
        }

        private static void EmitDropoutForward(SourceWriter w, LayerLayout layer, string input, string output)
        {
            string n = layer.Name;
            string mask = "mask" + Int(layer.Number);
            w.Line("// Layer " + Int(layer.Number) + ": " + n + ", p = " + Float(layer.Spec.Probability).TrimEnd('f') +
                   " while training, identity otherwise; " + input + "[B, " + Int(layer.Inputs) + "] → " + output + "[B, " + Int(layer.Outputs) + "]");
            w.Line(SpanType + " " + output + " = arena.Slice(" + n + "ActivationOffset * rows, batch * " + n + "Outputs);");
            w.Line(input + ".CopyTo(" + output + ");");
            w.Open("if (training)");
            w.Line(SpanType + " " + mask + " = arena.Slice(" + n + "MaskOffset * rows, batch * " + n + "Outputs);");
            w.Line(Kernels + "DropoutKernels.Forward(" + output + ", " + mask + ", " + Float(layer.Spec.Probability) + ", ref workspace.DropoutRandom);");
            w.Close();
        }

        private static string WeightSlice(string buffer, string layer) =>
            buffer + ".Slice(" + layer + "WeightOffset, " + layer + "Outputs * " + layer + "Inputs)";

        private static string BiasSlice(string buffer, string layer) =>
            buffer + ".Slice(" + layer + "BiasOffset, " + layer + "Outputs)";

        /// <summary>
        /// The statement that applies the layer's activation, from <paramref name="source"/> into
        /// <paramref name="target"/> (the same span unless the pre-activation is kept), or null for the identity.
        /// </summary>
        private static string? ActivationCall(LayerLayout layer, string source, string target)
        {
            string k = Kernels + "ActivationKernels.";
            string alpha = Float(layer.Alpha);
            string inPlace = source == target ? source : source + ", " + target;
            return layer.Activation switch
            {
                Activation.Identity => null,
                Activation.Relu => k + "Relu(" + inPlace + ");",
                Activation.Tanh => k + "Tanh(" + inPlace + ");",
                Activation.Sigmoid => k + "Sigmoid(" + inPlace + ");",
                Activation.LeakyRelu => k + "LeakyRelu(" + inPlace + ", " + alpha + ");",
                Activation.Elu => k + "Elu(" + inPlace + ", " + alpha + ");",
                Activation.LeCunTanh => k + "LeCunTanh(" + inPlace + ");",
                Activation.Softsign => k + "Softsign(" + inPlace + ");",
                Activation.Softplus => k + "Softplus(" + inPlace + ");",
                Activation.Silu => k + "Silu(" + inPlace + ");",
                Activation.GeluErf => k + "GeluErf(" + inPlace + ");",
                Activation.GeluTanh => k + "GeluTanh(" + inPlace + ");",
                _ => k + "SoftmaxRows(" + target + ", batch, " + layer.Name + "Outputs);",
            };
        }

        /// <summary>
        /// The statement that multiplies <paramref name="delta"/> by the activation's derivative,
        /// read from the output <paramref name="output"/> or the kept pre-activation, or null for the identity.
        /// </summary>
        private static string? ActivationBackwardCall(LayerLayout layer, string output, string delta)
        {
            string k = Kernels + "ActivationKernels.";
            string alpha = Float(layer.Alpha);
            string z = "z" + Int(layer.Number);
            return layer.Activation switch
            {
                Activation.Identity => null,
                Activation.Relu => k + "ReluBackward(" + output + ", " + delta + ");",
                Activation.Tanh => k + "TanhBackward(" + output + ", " + delta + ");",
                Activation.Sigmoid => k + "SigmoidBackward(" + output + ", " + delta + ");",
                Activation.LeakyRelu => k + "LeakyReluBackward(" + output + ", " + delta + ", " + alpha + ");",
                Activation.Elu => k + "EluBackward(" + output + ", " + delta + ", " + alpha + ");",
                Activation.LeCunTanh => k + "LeCunTanhBackward(" + output + ", " + delta + ");",
                Activation.Softsign => k + "SoftsignBackward(" + output + ", " + delta + ");",
                Activation.Softplus => k + "SoftplusBackward(" + output + ", " + delta + ");",
                Activation.Silu => k + "SiluBackward(" + z + ", " + delta + ");",
                Activation.GeluErf => k + "GeluErfBackward(" + z + ", " + delta + ");",
                Activation.GeluTanh => k + "GeluTanhBackward(" + z + ", " + delta + ");",
                _ => k + "SoftmaxRowsBackward(" + output + ", " + delta + ", batch, " + layer.Name + "Outputs);",
            };
        }
    }
}
