using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NetGen.Kernels
{
    // Batch normalisation over rows of S positions, one (sample, channel) row at a time, with an
    // optional ReLU fused in. The forward pass reads each row twice while it sits in L1: its sum,
    // then its deviations from the row mean and their squares. It merges the rows' means and
    // squared deviations in double with the pairwise update of Chan, Golub and LeVeque, and a
    // second sweep writes xhat and y. The backward pass sums dy and dy·xhat in one sweep and writes dx in
    // a second. With ReLU, the backward pass recomputes y = γ·xhat + β from the kept xhat with
    // the same fused multiply-add as the forward pass, so it takes the same ReLU decision
    // without reading y.
    public static partial class NormKernels
    {
        /// <summary>
        /// Computes <see cref="BatchNormTrainForward"/> followed by ReLU: <c>y = max(0, γ[c]·xhat + β[c])</c>,
        /// with xhat, mean and invStd as there. NaN stays NaN.
        /// </summary>
        /// <param name="x">Inputs, [batch, channels, spatial].</param>
        /// <param name="gamma">Scales, [channels].</param>
        /// <param name="beta">Shifts, [channels].</param>
        /// <param name="y">Outputs after ReLU, [batch, channels, spatial]; overwritten.</param>
        /// <param name="xhat">Normalised inputs for the backward pass, [batch, channels, spatial]; overwritten.</param>
        /// <param name="mean">Batch mean per channel, [channels]; overwritten.</param>
        /// <param name="invStd">1 / sqrt(biased batch variance + epsilon) per channel, [channels]; overwritten.</param>
        /// <param name="batch">Number of samples B.</param>
        /// <param name="channels">Number of channels C.</param>
        /// <param name="spatial">Positions per channel S.</param>
        /// <param name="epsilon">Added to the variance, finite and zero or positive; torch uses 1e-5.</param>
        /// <exception cref="ArgumentOutOfRangeException">A size is negative, B·S is below 2, or <paramref name="epsilon"/> is negative or not finite.</exception>
        /// <exception cref="ArgumentException">A span's length differs from its shape.</exception>
        public static void BatchNormReluTrainForward(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
            Span<float> y, Span<float> xhat, Span<float> mean, Span<float> invStd, int batch, int channels, int spatial, float epsilon)
        {
            RequireTrainForwardArguments(x, gamma, beta, y, xhat, mean, invStd, batch, channels, spatial, epsilon);
            BatchNormTrainForwardRows(x, gamma, beta, y, xhat, mean, invStd, batch, channels, spatial, epsilon, relu: true);
        }

        /// <summary>
        /// Computes the gradients of <see cref="BatchNormReluTrainForward"/>: ReLU′ applied to
        /// <paramref name="dy"/>, then <see cref="BatchNormBackward"/>. ReLU′ is 1 where
        /// γ[c]·xhat + β[c] is positive and 0 elsewhere, and multiplies the gradient as
        /// <see cref="ActivationKernels.ReluBackward"/> does.
        /// </summary>
        /// <param name="dy">Gradient with respect to the ReLU outputs, [batch, channels, spatial].</param>
        /// <param name="xhat">xhat from the forward pass, [batch, channels, spatial].</param>
        /// <param name="gamma">Scales, [channels].</param>
        /// <param name="beta">Shifts, [channels], as the forward pass used them.</param>
        /// <param name="invStd">invStd from the forward pass, [channels].</param>
        /// <param name="dx">Gradient with respect to the input, [batch, channels, spatial]; overwritten.</param>
        /// <param name="dgamma">Scale gradient, [channels]; added to.</param>
        /// <param name="dbeta">Shift gradient, [channels]; added to.</param>
        /// <param name="batch">Number of samples B.</param>
        /// <param name="channels">Number of channels C.</param>
        /// <param name="spatial">Positions per channel S.</param>
        /// <exception cref="ArgumentOutOfRangeException">A size is negative, or B·S is below 2.</exception>
        /// <exception cref="ArgumentException">A span's length differs from its shape.</exception>
        public static void BatchNormReluBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> xhat, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
            ReadOnlySpan<float> invStd, Span<float> dx, Span<float> dgamma, Span<float> dbeta, int batch, int channels, int spatial)
        {
            RequireBackwardArguments(dy, xhat, gamma, invStd, dx, dgamma, dbeta, batch, channels, spatial);
            KernelArguments.RequireLength(beta.Length, channels, nameof(beta), nameof(channels));
            BatchNormBackwardRows(dy, xhat, gamma, beta, invStd, dx, dgamma, dbeta, batch, channels, spatial, relu: true);
        }

        /// <summary>Channels whose per-channel state the row kernels keep on the stack at once.</summary>
        private const int RowChannelBlock = 256;

        /// <summary>Returns the vector width in bits that the row kernels use for rows of <paramref name="spatial"/> positions, or 0 for scalar code.</summary>
        /// <remarks>The forward and backward passes must pick the same width, so that the backward pass recomputes y bit for bit.</remarks>
        private static int RowVectorBits(int spatial) =>
            Vector512Fma.IsSupported && spatial >= Vector512<float>.Count ? 512
            : Vector256Fma.IsSupported && spatial >= Vector256<float>.Count ? 256
            : Vector128Simd.IsSupported && spatial >= Vector128<float>.Count ? 128
            : 0;

        private static void BatchNormTrainForwardRows(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
            Span<float> y, Span<float> xhat, Span<float> mean, Span<float> invStd, int batch, int channels, int spatial, float epsilon, bool relu)
        {
            var rows = new RowTensors(
                ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(xhat), ref MemoryMarshal.GetReference(y), batch, channels, spatial);
            switch (RowVectorBits(spatial))
            {
                case 512:
                    TrainForwardRowsCore<Vector512Fma, Vector512<float>>(rows, gamma, beta, mean, invStd, epsilon, relu);
                    break;
                case 256:
                    TrainForwardRowsCore<Vector256Fma, Vector256<float>>(rows, gamma, beta, mean, invStd, epsilon, relu);
                    break;
                case 128:
                    TrainForwardRowsCore<Vector128Simd, Vector128<float>>(rows, gamma, beta, mean, invStd, epsilon, relu);
                    break;
                default:
                    TrainForwardRowsCore<ScalarSimd, float>(rows, gamma, beta, mean, invStd, epsilon, relu);
                    break;
            }
        }

        private static void BatchNormBackwardRows(ReadOnlySpan<float> dy, ReadOnlySpan<float> xhat, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
            ReadOnlySpan<float> invStd, Span<float> dx, Span<float> dgamma, Span<float> dbeta, int batch, int channels, int spatial, bool relu)
        {
            var rows = new RowTensors(
                ref MemoryMarshal.GetReference(dy), ref MemoryMarshal.GetReference(xhat), ref MemoryMarshal.GetReference(dx), batch, channels, spatial);
            switch (RowVectorBits(spatial))
            {
                case 512:
                    BackwardRowsCore<Vector512Fma, Vector512<float>>(rows, gamma, beta, invStd, dgamma, dbeta, relu);
                    break;
                case 256:
                    BackwardRowsCore<Vector256Fma, Vector256<float>>(rows, gamma, beta, invStd, dgamma, dbeta, relu);
                    break;
                case 128:
                    BackwardRowsCore<Vector128Simd, Vector128<float>>(rows, gamma, beta, invStd, dgamma, dbeta, relu);
                    break;
                default:
                    BackwardRowsCore<ScalarSimd, float>(rows, gamma, beta, invStd, dgamma, dbeta, relu);
                    break;
            }
        }

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void TrainForwardRowsCore<TSimd, TVector>(in RowTensors rows, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
            Span<float> mean, Span<float> invStd, float epsilon, bool relu)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            int channels = rows.Channels;
            int spatial = rows.Spatial;
            int count = TSimd.Count;
            TVector tailMask = TSimd.UpperLanesMask(spatial % count);
            TVector one = TSimd.Broadcast(1f);

            // Both sweeps walk the tensors in memory order, sample by sample, so that the hardware
            // prefetchers stream them. Rows of a few hundred floats visited channel by channel
            // would each start a new stream. The per-channel state of a block of channels lives on the stack.
            Span<double> merged = stackalloc double[3 * RowChannelBlock];
            Span<float> constants = stackalloc float[2 * RowChannelBlock];
            for (int first = 0; first < channels; first += RowChannelBlock)
            {
                int end = Math.Min(channels, first + RowChannelBlock);
                merged.Clear();
                TrainForwardBlock<TSimd, TVector>(rows, gamma, beta, mean, invStd, epsilon, relu, first, end, merged, constants);
            }
        }

        /// <summary>Runs both sweeps of <see cref="TrainForwardRowsCore"/> for channels [first, end), with state for them in <paramref name="merged"/> and <paramref name="constants"/>.</summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void TrainForwardBlock<TSimd, TVector>(in RowTensors rows, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
            Span<float> mean, Span<float> invStd, float epsilon, bool relu, int first, int end, Span<double> merged, Span<float> constants)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            int spatial = rows.Spatial;
            int count = TSimd.Count;
            TVector tailMask = TSimd.UpperLanesMask(spatial % count);
            TVector one = TSimd.Broadcast(1f);
            Span<double> mergedCount = merged.Slice(0, RowChannelBlock);
            Span<double> mergedMean = merged.Slice(RowChannelBlock, RowChannelBlock);
            Span<double> mergedSquares = merged.Slice(2 * RowChannelBlock, RowChannelBlock);
            for (int b = 0; b < rows.Batch; b++)
            {
                for (int c = first; c < end; c++)
                {
                    int j = c - first;
                    ref float row = ref rows.Input(b, c);
                    float center = RowSum<TSimd, TVector>(ref row, spatial, tailMask) / spatial;
                    (double deviations, double squares) = RowDeviations<TSimd, TVector>(ref row, spatial, center, tailMask);

                    // The deviation sum corrects the center to the row mean and the squares to the
                    // squared deviations about it. The pairwise update then merges the row in.
                    double rowMean = center + (deviations / spatial);
                    double rowSquares = Math.Max(squares - (deviations * deviations / spatial), 0);
                    double before = mergedCount[j];
                    double total = before + spatial;
                    double delta = rowMean - mergedMean[j];
                    mergedMean[j] += delta * spatial / total;
                    mergedSquares[j] += rowSquares + (delta * delta * before * spatial / total);
                    mergedCount[j] = total;
                }
            }

            // Per channel: xhat = ((x − center) − correction)·scale, where the float center makes
            // the subtraction exact for inputs near it, so a large common offset keeps its precision.
            Span<float> centers = constants.Slice(0, RowChannelBlock);
            Span<float> shifts = constants.Slice(RowChannelBlock, RowChannelBlock);
            for (int c = first; c < end; c++)
            {
                int j = c - first;
                double variance = mergedSquares[j] / mergedCount[j];
                float scale = (float)(1 / Math.Sqrt(variance + epsilon));
                mean[c] = (float)mergedMean[j];
                invStd[c] = scale;
                centers[j] = (float)mergedMean[j];
                shifts[j] = (float)(-(mergedMean[j] - centers[j]) * scale);
            }

            for (int b = 0; b < rows.Batch; b++)
            {
                for (int c = first; c < end; c++)
                {
                    TVector negativeCenter = TSimd.Broadcast(-centers[c - first]);
                    TVector scales = TSimd.Broadcast(invStd[c]);
                    TVector shift = TSimd.Broadcast(shifts[c - first]);
                    TVector gammas = TSimd.Broadcast(gamma[c]);
                    TVector betas = TSimd.Broadcast(beta[c]);
                    ref float source = ref rows.Input(b, c);
                    ref float normalised = ref rows.Normalized(b, c);
                    ref float output = ref rows.Output(b, c);
                    for (int s = 0; s < spatial; s += count)
                    {
                        // The last vector ends at the row's end and rewrites overlapped lanes with the same values.
                        int at = Math.Min(s, spatial - count);
                        TVector value = TSimd.MultiplyAdd(TSimd.MultiplyAdd(TSimd.Load(ref Unsafe.Add(ref source, at)), one, negativeCenter), scales, shift);
                        TSimd.Store(ref Unsafe.Add(ref normalised, at), value);
                        TVector result = TSimd.MultiplyAdd(value, gammas, betas);
                        if (relu)
                        {
                            result = ApplyRelu<TSimd, TVector>(result, one);
                        }

                        TSimd.Store(ref Unsafe.Add(ref output, at), result);
                    }
                }
            }
        }

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void BackwardRowsCore<TSimd, TVector>(in RowTensors rows, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
            ReadOnlySpan<float> invStd, Span<float> dgamma, Span<float> dbeta, bool relu)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            int channels = rows.Channels;
            int spatial = rows.Spatial;
            int count = TSimd.Count;
            double n = (double)rows.Batch * spatial;
            TVector tailMask = TSimd.UpperLanesMask(spatial % count);
            TVector one = TSimd.Broadcast(1f);

            // Memory order and blocks of channels, as in the forward pass.
            Span<double> sums = stackalloc double[2 * RowChannelBlock];
            Span<float> constants = stackalloc float[3 * RowChannelBlock];
            for (int first = 0; first < channels; first += RowChannelBlock)
            {
                int end = Math.Min(channels, first + RowChannelBlock);
                sums.Clear();
                BackwardBlock<TSimd, TVector>(rows, gamma, beta, invStd, dgamma, dbeta, relu, first, end, sums, constants);
            }
        }

        /// <summary>Runs both sweeps of <see cref="BackwardRowsCore"/> for channels [first, end), with state for them in <paramref name="sums"/> and <paramref name="constants"/>.</summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void BackwardBlock<TSimd, TVector>(in RowTensors rows, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
            ReadOnlySpan<float> invStd, Span<float> dgamma, Span<float> dbeta, bool relu, int first, int end, Span<double> sums, Span<float> constants)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            int spatial = rows.Spatial;
            int count = TSimd.Count;
            double n = (double)rows.Batch * spatial;
            TVector tailMask = TSimd.UpperLanesMask(spatial % count);
            TVector one = TSimd.Broadcast(1f);

            // Σ g and Σ g·xhat per channel, with g = dy·ReLU′.
            Span<double> gradientSums = sums.Slice(0, RowChannelBlock);
            Span<double> projections = sums.Slice(RowChannelBlock, RowChannelBlock);
            for (int b = 0; b < rows.Batch; b++)
            {
                for (int c = first; c < end; c++)
                {
                    TVector gammas = TSimd.Broadcast(gamma[c]);
                    TVector betas = relu ? TSimd.Broadcast(beta[c]) : TSimd.Zero;
                    ref float gradient = ref rows.Input(b, c);
                    ref float normalised = ref rows.Normalized(b, c);
                    for (int start = 0; start < spatial; start += ChunkLength)
                    {
                        int chunkEnd = Math.Min(spatial, start + ChunkLength);
                        TVector sum = TSimd.Zero, dot = TSimd.Zero;
                        for (int s = start; s < chunkEnd; s += count)
                        {
                            // The last vector of the row ends at its end; only its new lanes count.
                            bool last = s + count > spatial;
                            int at = last ? spatial - count : s;
                            TVector xh = TSimd.Load(ref Unsafe.Add(ref normalised, at));
                            TVector g = TSimd.Load(ref Unsafe.Add(ref gradient, at));
                            if (relu)
                            {
                                g = ApplyReluDerivative<TSimd, TVector>(g, TSimd.MultiplyAdd(xh, gammas, betas), one);
                            }

                            if (last)
                            {
                                g = TSimd.And(g, tailMask);
                            }

                            sum = TSimd.MultiplyAdd(g, one, sum);
                            dot = TSimd.MultiplyAdd(g, xh, dot);
                        }

                        gradientSums[c - first] += TSimd.Sum(sum);
                        projections[c - first] += TSimd.Sum(dot);
                    }
                }
            }

            // dx = dy·k + xhat·(−k·projection/n) − k·gradientSum/n with k = γ·invStd.
            Span<float> dyScales = constants.Slice(0, RowChannelBlock);
            Span<float> xhatScales = constants.Slice(RowChannelBlock, RowChannelBlock);
            Span<float> offsets = constants.Slice(2 * RowChannelBlock, RowChannelBlock);
            for (int c = first; c < end; c++)
            {
                int j = c - first;
                dbeta[c] += (float)gradientSums[j];
                dgamma[c] += (float)projections[j];
                double k = (double)gamma[c] * invStd[c];
                dyScales[j] = (float)k;
                xhatScales[j] = (float)(-k * projections[j] / n);
                offsets[j] = (float)(-k * gradientSums[j] / n);
            }

            for (int b = 0; b < rows.Batch; b++)
            {
                for (int c = first; c < end; c++)
                {
                    int j = c - first;
                    TVector gammas = TSimd.Broadcast(gamma[c]);
                    TVector betas = relu ? TSimd.Broadcast(beta[c]) : TSimd.Zero;
                    TVector dyScale = TSimd.Broadcast(dyScales[j]);
                    TVector xhatScale = TSimd.Broadcast(xhatScales[j]);
                    TVector offset = TSimd.Broadcast(offsets[j]);
                    ref float gradient = ref rows.Input(b, c);
                    ref float normalised = ref rows.Normalized(b, c);
                    ref float output = ref rows.Output(b, c);
                    for (int s = 0; s < spatial; s += count)
                    {
                        int at = Math.Min(s, spatial - count);
                        TVector xh = TSimd.Load(ref Unsafe.Add(ref normalised, at));
                        TVector g = TSimd.Load(ref Unsafe.Add(ref gradient, at));
                        if (relu)
                        {
                            g = ApplyReluDerivative<TSimd, TVector>(g, TSimd.MultiplyAdd(xh, gammas, betas), one);
                        }

                        TSimd.Store(ref Unsafe.Add(ref output, at), TSimd.MultiplyAdd(g, dyScale, TSimd.MultiplyAdd(xh, xhatScale, offset)));
                    }
                }
            }
        }

        /// <summary>Returns the fp32 sum of one row; a row longer than one vector ends with a vector masked to its new lanes.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static float RowSum<TSimd, TVector>(ref float row, int spatial, TVector tailMask)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            int count = TSimd.Count;
            TVector one = TSimd.Broadcast(1f);
            TVector sum = TSimd.Zero;
            int s = 0;
            for (; s <= spatial - count; s += count)
            {
                sum = TSimd.MultiplyAdd(TSimd.Load(ref Unsafe.Add(ref row, s)), one, sum);
            }

            if (s < spatial)
            {
                sum = TSimd.MultiplyAdd(TSimd.And(TSimd.Load(ref Unsafe.Add(ref row, spatial - count)), tailMask), one, sum);
            }

            return TSimd.Sum(sum);
        }

        /// <summary>Returns Σ (x − center) and Σ (x − center)² of one row, in fp32 vectors per chunk and double across chunks.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static (double Deviations, double Squares) RowDeviations<TSimd, TVector>(ref float row, int spatial, float center, TVector tailMask)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            int count = TSimd.Count;
            TVector one = TSimd.Broadcast(1f);
            TVector negativeCenter = TSimd.Broadcast(-center);
            double deviations = 0, squares = 0;
            for (int start = 0; start < spatial; start += ChunkLength)
            {
                int end = Math.Min(spatial, start + ChunkLength);
                TVector sum = TSimd.Zero, square = TSimd.Zero;
                for (int s = start; s < end; s += count)
                {
                    bool last = s + count > spatial;
                    TVector deviation = TSimd.MultiplyAdd(TSimd.Load(ref Unsafe.Add(ref row, last ? spatial - count : s)), one, negativeCenter);
                    if (last)
                    {
                        deviation = TSimd.And(deviation, tailMask);
                    }

                    sum = TSimd.MultiplyAdd(deviation, one, sum);
                    square = TSimd.MultiplyAdd(deviation, deviation, square);
                }

                deviations += TSimd.Sum(sum);
                squares += TSimd.Sum(square);
            }

            return (deviations, squares);
        }

        /// <summary>Returns max(0, value) as value·[value &gt; 0] + 0, which keeps NaN and turns −0 into +0.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static TVector ApplyRelu<TSimd, TVector>(TVector value, TVector one)
            where TSimd : ISimd<TVector>
            where TVector : struct =>
            TSimd.MultiplyAdd(value, TSimd.And(one, TSimd.PositiveMask(value)), TSimd.Zero);

        /// <summary>Returns gradient·[output &gt; 0] + 0, as ReluBackward multiplies: a NaN gradient stays NaN.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static TVector ApplyReluDerivative<TSimd, TVector>(TVector gradient, TVector output, TVector one)
            where TSimd : ISimd<TVector>
            where TVector : struct =>
            TSimd.MultiplyAdd(gradient, TSimd.And(one, TSimd.PositiveMask(output)), TSimd.Zero);

        /// <summary>Three [batch, channels, spatial] tensors that the row kernels walk together: an input, xhat and an output.</summary>
        private readonly ref struct RowTensors
        {
            private readonly ref float _input;
            private readonly ref float _normalized;
            private readonly ref float _output;

            public RowTensors(ref float input, ref float normalized, ref float output, int batch, int channels, int spatial)
            {
                _input = ref input;
                _normalized = ref normalized;
                _output = ref output;
                Batch = batch;
                Channels = channels;
                Spatial = spatial;
            }

            public int Batch { get; }

            public int Channels { get; }

            public int Spatial { get; }

            /// <summary>Returns the start of row (b, c) of the input: x forward, dy backward.</summary>
            public ref float Input(int b, int c) => ref Unsafe.Add(ref _input, RowStart(b, c));

            /// <summary>Returns the start of row (b, c) of xhat.</summary>
            public ref float Normalized(int b, int c) => ref Unsafe.Add(ref _normalized, RowStart(b, c));

            /// <summary>Returns the start of row (b, c) of the output: y forward, dx backward.</summary>
            public ref float Output(int b, int c) => ref Unsafe.Add(ref _output, RowStart(b, c));

            private nint RowStart(int b, int c) => (((nint)b * Channels) + c) * Spatial;
        }
    }
}
