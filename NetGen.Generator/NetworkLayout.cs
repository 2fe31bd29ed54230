using System;
using System.Collections.Generic;
using System.Globalization;
using NetGen.Generator.Model;

namespace NetGen.Generator
{
    /// <summary>A dense layer with its shape and its place in the parameter and activation buffers.</summary>
    internal sealed class DenseLayout
    {
        public DenseLayout(LayerSpec spec, int number, int inputs, int weightOffset, int activationOffset)
        {
            Name = spec.Name;
            Number = number;
            Inputs = inputs;
            Outputs = spec.Outputs;
            Activation = spec.Activation;
            Initializer = spec.Initializer == Initializer.Default
                ? (spec.Activation == Activation.Relu ? Initializer.HeUniform : Initializer.GlorotUniform)
                : spec.Initializer;
            WeightOffset = weightOffset;
            BiasOffset = weightOffset + (inputs * spec.Outputs);
            ActivationOffset = activationOffset;
        }

        public string Name { get; }

        /// <summary>1-based position among the layers.</summary>
        public int Number { get; }

        public int Inputs { get; }

        public int Outputs { get; }

        public Activation Activation { get; }

        /// <summary>The initializer after resolving <see cref="Initializer.Default"/>.</summary>
        public Initializer Initializer { get; }

        public int WeightOffset { get; }

        public int WeightCount => Inputs * Outputs;

        public int BiasOffset { get; }

        public int ParameterCount => WeightCount + Outputs;

        /// <summary>Start of this layer's outputs in the activation arena, in units of MaxBatchSize floats.</summary>
        public int ActivationOffset { get; }
    }

    /// <summary>
    /// Sizes and offsets of a validated network. The activation arena holds, per sample of the
    /// largest batch, every layer's outputs and then two scratch rows of the widest layer that
    /// the backward pass alternates between.
    /// </summary>
    internal sealed class NetworkLayout
    {
        public NetworkLayout(NetworkSpec spec)
        {
            Spec = spec;
            var layers = new List<DenseLayout>();
            int inputs = spec.InputSize;
            int parameterOffset = 0;
            int activationOffset = 0;
            int widest = 0;
            for (int i = 0; i < spec.Layers.Count; i++)
            {
                var layer = new DenseLayout(spec.Layers[i], i + 1, inputs, parameterOffset, activationOffset);
                layers.Add(layer);
                parameterOffset += layer.ParameterCount;
                activationOffset += layer.Outputs;
                widest = Math.Max(widest, layer.Outputs);
                inputs = layer.Outputs;
            }

            Layers = layers;
            ParameterCount = parameterOffset;
            MaxWidth = widest;
            DeltaAOffset = activationOffset;
            DeltaBOffset = activationOffset + widest;
            ActivationsPerSample = activationOffset + (2 * widest);
            Architecture = BuildArchitecture(spec);
        }

        public NetworkSpec Spec { get; }

        public IReadOnlyList<DenseLayout> Layers { get; }

        public DenseLayout Output => Layers[Layers.Count - 1];

        public int ParameterCount { get; }

        public int MaxWidth { get; }

        public int DeltaAOffset { get; }

        public int DeltaBOffset { get; }

        public int ActivationsPerSample { get; }

        /// <summary>Text that weight files record to recognise this architecture.</summary>
        public string Architecture { get; }

        private static string BuildArchitecture(NetworkSpec spec)
        {
            var parts = new List<string> { "Input(" + spec.InputSize.ToString(CultureInfo.InvariantCulture) + ")" };
            foreach (LayerSpec layer in spec.Layers)
            {
                parts.Add("Dense(" + layer.Outputs.ToString(CultureInfo.InvariantCulture) + "," + layer.Activation + ")");
            }

            parts.Add("Loss(" + spec.Loss + ")");
            return string.Join(" ", parts);
        }
    }
}
