using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using NetGen.Generator.Model;

namespace NetGen.Generator
{
    public sealed partial class NetworkGenerator
    {
        /// <summary>
        /// Turns one class marked [Network] into a <see cref="NetworkSpec"/>, or into diagnostics
        /// when the declaration cannot be generated.
        /// </summary>
        internal static partial class Parser
        {
            public const string NetworkAttributeName = "NetGen.NetworkAttribute";
            private const string InputAttributeName = "NetGen.InputAttribute";
            private const string SparseInferenceAttributeName = "NetGen.SparseInferenceAttribute";
            private const string SparseModelName = "SparseModel";

            /// <summary>The private method that the generated SparseModel calls.</summary>
            private const string SparseForwardName = "RunSparseForward";

            public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
            {
                var declaration = (TypeDeclarationSyntax)context.TargetNode;
                try
                {
                    return ParseCore(declaration, (INamedTypeSymbol)context.TargetSymbol, context.Attributes, cancellationToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    var failure = DiagnosticInfo.Create(
                        DiagnosticDescriptors.InternalError,
                        declaration.SyntaxTree,
                        declaration.Identifier.Span,
                        declaration.Identifier.ValueText,
                        exception.GetType().Name + ": " + exception.Message);
                    return new ParseResult(null, new EquatableArray<DiagnosticInfo>(new[] { failure }));
                }
            }

            private static ParseResult ParseCore(
                TypeDeclarationSyntax declaration,
                INamedTypeSymbol symbol,
                ImmutableArray<AttributeData> networkAttributes,
                CancellationToken cancellationToken)
            {
                var diagnostics = new List<DiagnosticInfo>();
                SyntaxTree tree = declaration.SyntaxTree;
                TextSpan nameSpan = declaration.Identifier.Span;
                string className = symbol.Name;

                if (!CheckClassShape(declaration, symbol, diagnostics))
                {
                    return Result(null, diagnostics);
                }

                EquatableArray<ContainingTypeSpec> containingTypes = ReadContainingTypes(symbol, tree, nameSpan, diagnostics);

                // A half-typed [Network(...)] binds to no constructor; the compiler already
                // reports that error, so NetGen adds nothing and waits for valid code.
                if (networkAttributes.IsDefaultOrEmpty || networkAttributes[0].AttributeConstructor is null)
                {
                    return Result(null, diagnostics);
                }

                AttributeData networkAttribute = networkAttributes[0];
                LossSpec? loss = ReadLoss(networkAttribute);
                if (loss is null)
                {
                    diagnostics.Add(Located(DiagnosticDescriptors.UnreadableAttribute, networkAttribute, tree, nameSpan, "[Network]", className));
                    return Result(null, diagnostics);
                }

                cancellationToken.ThrowIfCancellationRequested();

                List<AttributeData>? ordered = OrderNetGenAttributes(declaration, symbol, diagnostics, tree, nameSpan, className);
                if (ordered is null)
                {
                    return Result(null, diagnostics);
                }

                TensorShape? inputShape = null;
                AttributeData? inputAttribute = null;
                var layers = new List<LayerSpec>();
                var layerAttributes = new List<AttributeData>();
                foreach (AttributeData attribute in ordered)
                {
                    // Binding failed (half-typed arguments): the compiler reports it already.
                    if (attribute.AttributeConstructor is null)
                    {
                        return Result(null, diagnostics);
                    }

                    string kind = attribute.AttributeClass!.ToDisplayString();
                    if (kind == InputAttributeName)
                    {
                        if (layers.Count > 0)
                        {
                            diagnostics.Add(Located(DiagnosticDescriptors.InputAfterLayer, attribute, tree, nameSpan, className, layers[layers.Count - 1].Name));
                            return Result(null, diagnostics);
                        }

                        inputShape = ReadInputShape(attribute);
                        if (inputShape is null)
                        {
                            diagnostics.Add(Located(DiagnosticDescriptors.UnreadableAttribute, attribute, tree, nameSpan, "[Input]", className));
                            return Result(null, diagnostics);
                        }

                        inputAttribute = attribute;
                    }
                    else
                    {
                        LayerSpec? layer = ReadLayer(attribute, kind, layers.Count + 1, out string layerName);
                        if (layer is null)
                        {
                            diagnostics.Add(Located(DiagnosticDescriptors.UnreadableAttribute, attribute, tree, nameSpan, "[" + ShortName(kind) + "]", layerName));
                            return Result(null, diagnostics);
                        }

                        layers.Add(layer);
                        layerAttributes.Add(attribute);
                    }
                }

                if (inputShape is null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingInput, tree, nameSpan, className));
                    return Result(null, diagnostics);
                }

                bool int8 = ReadInt8(networkAttribute);
                if (!CheckGeneratedMembers(symbol, layers, int8, tree, nameSpan, diagnostics))
                {
                    return Result(null, diagnostics);
                }

                var spec = new NetworkSpec(
                    Identifiers.Namespace(symbol.ContainingNamespace),
                    containingTypes,
                    Identifiers.Escape(className),
                    Identifiers.PlainFullName(symbol),
                    (int)Math.Min(inputShape.Value.Size, int.MaxValue),
                    loss,
                    EquatableArray<LayerSpec>.From(layers))
                {
                    InputShape = inputShape.Value,
                    Int8 = int8,
                };

                // Without a dense layer the error explains why nothing is quantized, so the
                // per-layer Info list would only repeat it.
                if (int8 && OnlyConvolutionWeights(layers))
                {
                    diagnostics.Add(Located(DiagnosticDescriptors.Int8WithoutDenseLayer, networkAttribute, tree, nameSpan, className));
                }
                else if (int8 && HasLayer(layers, LayerKind.Dense))
                {
                    ReportFloatLayers(layers, layerAttributes, tree, nameSpan, diagnostics);
                }

                spec = ReadSparseInference(symbol, spec, tree, nameSpan, diagnostics);

                // Shape rules speak in layer indices; map each problem back to its attribute.
                foreach (ShapeProblem problem in ShapeRules.Check(spec))
                {
                    AttributeData? at = problem.LayerIndex switch
                    {
                        ShapeProblem.InputIndex => inputAttribute,
                        ShapeProblem.NetworkIndex => networkAttribute,
                        ShapeProblem.ClassIndex => null,
                        _ => layerAttributes[problem.LayerIndex],
                    };
                    diagnostics.Add(Located(problem.Descriptor, at, tree, nameSpan, problem.Arguments));
                }

                bool hasError = diagnostics.Exists(d => d.Descriptor.DefaultSeverity == DiagnosticSeverity.Error);
                return Result(hasError ? null : spec, diagnostics);
            }

            private static bool CheckClassShape(TypeDeclarationSyntax declaration, INamedTypeSymbol symbol, List<DiagnosticInfo> diagnostics)
            {
                SyntaxTree tree = declaration.SyntaxTree;
                TextSpan nameSpan = declaration.Identifier.Span;
                string? problem = null;
                if (symbol.IsRecord)
                {
                    problem = "a record";
                }
                else if (symbol.TypeKind != TypeKind.Class)
                {
                    problem = "not a class";
                }
                else if (symbol.IsStatic)
                {
                    problem = "static";
                }
                else if (symbol.TypeParameters.Length > 0)
                {
                    problem = "generic";
                }
                else if (IsFileLocal(declaration))
                {
                    problem = "file-local";
                }
                else if (FileLocalContainer(symbol) is string container)
                {
                    // The generated part would reopen the container without 'file', which declares another type.
                    problem = "nested in the file-local type '" + container + "'";
                }
                else if (HasExplicitLayout(symbol))
                {
                    // The generated fields carry no [FieldOffset], which explicit layout requires of every field.
                    problem = "declared with [StructLayout(LayoutKind.Explicit)]";
                }

                if (problem is null && symbol.BaseType is { SpecialType: not SpecialType.System_Object } baseType)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NetworkHasBaseClass, tree, nameSpan, symbol.Name, baseType.ToDisplayString()));
                    return false;
                }

                if (problem is not null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedClassShape, tree, nameSpan, symbol.Name, problem));
                    return false;
                }

                if (!declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ClassNotPartial, tree, nameSpan, symbol.Name));
                    return false;
                }

                return true;
            }

            /// <summary>Returns whether <paramref name="symbol"/> carries [StructLayout(LayoutKind.Explicit)].</summary>
            private static bool HasExplicitLayout(INamedTypeSymbol symbol)
            {
                foreach (AttributeData attribute in symbol.GetAttributes())
                {
                    if (attribute.AttributeClass?.ToDisplayString() == "System.Runtime.InteropServices.StructLayoutAttribute" &&
                        attribute.ConstructorArguments.Length == 1 &&
                        attribute.ConstructorArguments[0].Value is int kind &&
                        kind == (int)System.Runtime.InteropServices.LayoutKind.Explicit)
                    {
                        return true;
                    }
                }

                return false;
            }

            // The 'file' modifier arrived after the Roslyn version this generator builds against,
            // so it is recognised by its text.
            /// <summary>Returns the name of the innermost type containing <paramref name="symbol"/> that is declared 'file', or null.</summary>
            private static string? FileLocalContainer(INamedTypeSymbol symbol)
            {
                for (INamedTypeSymbol? outer = symbol.ContainingType; outer is not null; outer = outer.ContainingType)
                {
                    foreach (SyntaxReference reference in outer.DeclaringSyntaxReferences)
                    {
                        if (reference.GetSyntax() is TypeDeclarationSyntax declaration && IsFileLocal(declaration))
                        {
                            return outer.Name;
                        }
                    }
                }

                return null;
            }

            private static bool IsFileLocal(TypeDeclarationSyntax declaration)
            {
                foreach (SyntaxToken modifier in declaration.Modifiers)
                {
                    if (modifier.ValueText == "file")
                    {
                        return true;
                    }
                }

                return false;
            }

            /// <summary>
            /// Reports members the user declared that the generated code would duplicate as NETGEN0008:
            /// same-named members, a constructor taking one int, a primary constructor, or a class named
            /// like a member. Reports a constructor that does not chain to the generated one as NETGEN0011.
            /// </summary>
            private static bool CheckGeneratedMembers(
                INamedTypeSymbol symbol, List<LayerSpec> layers, bool int8, SyntaxTree tree, TextSpan nameSpan, List<DiagnosticInfo> diagnostics)
            {
                HashSet<string> generated = GeneratedMembers.Names(layers, int8);
                string? conflict = generated.Contains(symbol.Name) ? "the class name '" + symbol.Name + "'" : null;
                ISymbol? conflicting = null;
                foreach (ISymbol member in symbol.GetMembers())
                {
                    if (conflict is not null)
                    {
                        break;
                    }

                    if (member.IsImplicitlyDeclared)
                    {
                        continue;
                    }

                    if (member is IMethodSymbol { MethodKind: MethodKind.Constructor } constructor)
                    {
                        bool primary = false;
                        foreach (SyntaxReference reference in constructor.DeclaringSyntaxReferences)
                        {
                            primary |= reference.GetSyntax() is TypeDeclarationSyntax;
                        }

                        if (primary)
                        {
                            conflict = "a primary constructor";
                        }
                        else if (constructor.IsStatic)
                        {
                            continue;
                        }
                        else if (constructor.Parameters.Length == 1 && constructor.Parameters[0].RefKind == RefKind.None && constructor.Parameters[0].Type.SpecialType == SpecialType.System_Int32)
                        {
                            conflict = "a constructor taking one int";
                            conflicting = constructor;
                        }
                        else if (!ChainsToThis(constructor))
                        {
                            // Only the generated constructor allocates the parameters and workspaces.
                            string signature = symbol.Name + "(" + string.Join(", ", constructor.Parameters.Select(p => p.Type.ToDisplayString())) + ")";
                            (SyntaxTree constructorTree, TextSpan constructorSpan) = SourceSpan(constructor, tree, nameSpan);
                            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ConstructorSkipsSeed, constructorTree, constructorSpan, symbol.Name, signature));
                            return false;
                        }
                    }
                    else if (ExplicitNetGenImplementation(member) is string implemented)
                    {
                        // The generated members implement these interfaces, so an explicit implementation
                        // would duplicate them or take over interface calls from them.
                        conflict = "an explicit implementation of '" + implemented + "'";
                        conflicting = member;
                    }
                    else if (generated.Contains(member.Name))
                    {
                        conflict = "'" + member.Name + "'";
                        conflicting = member;
                    }
                }

                if (conflict is null)
                {
                    return true;
                }

                (SyntaxTree conflictTree, TextSpan conflictSpan) = conflicting is null ? (tree, nameSpan) : SourceSpan(conflicting, tree, nameSpan);
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GeneratedMemberConflict, conflictTree, conflictSpan, symbol.Name, conflict));
                return false;
            }

            /// <summary>
            /// Returns the interface member, such as 'INetwork.Architecture', that <paramref name="member"/>
            /// implements explicitly when the interface is INetwork or ITrainableNetwork, which the
            /// generated class implements, or null.
            /// </summary>
            private static string? ExplicitNetGenImplementation(ISymbol member)
            {
                ImmutableArray<ISymbol> implemented = member switch
                {
                    IPropertySymbol property => property.ExplicitInterfaceImplementations.CastArray<ISymbol>(),
                    IMethodSymbol method => method.ExplicitInterfaceImplementations.CastArray<ISymbol>(),
                    IEventSymbol @event => @event.ExplicitInterfaceImplementations.CastArray<ISymbol>(),
                    _ => ImmutableArray<ISymbol>.Empty,
                };
                foreach (ISymbol target in implemented)
                {
                    if (target.ContainingType is { } type && type.ToDisplayString() is "NetGen.INetwork" or "NetGen.ITrainableNetwork")
                    {
                        return type.Name + "." + target.Name;
                    }
                }

                return null;
            }

            /// <summary>
            /// Returns where <paramref name="member"/> is declared in source, so that a diagnostic
            /// points at it, or the class name's location when it has none.
            /// </summary>
            private static (SyntaxTree Tree, TextSpan Span) SourceSpan(ISymbol member, SyntaxTree tree, TextSpan nameSpan)
            {
                foreach (Location location in member.Locations)
                {
                    if (location.IsInSource && location.SourceTree is { } sourceTree)
                    {
                        return (sourceTree, location.SourceSpan);
                    }
                }

                return (tree, nameSpan);
            }

            /// <summary>
            /// Returns whether the body of <paramref name="constructor"/> starts with ': this(...)'. A
            /// partial constructor's defining declaration has no body and no initializer, so only the
            /// declarations with a body count.
            /// </summary>
            private static bool ChainsToThis(IMethodSymbol constructor)
            {
                bool implemented = false;
                IEnumerable<SyntaxReference> references = constructor.PartialImplementationPart is IMethodSymbol implementation
                    ? constructor.DeclaringSyntaxReferences.Concat(implementation.DeclaringSyntaxReferences)
                    : constructor.DeclaringSyntaxReferences;
                foreach (SyntaxReference reference in references)
                {
                    if (reference.GetSyntax() is not ConstructorDeclarationSyntax declaration ||
                        (declaration.Body is null && declaration.ExpressionBody is null))
                    {
                        continue;
                    }

                    implemented = true;
                    if (declaration.Initializer is not { } initializer || !initializer.ThisOrBaseKeyword.IsKind(SyntaxKind.ThisKeyword))
                    {
                        return false;
                    }
                }

                return implemented;
            }

            private static EquatableArray<ContainingTypeSpec> ReadContainingTypes(
                INamedTypeSymbol symbol, SyntaxTree tree, TextSpan nameSpan, List<DiagnosticInfo> diagnostics)
            {
                var containing = new List<ContainingTypeSpec>();
                for (INamedTypeSymbol? outer = symbol.ContainingType; outer is not null; outer = outer.ContainingType)
                {
                    bool isPartial = true;
                    foreach (SyntaxReference reference in outer.DeclaringSyntaxReferences)
                    {
                        if (reference.GetSyntax() is TypeDeclarationSyntax outerDeclaration &&
                            !outerDeclaration.Modifiers.Any(SyntaxKind.PartialKeyword))
                        {
                            isPartial = false;
                        }
                    }

                    if (!isPartial)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ContainingTypeNotPartial, tree, nameSpan, symbol.Name, outer.Name));
                    }

                    containing.Insert(0, new ContainingTypeSpec(TypeKeyword(outer), TypeNameWithParameters(outer)));
                }

                return EquatableArray<ContainingTypeSpec>.From(containing);
            }

            /// <summary>
            /// Returns the NetGen layer attributes of the declaration in source order, or null
            /// after reporting when they are spread over several partial declarations.
            /// </summary>
            private static List<AttributeData>? OrderNetGenAttributes(
                TypeDeclarationSyntax declaration,
                INamedTypeSymbol symbol,
                List<DiagnosticInfo> diagnostics,
                SyntaxTree tree,
                TextSpan nameSpan,
                string className)
            {
                var ordered = new List<(int Position, AttributeData Data)>();
                foreach (AttributeData attribute in symbol.GetAttributes())
                {
                    string? name = attribute.AttributeClass?.ToDisplayString();
                    if (name != InputAttributeName && !IsLayerAttribute(name))
                    {
                        continue;
                    }

                    SyntaxReference? reference = attribute.ApplicationSyntaxReference;
                    if (reference is null || reference.SyntaxTree != tree || !declaration.Span.Contains(reference.Span))
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayersOnSeveralDeclarations, tree, nameSpan, className));
                        return null;
                    }

                    ordered.Add((reference.Span.Start, attribute));
                }

                ordered.Sort((a, b) => a.Position.CompareTo(b.Position));
                return ordered.ConvertAll(item => item.Data);
            }

            /// <summary>
            /// Sets <see cref="NetworkSpec.SparseInference"/> when the class carries [SparseInference],
            /// after checking that the network has a dense layer and that no user member takes the
            /// name of the nested SparseModel class.
            /// </summary>
            private static NetworkSpec ReadSparseInference(
                INamedTypeSymbol symbol, NetworkSpec spec, SyntaxTree tree, TextSpan nameSpan, List<DiagnosticInfo> diagnostics)
            {
                AttributeData? sparseAttribute = null;
                foreach (AttributeData attribute in symbol.GetAttributes())
                {
                    if (attribute.AttributeClass?.ToDisplayString() == SparseInferenceAttributeName)
                    {
                        sparseAttribute = attribute;
                    }
                }

                if (sparseAttribute is null)
                {
                    return spec;
                }

                if (OnlyConvolutionWeights(spec.Layers))
                {
                    diagnostics.Add(Located(DiagnosticDescriptors.SparseInferenceWithoutDenseLayer, sparseAttribute, tree, nameSpan, symbol.Name));
                }

                foreach (string name in new[] { SparseModelName, SparseForwardName })
                {
                    if (symbol.Name == name || !symbol.GetMembers(name).IsEmpty)
                    {
                        string conflict = symbol.Name == name ? "the class name '" + name + "'" : "'" + name + "'";
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GeneratedMemberConflict, tree, nameSpan, symbol.Name, conflict));
                        break;
                    }
                }

                return spec with { SparseInference = true };
            }

            private static LossSpec? ReadLoss(AttributeData attribute)
            {
                LossSpec loss = LossSpec.Of(Loss.SquaredError);
                foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
                {
                    bool ok = true;
                    switch (argument.Key)
                    {
                        case "Loss":
                            ok = TryReadInt(argument.Value, out int kind);
                            loss = loss with { Kind = (Loss)kind };
                            break;
                        case "HuberDelta":
                            ok = TryReadFloat(argument.Value, out float delta);
                            loss = loss with { HuberDelta = delta, DeclaresHuberDelta = true };
                            break;
                        case "LabelSmoothing":
                            ok = TryReadFloat(argument.Value, out float smoothing);
                            loss = loss with { LabelSmoothing = smoothing, DeclaresLabelSmoothing = true };
                            break;
                        case "ClassWeights":
                            ok = TryReadFloats(argument.Value, out EquatableArray<float> weights);
                            loss = loss with { ClassWeights = weights, DeclaresClassWeights = !argument.Value.IsNull };
                            break;
                    }

                    if (!ok)
                    {
                        return null;
                    }
                }

                return loss;
            }

            /// <summary>Returns whether [Network(Int8 = true)] requests the nested quantized inference class.</summary>
            private static bool ReadInt8(AttributeData networkAttribute)
            {
                bool int8 = false;
                foreach (KeyValuePair<string, TypedConstant> argument in networkAttribute.NamedArguments)
                {
                    if (argument.Key == "Int8" && argument.Value.Value is bool value)
                    {
                        int8 = value;
                    }
                }

                return int8;
            }

            /// <summary>
            /// Returns whether the layers with weights are all convolutions: then the int8 path, which
            /// quantizes only dense layers, and SparseModel, which runs only dense layers sparse, have
            /// nothing to do. A network without any such layer gets NETGEN0004 alone.
            /// </summary>
            private static bool OnlyConvolutionWeights(IEnumerable<LayerSpec> layers) =>
                HasLayer(layers, LayerKind.Convolution) && !HasLayer(layers, LayerKind.Dense);

            private static bool HasLayer(IEnumerable<LayerSpec> layers, LayerKind kind)
            {
                foreach (LayerSpec layer in layers)
                {
                    if (layer.Kind == kind)
                    {
                        return true;
                    }
                }

                return false;
            }

            /// <summary>Reports, as Info, each layer that the quantized path runs in float because its kind has no int8 kernel.</summary>
            private static void ReportFloatLayers(
                List<LayerSpec> layers, List<AttributeData> layerAttributes, SyntaxTree tree, TextSpan nameSpan, List<DiagnosticInfo> diagnostics)
            {
                for (int i = 0; i < layers.Count; i++)
                {
                    if (Emit.NetworkEmitter.RunsInFloat(layers[i].Kind))
                    {
                        diagnostics.Add(Located(DiagnosticDescriptors.LayerRunsInFloat, layerAttributes[i], tree, nameSpan, layers[i].Name, layers[i].Kind.ToString()));
                    }
                }
            }

            private static LayerSpec? ReadDense(AttributeData attribute, string layerName)
            {
                ImmutableArray<TypedConstant> arguments = attribute.ConstructorArguments;
                if (arguments.Length < 1 || !TryReadInt(arguments[0], out int outputs))
                {
                    return null;
                }

                int activation = 0;
                if (arguments.Length > 1 && !TryReadInt(arguments[1], out activation))
                {
                    return null;
                }

                LayerSpec layer = LayerSpec.Dense(layerName, outputs, (Activation)activation);
                foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
                {
                    bool ok;
                    if (named.Key == "Inputs")
                    {
                        ok = TryReadInt(named.Value, out int inputs);
                        layer = layer with { ExpectedInputs = inputs };
                    }
                    else
                    {
                        ok = TryApplyWeightOption(ref layer, named.Key, named.Value);
                    }

                    if (!ok)
                    {
                        return null;
                    }
                }

                return layer;
            }

            /// <summary>
            /// Applies an option that layers with weights share (activation α, initialisation,
            /// penalties); returns false when its value cannot be read. Unknown names are ignored.
            /// </summary>
            private static bool TryApplyWeightOption(ref LayerSpec layer, string name, TypedConstant constant)
            {
                bool ok = true;
                int number;
                float value;
                switch (name)
                {
                    case "Alpha":
                        ok = TryReadFloat(constant, out value);
                        layer = layer with { Alpha = value, ExplicitNaNOption = float.IsNaN(value) ? layer.ExplicitNaNOption ?? name : layer.ExplicitNaNOption };
                        break;
                    case "Init":
                        ok = TryReadInt(constant, out number);
                        layer = layer with { Init = layer.Init with { Kind = (Initializer)number } };
                        break;
                    case "InitMode":
                        ok = TryReadInt(constant, out number);
                        layer = layer with { Init = layer.Init with { Mode = (FanMode)number } };
                        break;
                    case "InitGain":
                        ok = TryReadFloat(constant, out value);
                        layer = layer with { Init = layer.Init with { Gain = value }, ExplicitNaNOption = float.IsNaN(value) ? layer.ExplicitNaNOption ?? name : layer.ExplicitNaNOption };
                        break;
                    case "InitValue":
                        ok = TryReadFloat(constant, out value);
                        layer = layer with { Init = layer.Init with { Value = value } };
                        break;
                    case "L1":
                        ok = TryReadFloat(constant, out value);
                        layer = layer with { L1 = value };
                        break;
                    case "L2":
                        ok = TryReadFloat(constant, out value);
                        layer = layer with { L2 = value };
                        break;
                }

                return ok;
            }

            private static LayerSpec? ReadDropout(AttributeData attribute, string layerName)
            {
                ImmutableArray<TypedConstant> arguments = attribute.ConstructorArguments;
                return arguments.Length == 1 && TryReadFloat(arguments[0], out float probability)
                    ? LayerSpec.Dropout(layerName, probability)
                    : null;
            }

            private static bool TryReadFloat(TypedConstant constant, out float value)
            {
                value = 0;
                if (constant.Kind is TypedConstantKind.Error or TypedConstantKind.Array || constant.Value is null)
                {
                    return false;
                }

                switch (constant.Value)
                {
                    case float number:
                        value = number;
                        return true;
                    case double or int or long or short or sbyte or byte or ushort or uint:
                        value = Convert.ToSingle(constant.Value, System.Globalization.CultureInfo.InvariantCulture);
                        return true;
                    default:
                        return false;
                }
            }

            private static bool TryReadFloats(TypedConstant constant, out EquatableArray<float> values)
            {
                values = EquatableArray<float>.Empty;
                if (constant.Kind == TypedConstantKind.Array && constant.IsNull)
                {
                    return true;
                }

                if (constant.Kind != TypedConstantKind.Array)
                {
                    return false;
                }

                var items = new float[constant.Values.Length];
                for (int i = 0; i < items.Length; i++)
                {
                    if (!TryReadFloat(constant.Values[i], out items[i]))
                    {
                        return false;
                    }
                }

                values = new EquatableArray<float>(items);
                return true;
            }

            private static bool TryReadInt(TypedConstant constant, out int value)
            {
                value = 0;
                if (constant.Kind is TypedConstantKind.Error or TypedConstantKind.Array || constant.Value is null)
                {
                    return false;
                }

                switch (constant.Value)
                {
                    case int number:
                        value = number;
                        return true;
                    case short or sbyte or byte or ushort:
                        value = Convert.ToInt32(constant.Value, System.Globalization.CultureInfo.InvariantCulture);
                        return true;
                    default:
                        return false;
                }
            }

            private static DiagnosticInfo Located(
                DiagnosticDescriptor descriptor, AttributeData? attribute, SyntaxTree tree, TextSpan fallback, params object[] arguments)
            {
                SyntaxReference? reference = attribute?.ApplicationSyntaxReference;
                return reference is not null
                    ? DiagnosticInfo.Create(descriptor, reference.SyntaxTree, reference.Span, arguments)
                    : DiagnosticInfo.Create(descriptor, tree, fallback, arguments);
            }

            private static ParseResult Result(NetworkSpec? spec, List<DiagnosticInfo> diagnostics) =>
                new ParseResult(spec, EquatableArray<DiagnosticInfo>.From(diagnostics));

            private static string TypeKeyword(INamedTypeSymbol type) => type switch
            {
                { IsRecord: true, TypeKind: TypeKind.Struct } => "record struct",
                { IsRecord: true } => "record",
                { TypeKind: TypeKind.Struct } => "struct",
                { TypeKind: TypeKind.Interface } => "interface",
                _ => "class",
            };

            private static string TypeNameWithParameters(INamedTypeSymbol type)
            {
                if (type.TypeParameters.Length == 0)
                {
                    return Identifiers.Escape(type.Name);
                }

                var names = new string[type.TypeParameters.Length];
                for (int i = 0; i < names.Length; i++)
                {
                    names[i] = Identifiers.Escape(type.TypeParameters[i].Name);
                }

                return Identifiers.Escape(type.Name) + "<" + string.Join(", ", names) + ">";
            }
        }
    }
}
