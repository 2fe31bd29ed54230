using NetGen.Generator.Model;
using static NetGen.Generator.Emit.SourceWriter;

namespace NetGen.Generator.Emit
{
    internal static partial class NetworkEmitter
    {
        private const string SparseLayerType = "global::NetGen.Sparse.SparseDenseLayer";
        private const string SparseFormatType = "global::NetGen.Sparse.SparseFormat";
        private const string AlignedBufferType = "global::NetGen.AlignedBuffer";

        /// <summary>
        /// Writes the nested SparseModel class of a network marked [SparseInference]: an
        /// inference-only copy whose fully connected layers run dense, CSR or block CSR weights,
        /// whichever the runtime's measured crossover expects to be fastest at each layer's sparsity.
        /// </summary>
        private static void EmitSparseModel(SourceWriter w, NetworkLayout layout)
        {
            if (!layout.Spec.SparseInference)
            {
                return;
            }

            string network = layout.Spec.ClassName;
            bool hasFloatLayers = false;
            foreach (LayerLayout layer in layout.Layers)
            {
                hasFloatLayers |= !IsSparseCapable(layer);
            }

            w.Line();
            EmitSparseRunForward(w, layout, hasFloatLayers);
            w.Line("/// <summary>");
            w.Line("/// Inference-only copy of a pruned <see cref=\"" + network + "\"/>. Each fully connected layer keeps its");
            w.Line("/// weights dense, in CSR or in 1×8 block CSR, whichever <see cref=\"global::NetGen.Sparse.SparseCrossover\"/>");
            w.Line("/// expects to run fastest at that layer's sparsity, chosen once for single samples and once");
            w.Line("/// for batches of <see cref=\"global::NetGen.Sparse.SparseCrossover.FeatureMajorMinBatch\"/> samples and more.");
            w.Line("/// Dropout is the identity here, as in inference mode, and other layer kinds run their float forward step.");
            w.Line("/// </summary>");
            w.Line("/// <remarks>");
            w.Line("/// Sizes are the constants of <see cref=\"" + network + "\"/>. Batches run the sparse layers in feature-major");
            w.Line("/// layout and transpose only where a dense layer or a row-wise activation needs batch-major");
            w.Line("/// rows. Calls allocate nothing and use buffers owned by the instance, so a call that");
            w.Line("/// overlaps another on a second thread throws InvalidOperationException.");
            w.Line("/// </remarks>");
            w.Open("public sealed class SparseModel");
            EmitSparseFields(w, layout);
            EmitSparseConstruction(w, layout);
            EmitSparseCalls(w, layout.Spec.ClassName + ".SparseModel");
            w.Close();
        }

        private static void EmitSparseFields(SourceWriter w, NetworkLayout layout)
        {
            string network = layout.Spec.ClassName;
            w.Line("// Floats of transpose scratch per sample: the widest of the input and every layer.");
            w.Line("private const int TransposeScratchPerSample = " + Int(System.Math.Max(layout.Spec.InputSize, layout.MaxWidth)) + ";");
            w.Line();
            w.Line("// A private copy of the network: its parameters and buffers for the layers without a");
            w.Line("// sparse form, and the instance that runs the forward pass.");
            w.Line("private readonly " + network + " _network;");
            w.Line("private readonly " + WorkspaceType + " _workspace;");
            w.Line();
            w.Line("// 1 while a call uses _workspace and the scratch buffers; see GeneratedCode.EnterExclusive.");
            w.Line("private int _sampleCallInProgress;");
            w.Line("// Aligned to a cache line like the workspace's activations: it holds the transposed input");
            w.Line("// that the first sparse layer reads feature-major.");
            w.Line("private readonly " + AlignedBufferType + " _transposeScratch;");
            w.Line("private readonly float[] _sampleOutput = new float[OutputSize];");
            foreach (LayerLayout layer in layout.DenseLayers)
            {
                w.Line("private readonly " + SparseLayerType + " " + SparseField(layer) + ";");
            }

            w.Line();
        }

        private static void EmitSparseConstruction(SourceWriter w, NetworkLayout layout)
        {
            string network = layout.Spec.ClassName;
            w.Line("/// <summary>Copies the network's current parameters and picks each fully connected layer's format.</summary>");
            w.Line("/// <param name=\"network\">The pruned network: its zero weights are the pruned ones.</param>");
            w.Line("/// <param name=\"maxBatchSize\">Largest number of samples that one <see cref=\"Forward\"/> call takes.</param>");
            w.Line("/// <param name=\"format\">Null picks the fastest format per layer; a value runs every fully connected layer in that format.</param>");
            w.Open("public SparseModel(" + network + " network, int maxBatchSize = 128, " + SparseFormatType + "? format = null)");
            w.Line("global::System.ArgumentNullException.ThrowIfNull(network);");
            w.Line("_network = new " + network + "();");
            w.Line("network.Parameters.CopyTo(_network.Parameters);");
            if (layout.BufferCount > 0)
            {
                w.Line("network.Buffers.CopyTo(_network.Buffers);");
            }

            w.Line("_workspace = _network.CreateWorkspace(maxBatchSize);");
            w.Line("_transposeScratch = new " + AlignedBufferType + "((long)maxBatchSize * TransposeScratchPerSample);");
            foreach (LayerLayout layer in layout.DenseLayers)
            {
                string n = layer.Name;
                w.Line(SparseField(layer) + " = new " + SparseLayerType + "(network." + n + "Weight, network." + n + "Bias, " + n + "Outputs, " + n + "Inputs, format);");
            }

            w.Close();
            w.Line();
            w.Line("/// <summary>Largest number of samples that one <see cref=\"Forward\"/> call takes.</summary>");
            w.Line("public int MaxBatchSize => _workspace.MaxBatchSize;");
            foreach (LayerLayout layer in layout.DenseLayers)
            {
                w.Line();
                w.Line("/// <summary>Layer " + layer.Name + ", " + Int(layer.Inputs) + " → " + Int(layer.Outputs) + ": its sparsity and the formats it runs.</summary>");
                w.Line("public " + SparseLayerType + " " + layer.Name + " => " + SparseField(layer) + ";");
            }

            w.Line();
        }

        private static void EmitSparseCalls(SourceWriter w, string owner)
        {
            w.Line("/// <summary>Computes the outputs of one or more samples without allocating.</summary>");
            w.Line("/// <param name=\"inputs\">batch × <see cref=\"InputSize\"/> values, sample after sample, with batch from 1 to <see cref=\"MaxBatchSize\"/>.</param>");
            w.Line("/// <param name=\"outputs\">batch × <see cref=\"OutputSize\"/> values, overwritten sample after sample.</param>");
            w.Open("public void Forward(" + ReadOnlySpanType + " inputs, " + SpanType + " outputs)");
            w.Line("int batch = " + Support + ".BatchSize(inputs.Length, InputSize, _workspace, ArchitectureText, \"inputs\");");
            w.Line(Support + ".CheckBatchLength(outputs.Length, batch, OutputSize, \"outputs\", \"'inputs'\");");
            EmitExclusive(w, owner, "_network.RunSparseForward(inputs, outputs, batch, _workspace, _transposeScratch.Span, this);");
            w.Close();
            w.Line();
            w.Line("/// <summary>Returns the index of the largest output for one sample: the predicted class of a classifier.</summary>");
            w.Line("/// <param name=\"input\">Exactly <see cref=\"InputSize\"/> values.</param>");
            w.Open("public int Predict(" + ReadOnlySpanType + " input)");
            w.Line(Support + ".CheckLength(input.Length, InputSize, \"input\");");
            EmitExclusive(w, owner, "_network.RunSparseForward(input, _sampleOutput, 1, _workspace, _transposeScratch.Span, this);", "return " + Support + ".IndexOfMax(_sampleOutput);");
            w.Close();
        }

        /// <summary>
        /// Writes the sparse model's forward pass as a method of the network class, so that layers
        /// without a sparse form run the float network's own code on this instance's parameters and buffers.
        /// </summary>
        private static void EmitSparseRunForward(SourceWriter w, NetworkLayout layout, bool hasFloatLayers)
        {
            w.Line("// Forward pass of SparseModel over a batch whose size the caller has checked. featureMajor");
            w.Line("// tracks whether the current activations are [features, batch] rather than [batch, features].");
            w.Open("private void RunSparseForward(" + ReadOnlySpanType + " x, " + SpanType + " output, int batch, " + WorkspaceType + " workspace, " +
                   SpanType + " transposeScratch, SparseModel model)");
            w.Line(SpanType + " arena = workspace.Activations;");
            w.Line("int rows = workspace.MaxBatchSize;");
            w.Line("workspace.BatchSize = batch;");
            w.Line("bool featureMajor = false;");
            if (hasFloatLayers)
            {
                w.Line("// Locals that the float forward steps of the other layer kinds use. Every layer leaves its");
                w.Line("// outputs batch-major, because those steps and residual connections read them that way.");
                w.Line(ReadOnlySpanType + " p = new " + ReadOnlySpanType + "(_parameters, 0, ParameterCount);");
                w.Line("bool training = workspace.IsTraining;");
                if (layout.HasConvolution || layout.HasBatchNorm)
                {
                    w.Line(SpanType + " scratch = workspace.Scratch;");
                }
            }

            string current = "x";
            string currentWidth = "InputSize";
            bool writable = false;
            for (int i = 0; i < layout.Layers.Count; i++)
            {
                LayerLayout layer = layout.Layers[i];
                string n = layer.Name;
                string input = i == 0 ? "x" : layout.OutputName(i - 1);
                string output = layout.OutputName(i);
                w.Line();
                if (layer.IsDense)
                {
                    w.Line("// Layer " + Int(layer.Number) + ": " + n + ", " + Int(layer.Inputs) + " → " + Int(layer.Outputs) + ", " + ActivationText(layer) +
                           ", in the format model." + n + " chose for this batch size");
                    w.Line(SpanType + " " + output + " = arena.Slice(" + n + "ActivationOffset * rows, batch * " + n + "Outputs);");
                    w.Line("model." + n + ".Forward(" + input + ", " + output + ", batch, ref featureMajor, transposeScratch);");
                    if (hasFloatLayers || layer.Activation == Activation.Softmax)
                    {
                        w.Line(SparseLayerType + ".ToBatchMajor(" + output + ", batch, " + n + "Outputs, ref featureMajor, transposeScratch);");
                    }

                    string? call = ActivationCall(layer, output, output);
                    if (call is not null)
                    {
                        w.Line(call);
                    }

                    writable = true;
                }
                else if (layer.Kind == LayerKind.Dropout)
                {
                    w.Line("// Layer " + Int(layer.Number) + ": " + n + ", the identity at inference");
                    w.Line(ReadOnlySpanType + " " + output + " = " + input + ";");
                }
                else
                {
                    EmitLayerForward(w, layout, layer, input, output);
                    writable |= !layer.IsAlias;
                }

                current = output;
                currentWidth = n + "Outputs";
            }

            w.Line();
            w.Line("// The outputs leave in batch-major layout, sample after sample.");
            if (writable && !hasFloatLayers)
            {
                w.Line(SparseLayerType + ".ToBatchMajor(" + WritableName(layout, current) + ", batch, " + currentWidth + ", ref featureMajor, transposeScratch);");
            }

            w.Line(current + ".CopyTo(output);");
            w.Close();
            w.Line();
        }

        /// <summary>True for the layer kinds that the sparse model runs itself: fully connected layers and dropout.</summary>
        private static bool IsSparseCapable(LayerLayout layer) => layer.IsDense || layer.Kind == LayerKind.Dropout;

        /// <summary>
        /// Returns the writable span behind <paramref name="name"/>: dropout layers alias the span
        /// of the last layer before them that wrote one.
        /// </summary>
        private static string WritableName(NetworkLayout layout, string name)
        {
            for (int i = layout.Layers.Count - 1; i >= 0; i--)
            {
                LayerLayout layer = layout.Layers[i];
                if (name != "a" + Int(layer.Number))
                {
                    continue;
                }

                if (layer.Kind != LayerKind.Dropout)
                {
                    return name;
                }

                name = layout.OutputName(i - 1);
            }

            return name;
        }

        private static string SparseField(LayerLayout layer) => "_" + char.ToLowerInvariant(layer.Name[0]) + layer.Name.Substring(1);
    }
}
