using static NetGen.Generator.Emit.SourceWriter;

namespace NetGen.Generator.Emit
{
    internal static partial class NetworkEmitter
    {
        private const string Unsafe = "global::System.Runtime.CompilerServices.Unsafe";
        private const string Marshal = "global::System.Runtime.InteropServices.MemoryMarshal";

        /// <summary>
        /// Writes the single-sample forward pass of a small network: each dense layer runs on the
        /// register-blocked sample kernel with its activation in registers, on a buffer whose
        /// rows are padded with zeros to whole vectors. Dropout is the identity in inference.
        /// </summary>
        private static void EmitSampleForward(SourceWriter w, NetworkLayout layout)
        {
            w.Line("// Single-sample forward pass of this small network, in inference mode. The input copy and");
            w.Line("// every layer's outputs sit in _sampleBuffer, padded with zeros to whole 8-float vectors.");
            w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]");
            w.Open("private ref float RunSampleForward(" + ReadOnlySpanType + " input)");
            w.Line("ref float p = ref " + Marshal + ".GetArrayDataReference(_parameters);");
            w.Line("ref float s = ref " + Marshal + ".GetArrayDataReference(_sampleBuffer);");
            string input;
            if (layout.Spec.InputSize % 8 == 0)
            {
                w.Line("ref float x = ref " + Marshal + ".GetReference(input);");
            }
            else
            {
                w.Line("// The input is copied next to zero padding, because the kernel reads whole vectors.");
                w.Line("input.CopyTo(new " + SpanType + "(_sampleBuffer, 0, InputSize));");
                w.Line("ref float x = ref s;");
            }

            input = "x";
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
                w.Line(Kernels + "SampleKernels.Forward<" + Kernels + "SampleActivations." + activation + ">(ref " + Unsafe + ".Add(ref p, " + n + "WeightOffset), ref " +
                       Unsafe + ".Add(ref p, " + n + "BiasOffset), ref " + input + ", ref " + output + ", " + n + "Inputs, " + n + "Outputs);");
                if (SampleActivation(layer.Activation) is null && layer.Activation != Activation.Identity)
                {
                    string span = "new " + SpanType + "(_sampleBuffer, " + Int(layer.SampleOffset) + ", " + n + "Outputs)";
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
