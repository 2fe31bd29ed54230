using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NetGen.Benchmarks;

/// <summary>
/// A convolutional network in TorchSharp split in two at its dropout layer, so that a check can
/// apply NetGen's dropout mask where the timed step applies torch's own dropout.
/// </summary>
internal sealed class TorchSharpCnnPeer : IDisposable
{
    private readonly float _dropoutProbability;

    private TorchSharpCnnPeer(Sequential body, Sequential? head, float dropoutProbability)
    {
        Body = body;
        Head = head;
        _dropoutProbability = dropoutProbability;
    }

    /// <summary>Layers up to the dropout layer, or the whole network when it has none.</summary>
    public Sequential Body { get; }

    /// <summary>Layers after the dropout layer, or null.</summary>
    public Sequential? Head { get; }

    /// <summary>Every trainable tensor in the order NetGen's parameter buffer lists them.</summary>
    public IEnumerable<Parameter> Parameters =>
        Head is null ? Body.parameters() : Body.parameters().Concat(Head.parameters());

    /// <summary>
    /// Builds <see cref="FashionCnn"/>: conv without bias, batch norm, ReLU and max pooling twice,
    /// flatten, dense with ReLU, dropout, dense.
    /// </summary>
    public static TorchSharpCnnPeer CreateFashionCnn(ReadOnlySpan<float> parameters)
    {
        Sequential body = nn.Sequential(
            ("conv1", nn.Conv2d(1, 32, 3, padding: 1, bias: false)),
            ("norm1", nn.BatchNorm2d(32)),
            ("relu1", nn.ReLU()),
            ("pool1", nn.MaxPool2d(2)),
            ("conv2", nn.Conv2d(32, 64, 3, padding: 1, bias: false)),
            ("norm2", nn.BatchNorm2d(64)),
            ("relu2", nn.ReLU()),
            ("pool2", nn.MaxPool2d(2)),
            ("flatten", nn.Flatten()),
            ("dense1", nn.Linear(64 * 7 * 7, 128)),
            ("relu3", nn.ReLU()));
        Sequential head = nn.Sequential(("dense2", nn.Linear(128, 10)));
        var peer = new TorchSharpCnnPeer(body, head, FashionCnn.DropoutProbability);
        peer.CopyParameters(parameters);
        return peer;
    }

    /// <summary>Builds <see cref="LeNet5"/>: conv 6@5×5, pool, conv 16@5×5, pool, dense 120, 84, 10.</summary>
    public static TorchSharpCnnPeer CreateLeNet5(ReadOnlySpan<float> parameters)
    {
        Sequential body = nn.Sequential(
            ("conv1", nn.Conv2d(1, 6, 5)),
            ("relu1", nn.ReLU()),
            ("pool1", nn.MaxPool2d(2)),
            ("conv2", nn.Conv2d(6, 16, 5)),
            ("relu2", nn.ReLU()),
            ("pool2", nn.MaxPool2d(2)),
            ("flatten", nn.Flatten()),
            ("dense1", nn.Linear(16 * 4 * 4, 120)),
            ("relu3", nn.ReLU()),
            ("dense2", nn.Linear(120, 84)),
            ("relu4", nn.ReLU()),
            ("dense3", nn.Linear(84, 10)));
        var peer = new TorchSharpCnnPeer(body, null, 0);
        peer.CopyParameters(parameters);
        return peer;
    }

    /// <summary>Switches batch normalisation to batch statistics (training) or running statistics.</summary>
    public void SetTraining(bool training)
    {
        Body.train(training);
        Head?.train(training);
    }

    /// <summary>
    /// Runs the network on [batch, 1, 28, 28] inputs. Between body and head it multiplies by
    /// <paramref name="dropoutMask"/> when one is given, else applies torch's dropout in training mode.
    /// </summary>
    public Tensor Forward(Tensor inputs, Tensor? dropoutMask = null)
    {
        Tensor hidden = Body.forward(inputs);
        if (Head is null)
        {
            return hidden;
        }

        if (dropoutMask is not null)
        {
            hidden = hidden * dropoutMask;
        }
        else if (Body.training)
        {
            hidden = nn.functional.dropout(hidden, _dropoutProbability, training: true);
        }

        return Head.forward(hidden);
    }

    public void Dispose()
    {
        Body.Dispose();
        Head?.Dispose();
    }

    /// <summary>
    /// Copies NetGen's parameter buffer into the modules. Convolution weights are [outChannels,
    /// inChannels, kernel, kernel] and dense weights [outputs, inputs] in both, batch normalisation
    /// stores γ then β, and both list the layers in declaration order with each weight before its bias.
    /// </summary>
    private void CopyParameters(ReadOnlySpan<float> parameters)
    {
        int offset = 0;
        using (no_grad())
        {
            foreach (Parameter parameter in Parameters)
            {
                int length = checked((int)parameter.numel());
                if (offset + length > parameters.Length)
                {
                    throw new ArgumentException(
                        $"The TorchSharp model needs more than the {parameters.Length} parameters NetGen has; the two declarations differ.", nameof(parameters));
                }

                using Tensor values = tensor(parameters.Slice(offset, length).ToArray(), parameter.shape);
                parameter.copy_(values);
                offset += length;
            }
        }

        if (offset != parameters.Length)
        {
            throw new ArgumentException(
                $"The TorchSharp model has {offset} parameters and NetGen {parameters.Length}; the two declarations differ.", nameof(parameters));
        }
    }
}
