using System;
using System.Numerics.Tensors;

namespace NetGen.Kernels
{
    // Softmax as an activation layer, [batch, outputs] row-major, with its backward step.
    public static partial class ActivationKernels
    {
        /// <summary>
        /// Replaces each row with its softmax, <c>e^(x−m) / Σ e^(x−m)</c> with m the row maximum,
        /// as <see cref="LossKernels.Softmax"/>. A row that contains NaN becomes all NaN.
        /// </summary>
        /// <param name="values">Logits, [batch, outputs]; replaced by probabilities.</param>
        /// <param name="batch">Number of rows.</param>
        /// <param name="outputs">Length of each row.</param>
        /// <exception cref="ArgumentOutOfRangeException">A size is negative.</exception>
        /// <exception cref="ArgumentException">The span's length differs from batch × outputs.</exception>
        public static void SoftmaxRows(Span<float> values, int batch, int outputs) => LossKernels.Softmax(values, batch, outputs);

        /// <summary>
        /// Multiplies each gradient row by the softmax Jacobian: <c>g ← y ⊙ (g − Σ_o g·y)</c> per row.
        /// </summary>
        /// <remarks>
        /// Use this for a softmax layer whose output feeds a loss other than
        /// <see cref="LossKernels.SoftmaxCrossEntropy(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int)"/>,
        /// which already contains the softmax.
        /// </remarks>
        /// <param name="output">The softmax outputs y of the forward pass, [batch, outputs].</param>
        /// <param name="gradient">Gradient with respect to y on entry, with respect to the logits on return, [batch, outputs].</param>
        /// <param name="batch">Number of rows.</param>
        /// <param name="outputs">Length of each row.</param>
        /// <exception cref="ArgumentOutOfRangeException">A size is negative.</exception>
        /// <exception cref="ArgumentException">A span's length differs from batch × outputs.</exception>
        public static void SoftmaxRowsBackward(ReadOnlySpan<float> output, Span<float> gradient, int batch, int outputs)
        {
            KernelArguments.RequireSize(batch);
            KernelArguments.RequireSize(outputs);
            KernelArguments.RequireLength(output.Length, batch, outputs, nameof(output), nameof(batch), nameof(outputs));
            KernelArguments.RequireLength(gradient.Length, batch, outputs, nameof(gradient), nameof(batch), nameof(outputs));
            if (outputs == 0)
            {
                return;
            }

            for (int b = 0; b < batch; b++)
            {
                ReadOnlySpan<float> y = output.Slice(b * outputs, outputs);
                Span<float> g = gradient.Slice(b * outputs, outputs);
                float dot = TensorPrimitives.Dot(g, y);
                TensorPrimitives.Subtract(g, dot, g);
                TensorPrimitives.Multiply(g, y, g);
            }
        }
    }
}
