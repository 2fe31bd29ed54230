using System.Collections.Generic;
using System.Globalization;
using NetGen.Generator.Model;

namespace NetGen.Generator
{
    /// <summary>
    /// The architecture text that weight files record: one token per layer with everything that
    /// changes the meaning of the parameters. Texts of dense-only networks must never change,
    /// or files saved by earlier versions stop loading.
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
                    return "Dense(" + Int(spec.Outputs) + "," + spec.Activation + ")";
                case LayerKind.Dropout:
                    // Dropout has no parameters, but it is part of the declaration a file was saved from.
                    return "Dropout(" + spec.Probability.ToString("R", CultureInfo.InvariantCulture) + ")";
                case LayerKind.Convolution:
                    ConvSpec conv = spec.Conv!;
                    ConvPadding pad = ShapeInference.Padding(conv);
                    return (conv.Rank == 3 ? "Conv2D(" : "Conv1D(") + Int(conv.OutChannels) + "," + Int(conv.KernelHeight) + "x" + Int(conv.KernelWidth) +
                        ",s" + Int(conv.Stride) + ",p" + Int(pad.Top) + "/" + Int(pad.Bottom) + "/" + Int(pad.Left) + "/" + Int(pad.Right) +
                        ",d" + Int(conv.Dilation) + ",g" + Int(conv.Groups) + (conv.Bias ? ",bias," : ",nobias,") + spec.Activation + ")";
                case LayerKind.MaxPool:
                case LayerKind.AvgPool:
                    PoolSpec pool = spec.Pool!;
                    return layer.Kind + "(" + Int(pool.Kernel) + ",s" + Int(ShapeInference.PoolStride(pool)) + ",p" + Int(pool.Padding) + ")";
                case LayerKind.BatchNorm:
                    return "BatchNorm(" + Int(layer.InputShape.Channels) + "," + spec.Activation + ")";
                case LayerKind.LayerNorm:
                    return "LayerNorm(" + Int(layer.Inputs) + "," + spec.Activation + ")";
                case LayerKind.ResidualEnd:
                    return "ResidualEnd(" + spec.Activation + ")";
                default:
                    return layer.Kind.ToString();
            }
        }

        private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);
    }
}
