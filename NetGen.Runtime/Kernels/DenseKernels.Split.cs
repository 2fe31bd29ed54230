using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NetGen.Kernels
{
    // Ranges of a layer's outputs, for threads that share one layer. A range's call runs the
    // kernel of the whole layer, so every output gets the same bits. The packed forward kernel sums
    // each output from its bias over the same blocks of inputs. The weight-gradient kernel sums
    // each weight over the batch in sample order.
    public static partial class DenseKernels
    {
        /// <summary>
        /// Output ranges start at multiples of this: the packed forward kernel's panel width, so a
        /// range of at least this many outputs takes the same kernel as the whole layer.
        /// </summary>
        internal const int SplitAlignment = PanelOutputs;

        /// <summary>
        /// Returns whether <see cref="Forward"/> of this shape runs the packed kernel, whose output
        /// ranges of at least <see cref="SplitAlignment"/> outputs give the whole call's bits.
        /// </summary>
        internal static bool ForwardSplits(int batch, int inputs, int outputs) =>
            !(batch == 1 && Vector512Fma.IsSupported && inputs >= Vector512<float>.Count)
            && !UsePartialsForward(batch, inputs, outputs)
            && !UseLaneForward(batch, inputs, outputs)
            && !UseNarrowForward(batch, inputs, outputs)
            && UsePackedForward(batch, inputs, outputs);

        /// <summary>
        /// Returns whether <see cref="AccumulateGradients"/> of this shape sums the weight gradient
        /// with the row kernel, whose ranges of rows give the whole call's bits.
        /// </summary>
        internal static bool WeightGradientSplits(int batch, int inputs, int outputs) =>
            !UseNarrowWeightGradient(batch, inputs, outputs);

        /// <summary>
        /// Computes outputs <paramref name="first"/> … <paramref name="first"/> + <paramref name="count"/> − 1
        /// of <see cref="Forward"/> for a layer of <paramref name="outputs"/> outputs with the packed
        /// kernel, on arguments that <see cref="Forward"/> has checked. Forward calls it for the whole
        /// layer, and a thread of a shared layer for its range when <see cref="ForwardSplits"/> holds.
        /// </summary>
        /// <remarks>Requires <paramref name="count"/> ≥ <see cref="SplitAlignment"/>.</remarks>
        internal static void ForwardRange(ref float x, ref float w, ref float bias, ref float y, int batch, int inputs, int outputs, int first, int count)
        {
            ref float wRows = ref Unsafe.Add(ref w, (nint)first * inputs);
            ref float biasRange = ref Unsafe.Add(ref bias, first);
            ref float yColumns = ref Unsafe.Add(ref y, first);
            if (RuntimeHelpers.TryEnsureSufficientExecutionStack())
            {
                ForwardPackedOnStack(ref x, ref wRows, ref biasRange, ref yColumns, batch, inputs, count, yStride: outputs);
            }
            else
            {
                ForwardPacked512(HeapPanel(), ref x, ref wRows, ref biasRange, ref yColumns, batch, inputs, count, yStride: outputs);
            }
        }

        /// <summary>
        /// Adds the weight gradient of rows <paramref name="first"/> … <paramref name="first"/> + <paramref name="count"/> − 1
        /// of dw for a layer of <paramref name="outputs"/> outputs, on arguments that
        /// <see cref="AccumulateGradients"/> has checked and for which <see cref="WeightGradientSplits"/> holds.
        /// </summary>
        internal static void WeightGradientRange(ref float dy, ref float x, ref float dw, int batch, int inputs, int outputs, int first, int count) =>
            AccumulateWeightGradientRows(ref Unsafe.Add(ref dy, first), ref x, ref Unsafe.Add(ref dw, (nint)first * inputs), batch, inputs, count, dyStride: outputs);

        /// <summary>Adds the weight gradient with the widest row kernel that fits the inputs; rows of dy are <paramref name="dyStride"/> floats apart.</summary>
        private static void AccumulateWeightGradientRows(ref float dy, ref float x, ref float dw, int batch, int inputs, int outputs, int dyStride)
        {
            if (Vector512Fma.IsSupported && inputs >= Vector512<float>.Count)
            {
                AccumulateWeightGradientCore<Vector512Fma, Vector512<float>>(ref dy, ref x, ref dw, batch, inputs, outputs, dyStride);
            }
            else if (Vector256Fma.IsSupported && inputs >= Vector256<float>.Count)
            {
                AccumulateWeightGradientCore<Vector256Fma, Vector256<float>>(ref dy, ref x, ref dw, batch, inputs, outputs, dyStride);
            }
            else if (Vector128Simd.IsSupported && inputs >= Vector128<float>.Count)
            {
                AccumulateWeightGradientCore<Vector128Simd, Vector128<float>>(ref dy, ref x, ref dw, batch, inputs, outputs, dyStride);
            }
            else
            {
                AccumulateWeightGradientCore<ScalarSimd, float>(ref dy, ref x, ref dw, batch, inputs, outputs, dyStride);
            }
        }
    }
}
