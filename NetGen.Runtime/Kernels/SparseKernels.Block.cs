using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using NetGen.Sparse;

namespace NetGen.Kernels
{
    // 1×8 block drivers. Sizes and spans are checked by the public entry points, so these loops run unchecked.
    public static partial class SparseKernels
    {
        /// <summary>Writes <c>y[o] = bias[o] + Σ (block values)·(the 8 inputs under the block)</c> over the stored blocks of each row o.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void MultiplyBlockVector(BlockCsrMatrix weights, ref float x, ref float bias, ref float y)
        {
            const int Width = BlockCsrMatrix.BlockWidth;
            int rows = weights.Rows;
            int inputs = weights.Columns;
            ref int rowPointers = ref MemoryMarshal.GetArrayDataReference(weights.RowPointerArray);
            ref int blockColumns = ref MemoryMarshal.GetArrayDataReference(weights.BlockColumnArray);
            ref float values = ref MemoryMarshal.GetArrayDataReference(weights.ValueArray);

            // A partial block can only be the last block of a row, and loading 8 inputs there
            // would read past x, so it is added in scalar code.
            int partialStart = inputs % Width == 0 ? -1 : inputs / Width * Width;
            bool vectorize = Vector256Fma.IsSupported;

            for (nint r = 0; r < rows; r++)
            {
                nint k = Unsafe.Add(ref rowPointers, r);
                nint end = Unsafe.Add(ref rowPointers, r + 1);
                float sum = 0f;
                if (end > k && Unsafe.Add(ref blockColumns, end - 1) == partialStart)
                {
                    end--;
                    sum = AddBlockScalar(ref x, ref Unsafe.Add(ref values, end * Width), partialStart, inputs - partialStart, 0f);
                }

                if (vectorize)
                {
                    // Two accumulators, so that consecutive FMAs do not wait for each other.
                    Vector256<float> sum0 = Vector256<float>.Zero;
                    Vector256<float> sum1 = Vector256<float>.Zero;
                    for (; k <= end - 2; k += 2)
                    {
                        sum0 = Fma.MultiplyAdd(
                            Vector256.LoadUnsafe(ref Unsafe.Add(ref values, k * Width)),
                            Vector256.LoadUnsafe(ref Unsafe.Add(ref x, Unsafe.Add(ref blockColumns, k))),
                            sum0);
                        sum1 = Fma.MultiplyAdd(
                            Vector256.LoadUnsafe(ref Unsafe.Add(ref values, (k + 1) * Width)),
                            Vector256.LoadUnsafe(ref Unsafe.Add(ref x, Unsafe.Add(ref blockColumns, k + 1))),
                            sum1);
                    }

                    if (k < end)
                    {
                        sum0 = Fma.MultiplyAdd(
                            Vector256.LoadUnsafe(ref Unsafe.Add(ref values, k * Width)),
                            Vector256.LoadUnsafe(ref Unsafe.Add(ref x, Unsafe.Add(ref blockColumns, k))),
                            sum0);
                    }

                    sum += Vector256.Sum(sum0 + sum1);
                }
                else
                {
                    for (; k < end; k++)
                    {
                        sum = AddBlockScalar(ref x, ref Unsafe.Add(ref values, k * Width), Unsafe.Add(ref blockColumns, k), Width, sum);
                    }
                }

                Unsafe.Add(ref y, r) = Unsafe.Add(ref bias, r) + sum;
            }
        }

        /// <summary>Returns <paramref name="sum"/> plus the first <paramref name="width"/> block values times the inputs from <paramref name="column"/> on.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static float AddBlockScalar(ref float x, ref float blockValues, int column, int width, float sum)
        {
            ref float inputs = ref Unsafe.Add(ref x, column);
            for (int j = 0; j < width; j++)
            {
                sum += Unsafe.Add(ref blockValues, j) * Unsafe.Add(ref inputs, j);
            }

            return sum;
        }

        /// <summary>
        /// Feature-major 1×8 blocks: each in-range column of a block is one entry, added to the
        /// output row as in the CSR driver. Requires <c>batch ≥ TSimd.Count</c>.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void MultiplyBlockFeatureMajorCore<TSimd, TVector>(BlockCsrMatrix weights, ref float x, ref float bias, ref float y, int batch)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            const int Width = BlockCsrMatrix.BlockWidth;
            int rows = weights.Rows;
            int inputs = weights.Columns;
            ref int rowPointers = ref MemoryMarshal.GetArrayDataReference(weights.RowPointerArray);
            ref int blockColumns = ref MemoryMarshal.GetArrayDataReference(weights.BlockColumnArray);
            ref float values = ref MemoryMarshal.GetArrayDataReference(weights.ValueArray);
            nint stride = batch;
            nint chunk = FeatureMajorVectorsPerChunk * TSimd.Count;

            for (nint r = 0; r < rows; r++)
            {
                nint start = Unsafe.Add(ref rowPointers, r);
                nint end = Unsafe.Add(ref rowPointers, r + 1);
                TVector initial = TSimd.Broadcast(Unsafe.Add(ref bias, r));
                ref float yRow = ref Unsafe.Add(ref y, r * stride);

                nint s = 0;
                for (; s <= stride - chunk; s += chunk)
                {
                    TVector a0 = initial, a1 = initial, a2 = initial, a3 = initial;
                    TVector a4 = initial, a5 = initial, a6 = initial, a7 = initial;
                    for (nint b = start; b < end; b++)
                    {
                        int column = Unsafe.Add(ref blockColumns, b);
                        int width = Math.Min(Width, inputs - column);
                        ref float blockValues = ref Unsafe.Add(ref values, b * Width);
                        for (int j = 0; j < width; j++)
                        {
                            TVector w = TSimd.Broadcast(Unsafe.Add(ref blockValues, j));
                            ref float xRow = ref Unsafe.Add(ref x, (column + j) * stride + s);
                            a0 = TSimd.MultiplyAdd(w, TSimd.Load(ref xRow), a0);
                            a1 = TSimd.MultiplyAdd(w, TSimd.Load(ref Unsafe.Add(ref xRow, TSimd.Count)), a1);
                            a2 = TSimd.MultiplyAdd(w, TSimd.Load(ref Unsafe.Add(ref xRow, 2 * TSimd.Count)), a2);
                            a3 = TSimd.MultiplyAdd(w, TSimd.Load(ref Unsafe.Add(ref xRow, 3 * TSimd.Count)), a3);
                            a4 = TSimd.MultiplyAdd(w, TSimd.Load(ref Unsafe.Add(ref xRow, 4 * TSimd.Count)), a4);
                            a5 = TSimd.MultiplyAdd(w, TSimd.Load(ref Unsafe.Add(ref xRow, 5 * TSimd.Count)), a5);
                            a6 = TSimd.MultiplyAdd(w, TSimd.Load(ref Unsafe.Add(ref xRow, 6 * TSimd.Count)), a6);
                            a7 = TSimd.MultiplyAdd(w, TSimd.Load(ref Unsafe.Add(ref xRow, 7 * TSimd.Count)), a7);
                        }
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
                    // The overlapped lanes of the last vector are recomputed identically, as in the CSR driver.
                    if (s > stride - TSimd.Count)
                    {
                        s = stride - TSimd.Count;
                    }

                    TVector a = initial;
                    for (nint b = start; b < end; b++)
                    {
                        int column = Unsafe.Add(ref blockColumns, b);
                        int width = Math.Min(Width, inputs - column);
                        ref float blockValues = ref Unsafe.Add(ref values, b * Width);
                        for (int j = 0; j < width; j++)
                        {
                            ref float xRow = ref Unsafe.Add(ref x, (column + j) * stride + s);
                            a = TSimd.MultiplyAdd(TSimd.Broadcast(Unsafe.Add(ref blockValues, j)), TSimd.Load(ref xRow), a);
                        }
                    }

                    TSimd.Store(ref Unsafe.Add(ref yRow, s), a);
                }
            }
        }
    }
}
