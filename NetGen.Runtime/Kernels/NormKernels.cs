using System;
using System.Diagnostics.CodeAnalysis;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NetGen.Kernels
{
    /// <summary>
    /// Forward and backward kernels of batch normalisation and layer normalisation, in fp32 with
    /// statistics in double.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Dimensions: B = <c>batch</c>, C = <c>channels</c>, S = <c>spatial</c> (H·W of an image,
    /// H = 1 for a 1-D signal, 1 for dense features), F = <c>features</c>. Batch normalisation
    /// takes x, y, xhat, dy and dx as [B, C, S] (NCHW, contiguous) and gamma, beta, mean, invStd
    /// and the running statistics as [C]. Layer normalisation takes x, y, xhat, dy and dx as
    /// [B, F], gamma and beta as [F] and invStd as [B].
    /// </para>
    /// <para>
    /// Means and variances use the corrected two-pass scheme: a first pass estimates the mean,
    /// a second sums the deviations from that estimate and their squares, and the sum of the
    /// deviations corrects the estimate. Batch normalisation in training does this per
    /// (sample, channel) row and merges the rows' statistics in double with the pairwise update
    /// of Chan, Golub and LeVeque. Inputs with a large common offset (1000 + noise) keep
    /// their variance. Sums of up to <see cref="ChunkLength"/> floats run in fp32 vectors and
    /// longer ones add those partial sums in double. Dense features (S = 1) with at most
        /// 1024 channels and 4096 samples take a path that vectorises across channels and sums
        /// each channel over the batch in fp32.
    /// </para>
    /// <para>
    /// Each span must have exactly the length its shape gives, or the kernel throws an
    /// <see cref="ArgumentException"/> before touching any data. The kernels allocate nothing and
    /// are safe to call from several threads on separate buffers. Outputs must not overlap inputs.
    /// </para>
    /// </remarks>
    public static partial class NormKernels
    {
        /// <summary>Floats summed in fp32 vectors before the sum moves to double.</summary>
        private const int ChunkLength = 4096;

        /// <summary>
        /// Rows of batch normalisation shorter than this are summed in scalar double loops,
        /// because a vectorised call per row costs more than it saves.
        /// </summary>
        // NOTE: rows of 2 to 15 positions (small feature maps) still make several calls per row;
        // only S = 1 has a path that vectorises across channels.
        private const int VectorRowThreshold = 16;

        /// <summary>Returns Σ values, summed in fp32 vectors per chunk and in double across chunks.</summary>
        private static double Sum(ReadOnlySpan<float> values)
        {
            double sum = 0;
            for (int start = 0; start < values.Length; start += ChunkLength)
            {
                sum += TensorPrimitives.Sum(values.Slice(start, Math.Min(ChunkLength, values.Length - start)));
            }

            return sum;
        }

        /// <summary>Returns Σ values², summed in fp32 vectors per chunk and in double across chunks.</summary>
        private static double SumOfSquares(ReadOnlySpan<float> values)
        {
            double sum = 0;
            for (int start = 0; start < values.Length; start += ChunkLength)
            {
                sum += TensorPrimitives.SumOfSquares(values.Slice(start, Math.Min(ChunkLength, values.Length - start)));
            }

            return sum;
        }

        /// <summary>Returns Σ left·right, summed in fp32 vectors per chunk and in double across chunks.</summary>
        private static double Dot(ReadOnlySpan<float> left, ReadOnlySpan<float> right)
        {
            double sum = 0;
            for (int start = 0; start < left.Length; start += ChunkLength)
            {
                int length = Math.Min(ChunkLength, left.Length - start);
                sum += TensorPrimitives.Dot(left.Slice(start, length), right.Slice(start, length));
            }

            return sum;
        }

        /// <summary>
        /// Writes <c>destination[i] = source[i]·multiplier + addend</c>, which TensorPrimitives
        /// offers only with a span for one of the two constants. <paramref name="destination"/> has
        /// the length of <paramref name="source"/> and may be the same span.
        /// </summary>
        private static void MultiplyAdd(ReadOnlySpan<float> source, float multiplier, float addend, Span<float> destination)
        {
            ref float sourceStart = ref MemoryMarshal.GetReference(source);
            ref float destinationStart = ref MemoryMarshal.GetReference(destination);
            int length = source.Length;
            int i = 0;
            if (Vector256.IsHardwareAccelerated && length >= Vector256<float>.Count)
            {
                Vector256<float> multipliers = Vector256.Create(multiplier);
                Vector256<float> addends = Vector256.Create(addend);
                for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
                {
                    Vector256<float> value = Vector256.LoadUnsafe(ref sourceStart, (nuint)i);
                    (value * multipliers + addends).StoreUnsafe(ref destinationStart, (nuint)i);
                }
            }
            else if (Vector128.IsHardwareAccelerated && length >= Vector128<float>.Count)
            {
                Vector128<float> multipliers = Vector128.Create(multiplier);
                Vector128<float> addends = Vector128.Create(addend);
                for (; i <= length - Vector128<float>.Count; i += Vector128<float>.Count)
                {
                    Vector128<float> value = Vector128.LoadUnsafe(ref sourceStart, (nuint)i);
                    (value * multipliers + addends).StoreUnsafe(ref destinationStart, (nuint)i);
                }
            }

            for (; i < length; i++)
            {
                Unsafe.Add(ref destinationStart, i) = Unsafe.Add(ref sourceStart, i) * multiplier + addend;
            }
        }

        /// <summary>Throws unless the span <paramref name="name"/> contains exactly batch × channels × spatial floats.</summary>
        private static void RequireTensorLength(int actual, int batch, int channels, int spatial, string name)
        {
            long expected = (long)batch * channels * spatial;
            if (actual != expected)
            {
                throw new ArgumentException(
                    $"The span '{name}' must have exactly {expected} elements (batch {batch} × channels {channels} × spatial {spatial}), but it has {actual}. Pass a span of that length, for example a slice of a larger buffer.",
                    name);
            }
        }

        /// <summary>Throws unless <paramref name="epsilon"/> is finite and zero or positive.</summary>
        private static void RequireEpsilon(float epsilon)
        {
            if (!(epsilon >= 0) || float.IsInfinity(epsilon))
            {
                ThrowInvalidEpsilon(epsilon);
            }
        }

        [DoesNotReturn]
        private static void ThrowInvalidEpsilon(float epsilon) =>
            throw new ArgumentOutOfRangeException(
                nameof(epsilon),
                epsilon,
                $"'epsilon' is added to the variance and must be finite and zero or positive, but it is {epsilon}. torch uses 1e-5.");
    }
}
