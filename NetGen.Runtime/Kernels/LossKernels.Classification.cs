using System;
using System.Diagnostics.CodeAnalysis;
using System.Numerics.Tensors;

namespace NetGen.Kernels
{
    // Classification losses on logits: binary cross-entropy per element, and softmax
    // cross-entropy per row with label smoothing and class weights.
    public static partial class LossKernels
    {
        /// <summary>
        /// Computes binary cross-entropy on logits as torch.nn.BCEWithLogitsLoss, the mean over all
        /// elements of <c>max(x, 0) − x·t + ln(1 + e^(−|x|))</c>, and writes its gradient
        /// <c>(σ(x) − t) / (batch · outputs)</c>.
        /// </summary>
        /// <remarks>
        /// This form never exponentiates a positive number, so logits of any finite size give a
        /// finite loss; each element is evaluated in double. With outputs = 0 the loss is 0.
        /// </remarks>
        /// <param name="logits">Logits x, [batch, outputs].</param>
        /// <param name="target">Targets t, [batch, outputs], usually in [0, 1].</param>
        /// <param name="gradient">Gradient with respect to x, [batch, outputs]; overwritten.</param>
        /// <param name="batch">Number of samples B, at least 1.</param>
        /// <param name="outputs">Number of outputs O per sample.</param>
        /// <returns>The loss.</returns>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is less than 1 or <paramref name="outputs"/> is negative.</exception>
        /// <exception cref="ArgumentException">A span's length differs from batch × outputs.</exception>
        public static float BinaryCrossEntropyWithLogits(ReadOnlySpan<float> logits, ReadOnlySpan<float> target, Span<float> gradient, int batch, int outputs)
        {
            RequireLossArguments(logits.Length, target.Length, batch, outputs, nameof(logits));
            KernelArguments.RequireLength(gradient.Length, batch, outputs, nameof(gradient), nameof(batch), nameof(outputs));
            RequireGradientPlacement(logits, target, gradient, nameof(logits));
            if (outputs == 0)
            {
                return 0f;
            }

            double count = (double)batch * outputs;
            double total = 0;
            for (int k = 0; k < logits.Length; k++)
            {
                double x = logits[k];
                double t = target[k];
                total += BinaryCrossEntropyTerm(x, t);
                gradient[k] = (float)((ActivationKernels.SigmoidPair(x).Sigmoid - t) / count);
            }

            return (float)(total / count);
        }

        /// <summary>Computes the loss of <see cref="BinaryCrossEntropyWithLogits"/> without a gradient.</summary>
        /// <param name="logits">Logits x, [batch, outputs].</param>
        /// <param name="target">Targets t, [batch, outputs].</param>
        /// <param name="batch">Number of samples B, at least 1.</param>
        /// <param name="outputs">Number of outputs O per sample.</param>
        /// <returns>The mean over all elements of <c>max(x, 0) − x·t + ln(1 + e^(−|x|))</c>.</returns>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is less than 1 or <paramref name="outputs"/> is negative.</exception>
        /// <exception cref="ArgumentException">A span's length differs from batch × outputs.</exception>
        public static float BinaryCrossEntropyWithLogitsLoss(ReadOnlySpan<float> logits, ReadOnlySpan<float> target, int batch, int outputs)
        {
            RequireLossArguments(logits.Length, target.Length, batch, outputs, nameof(logits));
            if (outputs == 0)
            {
                return 0f;
            }

            double total = 0;
            for (int k = 0; k < logits.Length; k++)
            {
                total += BinaryCrossEntropyTerm(logits[k], target[k]);
            }

            return (float)(total / ((double)batch * outputs));
        }

        /// <summary>
        /// Computes softmax cross-entropy with label smoothing and class weights, and writes its gradient.
        /// </summary>
        /// <remarks>
        /// <para>
        /// With C = <paramref name="outputs"/> and ε = <paramref name="labelSmoothing"/>, each target row
        /// t becomes t′ = (1 − ε)·t + ε/C. Sample n has the loss ℓ_n = −Σ_c w_c·t′_c·log p_c, with
        /// p = softmax of its logits, and the weight W_n = Σ_c w_c·t′_c. The returned loss is
        /// Σ_n ℓ_n / Σ_n W_n, and the gradient with respect to the logits of sample n is
        /// (W_n·p − w ⊙ t′) / Σ_n W_n. The gradient is exact for any target rows, even ones that do not sum to 1.
        /// </para>
        /// <para>
        /// This equals torch.nn.CrossEntropyLoss with reduction 'mean' in these cases: all weights 1
        /// (the plain mean over samples, with or without smoothing), and one-hot targets with ε = 0
        /// (PyTorch's weighted mean for class-index targets). It differs from PyTorch in two cases.
        /// With weights and ε &gt; 0, PyTorch divides by Σ_n w of each hard target rather than by Σ_n W_n.
        /// With weights and probability targets, PyTorch divides by the batch size.
        /// </para>
        /// <para>
        /// Each row's maximum is subtracted before the exponential, so large logits do not overflow
        /// it. Only a difference between two logits of a row beyond the float range does. A NaN
        /// logit makes the loss and its row's gradient NaN. If every W_n
        /// is 0, the loss and gradient are NaN, as PyTorch returns for a weighted mean over zero weight.
        /// </para>
        /// </remarks>
        /// <param name="logits">Unnormalised log-probabilities z, [batch, outputs].</param>
        /// <param name="target">Target probabilities t, [batch, outputs]; usually one-hot rows.</param>
        /// <param name="gradient">Gradient with respect to z, [batch, outputs]; overwritten.</param>
        /// <param name="batch">Number of samples B, at least 1.</param>
        /// <param name="outputs">Number of classes C.</param>
        /// <param name="labelSmoothing">ε in [0, 1); 0 turns smoothing off.</param>
        /// <param name="classWeights">Weight w_c of each class, finite and zero or positive, C of them; empty means all 1.</param>
        /// <returns>The loss.</returns>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is less than 1, <paramref name="outputs"/> is negative, or <paramref name="labelSmoothing"/> is outside [0, 1).</exception>
        /// <exception cref="ArgumentException">A span's length differs from batch × outputs, <paramref name="classWeights"/> is neither empty nor of length C, or a weight is negative, NaN or infinite.</exception>
        public static float SoftmaxCrossEntropy(
            ReadOnlySpan<float> logits, ReadOnlySpan<float> target, Span<float> gradient, int batch, int outputs, float labelSmoothing, ReadOnlySpan<float> classWeights)
        {
            RequireLossArguments(logits.Length, target.Length, batch, outputs, nameof(logits));
            KernelArguments.RequireLength(gradient.Length, batch, outputs, nameof(gradient), nameof(batch), nameof(outputs));
            RequireCrossEntropyOptions(labelSmoothing, classWeights, outputs);
            RequireGradientPlacement(logits, target, gradient, nameof(logits));
            if (gradient.Overlaps(classWeights))
            {
                throw new ArgumentException(
                    "The gradient span overlaps classWeights, which the kernel reads while it writes the gradient. Pass the class weights in a separate buffer.",
                    nameof(gradient));
            }
            if (outputs == 0)
            {
                return 0f;
            }

            var smoothing = new LabelSmoothing(labelSmoothing, outputs, classWeights);
            double totalLoss = 0;
            double totalWeight = 0;
            for (int b = 0; b < batch; b++)
            {
                ReadOnlySpan<float> logitRow = logits.Slice(b * outputs, outputs);
                ReadOnlySpan<float> targetRow = target.Slice(b * outputs, outputs);
                Span<float> gradientRow = gradient.Slice(b * outputs, outputs);

                // ℓ = W·log Σ e^(z−m) − Σ w·t′·(z − m), with m the row maximum.
                float max = TensorPrimitives.Max(logitRow);
                TensorPrimitives.Subtract(logitRow, max, gradientRow);
                double rowWeight = 0;
                double weightedShift = 0;
                for (int c = 0; c < outputs; c++)
                {
                    double weightedTarget = smoothing.WeightedTarget(targetRow[c], c);
                    rowWeight += weightedTarget;
                    weightedShift += weightedTarget * gradientRow[c];
                }

                ExpOfShifted(gradientRow);
                double expSum = TensorPrimitives.Sum<float>(gradientRow);
                totalLoss += rowWeight * Math.Log(expSum) - weightedShift;
                totalWeight += rowWeight;

                // W·p − w ⊙ t′, before the division by the batch's total weight.
                double probabilityScale = rowWeight / expSum;
                for (int c = 0; c < outputs; c++)
                {
                    gradientRow[c] = (float)(probabilityScale * gradientRow[c] - smoothing.WeightedTarget(targetRow[c], c));
                }
            }

            DivideInBlocks(gradient, (float)totalWeight);
            return (float)(totalLoss / totalWeight);
        }

        /// <summary>
        /// Computes the loss of
        /// <see cref="SoftmaxCrossEntropy(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, float, ReadOnlySpan{float})"/>
        /// without a gradient.
        /// </summary>
        /// <param name="logits">Unnormalised log-probabilities z, [batch, outputs].</param>
        /// <param name="target">Target probabilities t, [batch, outputs].</param>
        /// <param name="batch">Number of samples B, at least 1.</param>
        /// <param name="outputs">Number of classes C.</param>
        /// <param name="labelSmoothing">ε in [0, 1); 0 turns smoothing off.</param>
        /// <param name="classWeights">Weight w_c of each class, finite and zero or positive, C of them; empty means all 1.</param>
        /// <returns>Σ_n ℓ_n / Σ_n W_n, as the overload with a gradient defines it.</returns>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is less than 1, <paramref name="outputs"/> is negative, or <paramref name="labelSmoothing"/> is outside [0, 1).</exception>
        /// <exception cref="ArgumentException">A span's length differs from batch × outputs, <paramref name="classWeights"/> is neither empty nor of length C, or a weight is negative, NaN or infinite.</exception>
        public static float SoftmaxCrossEntropyLoss(
            ReadOnlySpan<float> logits, ReadOnlySpan<float> target, int batch, int outputs, float labelSmoothing, ReadOnlySpan<float> classWeights)
        {
            RequireLossArguments(logits.Length, target.Length, batch, outputs, nameof(logits));
            RequireCrossEntropyOptions(labelSmoothing, classWeights, outputs);
            if (outputs == 0)
            {
                return 0f;
            }

            var smoothing = new LabelSmoothing(labelSmoothing, outputs, classWeights);
            Span<float> scratch = stackalloc float[ScratchLength];
            double totalLoss = 0;
            double totalWeight = 0;
            for (int b = 0; b < batch; b++)
            {
                ReadOnlySpan<float> logitRow = logits.Slice(b * outputs, outputs);
                ReadOnlySpan<float> targetRow = target.Slice(b * outputs, outputs);
                float max = TensorPrimitives.Max(logitRow);

                double rowWeight = 0;
                double weightedShift = 0;
                for (int c = 0; c < outputs; c++)
                {
                    double weightedTarget = smoothing.WeightedTarget(targetRow[c], c);
                    rowWeight += weightedTarget;
                    weightedShift += weightedTarget * (logitRow[c] - max);
                }

                // Σ e^(z−m) over stack-sized pieces of the row.
                float expSum = 0f;
                for (int start = 0; start < outputs; start += ScratchLength)
                {
                    int length = Math.Min(ScratchLength, outputs - start);
                    Span<float> shifted = scratch.Slice(0, length);
                    TensorPrimitives.Subtract(logitRow.Slice(start, length), max, shifted);
                    ExpOfShifted(shifted);
                    expSum += TensorPrimitives.Sum<float>(shifted);
                }

                totalLoss += rowWeight * Math.Log(expSum) - weightedShift;
                totalWeight += rowWeight;
            }

            return (float)(totalLoss / totalWeight);
        }

        /// <summary>
        /// Returns the divisor of the mean loss of
        /// <see cref="SoftmaxCrossEntropy(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, float, ReadOnlySpan{float})"/>
        /// for these targets: the batch's total weight <c>Σ_n W_n</c>, with <c>W_n = Σ_c w_c·t′_nc</c>,
        /// summed in the loss kernel's order. A batch split into parts has the mean loss
        /// <c>Σ_k (W_k / W)·L_k</c> of the parts' means L_k, and its gradient likewise.
        /// </summary>
        /// <param name="target">Target probabilities t, [batch, outputs].</param>
        /// <param name="batch">Number of samples B, at least 1.</param>
        /// <param name="outputs">Number of classes C.</param>
        /// <param name="labelSmoothing">ε in [0, 1); 0 turns smoothing off.</param>
        /// <param name="classWeights">Weight w_c of each class, finite and zero or positive, C of them; empty means all 1.</param>
        /// <returns>The total weight; 0 when every sample's classes weigh 0.</returns>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is less than 1, <paramref name="outputs"/> is negative, or <paramref name="labelSmoothing"/> is outside [0, 1).</exception>
        /// <exception cref="ArgumentException"><paramref name="target"/>'s length differs from batch × outputs, or <paramref name="classWeights"/> is invalid as for the loss.</exception>
        public static double SoftmaxCrossEntropyWeight(ReadOnlySpan<float> target, int batch, int outputs, float labelSmoothing, ReadOnlySpan<float> classWeights)
        {
            RequireLossArguments(target.Length, target.Length, batch, outputs, nameof(target));
            RequireCrossEntropyOptions(labelSmoothing, classWeights, outputs);
            var smoothing = new LabelSmoothing(labelSmoothing, outputs, classWeights);
            double totalWeight = 0;
            for (int b = 0; b < batch; b++)
            {
                ReadOnlySpan<float> targetRow = target.Slice(b * outputs, outputs);
                double rowWeight = 0;
                for (int c = 0; c < outputs; c++)
                {
                    rowWeight += smoothing.WeightedTarget(targetRow[c], c);
                }

                totalWeight += rowWeight;
            }

            return totalWeight;
        }

        /// <summary>Returns <c>max(x, 0) − x·t + ln(1 + e^(−|x|))</c>; NaN in gives NaN out.</summary>
        private static double BinaryCrossEntropyTerm(double x, double t) =>
            Math.Max(x, 0.0) - x * t + ActivationKernels.LogP1(Math.Exp(-Math.Abs(x)));

        private static void RequireCrossEntropyOptions(float labelSmoothing, ReadOnlySpan<float> classWeights, int outputs)
        {
            // The negated test also rejects NaN.
            if (!(labelSmoothing >= 0f && labelSmoothing < 1f))
            {
                ThrowInvalidLabelSmoothing(labelSmoothing);
            }

            if (classWeights.IsEmpty)
            {
                return;
            }

            KernelArguments.RequireLength(classWeights.Length, outputs, nameof(classWeights), "one weight per class, 'outputs'");
            for (int c = 0; c < classWeights.Length; c++)
            {
                if (!float.IsFinite(classWeights[c]) || classWeights[c] < 0f)
                {
                    ThrowInvalidClassWeight(c, classWeights[c]);
                }
            }
        }

        [DoesNotReturn]
        private static void ThrowInvalidLabelSmoothing(float labelSmoothing) =>
            throw new ArgumentOutOfRangeException(
                nameof(labelSmoothing), labelSmoothing, $"The label smoothing must be in [0, 1), but it is {labelSmoothing}. Pass 0 to turn smoothing off; PyTorch examples often use 0.1.");

        [DoesNotReturn]
        private static void ThrowInvalidClassWeight(int index, float weight) =>
            throw new ArgumentException(
                $"The class weight classWeights[{index}] must be finite and zero or positive, but it is {weight}. Pass non-negative weights, or an empty span for all 1.",
                "classWeights");

        /// <summary>The factors of w_c·t′_c = w_c·((1 − ε)·t_c + ε/C), fixed for one call.</summary>
        private readonly ref struct LabelSmoothing(float labelSmoothing, int outputs, ReadOnlySpan<float> classWeights)
        {
            private readonly double _keep = 1.0 - labelSmoothing;
            private readonly double _spread = (double)labelSmoothing / outputs;
            private readonly ReadOnlySpan<float> _weights = classWeights;

            /// <summary>Returns w_c·t′_c for the target <paramref name="target"/> of class <paramref name="index"/>.</summary>
            public double WeightedTarget(float target, int index)
            {
                double weight = _weights.IsEmpty ? 1.0 : _weights[index];
                return weight * (_keep * target + _spread);
            }
        }
    }
}
