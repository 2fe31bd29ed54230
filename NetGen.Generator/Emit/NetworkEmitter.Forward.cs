using static NetGen.Generator.Emit.SourceWriter;

namespace NetGen.Generator.Emit
{
    internal static partial class NetworkEmitter
    {
        private static void EmitForward(SourceWriter w, NetworkLayout layout)
        {
            string last = layout.Output.Name;

            w.Line("/// <summary>");
            w.Line("/// Computes the outputs of one sample without allocating. It uses buffers owned by this");
            w.Line("/// instance, so calls on one instance must not overlap across threads.");
            w.Line("/// </summary>");
            w.Line("/// <param name=\"input\">Exactly <see cref=\"InputSize\"/> values.</param>");
            w.Line("/// <param name=\"output\">Exactly <see cref=\"OutputSize\"/> values, overwritten.</param>");
            w.Open("public void Forward(" + ReadOnlySpanType + " input, " + SpanType + " output)");
            w.Line(Support + ".CheckLength(input.Length, InputSize, nameof(input));");
            w.Line(Support + ".CheckLength(output.Length, OutputSize, nameof(output));");
            w.Line("RunForward(input, _sampleWorkspace, 1);");
            w.Line("_sampleWorkspace.Activations.Slice(" + last + "ActivationOffset, OutputSize).CopyTo(output);");
            w.Close();
            w.Line();

            w.Line("/// <summary>Returns the index of the largest output for one sample: the predicted class of a classifier.</summary>");
            w.Line("/// <param name=\"input\">Exactly <see cref=\"InputSize\"/> values.</param>");
            w.Open("public int Predict(" + ReadOnlySpanType + " input)");
            w.Line(Support + ".CheckLength(input.Length, InputSize, nameof(input));");
            w.Line("RunForward(input, _sampleWorkspace, 1);");
            w.Line("return " + Support + ".IndexOfMax(_sampleWorkspace.Activations.Slice(" + last + "ActivationOffset, OutputSize));");
            w.Close();
            w.Line();

            w.Line("/// <summary>Computes the outputs of a batch and keeps the activations in <paramref name=\"workspace\"/> for <see cref=\"Backward\"/>.</summary>");
            w.Line("/// <param name=\"inputs\">batch × <see cref=\"InputSize\"/> values, sample after sample.</param>");
            w.Line("/// <param name=\"outputs\">batch × <see cref=\"OutputSize\"/> values, overwritten.</param>");
            w.Line("/// <param name=\"workspace\">Buffers from <see cref=\"CreateWorkspace\"/>.</param>");
            w.Open("public void Forward(" + ReadOnlySpanType + " inputs, " + SpanType + " outputs, " + WorkspaceType + " workspace)");
            w.Line("int batch = " + Support + ".BatchSize(inputs.Length, InputSize, workspace, ArchitectureText, nameof(inputs));");
            w.Line(Support + ".CheckLength(outputs.Length, batch * OutputSize, nameof(outputs));");
            w.Line("RunForward(inputs, workspace, batch);");
            w.Line("workspace.Activations.Slice(" + last + "ActivationOffset * workspace.MaxBatchSize, batch * OutputSize).CopyTo(outputs);");
            w.Close();
            w.Line();

            w.Line("// Forward pass over a batch whose size the caller has checked; each layer writes its");
            w.Line("// outputs into its own block of the arena, where the backward pass finds them.");
            w.Open("private void RunForward(" + ReadOnlySpanType + " x, " + WorkspaceType + " workspace, int batch)");
            w.Line(ReadOnlySpanType + " p = _parameters;");
            w.Line(SpanType + " arena = workspace.Activations;");
            w.Line("int rows = workspace.MaxBatchSize;");
            w.Line("workspace.BatchSize = batch;");

            string input = "x";
            foreach (DenseLayout layer in layout.Layers)
            {
                string output = "a" + Int(layer.Number);
                string n = layer.Name;
                w.Line();
                w.Line("// Layer " + Int(layer.Number) + ": " + n + ", " + Int(layer.Inputs) + " → " + Int(layer.Outputs) + ", " + layer.Activation +
                       "; " + input + "[B, " + Int(layer.Inputs) + "] → " + output + "[B, " + Int(layer.Outputs) + "]");
                w.Line(SpanType + " " + output + " = arena.Slice(" + n + "ActivationOffset * rows, batch * " + n + "Outputs);");
                w.Line(Kernels + "DenseKernels.Forward(" + input + ", " + WeightSlice("p", n) + ", " + BiasSlice("p", n) + ", " + output + ", batch, " + n + "Inputs, " + n + "Outputs);");
                string? activation = ActivationKernel(layer.Activation);
                if (activation is not null)
                {
                    w.Line(Kernels + "ActivationKernels." + activation + "(" + output + ");");
                }

                input = output;
            }

            w.Close();
            w.Line();
        }

        private static string WeightSlice(string buffer, string layer) =>
            buffer + ".Slice(" + layer + "WeightOffset, " + layer + "Outputs * " + layer + "Inputs)";

        private static string BiasSlice(string buffer, string layer) =>
            buffer + ".Slice(" + layer + "BiasOffset, " + layer + "Outputs)";

        /// <summary>Name of the in-place activation kernel, or null for the identity.</summary>
        private static string? ActivationKernel(Activation activation) => activation switch
        {
            Activation.Relu => "Relu",
            Activation.Tanh => "Tanh",
            Activation.Sigmoid => "Sigmoid",
            _ => null,
        };
    }
}
