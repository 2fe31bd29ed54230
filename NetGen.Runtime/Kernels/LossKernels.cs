using System;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NetGen.Kernels
{
    /// <summary>
    /// Loss functions with their gradients, and row-wise softmax.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Dimensions: B = <c>batch</c>, O = <c>outputs</c>. The network's outputs or logits, the
    /// targets and the gradient are [B, O] row-major, and each span must have exactly B·O
    /// elements. A loss is a mean over the batch, so B must be at least 1; O may be zero, which
    /// gives a loss of 0.
    /// </para>
    /// <para>
    /// The loss of each row is summed in fp32 and the rows in double, except for the squared
    /// errors, whose fp32 differences are squared and summed in double. The gradient is that of
    /// the returned mean, so it carries the factor 1/B. The kernels allocate nothing.
    /// </para>
    /// <para>
    /// The gradient span may be the output or logits span itself, which the kernel then overwrites.
    /// Any other overlap, with the target or with part of the output, throws an
    /// <see cref="ArgumentException"/> before anything is written.
    /// </para>
    /// </remarks>
    public static partial class LossKernels
    {
        /// <summary>
        /// Floats of stack scratch that each SoftmaxCrossEntropyLoss overload processes at a time;
        /// 1 KB, small enough for any thread's stack.
        /// </summary>
        private const int ScratchLength = 256;

        /// <summary>
        /// Computes the squared error, the mean over the batch of <c>½ Σ_o (y − t)²</c>, and writes its
        /// gradient <c>(y − t) / batch</c>.
        /// </summary>
        /// <param name="output">Network outputs y, [batch, outputs].</param>
        /// <param name="target">Targets t, [batch, outputs].</param>
        /// <param name="gradient">Gradient with respect to y, [batch, outputs]; overwritten.</param>
        /// <param name="batch">Number of samples B, at least 1.</param>
        /// <param name="outputs">Number of outputs O per sample.</param>
        /// <returns>The loss.</returns>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is less than 1 or <paramref name="outputs"/> is negative.</exception>
        /// <exception cref="ArgumentException">A span's length differs from batch × outputs.</exception>
        public static float SquaredError(ReadOnlySpan<float> output, ReadOnlySpan<float> target, Span<float> gradient, int batch, int outputs)
        {
            RequireLossArguments(output.Length, target.Length, batch, outputs, nameof(output));
            KernelArguments.RequireLength(gradient.Length, batch, outputs, nameof(gradient), nameof(batch), nameof(outputs));
            RequireGradientPlacement(output, target, gradient, nameof(output));

            double total = SquaredDifferences(output, target, gradient, new DivideBy(batch));
            return (float)(0.5 * total / batch);
        }

        /// <summary>
        /// Computes the softmax cross-entropy, the mean over the batch of <c>−Σ_o t·log softmax(y)</c>, and writes its
        /// gradient <c>(softmax(y) − t) / batch</c>.
        /// </summary>
        /// <remarks>
        /// Each row's maximum is subtracted before the exponential (the log-sum-exp form), so
        /// large logits do not overflow it; only a difference between two logits of a row beyond
        /// the float range (about 3.4·10³⁸) does. A NaN logit makes its row's loss and gradient
        /// NaN, and so the returned mean. An infinite logit makes the loss NaN or infinite, as in
        /// PyTorch with probability targets. Rows of
        /// 2 to 16 classes run one 512-bit vector each on AVX-512, with the same sums as
        /// <see cref="SoftmaxCrossEntropyLoss(ReadOnlySpan{float}, ReadOnlySpan{float}, int, int)"/>. The gradient formula holds when each target row sums to 1.
        /// </remarks>
        /// <param name="logits">Unnormalised log-probabilities y, [batch, outputs].</param>
        /// <param name="target">Target probabilities t, [batch, outputs]; usually one-hot rows.</param>
        /// <param name="gradient">Gradient with respect to y, [batch, outputs]; overwritten.</param>
        /// <param name="batch">Number of samples B, at least 1.</param>
        /// <param name="outputs">Number of classes O.</param>
        /// <returns>The loss.</returns>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is less than 1 or <paramref name="outputs"/> is negative.</exception>
        /// <exception cref="ArgumentException">A span's length differs from batch × outputs.</exception>
        public static float SoftmaxCrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<float> target, Span<float> gradient, int batch, int outputs)
        {
            RequireLossArguments(logits.Length, target.Length, batch, outputs, nameof(logits));
            KernelArguments.RequireLength(gradient.Length, batch, outputs, nameof(gradient), nameof(batch), nameof(outputs));
            RequireGradientPlacement(logits, target, gradient, nameof(logits));
            if (outputs == 0)
            {
                return 0f;
            }

            double total = 0;
#if NET9_0_OR_GREATER
            if (UseShortRows(outputs))
            {
                // The kernel divides the gradient by the batch as it writes it.
                return (float)(SoftmaxCrossEntropyShortRows(logits, target, gradient, batch, outputs) / batch);
            }
#endif

            for (int b = 0; b < batch; b++)
            {
                ReadOnlySpan<float> logitRow = logits.Slice(b * outputs, outputs);
                ReadOnlySpan<float> targetRow = target.Slice(b * outputs, outputs);
                Span<float> gradientRow = gradient.Slice(b * outputs, outputs);

                // −Σ t·log softmax(y) = Σt·log Σ e^(y−m) − Σ t·(y−m), with m the row maximum.
                float max = TensorPrimitives.Max(logitRow);
                TensorPrimitives.Subtract(logitRow, max, gradientRow);
                float shiftedDot = TensorPrimitives.Dot(targetRow, gradientRow);
                ExpOfShifted(gradientRow);
                float expSum = TensorPrimitives.Sum<float>(gradientRow);
                total += (double)TensorPrimitives.Sum(targetRow) * Math.Log(expSum) - shiftedDot;

                TensorPrimitives.Divide(gradientRow, expSum, gradientRow);
                TensorPrimitives.Subtract(gradientRow, targetRow, gradientRow);
            }

            DivideInBlocks(gradient, batch);
            return (float)(total / batch);
        }

        /// <summary>Computes the squared error loss of <see cref="SquaredError"/> without a gradient.</summary>
        /// <param name="output">Network outputs y, [batch, outputs].</param>
        /// <param name="target">Targets t, [batch, outputs].</param>
        /// <param name="batch">Number of samples B, at least 1.</param>
        /// <param name="outputs">Number of outputs O per sample.</param>
        /// <returns>The mean over the batch of <c>½ Σ_o (y − t)²</c>.</returns>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is less than 1 or <paramref name="outputs"/> is negative.</exception>
        /// <exception cref="ArgumentException">A span's length differs from batch × outputs.</exception>
        public static float SquaredErrorLoss(ReadOnlySpan<float> output, ReadOnlySpan<float> target, int batch, int outputs)
        {
            RequireLossArguments(output.Length, target.Length, batch, outputs, nameof(output));

            return (float)(0.5 * SumOfSquaredDifferences(output, target) / batch);
        }

        /// <summary>
        /// Computes the softmax cross-entropy loss of <see cref="SoftmaxCrossEntropy(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int)"/>
        /// without a gradient. Rows of up to 256 classes take the same sums; longer rows are summed
        /// in pieces of 256, which can change the last bit.
        /// </summary>
        /// <param name="logits">Unnormalised log-probabilities y, [batch, outputs].</param>
        /// <param name="target">Target probabilities t, [batch, outputs].</param>
        /// <param name="batch">Number of samples B, at least 1.</param>
        /// <param name="outputs">Number of classes O.</param>
        /// <returns>The mean over the batch of <c>−Σ_o t·log softmax(y)</c>.</returns>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is less than 1 or <paramref name="outputs"/> is negative.</exception>
        /// <exception cref="ArgumentException">A span's length differs from batch × outputs.</exception>
        public static float SoftmaxCrossEntropyLoss(ReadOnlySpan<float> logits, ReadOnlySpan<float> target, int batch, int outputs)
        {
            RequireLossArguments(logits.Length, target.Length, batch, outputs, nameof(logits));
            if (outputs == 0)
            {
                return 0f;
            }

#if NET9_0_OR_GREATER
            if (UseShortRows(outputs))
            {
                return (float)(SoftmaxCrossEntropyShortRows(logits, target, Span<float>.Empty, batch, outputs) / batch);
            }
#endif

            Span<float> scratch = stackalloc float[ScratchLength];
            double total = 0;
            for (int b = 0; b < batch; b++)
            {
                ReadOnlySpan<float> logitRow = logits.Slice(b * outputs, outputs);
                ReadOnlySpan<float> targetRow = target.Slice(b * outputs, outputs);
                float max = TensorPrimitives.Max(logitRow);

                // The sums of SoftmaxCrossEntropy, taken over stack-sized pieces of the row, so a row
                // longer than a piece adds its pieces' sums and may differ in the last bit.
                float shiftedDot = 0f;
                float expSum = 0f;
                for (int start = 0; start < outputs; start += ScratchLength)
                {
                    int length = Math.Min(ScratchLength, outputs - start);
                    Span<float> shifted = scratch.Slice(0, length);
                    TensorPrimitives.Subtract(logitRow.Slice(start, length), max, shifted);
                    shiftedDot += TensorPrimitives.Dot(targetRow.Slice(start, length), shifted);
                    ExpOfShifted(shifted);
                    expSum += TensorPrimitives.Sum<float>(shifted);
                }

                total += (double)TensorPrimitives.Sum(targetRow) * Math.Log(expSum) - shiftedDot;
            }

            return (float)(total / batch);
        }

        /// <summary>
        /// Replaces each row with its softmax, <c>e^(y−m) / Σ e^(y−m)</c> with m the row maximum.
        /// A row that contains NaN becomes all NaN.
        /// </summary>
        /// <param name="values">Logits, [batch, outputs]; replaced by probabilities.</param>
        /// <param name="batch">Number of rows.</param>
        /// <param name="outputs">Length of each row.</param>
        /// <exception cref="ArgumentOutOfRangeException">A size is negative.</exception>
        /// <exception cref="ArgumentException">The span's length differs from batch × outputs.</exception>
        public static void Softmax(Span<float> values, int batch, int outputs)
        {
            KernelArguments.RequireSize(batch);
            KernelArguments.RequireSize(outputs);
            KernelArguments.RequireLength(values.Length, batch, outputs, nameof(values), nameof(batch), nameof(outputs));
            if (outputs == 0)
            {
                return;
            }

            for (int b = 0; b < batch; b++)
            {
                Span<float> row = values.Slice(b * outputs, outputs);
                TensorPrimitives.Subtract(row, TensorPrimitives.Max(row), row);
                TensorPrimitives.Exp(row, row);
                TensorPrimitives.Divide(row, TensorPrimitives.Sum<float>(row), row);
            }
        }

        /// <summary>
        /// Replaces logits minus their row's maximum, all at most 0, with their exponentials, at
        /// most 1. TensorPrimitives.Exp(0) returns 1 + 2⁻²³ in System.Numerics.Tensors 11.0.0, which
        /// gave a certain prediction a loss of 1.2e-7 instead of 0; the bound keeps e^0 at 1.
        /// NaN stays NaN.
        /// </summary>
        private static void ExpOfShifted(Span<float> shifted)
        {
            TensorPrimitives.Exp(shifted, shifted);
            TensorPrimitives.Min(shifted, 1f, shifted);
        }

        /// <summary>Divides every gradient by <paramref name="divisor"/>, in blocks that stay in the cache (see <see cref="CacheBlocks"/>).</summary>
        private static void DivideInBlocks(Span<float> gradient, float divisor)
        {
            for (int start = 0; start < gradient.Length; start = CacheBlocks.Next(gradient.Length, start))
            {
                Span<float> block = CacheBlocks.Slice(gradient, start);
                TensorPrimitives.Divide(block, divisor, block);
            }
        }

        /// <summary>
        /// Throws unless <paramref name="gradient"/> is either the prediction span itself or apart
        /// from it, and apart from the target. The kernels write the gradient while they still read
        /// the prediction and the target, so a shifted overlap would give a wrong loss.
        /// </summary>
        private static void RequireGradientPlacement(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, ReadOnlySpan<float> gradient, string predictionName)
        {
            // Overlaps with an offset would throw its own exception for spans that are not a whole
            // number of floats apart, so the start addresses are compared instead.
            bool sameStart = Unsafe.AreSame(ref MemoryMarshal.GetReference(gradient), ref MemoryMarshal.GetReference(prediction));
            if (gradient.Overlaps(prediction) && !(sameStart && gradient.Length == prediction.Length))
            {
                throw new ArgumentException(
                    $"The gradient span overlaps {predictionName} but does not start at the same element. Pass {predictionName} itself as the gradient to overwrite it, or a separate buffer.",
                    nameof(gradient));
            }

            if (gradient.Overlaps(target))
            {
                throw new ArgumentException(
                    "The gradient span overlaps target, which the kernel still reads while it writes the gradient. Pass a separate buffer or the prediction span.",
                    nameof(gradient));
            }
        }

        private static void RequireLossArguments(int predictionLength, int targetLength, int batch, int outputs, string predictionName)
        {
            KernelArguments.RequirePositiveBatch(batch);
            KernelArguments.RequireSize(outputs);
            KernelArguments.RequireLength(predictionLength, batch, outputs, predictionName, nameof(batch), nameof(outputs));
            KernelArguments.RequireLength(targetLength, batch, outputs, "target", nameof(batch), nameof(outputs));
        }

        /// <summary>Returns <c>Σ_k (y[k] − t[k])²</c>; see <see cref="SquaredDifferences"/>.</summary>
        private static double SumOfSquaredDifferences(ReadOnlySpan<float> y, ReadOnlySpan<float> t) =>
            SquaredDifferences(y, t, Span<float>.Empty, default(NoGradient));

        /// <summary>
        /// Returns <c>Σ_k (y[k] − t[k])²</c>, each difference in fp32 and its square and the sum in
        /// double, so no square overflows, and writes <c>gradient[k] = scale(y[k] − t[k])</c> unless the scale is
        /// <see cref="NoGradient"/>. The gradient may be the same span as y, since each element is
        /// read before it is written.
        /// </summary>
        /// <remarks>
        /// One pass over the batch, in 256-bit vectors on every CPU that has them, so the loss has
        /// the same bits on CPUs with and without AVX-512. It replaced a sum per row and two
        /// TensorPrimitives passes. On AMD Zen 4 those took 20 µs for the squared error of 10,000
        /// samples of 4 outputs, most of it in the chain of one double addition per row. This pass
        /// takes 6.3–6.5 µs.
        /// </remarks>
        private static double SquaredDifferences<TScale>(ReadOnlySpan<float> y, ReadOnlySpan<float> t, Span<float> gradient, TScale scale)
            where TScale : struct, IDifferenceScale
        {
            ref float yStart = ref MemoryMarshal.GetReference(y);
            ref float tStart = ref MemoryMarshal.GetReference(t);
            ref float gradientStart = ref MemoryMarshal.GetReference(gradient);
            int length = y.Length;
            int i = 0;
            double total = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                // Four double accumulators, so the additions do not wait on each other.
                Vector256<double> sum0 = Vector256<double>.Zero, sum1 = sum0, sum2 = sum0, sum3 = sum0;
                for (; i <= length - (2 * Vector256<float>.Count); i += 2 * Vector256<float>.Count)
                {
                    Vector256<float> first = Vector256.LoadUnsafe(ref yStart, (nuint)i) - Vector256.LoadUnsafe(ref tStart, (nuint)i);
                    Vector256<float> second = Vector256.LoadUnsafe(ref yStart, (nuint)(i + 8)) - Vector256.LoadUnsafe(ref tStart, (nuint)(i + 8));
                    if (scale.WritesGradient)
                    {
                        scale.Apply(first).StoreUnsafe(ref gradientStart, (nuint)i);
                        scale.Apply(second).StoreUnsafe(ref gradientStart, (nuint)(i + 8));
                    }

                    (Vector256<double> lower, Vector256<double> upper) = Vector256.Widen(first);
                    sum0 += lower * lower;
                    sum1 += upper * upper;
                    (lower, upper) = Vector256.Widen(second);
                    sum2 += lower * lower;
                    sum3 += upper * upper;
                }

                total = Vector256.Sum((sum0 + sum1) + (sum2 + sum3));
            }

            for (; i < length; i++)
            {
                float difference = Unsafe.Add(ref yStart, i) - Unsafe.Add(ref tStart, i);
                if (scale.WritesGradient)
                {
                    Unsafe.Add(ref gradientStart, i) = scale.Apply(difference);
                }

                total += (double)difference * difference;
            }

            return total;
        }

        /// <summary>What <see cref="SquaredDifferences"/> writes as the gradient of each difference.</summary>
        private interface IDifferenceScale
        {
            /// <summary>Whether the gradient is written at all.</summary>
            bool WritesGradient { get; }

            /// <summary>Returns the gradient of one difference.</summary>
            float Apply(float difference);

            /// <summary>Returns the gradients of eight differences.</summary>
            Vector256<float> Apply(Vector256<float> difference);
        }

        /// <summary>Writes no gradient: the loss alone.</summary>
        private readonly struct NoGradient : IDifferenceScale
        {
            public bool WritesGradient => false;

            public float Apply(float difference) => difference;

            public Vector256<float> Apply(Vector256<float> difference) => difference;
        }

        /// <summary>Writes <c>difference / divisor</c>, rounded once as a division.</summary>
        private readonly struct DivideBy(float divisor) : IDifferenceScale
        {
            public bool WritesGradient => true;

            public float Apply(float difference) => difference / divisor;

            public Vector256<float> Apply(Vector256<float> difference) => difference / Vector256.Create(divisor);
        }

        /// <summary>Writes <c>difference · factor</c>.</summary>
        private readonly struct MultiplyBy(float factor) : IDifferenceScale
        {
            public bool WritesGradient => true;

            public float Apply(float difference) => difference * factor;

            public Vector256<float> Apply(Vector256<float> difference) => difference * Vector256.Create(factor);
        }
    }
}
