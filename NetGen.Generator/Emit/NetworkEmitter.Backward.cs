using static NetGen.Generator.Emit.SourceWriter;
using NetGen.Generator.Model;

namespace NetGen.Generator.Emit
{
    internal static partial class NetworkEmitter
    {
        private static void EmitBackward(SourceWriter w, NetworkLayout layout)
        {
            w.Line("/// <summary>");
            w.Line("/// Differentiates the mean loss of the batch that the last batch Forward on <paramref name=\"workspace\"/>");
            w.Line("/// computed and adds the gradient to <see cref=\"global::NetGen.Workspace.Gradients\"/>. Returns the loss,");
            w.Line("/// including any L1 or L2 penalty. Dropout and batch norm differentiate the mode that forward pass ran in.");
            w.Line("/// </summary>");
            w.Line("/// <param name=\"inputs\">The inputs that the forward pass was given.</param>");
            w.Line("/// <param name=\"targets\">batch × <see cref=\"OutputSize\"/> targets" +
                   (layout.Spec.Loss.Kind == Loss.SoftmaxCrossEntropy ? ": class probabilities, usually one-hot." : "."));
            w.Line("/// </param>");
            w.Line("/// <param name=\"workspace\">The workspace of that forward pass.</param>");
            w.Open("public float Backward(" + ReadOnlySpanType + " inputs, " + ReadOnlySpanType + " targets, " + WorkspaceType + " workspace)");
            w.Line("int batch = " + Support + ".ForwardBatchSize(workspace, ArchitectureText);");
            w.Line(WorkspaceLayoutCheck(layout));
            w.Line(Support + ".CheckBatchLength(inputs.Length, batch, InputSize, \"inputs\", \"the last Forward on this workspace\");");
            w.Line(Support + ".CheckBatchLength(targets.Length, batch, OutputSize, \"targets\", \"the last Forward on this workspace\");");
            w.Line("return RunBackward(inputs, targets, workspace, batch, workspace.ForwardWasTraining);");
            w.Close();
            w.Line();

            w.Line("// Backward pass: the loss gradient, then each layer from the last to the first. Every");
            w.Line("// block restates the forward step it differentiates; gradients accumulate (+=).");
            w.Open("private float RunBackward(" + ReadOnlySpanType + " x, " + ReadOnlySpanType + " targets, " + WorkspaceType + " workspace, int batch, bool training)");
            w.Line("// The array itself, not the Parameters property, which would mark the packed weights stale.");
            w.Line(ReadOnlySpanType + " p = new " + ReadOnlySpanType + "(_parameters, 0, ParameterCount);");
            w.Line(SpanType + " g = workspace.Gradients;");
            w.Line(SpanType + " arena = workspace.Activations;");
            w.Line("int rows = workspace.MaxBatchSize;");

            if (layout.HasConvolution || layout.HasBatchNorm)
            {
                w.Line(SpanType + " scratch = workspace.Scratch;");
            }

            foreach (LayerLayout layer in layout.Layers)
            {
                if (layer.OutputOffset >= 0)
                {
                    w.Line(ReadOnlySpanType + " a" + Int(layer.Number) + " = arena.Slice(" + layer.Name + "ActivationOffset * rows, batch * " + layer.Name + "Outputs);");
                }

                if (layer.PreActivationOffset >= 0)
                {
                    w.Line(ReadOnlySpanType + " z" + Int(layer.Number) + " = arena.Slice(" + layer.Name + "PreActivationOffset * rows, batch * " + layer.Name + "Outputs);");
                }

                if (layer.ExtraOffset >= 0)
                {
                    EmitExtraSpan(w, layer);
                }
            }

            w.Line(SpanType + " deltaA = arena.Slice(DeltaAOffset * rows, batch * MaxWidth);");
            w.Line(SpanType + " deltaB = arena.Slice(DeltaBOffset * rows, batch * MaxWidth);");
            w.Line();
            EmitLoss(w, layout);

            bool inA = true;
            bool derivativeApplied = false;
            for (int i = layout.Layers.Count - 1; i >= 0; i--)
            {
                LayerLayout layer = layout.Layers[i];
                string input = i == 0 ? "x" : layout.OutputName(i - 1);
                string d = "d" + Int(layer.Number);
                string next = i == 0 ? string.Empty : "d" + Int(layout.Layers[i - 1].Number);
                w.Line();
                switch (layer.Kind)
                {
                    case LayerKind.Dense:
                        LayerLayout? fused = i > 0 && FusesDerivative(layout.Layers[i - 1]) ? layout.Layers[i - 1] : null;
                        inA = EmitDenseBackward(w, layer, input, d, next, inA, derivativeApplied, fused);
                        derivativeApplied = fused is not null;
                        break;
                    case LayerKind.Dropout:
                        EmitDropoutBackward(w, layer, input, d, next);
                        derivativeApplied = false;
                        break;
                    default:
                        inA = EmitLayerBackward(w, layout, layer, input, d, next, inA);
                        derivativeApplied = false;
                        break;
                }
            }

            w.Line();
            w.Line("return loss;");
            w.Close();
            w.Line();
        }

        private static void EmitLoss(SourceWriter w, NetworkLayout layout)
        {
            LossSpec loss = layout.Spec.Loss;
            string y = "a" + Int(layout.Output.Number);
            string d = "d" + Int(layout.Layers[layout.Layers.Count - 1].Number);
            string arguments = y + ", targets, " + d + ", batch, OutputSize";
            string k = Kernels + "LossKernels.";
            w.Line(SpanType + " " + d + " = deltaA.Slice(0, batch * OutputSize);");
            switch (loss.Kind)
            {
                case Loss.SoftmaxCrossEntropy when loss.LabelSmoothing > 0 || loss.ClassWeights.Count > 0:
                    w.Line("// Loss: softmax cross-entropy of " + y + " against targets smoothed by ε = " + Float(loss.LabelSmoothing).TrimEnd('f') +
                           (loss.ClassWeights.Count > 0 ? " and weighted per class" : string.Empty) + "; " + d + " is its gradient");
                    w.Line("float loss = " + k + "SoftmaxCrossEntropy(" + arguments + ", " + Float(loss.LabelSmoothing) + ", " +
                           (loss.ClassWeights.Count > 0 ? "LossClassWeights" : "default") + ");");
                    break;
                case Loss.SoftmaxCrossEntropy:
                    w.Line("// Loss: softmax cross-entropy of " + y + " against the targets, mean over the batch; " + d + " = (softmax(" + y + ") − t) / B");
                    w.Line("float loss = " + k + "SoftmaxCrossEntropy(" + arguments + ");");
                    break;
                case Loss.SquaredError:
                    w.Line("// Loss: ½‖" + y + " − t‖² per sample, mean over the batch; " + d + " = (" + y + " − t) / B");
                    w.Line("float loss = " + k + "SquaredError(" + arguments + ");");
                    break;
                case Loss.MeanSquaredError:
                    w.Line("// Loss: mean of (" + y + " − t)² over every output; " + d + " = 2(" + y + " − t) / (B·OutputSize)");
                    w.Line("float loss = " + k + "MeanSquaredError(" + arguments + ");");
                    break;
                case Loss.AbsoluteError:
                    w.Line("// Loss: mean of |" + y + " − t| over every output; " + d + " = sign(" + y + " − t) / (B·OutputSize)");
                    w.Line("float loss = " + k + "AbsoluteError(" + arguments + ");");
                    break;
                case Loss.Huber:
                    w.Line("// Loss: Huber with δ = " + Float(loss.HuberDelta).TrimEnd('f') + ", mean over every output");
                    w.Line("float loss = " + k + "Huber(" + arguments + ", " + Float(loss.HuberDelta) + ");");
                    break;
                default:
                    w.Line("// Loss: binary cross-entropy of σ(" + y + ") against t, mean over every output; " + d + " = (σ(" + y + ") − t) / (B·OutputSize)");
                    w.Line("float loss = " + k + "BinaryCrossEntropyWithLogits(" + arguments + ");");
                    break;
            }
        }

        /// <summary>
        /// Returns whether the backward input kernel of the layer after <paramref name="layer"/>
        /// multiplies in <paramref name="layer"/>'s activation derivative as it writes the delta: a
        /// dense layer with ReLU, tanh or sigmoid, the activations that kernel fuses.
        /// </summary>
        private static bool FusesDerivative(LayerLayout layer) =>
            layer.Kind == LayerKind.Dense && !layer.KeepsPreActivation
            && layer.Activation is Activation.Relu or Activation.Tanh or Activation.Sigmoid;

        /// <summary>
        /// Writes one dense layer's backward block; returns whether the next delta lives in deltaA.
        /// With <paramref name="derivativeApplied"/> the delta already contains the activation's
        /// derivative. With <paramref name="fused"/> (the layer below) the backward input kernel
        /// multiplies in that layer's derivative.
        /// </summary>
        private static bool EmitDenseBackward(SourceWriter w, LayerLayout layer, string input, string d, string next, bool inA, bool derivativeApplied, LayerLayout? fused)
        {
            string n = layer.Name;
            string a = "a" + Int(layer.Number);
            w.Line("// " + n + " backward; forward was " + a + " = " + layer.Activation + "(W·" + input + " + b), [B, " + Int(layer.Inputs) + "] → [B, " + Int(layer.Outputs) + "]");
            string? derivative = ActivationBackwardCall(layer, a, d);
            if (derivativeApplied)
            {
                w.Line("// " + d + " already holds " + layer.Activation + "′: the layer above multiplied it in as it wrote " + d);
            }
            else if (derivative is not null)
            {
                w.Line("// " + d + " ⊙= " + layer.Activation + "′, computed from " + (layer.KeepsPreActivation ? "the pre-activation z" + Int(layer.Number) : "the outputs " + a));
                w.Line(derivative);
            }

            w.Line("// dW += " + d + "ᵀ·" + input + ", db += Σ_b " + d);
            w.Line(Kernels + "DenseKernels.AccumulateGradients(" + d + ", " + input + ", " + WeightSlice("g", n) + ", " + BiasSlice("g", n) + ", batch, " + n + "Inputs, " + n + "Outputs);");
            if (layer.Spec.L1 > 0)
            {
                w.Line("// L1 penalty λ·Σ|W| on the weights: loss += λ‖W‖₁, dW += λ·sign(W)");
                w.Line("loss += " + Kernels + "RegularizationKernels.L1Penalty(" + WeightSlice("p", n) + ", " + WeightSlice("g", n) + ", " + Float(layer.Spec.L1) + ");");
            }

            if (layer.Spec.L2 > 0)
            {
                w.Line("// L2 penalty ½λ·ΣW² on the weights: loss += ½λ‖W‖², dW += λ·W");
                w.Line("loss += " + Kernels + "RegularizationKernels.L2Penalty(" + WeightSlice("p", n) + ", " + WeightSlice("g", n) + ", " + Float(layer.Spec.L2) + ");");
            }

            if (next.Length == 0)
            {
                w.Line("// The gradient with respect to the network's input is not needed.");
                return inA;
            }

            inA = !inA;
            string span = SpanType + " " + next + " = " + (inA ? "deltaA" : "deltaB") + ".Slice(0, batch * " + n + "Inputs);";
            string arguments = d + ", " + WeightSlice("p", n) + ", " + next + ", batch, " + n + "Inputs, " + n + "Outputs";
            if (fused is null)
            {
                w.Line("// " + next + " = " + d + "·W, the gradient with respect to " + input);
                w.Line(span);
                w.Line(Kernels + "DenseKernels.BackwardInput(" + arguments + ");");
            }
            else
            {
                w.Line("// " + next + " = (" + d + "·W) ⊙ " + fused.Activation + "′(" + input + "), the gradient with respect to " + fused.Name + "'s pre-activation, in one pass");
                w.Line(span);
                w.Line(Kernels + "DenseKernels.BackwardInput(" + arguments + ", global::NetGen.Activation." + fused.Activation + ", " + input + ");");
            }

            return inA;
        }

        private static void EmitDropoutBackward(SourceWriter w, LayerLayout layer, string input, string d, string next)
        {
            if (next.Length == 0)
            {
                w.Line("// " + layer.Name + " backward: it acts on the network's input, whose gradient is not needed.");
                return;
            }

            string mask = "mask" + Int(layer.Number);
            w.Line("// " + layer.Name + " backward; forward was a" + Int(layer.Number) + " = " + input + " ⊙ mask while training, " + input + " otherwise");
            w.Open("if (training)");
            w.Line(Kernels + "DropoutKernels.Backward(" + mask + ", " + d + ");");
            w.Close();
            w.Line(SpanType + " " + next + " = " + d + ";");
        }

        private static void EmitComputeLoss(SourceWriter w, NetworkLayout layout)
        {
            LossSpec loss = layout.Spec.Loss;
            string k = Kernels + "LossKernels.";
            string arguments = "outputs, targets, batch, OutputSize";
            string call = loss.Kind switch
            {
                Loss.SoftmaxCrossEntropy when loss.LabelSmoothing > 0 || loss.ClassWeights.Count > 0 =>
                    k + "SoftmaxCrossEntropyLoss(" + arguments + ", " + Float(loss.LabelSmoothing) + ", " + (loss.ClassWeights.Count > 0 ? "LossClassWeights" : "default") + ")",
                Loss.SoftmaxCrossEntropy => k + "SoftmaxCrossEntropyLoss(" + arguments + ")",
                Loss.SquaredError => k + "SquaredErrorLoss(" + arguments + ")",
                Loss.MeanSquaredError => k + "MeanSquaredErrorLoss(" + arguments + ")",
                Loss.AbsoluteError => k + "AbsoluteErrorLoss(" + arguments + ")",
                Loss.Huber => k + "HuberLoss(" + arguments + ", " + Float(loss.HuberDelta) + ")",
                _ => k + "BinaryCrossEntropyWithLogitsLoss(" + arguments + ")",
            };

            w.Line("/// <summary>");
            w.Line("/// Returns the loss of <paramref name=\"outputs\"/> against <paramref name=\"targets\"/> as this network's");
            w.Line("/// declaration defines it, mean over the batch, without weight penalties.");
            w.Line("/// </summary>");
            w.Line("/// <param name=\"outputs\">batch × <see cref=\"OutputSize\"/> outputs of a forward pass.</param>");
            w.Line("/// <param name=\"targets\">batch × <see cref=\"OutputSize\"/> targets.</param>");
            w.Open("public float ComputeLoss(" + ReadOnlySpanType + " outputs, " + ReadOnlySpanType + " targets)");
            w.Line("int batch = " + Support + ".WholeBatch(outputs.Length, OutputSize, \"outputs\");");
            w.Line(Support + ".CheckBatchLength(targets.Length, batch, OutputSize, \"targets\", \"'outputs'\");");
            w.Line("return " + call + ";");
            w.Close();
            w.Line();
        }

        private static void EmitTraining(SourceWriter w, NetworkLayout layout)
        {
            w.Line("/// <summary>");
            w.Line("/// Runs one training step on a batch: zeroes the gradients, runs forward and backward, and lets");
            w.Line("/// <paramref name=\"optimizer\"/> update the parameters. Returns the mean loss before the update. A NaN or");
            w.Line("/// infinite loss or gradient throws <see cref=\"global::System.ArithmeticException\"/> and leaves the parameters and the");
            w.Line("/// batch-norm running statistics unchanged.");
            w.Line("/// </summary>");
            w.Line("/// <param name=\"inputs\">batch × <see cref=\"InputSize\"/> values.</param>");
            w.Line("/// <param name=\"targets\">batch × <see cref=\"OutputSize\"/> targets.</param>");
            w.Line("/// <param name=\"optimizer\">Update rule applied to <see cref=\"Parameters\"/>.</param>");
            w.Line("/// <param name=\"workspace\">Buffers from <see cref=\"CreateWorkspace\"/>.</param>");
            w.Open("public float TrainStep(" + ReadOnlySpanType + " inputs, " + ReadOnlySpanType + " targets, global::NetGen.IOptimizer optimizer, " + WorkspaceType + " workspace)");
            w.Line("global::System.ArgumentNullException.ThrowIfNull(optimizer);");
            w.Line("int batch = " + Support + ".BatchSize(inputs.Length, InputSize, workspace, ArchitectureText, \"inputs\");");
            w.Line(WorkspaceLayoutCheck(layout));
            w.Line(Support + ".CheckBatchLength(targets.Length, batch, OutputSize, \"targets\", \"'inputs'\");");
            w.Line("workspace.ZeroGradients();");
            if (layout.HasBatchNorm)
            {
                EmitDeferredStatisticsStep(w, layout);
            }
            else
            {
                w.Line("RunForward(inputs, workspace, batch, true);");
                w.Line("float loss = RunBackward(inputs, targets, workspace, batch, true);");
                w.Line(Support + ".CheckLoss(loss);");
                w.Line(Support + ".CheckGradients(workspace.Gradients, loss);");
                w.Line("optimizer.Step(Parameters, workspace.Gradients);");
            }

            w.Line("return loss;");
            w.Close();
        }

        /// <summary>
        /// Emits the body of TrainStep for a network with batch norm. The forward pass keeps its batch
        /// statistics aside. The running statistics move only once the loss and gradients are finite
        /// and the optimizer has stepped, so a rejected step leaves the buffers as they were.
        /// A workspace on which the caller set DefersStatistics keeps them for the caller to commit,
        /// unless the step failed.
        /// </summary>
        private static void EmitDeferredStatisticsStep(SourceWriter w, NetworkLayout layout)
        {
            w.Line("// Checked before the forward pass too, so that a rejected batch keeps statistics held from an earlier step.");
            EmitBatchNormChecks(w, layout);
            w.Line("bool commit = !workspace.DefersStatistics;");
            w.Line("workspace.DefersStatistics = true;");
            w.Line("float loss;");
            w.Open("try");
            w.Line("RunForward(inputs, workspace, batch, true);");
            w.Line("loss = RunBackward(inputs, targets, workspace, batch, true);");
            w.Line(Support + ".CheckLoss(loss);");
            w.Line(Support + ".CheckGradients(workspace.Gradients, loss);");
            w.Line("optimizer.Step(Parameters, workspace.Gradients);");
            w.Close();
            w.Open("catch");
            w.Line("// The forward pass ran, so the kept statistics may come from the rejected batch: nobody may commit them.");
            w.Line("workspace.HasPendingStatistics = false;");
            w.Line("throw;");
            w.Close();
            w.Open("finally");
            w.Line("workspace.DefersStatistics = !commit;");
            w.Close();
            w.Line();
            w.Open("if (commit)");
            w.Line("CommitStatistics(workspace);");
            w.Close();
            w.Line();
        }
    }
}
