using System;
using System.Collections.Generic;
using NetGen.Kernels;

namespace NetGen.Samples;

/// <summary>One layer's shapes, parameter count and multiply-adds per sample.</summary>
/// <param name="Name">Layer kind and size, for example "Conv2D 6@5×5".</param>
/// <param name="Input">Input shape [channels, height, width]; a flat vector is [n, 1, 1].</param>
/// <param name="Output">Output shape, in the same form.</param>
/// <param name="Parameters">Weights and biases.</param>
/// <param name="MultiplyAdds">Multiply-adds of the forward pass of one sample.</param>
internal sealed record LayerCost(string Name, (int C, int H, int W) Input, (int C, int H, int W) Output, long Parameters, long MultiplyAdds);

/// <summary>
/// Walks a convolutional network's layers from its input shape, computing every layer's output
/// shape with torch's output-size formula, and counts parameters and multiply-adds per sample.
/// </summary>
/// <remarks>
/// Only convolutions and dense layers count: pooling, activations and normalisation do a few
/// operations per value, under 1 % of LeNet-5's multiply-adds. Training costs follow from the
/// forward count. The backward pass of a layer computes the weight gradient (one multiply-add per
/// forward multiply-add) and the gradient of its input (the same again). The first layer has no
/// input gradient to compute, because nothing before it needs one.
/// </remarks>
internal sealed class LayerCosts
{
    private readonly List<LayerCost> _layers = [];
    private (int C, int H, int W) _shape;

    /// <summary>Starts at an input of the given shape.</summary>
    public LayerCosts(int channels, int height, int width) => _shape = (channels, height, width);

    /// <summary>The layers added so far, in order.</summary>
    public IReadOnlyList<LayerCost> Layers => _layers;

    /// <summary>Weights and biases of all layers.</summary>
    public long Parameters
    {
        get
        {
            long total = 0;
            foreach (LayerCost layer in _layers)
            {
                total += layer.Parameters;
            }

            return total;
        }
    }

    /// <summary>Floating-point operations of one sample's forward pass: 2 per multiply-add.</summary>
    public long ForwardFlops
    {
        get
        {
            long total = 0;
            foreach (LayerCost layer in _layers)
            {
                total += 2 * layer.MultiplyAdds;
            }

            return total;
        }
    }

    /// <summary>
    /// Floating-point operations of one sample's training step by the usual convention that the
    /// backward pass costs twice the forward pass: 3 × <see cref="ForwardFlops"/>.
    /// </summary>
    public long ConventionalTrainingFlops => 3 * ForwardFlops;

    /// <summary>
    /// Floating-point operations of one sample's training step, counted exactly: the forward pass,
    /// the weight gradient of every layer, and the input gradient of every layer but the first.
    /// </summary>
    public long TrainingFlops
    {
        get
        {
            LayerCost? first = _layers.Find(layer => layer.MultiplyAdds > 0);
            return (3 * ForwardFlops) - (first is null ? 0 : 2 * first.MultiplyAdds);
        }
    }

    /// <summary>Adds a 2-D convolution with a square kernel, stride 1 and <paramref name="padding"/> zeros on every side.</summary>
    public LayerCosts Conv2D(int outChannels, int kernel, int padding = 0, bool bias = true)
    {
        (int c, int h, int w) = _shape;
        int height = ConvArithmetic.OutputSize(h, kernel, stride: 1, padding, padding, dilation: 1);
        int width = ConvArithmetic.OutputSize(w, kernel, stride: 1, padding, padding, dilation: 1);
        if (height < 1 || width < 1)
        {
            throw new ArgumentException($"A {kernel}×{kernel} kernel with padding {padding} does not fit the {h}×{w} input of layer {_layers.Count + 1}.", nameof(kernel));
        }

        long weights = (long)outChannels * c * kernel * kernel;
        long multiplyAdds = (long)outChannels * height * width * c * kernel * kernel;
        return Add($"Conv2D {outChannels}@{kernel}×{kernel}", (outChannels, height, width), weights + (bias ? outChannels : 0), multiplyAdds);
    }

    /// <summary>Adds batch normalisation: a scale γ and a shift β per channel.</summary>
    public LayerCosts BatchNorm() => Add("BatchNorm", _shape, 2L * _shape.C, 0);

    /// <summary>Adds max or average pooling with a square window whose stride equals its size.</summary>
    public LayerCosts Pool(int kernel)
    {
        (int c, int h, int w) = _shape;
        int height = ConvArithmetic.OutputSize(h, kernel, kernel, 0, 0, 1);
        int width = ConvArithmetic.OutputSize(w, kernel, kernel, 0, 0, 1);
        return Add($"Pool {kernel}×{kernel}", (c, height, width), 0, 0);
    }

    /// <summary>Adds the reshape to a flat vector.</summary>
    public LayerCosts Flatten() => Add("Flatten", (_shape.C * _shape.H * _shape.W, 1, 1), 0, 0);

    /// <summary>Adds a dense layer; the input must be flat.</summary>
    public LayerCosts Dense(int outputs)
    {
        if (_shape.H != 1 || _shape.W != 1)
        {
            throw new InvalidOperationException($"Layer {_layers.Count + 1} is dense, but its input is [{_shape.C}, {_shape.H}, {_shape.W}]; add Flatten first.");
        }

        long inputs = _shape.C;
        return Add($"Dense {outputs}", (outputs, 1, 1), (inputs * outputs) + outputs, inputs * outputs);
    }

    private LayerCosts Add(string name, (int C, int H, int W) output, long parameters, long multiplyAdds)
    {
        _layers.Add(new LayerCost(name, _shape, output, parameters, multiplyAdds));
        _shape = output;
        return this;
    }
}
