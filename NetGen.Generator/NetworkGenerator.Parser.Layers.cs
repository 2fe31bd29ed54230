using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using Microsoft.CodeAnalysis;
using NetGen.Generator.Model;

namespace NetGen.Generator
{
    public sealed partial class NetworkGenerator
    {
        internal static partial class Parser
        {
            // Layer attributes by full name, with the prefix of the generated layer names.
            private static readonly Dictionary<string, string> LayerPrefixes = new Dictionary<string, string>
            {
                ["NetGen.DenseAttribute"] = "Dense",
                ["NetGen.DropoutAttribute"] = "Dropout",
                ["NetGen.Conv2DAttribute"] = "Conv",
                ["NetGen.Conv1DAttribute"] = "Conv",
                ["NetGen.MaxPoolAttribute"] = "MaxPool",
                ["NetGen.AvgPoolAttribute"] = "AvgPool",
                ["NetGen.GlobalAvgPoolAttribute"] = "GlobalAvgPool",
                ["NetGen.FlattenAttribute"] = "Flatten",
                ["NetGen.BatchNormAttribute"] = "BatchNorm",
                ["NetGen.LayerNormAttribute"] = "LayerNorm",
                ["NetGen.ResidualAttribute"] = "Residual",
                ["NetGen.ResidualEndAttribute"] = "ResidualEnd",
            };

            private static bool IsLayerAttribute(string? fullName) => fullName is not null && LayerPrefixes.ContainsKey(fullName);

            /// <summary>"NetGen.Conv2DAttribute" → "Conv2D", for diagnostics.</summary>
            private static string ShortName(string fullName)
            {
                string name = fullName.StartsWith("NetGen.", System.StringComparison.Ordinal) ? fullName.Substring(7) : fullName;
                return name.EndsWith("Attribute", System.StringComparison.Ordinal) ? name.Substring(0, name.Length - 9) : name;
            }

            /// <summary>
            /// Reads one layer attribute into a spec named by its kind and 1-based position, or
            /// returns null when an argument cannot be read.
            /// </summary>
            private static LayerSpec? ReadLayer(AttributeData attribute, string fullName, int number, out string layerName)
            {
                layerName = LayerPrefixes[fullName] + number.ToString(CultureInfo.InvariantCulture);
                switch (fullName)
                {
                    case "NetGen.DenseAttribute":
                        return ReadDense(attribute, layerName);
                    case "NetGen.DropoutAttribute":
                        return ReadDropout(attribute, layerName);
                    case "NetGen.Conv2DAttribute":
                        return ReadConvolution(attribute, layerName, rank: 3);
                    case "NetGen.Conv1DAttribute":
                        return ReadConvolution(attribute, layerName, rank: 2);
                    case "NetGen.MaxPoolAttribute":
                        return ReadPool(attribute, layerName, LayerKind.MaxPool);
                    case "NetGen.AvgPoolAttribute":
                        return ReadPool(attribute, layerName, LayerKind.AvgPool);
                    case "NetGen.GlobalAvgPoolAttribute":
                        return LayerSpec.Other(layerName, LayerKind.GlobalAvgPool);
                    case "NetGen.FlattenAttribute":
                        return LayerSpec.Other(layerName, LayerKind.Flatten);
                    case "NetGen.BatchNormAttribute":
                        return ReadNormalization(attribute, layerName, LayerKind.BatchNorm);
                    case "NetGen.LayerNormAttribute":
                        return ReadNormalization(attribute, layerName, LayerKind.LayerNorm);
                    case "NetGen.ResidualAttribute":
                        return LayerSpec.Other(layerName, LayerKind.ResidualStart);
                    default:
                        return ReadResidualEnd(attribute, layerName);
                }
            }

            private static TensorShape? ReadInputShape(AttributeData attribute)
            {
                ImmutableArray<TypedConstant> arguments = attribute.ConstructorArguments;
                var values = new int[arguments.Length];
                for (int i = 0; i < values.Length; i++)
                {
                    if (!TryReadInt(arguments[i], out values[i]))
                    {
                        return null;
                    }
                }

                return values.Length switch
                {
                    1 => TensorShape.Flat(values[0]),
                    2 => new TensorShape(2, values[0], 1, values[1]),
                    3 => new TensorShape(3, values[0], values[1], values[2]),
                    _ => null,
                };
            }

            private static LayerSpec? ReadConvolution(AttributeData attribute, string layerName, int rank)
            {
                // Conv2D(out, k, act), Conv2D(out, kh, kw, act) and Conv1D(out, k, act).
                ImmutableArray<TypedConstant> arguments = attribute.ConstructorArguments;
                bool rectangular = arguments.Length == 4;
                var sizes = new int[rectangular ? 3 : 2];
                for (int i = 0; i < sizes.Length; i++)
                {
                    if (i >= arguments.Length || !TryReadInt(arguments[i], out sizes[i]))
                    {
                        return null;
                    }
                }

                int activation = 0;
                if (arguments.Length > sizes.Length && !TryReadInt(arguments[sizes.Length], out activation))
                {
                    return null;
                }

                int kernelHeight = rank == 2 ? 1 : sizes[1];
                int kernelWidth = rectangular ? sizes[2] : sizes[1];
                var conv = new ConvSpec(rank, sizes[0], kernelHeight, kernelWidth, 1, 0, PaddingMode.Explicit, 1, 1, true);
                LayerSpec layer = LayerSpec.Dense(layerName, sizes[0], (Activation)activation) with { Kind = LayerKind.Convolution };
                foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
                {
                    bool ok = true;
                    int number;
                    switch (named.Key)
                    {
                        case "Stride":
                            ok = TryReadInt(named.Value, out number);
                            conv = conv with { Stride = number };
                            break;
                        case "Padding":
                            ok = TryReadInt(named.Value, out number);
                            conv = conv with { Padding = number };
                            break;
                        case "PaddingMode":
                            ok = TryReadInt(named.Value, out number);
                            conv = conv with { PaddingMode = (PaddingMode)number };
                            break;
                        case "Dilation":
                            ok = TryReadInt(named.Value, out number);
                            conv = conv with { Dilation = number };
                            break;
                        case "Groups":
                            ok = TryReadInt(named.Value, out number);
                            conv = conv with { Groups = number };
                            break;
                        case "Bias":
                            ok = named.Value.Value is bool;
                            conv = conv with { Bias = ok && (bool)named.Value.Value! };
                            break;
                        default:
                            ok = TryApplyWeightOption(ref layer, named.Key, named.Value);
                            break;
                    }

                    if (!ok)
                    {
                        return null;
                    }
                }

                return layer with { Conv = conv };
            }

            private static LayerSpec? ReadPool(AttributeData attribute, string layerName, LayerKind kind)
            {
                ImmutableArray<TypedConstant> arguments = attribute.ConstructorArguments;
                if (arguments.Length != 1 || !TryReadInt(arguments[0], out int kernel))
                {
                    return null;
                }

                var pool = new PoolSpec(kernel, 0, 0);
                foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
                {
                    if (!TryReadInt(named.Value, out int number))
                    {
                        return null;
                    }

                    pool = named.Key == "Stride" ? pool with { Stride = number } : pool with { Padding = number };
                }

                return LayerSpec.Other(layerName, kind) with { Pool = pool };
            }

            private static LayerSpec? ReadNormalization(AttributeData attribute, string layerName, LayerKind kind)
            {
                ImmutableArray<TypedConstant> arguments = attribute.ConstructorArguments;
                int activation = 0;
                if (arguments.Length > 0 && !TryReadInt(arguments[0], out activation))
                {
                    return null;
                }

                LayerSpec layer = LayerSpec.Other(layerName, kind) with
                {
                    Activation = (Activation)activation,
                    Epsilon = LayerSpec.DefaultEpsilon,
                    Momentum = kind == LayerKind.BatchNorm ? 0.1f : 0f,
                };
                foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
                {
                    if (!TryReadFloat(named.Value, out float value))
                    {
                        return null;
                    }

                    layer = named.Key switch
                    {
                        "Epsilon" => layer with { Epsilon = value },
                        "Momentum" => layer with { Momentum = value },
                        _ => layer with { Alpha = value, ExplicitNaNOption = float.IsNaN(value) ? "Alpha" : layer.ExplicitNaNOption },
                    };
                }

                return layer;
            }

            private static LayerSpec? ReadResidualEnd(AttributeData attribute, string layerName)
            {
                ImmutableArray<TypedConstant> arguments = attribute.ConstructorArguments;
                int activation = 0;
                if (arguments.Length > 0 && !TryReadInt(arguments[0], out activation))
                {
                    return null;
                }

                LayerSpec layer = LayerSpec.Other(layerName, LayerKind.ResidualEnd) with { Activation = (Activation)activation };
                foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
                {
                    if (named.Key == "Alpha" && !TryApplyWeightOption(ref layer, named.Key, named.Value))
                    {
                        return null;
                    }
                }

                return layer;
            }
        }
    }
}
