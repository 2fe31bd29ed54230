using Microsoft.CodeAnalysis;

namespace NetGen.Generator
{
    /// <summary>
    /// Every diagnostic NetGen reports. IDs are allocated in blocks by area and never renumbered:
    /// 0001–0099 declaration, 0100–0199 shapes, 0200–0299 attribute values, 0300–0399
    /// quantization and sparsity, 0900–0999 generator failures. Each ID has a help page under
    /// docs/diagnostics/.
    /// </summary>
    internal static class DiagnosticDescriptors
    {
        private const string DeclarationCategory = "NetGen.Declaration";
        private const string ShapeCategory = "NetGen.Shapes";
        private const string ValueCategory = "NetGen.Values";
        private const string QuantizationCategory = "NetGen.Quantization";
        private const string SparsityCategory = "NetGen.Sparsity";
        private const string GeneratorCategory = "NetGen.Generator";

        public static readonly DiagnosticDescriptor ClassNotPartial = Create(
            "NETGEN0001",
            "Network class is not partial",
            "Class '{0}' has [Network] but is not declared partial; add the 'partial' modifier so NetGen can add the generated members",
            DeclarationCategory);

        public static readonly DiagnosticDescriptor ContainingTypeNotPartial = Create(
            "NETGEN0002",
            "Type containing a network is not partial",
            "Network '{0}' is nested in '{1}', which is not declared partial; add the 'partial' modifier to '{1}'",
            DeclarationCategory);

        public static readonly DiagnosticDescriptor MissingInput = Create(
            "NETGEN0003",
            "Network has no input size",
            "Network '{0}' has no [Input] attribute; declare the number of input features before the first layer, for example [Input(784)]",
            DeclarationCategory);

        public static readonly DiagnosticDescriptor NoLayers = Create(
            "NETGEN0004",
            "Network has no layers",
            "Network '{0}' declares no layer with weights; add at least one dense or convolution layer after [Input], for example [Dense(10)]",
            DeclarationCategory);

        public static readonly DiagnosticDescriptor UnsupportedClassShape = Create(
            "NETGEN0005",
            "Network class cannot be generated",
            "Network '{0}' is {1}; a NetGen network must be a non-generic, non-static, non-record class without explicit field layout",
            DeclarationCategory);

        public static readonly DiagnosticDescriptor LayersOnSeveralDeclarations = Create(
            "NETGEN0006",
            "Layers spread over several partial declarations",
            "Network '{0}' declares NetGen attributes on more than one partial declaration; put [Network], [Input] and every layer on one declaration so their order is defined",
            DeclarationCategory);

        public static readonly DiagnosticDescriptor InputAfterLayer = Create(
            "NETGEN0007",
            "Input declared after a layer",
            "Network '{0}' declares [Input] after layer '{1}'; move [Input] above the first layer, because layers are read top to bottom",
            DeclarationCategory);

        public static readonly DiagnosticDescriptor ConstructorSkipsSeed = Create(
            "NETGEN0011",
            "Constructor does not call this(seed)",
            "Network '{0}' declares the constructor '{1}', which does not call this(seed), so the network's parameters would never be allocated; add ': this(seed)' to it, for example ': this(0)'",
            DeclarationCategory);

        public static readonly DiagnosticDescriptor GeneratedMemberConflict = Create(
            "NETGEN0008",
            "Member conflicts with generated code",
            "Network '{0}' declares {1}, which conflicts with a member that NetGen generates; rename or remove it",
            DeclarationCategory);

        public static readonly DiagnosticDescriptor NetworkHasBaseClass = Create(
            "NETGEN0009",
            "Network class has a base class",
            "Network '{0}' derives from '{1}'; a NetGen network must derive from object, because its generated constructor and members would depend on or hide the base class's",
            DeclarationCategory);

        public static readonly DiagnosticDescriptor LayersWithoutNetwork = Create(
            "NETGEN0010",
            "Layer attributes without [Network]",
            "Type '{0}' has NetGen layer attributes or [SparseInference] but no [Network] attribute, so NetGen generates nothing for it; add [Network] or remove the NetGen attributes",
            DeclarationCategory,
            DiagnosticSeverity.Warning);

        public static readonly DiagnosticDescriptor NonPositiveSize = Create(
            "NETGEN0101",
            "Size is not positive",
            "{0} of '{1}' is {2}, but it must be at least 1",
            ShapeCategory);

        public static readonly DiagnosticDescriptor SoftmaxOnSingleOutput = Create(
            "NETGEN0102",
            "Softmax cross-entropy on a single output",
            "Network '{0}' uses SoftmaxCrossEntropy, but its last layer '{1}' has 1 output; softmax over one output is always 1, so nothing can be learned. Give '{1}' at least 2 outputs or use Loss.SquaredError",
            ShapeCategory);

        public static readonly DiagnosticDescriptor TooManyParameters = Create(
            "NETGEN0103",
            "Network is too large",
            "Network '{0}' needs {1} parameters or activations per sample, more than one .NET array holds ({2}); make the layers smaller",
            ShapeCategory);

        public static readonly DiagnosticDescriptor ActivationBeforeSoftmax = Create(
            "NETGEN0104",
            "Activation before a loss that takes logits",
            "Layer '{0}' applies {1} before the {3} loss of network '{2}', which expects raw logits; declare '{0}' with Activation.Identity",
            ShapeCategory,
            DiagnosticSeverity.Warning);

        public static readonly DiagnosticDescriptor LossOptionMismatch = Create(
            "NETGEN0105",
            "Loss option does not apply",
            "Network '{0}' sets {1}, which applies only to Loss.{2}, but its loss is {3}; remove {1} or change the loss",
            ShapeCategory);

        public static readonly DiagnosticDescriptor ClassWeightCount = Create(
            "NETGEN0106",
            "Class weights do not match the outputs",
            "Network '{0}' gives {1} class weights, but its output layer '{2}' has {3} outputs; give one weight per output",
            ShapeCategory);

        public static readonly DiagnosticDescriptor UnusedOption = Create(
            "NETGEN0107",
            "Option has no effect",
            "Layer '{0}' sets {1}, which has no effect with {2}; remove {1}",
            ShapeCategory,
            DiagnosticSeverity.Warning);

        public static readonly DiagnosticDescriptor LayerInputShape = Create(
            "NETGEN0108",
            "Layer does not accept its input's shape",
            "Layer '{0}' needs {1} input, but {2} gives it {3}; {4}",
            ShapeCategory);

        public static readonly DiagnosticDescriptor KernelDoesNotFit = Create(
            "NETGEN0109",
            "Kernel larger than its padded input",
            "Layer '{0}' has a window spanning {1}, but its input {2} padded is only {3}; use a smaller kernel or dilation, more padding, or a larger input",
            ShapeCategory);

        // Pooling shares NETGEN0109 with convolution; only the advice differs, as pooling has no dilation.
        public static readonly DiagnosticDescriptor PoolWindowDoesNotFit = Create(
            "NETGEN0109",
            "Kernel larger than its padded input",
            "Layer '{0}' has a window spanning {1}, but its input {2} padded is only {3}; use a smaller window, more padding, or a larger input",
            ShapeCategory);

        public static readonly DiagnosticDescriptor ResidualShapeMismatch = Create(
            "NETGEN0110",
            "Residual branch changes the shape",
            "Layer '{0}' adds the branch output {1} to the skip input {2} kept at '{3}'; the shapes must match, so make the branch keep the shape",
            ShapeCategory);

        public static readonly DiagnosticDescriptor UnbalancedResidual = Create(
            "NETGEN0111",
            "Residual block is not balanced",
            "Layer '{0}' {1}; pair every [Residual] with a later [ResidualEnd]",
            ShapeCategory);

        public static readonly DiagnosticDescriptor DenseInputsMismatch = Create(
            "NETGEN0112",
            "Dense layer declares other inputs than it receives",
            "Layer '{0}' declares Inputs = {1}, but {2} gives it {3} values ({4}); set Inputs = {3} or change the layers before it",
            ShapeCategory);

        public static readonly DiagnosticDescriptor GroupsDoNotDivide = Create(
            "NETGEN0113",
            "Groups do not divide the channels",
            "Layer '{0}' has Groups = {1}, which does not divide its {2} ({3}); choose a divisor of both channel counts ({4} in, {5} out)",
            ShapeCategory);

        public static readonly DiagnosticDescriptor SamePaddingWithStride = Create(
            "NETGEN0114",
            "Same padding with a stride above 1",
            "Layer '{0}' uses PaddingMode.Same with Stride = {1}; as in torch, same padding needs stride 1, so give an explicit Padding",
            ShapeCategory);

        public static readonly DiagnosticDescriptor UnknownActivation = Create(
            "NETGEN0201",
            "Unknown activation",
            "Layer '{0}' uses activation value {1}, which is not a member of NetGen.Activation; use one of {2}",
            ValueCategory);

        public static readonly DiagnosticDescriptor UnknownLoss = Create(
            "NETGEN0202",
            "Unknown loss",
            "Network '{0}' uses loss value {1}, which is not a member of NetGen.Loss; use one of {2}",
            ValueCategory);

        public static readonly DiagnosticDescriptor UnknownInitializer = Create(
            "NETGEN0203",
            "Unknown initializer",
            "Layer '{0}' uses initializer value {1}, which is not a member of NetGen.Initializer; use one of {2}",
            ValueCategory);

        public static readonly DiagnosticDescriptor UnreadableAttribute = Create(
            "NETGEN0204",
            "Attribute argument cannot be read",
            "The {0} attribute on '{1}' has an argument that is not a compile-time constant of the expected type; write a literal or a constant",
            ValueCategory);

        public static readonly DiagnosticDescriptor ValueOutOfRange = Create(
            "NETGEN0205",
            "Value out of range",
            "{0} of '{1}' is {2}, but it must be {3}",
            ValueCategory);

        public static readonly DiagnosticDescriptor UnknownFanMode = Create(
            "NETGEN0206",
            "Unknown fan mode",
            "Layer '{0}' uses InitMode value {1}, which is not a member of NetGen.FanMode; use one of {2}",
            ValueCategory);

        public static readonly DiagnosticDescriptor LayerRunsInFloat = Create(
            "NETGEN0301",
            "Layer runs in float in the int8 path",
            "Layer '{0}' ({1}) has no int8 kernel, so the quantized path of this network runs it in float, on fp32 values as the float network runs it at inference",
            QuantizationCategory,
            DiagnosticSeverity.Info);

        public static readonly DiagnosticDescriptor Int8WithoutDenseLayer = Create(
            "NETGEN0302",
            "Int8 network has no dense layer",
            "Network '{0}' sets Int8 = true but has no dense layer; the int8 path quantizes only dense layers, so its Quantized class would run every layer in float. Add a dense layer, for example [Dense(10)], or remove Int8 = true",
            QuantizationCategory);

        public static readonly DiagnosticDescriptor SparseInferenceWithoutDenseLayer = Create(
            "NETGEN0303",
            "Sparse inference network has no dense layer",
            "Network '{0}' has [SparseInference] but no dense layer; only dense layers get sparse weights, so its SparseModel would run every layer in float. Add a dense layer, for example [Dense(10)], or remove [SparseInference]",
            SparsityCategory);

        public static readonly DiagnosticDescriptor Int8TooManyInputs = Create(
            "NETGEN0304",
            "Int8 dense layer has too many inputs",
            "Layer '{0}' has {1} inputs, but an int8 dense layer takes at most {2}, the most for which its int32 sums stay exact. Reduce the layer's inputs, for example with pooling before a flatten or a narrower layer before it, or remove Int8 = true",
            QuantizationCategory);

        public static readonly DiagnosticDescriptor InternalError = Create(
            "NETGEN0901",
            "NetGen failed",
            "NetGen failed to generate '{0}': {1}. This is a bug in NetGen; please report it with the declaration",
            GeneratorCategory);

        private static DiagnosticDescriptor Create(
            string id,
            string title,
            string message,
            string category,
            DiagnosticSeverity severity = DiagnosticSeverity.Error) =>
            new DiagnosticDescriptor(
                id,
                title,
                message,
                category,
                severity,
                isEnabledByDefault: true,
                helpLinkUri: "docs/diagnostics/" + id + ".md");
    }
}
