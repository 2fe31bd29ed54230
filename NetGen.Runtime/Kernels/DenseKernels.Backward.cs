using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NetGen.Kernels
{
    // Both backward kernels vectorise along the inputs and keep a tile of their result in
    // registers for the whole reduction: dx[b, i..] over o, dw[o, i..] over b. A tile covers
    // four rows and two vectors (8 accumulators), and each step broadcasts one dy value per row.
    // With 512-bit vectors a two-vector tile covers eight rows (16 accumulators): AVX-512 has 32
    // vector registers, and 8 accumulators leave no slack for an FMA latency of 4 cycles at two
    // FMAs per cycle, as on Zen 5. The weight gradient's widest tile covers twelve rows (24
    // accumulators, DenseKernels.TwelveRows.cs), and two or three rows left over take a two-row
    // tile: for 10 outputs at batch 128 and 128 inputs that took 2.64 against 3.80 µs with single rows.
    // The loops over column panels are outermost, so the panel of w or x that all tiles share
    // stays in L1 while every row passes over it.
    public static partial class DenseKernels
    {
        /// <summary>Runs <see cref="BackwardInput(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, Activation, ReadOnlySpan{float})"/> on checked arguments with vectors of type <typeparamref name="TVector"/>.</summary>
        /// <remarks>Requires <paramref name="inputs"/> to be 0 or at least <c>TSimd.Count</c>, since a row's last vector may overlap the previous one but never starts before the row.</remarks>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        internal static void BackwardInputCore<TSimd, TVector, TDerivative>(ref float dy, ref float w, ref float dx, ref float y, int batch, int inputs, int outputs)
            where TSimd : ISimd<TVector>
            where TVector : struct
            where TDerivative : struct, IOutputDerivative
        {
            int count = TSimd.Count;
            int i = 0;
            for (; i <= inputs - 2 * count; i += 2 * count)
            {
                BackwardInputPanel<TSimd, TVector, TDerivative>(ref dy, ref w, ref dx, ref y, batch, inputs, outputs, i, vectors: 2);
            }

            for (; i <= inputs - count; i += count)
            {
                BackwardInputPanel<TSimd, TVector, TDerivative>(ref dy, ref w, ref dx, ref y, batch, inputs, outputs, i, vectors: 1);
            }

            if (i < inputs)
            {
                // The last vector ends at the end of the row and overlaps the previous one. dx is
                // overwritten, and the overlapped lanes get the same bits again.
                BackwardInputPanel<TSimd, TVector, TDerivative>(ref dy, ref w, ref dx, ref y, batch, inputs, outputs, inputs - count, vectors: 1);
            }
        }

        /// <summary>Computes <c>dx[:, column..]</c> for every sample, over one or two vectors of columns.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void BackwardInputPanel<TSimd, TVector, TDerivative>(ref float dy, ref float w, ref float dx, ref float y, int batch, int inputs, int outputs, int column, int vectors)
            where TSimd : ISimd<TVector>
            where TVector : struct
            where TDerivative : struct, IOutputDerivative
        {
            ref float wPanel = ref Unsafe.Add(ref w, column);
            int b = 0;
            if (UseEightRowTiles<TSimd, TVector>())
            {
                for (; b <= batch - 8; b += 8)
                {
                    ref float dyRows = ref Unsafe.Add(ref dy, (nint)b * outputs);
                    nint offset = (nint)b * inputs + column;
                    if (vectors == 2)
                    {
                        BackwardInput8x2<TSimd, TVector, TDerivative>(ref dyRows, ref wPanel, ref Unsafe.Add(ref dx, offset), ref Unsafe.Add(ref y, offset), inputs, outputs);
                    }
                    else
                    {
                        BackwardInput8x1<TSimd, TVector, TDerivative>(ref dyRows, ref wPanel, ref Unsafe.Add(ref dx, offset), ref Unsafe.Add(ref y, offset), inputs, outputs);
                    }
                }
            }

            for (; b <= batch - 4; b += 4)
            {
                ref float dyRows = ref Unsafe.Add(ref dy, (nint)b * outputs);
                nint offset = (nint)b * inputs + column;
                if (vectors == 2)
                {
                    BackwardInput4x2<TSimd, TVector, TDerivative>(ref dyRows, ref wPanel, ref Unsafe.Add(ref dx, offset), ref Unsafe.Add(ref y, offset), inputs, outputs);
                }
                else
                {
                    BackwardInput4x1<TSimd, TVector, TDerivative>(ref dyRows, ref wPanel, ref Unsafe.Add(ref dx, offset), ref Unsafe.Add(ref y, offset), inputs, outputs);
                }
            }

            for (; b < batch; b++)
            {
                ref float dyRow = ref Unsafe.Add(ref dy, (nint)b * outputs);
                nint offset = (nint)b * inputs + column;
                BackwardInput1xN<TSimd, TVector, TDerivative>(ref dyRow, ref wPanel, ref Unsafe.Add(ref dx, offset), ref Unsafe.Add(ref y, offset), inputs, outputs, vectors);
            }
        }

        /// <summary>Writes <c>dx[s, 0..2V] = Σ_o dy[s,o]·w[o, 0..2V]</c> for samples s &lt; 4.</summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void BackwardInput4x2<TSimd, TVector, TDerivative>(ref float dy, ref float w, ref float dx, ref float y, int inputs, int outputs)
            where TSimd : ISimd<TVector>
            where TVector : struct
            where TDerivative : struct, IOutputDerivative
        {
            nint dyStride = outputs;
            nint rowStride = inputs;
            ref float dy0 = ref dy;
            ref float dy1 = ref Unsafe.Add(ref dy, dyStride);
            ref float dy2 = ref Unsafe.Add(ref dy, 2 * dyStride);
            ref float dy3 = ref Unsafe.Add(ref dy, 3 * dyStride);
            TVector a00 = TSimd.Zero, a01 = TSimd.Zero, a10 = TSimd.Zero, a11 = TSimd.Zero;
            TVector a20 = TSimd.Zero, a21 = TSimd.Zero, a30 = TSimd.Zero, a31 = TSimd.Zero;

            ref float wRow = ref w;
            for (nint o = 0; o < dyStride; o++)
            {
                TVector w0 = TSimd.Load(ref wRow);
                TVector w1 = TSimd.Load(ref Unsafe.Add(ref wRow, TSimd.Count));
                wRow = ref Unsafe.Add(ref wRow, rowStride);

                TVector d = TSimd.Broadcast(Unsafe.Add(ref dy0, o));
                a00 = TSimd.MultiplyAdd(d, w0, a00);
                a01 = TSimd.MultiplyAdd(d, w1, a01);
                d = TSimd.Broadcast(Unsafe.Add(ref dy1, o));
                a10 = TSimd.MultiplyAdd(d, w0, a10);
                a11 = TSimd.MultiplyAdd(d, w1, a11);
                d = TSimd.Broadcast(Unsafe.Add(ref dy2, o));
                a20 = TSimd.MultiplyAdd(d, w0, a20);
                a21 = TSimd.MultiplyAdd(d, w1, a21);
                d = TSimd.Broadcast(Unsafe.Add(ref dy3, o));
                a30 = TSimd.MultiplyAdd(d, w0, a30);
                a31 = TSimd.MultiplyAdd(d, w1, a31);
            }

            StoreScaled<TSimd, TVector, TDerivative>(ref dx, ref y, 0, a00);
            StoreScaled<TSimd, TVector, TDerivative>(ref dx, ref y, TSimd.Count, a01);
            StoreScaled<TSimd, TVector, TDerivative>(ref dx, ref y, rowStride, a10);
            StoreScaled<TSimd, TVector, TDerivative>(ref dx, ref y, rowStride + TSimd.Count, a11);
            StoreScaled<TSimd, TVector, TDerivative>(ref dx, ref y, 2 * rowStride, a20);
            StoreScaled<TSimd, TVector, TDerivative>(ref dx, ref y, 2 * rowStride + TSimd.Count, a21);
            StoreScaled<TSimd, TVector, TDerivative>(ref dx, ref y, 3 * rowStride, a30);
            StoreScaled<TSimd, TVector, TDerivative>(ref dx, ref y, 3 * rowStride + TSimd.Count, a31);
        }

        /// <summary>
        /// Returns whether two-vector tiles cover eight rows instead of four, and the weight
        /// gradient's twelve. That takes 16 or 24 accumulators plus the loaded vectors, which fit
        /// only in the 32 registers of AVX-512.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static bool UseEightRowTiles<TSimd, TVector>()
            where TSimd : ISimd<TVector>
            where TVector : struct =>
            TSimd.Count >= 16;

        /// <summary>Writes <c>dx[s, 0..2V] = Σ_o dy[s,o]·w[o, 0..2V]</c> for samples s &lt; 8.</summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void BackwardInput8x2<TSimd, TVector, TDerivative>(ref float dy, ref float w, ref float dx, ref float y, int inputs, int outputs)
            where TSimd : ISimd<TVector>
            where TVector : struct
            where TDerivative : struct, IOutputDerivative
        {
            nint dyStride = outputs;
            nint rowStride = inputs;
            ref float dy0 = ref dy;
            ref float dy1 = ref Unsafe.Add(ref dy, dyStride);
            ref float dy2 = ref Unsafe.Add(ref dy, 2 * dyStride);
            ref float dy3 = ref Unsafe.Add(ref dy, 3 * dyStride);
            ref float dy4 = ref Unsafe.Add(ref dy, 4 * dyStride);
            ref float dy5 = ref Unsafe.Add(ref dy, 5 * dyStride);
            ref float dy6 = ref Unsafe.Add(ref dy, 6 * dyStride);
            ref float dy7 = ref Unsafe.Add(ref dy, 7 * dyStride);
            TVector a00 = TSimd.Zero, a01 = TSimd.Zero, a10 = TSimd.Zero, a11 = TSimd.Zero;
            TVector a20 = TSimd.Zero, a21 = TSimd.Zero, a30 = TSimd.Zero, a31 = TSimd.Zero;
            TVector a40 = TSimd.Zero, a41 = TSimd.Zero, a50 = TSimd.Zero, a51 = TSimd.Zero;
            TVector a60 = TSimd.Zero, a61 = TSimd.Zero, a70 = TSimd.Zero, a71 = TSimd.Zero;

            ref float wRow = ref w;
            for (nint o = 0; o < dyStride; o++)
            {
                TVector w0 = TSimd.Load(ref wRow);
                TVector w1 = TSimd.Load(ref Unsafe.Add(ref wRow, TSimd.Count));
                wRow = ref Unsafe.Add(ref wRow, rowStride);

                TVector d = TSimd.Broadcast(Unsafe.Add(ref dy0, o));
                a00 = TSimd.MultiplyAdd(d, w0, a00);
                a01 = TSimd.MultiplyAdd(d, w1, a01);
                d = TSimd.Broadcast(Unsafe.Add(ref dy1, o));
                a10 = TSimd.MultiplyAdd(d, w0, a10);
                a11 = TSimd.MultiplyAdd(d, w1, a11);
                d = TSimd.Broadcast(Unsafe.Add(ref dy2, o));
                a20 = TSimd.MultiplyAdd(d, w0, a20);
                a21 = TSimd.MultiplyAdd(d, w1, a21);
                d = TSimd.Broadcast(Unsafe.Add(ref dy3, o));
                a30 = TSimd.MultiplyAdd(d, w0, a30);
                a31 = TSimd.MultiplyAdd(d, w1, a31);
                d = TSimd.Broadcast(Unsafe.Add(ref dy4, o));
                a40 = TSimd.MultiplyAdd(d, w0, a40);
                a41 = TSimd.MultiplyAdd(d, w1, a41);
                d = TSimd.Broadcast(Unsafe.Add(ref dy5, o));
                a50 = TSimd.MultiplyAdd(d, w0, a50);
                a51 = TSimd.MultiplyAdd(d, w1, a51);
                d = TSimd.Broadcast(Unsafe.Add(ref dy6, o));
                a60 = TSimd.MultiplyAdd(d, w0, a60);
                a61 = TSimd.MultiplyAdd(d, w1, a61);
                d = TSimd.Broadcast(Unsafe.Add(ref dy7, o));
                a70 = TSimd.MultiplyAdd(d, w0, a70);
                a71 = TSimd.MultiplyAdd(d, w1, a71);
            }

            StoreTwoScaled<TSimd, TVector, TDerivative>(ref dx, ref y, 0, a00, a01);
            StoreTwoScaled<TSimd, TVector, TDerivative>(ref dx, ref y, rowStride, a10, a11);
            StoreTwoScaled<TSimd, TVector, TDerivative>(ref dx, ref y, 2 * rowStride, a20, a21);
            StoreTwoScaled<TSimd, TVector, TDerivative>(ref dx, ref y, 3 * rowStride, a30, a31);
            StoreTwoScaled<TSimd, TVector, TDerivative>(ref dx, ref y, 4 * rowStride, a40, a41);
            StoreTwoScaled<TSimd, TVector, TDerivative>(ref dx, ref y, 5 * rowStride, a50, a51);
            StoreTwoScaled<TSimd, TVector, TDerivative>(ref dx, ref y, 6 * rowStride, a60, a61);
            StoreTwoScaled<TSimd, TVector, TDerivative>(ref dx, ref y, 7 * rowStride, a70, a71);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StoreTwoVectors<TSimd, TVector>(ref float destination, TVector first, TVector second)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            TSimd.Store(ref destination, first);
            TSimd.Store(ref Unsafe.Add(ref destination, TSimd.Count), second);
        }

        /// <summary>Stores two consecutive vectors of dx at <paramref name="offset"/>, each scaled as <see cref="StoreScaled"/> does.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StoreTwoScaled<TSimd, TVector, TDerivative>(ref float dx, ref float y, nint offset, TVector first, TVector second)
            where TSimd : ISimd<TVector>
            where TVector : struct
            where TDerivative : struct, IOutputDerivative
        {
            StoreScaled<TSimd, TVector, TDerivative>(ref dx, ref y, offset, first);
            StoreScaled<TSimd, TVector, TDerivative>(ref dx, ref y, offset + TSimd.Count, second);
        }

        /// <summary>
        /// Stores <paramref name="value"/> at dx[offset..], multiplied by the derivative that
        /// <typeparamref name="TDerivative"/> computes from y[offset..]. For <see cref="NoDerivative"/> y is not read.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StoreScaled<TSimd, TVector, TDerivative>(ref float dx, ref float y, nint offset, TVector value)
            where TSimd : ISimd<TVector>
            where TVector : struct
            where TDerivative : struct, IOutputDerivative
        {
            if (typeof(TDerivative) != typeof(NoDerivative))
            {
                value = TDerivative.Scale<TSimd, TVector>(TSimd.Load(ref Unsafe.Add(ref y, offset)), value);
            }

            TSimd.Store(ref Unsafe.Add(ref dx, offset), value);
        }

        /// <summary>
        /// Writes <c>dx[s, 0..V] = Σ_o dy[s,o]·w[o, 0..V]</c> for samples s &lt; 8, in the order of
        /// <see cref="BackwardInput4x1"/>, each row of w loaded once for eight samples.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void BackwardInput8x1<TSimd, TVector, TDerivative>(ref float dy, ref float w, ref float dx, ref float y, int inputs, int outputs)
            where TSimd : ISimd<TVector>
            where TVector : struct
            where TDerivative : struct, IOutputDerivative
        {
            nint dyStride = outputs;
            nint rowStride = inputs;
            TVector a0 = TSimd.Zero, a1 = TSimd.Zero, a2 = TSimd.Zero, a3 = TSimd.Zero;
            TVector a4 = TSimd.Zero, a5 = TSimd.Zero, a6 = TSimd.Zero, a7 = TSimd.Zero;

            ref float wRow = ref w;
            for (nint o = 0; o < dyStride; o++)
            {
                TVector w0 = TSimd.Load(ref wRow);
                wRow = ref Unsafe.Add(ref wRow, rowStride);
                ref float d = ref Unsafe.Add(ref dy, o);
                a0 = TSimd.MultiplyAdd(TSimd.Broadcast(d), w0, a0);
                a1 = TSimd.MultiplyAdd(TSimd.Broadcast(Unsafe.Add(ref d, dyStride)), w0, a1);
                a2 = TSimd.MultiplyAdd(TSimd.Broadcast(Unsafe.Add(ref d, 2 * dyStride)), w0, a2);
                a3 = TSimd.MultiplyAdd(TSimd.Broadcast(Unsafe.Add(ref d, 3 * dyStride)), w0, a3);
                a4 = TSimd.MultiplyAdd(TSimd.Broadcast(Unsafe.Add(ref d, 4 * dyStride)), w0, a4);
                a5 = TSimd.MultiplyAdd(TSimd.Broadcast(Unsafe.Add(ref d, 5 * dyStride)), w0, a5);
                a6 = TSimd.MultiplyAdd(TSimd.Broadcast(Unsafe.Add(ref d, 6 * dyStride)), w0, a6);
                a7 = TSimd.MultiplyAdd(TSimd.Broadcast(Unsafe.Add(ref d, 7 * dyStride)), w0, a7);
            }

            StoreScaled<TSimd, TVector, TDerivative>(ref dx, ref y, 0, a0);
            StoreScaled<TSimd, TVector, TDerivative>(ref dx, ref y, rowStride, a1);
            StoreScaled<TSimd, TVector, TDerivative>(ref dx, ref y, 2 * rowStride, a2);
            StoreScaled<TSimd, TVector, TDerivative>(ref dx, ref y, 3 * rowStride, a3);
            StoreScaled<TSimd, TVector, TDerivative>(ref dx, ref y, 4 * rowStride, a4);
            StoreScaled<TSimd, TVector, TDerivative>(ref dx, ref y, 5 * rowStride, a5);
            StoreScaled<TSimd, TVector, TDerivative>(ref dx, ref y, 6 * rowStride, a6);
            StoreScaled<TSimd, TVector, TDerivative>(ref dx, ref y, 7 * rowStride, a7);
        }

        /// <summary>Writes <c>dx[s, 0..V] = Σ_o dy[s,o]·w[o, 0..V]</c> for samples s &lt; 4.</summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void BackwardInput4x1<TSimd, TVector, TDerivative>(ref float dy, ref float w, ref float dx, ref float y, int inputs, int outputs)
            where TSimd : ISimd<TVector>
            where TVector : struct
            where TDerivative : struct, IOutputDerivative
        {
            nint dyStride = outputs;
            nint rowStride = inputs;
            ref float dy0 = ref dy;
            ref float dy1 = ref Unsafe.Add(ref dy, dyStride);
            ref float dy2 = ref Unsafe.Add(ref dy, 2 * dyStride);
            ref float dy3 = ref Unsafe.Add(ref dy, 3 * dyStride);
            TVector a0 = TSimd.Zero, a1 = TSimd.Zero, a2 = TSimd.Zero, a3 = TSimd.Zero;

            ref float wRow = ref w;
            for (nint o = 0; o < dyStride; o++)
            {
                TVector w0 = TSimd.Load(ref wRow);
                wRow = ref Unsafe.Add(ref wRow, rowStride);
                a0 = TSimd.MultiplyAdd(TSimd.Broadcast(Unsafe.Add(ref dy0, o)), w0, a0);
                a1 = TSimd.MultiplyAdd(TSimd.Broadcast(Unsafe.Add(ref dy1, o)), w0, a1);
                a2 = TSimd.MultiplyAdd(TSimd.Broadcast(Unsafe.Add(ref dy2, o)), w0, a2);
                a3 = TSimd.MultiplyAdd(TSimd.Broadcast(Unsafe.Add(ref dy3, o)), w0, a3);
            }

            StoreScaled<TSimd, TVector, TDerivative>(ref dx, ref y, 0, a0);
            StoreScaled<TSimd, TVector, TDerivative>(ref dx, ref y, rowStride, a1);
            StoreScaled<TSimd, TVector, TDerivative>(ref dx, ref y, 2 * rowStride, a2);
            StoreScaled<TSimd, TVector, TDerivative>(ref dx, ref y, 3 * rowStride, a3);
        }

        /// <summary>Writes <c>dx[0..vectors·V] = Σ_o dy[o]·w[o, 0..vectors·V]</c> for one sample.</summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void BackwardInput1xN<TSimd, TVector, TDerivative>(ref float dy, ref float w, ref float dx, ref float y, int inputs, int outputs, int vectors)
            where TSimd : ISimd<TVector>
            where TVector : struct
            where TDerivative : struct, IOutputDerivative
        {
            nint rowStride = inputs;
            TVector a0 = TSimd.Zero, a1 = TSimd.Zero;

            ref float wRow = ref w;
            if (vectors == 2)
            {
                for (nint o = 0; o < outputs; o++)
                {
                    TVector d = TSimd.Broadcast(Unsafe.Add(ref dy, o));
                    a0 = TSimd.MultiplyAdd(d, TSimd.Load(ref wRow), a0);
                    a1 = TSimd.MultiplyAdd(d, TSimd.Load(ref Unsafe.Add(ref wRow, TSimd.Count)), a1);
                    wRow = ref Unsafe.Add(ref wRow, rowStride);
                }

                StoreScaled<TSimd, TVector, TDerivative>(ref dx, ref y, 0, a0);
                StoreScaled<TSimd, TVector, TDerivative>(ref dx, ref y, TSimd.Count, a1);
            }
            else
            {
                for (nint o = 0; o < outputs; o++)
                {
                    a0 = TSimd.MultiplyAdd(TSimd.Broadcast(Unsafe.Add(ref dy, o)), TSimd.Load(ref wRow), a0);
                    wRow = ref Unsafe.Add(ref wRow, rowStride);
                }

                StoreScaled<TSimd, TVector, TDerivative>(ref dx, ref y, 0, a0);
            }
        }

        /// <summary>Adds the weight gradient of <see cref="AccumulateGradients"/> on checked arguments with vectors of type <typeparamref name="TVector"/>.</summary>
        /// <remarks>Requires <paramref name="inputs"/> to be 0 or at least <c>TSimd.Count</c>, since a row's last vector may overlap the previous one but never starts before the row.</remarks>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        internal static void AccumulateWeightGradientCore<TSimd, TVector>(ref float dy, ref float x, ref float dw, int batch, int inputs, int outputs)
            where TSimd : ISimd<TVector>
            where TVector : struct =>
            AccumulateWeightGradientCore<TSimd, TVector>(ref dy, ref x, ref dw, batch, inputs, outputs, dyStride: outputs);

        /// <summary>
        /// Adds the weight gradient of <paramref name="outputs"/> rows of dw whose dy columns start
        /// at <paramref name="dy"/>, with rows of dy <paramref name="dyStride"/> floats apart. Every
        /// element is one chain of multiply-adds over the batch in sample order, so a range of rows
        /// gets the bits that the whole layer's call gives it.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        internal static void AccumulateWeightGradientCore<TSimd, TVector>(ref float dy, ref float x, ref float dw, int batch, int inputs, int outputs, int dyStride)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            int count = TSimd.Count;
            TVector allLanes = TSimd.UpperLanesMask(count);
            int i = 0;
            for (; i <= inputs - 2 * count; i += 2 * count)
            {
                WeightGradientPanel<TSimd, TVector>(ref dy, ref x, ref dw, batch, inputs, outputs, dyStride, i, vectors: 2, allLanes);
            }

            for (; i <= inputs - count; i += count)
            {
                WeightGradientPanel<TSimd, TVector>(ref dy, ref x, ref dw, batch, inputs, outputs, dyStride, i, vectors: 1, allLanes);
            }

            if (i < inputs)
            {
                // The last vector ends at the end of the row and overlaps the previous one. dw is
                // added to, so the overlapped lanes, already updated, are stored back unchanged.
                TVector newLanes = TSimd.UpperLanesMask(inputs - i);
                WeightGradientPanel<TSimd, TVector>(ref dy, ref x, ref dw, batch, inputs, outputs, dyStride, inputs - count, vectors: 1, newLanes);
            }
        }

        /// <summary>Adds <c>Σ_b dy[b,o]·x[b, column..]</c> to <c>dw[o, column..]</c> for every o, over one or two vectors of columns.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void WeightGradientPanel<TSimd, TVector>(ref float dy, ref float x, ref float dw, int batch, int inputs, int outputs, int dyStride, int column, int vectors, TVector storeMask)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            ref float xPanel = ref Unsafe.Add(ref x, column);
            int o = 0;
            if (UseEightRowTiles<TSimd, TVector>() && vectors == 2)
            {
                for (; o <= outputs - 12; o += 12)
                {
                    ref float dwRows = ref Unsafe.Add(ref dw, (nint)o * inputs + column);
                    WeightGradient12x2<TSimd, TVector>(ref Unsafe.Add(ref dy, o), ref xPanel, ref dwRows, batch, inputs, dyStride);
                }

                for (; o <= outputs - 8; o += 8)
                {
                    ref float dwRows = ref Unsafe.Add(ref dw, (nint)o * inputs + column);
                    WeightGradient8x2<TSimd, TVector>(ref Unsafe.Add(ref dy, o), ref xPanel, ref dwRows, batch, inputs, dyStride);
                }
            }

            for (; o <= outputs - 4; o += 4)
            {
                ref float dwRows = ref Unsafe.Add(ref dw, (nint)o * inputs + column);
                if (vectors == 2)
                {
                    WeightGradient4x2<TSimd, TVector>(ref Unsafe.Add(ref dy, o), ref xPanel, ref dwRows, batch, inputs, dyStride);
                }
                else
                {
                    WeightGradient4x1<TSimd, TVector>(ref Unsafe.Add(ref dy, o), ref xPanel, ref dwRows, batch, inputs, dyStride, storeMask);
                }
            }

            if (vectors == 2 && outputs - o >= 2)
            {
                // Two rows at once run four FMA chains where one row runs two, so the latency of a
                // chain over the batch is paid once for both rows.
                WeightGradient2x2<TSimd, TVector>(ref Unsafe.Add(ref dy, o), ref xPanel, ref Unsafe.Add(ref dw, (nint)o * inputs + column), batch, inputs, dyStride);
                o += 2;
            }

            for (; o < outputs; o++)
            {
                ref float dwRow = ref Unsafe.Add(ref dw, (nint)o * inputs + column);
                WeightGradient1xN<TSimd, TVector>(ref Unsafe.Add(ref dy, o), ref xPanel, ref dwRow, batch, inputs, dyStride, vectors, storeMask);
            }
        }

        /// <summary>Adds <c>Σ_b dy[b,r]·x[b, 0..2V]</c> to <c>dw[r, 0..2V]</c> for rows r &lt; 2.</summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void WeightGradient2x2<TSimd, TVector>(ref float dy, ref float x, ref float dw, int batch, int inputs, int dyRowStride)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            nint dyStride = dyRowStride;
            nint rowStride = inputs;
            ref float dw1 = ref Unsafe.Add(ref dw, rowStride);
            TVector a00 = TSimd.Load(ref dw), a01 = TSimd.Load(ref Unsafe.Add(ref dw, TSimd.Count));
            TVector a10 = TSimd.Load(ref dw1), a11 = TSimd.Load(ref Unsafe.Add(ref dw1, TSimd.Count));

            ref float xRow = ref x;
            ref float dyRow = ref dy;
            for (int b = 0; b < batch; b++)
            {
                TVector x0 = TSimd.Load(ref xRow);
                TVector x1 = TSimd.Load(ref Unsafe.Add(ref xRow, TSimd.Count));
                TVector d = TSimd.Broadcast(dyRow);
                a00 = TSimd.MultiplyAdd(d, x0, a00);
                a01 = TSimd.MultiplyAdd(d, x1, a01);
                d = TSimd.Broadcast(Unsafe.Add(ref dyRow, 1));
                a10 = TSimd.MultiplyAdd(d, x0, a10);
                a11 = TSimd.MultiplyAdd(d, x1, a11);
                xRow = ref Unsafe.Add(ref xRow, rowStride);
                dyRow = ref Unsafe.Add(ref dyRow, dyStride);
            }

            TSimd.Store(ref dw, a00);
            TSimd.Store(ref Unsafe.Add(ref dw, TSimd.Count), a01);
            TSimd.Store(ref dw1, a10);
            TSimd.Store(ref Unsafe.Add(ref dw1, TSimd.Count), a11);
        }

        /// <summary>Adds <c>Σ_b dy[b,r]·x[b, 0..2V]</c> to <c>dw[r, 0..2V]</c> for rows r &lt; 4.</summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void WeightGradient4x2<TSimd, TVector>(ref float dy, ref float x, ref float dw, int batch, int inputs, int dyRowStride)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            nint dyStride = dyRowStride;
            nint rowStride = inputs;
            ref float dw0 = ref dw;
            ref float dw1 = ref Unsafe.Add(ref dw, rowStride);
            ref float dw2 = ref Unsafe.Add(ref dw, 2 * rowStride);
            ref float dw3 = ref Unsafe.Add(ref dw, 3 * rowStride);
            TVector a00 = TSimd.Load(ref dw0), a01 = TSimd.Load(ref Unsafe.Add(ref dw0, TSimd.Count));
            TVector a10 = TSimd.Load(ref dw1), a11 = TSimd.Load(ref Unsafe.Add(ref dw1, TSimd.Count));
            TVector a20 = TSimd.Load(ref dw2), a21 = TSimd.Load(ref Unsafe.Add(ref dw2, TSimd.Count));
            TVector a30 = TSimd.Load(ref dw3), a31 = TSimd.Load(ref Unsafe.Add(ref dw3, TSimd.Count));

            ref float xRow = ref x;
            ref float dyRow = ref dy;
            for (int b = 0; b < batch; b++)
            {
                TVector x0 = TSimd.Load(ref xRow);
                TVector x1 = TSimd.Load(ref Unsafe.Add(ref xRow, TSimd.Count));

                TVector d = TSimd.Broadcast(dyRow);
                a00 = TSimd.MultiplyAdd(d, x0, a00);
                a01 = TSimd.MultiplyAdd(d, x1, a01);
                d = TSimd.Broadcast(Unsafe.Add(ref dyRow, 1));
                a10 = TSimd.MultiplyAdd(d, x0, a10);
                a11 = TSimd.MultiplyAdd(d, x1, a11);
                d = TSimd.Broadcast(Unsafe.Add(ref dyRow, 2));
                a20 = TSimd.MultiplyAdd(d, x0, a20);
                a21 = TSimd.MultiplyAdd(d, x1, a21);
                d = TSimd.Broadcast(Unsafe.Add(ref dyRow, 3));
                a30 = TSimd.MultiplyAdd(d, x0, a30);
                a31 = TSimd.MultiplyAdd(d, x1, a31);

                xRow = ref Unsafe.Add(ref xRow, rowStride);
                dyRow = ref Unsafe.Add(ref dyRow, dyStride);
            }

            TSimd.Store(ref dw0, a00);
            TSimd.Store(ref Unsafe.Add(ref dw0, TSimd.Count), a01);
            TSimd.Store(ref dw1, a10);
            TSimd.Store(ref Unsafe.Add(ref dw1, TSimd.Count), a11);
            TSimd.Store(ref dw2, a20);
            TSimd.Store(ref Unsafe.Add(ref dw2, TSimd.Count), a21);
            TSimd.Store(ref dw3, a30);
            TSimd.Store(ref Unsafe.Add(ref dw3, TSimd.Count), a31);
        }

        /// <summary>Adds <c>Σ_b dy[b,r]·x[b, 0..2V]</c> to <c>dw[r, 0..2V]</c> for rows r &lt; 8.</summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void WeightGradient8x2<TSimd, TVector>(ref float dy, ref float x, ref float dw, int batch, int inputs, int dyRowStride)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            nint dyStride = dyRowStride;
            nint rowStride = inputs;
            nint count = TSimd.Count;
            TVector a00 = TSimd.Load(ref dw), a01 = TSimd.Load(ref Unsafe.Add(ref dw, count));
            TVector a10 = TSimd.Load(ref Unsafe.Add(ref dw, rowStride)), a11 = TSimd.Load(ref Unsafe.Add(ref dw, rowStride + count));
            TVector a20 = TSimd.Load(ref Unsafe.Add(ref dw, 2 * rowStride)), a21 = TSimd.Load(ref Unsafe.Add(ref dw, 2 * rowStride + count));
            TVector a30 = TSimd.Load(ref Unsafe.Add(ref dw, 3 * rowStride)), a31 = TSimd.Load(ref Unsafe.Add(ref dw, 3 * rowStride + count));
            TVector a40 = TSimd.Load(ref Unsafe.Add(ref dw, 4 * rowStride)), a41 = TSimd.Load(ref Unsafe.Add(ref dw, 4 * rowStride + count));
            TVector a50 = TSimd.Load(ref Unsafe.Add(ref dw, 5 * rowStride)), a51 = TSimd.Load(ref Unsafe.Add(ref dw, 5 * rowStride + count));
            TVector a60 = TSimd.Load(ref Unsafe.Add(ref dw, 6 * rowStride)), a61 = TSimd.Load(ref Unsafe.Add(ref dw, 6 * rowStride + count));
            TVector a70 = TSimd.Load(ref Unsafe.Add(ref dw, 7 * rowStride)), a71 = TSimd.Load(ref Unsafe.Add(ref dw, 7 * rowStride + count));

            ref float xRow = ref x;
            ref float dyRow = ref dy;
            for (int b = 0; b < batch; b++)
            {
                TVector x0 = TSimd.Load(ref xRow);
                TVector x1 = TSimd.Load(ref Unsafe.Add(ref xRow, count));

                TVector d = TSimd.Broadcast(dyRow);
                a00 = TSimd.MultiplyAdd(d, x0, a00);
                a01 = TSimd.MultiplyAdd(d, x1, a01);
                d = TSimd.Broadcast(Unsafe.Add(ref dyRow, 1));
                a10 = TSimd.MultiplyAdd(d, x0, a10);
                a11 = TSimd.MultiplyAdd(d, x1, a11);
                d = TSimd.Broadcast(Unsafe.Add(ref dyRow, 2));
                a20 = TSimd.MultiplyAdd(d, x0, a20);
                a21 = TSimd.MultiplyAdd(d, x1, a21);
                d = TSimd.Broadcast(Unsafe.Add(ref dyRow, 3));
                a30 = TSimd.MultiplyAdd(d, x0, a30);
                a31 = TSimd.MultiplyAdd(d, x1, a31);
                d = TSimd.Broadcast(Unsafe.Add(ref dyRow, 4));
                a40 = TSimd.MultiplyAdd(d, x0, a40);
                a41 = TSimd.MultiplyAdd(d, x1, a41);
                d = TSimd.Broadcast(Unsafe.Add(ref dyRow, 5));
                a50 = TSimd.MultiplyAdd(d, x0, a50);
                a51 = TSimd.MultiplyAdd(d, x1, a51);
                d = TSimd.Broadcast(Unsafe.Add(ref dyRow, 6));
                a60 = TSimd.MultiplyAdd(d, x0, a60);
                a61 = TSimd.MultiplyAdd(d, x1, a61);
                d = TSimd.Broadcast(Unsafe.Add(ref dyRow, 7));
                a70 = TSimd.MultiplyAdd(d, x0, a70);
                a71 = TSimd.MultiplyAdd(d, x1, a71);

                xRow = ref Unsafe.Add(ref xRow, rowStride);
                dyRow = ref Unsafe.Add(ref dyRow, dyStride);
            }

            StoreTwoVectors<TSimd, TVector>(ref dw, a00, a01);
            StoreTwoVectors<TSimd, TVector>(ref Unsafe.Add(ref dw, rowStride), a10, a11);
            StoreTwoVectors<TSimd, TVector>(ref Unsafe.Add(ref dw, 2 * rowStride), a20, a21);
            StoreTwoVectors<TSimd, TVector>(ref Unsafe.Add(ref dw, 3 * rowStride), a30, a31);
            StoreTwoVectors<TSimd, TVector>(ref Unsafe.Add(ref dw, 4 * rowStride), a40, a41);
            StoreTwoVectors<TSimd, TVector>(ref Unsafe.Add(ref dw, 5 * rowStride), a50, a51);
            StoreTwoVectors<TSimd, TVector>(ref Unsafe.Add(ref dw, 6 * rowStride), a60, a61);
            StoreTwoVectors<TSimd, TVector>(ref Unsafe.Add(ref dw, 7 * rowStride), a70, a71);
        }

        /// <summary>
        /// Adds <c>Σ_b dy[b,r]·x[b, 0..V]</c> to <c>dw[r, 0..V]</c> for rows r &lt; 4, storing only
        /// the lanes set in <paramref name="storeMask"/>.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void WeightGradient4x1<TSimd, TVector>(ref float dy, ref float x, ref float dw, int batch, int inputs, int dyRowStride, TVector storeMask)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            nint dyStride = dyRowStride;
            nint rowStride = inputs;
            ref float dw0 = ref dw;
            ref float dw1 = ref Unsafe.Add(ref dw, rowStride);
            ref float dw2 = ref Unsafe.Add(ref dw, 2 * rowStride);
            ref float dw3 = ref Unsafe.Add(ref dw, 3 * rowStride);
            TVector old0 = TSimd.Load(ref dw0), old1 = TSimd.Load(ref dw1), old2 = TSimd.Load(ref dw2), old3 = TSimd.Load(ref dw3);
            TVector a0 = old0, a1 = old1, a2 = old2, a3 = old3;

            ref float xRow = ref x;
            ref float dyRow = ref dy;
            for (int b = 0; b < batch; b++)
            {
                TVector x0 = TSimd.Load(ref xRow);
                a0 = TSimd.MultiplyAdd(TSimd.Broadcast(dyRow), x0, a0);
                a1 = TSimd.MultiplyAdd(TSimd.Broadcast(Unsafe.Add(ref dyRow, 1)), x0, a1);
                a2 = TSimd.MultiplyAdd(TSimd.Broadcast(Unsafe.Add(ref dyRow, 2)), x0, a2);
                a3 = TSimd.MultiplyAdd(TSimd.Broadcast(Unsafe.Add(ref dyRow, 3)), x0, a3);
                xRow = ref Unsafe.Add(ref xRow, rowStride);
                dyRow = ref Unsafe.Add(ref dyRow, dyStride);
            }

            TSimd.Store(ref dw0, TSimd.Select(storeMask, a0, old0));
            TSimd.Store(ref dw1, TSimd.Select(storeMask, a1, old1));
            TSimd.Store(ref dw2, TSimd.Select(storeMask, a2, old2));
            TSimd.Store(ref dw3, TSimd.Select(storeMask, a3, old3));
        }

        /// <summary>
        /// Adds <c>Σ_b dy[b]·x[b, 0..vectors·V]</c> to one dw row; with one vector, stores only the
        /// lanes set in <paramref name="storeMask"/>.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void WeightGradient1xN<TSimd, TVector>(ref float dy, ref float x, ref float dw, int batch, int inputs, int dyRowStride, int vectors, TVector storeMask)
            where TSimd : ISimd<TVector>
            where TVector : struct
        {
            nint dyStride = dyRowStride;
            nint rowStride = inputs;
            ref float xRow = ref x;
            ref float dyRow = ref dy;
            if (vectors == 2)
            {
                TVector a0 = TSimd.Load(ref dw), a1 = TSimd.Load(ref Unsafe.Add(ref dw, TSimd.Count));
                for (int b = 0; b < batch; b++)
                {
                    TVector d = TSimd.Broadcast(dyRow);
                    a0 = TSimd.MultiplyAdd(d, TSimd.Load(ref xRow), a0);
                    a1 = TSimd.MultiplyAdd(d, TSimd.Load(ref Unsafe.Add(ref xRow, TSimd.Count)), a1);
                    xRow = ref Unsafe.Add(ref xRow, rowStride);
                    dyRow = ref Unsafe.Add(ref dyRow, dyStride);
                }

                TSimd.Store(ref dw, a0);
                TSimd.Store(ref Unsafe.Add(ref dw, TSimd.Count), a1);
            }
            else
            {
                TVector old = TSimd.Load(ref dw);
                TVector a = old;
                for (int b = 0; b < batch; b++)
                {
                    a = TSimd.MultiplyAdd(TSimd.Broadcast(dyRow), TSimd.Load(ref xRow), a);
                    xRow = ref Unsafe.Add(ref xRow, rowStride);
                    dyRow = ref Unsafe.Add(ref dyRow, dyStride);
                }

                TSimd.Store(ref dw, TSimd.Select(storeMask, a, old));
            }
        }
    }
}
