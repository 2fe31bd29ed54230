using System;
using System.Collections.Generic;
using System.Globalization;
using Microsoft.CodeAnalysis;
using NetGen.Generator.Model;

namespace NetGen.Generator
{
    /// <summary>A rule that a declaration breaks, tied to the layer that breaks it.</summary>
    /// <param name="LayerIndex">0-based layer index, or one of the constants below.</param>
    internal sealed record ShapeProblem(int LayerIndex, DiagnosticDescriptor Descriptor, object[] Arguments)
    {
        public const int InputIndex = -1;
        public const int NetworkIndex = -2;
        public const int ClassIndex = -3;
    }

    /// <summary>
    /// Checks sizes, enum values, options and the loss against the layers. Pure: works on the
    /// spec only, so the same rules can be tested without a compilation.
    /// </summary>
    internal static class ShapeRules
    {
        /// <summary>Largest array length .NET allows (Array.MaxLength, which netstandard2.0 lacks).</summary>
        public const long MaxArrayLength = 0x7FFFFFC7;

        public static List<ShapeProblem> Check(NetworkSpec spec)
        {
            var problems = new List<ShapeProblem>();
            CheckLossValues(spec, problems);

            CheckInputShape(spec, problems);
            if (!HasWeights(spec))
            {
                problems.Add(new ShapeProblem(ShapeProblem.ClassIndex, DiagnosticDescriptors.NoLayers, new object[] { spec.ClassName }));
                return problems;
            }

            for (int i = 0; i < spec.Layers.Count; i++)
            {
                LayerRules.Check(spec.Layers[i], i, problems);
            }

            if (HasErrors(problems))
            {
                return problems;
            }

            TensorShape[]? shapes = ShapeInference.Infer(spec, problems);
            if (shapes is null || HasErrors(problems))
            {
                return problems;
            }

            CheckLossAgainstOutput(spec, shapes, problems);
            CheckTotalSize(spec, shapes, problems);
            CheckInt8Inputs(spec, shapes, problems);
            return problems;
        }

        /// <summary>
        /// The maximum input count of an int8 dense layer, as NetGen.Kernels.Int8Kernels.MaxInputs in
        /// the runtime: 255 · 127 · 65536 still fits in int32. A test checks that the two agree.
        /// </summary>
        public const int MaxInt8Inputs = 65536;

        /// <summary>Reports each dense layer of an Int8 network whose inputs exceed <see cref="MaxInt8Inputs"/>.</summary>
        private static void CheckInt8Inputs(NetworkSpec spec, TensorShape[] shapes, List<ShapeProblem> problems)
        {
            if (!spec.Int8)
            {
                return;
            }

            TensorShape input = spec.InputShape;
            for (int i = 0; i < shapes.Length; i++)
            {
                LayerSpec layer = spec.Layers[i];
                if (layer.Kind == LayerKind.Dense && input.Size > MaxInt8Inputs)
                {
                    problems.Add(new ShapeProblem(i, DiagnosticDescriptors.Int8TooManyInputs, new object[] { layer.Name, input.Size, MaxInt8Inputs }));
                }

                input = shapes[i];
            }
        }

        private static void CheckInputShape(NetworkSpec spec, List<ShapeProblem> problems)
        {
            TensorShape input = spec.InputShape;
            string[] names = input.Rank switch
            {
                1 => new[] { "The input size" },
                2 => new[] { "The input channel count", "The input length" },
                _ => new[] { "The input channel count", "The input height", "The input width" },
            };
            int[] values = input.Rank switch
            {
                1 => new[] { input.Channels },
                2 => new[] { input.Channels, input.Width },
                _ => new[] { input.Channels, input.Height, input.Width },
            };
            bool positive = true;
            for (int i = 0; i < names.Length; i++)
            {
                if (values[i] <= 0)
                {
                    positive = false;
                    problems.Add(new ShapeProblem(ShapeProblem.InputIndex, DiagnosticDescriptors.NonPositiveSize,
                        new object[] { names[i], spec.ClassName, values[i] }));
                }
            }

            if (positive && input.Size > MaxArrayLength)
            {
                problems.Add(new ShapeProblem(ShapeProblem.InputIndex, DiagnosticDescriptors.TooManyParameters,
                    new object[] { spec.ClassName, input.Size, MaxArrayLength }));
            }
        }

        /// <summary>Whether any layer has trainable weights: a dense or convolution layer.</summary>
        private static bool HasWeights(NetworkSpec spec)
        {
            foreach (LayerSpec layer in spec.Layers)
            {
                if (layer.Kind is LayerKind.Dense or LayerKind.Convolution)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// Index of the layer whose activation produces the network's outputs: the last layer,
        /// looking through dropout and flatten, which do not change values in inference.
        /// </summary>
        public static int OutputLayerIndex(NetworkSpec spec)
        {
            int i = spec.Layers.Count - 1;
            while (i > 0 && spec.Layers[i].Kind is LayerKind.Dropout or LayerKind.Flatten)
            {
                i--;
            }

            return i;
        }

        private static void CheckLossValues(NetworkSpec spec, List<ShapeProblem> problems)
        {
            LossSpec loss = spec.Loss;
            if (!Enum.IsDefined(typeof(Loss), loss.Kind))
            {
                problems.Add(new ShapeProblem(ShapeProblem.NetworkIndex, DiagnosticDescriptors.UnknownLoss,
                    new object[] { spec.ClassName, (int)loss.Kind, Names(typeof(Loss)) }));
                return;
            }

            if (!(loss.HuberDelta > 0) || float.IsInfinity(loss.HuberDelta))
            {
                problems.Add(Range(ShapeProblem.NetworkIndex, "HuberDelta", spec.ClassName, loss.HuberDelta, "a finite number above 0"));
            }

            if (!(loss.LabelSmoothing >= 0 && loss.LabelSmoothing < 1))
            {
                problems.Add(Range(ShapeProblem.NetworkIndex, "LabelSmoothing", spec.ClassName, loss.LabelSmoothing, "at least 0 and below 1"));
            }

            bool anyPositive = loss.ClassWeights.Count == 0;
            foreach (float weight in loss.ClassWeights)
            {
                anyPositive |= weight > 0;
                if (!(weight >= 0) || float.IsInfinity(weight))
                {
                    problems.Add(Range(ShapeProblem.NetworkIndex, "A class weight", spec.ClassName, weight, "a finite number of at least 0"));
                    anyPositive = true;
                    break;
                }
            }

            if (!anyPositive)
            {
                // With every weight 0 the weighted mean divides 0 by 0 and training turns every parameter into NaN.
                problems.Add(Range(ShapeProblem.NetworkIndex, "The largest class weight", spec.ClassName, 0f, "above 0"));
            }

            if (loss.Kind != Loss.Huber && loss.DeclaresHuberDelta)
            {
                problems.Add(OptionMismatch(spec, "HuberDelta", Loss.Huber));
            }

            if (loss.Kind != Loss.SoftmaxCrossEntropy && loss.DeclaresLabelSmoothing)
            {
                problems.Add(OptionMismatch(spec, "LabelSmoothing", Loss.SoftmaxCrossEntropy));
            }

            if (loss.Kind != Loss.SoftmaxCrossEntropy && loss.DeclaresClassWeights)
            {
                problems.Add(OptionMismatch(spec, "ClassWeights", Loss.SoftmaxCrossEntropy));
            }
        }

        private static void CheckLossAgainstOutput(NetworkSpec spec, TensorShape[] shapes, List<ShapeProblem> problems)
        {
            int last = OutputLayerIndex(spec);
            LayerSpec output = spec.Layers[last];
            long outputs = shapes[shapes.Length - 1].Size;
            Loss kind = spec.Loss.Kind;

            if (kind == Loss.SoftmaxCrossEntropy && outputs == 1)
            {
                problems.Add(new ShapeProblem(last, DiagnosticDescriptors.SoftmaxOnSingleOutput,
                    new object[] { spec.ClassName, output.Name }));
            }

            bool takesLogits = kind == Loss.SoftmaxCrossEntropy || kind == Loss.BinaryCrossEntropyWithLogits;
            if (takesLogits && output.Activation != Activation.Identity)
            {
                problems.Add(new ShapeProblem(last, DiagnosticDescriptors.ActivationBeforeSoftmax,
                    new object[] { output.Name, output.Activation.ToString(), spec.ClassName, kind.ToString() }));
            }

            int weights = spec.Loss.ClassWeights.Count;
            if (spec.Loss.DeclaresClassWeights && weights != outputs)
            {
                problems.Add(new ShapeProblem(ShapeProblem.NetworkIndex, DiagnosticDescriptors.ClassWeightCount,
                    new object[] { spec.ClassName, weights, output.Name, outputs }));
            }
        }

        private static void CheckTotalSize(NetworkSpec spec, TensorShape[] shapes, List<ShapeProblem> problems)
        {
            long parameters = 0;
            long activations = 0;
            TensorShape input = spec.InputShape;
            for (int i = 0; i < shapes.Length; i++)
            {
                LayerSpec layer = spec.Layers[i];
                long outputs = shapes[i].Size;
                parameters += layer.Kind switch
                {
                    LayerKind.Dense => (input.Size * outputs) + outputs,
                    LayerKind.Convolution => ((long)layer.Conv!.OutChannels * (input.Channels / layer.Conv.Groups) * layer.Conv.KernelHeight * layer.Conv.KernelWidth) + layer.Conv.OutChannels,
                    LayerKind.BatchNorm => 4L * input.Channels,
                    LayerKind.LayerNorm => 2 * input.Size,
                    _ => 0,
                };

                activations += outputs * 4L;
                input = shapes[i];
            }

            // The parameter buffer carries 8 floats of padding for the sample kernels.
            long largest = Math.Max(parameters, activations);
            if (parameters + 8 > MaxArrayLength || activations > MaxArrayLength)
            {
                problems.Add(new ShapeProblem(ShapeProblem.ClassIndex, DiagnosticDescriptors.TooManyParameters,
                    new object[] { spec.ClassName, largest, MaxArrayLength }));
            }
        }

        private static ShapeProblem OptionMismatch(NetworkSpec spec, string option, Loss expected) =>
            new ShapeProblem(ShapeProblem.NetworkIndex, DiagnosticDescriptors.LossOptionMismatch,
                new object[] { spec.ClassName, option, expected.ToString(), spec.Loss.Kind.ToString() });

        internal static ShapeProblem Range(int index, string what, string owner, float value, string rule) =>
            new ShapeProblem(index, DiagnosticDescriptors.ValueOutOfRange,
                new object[] { what, owner, value.ToString("R", CultureInfo.InvariantCulture), rule });

        internal static ShapeProblem Range(int index, string what, string owner, int value, string rule) =>
            new ShapeProblem(index, DiagnosticDescriptors.ValueOutOfRange,
                new object[] { what, owner, value.ToString(CultureInfo.InvariantCulture), rule });

        internal static bool HasErrors(List<ShapeProblem> problems) =>
            problems.Exists(p => p.Descriptor.DefaultSeverity == DiagnosticSeverity.Error);

        internal static string Names(Type enumType) => string.Join(", ", Enum.GetNames(enumType));
    }
}
