using System;
using System.Collections.Generic;
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
    /// Checks sizes, enum values and the loss against the layers. Pure: works on the spec only,
    /// so the same rules can be tested without a compilation.
    /// </summary>
    internal static class ShapeRules
    {
        /// <summary>Largest array length .NET allows (Array.MaxLength, which netstandard2.0 lacks).</summary>
        public const long MaxArrayLength = 0x7FFFFFC7;

        public static List<ShapeProblem> Check(NetworkSpec spec)
        {
            var problems = new List<ShapeProblem>();

            if (!Enum.IsDefined(typeof(Loss), spec.Loss))
            {
                problems.Add(new ShapeProblem(ShapeProblem.NetworkIndex, DiagnosticDescriptors.UnknownLoss,
                    new object[] { spec.ClassName, (int)spec.Loss, Names(typeof(Loss)) }));
            }

            if (spec.InputSize <= 0)
            {
                problems.Add(new ShapeProblem(ShapeProblem.InputIndex, DiagnosticDescriptors.NonPositiveSize,
                    new object[] { "The input size", spec.ClassName, spec.InputSize }));
            }

            if (spec.Layers.Count == 0)
            {
                problems.Add(new ShapeProblem(ShapeProblem.ClassIndex, DiagnosticDescriptors.NoLayers, new object[] { spec.ClassName }));
                return problems;
            }

            for (int i = 0; i < spec.Layers.Count; i++)
            {
                CheckLayer(spec.Layers[i], i, problems);
            }

            if (problems.Count > 0)
            {
                return problems;
            }

            CheckLoss(spec, problems);
            CheckTotalSize(spec, problems);
            return problems;
        }

        private static void CheckLayer(LayerSpec layer, int index, List<ShapeProblem> problems)
        {
            if (layer.Outputs <= 0)
            {
                problems.Add(new ShapeProblem(index, DiagnosticDescriptors.NonPositiveSize,
                    new object[] { "The output count", layer.Name, layer.Outputs }));
            }

            if (!Enum.IsDefined(typeof(Activation), layer.Activation))
            {
                problems.Add(new ShapeProblem(index, DiagnosticDescriptors.UnknownActivation,
                    new object[] { layer.Name, (int)layer.Activation, Names(typeof(Activation)) }));
            }

            if (!Enum.IsDefined(typeof(Initializer), layer.Initializer))
            {
                problems.Add(new ShapeProblem(index, DiagnosticDescriptors.UnknownInitializer,
                    new object[] { layer.Name, (int)layer.Initializer, Names(typeof(Initializer)) }));
            }
        }

        private static void CheckLoss(NetworkSpec spec, List<ShapeProblem> problems)
        {
            if (spec.Loss != Loss.SoftmaxCrossEntropy)
            {
                return;
            }

            int last = spec.Layers.Count - 1;
            LayerSpec output = spec.Layers[last];
            if (output.Outputs == 1)
            {
                problems.Add(new ShapeProblem(last, DiagnosticDescriptors.SoftmaxOnSingleOutput,
                    new object[] { spec.ClassName, output.Name }));
            }

            if (output.Activation != Activation.Identity)
            {
                problems.Add(new ShapeProblem(last, DiagnosticDescriptors.ActivationBeforeSoftmax,
                    new object[] { output.Name, output.Activation.ToString(), spec.ClassName }));
            }
        }

        private static void CheckTotalSize(NetworkSpec spec, List<ShapeProblem> problems)
        {
            long parameters = 0;
            long activations = 0;
            long inputs = spec.InputSize;
            foreach (LayerSpec layer in spec.Layers)
            {
                parameters += (inputs * layer.Outputs) + layer.Outputs;
                activations += layer.Outputs * 3L;
                inputs = layer.Outputs;
            }

            long largest = Math.Max(parameters, activations);
            if (largest > MaxArrayLength)
            {
                problems.Add(new ShapeProblem(ShapeProblem.ClassIndex, DiagnosticDescriptors.TooManyParameters,
                    new object[] { spec.ClassName, largest, MaxArrayLength }));
            }
        }

        private static string Names(Type enumType) => string.Join(", ", Enum.GetNames(enumType));
    }
}
