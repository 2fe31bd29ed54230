using System;

namespace NetGen.Generator.Model
{
    // Specs are values: they hold no ISymbol, SyntaxNode, Location or Compilation, and every
    // member compares by value. One member without structural equality would make every
    // pipeline step after the parser re-run on every keystroke.

    /// <summary>A network declaration as the user wrote it, before shape checks.</summary>
    internal sealed record NetworkSpec(
        string? Namespace,
        EquatableArray<ContainingTypeSpec> ContainingTypes,
        string ClassName,
        string FullName,
        int InputSize,
        LossSpec Loss,
        EquatableArray<LayerSpec> Layers)
    {
        /// <summary>Shape of one input sample; a flat [InputSize] unless [Input] gave channels and extents.</summary>
        public TensorShape InputShape { get; init; } = TensorShape.Flat(InputSize);

        /// <summary>Whether [Network(Int8 = true)] requests the nested quantized inference class.</summary>
        public bool Int8 { get; init; }

        /// <summary>True when the class carries [SparseInference], which adds a nested SparseModel class.</summary>
        public bool SparseInference { get; init; }

        /// <summary>Name of the generated file, unique per network.</summary>
        public string HintName => FullName.Replace('<', '{').Replace('>', '}') + ".g.cs";
    }

    /// <summary>A type that encloses the network class, outermost first.</summary>
    internal sealed record ContainingTypeSpec(string Keyword, string Name);

    /// <summary>The loss and its options from [Network].</summary>
    internal sealed record LossSpec(Loss Kind, float HuberDelta, float LabelSmoothing, EquatableArray<float> ClassWeights)
    {
        public static LossSpec Of(Loss kind) => new LossSpec(kind, 1f, 0f, EquatableArray<float>.Empty);

        /// <summary>Whether [Network] sets ClassWeights to an array, even an empty one; null leaves it unset.</summary>
        public bool DeclaresClassWeights { get; init; }

        /// <summary>Whether [Network] sets HuberDelta, even to its default of 1.</summary>
        public bool DeclaresHuberDelta { get; init; }

        /// <summary>Whether [Network] sets LabelSmoothing, even to its default of 0.</summary>
        public bool DeclaresLabelSmoothing { get; init; }
    }

    /// <summary>Kind of a declared layer.</summary>
    internal enum LayerKind
    {
        Dense,
        Dropout,
        Convolution,
        MaxPool,
        AvgPool,
        GlobalAvgPool,
        Flatten,
        BatchNorm,
        LayerNorm,
        ResidualStart,
        ResidualEnd,
    }

    /// <summary>
    /// Shape of one sample: rank 1 is a flat [Channels] vector, rank 2 a [Channels, Width]
    /// sequence (Height 1), rank 3 a [Channels, Height, Width] image.
    /// </summary>
    internal readonly record struct TensorShape(int Rank, int Channels, int Height, int Width)
    {
        /// <summary>Values per sample; absurd extents saturate at long.MaxValue instead of wrapping.</summary>
        public long Size => (double)Channels * Height * Width >= long.MaxValue ? long.MaxValue : (long)Channels * Height * Width;

        /// <summary>Positions per channel: Height · Width.</summary>
        public int Spatial => Height * Width;

        public static TensorShape Flat(int size) => new TensorShape(1, size, 1, 1);

        public override string ToString() => Rank switch
        {
            1 => "[" + Channels + "]",
            2 => "[" + Channels + ", " + Width + "]",
            _ => "[" + Channels + ", " + Height + ", " + Width + "]",
        };
    }

    /// <summary>Options of a 1-D (Rank 2) or 2-D (Rank 3) convolution as declared.</summary>
    internal sealed record ConvSpec(
        int Rank,
        int OutChannels,
        int KernelHeight,
        int KernelWidth,
        int Stride,
        int Padding,
        PaddingMode PaddingMode,
        int Dilation,
        int Groups,
        bool Bias);

    /// <summary>Options of a max or average pooling layer as declared; Stride 0 means the kernel size.</summary>
    internal sealed record PoolSpec(int Kernel, int Stride, int Padding);

    /// <summary>How a dense layer's weights start.</summary>
    /// <param name="Gain">Gain that replaces the activation's; NaN keeps the activation's.</param>
    /// <param name="Value">Weight value of <see cref="Initializer.Constant"/>.</param>
    internal sealed record InitSpec(Initializer Kind, FanMode Mode, float Gain, float Value)
    {
        public static InitSpec Default { get; } = new InitSpec(Initializer.Default, FanMode.FanIn, float.NaN, 0f);
    }

    /// <summary>One layer attribute, in declaration order.</summary>
    /// <param name="Name">Name used in diagnostics and generated members, such as "Dense2".</param>
    /// <param name="Outputs">Output units of a dense layer; 0 for dropout, whose size is its input's.</param>
    /// <param name="Alpha">Leaky ReLU slope or ELU α as declared; NaN selects the default.</param>
    /// <param name="Probability">Dropout probability; 0 for dense layers.</param>
    internal sealed record LayerSpec(
        string Name,
        LayerKind Kind,
        int Outputs,
        Activation Activation,
        float Alpha,
        InitSpec Init,
        float L1,
        float L2,
        float Probability)
    {
        /// <summary>Convolution options; null for other kinds.</summary>
        public ConvSpec? Conv { get; init; }

        /// <summary>Pooling options; null for other kinds.</summary>
        public PoolSpec? Pool { get; init; }

        /// <summary>ε of a normalisation layer when not declared, as torch's.</summary>
        public const float DefaultEpsilon = 1e-5f;

        /// <summary>ε of a normalisation layer.</summary>
        public float Epsilon { get; init; }

        /// <summary>Running-statistics momentum of a batch-norm layer.</summary>
        public float Momentum { get; init; }

        /// <summary>
        /// The first option set to NaN explicitly whose NaN would otherwise read as "not set",
        /// Alpha or InitGain; null when none was.
        /// </summary>
        public string? ExplicitNaNOption { get; init; }

        /// <summary>Inputs a dense layer declares it expects; 0 when not declared.</summary>
        public int ExpectedInputs { get; init; }

        /// <summary>Leaky ReLU slope or ELU α when not declared: 0.01 and 1, as torch's.</summary>
        public static float DefaultAlpha(Activation activation) => activation == Activation.Elu ? 1f : 0.01f;

        public static LayerSpec Other(string name, LayerKind kind) =>
            new LayerSpec(name, kind, 0, Activation.Identity, float.NaN, InitSpec.Default, 0f, 0f, 0f);

        public static LayerSpec Dense(string name, int outputs, Activation activation) =>
            new LayerSpec(name, LayerKind.Dense, outputs, activation, float.NaN, InitSpec.Default, 0f, 0f, 0f);

        public static LayerSpec Dropout(string name, float probability) =>
            new LayerSpec(name, LayerKind.Dropout, 0, Activation.Identity, float.NaN, InitSpec.Default, 0f, 0f, probability);
    }
}
