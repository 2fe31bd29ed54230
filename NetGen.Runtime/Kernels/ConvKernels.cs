using System;
using System.Diagnostics.CodeAnalysis;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

// The convolution benchmarks force each algorithm through the internal ForwardWith and its siblings.
[assembly: InternalsVisibleTo("NetGen.Benchmarks")]

namespace NetGen.Kernels
{
    /// <summary>
    /// Forward and backward kernels of a 1-D or 2-D convolution over NCHW tensors, in fp32.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Dimensions: B = <c>batch</c>, Ci and Co = input and output channels, G = groups,
    /// H×W = input size, OH×OW = output size, KH×KW = kernel size, all taken from a
    /// <see cref="ConvGeometry"/>. Tensors are row-major and contiguous: x and dx [B, Ci, H, W],
    /// w and dw [Co, Ci/G, KH, KW] (the torch.nn.Conv2d layout), bias and dbias [Co],
    /// y and dy [B, Co, OH, OW].
    /// </para>
    /// <para>
    /// Each tensor span must have exactly the length its shape gives, and <c>scratch</c> at least
    /// <see cref="ConvGeometry.ScratchLength"/> floats, or the kernel throws an
    /// <see cref="ArgumentException"/> before touching any data. The kernels use scratch as they
    /// like and leave it undefined, allocate nothing, and are safe to call from several threads on
    /// separate buffers.
    /// </para>
    /// <para>
    /// The geometry picks one of two algorithms for each kernel, by the rules next to
    /// <see cref="ChooseForwardAlgorithm"/>: im2col followed by the GEMM kernels of
    /// <see cref="DenseKernels"/>, or a direct convolution over a zero-padded copy of the input. Both accumulate in fp32 in an order that depends on
    /// the algorithm and the vector width, so results may differ from a sequential sum in the last bits.
    /// </para>
    /// </remarks>
    public static partial class ConvKernels
    {
        /// <summary>
        /// Computes the convolution:
        /// <c>y[b,co,oh,ow] = bias[co] + Σ_{ci,kh,kw} w[co,ci,kh,kw]·x[b, g·Ci/G + ci, oh·sh − pt + kh·dh, ow·sw − pl + kw·dw]</c>,
        /// where g is the group of co and x is zero outside the input.
        /// </summary>
        /// <param name="x">Inputs, [batch, Ci, H, W].</param>
        /// <param name="w">Weights, [Co, Ci/G, KH, KW].</param>
        /// <param name="bias">Biases, [Co], or empty for a convolution without bias.</param>
        /// <param name="y">Outputs, [batch, Co, OH, OW]; overwritten.</param>
        /// <param name="scratch">Work space of at least <see cref="ConvGeometry.ScratchLength"/> floats; left undefined.</param>
        /// <param name="batch">Number of samples B.</param>
        /// <param name="g">Geometry of the convolution.</param>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is negative.</exception>
        /// <exception cref="ArgumentException">A span's length differs from its shape, or <paramref name="g"/> is the default value.</exception>
        public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias,
            Span<float> y, Span<float> scratch, int batch, in ConvGeometry g)
        {
            RequireGeometry(g);
            KernelArguments.RequireSize(batch);
            KernelArguments.RequireLength(x.Length, batch, g.InputLength, nameof(x), nameof(batch), "g.InputLength");
            KernelArguments.RequireLength(w.Length, g.WeightLength, nameof(w), "g.WeightLength");
            RequireBias(bias.Length, g.OutChannels, nameof(bias));
            KernelArguments.RequireLength(y.Length, batch, g.OutputLength, nameof(y), nameof(batch), "g.OutputLength");
            RequireScratch(scratch.Length, g);

            ForwardWith(g.ForwardAlgorithm, x, w, bias, y, scratch, batch, g);
        }

        /// <summary>
        /// Computes the gradient with respect to the input:
        /// <c>dx[b, g·Ci/G + ci, ih, iw] = Σ dy[b,co,oh,ow]·w[co,ci,kh,kw]</c> over every output
        /// position and tap that reads (ih, iw). It differentiates the sum of <see cref="Forward"/>.
        /// </summary>
        /// <param name="dy">Gradient with respect to the output, [batch, Co, OH, OW].</param>
        /// <param name="w">Weights, [Co, Ci/G, KH, KW].</param>
        /// <param name="dx">Gradient with respect to the input, [batch, Ci, H, W]; overwritten.</param>
        /// <param name="scratch">Work space of at least <see cref="ConvGeometry.ScratchLength"/> floats; left undefined.</param>
        /// <param name="batch">Number of samples B.</param>
        /// <param name="g">Geometry of the convolution.</param>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is negative.</exception>
        /// <exception cref="ArgumentException">A span's length differs from its shape, or <paramref name="g"/> is the default value.</exception>
        public static void BackwardInput(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx,
            Span<float> scratch, int batch, in ConvGeometry g)
        {
            RequireGeometry(g);
            KernelArguments.RequireSize(batch);
            KernelArguments.RequireLength(dy.Length, batch, g.OutputLength, nameof(dy), nameof(batch), "g.OutputLength");
            KernelArguments.RequireLength(w.Length, g.WeightLength, nameof(w), "g.WeightLength");
            KernelArguments.RequireLength(dx.Length, batch, g.InputLength, nameof(dx), nameof(batch), "g.InputLength");
            RequireScratch(scratch.Length, g);

            BackwardInputWith(g.BackwardInputAlgorithm, dy, w, dx, scratch, batch, g);
        }

        /// <summary>
        /// Adds this batch's parameter gradients to <paramref name="dw"/> and <paramref name="dbias"/>:
        /// <c>dw[co,ci,kh,kw] += Σ_{b,oh,ow} dy[b,co,oh,ow]·x[b, g·Ci/G + ci, oh·sh − pt + kh·dh, ow·sw − pl + kw·dw]</c>
        /// and <c>dbias[co] += Σ_{b,oh,ow} dy[b,co,oh,ow]</c>. It differentiates <see cref="Forward"/>.
        /// </summary>
        /// <remarks>The kernel accumulates and never zeroes: clear the gradients before the first batch.</remarks>
        /// <param name="dy">Gradient with respect to the output, [batch, Co, OH, OW].</param>
        /// <param name="x">The layer's inputs from the forward pass, [batch, Ci, H, W].</param>
        /// <param name="dw">Weight gradient, [Co, Ci/G, KH, KW]; added to.</param>
        /// <param name="dbias">Bias gradient, [Co], or empty for a convolution without bias; added to.</param>
        /// <param name="scratch">Work space of at least <see cref="ConvGeometry.ScratchLength"/> floats; left undefined.</param>
        /// <param name="batch">Number of samples B.</param>
        /// <param name="g">Geometry of the convolution.</param>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> is negative.</exception>
        /// <exception cref="ArgumentException">A span's length differs from its shape, or <paramref name="g"/> is the default value.</exception>
        public static void AccumulateGradients(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, Span<float> dw,
            Span<float> dbias, Span<float> scratch, int batch, in ConvGeometry g)
        {
            RequireGeometry(g);
            KernelArguments.RequireSize(batch);
            KernelArguments.RequireLength(dy.Length, batch, g.OutputLength, nameof(dy), nameof(batch), "g.OutputLength");
            KernelArguments.RequireLength(x.Length, batch, g.InputLength, nameof(x), nameof(batch), "g.InputLength");
            KernelArguments.RequireLength(dw.Length, g.WeightLength, nameof(dw), "g.WeightLength");
            RequireBias(dbias.Length, g.OutChannels, nameof(dbias));
            RequireScratch(scratch.Length, g);

            AccumulateGradientsWith(g.WeightGradientAlgorithm, dy, x, dw, dbias, scratch, batch, g);
        }

        /// <summary>Runs <see cref="Forward"/> on checked arguments with the given algorithm; tests and benchmarks call it to compare both.</summary>
        internal static void ForwardWith(ConvAlgorithm algorithm, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias,
            Span<float> y, Span<float> scratch, int batch, in ConvGeometry g)
        {
            for (int b = 0; b < batch; b++)
            {
                ReadOnlySpan<float> xSample = x.Slice(b * g.InputLength, g.InputLength);
                Span<float> ySample = y.Slice(b * g.OutputLength, g.OutputLength);
                if (algorithm == ConvAlgorithm.Direct)
                {
                    DirectForward(xSample, w, bias, ySample, scratch, g);
                }
                else
                {
                    Im2ColForward(xSample, w, bias, ySample, scratch, g);
                }
            }
        }

        /// <summary>Runs <see cref="BackwardInput"/> on checked arguments with the given algorithm.</summary>
        internal static void BackwardInputWith(ConvAlgorithm algorithm, ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx,
            Span<float> scratch, int batch, in ConvGeometry g)
        {
            bool paired = algorithm == ConvAlgorithm.Im2Col && UsesPairedGradients(g);
            for (int b = 0; b < batch; b++)
            {
                ReadOnlySpan<float> dySample = dy.Slice(b * g.OutputLength, g.OutputLength);
                Span<float> dxSample = dx.Slice(b * g.InputLength, g.InputLength);
                if (algorithm == ConvAlgorithm.Direct)
                {
                    DirectBackwardInput(dySample, w, dxSample, scratch, g);
                }
                else if (paired && b + 1 < batch)
                {
                    Im2ColBackwardInputPair(dySample, dy.Slice((b + 1) * g.OutputLength, g.OutputLength), w,
                        dxSample, dx.Slice((b + 1) * g.InputLength, g.InputLength), scratch, g);
                    b++;
                }
                else
                {
                    Im2ColBackwardInput(dySample, w, dxSample, scratch, g);
                }
            }
        }

        /// <summary>Runs <see cref="AccumulateGradients"/> on checked arguments with the given algorithm.</summary>
        internal static void AccumulateGradientsWith(ConvAlgorithm algorithm, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, Span<float> dw,
            Span<float> dbias, Span<float> scratch, int batch, in ConvGeometry g)
        {
            int positions = g.OutPositions;
            bool paired = algorithm == ConvAlgorithm.Im2Col && UsesPairedGradients(g);
            for (int b = 0; b < batch; b++)
            {
                ReadOnlySpan<float> dySample = dy.Slice(b * g.OutputLength, g.OutputLength);
                ReadOnlySpan<float> xSample = x.Slice(b * g.InputLength, g.InputLength);
                if (algorithm == ConvAlgorithm.Direct)
                {
                    DirectWeightGradient(dySample, xSample, dw, scratch, g);
                }
                else if (paired && b % 2 == 0 && b + 1 < batch)
                {
                    // Samples b and b + 1 together; the bias gradient below still runs per sample.
                    Im2ColWeightGradientPair(dySample, dy.Slice((b + 1) * g.OutputLength, g.OutputLength),
                        xSample, x.Slice((b + 1) * g.InputLength, g.InputLength), dw, scratch, g);
                }
                else if (!paired || b % 2 == 0)
                {
                    Im2ColWeightGradient(dySample, xSample, dw, scratch, g);
                }

                for (int co = 0; co < dbias.Length; co++)
                {
                    dbias[co] += TensorPrimitives.Sum(dySample.Slice(co * positions, positions));
                }
            }
        }

        // Choice of algorithm per kernel. The direct algorithm needs stride 1. Among stride-1
        // layers it wins where the GEMMs get few rows: the rows of the forward product are Co/G
        // and the reduction of both gradient products runs over Co/G. The table lists microseconds
        // of thread CPU time per batch of 32, im2col / direct, the best of 20 runs of 25 ms each.
        // `dotnet run -c Release --project NetGen.Benchmarks -- conv-cpu` (ConvAlgorithmCpuTimes)
        // measured it on an AMD Zen 5 with AVX-512 (2 cores, net10.0) while other jobs kept the
        // load average at 5 to 6. Repeated runs agreed within 10 %, except LeNet's second weight gradient
        // (107 to 146 µs).
        // Both algorithms run 512-bit vectors. im2col unfolds stride-1 inputs from padded planes,
        // and its gradient passes take two samples at a time where P ≤ 256 (Fashion's second layer,
        // LeNet's second and the depthwise layer).
        //   layer                           Co/G  forward      backward input  weight gradient
        //   Fashion 1×28×28 → 32, 3×3 same   32     98 / 126     132 / 302       120 / 215
        //   Fashion 32×14×14 → 64, 3×3 same  64   1139 / 2037   1121 / 2359     1239 / 2503
        //   LeNet 1×28×28 → 6, 5×5 valid      6     66 / 55      148 / 90         55 / 75
        //   LeNet 6×12×12 → 16, 5×5 valid    16     80 / 234     239 / 178       108 / 253
        //   depthwise 32×14×14, 3×3 same      1    182 / 128     310 / 132       191 / 163
        // The forward kernel therefore runs direct at Co/G ≤ 8, the backward-input kernel at
        // Co/G ≤ 16 and the weight gradient only at Co/G ≤ 2.
        // NOTE: the thresholds are estimates between measured layers: no layer with Co/G of 2 to 5,
        // 7 to 15 or 17 to 31 was measured, so such layers may run the slower algorithm. Machines
        // without AVX-512 were not measured with these kernels.

        /// <summary>Picks the algorithm of <see cref="Forward"/> by the rule above.</summary>
        internal static ConvAlgorithm ChooseForwardAlgorithm(in ConvGeometry g) =>
            HasUnitStride(g) && g.OutChannelsPerGroup <= 8 ? ConvAlgorithm.Direct : ConvAlgorithm.Im2Col;

        /// <summary>Picks the algorithm of <see cref="BackwardInput"/> by the rule above.</summary>
        internal static ConvAlgorithm ChooseBackwardInputAlgorithm(in ConvGeometry g) =>
            HasUnitStride(g) && g.OutChannelsPerGroup <= 16 ? ConvAlgorithm.Direct : ConvAlgorithm.Im2Col;

        /// <summary>Picks the algorithm of the weight gradient in <see cref="AccumulateGradients"/> by the rule above.</summary>
        internal static ConvAlgorithm ChooseWeightGradientAlgorithm(in ConvGeometry g) =>
            HasUnitStride(g) && g.OutChannelsPerGroup <= 2 ? ConvAlgorithm.Direct : ConvAlgorithm.Im2Col;

        private static bool HasUnitStride(in ConvGeometry g) => g.StrideHeight == 1 && g.StrideWidth == 1;

        /// <summary>Returns the floats of scratch that the three kernels need with the given algorithms.</summary>
        internal static long ScratchLengthOf(in ConvGeometry g, ConvAlgorithm forward, ConvAlgorithm backwardInput, ConvAlgorithm weightGradient)
        {
            long length = 0;
            if (forward == ConvAlgorithm.Im2Col || backwardInput == ConvAlgorithm.Im2Col || weightGradient == ConvAlgorithm.Im2Col)
            {
                length = Im2ColScratchLength(g);
            }

            if (forward == ConvAlgorithm.Direct || backwardInput == ConvAlgorithm.Direct || weightGradient == ConvAlgorithm.Direct)
            {
                length = Math.Max(length, DirectScratchLength(g));
            }

            return length;
        }

        private static void RequireGeometry(in ConvGeometry g)
        {
            if (g.InChannels == 0)
            {
                throw new ArgumentException(
                    "The convolution geometry 'g' is the default value, which describes no convolution. Create it with the ConvGeometry constructor.",
                    nameof(g));
            }
        }

        private static void RequireBias(int actual, int outChannels, string name)
        {
            if (actual != 0 && actual != outChannels)
            {
                throw new ArgumentException(
                    $"The span '{name}' must have exactly {outChannels} elements (g.OutChannels), or none for a convolution without bias, but it has {actual}.",
                    name);
            }
        }

        private static void RequireScratch(int actual, in ConvGeometry g)
        {
            if (actual < g.ScratchLength)
            {
                ThrowScratchTooShort(actual, g.ScratchLength);
            }
        }

        [DoesNotReturn]
        private static void ThrowScratchTooShort(int actual, int expected) =>
            throw new ArgumentException(
                $"The span 'scratch' must have at least {expected} elements (g.ScratchLength), but it has {actual}. Pass a buffer of g.ScratchLength floats per thread.",
                "scratch");
    }

    /// <summary>Algorithm that <see cref="ConvKernels"/> runs for a geometry.</summary>
    internal enum ConvAlgorithm
    {
        /// <summary>Unfold the input into columns and multiply them with the weights by the dense GEMM kernels.</summary>
        Im2Col,

        /// <summary>Slide the kernel over a zero-padded copy of the input; needs stride 1.</summary>
        Direct,
    }
}
