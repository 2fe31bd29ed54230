using System;
using System.Collections.Generic;
using NetGen.Generator.Model;

namespace NetGen.Generator
{
    /// <summary>Checks one layer's own values: sizes, enum members and options.</summary>
    internal static class LayerRules
    {
        public static void Check(LayerSpec layer, int index, List<ShapeProblem> problems)
        {
            switch (layer.Kind)
            {
                case LayerKind.Dropout:
                    if (!(layer.Probability >= 0 && layer.Probability < 1))
                    {
                        problems.Add(ShapeRules.Range(index, "The dropout probability", layer.Name, layer.Probability, "at least 0 and below 1"));
                    }

                    return;
                case LayerKind.Dense:
                    if (layer.Outputs <= 0)
                    {
                        problems.Add(new ShapeProblem(index, DiagnosticDescriptors.NonPositiveSize,
                            new object[] { "The output count", layer.Name, layer.Outputs }));
                    }

                    if (layer.ExpectedInputs < 0)
                    {
                        problems.Add(ShapeRules.Range(index, "Inputs", layer.Name, layer.ExpectedInputs, "0 (take the previous layer's size) or positive"));
                    }

                    CheckWeightOptions(layer, index, problems);
                    return;
                case LayerKind.Convolution:
                    ConvolutionRules.Check(layer, index, problems);
                    CheckWeightOptions(layer, index, problems);
                    return;
                case LayerKind.ResidualEnd:
                    CheckActivation(layer, index, problems);
                    return;
                case LayerKind.BatchNorm:
                case LayerKind.LayerNorm:
                    CheckActivation(layer, index, problems);
                    ConvolutionRules.CheckParameterless(layer, index, problems);
                    return;
                default:
                    ConvolutionRules.CheckParameterless(layer, index, problems);
                    return;
            }
        }

        private static void CheckWeightOptions(LayerSpec layer, int index, List<ShapeProblem> problems)
        {
            CheckActivation(layer, index, problems);
            CheckInit(layer, index, problems);
            CheckPenalty(layer, index, "L1", layer.L1, problems);
            CheckPenalty(layer, index, "L2", layer.L2, problems);
        }

        private static void CheckActivation(LayerSpec layer, int index, List<ShapeProblem> problems)
        {
            if (!Enum.IsDefined(typeof(Activation), layer.Activation))
            {
                problems.Add(new ShapeProblem(index, DiagnosticDescriptors.UnknownActivation,
                    new object[] { layer.Name, (int)layer.Activation, ShapeRules.Names(typeof(Activation)) }));
            }
            else
            {
                CheckAlpha(layer, index, problems);
            }
        }

        private static void CheckAlpha(LayerSpec layer, int index, List<ShapeProblem> problems)
        {
            if (layer.ExplicitNaNOption is string option)
            {
                // NaN is the attributes' "not set", so a NaN written out would pass as the default.
                problems.Add(ShapeRules.Range(index, option, layer.Name, float.NaN, "a finite number above 0, or left out for the default"));
            }

            bool usesAlpha = layer.Activation is Activation.LeakyRelu or Activation.Elu;
            if (float.IsNaN(layer.Alpha))
            {
                return;
            }

            if (!usesAlpha)
            {
                problems.Add(new ShapeProblem(index, DiagnosticDescriptors.UnusedOption,
                    new object[] { layer.Name, "Alpha", "Activation." + layer.Activation }));
            }
            else if (!(layer.Alpha > 0) || float.IsInfinity(layer.Alpha))
            {
                // The backward pass reads the derivative off the output, which needs f(x) > 0 ⇔ x > 0.
                problems.Add(ShapeRules.Range(index, "Alpha", layer.Name, layer.Alpha, "a finite number above 0"));
            }
        }

        private static void CheckInit(LayerSpec layer, int index, List<ShapeProblem> problems)
        {
            InitSpec init = layer.Init;
            if (!Enum.IsDefined(typeof(Initializer), init.Kind))
            {
                problems.Add(new ShapeProblem(index, DiagnosticDescriptors.UnknownInitializer,
                    new object[] { layer.Name, (int)init.Kind, ShapeRules.Names(typeof(Initializer)) }));
            }

            if (!Enum.IsDefined(typeof(FanMode), init.Mode))
            {
                problems.Add(new ShapeProblem(index, DiagnosticDescriptors.UnknownFanMode,
                    new object[] { layer.Name, (int)init.Mode, ShapeRules.Names(typeof(FanMode)) }));
            }

            if (!float.IsNaN(init.Gain) && (!(init.Gain > 0) || float.IsInfinity(init.Gain)))
            {
                problems.Add(ShapeRules.Range(index, "InitGain", layer.Name, init.Gain, "a finite number above 0"));
            }

            // Only He and Glorot scale by a gain, and only He and LeCun read the fan mode.
            Initializer resolved = init.Kind == Initializer.Default
                ? (layer.Activation is Activation.Relu or Activation.LeakyRelu ? Initializer.HeUniform : Initializer.GlorotUniform)
                : init.Kind;
            bool usesGain = resolved is Initializer.HeUniform or Initializer.HeNormal or Initializer.GlorotUniform or Initializer.GlorotNormal;
            bool usesMode = resolved is Initializer.HeUniform or Initializer.HeNormal or Initializer.LeCunUniform or Initializer.LeCunNormal;
            if (!float.IsNaN(init.Gain) && !usesGain && Enum.IsDefined(typeof(Initializer), init.Kind))
            {
                problems.Add(new ShapeProblem(index, DiagnosticDescriptors.UnusedOption,
                    new object[] { layer.Name, "InitGain", "Initializer." + resolved }));
            }

            if (init.Mode == FanMode.FanOut && !usesMode && Enum.IsDefined(typeof(Initializer), init.Kind))
            {
                problems.Add(new ShapeProblem(index, DiagnosticDescriptors.UnusedOption,
                    new object[] { layer.Name, "InitMode", "Initializer." + resolved }));
            }

            if (float.IsNaN(init.Value) || float.IsInfinity(init.Value))
            {
                problems.Add(ShapeRules.Range(index, "InitValue", layer.Name, init.Value, "finite"));
            }
            else if (init.Value != 0f && init.Kind != Initializer.Constant)
            {
                problems.Add(new ShapeProblem(index, DiagnosticDescriptors.UnusedOption,
                    new object[] { layer.Name, "InitValue", "Initializer." + init.Kind }));
            }
        }

        private static void CheckPenalty(LayerSpec layer, int index, string name, float value, List<ShapeProblem> problems)
        {
            if (!(value >= 0) || float.IsInfinity(value))
            {
                problems.Add(ShapeRules.Range(index, name, layer.Name, value, "a finite number of at least 0"));
            }
        }
    }
}
