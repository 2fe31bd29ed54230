using System.Collections.Generic;
using NetGen.Generator.Model;
using static NetGen.Generator.Emit.SourceWriter;

namespace NetGen.Generator.Emit
{
    // The int8 inference path of a network declared with [Network(Int8 = true)]: a nested class
    // Quantized with every size a constant. Static quantization keeps activations as uint8
    // between int8 layers. It requantizes each layer's int32 accumulators straight into the next
    // layer's input, with ReLU fused as a clamp. Dynamic quantization keeps fp32 activations and
    // quantizes each layer's input with the range of that call.
    //
    // A layer kind without an int8 kernel runs in float, with an Info diagnostic (NETGEN0301).
    // The design: the quantized model keeps a copy of the float network's parameters and batch-norm
    // running statistics. Its workspace contains an fp32 arena laid out as the float network's
    // (same offsets) and the convolution scratch. A float layer then makes the kernel call that the
    // float forward pass makes in inference mode, on those copies. An int8 dense layer quantizes
    // fp32 input and writes fp32 output. It requantizes straight into uint8 only when the next
    // layer that computes anything is also an int8 dense layer, with at most dropout and flatten
    // between, and its own activation is ReLU or the identity. A residual start needs no copy,
    // because every layer writes its own arena block, so the fp32 tensor at the start is still
    // there when the residual end adds it.
    internal static partial class NetworkEmitter
    {
        private const string QuantizationNamespace = "global::NetGen.Quantization.";
        private const string QuantizedDenseType = QuantizationNamespace + "QuantizedDense";
        private const string QuantizedWorkspaceType = QuantizationNamespace + "QuantizedWorkspace";
        private const string QuantizedDataType = QuantizationNamespace + "QuantizedNetworkData";

        /// <summary>Samples per float forward pass while calibrating, which bounds the calibration workspace.</summary>
        private const int CalibrationBatchSize = 256;

        /// <summary>
        /// Returns whether the quantized path runs a layer of <paramref name="kind"/> in float because
        /// the kind has no int8 kernel; the generator reports each such layer with NETGEN0301. Dense
        /// runs in int8, and dropout, flatten and residual start compute nothing at inference.
        /// </summary>
        public static bool RunsInFloat(LayerKind kind) => kind switch
        {
            LayerKind.Dense => false,
            LayerKind.Dropout => false,
            LayerKind.Flatten => false,
            LayerKind.ResidualStart => false,
            _ => true,
        };

        /// <summary>Returns whether a layer of <paramref name="kind"/> passes any value on unchanged at inference, uint8 included.</summary>
        private static bool PassesThrough(LayerKind kind) => kind is LayerKind.Dropout or LayerKind.Flatten;

        private static void EmitQuantized(SourceWriter w, NetworkLayout layout)
        {
            if (!layout.Spec.Int8)
            {
                return;
            }

            var plan = new QuantizedPlan(layout);
            w.Line();
            EmitQuantizedRemarks(w, plan);
            w.Open("public sealed class Quantized");
            EmitQuantizedConstants(w, plan);
            EmitQuantizedConstruction(w, plan);
            EmitQuantizedFactories(w, plan);
            EmitQuantizedForward(w, plan);
            EmitQuantizedRun(w, plan, dynamic: false);
            EmitQuantizedRun(w, plan, dynamic: true);
            EmitQuantizedFiles(w, plan);
            w.Close();
        }

        private static void EmitQuantizedRemarks(SourceWriter w, QuantizedPlan plan)
        {
            w.Line("/// <summary>");
            w.Line("/// The int8 inference path of <see cref=\"" + plan.Layout.Spec.ClassName + "\"/>: per-channel symmetric int8 weights,");
            w.Line("/// uint8 activations with one scale per tensor, int32 accumulators. Create it from a trained");
            w.Line("/// network with <see cref=\"Calibrate\"/> (static) or <see cref=\"CreateDynamic\"/>, or load it with <see cref=\"FromFile\"/>.");
            w.Line("/// </summary>");
            w.Line("/// <remarks>");
            w.Line("/// <list type=\"table\">");
            w.Line("/// <listheader><term>Layer</term><description>How the quantized path runs it</description></listheader>");
            foreach (LayerLayout layer in plan.Layout.Layers)
            {
                string how = layer.Kind switch
                {
                    LayerKind.Dense => "int8 " + Int(layer.Inputs) + " → " + Int(layer.Outputs) + ", " + ActivationText(layer),
                    LayerKind.Dropout => "identity, as at inference",
                    LayerKind.Flatten => "reshape only: nothing moves",
                    LayerKind.ResidualStart => "marks the fp32 tensor that the residual end adds",
                    LayerKind.BatchNorm => "fp32 with the running statistics, as the float network at inference: no int8 kernel (NETGEN0301)",
                    _ => "fp32, as the float network at inference: no int8 kernel (NETGEN0301)",
                };
                w.Line("/// <item><term>" + layer.Name + "</term><description>" + how + "</description></item>");
            }

            w.Line("/// </list>");
            w.Line("/// </remarks>");
        }

        private static void EmitQuantizedConstants(SourceWriter w, QuantizedPlan plan)
        {
            NetworkLayout layout = plan.Layout;
            w.Line("/// <summary>Number of input features of one sample.</summary>");
            w.Line("public const int InputSize = " + Int(layout.Spec.InputSize) + ";");
            w.Line();
            w.Line("/// <summary>Number of outputs of one sample.</summary>");
            w.Line("public const int OutputSize = " + Int(layout.Output.Outputs) + ";");
            w.Line();
            w.Line("/// <summary>Number of layers that run in int8 with their own weights.</summary>");
            w.Line("public const int Int8LayerCount = " + Int(plan.Int8Layers.Count) + ";");
            w.Line();
            w.Line("// Bytes of each int8 layer's quantized input within one sample's block, and the accumulator");
            w.Line("// row that the int8 layers share, one after another.");
            int offset = 0;
            int widest = 0;
            foreach (LayerLayout layer in plan.Int8Layers)
            {
                w.Line("private const int " + layer.Name + "QuantizedInputOffset = " + Int(offset) + ";");
                offset += layer.Inputs;
                widest = System.Math.Max(widest, layer.Outputs);
            }

            w.Line("private const int BytesPerSample = " + Int(offset) + ";");
            w.Line("private const int AccumulatorsPerSample = " + Int(widest) + ";");
            w.Line("private const int CalibrationBatchSize = " + Int(CalibrationBatchSize) + ";");
            w.Line();
            if (plan.HasFloatLayers)
            {
                w.Line("// The float layers' state: every fp32 parameter, then every batch norm's running mean and variance.");
                w.Line("private const int FloatStateLength = ParameterCount + " + Int(layout.BufferCount) + ";");
                w.Line();
            }

            var numbers = new List<string>();
            var names = new List<string>();
            foreach (LayerLayout layer in plan.Int8Layers)
            {
                numbers.Add(Int(layer.Number));
                names.Add("\"" + layer.Name + "\"");
            }

            w.Line("// 1-based position of each int8 layer among all layers, as files record it.");
            w.Line("private static readonly int[] Int8LayerNumbers = { " + string.Join(", ", numbers) + " };");
            w.Line();
            w.Line("// The name of each int8 layer, for error messages.");
            w.Line("private static readonly string[] Int8LayerNames = { " + string.Join(", ", names) + " };");
            w.Line();
        }

        private static void EmitQuantizedConstruction(SourceWriter w, QuantizedPlan plan)
        {
            w.Line("private " + QuantizationNamespace + "QuantizationMode _mode;");
            foreach (LayerLayout layer in plan.Int8Layers)
            {
                w.Line("private " + QuantizedDenseType + " " + Field(layer) + " = null!;");
            }

            w.Line();
            w.Line("// A copy of the float network's parameters and then its buffers (batch-norm running statistics),");
            w.Line("// kept only when a layer runs in float; the float layers read it at the float network's offsets.");
            w.Line("private float[] _floatState = global::System.Array.Empty<float>();");
            w.Line();
            w.Line("// Buffers for single-sample Forward and Predict, so those calls allocate nothing.");
            w.Line("private readonly " + QuantizedWorkspaceType + " _sampleWorkspace;");
            w.Line();
            w.Line("// 1 while a single-sample call uses _sampleWorkspace; see GeneratedCode.EnterExclusive.");
            w.Line("private int _sampleCallInProgress;");
            w.Line();
            w.Open("private Quantized(" + QuantizedDataType + " data, string source)");
            w.Line("_sampleWorkspace = CreateWorkspace(1);");
            w.Line("Install(data, source);");
            w.Close();
            w.Line();

            w.Line("/// <summary>Static or dynamic quantization.</summary>");
            w.Line("public " + QuantizationNamespace + "QuantizationMode Mode => _mode;");
            w.Line();
            foreach (LayerLayout layer in plan.Int8Layers)
            {
                w.Line("/// <summary>The int8 form of " + layer.Name + ": weights, int32 bias and input quantization.</summary>");
                w.Line("public " + QuantizedDenseType + " " + layer.Name + " => " + Field(layer) + ";");
                w.Line();
            }

            w.Line("/// <summary>Allocates buffers for batches of up to <paramref name=\"maxBatchSize\"/> samples; create one per thread, once.</summary>");
            w.Line("public " + QuantizedWorkspaceType + " CreateWorkspace(int maxBatchSize) =>");
            w.Line("    new " + QuantizedWorkspaceType + "(ArchitectureText, maxBatchSize, BytesPerSample, AccumulatorsPerSample, ActivationsPerSample, " +
                   (plan.Layout.HasConvolution ? "ScratchLength" : "0") + ");");
            w.Line();

            w.Line("// Checks every layer's place and shape, then replaces all parameters at once, so a");
            w.Line("// failed check leaves this instance as it was.");
            w.Open("private void Install(" + QuantizedDataType + " data, string source)");
            w.Open("if (data.Layers.Count != Int8LayerCount)");
            w.Line("throw new global::System.IO.InvalidDataException(source + \" holds \" + data.Layers.Count + \" int8 layers, but this network has \" + Int8LayerCount + \". The file was saved from a different quantized network.\");");
            w.Close();
            w.Line();
            int index = 0;
            foreach (LayerLayout layer in plan.Int8Layers)
            {
                w.Line("data.RequireLayer(" + Int(index++) + ", " + Int(layer.Number) + ", " + layer.Name + "Outputs, " + layer.Name + "Inputs, \"" + layer.Name + "\", source);");
            }

            string floatCount = plan.HasFloatLayers ? "FloatStateLength" : "0";
            w.Open("if (data.FloatParameters.Length != " + floatCount + ")");
            w.Line("throw new global::System.IO.InvalidDataException(source + \" contains \" + data.FloatParameters.Length + \" fp32 values for the float layers, but this network needs " +
                   (plan.HasFloatLayers ? "\" + FloatStateLength + \"" : "0") + ". The file was saved from a different quantized network.\");");
            w.Close();
            w.Line();
            var assignments = new List<string> { "_mode = data.Mode;" };
            index = 0;
            foreach (LayerLayout layer in plan.Int8Layers)
            {
                assignments.Add(Field(layer) + " = data.Layers[" + Int(index++) + "];");
            }

            assignments.Add("_floatState = data.FloatParameters;");

            // A single-sample call running on another thread would read old and new layers mixed.
            EmitExclusive(w, plan.Layout.Spec.ClassName + ".Quantized", assignments.ToArray());
            w.Close();
            w.Line();
        }

        private static void EmitQuantizedFactories(SourceWriter w, QuantizedPlan plan)
        {
            string network = plan.Layout.Spec.ClassName;
            string observerType = QuantizationNamespace + "QuantizationObserver";
            string rangeType = QuantizationNamespace + "QuantizedRange";

            w.Line("/// <summary>");
            w.Line("/// Quantizes a trained network statically: runs it in fp32 over <paramref name=\"calibrationInputs\"/>,");
            w.Line("/// lets one observer per int8 layer choose that layer's input scale and zero point, and quantizes");
            w.Line("/// the weights per output channel (symmetric int8) and the biases to int32.");
            w.Line("/// </summary>");
            w.Line("/// <param name=\"network\">The trained float network; it is read, not changed.</param>");
            w.Line("/// <param name=\"calibrationInputs\">Representative samples, batch × <see cref=\"InputSize\"/> values, for example a few thousand training images.</param>");
            w.Line("/// <param name=\"createObserver\">Creates one observer per int8 layer; null selects <see cref=\"global::NetGen.Quantization.MinMaxObserver\"/>.</param>");
            w.Line("/// <param name=\"activationRange\">UInt8, or UInt7 for the AVX2 kernel that needs activations below 128 at one bit less precision.</param>");
            w.Line("/// <exception cref=\"global::System.ArgumentException\">The inputs are not a whole, non-empty batch, contain NaN or infinity, or the range is signed.</exception>");
            w.Open("public static Quantized Calibrate(" + network + " network, " + ReadOnlySpanType + " calibrationInputs, global::System.Func<" + observerType + ">? createObserver = null, " +
                   rangeType + " activationRange = " + rangeType + ".UInt8)");
            w.Line("global::System.ArgumentNullException.ThrowIfNull(network);");
            EmitParameterChecks(w, plan.Layout);
            w.Open("if (activationRange != " + rangeType + ".UInt8 && activationRange != " + rangeType + ".UInt7)");
            w.Line("throw new global::System.ArgumentOutOfRangeException(\"activationRange\", activationRange, \"Quantized activations must be unsigned: pass QuantizedRange.UInt8 or QuantizedRange.UInt7.\");");
            w.Close();
            w.Line();
            w.Open("if (calibrationInputs.Length == 0 || calibrationInputs.Length % InputSize != 0)");
            w.Line("throw new global::System.ArgumentException(\"'calibrationInputs' has \" + calibrationInputs.Length + \" values, which is not a whole, non-empty batch of samples with \" + InputSize + \" inputs each; pass batch × \" + InputSize + \" values.\", \"calibrationInputs\");");
            w.Close();
            w.Line();
            w.Line("int samples = calibrationInputs.Length / InputSize;");
            w.Line(observerType + "[] observers = new " + observerType + "[Int8LayerCount];");
            w.Open("for (int i = 0; i < observers.Length; i++)");
            w.Line("observers[i] = createObserver is null ? new " + QuantizationNamespace + "MinMaxObserver() : createObserver() ?? throw new global::System.InvalidOperationException(\"createObserver returned null; return a new observer on every call.\");");
            w.Line(QuantizationNamespace + "GeneratedQuantization.CheckNewObserver(observers, i, Int8LayerNames);");
            w.Close();
            w.Line();
            w.Line("// Each int8 layer's observer sees the fp32 values that flow into that layer.");
            w.Line(WorkspaceType + " workspace = network.CreateWorkspace(global::System.Math.Min(CalibrationBatchSize, samples));");
            w.Open("for (int start = 0; start < samples; start += CalibrationBatchSize)");
            w.Line("int batch = global::System.Math.Min(CalibrationBatchSize, samples - start);");
            w.Line(ReadOnlySpanType + " x = calibrationInputs.Slice(start * InputSize, batch * InputSize);");
            w.Line("network.RunForward(x, workspace, batch, false);");
            w.Line(SpanType + " arena = workspace.Activations;");
            w.Line("int rows = workspace.MaxBatchSize;");
            for (int i = 0; i < plan.Int8Layers.Count; i++)
            {
                LayerLayout layer = plan.Int8Layers[i];
                LayerLayout? before = plan.Before(layer);
                string values = before is null ? "x" : "arena.Slice(" + before.Name + "ActivationOffset * rows, batch * " + before.Name + "Outputs)";
                w.Line(QuantizationNamespace + "GeneratedQuantization.Observe(observers[" + Int(i) + "], " + values + ", " + InputSource(layer, before is null, "\"calibrationInputs\"", "start") + ");");
            }

            w.Close();
            w.Line();
            w.Line(ReadOnlySpanType + " p = network.Parameters;");
            w.Line(QuantizedDenseType + "[] layers = new " + QuantizedDenseType + "[Int8LayerCount];");
            for (int i = 0; i < plan.Int8Layers.Count; i++)
            {
                string n = plan.Int8Layers[i].Name;
                w.Line("layers[" + Int(i) + "] = " + QuantizedDenseType + ".Quantize(" + WeightSlice("p", n) + ", " + BiasSlice("p", n) + ", " + n + "Outputs, " + n + "Inputs, observers[" + Int(i) + "].ComputeParameters(activationRange));");
                w.Line(QuantizationNamespace + "GeneratedQuantization.CheckStaticLayer(layers[" + Int(i) + "], \"" + n + "\");");
            }

            w.Line("return new Quantized(new " + QuantizedDataType + "(ArchitectureText, " + QuantizationNamespace + "QuantizationMode.Static, Int8LayerNumbers, layers, " + FloatStateCopy(plan) + "), \"Calibrate\");");
            w.Close();
            w.Line();

            w.Line("/// <summary>");
            w.Line("/// Quantizes a trained network dynamically: weights per output channel (symmetric int8) now,");
            w.Line("/// and each layer's input per call, with the scale and zero point from that call's minimum and");
            w.Line("/// maximum over the whole batch. No calibration data is needed.");
            w.Line("/// </summary>");
            w.Line("/// <param name=\"network\">The trained float network; it is read, not changed.</param>");
            w.Line("/// <exception cref=\"global::System.ArgumentException\">A weight or bias is NaN or infinite.</exception>");
            w.Open("public static Quantized CreateDynamic(" + network + " network)");
            w.Line("global::System.ArgumentNullException.ThrowIfNull(network);");
            EmitParameterChecks(w, plan.Layout);
            w.Line(ReadOnlySpanType + " p = network.Parameters;");
            w.Line("// Dynamic layers choose their input quantization per call; this one only fills the slot.");
            w.Line(QuantizationNamespace + "QuantizationParameters unused = new " + QuantizationNamespace + "QuantizationParameters(1f, 0, " + rangeType + ".UInt8);");
            w.Line(QuantizedDenseType + "[] layers = new " + QuantizedDenseType + "[Int8LayerCount];");
            for (int i = 0; i < plan.Int8Layers.Count; i++)
            {
                string n = plan.Int8Layers[i].Name;
                w.Line("layers[" + Int(i) + "] = " + QuantizedDenseType + ".Quantize(" + WeightSlice("p", n) + ", " + BiasSlice("p", n) + ", " + n + "Outputs, " + n + "Inputs, unused);");
            }

            w.Line("return new Quantized(new " + QuantizedDataType + "(ArchitectureText, " + QuantizationNamespace + "QuantizationMode.Dynamic, Int8LayerNumbers, layers, " + FloatStateCopy(plan) + "), \"CreateDynamic\");");
            w.Close();
            w.Line();

            w.Line("/// <summary>");
            w.Line("/// Rounds every int8 layer's weights inside a parameter buffer of <see cref=\"" + network + "\"/> to the values");
            w.Line("/// their int8 form will have, in place: quantization-aware training runs on these weights.");
            w.Line("/// </summary>");
            w.Line("/// <param name=\"parameters\">A buffer laid out as <see cref=\"" + network + ".Parameters\"/>.</param>");
            w.Open("public static void FakeQuantizeWeights(" + SpanType + " parameters)");
            w.Line(Support + ".CheckLength(parameters.Length, ParameterCount, \"parameters\");");
            foreach (LayerLayout layer in plan.Int8Layers)
            {
                string n = layer.Name;
                w.Line(QuantizationNamespace + "FakeQuantization.QuantizeWeightRows(parameters.Slice(" + n + "WeightOffset, " + n + "Outputs * " + n + "Inputs), " + n + "Outputs, " + n + "Inputs);");
            }

            w.Close();
            w.Line();
            if (!plan.HasFloatLayers)
            {
                return;
            }

            w.Line("// Copies what the float layers read, so later training of the float network leaves this model alone.");
            w.Open("private static float[] CopyFloatState(" + network + " network)");
            w.Line("float[] state = new float[FloatStateLength];");
            w.Line("network.Parameters.CopyTo(state);");
            if (plan.Layout.BufferCount > 0)
            {
                w.Line("network.Buffers.CopyTo(global::System.MemoryExtensions.AsSpan(state, ParameterCount));");
            }

            w.Line("return state;");
            w.Close();
            w.Line();
        }

        private static void EmitQuantizedForward(SourceWriter w, QuantizedPlan plan)
        {
            w.Line("/// <summary>");
            w.Line("/// Computes the outputs of one sample in int8 without allocating. It uses buffers owned by this");
            w.Line("/// instance, so a call that overlaps another on a second thread throws InvalidOperationException.");
            w.Line("/// </summary>");
            w.Line("/// <param name=\"input\">Exactly <see cref=\"InputSize\"/> finite values; NaN is rejected.</param>");
            w.Line("/// <param name=\"output\">Exactly <see cref=\"OutputSize\"/> values, overwritten.</param>");
            w.Open("public void Forward(" + ReadOnlySpanType + " input, " + SpanType + " output)");
            w.Line(Support + ".CheckLength(input.Length, InputSize, \"input\");");
            w.Line(Support + ".CheckLength(output.Length, OutputSize, \"output\");");
            EmitExclusive(w, plan.Layout.Spec.ClassName + ".Quantized", "Run(input, _sampleWorkspace, 1, \"input\").CopyTo(output);");
            w.Close();
            w.Line();

            w.Line("/// <summary>Returns the index of the largest output for one sample: the predicted class of a classifier.</summary>");
            w.Line("/// <param name=\"input\">Exactly <see cref=\"InputSize\"/> finite values.</param>");
            w.Open("public int Predict(" + ReadOnlySpanType + " input)");
            w.Line(Support + ".CheckLength(input.Length, InputSize, \"input\");");
            EmitExclusive(w, plan.Layout.Spec.ClassName + ".Quantized", "return " + Support + ".IndexOfMax(Run(input, _sampleWorkspace, 1, \"input\"));");
            w.Close();
            w.Line();

            w.Line("/// <summary>Computes the outputs of a batch in int8 without allocating.</summary>");
            w.Line("/// <param name=\"inputs\">batch × <see cref=\"InputSize\"/> finite values, sample after sample.</param>");
            w.Line("/// <param name=\"outputs\">batch × <see cref=\"OutputSize\"/> values, overwritten.</param>");
            w.Line("/// <param name=\"workspace\">Buffers from <see cref=\"CreateWorkspace\"/>.</param>");
            w.Open("public void Forward(" + ReadOnlySpanType + " inputs, " + SpanType + " outputs, " + QuantizedWorkspaceType + " workspace)");
            w.Line("global::System.ArgumentNullException.ThrowIfNull(workspace);");
            w.Line("int batch = workspace.CheckBatch(inputs.Length, InputSize, ArchitectureText, \"inputs\");");
            w.Line("workspace.CheckLayout(BytesPerSample, AccumulatorsPerSample, ActivationsPerSample, " + (plan.Layout.HasConvolution ? "ScratchLength" : "0") + ");");
            w.Line(Support + ".CheckBatchLength(outputs.Length, batch, OutputSize, \"outputs\", \"'inputs'\");");
            w.Line("Run(inputs, workspace, batch, \"inputs\").CopyTo(outputs);");
            w.Close();
            w.Line();

            w.Line("// Runs a checked batch and returns its outputs, which live in the workspace. inputName names x in error messages.");
            w.Line("private " + ReadOnlySpanType + " Run(" + ReadOnlySpanType + " x, " + QuantizedWorkspaceType + " workspace, int batch, string inputName) =>");
            w.Line("    _mode == " + QuantizationNamespace + "QuantizationMode.Static ? RunStatic(x, workspace, batch, inputName) : RunDynamic(x, workspace, batch, inputName);");
            w.Line();
        }

        /// <summary>
        /// Emits a check of every parameter and batch-norm statistic for NaN and infinity, so that a
        /// diverged network fails where it is quantized, with the layer named, rather than at a Forward.
        /// </summary>
        private static void EmitParameterChecks(SourceWriter w, NetworkLayout layout)
        {
            foreach (LayerLayout layer in layout.Layers)
            {
                var views = new List<string>();
                if (layer.WeightCount > 0 && (layer.HasWeights || layer.Kind is LayerKind.BatchNorm or LayerKind.LayerNorm))
                {
                    views.Add("Weight");
                }

                if (layer.BiasCount > 0)
                {
                    views.Add("Bias");
                }

                if (layer.Kind == LayerKind.BatchNorm)
                {
                    views.Add("RunningMean");
                    views.Add("RunningVar");
                }

                foreach (string view in views)
                {
                    w.Line(QuantizationNamespace + "GeneratedQuantization.CheckFinite(network." + layer.Name + view + ", \"" + layer.Name + "\", \"" + view + "\");");
                }
            }
        }

        /// <summary>
        /// Emits <paramref name="statements"/> between GeneratedCode.EnterExclusive and ExitExclusive on
        /// the instance's _sampleCallInProgress flag, so that a call overlapping another one throws.
        /// </summary>
        internal static void EmitExclusive(SourceWriter w, string owner, params string[] statements)
        {
            w.Line(Support + ".EnterExclusive(ref _sampleCallInProgress, \"" + owner + "\");");
            w.Open("try");
            foreach (string statement in statements)
            {
                w.Line(statement);
            }

            w.Close();
            w.Open("finally");
            w.Line(Support + ".ExitExclusive(ref _sampleCallInProgress);");
            w.Close();
        }

        /// <summary>Returns a new LayerInputSource for the int8 layer's error messages; argumentName and firstSample are C# expressions.</summary>
        private static string InputSource(LayerLayout layer, bool isNetworkInput, string argumentName, string firstSample = "0") =>
            "new " + QuantizationNamespace + "LayerInputSource(\"" + layer.Name + "\", " + layer.Name + "Inputs, " + Bool(isNetworkInput) + ", " + argumentName + ", " + firstSample + ")";

        private static void EmitQuantizedRun(SourceWriter w, QuantizedPlan plan, bool dynamic)
        {
            NetworkLayout layout = plan.Layout;
            w.Line(dynamic
                ? "// Dynamic quantization: fp32 between layers; each int8 layer quantizes its input with this call's range."
                : "// Static quantization: uint8 between int8 layers, requantized with the calibrated scales.");
            w.Open("private " + ReadOnlySpanType + " " + (dynamic ? "RunDynamic" : "RunStatic") + "(" + ReadOnlySpanType + " x, " + QuantizedWorkspaceType + " workspace, int batch, string inputName)");
            w.Line(SpanType + " arena = workspace.Floats;");
            w.Line("global::System.Span<byte> bytes = workspace.Bytes;");
            w.Line("int rows = workspace.MaxBatchSize;");
            if (plan.HasFloatLayers)
            {
                w.Line(ReadOnlySpanType + " p = new " + ReadOnlySpanType + "(_floatState, 0, ParameterCount);");
            }

            if (layout.BufferCount > 0)
            {
                w.Line(ReadOnlySpanType + " buffers = new " + ReadOnlySpanType + "(_floatState, ParameterCount, " + Int(layout.BufferCount) + ");");
            }

            if (layout.HasConvolution)
            {
                w.Line(SpanType + " scratch = workspace.Scratch;");
            }

            // The value flowing between layers: an fp32 span, or the uint8 input of the next int8 layer.
            string current = "x";
            bool currentIsBytes = false;

            // The fp32 tensor each residual start marks, by the start's index, for its residual end.
            var skips = new Dictionary<int, string>();
            for (int index = 0; index < layout.Layers.Count; index++)
            {
                LayerLayout layer = layout.Layers[index];
                w.Line();
                string output = "a" + Int(layer.Number);
                if (PassesThrough(layer.Kind))
                {
                    w.Line("// Layer " + Int(layer.Number) + ": " + layer.Name + (layer.Kind == LayerKind.Dropout ? " is the identity at inference." : " only reshapes: nothing moves."));
                    continue;
                }

                if (layer.Kind == LayerKind.ResidualStart)
                {
                    w.Line("// Layer " + Int(layer.Number) + ": " + layer.Name + " keeps " + current + " for " + layout.ResidualEndOf(layer).Name + "; nothing moves.");
                    skips[index] = current;
                    continue;
                }

                if (RunsInFloat(layer.Kind))
                {
                    w.Line("// " + layer.Name + " has no int8 kernel, so it runs in float (NETGEN0301).");
                    EmitFloatLayer(w, layout, layer, current, output, skips);
                    current = output;
                    continue;
                }

                string n = layer.Name;
                string quantized = "q" + Int(layer.Number);
                string accumulators = "workspace.Accumulators.Slice(0, batch * " + n + "Outputs)";
                bool relu = layer.Activation == Activation.Relu;
                w.Line("// Layer " + Int(layer.Number) + ": " + n + ", int8 " + Int(layer.Inputs) + " → " + Int(layer.Outputs) + ", " + ActivationText(layer) +
                       "; " + current + "[B, " + Int(layer.Inputs) + "] → " + (dynamic ? output + "[B, " + Int(layer.Outputs) + "]" : "int32 accumulators"));
                if (!currentIsBytes)
                {
                    w.Line("global::System.Span<byte> " + quantized + " = bytes.Slice(" + n + "QuantizedInputOffset * rows, batch * " + n + "Inputs);");
                }

                if (dynamic)
                {
                    w.Line(SpanType + " " + output + " = arena.Slice(" + n + "ActivationOffset * rows, batch * " + n + "Outputs);");
                    w.Line(QuantizationNamespace + "GeneratedQuantization.ForwardDynamic(" + Field(layer) + ", " + current + ", " + quantized + ", " + accumulators + ", " + Bool(relu) + ", " + output + ", batch, " + InputSource(layer, current == "x", "inputName") + ");");
                    EmitFloatActivation(w, layer, output, relu);
                    current = output;
                    continue;
                }

                if (!currentIsBytes)
                {
                    w.Line(QuantizationNamespace + "GeneratedQuantization.Quantize(" + current + ", " + Field(layer) + ".Input, " + quantized + ", " + InputSource(layer, current == "x", "inputName") + ");");
                }

                LayerLayout? next = plan.NextInt8Input(layer);
                if (next is not null && (relu || layer.Activation == Activation.Identity))
                {
                    string nextQuantized = "q" + Int(next.Number);
                    w.Line("// Requantized straight into " + next.Name + "'s input" + (relu ? ", with ReLU as a clamp at the zero point." : "."));
                    w.Line("global::System.Span<byte> " + nextQuantized + " = bytes.Slice(" + next.Name + "QuantizedInputOffset * rows, batch * " + next.Name + "Inputs);");
                    w.Line(Field(layer) + ".Forward(" + quantized + ", " + accumulators + ", " + Field(next) + ".Input, " + Bool(relu) + ", " + nextQuantized + ", batch);");
                    current = nextQuantized;
                    currentIsBytes = true;
                    continue;
                }

                w.Line(SpanType + " " + output + " = arena.Slice(" + n + "ActivationOffset * rows, batch * " + n + "Outputs);");
                w.Line(Field(layer) + ".ForwardToFloat(" + quantized + ", " + accumulators + ", " + Bool(relu) + ", " + output + ", batch);");
                EmitFloatActivation(w, layer, output, relu);
                current = output;
                currentIsBytes = false;
            }

            w.Line();
            w.Line("return " + current + ";");
            w.Close();
            w.Line();
        }

        private static void EmitFloatActivation(SourceWriter w, LayerLayout layer, string output, bool fused)
        {
            string? call = fused ? null : ActivationCall(layer, output, output);
            if (call is not null)
            {
                w.Line("// " + layer.Activation + " has no int8 form, so it runs on the fp32 outputs.");
                w.Line(call);
            }
        }

        /// <summary>
        /// Emits a layer that has no int8 kernel as the float network's forward step in inference
        /// mode. It reads fp32 parameters from <c>p</c> and running statistics from <c>buffers</c>, both
        /// copies of the float network's, and writes into the fp32 arena at the float network's
        /// offsets. The caller guarantees that <paramref name="input"/> is an fp32 span: an int8 layer
        /// before a float layer always dequantizes its output.
        /// </summary>
        private static void EmitFloatLayer(SourceWriter w, NetworkLayout layout, LayerLayout layer, string input, string output, Dictionary<int, string> skips)
        {
            string n = layer.Name;
            switch (layer.Kind)
            {
                case LayerKind.BatchNorm:
                    // The float pass branches on training mode and may update the running
                    // statistics; the quantized path only ever runs the inference branch.
                    string c = Int(layer.InputShape.Channels);
                    w.Line("// Layer " + Int(layer.Number) + ": " + n + ", " + OperationText(layer) + ", with the running statistics; " +
                           input + ShapeText(layer.InputShape) + " → " + output + ShapeText(layer.OutputShape));
                    w.Line(SpanType + " " + output + " = arena.Slice(" + n + "ActivationOffset * rows, batch * " + n + "Outputs);");
                    w.Line(Kernels + "NormKernels.BatchNormEvalForward(" + input + ", " + Weights("p", layer) + ", " + Biases("p", layer) + ", buffers.Slice(" + Int(layer.BufferOffset) + ", " + c +
                           "), buffers.Slice(" + Int(layer.BufferOffset + layer.InputShape.Channels) + ", " + c + "), " + output + ", batch, " + c + ", " + Int(layer.InputShape.Spatial) + ", " +
                           Float(layer.Spec.Epsilon) + ");");
                    EmitInPlaceActivation(w, layer, output);
                    break;
                case LayerKind.ResidualEnd:
                    // The skip is the tensor current at the residual start, which may differ from
                    // the float pass's name for it: a dropout there owns a block only in the float pass.
                    string skip = skips[layer.SkipIndex];
                    w.Line("// Layer " + Int(layer.Number) + ": " + n + ", " + OperationText(layer) + "; " + input + " + " + skip + ShapeText(layer.InputShape) + " → " + output + ShapeText(layer.OutputShape));
                    w.Line(SpanType + " " + output + " = arena.Slice(" + n + "ActivationOffset * rows, batch * " + n + "Outputs);");
                    w.Line(TensorPrimitives + ".Add(" + input + ", " + skip + ", " + output + ");");
                    EmitInPlaceActivation(w, layer, output);
                    break;
                default:
                    // Convolution, pooling and layer norm: the float pass's own block, which in
                    // inference reads only p, the arena and the convolution scratch.
                    EmitLayerForward(w, layout, layer, input, output);
                    break;
            }
        }

        private static void EmitInPlaceActivation(SourceWriter w, LayerLayout layer, string output)
        {
            string? call = ActivationCall(layer, output, output);
            if (call is not null)
            {
                w.Line(call);
            }
        }

        private static void EmitQuantizedFiles(SourceWriter w, QuantizedPlan plan)
        {
            var fields = new List<string>();
            foreach (LayerLayout layer in plan.Int8Layers)
            {
                fields.Add(Field(layer));
            }

            string file = QuantizationNamespace + "QuantizedNetworkFile";
            w.Line("// The parameters as the file format stores them.");
            w.Line("private " + QuantizedDataType + " ToData() =>");
            w.Line("    new " + QuantizedDataType + "(ArchitectureText, _mode, Int8LayerNumbers, new[] { " + string.Join(", ", fields) + " }, _floatState);");
            w.Line();
            w.Line("/// <summary>Saves the quantized parameters (int8 weights, scales, zero points, int32 biases) to <paramref name=\"path\"/>; see QuantizedNetworkFile for the format.</summary>");
            w.Line("public void Save(string path) => " + file + ".Save(ToData(), path);");
            w.Line();
            w.Line("/// <summary>Writes the quantized parameters to <paramref name=\"stream\"/> at its current position.</summary>");
            w.Line("public void Save(global::System.IO.Stream stream) => " + file + ".Save(ToData(), stream);");
            w.Line();
            w.Line("/// <summary>Replaces this instance's parameters with those saved at <paramref name=\"path\"/>. On any error nothing changes.</summary>");
            w.Line("/// <exception cref=\"global::System.IO.FileNotFoundException\">No file exists at <paramref name=\"path\"/>.</exception>");
            w.Line("/// <exception cref=\"global::System.IO.InvalidDataException\">The file is damaged or was saved from another network.</exception>");
            w.Line("public void Load(string path) => Install(" + file + ".Load(path, ArchitectureText), \"Quantized network file '\" + path + \"'\");");
            w.Line();
            w.Line("/// <summary>Replaces this instance's parameters with those read from <paramref name=\"stream\"/> to its end. On any error nothing changes.</summary>");
            w.Line("/// <exception cref=\"global::System.IO.InvalidDataException\">The data is damaged or was saved from another network.</exception>");
            w.Line("public void Load(global::System.IO.Stream stream) => Install(" + file + ".Load(stream, ArchitectureText), \"The quantized network stream\");");
            w.Line();
            w.Line("/// <summary>Creates a quantized network from the file at <paramref name=\"path\"/>.</summary>");
            w.Line("/// <exception cref=\"global::System.IO.FileNotFoundException\">No file exists at <paramref name=\"path\"/>.</exception>");
            w.Line("/// <exception cref=\"global::System.IO.InvalidDataException\">The file is damaged or was saved from another network.</exception>");
            w.Line("public static Quantized FromFile(string path) => new Quantized(" + file + ".Load(path, ArchitectureText), \"Quantized network file '\" + path + \"'\");");
        }

        private static string FloatStateCopy(QuantizedPlan plan) =>
            plan.HasFloatLayers ? "CopyFloatState(network)" : "global::System.Array.Empty<float>()";

        private static string Field(LayerLayout layer) => "_" + char.ToLowerInvariant(layer.Name[0]) + layer.Name.Substring(1);

        private static string Bool(bool value) => value ? "true" : "false";

        /// <summary>Which layers run in int8, and what feeds each one.</summary>
        private sealed class QuantizedPlan
        {
            public QuantizedPlan(NetworkLayout layout)
            {
                Layout = layout;
                var int8 = new List<LayerLayout>();
                foreach (LayerLayout layer in layout.Layers)
                {
                    if (RunsInFloat(layer.Kind))
                    {
                        HasFloatLayers = true;
                    }
                    else if (layer.IsDense)
                    {
                        int8.Add(layer);
                    }
                }

                Int8Layers = int8;
            }

            public NetworkLayout Layout { get; }

            /// <summary>Dense layers, each with its own int8 weights, in order.</summary>
            public List<LayerLayout> Int8Layers { get; }

            /// <summary>True when some layer runs in float, so the fp32 parameters and buffers are kept.</summary>
            public bool HasFloatLayers { get; }

            /// <summary>The nearest layer before <paramref name="layer"/> that is not the identity, whose fp32 output feeds it; null for the network's input.</summary>
            public LayerLayout? Before(LayerLayout layer)
            {
                for (int i = layer.Number - 2; i >= 0; i--)
                {
                    LayerLayout candidate = Layout.Layers[i];
                    if (candidate.Kind != LayerKind.Dropout && !candidate.IsAlias)
                    {
                        return candidate;
                    }
                }

                return null;
            }

            /// <summary>The int8 layer that takes <paramref name="layer"/>'s output with only dropout or flatten between, or null.</summary>
            public LayerLayout? NextInt8Input(LayerLayout layer)
            {
                for (int i = layer.Number; i < Layout.Layers.Count; i++)
                {
                    LayerLayout candidate = Layout.Layers[i];
                    if (candidate.IsDense)
                    {
                        return candidate;
                    }

                    if (!PassesThrough(candidate.Kind))
                    {
                        return null;
                    }
                }

                return null;
            }
        }
    }
}
