using System;
using System.Collections.Generic;
using System.Globalization;
using NetGen.Generator.Model;

namespace NetGen.Generator
{
    /// <summary>A layer with its shape and its place in the parameter and activation buffers.</summary>
    internal sealed class LayerLayout
    {
        public LayerLayout(LayerSpec spec, int number, int inputs, int weightOffset, int outputOffset)
        {
            Spec = spec;
            Name = spec.Name;
            Number = number;
            Kind = spec.Kind;
            Inputs = inputs;
            Outputs = spec.Kind == LayerKind.Dense ? spec.Outputs : inputs;
            Activation = spec.Activation;
            Alpha = !float.IsNaN(spec.Alpha) ? spec.Alpha : spec.Activation == Activation.Elu ? 1f : 0.01f;
            Initializer = spec.Init.Kind == Initializer.Default
                ? (spec.Activation is Activation.Relu or Activation.LeakyRelu ? Initializer.HeUniform : Initializer.GlorotUniform)
                : spec.Init.Kind;
            WeightOffset = weightOffset;
            BiasOffset = weightOffset + (inputs * Outputs);
            OutputOffset = outputOffset;
        }

        public LayerSpec Spec { get; }

        public string Name { get; }

        /// <summary>1-based position among the layers.</summary>
        public int Number { get; }

        public LayerKind Kind { get; }

        public bool IsDense => Kind == LayerKind.Dense;

        public int Inputs { get; }

        public int Outputs { get; }

        public Activation Activation { get; }

        /// <summary>Leaky ReLU slope or ELU α after defaults: 0.01 and 1, as torch.</summary>
        public float Alpha { get; }

        /// <summary>The initializer after resolving <see cref="Initializer.Default"/>.</summary>
        public Initializer Initializer { get; }

        public int WeightOffset { get; }

        public int WeightCount => IsDense ? Inputs * Outputs : 0;

        public int BiasOffset { get; }

        public int ParameterCount => IsDense ? WeightCount + Outputs : 0;

        /// <summary>True when the activation's derivative needs its input x, not only its output.</summary>
        public bool KeepsPreActivation => IsDense && Activation is Activation.Silu or Activation.GeluErf or Activation.GeluTanh;

        /// <summary>Start of this layer's outputs in the activation arena, in units of MaxBatchSize floats.</summary>
        public int OutputOffset { get; }

        /// <summary>Start of the pre-activation W·x + b (or of the dropout mask), or −1 when the layer keeps none.</summary>
        public int ExtraOffset { get; set; } = -1;

        /// <summary>Start of a dense layer's outputs in the padded single-sample buffer of a small network.</summary>
        public int SampleOffset { get; set; }
    }

    /// <summary>
    /// Sizes and offsets of a validated network. The activation arena holds, per sample of the
    /// largest batch, every layer's outputs (plus pre-activations and dropout masks where a
    /// layer needs them) and then two scratch rows of the widest layer that the backward pass
    /// alternates between.
    /// </summary>
    internal sealed class NetworkLayout
    {
        public NetworkLayout(NetworkSpec spec)
        {
            Spec = spec;
            var layers = new List<LayerLayout>();
            int inputs = spec.InputSize;
            int parameterOffset = 0;
            int activationOffset = 0;
            int widest = 0;
            for (int i = 0; i < spec.Layers.Count; i++)
            {
                var layer = new LayerLayout(spec.Layers[i], i + 1, inputs, parameterOffset, activationOffset);
                activationOffset += layer.Outputs;
                if (layer.KeepsPreActivation || layer.Kind == LayerKind.Dropout)
                {
                    layer.ExtraOffset = activationOffset;
                    activationOffset += layer.Outputs;
                }

                layers.Add(layer);
                parameterOffset += layer.ParameterCount;
                widest = Math.Max(widest, layer.Outputs);
                inputs = layer.Outputs;
            }

            Layers = layers;
            ParameterCount = parameterOffset;
            IsSmall = true;
            int sampleOffset = spec.InputSize % 8 == 0 ? 0 : RoundUp(spec.InputSize);
            foreach (LayerLayout layer in layers)
            {
                IsSmall &= !layer.IsDense || layer.WeightCount <= SmallLayerWeights;
                layer.SampleOffset = sampleOffset;
                sampleOffset += layer.IsDense ? RoundUp(layer.Outputs) : 0;
            }

            SampleBufferLength = sampleOffset;
            MaxWidth = widest;
            DeltaAOffset = activationOffset;
            DeltaBOffset = activationOffset + widest;
            ActivationsPerSample = activationOffset + (2 * widest);
            Architecture = BuildArchitecture(spec);
        }

        /// <summary>
        /// Largest weight matrix, in floats, that the single-sample path of a small network keeps
        /// on the register-blocked sample kernel: 64 KB, which stays in L1 and L2 between calls.
        /// </summary>
        public const int SmallLayerWeights = 16384;

        public NetworkSpec Spec { get; }

        /// <summary>
        /// True when every dense layer is small enough that single-sample calls go through
        /// <c>SampleKernels</c> on padded buffers instead of the general dense kernels.
        /// </summary>
        public bool IsSmall { get; }

        /// <summary>Floats in the padded single-sample buffer: the padded input copy, then each dense layer's outputs.</summary>
        public int SampleBufferLength { get; }

        public IReadOnlyList<LayerLayout> Layers { get; }

        public IEnumerable<LayerLayout> DenseLayers
        {
            get
            {
                foreach (LayerLayout layer in Layers)
                {
                    if (layer.IsDense)
                    {
                        yield return layer;
                    }
                }
            }
        }

        /// <summary>The last layer, whose outputs are the network's.</summary>
        public LayerLayout Output => Layers[Layers.Count - 1];

        public bool HasDropout => Layers.Count > 0 && Exists(l => l.Kind == LayerKind.Dropout);

        public int ParameterCount { get; }

        public int MaxWidth { get; }

        public int DeltaAOffset { get; }

        public int DeltaBOffset { get; }

        public int ActivationsPerSample { get; }

        /// <summary>Text that weight files record to recognise this architecture.</summary>
        public string Architecture { get; }

        /// <summary>Rounds up to a whole number of 8-float vectors.</summary>
        public static int RoundUp(int count) => (count + 7) & ~7;

        private bool Exists(Predicate<LayerLayout> match)
        {
            foreach (LayerLayout layer in Layers)
            {
                if (match(layer))
                {
                    return true;
                }
            }

            return false;
        }

        private static string BuildArchitecture(NetworkSpec spec)
        {
            var parts = new List<string> { "Input(" + spec.InputSize.ToString(CultureInfo.InvariantCulture) + ")" };
            foreach (LayerSpec layer in spec.Layers)
            {
                // Dropout has no parameters, but it is part of the declaration a file was saved from.
                parts.Add(layer.Kind == LayerKind.Dense
                    ? "Dense(" + layer.Outputs.ToString(CultureInfo.InvariantCulture) + "," + layer.Activation + ")"
                    : "Dropout(" + layer.Probability.ToString("R", CultureInfo.InvariantCulture) + ")");
            }

            parts.Add("Loss(" + spec.Loss.Kind + ")");
            return string.Join(" ", parts);
        }
    }
}
