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

            if (spec.InputSize <= 0)
            {
                problems.Add(new ShapeProblem(ShapeProblem.InputIndex, DiagnosticDescriptors.NonPositiveSize,
                    new object[] { "The input size", spec.ClassName, spec.InputSize }));
            }

            if (LastDenseIndex(spec) < 0)
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

            CheckLossAgainstOutput(spec, problems);
            CheckTotalSize(spec, problems);
            return problems;
        }

        /// <summary>Index of the last dense layer, whose outputs are the network's, or −1.</summary>
        public static int LastDenseIndex(NetworkSpec spec)
        {
            for (int i = spec.Layers.Count - 1; i >= 0; i--)
            {
                if (spec.Layers[i].Kind == LayerKind.Dense)
                {
                    return i;
                }
            }

            return -1;
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

            if (loss.Kind != Loss.Huber && loss.HuberDelta != 1f)
            {
                problems.Add(OptionMismatch(spec, "HuberDelta", Loss.Huber));
            }

            if (loss.Kind != Loss.SoftmaxCrossEntropy && loss.LabelSmoothing != 0f)
            {
                problems.Add(OptionMismatch(spec, "LabelSmoothing", Loss.SoftmaxCrossEntropy));
            }

            if (loss.Kind != Loss.SoftmaxCrossEntropy && loss.ClassWeights.Count > 0)
            {
                problems.Add(OptionMismatch(spec, "ClassWeights", Loss.SoftmaxCrossEntropy));
            }
        }

        private static void CheckLossAgainstOutput(NetworkSpec spec, List<ShapeProblem> problems)
        {
            int last = LastDenseIndex(spec);
            LayerSpec output = spec.Layers[last];
            Loss kind = spec.Loss.Kind;

            if (kind == Loss.SoftmaxCrossEntropy && output.Outputs == 1)
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
            if (weights > 0 && weights != output.Outputs)
            {
                problems.Add(new ShapeProblem(ShapeProblem.NetworkIndex, DiagnosticDescriptors.ClassWeightCount,
                    new object[] { spec.ClassName, weights, output.Name, output.Outputs }));
            }
        }

        private static void CheckTotalSize(NetworkSpec spec, List<ShapeProblem> problems)
        {
            long parameters = 0;
            long activations = 0;
            long inputs = spec.InputSize;
            foreach (LayerSpec layer in spec.Layers)
            {
                long outputs = layer.Kind == LayerKind.Dense ? layer.Outputs : inputs;
                if (layer.Kind == LayerKind.Dense)
                {
                    parameters += (inputs * outputs) + outputs;
                }

                activations += outputs * 4L;
                inputs = outputs;
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

        internal static bool HasErrors(List<ShapeProblem> problems) =>
            problems.Exists(p => p.Descriptor.DefaultSeverity == DiagnosticSeverity.Error);

        internal static string Names(Type enumType) => string.Join(", ", Enum.GetNames(enumType));
    }
}
