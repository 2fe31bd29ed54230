using System.Collections.Generic;
using NetGen.Generator.Model;

namespace NetGen.Generator
{
    /// <summary>The resolved geometry of a convolution: padding per side after applying the mode.</summary>
    internal readonly record struct ConvPadding(int Top, int Bottom, int Left, int Right);

    /// <summary>
    /// Infers each layer's output shape from the input shape, in NCHW order without the batch,
    /// and reports every layer that cannot take the shape it receives. Runs after
    /// <see cref="LayerRules"/> has checked each layer's own values.
    /// </summary>
    internal static class ShapeInference
    {
        /// <summary>Returns each layer's output shape, or null after adding problems.</summary>
        public static TensorShape[]? Infer(NetworkSpec spec, List<ShapeProblem> problems)
        {
            var shapes = new TensorShape[spec.Layers.Count];
            var open = new Stack<(int Index, TensorShape Shape)>();
            TensorShape shape = spec.InputShape;
            int before = problems.Count;
            for (int i = 0; i < spec.Layers.Count; i++)
            {
                LayerSpec layer = spec.Layers[i];
                string source = i == 0 ? "the input" : "'" + spec.Layers[i - 1].Name + "'";
                TensorShape? next = Next(spec, i, layer, shape, source, open, problems);
                if (next is null)
                {
                    return null;
                }

                if (next.Value.Size > ShapeRules.MaxArrayLength)
                {
                    problems.Add(new ShapeProblem(i, DiagnosticDescriptors.TooManyParameters,
                        new object[] { spec.ClassName, next.Value.Size, ShapeRules.MaxArrayLength }));
                    return null;
                }

                shape = next.Value;
                shapes[i] = shape;
            }

            foreach ((int start, _) in open)
            {
                problems.Add(new ShapeProblem(start, DiagnosticDescriptors.UnbalancedResidual,
                    new object[] { spec.Layers[start].Name, "opens a residual block that no [ResidualEnd] closes" }));
            }

            return problems.Count == before ? shapes : null;
        }

        /// <summary>Padding per side of a convolution on an input of the given rank.</summary>
        public static ConvPadding Padding(ConvSpec conv)
        {
            switch (conv.PaddingMode)
            {
                case PaddingMode.Valid:
                    return new ConvPadding(0, 0, 0, 0);
                case PaddingMode.Same:
                    int top = conv.Rank == 2 ? 0 : ConvArithmetic.SamePadBefore(conv.KernelHeight, conv.Dilation);
                    int bottom = conv.Rank == 2 ? 0 : ConvArithmetic.SamePadAfter(conv.KernelHeight, conv.Dilation);
                    return new ConvPadding(top, bottom, ConvArithmetic.SamePadBefore(conv.KernelWidth, conv.Dilation), ConvArithmetic.SamePadAfter(conv.KernelWidth, conv.Dilation));
                default:
                    int vertical = conv.Rank == 2 ? 0 : conv.Padding;
                    return new ConvPadding(vertical, vertical, conv.Padding, conv.Padding);
            }
        }

        private static TensorShape? Next(NetworkSpec spec, int index, LayerSpec layer, TensorShape shape, string source, Stack<(int Index, TensorShape Shape)> open, List<ShapeProblem> problems)
        {
            switch (layer.Kind)
            {
                case LayerKind.Dense:
                    return Dense(index, layer, shape, source, problems);
                case LayerKind.Convolution:
                    return Convolution(index, layer, shape, source, problems);
                case LayerKind.MaxPool:
                case LayerKind.AvgPool:
                    return Pool(index, layer, shape, source, problems);
                case LayerKind.GlobalAvgPool:
                    return RequireSpatial(index, layer, shape, source, problems) ? TensorShape.Flat(shape.Channels) : (TensorShape?)null;
                case LayerKind.Flatten:
                    return TensorShape.Flat((int)shape.Size);
                case LayerKind.ResidualStart:
                    open.Push((index, shape));
                    return shape;
                case LayerKind.ResidualEnd:
                    return ResidualEnd(spec, index, layer, shape, open, problems);
                default:
                    // Dropout, batch norm and layer norm keep the shape.
                    return shape;
            }
        }

        private static TensorShape? Dense(int index, LayerSpec layer, TensorShape shape, string source, List<ShapeProblem> problems)
        {
            if (shape.Rank != 1)
            {
                problems.Add(new ShapeProblem(index, DiagnosticDescriptors.LayerInputShape,
                    new object[] { layer.Name, "a flat", source, shape.ToString(), "add [Flatten] before '" + layer.Name + "'" }));
                return null;
            }

            if (layer.ExpectedInputs > 0 && layer.ExpectedInputs != shape.Size)
            {
                problems.Add(new ShapeProblem(index, DiagnosticDescriptors.DenseInputsMismatch,
                    new object[] { layer.Name, layer.ExpectedInputs, source, shape.Size, shape.ToString() }));
                return null;
            }

            return TensorShape.Flat(layer.Outputs);
        }

        private static TensorShape? Convolution(int index, LayerSpec layer, TensorShape shape, string source, List<ShapeProblem> problems)
        {
            ConvSpec conv = layer.Conv!;
            if (shape.Rank != conv.Rank)
            {
                string needed = conv.Rank == 3 ? "a [channels, height, width]" : "a [channels, length]";
                string fix = conv.Rank == 3 ? "declare [Input(channels, height, width)] or use Conv1D" : "declare [Input(channels, length)] or use Conv2D";
                problems.Add(new ShapeProblem(index, DiagnosticDescriptors.LayerInputShape,
                    new object[] { layer.Name, needed, source, shape.ToString(), fix }));
                return null;
            }

            if (shape.Channels % conv.Groups != 0 || conv.OutChannels % conv.Groups != 0)
            {
                bool input = shape.Channels % conv.Groups != 0;
                problems.Add(new ShapeProblem(index, DiagnosticDescriptors.GroupsDoNotDivide,
                    new object[] { layer.Name, conv.Groups, input ? "input channels" : "output channels", input ? shape.Channels : conv.OutChannels, shape.Channels, conv.OutChannels }));
                return null;
            }

            if (conv.PaddingMode == PaddingMode.Same && conv.Stride != 1)
            {
                problems.Add(new ShapeProblem(index, DiagnosticDescriptors.SamePaddingWithStride, new object[] { layer.Name, conv.Stride }));
                return null;
            }

            ConvPadding pad = Padding(conv);
            int height = ConvArithmetic.OutputSize(shape.Height, conv.KernelHeight, conv.Stride, pad.Top, pad.Bottom, conv.Dilation);
            int width = ConvArithmetic.OutputSize(shape.Width, conv.KernelWidth, conv.Stride, pad.Left, pad.Right, conv.Dilation);
            if (height < 1 || width < 1)
            {
                string window = conv.Rank == 3
                    ? Extent(conv.KernelHeight, conv.Dilation) + "×" + Extent(conv.KernelWidth, conv.Dilation)
                    : Extent(conv.KernelWidth, conv.Dilation).ToString(System.Globalization.CultureInfo.InvariantCulture);
                string padded = conv.Rank == 3
                    ? ((long)shape.Height + pad.Top + pad.Bottom) + "×" + ((long)shape.Width + pad.Left + pad.Right)
                    : ((long)shape.Width + pad.Left + pad.Right).ToString(System.Globalization.CultureInfo.InvariantCulture);
                problems.Add(new ShapeProblem(index, DiagnosticDescriptors.KernelDoesNotFit,
                    new object[] { layer.Name, window, shape.ToString(), padded }));
                return null;
            }

            return new TensorShape(conv.Rank, conv.OutChannels, height, width);
        }

        private static TensorShape? Pool(int index, LayerSpec layer, TensorShape shape, string source, List<ShapeProblem> problems)
        {
            if (!RequireSpatial(index, layer, shape, source, problems))
            {
                return null;
            }

            PoolSpec pool = layer.Pool!;
            int stride = PoolStride(pool);
            int kernelHeight = shape.Rank == 2 ? 1 : pool.Kernel;
            int padHeight = shape.Rank == 2 ? 0 : pool.Padding;
            int height = ConvArithmetic.OutputSize(shape.Height, kernelHeight, shape.Rank == 2 ? 1 : stride, padHeight, padHeight, 1);
            int width = ConvArithmetic.OutputSize(shape.Width, pool.Kernel, stride, pool.Padding, pool.Padding, 1);
            if (height < 1 || width < 1)
            {
                string window = shape.Rank == 3 ? pool.Kernel + "×" + pool.Kernel : pool.Kernel.ToString(System.Globalization.CultureInfo.InvariantCulture);
                string padded = shape.Rank == 3
                    ? (shape.Height + (2L * padHeight)) + "×" + (shape.Width + (2L * pool.Padding))
                    : (shape.Width + (2L * pool.Padding)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                problems.Add(new ShapeProblem(index, DiagnosticDescriptors.PoolWindowDoesNotFit,
                    new object[] { layer.Name, window, shape.ToString(), padded }));
                return null;
            }

            return new TensorShape(shape.Rank, shape.Channels, height, width);
        }

        /// <summary>Extent of a dilated kernel, in long so that absurd dilations print their true size.</summary>
        private static long Extent(int kernel, int dilation) => ((long)dilation * (kernel - 1)) + 1;

        /// <summary>The stride of a pooling layer after the default: the kernel size, as torch.</summary>
        public static int PoolStride(PoolSpec pool) => pool.Stride == 0 ? pool.Kernel : pool.Stride;

        private static bool RequireSpatial(int index, LayerSpec layer, TensorShape shape, string source, List<ShapeProblem> problems)
        {
            if (shape.Rank >= 2)
            {
                return true;
            }

            problems.Add(new ShapeProblem(index, DiagnosticDescriptors.LayerInputShape,
                new object[] { layer.Name, "a [channels, length] or [channels, height, width]", source, shape.ToString(), "declare the input with channels and extents, or remove '" + layer.Name + "'" }));
            return false;
        }

        private static TensorShape? ResidualEnd(NetworkSpec spec, int index, LayerSpec layer, TensorShape shape, Stack<(int Index, TensorShape Shape)> open, List<ShapeProblem> problems)
        {
            if (open.Count == 0)
            {
                problems.Add(new ShapeProblem(index, DiagnosticDescriptors.UnbalancedResidual,
                    new object[] { layer.Name, "closes a residual block, but no [Residual] before it is open" }));
                return null;
            }

            (int start, TensorShape skip) = open.Pop();
            if (skip != shape)
            {
                problems.Add(new ShapeProblem(index, DiagnosticDescriptors.ResidualShapeMismatch,
                    new object[] { layer.Name, shape.ToString(), skip.ToString(), spec.Layers[start].Name }));
                return null;
            }

            return shape;
        }
    }
}
