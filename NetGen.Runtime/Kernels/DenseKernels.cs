using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NetGen.Kernels
{
    /// <summary>
    /// Forward and backward kernels of a fully connected layer, in fp32.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Dimensions: B = <c>batch</c>, I = <c>inputs</c>, O = <c>outputs</c>. Every matrix is
    /// row-major and contiguous: x [B, I], w [O, I] (the torch.nn.Linear layout), bias [O],
    /// y and dy [B, O], dx [B, I], dw [O, I], dbias [O].
    /// </para>
    /// <para>
    /// Each span must have exactly the length its shape gives, or the kernel throws an
    /// <see cref="ArgumentException"/> before touching any data. Sizes may be zero. The kernels
    /// allocate nothing and are safe to call from several threads on separate buffers. An output
    /// span must not overlap an input span. Only <see cref="BackwardInput(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int)"/>
    /// checks it and throws; the other kernels would give wrong results.
    /// </para>
    /// <para>
    /// Each kernel picks 512-bit vectors when the row it vectorises has at least 16 floats and
    /// the machine has AVX-512F, else 256-bit vectors with FMA when the row has at least 8 floats
    /// and the machine has AVX2 and FMA, else 128-bit vectors when it has at least 4, else scalar
    /// code. <see cref="Forward"/> of a single sample runs its own 512-bit loop, not the tiles
    /// tuned for batches. On AVX-512, batches take one of four other kernels where it pays.
    /// Layers of 3 or 4 outputs and 8 to 64 inputs in a multiple of 4 keep four partial sums per
    /// output in one vector per sample, eight samples at a time, and add them pairwise before the
    /// bias. Layers of 2 to 4 outputs and 8, 16 or 32 inputs that do not take that kernel, because
    /// the batch is smaller or the layer has 2 outputs, run 16 samples at a time with the samples in
    /// the vector lanes. Each of their sums runs in input order from the bias. Either way a sample's sums do not depend on its place in the
    /// batch. Layers of at most 64 inputs
    /// whose outputs are a multiple of 8 sum outer products over weights transposed on the stack,
    /// once the batch has a sample per 16 weights. Batches of 32 or more (16 for small layers) with
    /// at least 32 outputs transpose the weights into a 32 KB panel on the stack and sum outer
    /// products, each output in one accumulator. On a thread whose stack is nearly full (less room
    /// than <see cref="RuntimeHelpers.TryEnsureSufficientExecutionStack"/> requires) the transposed
    /// weights live in an array of that thread instead, allocated on its first such call, and the
    /// sums are the same. Sums are accumulated in fp32 in an order that depends on that choice,
    /// so results may differ from a sequential sum in the last bits.
    /// </para>
    /// </remarks>
    public static partial class DenseKernels
    {
        /// <summary>
        /// Computes the layer's pre-activation output: <c>y[b,o] = bias[o] + Σ_i x[b,i]·w[o,i]</c>.
        /// </summary>
        /// <param name="x">Inputs, [batch, inputs].</param>
        /// <param name="w">Weights, [outputs, inputs].</param>
        /// <param name="bias">Biases, [outputs].</param>
        /// <param name="y">Outputs, [batch, outputs]; overwritten.</param>
        /// <param name="batch">Number of samples B.</param>
        /// <param name="inputs">Number of input features I.</param>
        /// <param name="outputs">Number of output features O.</param>
        /// <exception cref="ArgumentOutOfRangeException">A size is negative.</exception>
        /// <exception cref="ArgumentException">A span's length differs from its shape.</exception>
        public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y, int batch, int inputs, int outputs)
        {
            KernelArguments.RequireSize(batch);
            KernelArguments.RequireSize(inputs);
            KernelArguments.RequireSize(outputs);
            KernelArguments.RequireLength(x.Length, batch, inputs, nameof(x), nameof(batch), nameof(inputs));
            KernelArguments.RequireLength(w.Length, outputs, inputs, nameof(w), nameof(outputs), nameof(inputs));
            KernelArguments.RequireLength(bias.Length, outputs, nameof(bias), nameof(outputs));
            KernelArguments.RequireLength(y.Length, batch, outputs, nameof(y), nameof(batch), nameof(outputs));

            ref float xStart = ref MemoryMarshal.GetReference(x);
            ref float wStart = ref MemoryMarshal.GetReference(w);
            ref float biasStart = ref MemoryMarshal.GetReference(bias);
            ref float yStart = ref MemoryMarshal.GetReference(y);

            // Inside a trainer step that shares layers between threads, each thread computes a
            // range of the outputs (see LayerSplit).
            if (LayerSplit.Shares(batch, inputs, outputs) && LayerSplit.Current is { } split
                && split.TryForward(ref xStart, ref wStart, ref biasStart, ref yStart, batch, inputs, outputs))
            {
                return;
            }

            // Each output is a dot product along the inputs, so the input count picks the vector width.
            // A single sample reads each weight once, so it takes a loop of its own: the 512-bit
            // tiles are tuned for batches, and one 784 → 128 sample was slower with them on Zen 5.
            if (batch == 1 && Vector512Fma.IsSupported && inputs >= Vector512<float>.Count)
            {
                ForwardOneSample512(ref xStart, ref wStart, ref biasStart, ref yStart, inputs, outputs);
            }
            else if (UsePartialsForward(batch, inputs, outputs))
            {
                ForwardPartials512(ref xStart, ref wStart, ref biasStart, ref yStart, batch, inputs, outputs);
            }
            else if (UseLaneForward(batch, inputs, outputs))
            {
                ForwardLanes512(ref xStart, ref wStart, ref biasStart, ref yStart, batch, inputs, outputs);
            }
            else if (UseNarrowForward(batch, inputs, outputs))
            {
                if (RuntimeHelpers.TryEnsureSufficientExecutionStack())
                {
                    ForwardNarrowOnStack(ref xStart, ref wStart, ref biasStart, ref yStart, batch, inputs, outputs);
                }
                else
                {
                    ForwardNarrow512(HeapPanel(), ref xStart, ref wStart, ref biasStart, ref yStart, batch, inputs, outputs);
                }
            }
            else if (UsePackedForward(batch, inputs, outputs))
            {
                ForwardRange(ref xStart, ref wStart, ref biasStart, ref yStart, batch, inputs, outputs, 0, outputs);
            }
            else if (batch > 1 && Vector512Fma.IsSupported && inputs >= Vector512<float>.Count)
            {
                ForwardCore<Vector512Fma, Vector512<float>>(ref xStart, ref wStart, ref biasStart, ref yStart, batch, inputs, outputs);
            }
            else if (Vector256Fma.IsSupported && inputs >= Vector256<float>.Count)
            {
                ForwardCore<Vector256Fma, Vector256<float>>(ref xStart, ref wStart, ref biasStart, ref yStart, batch, inputs, outputs);
            }
            else if (Vector128Simd.IsSupported && inputs >= Vector128<float>.Count)
            {
                ForwardCore<Vector128Simd, Vector128<float>>(ref xStart, ref wStart, ref biasStart, ref yStart, batch, inputs, outputs);
            }
            else
            {
                ForwardCore<ScalarSimd, float>(ref xStart, ref wStart, ref biasStart, ref yStart, batch, inputs, outputs);
            }
        }

        /// <summary>
        /// Computes the gradient with respect to the layer's input: <c>dx[b,i] = Σ_o dy[b,o]·w[o,i]</c>.
        /// It differentiates <c>y[b,o] = bias[o] + Σ_i x[b,i]·w[o,i]</c>.
        /// </summary>
        /// <param name="dy">Gradient with respect to the output, [batch, outputs].</param>
        /// <param name="w">Weights, [outputs, inputs].</param>
        /// <param name="dx">Gradient with respect to the input, [batch, inputs]; overwritten.</param>
        /// <param name="batch">Number of samples B.</param>
        /// <param name="inputs">Number of input features I.</param>
        /// <param name="outputs">Number of output features O.</param>
        /// <exception cref="ArgumentOutOfRangeException">A size is negative.</exception>
        /// <exception cref="ArgumentException">A span's length differs from its shape, or <paramref name="dx"/> overlaps <paramref name="dy"/> or <paramref name="w"/>.</exception>
        public static void BackwardInput(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx, int batch, int inputs, int outputs)
        {
            RequireBackwardInputArguments(dy, w, dx, batch, inputs, outputs);
            ref float dxStart = ref MemoryMarshal.GetReference(dx);
            BackwardInputChecked<NoDerivative>(ref MemoryMarshal.GetReference(dy), ref MemoryMarshal.GetReference(w), ref dxStart, ref dxStart, batch, inputs, outputs);
        }

        /// <summary>
        /// Computes the gradient with respect to the pre-activation of the layer's input in one
        /// pass: <c>dx[b,i] = f′ · Σ_o dy[b,o]·w[o,i]</c>. Here f is <paramref name="inputActivation"/>,
        /// whose outputs <paramref name="x"/> are the layer's input, and f′ is computed from those
        /// outputs. The result has the bits of <see cref="BackwardInput(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int)"/>
        /// followed by the activation's backward kernel (<see cref="ActivationKernels.TanhBackward"/> and the like),
        /// without the second pass over dx.
        /// </summary>
        /// <param name="dy">Gradient with respect to the output, [batch, outputs].</param>
        /// <param name="w">Weights, [outputs, inputs].</param>
        /// <param name="dx">Gradient with respect to the pre-activation of the input, [batch, inputs]; overwritten.</param>
        /// <param name="batch">Number of samples B.</param>
        /// <param name="inputs">Number of input features I.</param>
        /// <param name="outputs">Number of output features O.</param>
        /// <param name="inputActivation">The activation that produced the input: Identity, Relu, Tanh or Sigmoid.</param>
        /// <param name="x">The layer's input, the outputs of <paramref name="inputActivation"/>, [batch, inputs]; must not overlap <paramref name="dx"/>.</param>
        /// <exception cref="ArgumentOutOfRangeException">A size is negative, or <paramref name="inputActivation"/> is not one of the four this kernel fuses.</exception>
        /// <exception cref="ArgumentException">A span's length differs from its shape, or <paramref name="dx"/> overlaps <paramref name="dy"/>, <paramref name="w"/> or <paramref name="x"/>.</exception>
        public static void BackwardInput(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx, int batch, int inputs, int outputs, Activation inputActivation, ReadOnlySpan<float> x)
        {
            RequireBackwardInputArguments(dy, w, dx, batch, inputs, outputs);
            KernelArguments.RequireLength(x.Length, batch, inputs, nameof(x), nameof(batch), nameof(inputs));
            if (dx.Overlaps(x))
            {
                throw new ArgumentException(
                    "The dx span overlaps x, which the kernel still reads while it writes dx. Pass a separate buffer for dx.",
                    nameof(x));
            }

            ref float dyStart = ref MemoryMarshal.GetReference(dy);
            ref float wStart = ref MemoryMarshal.GetReference(w);
            ref float dxStart = ref MemoryMarshal.GetReference(dx);
            ref float xStart = ref MemoryMarshal.GetReference(x);
            switch (inputActivation)
            {
                case Activation.Identity:
                    BackwardInputChecked<NoDerivative>(ref dyStart, ref wStart, ref dxStart, ref xStart, batch, inputs, outputs);
                    break;
                case Activation.Relu:
                    BackwardInputChecked<ReluOutputDerivative>(ref dyStart, ref wStart, ref dxStart, ref xStart, batch, inputs, outputs);
                    break;
                case Activation.Tanh:
                    BackwardInputChecked<TanhOutputDerivative>(ref dyStart, ref wStart, ref dxStart, ref xStart, batch, inputs, outputs);
                    break;
                case Activation.Sigmoid:
                    BackwardInputChecked<SigmoidOutputDerivative>(ref dyStart, ref wStart, ref dxStart, ref xStart, batch, inputs, outputs);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(
                        nameof(inputActivation),
                        inputActivation,
                        "Only Identity, Relu, Tanh and Sigmoid are fused here. Call BackwardInput without an activation, then the activation's backward kernel.");
            }
        }

        private static void RequireBackwardInputArguments(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx, int batch, int inputs, int outputs)
        {
            KernelArguments.RequireSize(batch);
            KernelArguments.RequireSize(inputs);
            KernelArguments.RequireSize(outputs);
            KernelArguments.RequireLength(dy.Length, batch, outputs, nameof(dy), nameof(batch), nameof(outputs));
            KernelArguments.RequireLength(w.Length, outputs, inputs, nameof(w), nameof(outputs), nameof(inputs));
            KernelArguments.RequireLength(dx.Length, batch, inputs, nameof(dx), nameof(batch), nameof(inputs));
            if (dx.Overlaps(dy) || dx.Overlaps(w))
            {
                throw new ArgumentException(
                    "The dx span overlaps dy or w, which the kernel still reads while it writes dx. Pass a separate buffer for dx.",
                    nameof(dx));
            }
        }

        /// <summary>Picks the vector width for <see cref="BackwardInputCore"/>: vectors run along the rows of w and dx, so the input count decides.</summary>
        private static void BackwardInputChecked<TDerivative>(ref float dy, ref float w, ref float dx, ref float x, int batch, int inputs, int outputs)
            where TDerivative : struct, IOutputDerivative
        {
            if (Vector512Fma.IsSupported && inputs >= Vector512<float>.Count)
            {
                BackwardInputCore<Vector512Fma, Vector512<float>, TDerivative>(ref dy, ref w, ref dx, ref x, batch, inputs, outputs);
            }
            else if (Vector256Fma.IsSupported && inputs >= Vector256<float>.Count)
            {
                BackwardInputCore<Vector256Fma, Vector256<float>, TDerivative>(ref dy, ref w, ref dx, ref x, batch, inputs, outputs);
            }
            else if (Vector128Simd.IsSupported && inputs >= Vector128<float>.Count)
            {
                BackwardInputCore<Vector128Simd, Vector128<float>, TDerivative>(ref dy, ref w, ref dx, ref x, batch, inputs, outputs);
            }
            else
            {
                BackwardInputCore<ScalarSimd, float, TDerivative>(ref dy, ref w, ref dx, ref x, batch, inputs, outputs);
            }
        }

        /// <summary>
        /// Adds this batch's parameter gradients to <paramref name="dw"/> and <paramref name="dbias"/>:
        /// <c>dw[o,i] += Σ_b dy[b,o]·x[b,i]</c> and <c>dbias[o] += Σ_b dy[b,o]</c>.
        /// It differentiates <c>y[b,o] = bias[o] + Σ_i x[b,i]·w[o,i]</c>.
        /// </summary>
        /// <remarks>The kernel accumulates and never zeroes: clear the gradients before the first batch.</remarks>
        /// <param name="dy">Gradient with respect to the output, [batch, outputs].</param>
        /// <param name="x">The layer's inputs from the forward pass, [batch, inputs].</param>
        /// <param name="dw">Weight gradient, [outputs, inputs]; added to.</param>
        /// <param name="dbias">Bias gradient, [outputs]; added to.</param>
        /// <param name="batch">Number of samples B.</param>
        /// <param name="inputs">Number of input features I.</param>
        /// <param name="outputs">Number of output features O.</param>
        /// <exception cref="ArgumentOutOfRangeException">A size is negative.</exception>
        /// <exception cref="ArgumentException">A span's length differs from its shape.</exception>
        public static void AccumulateGradients(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, Span<float> dw, Span<float> dbias, int batch, int inputs, int outputs)
        {
            KernelArguments.RequireSize(batch);
            KernelArguments.RequireSize(inputs);
            KernelArguments.RequireSize(outputs);
            KernelArguments.RequireLength(dy.Length, batch, outputs, nameof(dy), nameof(batch), nameof(outputs));
            KernelArguments.RequireLength(x.Length, batch, inputs, nameof(x), nameof(batch), nameof(inputs));
            KernelArguments.RequireLength(dw.Length, outputs, inputs, nameof(dw), nameof(outputs), nameof(inputs));
            KernelArguments.RequireLength(dbias.Length, outputs, nameof(dbias), nameof(outputs));

            ref float dyStart = ref MemoryMarshal.GetReference(dy);
            ref float xStart = ref MemoryMarshal.GetReference(x);
            ref float dwStart = ref MemoryMarshal.GetReference(dw);

            // Vectors run along the rows of x and dw, so the input count picks the vector width,
            // except for layers with few inputs, whose outer-product kernel runs along the outputs
            // and sums the bias gradient in the same pass.
            if (UseNarrowWeightGradient(batch, inputs, outputs))
            {
                AccumulateWeightGradientNarrow512(ref dyStart, ref xStart, ref dwStart, ref MemoryMarshal.GetReference(dbias), batch, inputs, outputs);
                return;
            }

            AccumulateBiasGradient(dy, dbias, batch, outputs);

            // Inside a trainer step that shares layers between threads, each thread adds the rows
            // that it owns (see LayerSplit).
            if (LayerSplit.Shares(batch, inputs, outputs) && LayerSplit.Current is { } split
                && split.TryAccumulateWeightGradient(ref dyStart, ref xStart, dw, batch, inputs, outputs))
            {
                return;
            }

            AccumulateWeightGradientRows(ref dyStart, ref xStart, ref dwStart, batch, inputs, outputs, dyStride: outputs);
        }
    }
}
