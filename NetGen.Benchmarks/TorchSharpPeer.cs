using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NetGen.Benchmarks;

/// <summary>
/// A TorchSharp nn.Sequential of Linear and activation modules holding a NetGen network's weights.
/// </summary>
internal static class TorchSharpPeer
{
    /// <summary>Builds the model on the CPU and copies the weights and biases of <paramref name="stack"/> into it.</summary>
    public static Sequential CreateModel(DenseStack stack)
    {
        var modules = new (string Name, nn.Module<Tensor, Tensor> Module)[stack.LayerCount * 2];
        int count = 0;
        using (no_grad())
        {
            for (int l = 0; l < stack.LayerCount; l++)
            {
                int inputs = stack.Sizes[l];
                int outputs = stack.Sizes[l + 1];
                Linear linear = nn.Linear(inputs, outputs);
                using (Tensor weight = tensor(stack.Weight(l).ToArray(), [outputs, inputs]))
                using (Tensor bias = tensor(stack.Bias(l).ToArray(), [outputs]))
                {
                    linear.weight!.copy_(weight);
                    linear.bias!.copy_(bias);
                }

                modules[count++] = ($"dense{l + 1}", linear);
                nn.Module<Tensor, Tensor>? activation = stack.Activations[l] switch
                {
                    Activation.Identity => null,
                    Activation.Relu => nn.ReLU(),
                    Activation.Tanh => nn.Tanh(),
                    Activation.Sigmoid => nn.Sigmoid(),
                    _ => throw new ArgumentException($"Activation {stack.Activations[l]} of layer {l + 1} has no TorchSharp module here.", nameof(stack)),
                };
                if (activation is not null)
                {
                    modules[count++] = ($"activation{l + 1}", activation);
                }
            }
        }

        return nn.Sequential(modules.AsSpan(0, count).ToArray());
    }

    /// <summary>Copies a float tensor's values into <paramref name="destination"/>.</summary>
    public static void CopyTo(Tensor source, Span<float> destination)
    {
        var values = source.data<float>();
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = values[i];
        }
    }
}
