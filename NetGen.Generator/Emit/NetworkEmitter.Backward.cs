using static NetGen.Generator.Emit.SourceWriter;

namespace NetGen.Generator.Emit
{
    internal static partial class NetworkEmitter
    {
        private static void EmitBackward(SourceWriter w, NetworkLayout layout)
        {
            w.Line("/// <summary>");
            w.Line("/// Differentiates the mean loss of the batch that the last batch Forward on <paramref name=\"workspace\"/>");
            w.Line("/// computed and adds the gradient to <see cref=\"global::NetGen.Workspace.Gradients\"/>. Returns the mean loss.");
            w.Line("/// </summary>");
            w.Line("/// <param name=\"inputs\">The inputs that the forward pass was given.</param>");
            w.Line("/// <param name=\"targets\">batch × <see cref=\"OutputSize\"/> targets" +
                   (layout.Spec.Loss == Loss.SoftmaxCrossEntropy ? ": class probabilities, usually one-hot." : "."));
            w.Line("/// </param>");
            w.Line("/// <param name=\"workspace\">The workspace of that forward pass.</param>");
            w.Open("public float Backward(" + ReadOnlySpanType + " inputs, " + ReadOnlySpanType + " targets, " + WorkspaceType + " workspace)");
            w.Line("int batch = " + Support + ".ForwardBatchSize(workspace, ArchitectureText);");
            w.Line(Support + ".CheckLength(inputs.Length, batch * InputSize, nameof(inputs));");
            w.Line(Support + ".CheckLength(targets.Length, batch * OutputSize, nameof(targets));");
            w.Line("return RunBackward(inputs, targets, workspace, batch);");
            w.Close();
            w.Line();

            w.Line("// Backward pass: the loss gradient, then each layer from the last to the first. Every");
            w.Line("// block restates the forward step it differentiates; gradients accumulate (+=).");
            w.Open("private float RunBackward(" + ReadOnlySpanType + " x, " + ReadOnlySpanType + " targets, " + WorkspaceType + " workspace, int batch)");
            w.Line(ReadOnlySpanType + " p = _parameters;");
            w.Line(SpanType + " g = workspace.Gradients;");
            w.Line(SpanType + " arena = workspace.Activations;");
            w.Line("int rows = workspace.MaxBatchSize;");
            foreach (DenseLayout layer in layout.Layers)
            {
                w.Line(ReadOnlySpanType + " a" + Int(layer.Number) + " = arena.Slice(" + layer.Name + "ActivationOffset * rows, batch * " + layer.Name + "Outputs);");
            }

            w.Line(SpanType + " deltaA = arena.Slice(DeltaAOffset * rows, batch * MaxWidth);");
            w.Line(SpanType + " deltaB = arena.Slice(DeltaBOffset * rows, batch * MaxWidth);");
            w.Line();

            DenseLayout output = layout.Output;
            string delta = "d" + Int(output.Number);
            w.Line(SpanType + " " + delta + " = deltaA.Slice(0, batch * " + output.Name + "Outputs);");
            if (layout.Spec.Loss == Loss.SoftmaxCrossEntropy)
            {
                w.Line("// Loss: softmax cross-entropy of a" + Int(output.Number) + "[B, " + Int(output.Outputs) + "] against the targets; " + delta + " = (softmax(a" + Int(output.Number) + ") − t) / B");
                w.Line("float loss = " + Kernels + "LossKernels.SoftmaxCrossEntropy(a" + Int(output.Number) + ", targets, " + delta + ", batch, OutputSize);");
            }
            else
            {
                w.Line("// Loss: ½‖a" + Int(output.Number) + " − t‖² per sample, mean over the batch; " + delta + " = (a" + Int(output.Number) + " − t) / B");
                w.Line("float loss = " + Kernels + "LossKernels.SquaredError(a" + Int(output.Number) + ", targets, " + delta + ", batch, OutputSize);");
            }

            bool inA = true;
            for (int i = layout.Layers.Count - 1; i >= 0; i--)
            {
                DenseLayout layer = layout.Layers[i];
                string n = layer.Name;
                string a = "a" + Int(layer.Number);
                string d = "d" + Int(layer.Number);
                string input = i == 0 ? "x" : "a" + Int(layer.Number - 1);
                w.Line();
                w.Line("// " + n + " backward; forward was " + a + " = " + layer.Activation + "(W·" + input + " + b), [B, " + Int(layer.Inputs) + "] → [B, " + Int(layer.Outputs) + "]");
                string? derivative = ActivationKernel(layer.Activation);
                if (derivative is not null)
                {
                    w.Line("// " + d + " ⊙= " + layer.Activation + "′, computed from the outputs " + a);
                    w.Line(Kernels + "ActivationKernels." + derivative + "Backward(" + a + ", " + d + ");");
                }

                w.Line("// dW += " + d + "ᵀ·" + input + ", db += Σ_b " + d);
                w.Line(Kernels + "DenseKernels.AccumulateGradients(" + d + ", " + input + ", " + WeightSlice("g", n) + ", " + BiasSlice("g", n) + ", batch, " + n + "Inputs, " + n + "Outputs);");
                if (i == 0)
                {
                    w.Line("// The gradient with respect to the network's input is not needed.");
                    continue;
                }

                DenseLayout previous = layout.Layers[i - 1];
                string next = "d" + Int(previous.Number);
                inA = !inA;
                w.Line("// " + next + " = " + d + "·W, the gradient with respect to " + input);
                w.Line(SpanType + " " + next + " = " + (inA ? "deltaA" : "deltaB") + ".Slice(0, batch * " + previous.Name + "Outputs);");
                w.Line(Kernels + "DenseKernels.BackwardInput(" + d + ", " + WeightSlice("p", n) + ", " + next + ", batch, " + n + "Inputs, " + n + "Outputs);");
            }

            w.Line();
            w.Line("return loss;");
            w.Close();
            w.Line();
        }

        private static void EmitTraining(SourceWriter w, NetworkLayout layout)
        {
            w.Line("/// <summary>");
            w.Line("/// Runs one training step on a batch: zeroes the gradients, runs forward and backward, and lets");
            w.Line("/// <paramref name=\"optimizer\"/> update the parameters. Returns the mean loss before the update.");
            w.Line("/// </summary>");
            w.Line("/// <param name=\"inputs\">batch × <see cref=\"InputSize\"/> values.</param>");
            w.Line("/// <param name=\"targets\">batch × <see cref=\"OutputSize\"/> targets.</param>");
            w.Line("/// <param name=\"optimizer\">Update rule applied to <see cref=\"Parameters\"/>.</param>");
            w.Line("/// <param name=\"workspace\">Buffers from <see cref=\"CreateWorkspace\"/>.</param>");
            w.Open("public float TrainStep(" + ReadOnlySpanType + " inputs, " + ReadOnlySpanType + " targets, global::NetGen.IOptimizer optimizer, " + WorkspaceType + " workspace)");
            w.Line("global::System.ArgumentNullException.ThrowIfNull(optimizer);");
            w.Line("int batch = " + Support + ".BatchSize(inputs.Length, InputSize, workspace, ArchitectureText, nameof(inputs));");
            w.Line(Support + ".CheckLength(targets.Length, batch * OutputSize, nameof(targets));");
            w.Line("workspace.ZeroGradients();");
            w.Line("RunForward(inputs, workspace, batch);");
            w.Line("float loss = RunBackward(inputs, targets, workspace, batch);");
            w.Line("optimizer.Step(_parameters, workspace.Gradients);");
            w.Line("return loss;");
            w.Close();
        }
    }
}
