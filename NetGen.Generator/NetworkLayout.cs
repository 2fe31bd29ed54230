using System;
using System.Collections.Generic;
using System.Globalization;
using NetGen.Generator.Model;

namespace NetGen.Generator
{
    /// <summary>A layer with its shapes and its place in the parameter, buffer and activation arrays.</summary>
    internal sealed class LayerLayout
    {
        public LayerLayout(LayerSpec spec, int number, TensorShape input, TensorShape output, int weightOffset, int bufferOffset)
        {
            Spec = spec;
            Name = spec.Name;
            Number = number;
            Kind = spec.Kind;
            InputShape = input;
            OutputShape = output;
            Inputs = (int)input.Size;
            Outputs = (int)output.Size;
            Activation = spec.Activation;
            Alpha = !float.IsNaN(spec.Alpha) ? spec.Alpha : LayerSpec.DefaultAlpha(spec.Activation);
            Initializer = spec.Init.Kind == Initializer.Default
                ? (spec.Activation is Activation.Relu or Activation.LeakyRelu ? Initializer.HeUniform : Initializer.GlorotUniform)
                : spec.Init.Kind;
            (WeightCount, BiasCount) = ParameterShape(spec, input, output);
            WeightOffset = weightOffset;
            BiasOffset = weightOffset + WeightCount;
            BufferOffset = bufferOffset;
            BufferCount = Kind == LayerKind.BatchNorm ? 2 * input.Channels : 0;
            if (Kind == LayerKind.Convolution)
            {
                int area = spec.Conv!.KernelHeight * spec.Conv.KernelWidth;
                FanIn = input.Channels / spec.Conv.Groups * area;
                FanOut = spec.Conv.OutChannels * area;
            }
            else
            {
                FanIn = Inputs;
                FanOut = Outputs;
            }
        }

        public LayerSpec Spec { get; }

        public string Name { get; }

        /// <summary>1-based position among the layers.</summary>
        public int Number { get; }

        public LayerKind Kind { get; }

        public bool IsDense => Kind == LayerKind.Dense;

        /// <summary>Dense and convolution layers: weights drawn by an initializer, an activation, optional penalties.</summary>
        public bool HasWeights => Kind is LayerKind.Dense or LayerKind.Convolution;

        /// <summary>Flatten and residual start pass their input's memory on unchanged and own no arena block.</summary>
        public bool IsAlias => Kind is LayerKind.Flatten or LayerKind.ResidualStart;

        public TensorShape InputShape { get; }

        public TensorShape OutputShape { get; }

        public int Inputs { get; }

        public int Outputs { get; }

        public Activation Activation { get; }

        /// <summary>Leaky ReLU slope or ELU α after defaults: 0.01 and 1, as torch.</summary>
        public float Alpha { get; }

        /// <summary>The initializer after resolving <see cref="Initializer.Default"/>.</summary>
        public Initializer Initializer { get; }

        /// <summary>torch's fan_in: inputs of a dense layer, (input channels / groups) · kernel area of a convolution.</summary>
        public int FanIn { get; }

        /// <summary>torch's fan_out: outputs of a dense layer, output channels · kernel area of a convolution.</summary>
        public int FanOut { get; }

        /// <summary>Start of the weight (dense, convolution) or scale γ (normalisation) in the parameters.</summary>
        public int WeightOffset { get; }

        public int WeightCount { get; }

        /// <summary>Start of the bias or shift β, equal to the end of the weight when there is none.</summary>
        public int BiasOffset { get; }

        public int BiasCount { get; }

        public int ParameterCount => WeightCount + BiasCount;

        /// <summary>Start of a batch norm's running mean, then running variance, in the buffers.</summary>
        public int BufferOffset { get; }

        public int BufferCount { get; }

        /// <summary>True when the activation's derivative needs its input x, not only its output.</summary>
        public bool KeepsPreActivation =>
            (HasWeights || Kind is LayerKind.BatchNorm or LayerKind.LayerNorm) && Activation is Activation.Silu or Activation.GeluErf or Activation.GeluTanh;

        /// <summary>Start of the kept pre-activation σ's input, or −1.</summary>
        public int PreActivationOffset { get; set; } = -1;

        /// <summary>Start of this layer's outputs in the activation arena, in units of MaxBatchSize floats, or −1 for an alias.</summary>
        public int OutputOffset { get; set; } = -1;

        /// <summary>
        /// Start of a second per-sample block, or −1: a dropout mask, max-pool argmax indices, the
        /// normalised input of a norm layer, or the skip gradient of a residual end.
        /// </summary>
        public int ExtraOffset { get; set; } = -1;

        /// <summary>Start of a layer norm's per-sample 1/σ, one float per sample, or −1.</summary>
        public int InverseStdOffset { get; set; } = -1;

        /// <summary>Start of a batch norm's batch mean and 1/σ in the workspace scratch, 2·C floats.</summary>
        public int StatisticsOffset { get; set; } = -1;

        /// <summary>For a residual end, the index of the layer that opened the block.</summary>
        public int SkipIndex { get; set; } = -1;

        /// <summary>Start of a dense layer's outputs in the padded single-sample buffer of a small network.</summary>
        public int SampleOffset { get; set; }

        /// <summary>Name of the per-sample extra block's offset constant.</summary>
        public string ExtraName => Kind switch
        {
            LayerKind.Dropout => "MaskOffset",
            LayerKind.MaxPool => "ArgmaxOffset",
            LayerKind.BatchNorm or LayerKind.LayerNorm => "NormalizedOffset",
            _ => "SkipGradientOffset",
        };

        private static (int Weights, int Biases) ParameterShape(LayerSpec spec, TensorShape input, TensorShape output)
        {
            switch (spec.Kind)
            {
                case LayerKind.Dense:
                    return ((int)(input.Size * output.Size), (int)output.Size);
                case LayerKind.Convolution:
                    ConvSpec conv = spec.Conv!;
                    int weights = conv.OutChannels * (input.Channels / conv.Groups) * conv.KernelHeight * conv.KernelWidth;
                    return (weights, conv.Bias ? conv.OutChannels : 0);
                case LayerKind.BatchNorm:
                    return (input.Channels, input.Channels);
                case LayerKind.LayerNorm:
                    return ((int)input.Size, (int)input.Size);
                default:
                    return (0, 0);
            }
        }
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
            TensorShape[] shapes = ShapeInference.Infer(spec, new List<ShapeProblem>())
                ?? throw new InvalidOperationException("The layout needs a declaration whose shapes check.");
            var layers = new List<LayerLayout>();
            var open = new Stack<int>();
            TensorShape input = spec.InputShape;
            int parameterOffset = 0;
            int bufferOffset = 0;
            int activationOffset = 0;
            int statistics = 0;
            int widest = 0;
            for (int i = 0; i < spec.Layers.Count; i++)
            {
                var layer = new LayerLayout(spec.Layers[i], i + 1, input, shapes[i], parameterOffset, bufferOffset);
                if (!layer.IsAlias)
                {
                    layer.OutputOffset = activationOffset;
                    activationOffset += layer.Outputs;
                }

                if (layer.KeepsPreActivation)
                {
                    layer.PreActivationOffset = activationOffset;
                    activationOffset += layer.Outputs;
                }

                if (layer.Kind is LayerKind.Dropout or LayerKind.MaxPool or LayerKind.BatchNorm or LayerKind.LayerNorm or LayerKind.ResidualEnd)
                {
                    layer.ExtraOffset = activationOffset;
                    activationOffset += layer.Outputs;
                }

                if (layer.Kind == LayerKind.LayerNorm)
                {
                    layer.InverseStdOffset = activationOffset;
                    activationOffset += 1;
                }

                if (layer.Kind == LayerKind.BatchNorm)
                {
                    layer.StatisticsOffset = statistics;
                    statistics += 2 * input.Channels;
                }

                if (layer.Kind == LayerKind.ResidualStart)
                {
                    open.Push(i);
                }
                else if (layer.Kind == LayerKind.ResidualEnd)
                {
                    layer.SkipIndex = open.Pop();
                }

                layers.Add(layer);
                parameterOffset += layer.ParameterCount;
                bufferOffset += layer.BufferCount;
                widest = Math.Max(widest, layer.Outputs);
                input = shapes[i];
            }

            Layers = layers;
            ParameterCount = parameterOffset;
            BufferCount = bufferOffset;
            StatisticsLength = statistics;
            HasPackedSample = true;
            IsSmall = true;
            long denseWeights = 0;
            int sampleOffset = 0;
            foreach (LayerLayout layer in layers)
            {
                HasPackedSample &= layer.IsDense || layer.Kind == LayerKind.Dropout;
                IsSmall &= !layer.IsDense || layer.WeightCount <= SmallLayerWeights;
                denseWeights += layer.IsDense ? layer.WeightCount : 0;
                layer.SampleOffset = sampleOffset;
                sampleOffset += layer.IsDense ? RoundUpToCacheLine(layer.Outputs) : 0;
            }

            HasPackedSample &= denseWeights <= PackedSampleMaxWeights;
            IsSmall &= HasPackedSample;
            SampleBufferLength = sampleOffset;
            MaxWidth = widest;
            DeltaAOffset = activationOffset;
            DeltaBOffset = activationOffset + widest;
            ActivationsPerSample = activationOffset + (2 * widest);
            Architecture = NetworkArchitecture.Describe(spec, layers);
        }

        /// <summary>
        /// Largest weight matrix, in floats, that the single-sample path of a small network keeps
        /// on the packed-weight sample kernel: 64 KB, which stays in L1 and L2 between calls.
        /// </summary>
        public const int SmallLayerWeights = 16384;

        /// <summary>
        /// Largest number of dense weights, in floats, for which single-sample calls keep a packed
        /// copy: 1 Mi floats, so the copy adds at most 4 MiB. At batch 1 every weight is read once
        /// per call, and the packed copy is read as one sequential stream where the row-major
        /// weights are read as eight rows at once.
        /// </summary>
        public const int PackedSampleMaxWeights = 1 << 20;

        public NetworkSpec Spec { get; }

        /// <summary>
        /// True when every layer is dense or dropout and the dense weights fit in
        /// <see cref="PackedSampleMaxWeights"/>, so single-sample calls go through
        /// <c>SampleKernels</c> on a packed copy of the weights instead of the general dense kernels.
        /// </summary>
        public bool HasPackedSample { get; }

        /// <summary>
        /// True when the network has a packed sample path and every dense layer is small enough
        /// (<see cref="SmallLayerWeights"/>) that rebuilding the copy costs about as much as a call.
        /// Such networks rebuild it on the first call after a change. Larger ones run that call
        /// on the row-major weights and rebuild the copy on the next call only if the parameters
        /// have not changed in between, so alternating training and single-sample calls never
        /// pays for packing.
        /// </summary>
        public bool IsSmall { get; }

        /// <summary>Floats in the single-sample buffer: each dense layer's outputs, padded to whole 64-byte cache lines (16 floats), so each starts on one.</summary>
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

        /// <summary>
        /// The last layer that owns an arena block, whose outputs are the network's: a trailing
        /// flatten or residual start only renames them.
        /// </summary>
        public LayerLayout Output
        {
            get
            {
                int i = Layers.Count - 1;
                while (i > 0 && Layers[i].IsAlias)
                {
                    i--;
                }

                return Layers[i];
            }
        }

        /// <summary>
        /// Name of the span that contains layer <paramref name="index"/>'s outputs in generated code:
        /// "a" and the number of the layer that owns the memory, or "x" when an alias reaches the input.
        /// </summary>
        public string OutputName(int index)
        {
            while (index >= 0 && Layers[index].IsAlias)
            {
                index--;
            }

            return index < 0 ? "x" : "a" + Layers[index].Number.ToString(CultureInfo.InvariantCulture);
        }

        /// <summary>The residual end that closes the block a residual start opens.</summary>
        public LayerLayout ResidualEndOf(LayerLayout start)
        {
            foreach (LayerLayout layer in Layers)
            {
                if (layer.SkipIndex == start.Number - 1)
                {
                    return layer;
                }
            }

            throw new InvalidOperationException("Layer " + start.Name + " opens no block.");
        }

        public bool HasDropout => Layers.Count > 0 && Exists(l => l.Kind == LayerKind.Dropout);

        /// <summary>Whether the forward pass differs between training and inference: dropout or batch norm.</summary>
        public bool HasTrainingMode => Exists(l => l.Kind is LayerKind.Dropout or LayerKind.BatchNorm);

        public bool HasConvolution => Exists(l => l.Kind == LayerKind.Convolution);

        public bool HasBatchNorm => Exists(l => l.Kind == LayerKind.BatchNorm);

        public int ParameterCount { get; }

        /// <summary>Floats of non-trained state: batch norms' running statistics.</summary>
        public int BufferCount { get; }

        /// <summary>Floats of batch statistics at the start of the workspace scratch.</summary>
        public int StatisticsLength { get; }

        public int MaxWidth { get; }

        public int DeltaAOffset { get; }

        public int DeltaBOffset { get; }

        public int ActivationsPerSample { get; }

        /// <summary>Text that weight files record to recognise this architecture.</summary>
        public string Architecture { get; }

        /// <summary>Rounds up to a whole number of 8-float vectors.</summary>
        public static int RoundUp(int count) => (count + 7) & ~7;

        /// <summary>Returns <paramref name="count"/> floats rounded up to whole 64-byte cache lines (16 floats).</summary>
        public static int RoundUpToCacheLine(int count) => (count + 15) & ~15;

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
    }
}
