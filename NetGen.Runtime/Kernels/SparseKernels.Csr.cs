using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using NetGen.Sparse;

namespace NetGen.Kernels
{
    // CSR drivers. Sizes and spans are checked by the public entry points, so these loops run unchecked.
    public static partial class SparseKernels
    {
        /// <summary>Number of samples that one pass of the feature-major driver keeps in registers, in vectors.</summary>
        private const int FeatureMajorVectorsPerChunk = 8;

        /// <summary>
        /// Remainder of a batch, in vectors, above which the panel kernel covers it with an
        /// overlapping chunk rather than leave it to the row loop. On 784×256 at 90 % sparsity with
        /// 256-bit panels, the overlapping chunk was faster for 32 and 36 samples left and slower
        /// for 8 and 16 (noisy runs).
        /// </summary>
        private const int OverlapMinRemainderVectors = 2;

        /// <summary>Writes <c>y[o] = bias[o] + Σ_k values[k]·x[columns[k]]</c> over the stored entries k of each row o.</summary>
        private static void MultiplyVector(CsrMatrix weights, ref float x, ref float bias, ref float y)
        {
            if (Vector256Fma.IsSupported && weights.ShortColumnIndexArray is not null)
            {
                MultiplyVectorGatherShort(weights, ref x, ref bias, ref y);
            }
            else if (Vector256Fma.IsSupported)
            {
                MultiplyVectorGather(weights, ref x, ref bias, ref y);
            }
            else
            {
                MultiplyVectorScalar(weights, ref x, ref bias, ref y);
            }
        }

        /// <summary>
        /// Batch-1 CSR with 256-bit FMAs: 8 values are loaded as one vector and the 8 inputs they
        /// multiply are loaded one by one into a vector. Measured on an AMD EPYC (Zen 1) at 90 %
        /// sparsity, this beat both scalar code with four accumulators and the AVX2 gather
        /// instruction, which is microcoded there.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void MultiplyVectorGather(CsrMatrix weights, ref float x, ref float bias, ref float y)
        {
            int rows = weights.Rows;
            ref int rowPointers = ref MemoryMarshal.GetArrayDataReference(weights.RowPointerArray);
            ref int columns = ref MemoryMarshal.GetArrayDataReference(weights.ColumnIndexArray);
            ref float values = ref MemoryMarshal.GetArrayDataReference(weights.ValueArray);

            for (nint r = 0; r < rows; r++)
            {
                nint k = Unsafe.Add(ref rowPointers, r);
                nint end = Unsafe.Add(ref rowPointers, r + 1);
                Vector256<float> sum0 = Vector256<float>.Zero;
                Vector256<float> sum1 = Vector256<float>.Zero;

                // Two accumulators, so that consecutive FMAs do not wait for each other.
                for (; k <= end - 16; k += 16)
                {
                    sum0 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref Unsafe.Add(ref values, k)), GatherInputs(ref x, ref Unsafe.Add(ref columns, k)), sum0);
                    sum1 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref Unsafe.Add(ref values, k + 8)), GatherInputs(ref x, ref Unsafe.Add(ref columns, k + 8)), sum1);
                }

                if (k <= end - 8)
                {
                    sum0 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref Unsafe.Add(ref values, k)), GatherInputs(ref x, ref Unsafe.Add(ref columns, k)), sum0);
                    k += 8;
                }

                float tail = 0f;
                if (k < end)
                {
                    nint remaining = end - k;
                    if (end - Unsafe.Add(ref rowPointers, r) >= 8)
                    {
                        // The last 8 entries of the row overlap the ones already added. Both
                        // operands are masked, so the overlapped lanes add 0·0, never 0·∞.
                        k = end - 8;
                        Vector256<float> mask = Vector256Fma.UpperLanesMask((int)remaining);
                        Vector256<float> inputs = GatherInputs(ref x, ref Unsafe.Add(ref columns, k)) & mask;
                        sum1 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref Unsafe.Add(ref values, k)) & mask, inputs, sum1);
                    }
                    else
                    {
                        float tail1 = 0f;
                        for (; k <= end - 2; k += 2)
                        {
                            tail += Unsafe.Add(ref values, k) * Unsafe.Add(ref x, Unsafe.Add(ref columns, k));
                            tail1 += Unsafe.Add(ref values, k + 1) * Unsafe.Add(ref x, Unsafe.Add(ref columns, k + 1));
                        }

                        if (k < end)
                        {
                            tail += Unsafe.Add(ref values, k) * Unsafe.Add(ref x, Unsafe.Add(ref columns, k));
                        }

                        tail += tail1;
                    }
                }

                Unsafe.Add(ref y, r) = Unsafe.Add(ref bias, r) + (Vector256.Sum(sum0 + sum1) + tail);
            }
        }

        /// <summary>
        /// Batch-1 CSR as <see cref="MultiplyVectorGather"/>, with 16-bit column indices read four
        /// at a time by one 64-bit load and split with shifts. That leaves about 1.4 loads per
        /// stored weight (a quarter index load, one input, an eighth of a value vector) instead of 2.1.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void MultiplyVectorGatherShort(CsrMatrix weights, ref float x, ref float bias, ref float y)
        {
            int rows = weights.Rows;
            ref int rowPointers = ref MemoryMarshal.GetArrayDataReference(weights.RowPointerArray);
            ref ushort columns = ref MemoryMarshal.GetArrayDataReference(weights.ShortColumnIndexArray!);
            ref float values = ref MemoryMarshal.GetArrayDataReference(weights.ValueArray);

            for (nint r = 0; r < rows; r++)
            {
                nint start = Unsafe.Add(ref rowPointers, r);
                nint k = start;
                nint end = Unsafe.Add(ref rowPointers, r + 1);
                Vector256<float> sum0 = Vector256<float>.Zero;
                Vector256<float> sum1 = Vector256<float>.Zero;

                for (; k <= end - 16; k += 16)
                {
                    sum0 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref Unsafe.Add(ref values, k)), GatherInputsShort(ref x, ref Unsafe.Add(ref columns, k)), sum0);
                    sum1 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref Unsafe.Add(ref values, k + 8)), GatherInputsShort(ref x, ref Unsafe.Add(ref columns, k + 8)), sum1);
                }

                if (k <= end - 8)
                {
                    sum0 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref Unsafe.Add(ref values, k)), GatherInputsShort(ref x, ref Unsafe.Add(ref columns, k)), sum0);
                    k += 8;
                }

                float tail = 0f;
                if (k < end)
                {
                    nint remaining = end - k;
                    if (end - start >= 8)
                    {
                        // The last 8 entries of the row overlap the ones already added; both
                        // operands are masked, as in the 32-bit kernel.
                        k = end - 8;
                        Vector256<float> mask = Vector256Fma.UpperLanesMask((int)remaining);
                        Vector256<float> inputs = GatherInputsShort(ref x, ref Unsafe.Add(ref columns, k)) & mask;
                        sum1 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref Unsafe.Add(ref values, k)) & mask, inputs, sum1);
                    }
                    else
                    {
                        for (; k < end; k++)
                        {
                            tail += Unsafe.Add(ref values, k) * Unsafe.Add(ref x, Unsafe.Add(ref columns, k));
                        }
                    }
                }

                Unsafe.Add(ref y, r) = Unsafe.Add(ref bias, r) + (Vector256.Sum(sum0 + sum1) + tail);
            }
        }

        /// <summary>Returns the 8 inputs <c>x[columns[0..8]]</c> as one vector, reading the 16-bit indices four at a time.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> GatherInputsShort(ref float x, ref ushort columns)
        {
            ulong low = Unsafe.ReadUnaligned<ulong>(ref Unsafe.As<ushort, byte>(ref columns));
            ulong high = Unsafe.ReadUnaligned<ulong>(ref Unsafe.As<ushort, byte>(ref Unsafe.Add(ref columns, 4)));
            return Vector256.Create(
                Unsafe.Add(ref x, (nint)(low & 0xFFFF)),
                Unsafe.Add(ref x, (nint)((low >> 16) & 0xFFFF)),
                Unsafe.Add(ref x, (nint)((low >> 32) & 0xFFFF)),
                Unsafe.Add(ref x, (nint)(low >> 48)),
                Unsafe.Add(ref x, (nint)(high & 0xFFFF)),
                Unsafe.Add(ref x, (nint)((high >> 16) & 0xFFFF)),
                Unsafe.Add(ref x, (nint)((high >> 32) & 0xFFFF)),
                Unsafe.Add(ref x, (nint)(high >> 48)));
        }

        /// <summary>Returns the 8 inputs <c>x[columns[0..8]]</c> as one vector.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> GatherInputs(ref float x, ref int columns) =>
            Vector256.Create(
                Unsafe.Add(ref x, columns),
                Unsafe.Add(ref x, Unsafe.Add(ref columns, 1)),
                Unsafe.Add(ref x, Unsafe.Add(ref columns, 2)),
                Unsafe.Add(ref x, Unsafe.Add(ref columns, 3)),
                Unsafe.Add(ref x, Unsafe.Add(ref columns, 4)),
                Unsafe.Add(ref x, Unsafe.Add(ref columns, 5)),
                Unsafe.Add(ref x, Unsafe.Add(ref columns, 6)),
                Unsafe.Add(ref x, Unsafe.Add(ref columns, 7)));

        /// <summary>Batch-1 CSR in scalar code, with four accumulators to hide the latency of the adds.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void MultiplyVectorScalar(CsrMatrix weights, ref float x, ref float bias, ref float y)
        {
            int rows = weights.Rows;
            ref int rowPointers = ref MemoryMarshal.GetArrayDataReference(weights.RowPointerArray);
            ref int columns = ref MemoryMarshal.GetArrayDataReference(weights.ColumnIndexArray);
            ref float values = ref MemoryMarshal.GetArrayDataReference(weights.ValueArray);

            for (nint r = 0; r < rows; r++)
            {
                nint k = Unsafe.Add(ref rowPointers, r);
                nint end = Unsafe.Add(ref rowPointers, r + 1);
                float sum0 = 0f, sum1 = 0f, sum2 = 0f, sum3 = 0f;
                for (; k <= end - 4; k += 4)
                {
                    sum0 += Unsafe.Add(ref values, k) * Unsafe.Add(ref x, Unsafe.Add(ref columns, k));
                    sum1 += Unsafe.Add(ref values, k + 1) * Unsafe.Add(ref x, Unsafe.Add(ref columns, k + 1));
                    sum2 += Unsafe.Add(ref values, k + 2) * Unsafe.Add(ref x, Unsafe.Add(ref columns, k + 2));
                    sum3 += Unsafe.Add(ref values, k + 3) * Unsafe.Add(ref x, Unsafe.Add(ref columns, k + 3));
                }

                for (; k < end; k++)
                {
                    sum0 += Unsafe.Add(ref values, k) * Unsafe.Add(ref x, Unsafe.Add(ref columns, k));
                }

                Unsafe.Add(ref y, r) = Unsafe.Add(ref bias, r) + ((sum0 + sum1) + (sum2 + sum3));
            }
        }

        /// <summary>
        /// Feature-major CSR over column panels, in chunks of 8 vectors of samples (128 samples with
        /// 512-bit vectors, 64 with 256-bit ones). For each chunk and each panel of
        /// <see cref="CsrMatrix.PanelColumns"/> inputs, every row adds the entries that fall in the
        /// panel to its outputs for the chunk, starting from the bias in the first panel and from
        /// the partial sums stored in y after it. The panel's inputs then stay in the L1 cache
        /// across all rows, where the whole input matrix of a wide layer would spill to L2.
        /// Starts at sample <paramref name="firstSample"/> and returns the end of the samples done.
        /// That is a whole number of chunks later, and the caller adds the rest, unless
        /// <paramref name="overlapLastChunk"/> is set, the batch has at least one chunk and more than
        /// <see cref="OverlapMinRemainderVectors"/> vectors remain. Then the kernel also adds a last
        /// chunk that ends at the end of the batch and may overlap samples already done, which it
        /// overwrites with equally valid sums.
        /// </summary>
        /// <remarks>
        /// Each stored entry costs 8 vector loads and 8 FMAs, and the loads are the limit: see the
        /// measurements in docs/sparsity.md. A load that straddles two cache lines costs about two,
        /// so the kernel runs about 1.5 times faster when x and y rows start at 64-byte boundaries
        /// (<see cref="AlignedBuffer"/> and a batch that is a multiple of 16).
        /// </remarks>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static int MultiplyFeatureMajorPanels<TSimd, TVector>(CsrMatrix weights, ref float x, ref float bias, ref float y, int batch, int firstSample, bool overlapLastChunk)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            int lanes = TSimd.Count;
            int chunk = FeatureMajorVectorsPerChunk * lanes;
            int rows = weights.Rows;
            int panels = weights.PanelCount;
            ref int panelPointers = ref MemoryMarshal.GetArrayDataReference(weights.PanelPointerArray);
            ref int columns = ref MemoryMarshal.GetArrayDataReference(weights.ColumnIndexArray);
            ref float values = ref MemoryMarshal.GetArrayDataReference(weights.ValueArray);
            nint stride = batch;
            int done = firstSample + ((batch - firstSample) / chunk * chunk);
            if (overlapLastChunk && batch - done > OverlapMinRemainderVectors * lanes && batch >= chunk)
            {
                done = batch;
            }

            for (nint next = firstSample; next < done; next += chunk)
            {
                nint s = Math.Min(next, batch - chunk);
                for (int p = 0; p < panels; p++)
                {
                    for (nint r = 0; r < rows; r++)
                    {
                        ref int rowPanels = ref Unsafe.Add(ref panelPointers, r * (panels + 1));
                        nint start = Unsafe.Add(ref rowPanels, p);
                        nint end = Unsafe.Add(ref rowPanels, p + 1);
                        ref float yChunk = ref Unsafe.Add(ref y, (r * stride) + s);
                        TVector a0, a1, a2, a3, a4, a5, a6, a7;
                        if (p == 0)
                        {
                            a0 = TSimd.Broadcast(Unsafe.Add(ref bias, r));
                            a1 = a0; a2 = a0; a3 = a0; a4 = a0; a5 = a0; a6 = a0; a7 = a0;
                        }
                        else if (start == end)
                        {
                            continue;
                        }
                        else
                        {
                            a0 = TSimd.Load(ref yChunk);
                            a1 = TSimd.Load(ref Unsafe.Add(ref yChunk, lanes));
                            a2 = TSimd.Load(ref Unsafe.Add(ref yChunk, 2 * lanes));
                            a3 = TSimd.Load(ref Unsafe.Add(ref yChunk, 3 * lanes));
                            a4 = TSimd.Load(ref Unsafe.Add(ref yChunk, 4 * lanes));
                            a5 = TSimd.Load(ref Unsafe.Add(ref yChunk, 5 * lanes));
                            a6 = TSimd.Load(ref Unsafe.Add(ref yChunk, 6 * lanes));
                            a7 = TSimd.Load(ref Unsafe.Add(ref yChunk, 7 * lanes));
                        }

                        nint k = start;
                        if (TSimd.Count >= Vector512<float>.Count && end - start >= 2)
                        {
                            // Two entries per step into two sets of sums, added at the end: 3 to 5 %
                            // faster on 784×256 at 90 % sparsity. Only where AVX-512 gives 32 vector
                            // registers, because 16 sums and 2 weights do not fit in 16.
                            TVector b0 = TSimd.Zero, b1 = b0, b2 = b0, b3 = b0, b4 = b0, b5 = b0, b6 = b0, b7 = b0;
                            for (; k <= end - 2; k += 2)
                            {
                                TVector w = TSimd.Broadcast(Unsafe.Add(ref values, k));
                                TVector v = TSimd.Broadcast(Unsafe.Add(ref values, k + 1));
                                ref float xRow = ref Unsafe.Add(ref x, (Unsafe.Add(ref columns, k) * stride) + s);
                                ref float xNext = ref Unsafe.Add(ref x, (Unsafe.Add(ref columns, k + 1) * stride) + s);
                                a0 = TSimd.MultiplyAdd(w, TSimd.Load(ref xRow), a0);
                                a1 = TSimd.MultiplyAdd(w, TSimd.Load(ref Unsafe.Add(ref xRow, lanes)), a1);
                                a2 = TSimd.MultiplyAdd(w, TSimd.Load(ref Unsafe.Add(ref xRow, 2 * lanes)), a2);
                                a3 = TSimd.MultiplyAdd(w, TSimd.Load(ref Unsafe.Add(ref xRow, 3 * lanes)), a3);
                                a4 = TSimd.MultiplyAdd(w, TSimd.Load(ref Unsafe.Add(ref xRow, 4 * lanes)), a4);
                                a5 = TSimd.MultiplyAdd(w, TSimd.Load(ref Unsafe.Add(ref xRow, 5 * lanes)), a5);
                                a6 = TSimd.MultiplyAdd(w, TSimd.Load(ref Unsafe.Add(ref xRow, 6 * lanes)), a6);
                                a7 = TSimd.MultiplyAdd(w, TSimd.Load(ref Unsafe.Add(ref xRow, 7 * lanes)), a7);
                                b0 = TSimd.MultiplyAdd(v, TSimd.Load(ref xNext), b0);
                                b1 = TSimd.MultiplyAdd(v, TSimd.Load(ref Unsafe.Add(ref xNext, lanes)), b1);
                                b2 = TSimd.MultiplyAdd(v, TSimd.Load(ref Unsafe.Add(ref xNext, 2 * lanes)), b2);
                                b3 = TSimd.MultiplyAdd(v, TSimd.Load(ref Unsafe.Add(ref xNext, 3 * lanes)), b3);
                                b4 = TSimd.MultiplyAdd(v, TSimd.Load(ref Unsafe.Add(ref xNext, 4 * lanes)), b4);
                                b5 = TSimd.MultiplyAdd(v, TSimd.Load(ref Unsafe.Add(ref xNext, 5 * lanes)), b5);
                                b6 = TSimd.MultiplyAdd(v, TSimd.Load(ref Unsafe.Add(ref xNext, 6 * lanes)), b6);
                                b7 = TSimd.MultiplyAdd(v, TSimd.Load(ref Unsafe.Add(ref xNext, 7 * lanes)), b7);
                            }

                            a0 = TSimd.Add(a0, b0);
                            a1 = TSimd.Add(a1, b1);
                            a2 = TSimd.Add(a2, b2);
                            a3 = TSimd.Add(a3, b3);
                            a4 = TSimd.Add(a4, b4);
                            a5 = TSimd.Add(a5, b5);
                            a6 = TSimd.Add(a6, b6);
                            a7 = TSimd.Add(a7, b7);
                        }

                        for (; k < end; k++)
                        {
                            TVector w = TSimd.Broadcast(Unsafe.Add(ref values, k));
                            ref float xRow = ref Unsafe.Add(ref x, (Unsafe.Add(ref columns, k) * stride) + s);
                            a0 = TSimd.MultiplyAdd(w, TSimd.Load(ref xRow), a0);
                            a1 = TSimd.MultiplyAdd(w, TSimd.Load(ref Unsafe.Add(ref xRow, lanes)), a1);
                            a2 = TSimd.MultiplyAdd(w, TSimd.Load(ref Unsafe.Add(ref xRow, 2 * lanes)), a2);
                            a3 = TSimd.MultiplyAdd(w, TSimd.Load(ref Unsafe.Add(ref xRow, 3 * lanes)), a3);
                            a4 = TSimd.MultiplyAdd(w, TSimd.Load(ref Unsafe.Add(ref xRow, 4 * lanes)), a4);
                            a5 = TSimd.MultiplyAdd(w, TSimd.Load(ref Unsafe.Add(ref xRow, 5 * lanes)), a5);
                            a6 = TSimd.MultiplyAdd(w, TSimd.Load(ref Unsafe.Add(ref xRow, 6 * lanes)), a6);
                            a7 = TSimd.MultiplyAdd(w, TSimd.Load(ref Unsafe.Add(ref xRow, 7 * lanes)), a7);
                        }

                        TSimd.Store(ref yChunk, a0);
                        TSimd.Store(ref Unsafe.Add(ref yChunk, lanes), a1);
                        TSimd.Store(ref Unsafe.Add(ref yChunk, 2 * lanes), a2);
                        TSimd.Store(ref Unsafe.Add(ref yChunk, 3 * lanes), a3);
                        TSimd.Store(ref Unsafe.Add(ref yChunk, 4 * lanes), a4);
                        TSimd.Store(ref Unsafe.Add(ref yChunk, 5 * lanes), a5);
                        TSimd.Store(ref Unsafe.Add(ref yChunk, 6 * lanes), a6);
                        TSimd.Store(ref Unsafe.Add(ref yChunk, 7 * lanes), a7);
                    }
                }
            }

            return done;
        }

        /// <summary>
        /// Feature-major CSR: for each row o and each chunk of samples, starts from the bias and
        /// adds <c>values[k]·x[columns[k], chunk]</c> for every stored entry k, then stores the chunk.
        /// Requires <c>batch ≥ TSimd.Count</c>.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void MultiplyFeatureMajorCore<TSimd, TVector>(CsrMatrix weights, ref float x, ref float bias, ref float y, int batch, int firstSample = 0)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            int rows = weights.Rows;
            ref int rowPointers = ref MemoryMarshal.GetArrayDataReference(weights.RowPointerArray);
            ref int columns = ref MemoryMarshal.GetArrayDataReference(weights.ColumnIndexArray);
            ref float values = ref MemoryMarshal.GetArrayDataReference(weights.ValueArray);
            nint stride = batch;
            nint chunk = FeatureMajorVectorsPerChunk * TSimd.Count;

            for (nint r = 0; r < rows; r++)
            {
                nint start = Unsafe.Add(ref rowPointers, r);
                nint end = Unsafe.Add(ref rowPointers, r + 1);
                TVector initial = TSimd.Broadcast(Unsafe.Add(ref bias, r));
                ref float yRow = ref Unsafe.Add(ref y, r * stride);

                nint s = firstSample;
                for (; s <= stride - chunk; s += chunk)
                {
                    TVector a0 = initial, a1 = initial, a2 = initial, a3 = initial;
                    TVector a4 = initial, a5 = initial, a6 = initial, a7 = initial;
                    for (nint k = start; k < end; k++)
                    {
                        TVector w = TSimd.Broadcast(Unsafe.Add(ref values, k));
                        ref float xRow = ref Unsafe.Add(ref x, Unsafe.Add(ref columns, k) * stride + s);
                        a0 = TSimd.MultiplyAdd(w, TSimd.Load(ref xRow), a0);
                        a1 = TSimd.MultiplyAdd(w, TSimd.Load(ref Unsafe.Add(ref xRow, TSimd.Count)), a1);
                        a2 = TSimd.MultiplyAdd(w, TSimd.Load(ref Unsafe.Add(ref xRow, 2 * TSimd.Count)), a2);
                        a3 = TSimd.MultiplyAdd(w, TSimd.Load(ref Unsafe.Add(ref xRow, 3 * TSimd.Count)), a3);
                        a4 = TSimd.MultiplyAdd(w, TSimd.Load(ref Unsafe.Add(ref xRow, 4 * TSimd.Count)), a4);
                        a5 = TSimd.MultiplyAdd(w, TSimd.Load(ref Unsafe.Add(ref xRow, 5 * TSimd.Count)), a5);
                        a6 = TSimd.MultiplyAdd(w, TSimd.Load(ref Unsafe.Add(ref xRow, 6 * TSimd.Count)), a6);
                        a7 = TSimd.MultiplyAdd(w, TSimd.Load(ref Unsafe.Add(ref xRow, 7 * TSimd.Count)), a7);
                    }

                    ref float yChunk = ref Unsafe.Add(ref yRow, s);
                    TSimd.Store(ref yChunk, a0);
                    TSimd.Store(ref Unsafe.Add(ref yChunk, TSimd.Count), a1);
                    TSimd.Store(ref Unsafe.Add(ref yChunk, 2 * TSimd.Count), a2);
                    TSimd.Store(ref Unsafe.Add(ref yChunk, 3 * TSimd.Count), a3);
                    TSimd.Store(ref Unsafe.Add(ref yChunk, 4 * TSimd.Count), a4);
                    TSimd.Store(ref Unsafe.Add(ref yChunk, 5 * TSimd.Count), a5);
                    TSimd.Store(ref Unsafe.Add(ref yChunk, 6 * TSimd.Count), a6);
                    TSimd.Store(ref Unsafe.Add(ref yChunk, 7 * TSimd.Count), a7);
                }

                for (; s < stride; s += TSimd.Count)
                {
                    // The last vector ends at the end of the row and may overlap the one before.
                    // Every lane computes the same sum in the same order either time, so the
                    // overlapped lanes are stored again with identical values.
                    if (s > stride - TSimd.Count)
                    {
                        s = stride - TSimd.Count;
                    }

                    TVector a = initial;
                    for (nint k = start; k < end; k++)
                    {
                        ref float xRow = ref Unsafe.Add(ref x, Unsafe.Add(ref columns, k) * stride + s);
                        a = TSimd.MultiplyAdd(TSimd.Broadcast(Unsafe.Add(ref values, k)), TSimd.Load(ref xRow), a);
                    }

                    TSimd.Store(ref Unsafe.Add(ref yRow, s), a);
                }
            }
        }
    }
}
