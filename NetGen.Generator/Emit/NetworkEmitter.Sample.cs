using static NetGen.Generator.Emit.SourceWriter;

namespace NetGen.Generator.Emit
{
    internal static partial class NetworkEmitter
    {
        private const string Unsafe = "global::System.Runtime.CompilerServices.Unsafe";
        private const string Marshal = "global::System.Runtime.InteropServices.MemoryMarshal";

        /// <summary>
        /// Writes the fields of the packed single-sample path: the packed copy of the dense
        /// weights that <c>SampleKernels</c> reads, the offset of each layer in it, the flag that
        /// marks the copy stale, and the buffer of layer outputs.
        /// </summary>
        private static void EmitSampleFields(SourceWriter w, NetworkLayout layout)
        {
            int packedLength = 0;
            foreach (LayerLayout layer in layout.DenseLayers)
            {
                w.Line("private const int " + layer.Name + "PackedOffset = " + Int(packedLength) + ";");
                packedLength += NetworkLayout.RoundUpToCacheLine(PackedLength(layer));
            }

            w.Line();
            w.Line("// Every dense layer's weights transposed into panels of up to 128 outputs (row-major when it has");
            w.Line("// at most 4), then its bias, as SampleKernels.Pack writes them. Single-sample Forward and");
            w.Line("// Predict read only this copy.");
            w.Line("// Every layer starts on a 64-byte boundary, so no vector load of a panel row splits a cache line.");
            w.Line("private readonly global::NetGen.AlignedBuffer _packedWeights = new global::NetGen.AlignedBuffer(" + Int(packedLength) + ");");
            w.Line();
            w.Line("// Set whenever a caller may have written the parameters: every property that returns a writable");
            w.Line("// view of them sets it, and the next single-sample call rebuilds _packedWeights and clears it.");
            w.Line("private bool _packedWeightsStale = true;");
            if (!layout.IsSmall)
            {
                w.Line();
                w.Line("// Set once _packedWeights matches the parameters. A call that finds them stale runs on the");
                w.Line("// row-major weights and clears this flag, and the next call packs only if nothing changed.");
                w.Line("private bool _packedWeightsReady;");
            }

            w.Line();
            w.Line("// Each dense layer's outputs at its own offset, padded to whole 8-float vectors.");
            w.Line("private readonly global::NetGen.AlignedBuffer _sampleBuffer = new global::NetGen.AlignedBuffer(" + Int(layout.SampleBufferLength) + ");");
        }

        /// <summary>
        /// Writes a property that returns a writable view of the parameters. In a network with packed
        /// sample weights the getter also marks them stale, since the caller may write through the view.
        /// </summary>
        private static void EmitParameterView(SourceWriter w, NetworkLayout layout, string declaration, string view)
        {
            w.Line(layout.HasPackedSample
                ? declaration + " { get { _packedWeightsStale = true; return " + view + "; } }"
                : declaration + " => " + view + ";");
        }

        /// <summary>
        /// Writes the packed single-sample forward pass: each dense layer runs on the
        /// packed-weight sample kernel with its activation in registers, and dropout is the
        /// identity in inference. Also writes the method that rebuilds the packed weights and the
        /// public method that marks them stale.
        /// </summary>
        private static void EmitSampleForward(SourceWriter w, NetworkLayout layout)
        {
            w.Line("/// <summary>");
            w.Line("/// Tells the network that its parameters changed through a span obtained before the last");
            w.Line("/// <see cref=\"Forward(global::System.ReadOnlySpan{float}, global::System.Span{float})\"/> or <see cref=\"Predict\"/> call.");
            w.Line("/// </summary>");
            w.Line("/// <remarks>");
            w.Line("/// Single-sample calls read a packed copy of the weights. Reading <see cref=\"Parameters\"/> or a");
            w.Line("/// layer's Weight or Bias property, training and loading all mark that copy stale, and the next");
            if (layout.IsSmall)
            {
                w.Line("/// call rebuilds it. Only a span kept across a single-sample call and written after it goes");
            }
            else
            {
                w.Line("/// call reads the row-major weights instead; the call after it rebuilds the copy unless the");
                w.Line("/// parameters were marked stale again. Only a span kept across a single-sample call and written after it goes");
            }

            w.Line("/// unnoticed: call this method after such writes.");
            w.Line("/// </remarks>");
            w.Line("public void NotifyParametersChanged() => _packedWeightsStale = true;");
            w.Line();

            w.Line("// Rebuilds _packedWeights from the parameters, without marking them stale again.");
            w.Open("private void PackWeights()");
            foreach (LayerLayout layer in layout.DenseLayers)
            {
                string n = layer.Name;
                w.Line(Kernels + "SampleKernels.Pack(new " + ReadOnlySpanType + "(_parameters, " + n + "WeightOffset, " + n + "Outputs * " + n + "Inputs), " +
                       "new " + ReadOnlySpanType + "(_parameters, " + n + "BiasOffset, " + n + "Outputs), " +
                       "_packedWeights.Span.Slice(" + n + "PackedOffset, " + Int(PackedLength(layer)) + "), " + n + "Inputs, " + n + "Outputs);");
            }

            w.Line("_packedWeightsStale = false;");
            if (!layout.IsSmall)
            {
                w.Line("_packedWeightsReady = true;");
            }

            w.Close();
            w.Line();

            if (!layout.IsSmall)
            {
                w.Line("// Returns whether this single-sample call may read the packed weights, packing them first if");
                w.Line("// the parameters have not been marked stale since the last call. Stale parameters may change");
                w.Line("// again before the next call, as in a training loop, so this call reads the row-major weights.");
                w.Open("private bool UsePackedWeights()");
                w.Open("if (_packedWeightsStale)");
                w.Line("_packedWeightsStale = false;");
                w.Line("_packedWeightsReady = false;");
                w.Line("return false;");
                w.Close();
                w.Line();
                w.Open("if (!_packedWeightsReady)");
                w.Line("PackWeights();");
                w.Close();
                w.Line();
                w.Line("return true;");
                w.Close();
                w.Line();
            }

            w.Line("// Single-sample forward pass on the packed weights, in inference mode. Every layer's outputs");
            w.Line("// sit in _sampleBuffer, and the kernels read only the first Inputs values of a layer's input.");
            w.Line("// Not inlined, so the JIT spends its inlining budget on the kernels here rather than on the caller.");
            w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.NoInlining | global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]");
            w.Open("private ref float RunSampleForward(" + ReadOnlySpanType + " input)");
            if (layout.IsSmall)
            {
                w.Open("if (_packedWeightsStale)");
                w.Line("PackWeights();");
                w.Close();
                w.Line();
            }

            w.Line("ref float p = ref " + Marshal + ".GetReference(_packedWeights.Span);");
            w.Line("ref float s = ref " + Marshal + ".GetReference(_sampleBuffer.Span);");
            w.Line("ref float x = ref " + Marshal + ".GetReference(input);");

            string input = "x";
            foreach (LayerLayout layer in layout.Layers)
            {
                if (!layer.IsDense)
                {
                    w.Line("// " + layer.Name + " passes values through in inference.");
                    continue;
                }

                string n = layer.Name;
                string output = "a" + Int(layer.Number);
                string activation = SampleActivation(layer.Activation) ?? "Identity";
                w.Line();
                w.Line("// Layer " + Int(layer.Number) + ": " + n + ", " + Int(layer.Inputs) + " → " + Int(layer.Outputs) + ", " + ActivationText(layer) +
                       "; " + input + "[" + Int(layer.Inputs) + "] → " + output + "[" + Int(layer.Outputs) + "]");
                w.Line("ref float " + output + " = ref " + Unsafe + ".Add(ref s, " + Int(layer.SampleOffset) + ");");
                w.Line(Kernels + "SampleKernels.Forward<" + Kernels + "SampleActivations." + activation + ">(ref " + Unsafe + ".Add(ref p, " + n + "PackedOffset), ref " +
                       input + ", ref " + output + ", " + n + "Inputs, " + n + "Outputs);");
                if (SampleActivation(layer.Activation) is null && layer.Activation != Activation.Identity)
                {
                    string span = "_sampleBuffer.Span.Slice(" + Int(layer.SampleOffset) + ", " + n + "Outputs)";
                    w.Line("// " + layer.Activation + " has no in-register form; it runs over the outputs afterwards.");
                    w.Line(ActivationCall(layer, span, span)!.Replace("batch, ", "1, "));
                }

                input = output;
            }

            w.Line();
            w.Line("return ref " + input + ";");
            w.Close();
            w.Line();
        }

        /// <summary>Floats of one dense layer in the packed weights; the same count as <c>SampleKernels.PackedLength</c>.</summary>
        private static int PackedLength(LayerLayout layer) => (layer.Inputs + 1) * NetworkLayout.RoundUp(layer.Outputs);

        /// <summary>Name of the in-register activation of <c>SampleKernels</c>, or null when it has none.</summary>
        private static string? SampleActivation(Activation activation) => activation switch
        {
            Activation.Identity => "Identity",
            Activation.Relu => "Relu",
            Activation.Tanh => "Tanh",
            Activation.Sigmoid => "Sigmoid",
            _ => null,
        };
    }
}
