using System.Collections.Generic;
using System.Globalization;
using NetGen.Generator.Model;

namespace NetGen.Generator
{
    /// <summary>
    /// The architecture text that weight files record: one token per layer with everything that
    /// changes the meaning of the parameters or the function they compute. Texts of dense-only
    /// networks must never change, or files saved by earlier versions stop loading. So an option
    /// added later, such as a Leaky ReLU slope or a batch norm ε, appears only when it differs
    /// from its default.
    /// </summary>
    internal static class NetworkArchitecture
    {
        public static string Describe(NetworkSpec spec, IReadOnlyList<LayerLayout> layers)
        {
            TensorShape input = spec.InputShape;
            var parts = new List<string>
            {
                input.Rank switch
                {
                    1 => "Input(" + Int(input.Channels) + ")",
                    2 => "Input(" + Int(input.Channels) + "," + Int(input.Width) + ")",
                    _ => "Input(" + Int(input.Channels) + "," + Int(input.Height) + "," + Int(input.Width) + ")",
                },
            };
            foreach (LayerLayout layer in layers)
            {
                parts.Add(Token(layer));
            }

            parts.Add("Loss(" + spec.Loss.Kind + ")");
            return string.Join(" ", parts);
        }

        private static string Token(LayerLayout layer)
        {
            LayerSpec spec = layer.Spec;
            switch (layer.Kind)
            {
                case LayerKind.Dense:
                    return "Dense(" + Int(spec.Outputs) + "," + ActivationToken(layer) + ")";
                case LayerKind.Dropout:
                    // Dropout has no parameters, but it is part of the declaration a file was saved from.
                    return "Dropout(" + Real(spec.Probability) + ")";
                case LayerKind.Convolution:
                    ConvSpec conv = spec.Conv!;
                    ConvPadding pad = ShapeInference.Padding(conv);
                    return (conv.Rank == 3 ? "Conv2D(" : "Conv1D(") + Int(conv.OutChannels) + "," + Int(conv.KernelHeight) + "x" + Int(conv.KernelWidth) +
                        ",s" + Int(conv.Stride) + ",p" + Int(pad.Top) + "/" + Int(pad.Bottom) + "/" + Int(pad.Left) + "/" + Int(pad.Right) +
                        ",d" + Int(conv.Dilation) + ",g" + Int(conv.Groups) + (conv.Bias ? ",bias," : ",nobias,") + ActivationToken(layer) + ")";
                case LayerKind.MaxPool:
                case LayerKind.AvgPool:
                    PoolSpec pool = spec.Pool!;
                    return layer.Kind + "(" + Int(pool.Kernel) + ",s" + Int(ShapeInference.PoolStride(pool)) + ",p" + Int(pool.Padding) + ")";
                case LayerKind.BatchNorm:
                    return "BatchNorm(" + Int(layer.InputShape.Channels) + "," + ActivationToken(layer) + Epsilon(spec) + ")";
                case LayerKind.LayerNorm:
                    return "LayerNorm(" + Int(layer.Inputs) + "," + ActivationToken(layer) + Epsilon(spec) + ")";
                case LayerKind.ResidualEnd:
                    return "ResidualEnd(" + ActivationToken(layer) + ")";
                default:
                    return layer.Kind.ToString();
            }
        }

        /// <summary>Returns the activation's name, then ",Alpha=" and its slope or α when that is not the default.</summary>
        private static string ActivationToken(LayerLayout layer)
        {
            bool usesAlpha = layer.Activation is Activation.LeakyRelu or Activation.Elu;
            return usesAlpha && layer.Alpha != LayerSpec.DefaultAlpha(layer.Activation)
                ? layer.Activation + ",Alpha=" + Real(layer.Alpha)
                : layer.Activation.ToString();
        }

        /// <summary>Returns ",Epsilon=" and the layer's ε when that is not the default, and an empty string otherwise.</summary>
        private static string Epsilon(LayerSpec spec) =>
            spec.Epsilon != LayerSpec.DefaultEpsilon ? ",Epsilon=" + Real(spec.Epsilon) : string.Empty;

        private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

        /// <summary>
        /// Returns the shortest "G" text that reads back as <paramref name="value"/>, in the
        /// invariant culture. "R" would depend on the compiler's host: on .NET Framework, where
        /// Visual Studio can run generators, it writes up to 9 digits ("1.00000012") where .NET
        /// writes the shortest form ("1.0000001"), and weight files would then differ between builds.
        /// For the values in [1e-5, 1) that dropout takes, both forms are the same text.
        /// </summary>
        internal static string Real(float value)
        {
            for (int digits = 1; digits < 9; digits++)
            {
                string text = value.ToString("G" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
                if (float.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture) == value)
                {
                    return text;
                }
            }

            return value.ToString("G9", CultureInfo.InvariantCulture);
        }
    }
}
