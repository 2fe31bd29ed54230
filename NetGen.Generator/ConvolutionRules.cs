using System;
using System.Collections.Generic;
using NetGen.Generator.Model;

namespace NetGen.Generator
{
    /// <summary>
    /// Checks the values that convolution, pooling and normalisation layers declare.
    /// <see cref="ShapeInference"/> checks the shapes they receive.
    /// </summary>
    internal static class ConvolutionRules
    {
        public static void Check(LayerSpec layer, int index, List<ShapeProblem> problems)
        {
            ConvSpec conv = layer.Conv!;
            Positive(index, "The output channel count", layer.Name, conv.OutChannels, problems);
            Positive(index, "The kernel height", layer.Name, conv.KernelHeight, problems);
            Positive(index, "The kernel size", layer.Name, conv.KernelWidth, problems);
            AtLeastOne(index, "Stride", layer.Name, conv.Stride, problems);
            AtLeastOne(index, "Dilation", layer.Name, conv.Dilation, problems);
            AtLeastOne(index, "Groups", layer.Name, conv.Groups, problems);
            long extent = ((long)conv.Dilation * (Math.Max(conv.KernelHeight, conv.KernelWidth) - 1)) + 1;
            if (conv.PaddingMode == PaddingMode.Same && conv.Dilation >= 1 && extent > int.MaxValue)
            {
                // "Same" pads by half the dilated kernel, which must fit in an int. Without that
                // padding, NETGEN0109 reports a kernel wider than its input with the true width.
                problems.Add(ShapeRules.Range(index, "Dilation", layer.Name, conv.Dilation,
                    "small enough that the dilated kernel, Dilation · (kernel − 1) + 1, fits in an int (here " + extent.ToString(System.Globalization.CultureInfo.InvariantCulture) + ")"));
            }

            if (conv.Padding < 0)
            {
                problems.Add(ShapeRules.Range(index, "Padding", layer.Name, conv.Padding, "at least 0"));
            }

            if (!Enum.IsDefined(typeof(PaddingMode), conv.PaddingMode))
            {
                problems.Add(ShapeRules.Range(index, "PaddingMode", layer.Name, (int)conv.PaddingMode, "one of " + ShapeRules.Names(typeof(PaddingMode))));
            }
            else if (conv.PaddingMode != PaddingMode.Explicit && conv.Padding != 0)
            {
                problems.Add(new ShapeProblem(index, DiagnosticDescriptors.UnusedOption,
                    new object[] { layer.Name, "Padding", "PaddingMode." + conv.PaddingMode }));
            }
        }

        /// <summary>Checks pooling and normalisation options. Flatten and residual markers have none.</summary>
        public static void CheckParameterless(LayerSpec layer, int index, List<ShapeProblem> problems)
        {
            if (layer.Pool is { } pool)
            {
                Positive(index, "The kernel size", layer.Name, pool.Kernel, problems);
                if (pool.Stride < 0)
                {
                    problems.Add(ShapeRules.Range(index, "Stride", layer.Name, pool.Stride, "0 (the kernel size) or positive"));
                }

                if (pool.Padding < 0 || (pool.Kernel > 0 && pool.Padding > pool.Kernel / 2))
                {
                    // torch rejects more: a window could then hold padding only.
                    problems.Add(ShapeRules.Range(index, "Padding", layer.Name, pool.Padding, "between 0 and half the kernel size (" + (Math.Max(pool.Kernel, 0) / 2) + ")"));
                }
            }

            if (layer.Kind is LayerKind.BatchNorm or LayerKind.LayerNorm)
            {
                if (!(layer.Epsilon > 0) || float.IsInfinity(layer.Epsilon))
                {
                    problems.Add(ShapeRules.Range(index, "Epsilon", layer.Name, layer.Epsilon, "a finite number above 0"));
                }

                if (!(layer.Momentum >= 0 && layer.Momentum <= 1))
                {
                    problems.Add(ShapeRules.Range(index, "Momentum", layer.Name, layer.Momentum, "between 0 and 1"));
                }
            }
        }

        private static void Positive(int index, string what, string name, int value, List<ShapeProblem> problems)
        {
            if (value <= 0)
            {
                problems.Add(new ShapeProblem(index, DiagnosticDescriptors.NonPositiveSize, new object[] { what, name, value }));
            }
        }

        private static void AtLeastOne(int index, string what, string name, int value, List<ShapeProblem> problems)
        {
            if (value < 1)
            {
                problems.Add(ShapeRules.Range(index, what, name, value, "at least 1"));
            }
        }
    }
}
