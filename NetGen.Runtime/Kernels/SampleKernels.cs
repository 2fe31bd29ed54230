using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetGen.Kernels
{
    /// <summary>
    /// Single-sample dense layers for small networks, where per-call overhead and the dependency
    /// chain through the layers dominate. Each layer reads its weights from a packed copy that
    /// <see cref="Pack"/> writes, transposed into panels of up to 128 outputs, so one sample is a
    /// sequence of broadcast-and-FMA steps into vector accumulators, with no horizontal sums. The
    /// accumulators hold 16 outputs for layers of 25 outputs and more (32 after padding) on CPUs
    /// with AVX-512, 8 otherwise, and the activation runs while the sums are still in registers,
    /// except where that runs short of registers: sigmoid, and tanh without AVX-512, run after the
    /// layer has written its sums (see ActivatesOutOfLine). Layers of at most 4 outputs stay
    /// row-major and take one dot product per output.
    /// </summary>
    /// <remarks>
    /// <see cref="Forward"/> checks no arguments. It is inlined into the generated forward pass,
    /// where the sizes are constants, so the JIT drops the branches between its panels. It reads x
    /// only at indices below <c>inputs</c>, and writes y up to <c>outputs</c> rounded up to 8.
    /// The lanes past <c>outputs</c> hold f(0) for finite inputs and may hold NaN otherwise.
    /// </remarks>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static partial class SampleKernels
    {
        /// <summary>Outputs of the widest panel: eight 16-float accumulators on AVX-512.</summary>
        private const int PanelWidth = 128;

        /// <summary>Outputs that the 256-bit kernel computes at a time: four 8-float accumulators.</summary>
        private const int NarrowPanelWidth = 32;

        /// <summary>
        /// Widest layer kept row-major. A panel of 8 would spend a broadcast and an FMA per input on
        /// at most 4 useful lanes, while row-major dot products need one FMA per 8 inputs per output.
        /// </summary>
        private const int NarrowOutputs = 4;

        /// <summary>Returns <paramref name="outputs"/> rounded up to a whole number of 8-float vectors.</summary>
        public static int PaddedWidth(int outputs) => (outputs + 7) & ~7;

        /// <summary>Returns the floats that <see cref="Pack"/> writes for one layer: the transposed weights, then the bias.</summary>
        public static int PackedLength(int inputs, int outputs) => (inputs + 1) * PaddedWidth(outputs);

        /// <summary>
        /// Writes a dense layer's weights and bias in the layout <see cref="Forward"/> reads. The
        /// outputs, padded with zeros to a multiple of 8, are cut into panels of 128 while 128
        /// remain, then one each of 64, 32, 16 and 8 as needed. A panel of width p that starts at output s contains
        /// <c>w[s + k, i]</c> at <c>s·inputs + i·p + k</c>, so it is one contiguous stream of
        /// inputs × p floats. A layer of at most 4 outputs keeps w row-major instead, followed by
        /// zeros. The bias starts at <c>inputs · </c><see cref="PaddedWidth"/>, padded with zeros.
        /// </summary>
        /// <param name="weights">The weight, [outputs, inputs] row-major as torch.nn.Linear.weight.</param>
        /// <param name="bias">The bias, [outputs].</param>
        /// <param name="packed">Exactly <see cref="PackedLength"/> floats, overwritten.</param>
        /// <param name="inputs">Number of inputs I.</param>
        /// <param name="outputs">Number of outputs O.</param>
        /// <exception cref="ArgumentOutOfRangeException">A size is negative.</exception>
        /// <exception cref="ArgumentException">A span's length differs from its shape.</exception>
        public static void Pack(ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> packed, int inputs, int outputs)
        {
            KernelArguments.RequireSize(inputs);
            KernelArguments.RequireSize(outputs);
            KernelArguments.RequireLength(weights.Length, outputs, inputs, nameof(weights), nameof(outputs), nameof(inputs));
            KernelArguments.RequireLength(bias.Length, outputs, nameof(bias), nameof(outputs));
            KernelArguments.RequireLength(packed.Length, PackedLength(inputs, outputs), nameof(packed), "PackedLength(inputs, outputs)");

            int width = PaddedWidth(outputs);
            packed.Clear();
            if (outputs <= NarrowOutputs)
            {
                weights.CopyTo(packed);
            }

            for (int start = 0, panel; start < outputs && outputs > NarrowOutputs; start += panel)
            {
                panel = PanelAt(start, width);
                Span<float> destination = packed.Slice(start * inputs, panel * inputs);
                for (int k = 0; k < panel && start + k < outputs; k++)
                {
                    ReadOnlySpan<float> row = weights.Slice((start + k) * inputs, inputs);
                    for (int i = 0; i < inputs; i++)
                    {
                        destination[(i * panel) + k] = row[i];
                    }
                }
            }

            bias.CopyTo(packed.Slice(inputs * width));
        }

        /// <summary>Returns the width of the panel that starts at output <paramref name="start"/> of a layer <paramref name="width"/> outputs wide after padding.</summary>
        /// <remarks>
        /// <see cref="Pack"/> and the scalar path call it; the vector paths pick the same panels from
        /// the bits of the width left after the panels of 128.
        /// </remarks>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static int PanelAt(int start, int width)
        {
            int remaining = width - start;
            if (remaining >= PanelWidth)
            {
                return PanelWidth;
            }

            if (remaining >= 64)
            {
                return 64;
            }

            if (remaining >= 32)
            {
                return 32;
            }

            return remaining >= 16 ? 16 : 8;
        }

        /// <summary>
        /// Computes y[o] = f(b[o] + Σ_i w[o, i]·x[i]) for one sample from the layer's packed weights.
        /// </summary>
        /// <typeparam name="TActivation">The activation f, applied in registers or, for sigmoid and for tanh without AVX-512, right after the sums are written.</typeparam>
        /// <param name="packed">The layer's weights and bias as <see cref="Pack"/> wrote them.</param>
        /// <param name="x">The first of <paramref name="inputs"/> input values.</param>
        /// <param name="y">The first of <see cref="PaddedWidth"/>(<paramref name="outputs"/>) writable floats.</param>
        /// <param name="inputs">Number of inputs I.</param>
        /// <param name="outputs">Number of outputs O.</param>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Forward<TActivation>(ref float packed, ref float x, ref float y, int inputs, int outputs)
            where TActivation : struct, ISampleActivation
        {
            if (!Fma.IsSupported || !Vector256.IsHardwareAccelerated)
            {
                ForwardScalar<TActivation>(ref packed, ref x, ref y, inputs, outputs);
                return;
            }

            int width = PaddedWidth(outputs);

            // Some activations run after the layer, in a method of their own; see ActivatesOutOfLine.
            if (ActivatesOutOfLine<TActivation>())
            {
                Forward<SampleActivations.Identity>(ref packed, ref x, ref y, inputs, outputs);
                ApplyOutOfLine<TActivation>(ref y, width);
                return;
            }

            ref float bias = ref Unsafe.Add(ref packed, (nint)inputs * width);
            if (outputs <= NarrowOutputs)
            {
                ForwardNarrow<TActivation>(ref packed, ref bias, ref x, ref y, inputs, outputs);
                return;
            }

            // Layers with a padded width of 32 or more run on 512-bit vectors. A layer of 16 stays
            // on 256-bit ones, where its four accumulators make shorter FMA chains. On a CPU with
            // AVX-512 the 256-bit panels of such a layer run only when a test lowers
            // SimdWidth.MaximumBits, so there they stay a call. Inlined as well, they would double
            // the code of each layer in the generated method and use up the JIT's inlining budget.
            if (width >= 32 && Avx512F.IsSupported && Vector512.IsHardwareAccelerated)
            {
                if (SimdWidth.MaximumBits >= 512)
                {
                    ForwardWide<TActivation>(ref packed, ref bias, ref x, ref y, inputs, width);
                }
                else
                {
                    ForwardPanelsOutOfLine<TActivation>(ref packed, ref bias, ref x, ref y, inputs, width);
                }

                return;
            }

            ForwardPanels<TActivation>(ref packed, ref bias, ref x, ref y, inputs, width);
        }

        /// <summary>
        /// Returns whether a layer writes its sums and applies the activation afterwards in
        /// <see cref="ApplyOutOfLine"/>, instead of in registers: sigmoid always, tanh where the CPU
        /// has no AVX-512.
        /// </summary>
        /// <remarks>
        /// Inlined, these activations keep about a dozen vector constants live across the whole
        /// generated method. With the 16 vector registers of a CPU without AVX-512 the JIT then
        /// spilled the panels' accumulators on every input. The 4 → 32 → 32 → 2 tanh network took
        /// 105 ns per call with AVX-512 turned off, and 62 ns out of line. With AVX-512's 32 registers
        /// tanh fits: out of line it took 64 against 48 ns. A 16 → 128 tanh → 128 sigmoid network
        /// still spilled, and took 976 ns against 558–579 ns with the sigmoid out of line. All were
        /// measured on Intel Xeon (Emerald Rapids), in separate processes, alternating.
        /// </remarks>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static bool ActivatesOutOfLine<TActivation>()
            where TActivation : struct, ISampleActivation =>
            typeof(TActivation) == typeof(SampleActivations.Sigmoid) ||
            (typeof(TActivation) == typeof(SampleActivations.Tanh) && !Avx512F.IsSupported);

        /// <summary>Applies the activation to <paramref name="width"/> floats at <paramref name="y"/>, a multiple of 8, in place, 16 at a time where AVX-512 exists.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void ApplyOutOfLine<TActivation>(ref float y, int width)
            where TActivation : struct, ISampleActivation
        {
            nuint i = 0;
            if (Avx512F.IsSupported && Vector512.IsHardwareAccelerated)
            {
                for (; i + 16 <= (nuint)width; i += 16)
                {
                    TActivation.Apply(Vector512.LoadUnsafe(ref y, i)).StoreUnsafe(ref y, i);
                }
            }

            for (; i < (nuint)width; i += 8)
            {
                TActivation.Apply(Vector256.LoadUnsafe(ref y, i)).StoreUnsafe(ref y, i);
            }
        }

        /// <summary>Runs <see cref="ForwardPanels"/> as a call, for the rare path that should not grow its caller.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void ForwardPanelsOutOfLine<TActivation>(ref float packed, ref float bias, ref float x, ref float y, int inputs, int width)
            where TActivation : struct, ISampleActivation =>
            ForwardPanels<TActivation>(ref packed, ref bias, ref x, ref y, inputs, width);

        /// <summary>Runs every panel of a layer with 256-bit vectors. <paramref name="width"/> is the padded output count.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void ForwardPanels<TActivation>(ref float packed, ref float bias, ref float x, ref float y, int inputs, int width)
            where TActivation : struct, ISampleActivation
        {
            // Panels of 32 and more run 32 outputs at a time, reading every panel row at its stride.
            // See ForwardWide for why the panels after the widest ones are chosen by the bits of the remainder.
            int widestEnd = width / PanelWidth * PanelWidth, remainder = width - widestEnd;
            for (int o = 0; o < widestEnd; o += PanelWidth)
            {
                for (int part = 0; part < PanelWidth; part += NarrowPanelWidth)
                {
                    ForwardThirtyTwo<TActivation>(ref Unsafe.Add(ref packed, ((nint)o * inputs) + part), ref Unsafe.Add(ref bias, o + part), ref x,
                        ref Unsafe.Add(ref y, o + part), inputs, PanelWidth);
                }
            }

            int offset = widestEnd;
            if ((remainder & 64) != 0)
            {
                ref float panel = ref Unsafe.Add(ref packed, (nint)offset * inputs);
                ForwardThirtyTwo<TActivation>(ref panel, ref Unsafe.Add(ref bias, offset), ref x, ref Unsafe.Add(ref y, offset), inputs, 64);
                ForwardThirtyTwo<TActivation>(ref Unsafe.Add(ref panel, NarrowPanelWidth), ref Unsafe.Add(ref bias, offset + 32), ref x, ref Unsafe.Add(ref y, offset + 32), inputs, 64);
                offset += 64;
            }

            if ((remainder & 32) != 0)
            {
                ForwardThirtyTwo<TActivation>(ref Unsafe.Add(ref packed, (nint)offset * inputs), ref Unsafe.Add(ref bias, offset), ref x, ref Unsafe.Add(ref y, offset), inputs, 32);
                offset += 32;
            }

            if ((remainder & 16) != 0)
            {
                ForwardSixteen<TActivation>(ref Unsafe.Add(ref packed, (nint)offset * inputs), ref Unsafe.Add(ref bias, offset), ref x, ref Unsafe.Add(ref y, offset), inputs);
                offset += 16;
            }

            if ((remainder & 8) != 0)
            {
                ForwardEight<TActivation>(ref Unsafe.Add(ref packed, (nint)offset * inputs), ref Unsafe.Add(ref bias, offset), ref x, ref Unsafe.Add(ref y, offset), inputs);
            }
        }

        /// <summary>
        /// Computes 32 outputs of one panel into four accumulators, plus four more for the odd
        /// inputs so that each FMA chain is half as long. Rows of the panel are
        /// <paramref name="rowLength"/> floats apart: 32, or more when these outputs are part of a wider panel.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void ForwardThirtyTwo<TActivation>(ref float panel, ref float bias, ref float x, ref float y, int inputs, int rowLength)
            where TActivation : struct, ISampleActivation
        {
            nint row = rowLength;
            Vector256<float> a0 = Vector256.LoadUnsafe(ref bias), a1 = Vector256.LoadUnsafe(ref bias, 8);
            Vector256<float> a2 = Vector256.LoadUnsafe(ref bias, 16), a3 = Vector256.LoadUnsafe(ref bias, 24);
            Vector256<float> c0 = Vector256<float>.Zero, c1 = c0, c2 = c0, c3 = c0;

            int i = 0;
            for (; i + 2 <= inputs; i += 2)
            {
                Vector256<float> even = Vector256.Create(Unsafe.Add(ref x, i));
                Vector256<float> odd = Vector256.Create(Unsafe.Add(ref x, i + 1));
                a0 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref panel), even, a0);
                a1 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref panel, 8), even, a1);
                a2 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref panel, 16), even, a2);
                a3 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref panel, 24), even, a3);
                ref float next = ref Unsafe.Add(ref panel, row);
                c0 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref next), odd, c0);
                c1 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref next, 8), odd, c1);
                c2 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref next, 16), odd, c2);
                c3 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref next, 24), odd, c3);
                panel = ref Unsafe.Add(ref panel, 2 * row);
            }

            if (i < inputs)
            {
                Vector256<float> last = Vector256.Create(Unsafe.Add(ref x, i));
                a0 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref panel), last, a0);
                a1 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref panel, 8), last, a1);
                a2 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref panel, 16), last, a2);
                a3 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref panel, 24), last, a3);
            }

            // Four independent activations, so the core overlaps their latency chains.
            TActivation.Apply(a0 + c0).StoreUnsafe(ref y);
            TActivation.Apply(a1 + c1).StoreUnsafe(ref y, 8);
            TActivation.Apply(a2 + c2).StoreUnsafe(ref y, 16);
            TActivation.Apply(a3 + c3).StoreUnsafe(ref y, 24);
        }

        /// <summary>Computes the 16 outputs of one panel, with four accumulator pairs that take every fourth input each.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void ForwardSixteen<TActivation>(ref float panel, ref float bias, ref float x, ref float y, int inputs)
            where TActivation : struct, ISampleActivation
        {
            Vector256<float> a0 = Vector256.LoadUnsafe(ref bias), a1 = Vector256.LoadUnsafe(ref bias, 8);
            Vector256<float> b0 = Vector256<float>.Zero, b1 = b0, c0 = b0, c1 = b0, d0 = b0, d1 = b0;

            int i = 0;
            for (; i + 4 <= inputs; i += 4)
            {
                Vector256<float> x0 = Vector256.Create(Unsafe.Add(ref x, i));
                Vector256<float> x1 = Vector256.Create(Unsafe.Add(ref x, i + 1));
                Vector256<float> x2 = Vector256.Create(Unsafe.Add(ref x, i + 2));
                Vector256<float> x3 = Vector256.Create(Unsafe.Add(ref x, i + 3));
                a0 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref panel), x0, a0);
                a1 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref panel, 8), x0, a1);
                b0 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref panel, 16), x1, b0);
                b1 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref panel, 24), x1, b1);
                c0 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref panel, 32), x2, c0);
                c1 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref panel, 40), x2, c1);
                d0 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref panel, 48), x3, d0);
                d1 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref panel, 56), x3, d1);
                panel = ref Unsafe.Add(ref panel, 64);
            }

            for (; i < inputs; i++)
            {
                Vector256<float> last = Vector256.Create(Unsafe.Add(ref x, i));
                a0 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref panel), last, a0);
                a1 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref panel, 8), last, a1);
                panel = ref Unsafe.Add(ref panel, 16);
            }

            TActivation.Apply((a0 + b0) + (c0 + d0)).StoreUnsafe(ref y);
            TActivation.Apply((a1 + b1) + (c1 + d1)).StoreUnsafe(ref y, 8);
        }

        /// <summary>Computes the 8 outputs of one panel, with four accumulators that take every fourth input each.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void ForwardEight<TActivation>(ref float panel, ref float bias, ref float x, ref float y, int inputs)
            where TActivation : struct, ISampleActivation
        {
            Vector256<float> a = Vector256.LoadUnsafe(ref bias);
            Vector256<float> b = Vector256<float>.Zero, c = b, d = b;

            int i = 0;
            for (; i + 4 <= inputs; i += 4)
            {
                a = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref panel), Vector256.Create(Unsafe.Add(ref x, i)), a);
                b = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref panel, 8), Vector256.Create(Unsafe.Add(ref x, i + 1)), b);
                c = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref panel, 16), Vector256.Create(Unsafe.Add(ref x, i + 2)), c);
                d = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref panel, 24), Vector256.Create(Unsafe.Add(ref x, i + 3)), d);
                panel = ref Unsafe.Add(ref panel, 32);
            }

            for (; i < inputs; i++)
            {
                a = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref panel), Vector256.Create(Unsafe.Add(ref x, i)), a);
                panel = ref Unsafe.Add(ref panel, 8);
            }

            TActivation.Apply((a + b) + (c + d)).StoreUnsafe(ref y);
        }

        /// <summary>
        /// Computes a layer of at most 4 outputs from row-major weights: one dot product per
        /// output, reduced together by pairwise horizontal adds, then bias and activation on all
        /// 8 lanes at once.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void ForwardNarrow<TActivation>(ref float rows, ref float bias, ref float x, ref float y, int inputs, int outputs)
            where TActivation : struct, ISampleActivation
        {
            Vector256<float> zero = Vector256<float>.Zero;
            Vector256<float> s0 = Dot(ref rows, ref x, inputs);
            Vector256<float> s1 = outputs > 1 ? Dot(ref Unsafe.Add(ref rows, inputs), ref x, inputs) : zero;
            Vector256<float> s2 = outputs > 2 ? Dot(ref Unsafe.Add(ref rows, 2 * inputs), ref x, inputs) : zero;
            Vector256<float> s3 = outputs > 3 ? Dot(ref Unsafe.Add(ref rows, 3 * inputs), ref x, inputs) : zero;

            // Each 128-bit half of the last add holds the four sums over its half of the lanes.
            Vector256<float> halves = Avx.HorizontalAdd(Avx.HorizontalAdd(s0, s1), Avx.HorizontalAdd(s2, s3));
            Vector128<float> sums = halves.GetLower() + halves.GetUpper();
            Vector256<float> z = Vector256.Create(sums, Vector128<float>.Zero) + Vector256.LoadUnsafe(ref bias);
            TActivation.Apply(z).StoreUnsafe(ref y);
        }

        /// <summary>
        /// Returns lane-wise partial sums of <c>w·x</c> over <paramref name="inputs"/> floats, with
        /// the inputs past the last whole vector added into lane 0, so x is never read past its end.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> Dot(ref float w, ref float x, int inputs)
        {
            Vector256<float> a = Vector256<float>.Zero, b = a;
            int i = 0;
            for (; i + 16 <= inputs; i += 16)
            {
                a = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref w, (nuint)i), Vector256.LoadUnsafe(ref x, (nuint)i), a);
                b = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref w, (nuint)(i + 8)), Vector256.LoadUnsafe(ref x, (nuint)(i + 8)), b);
            }

            if (i + 8 <= inputs)
            {
                a = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref w, (nuint)i), Vector256.LoadUnsafe(ref x, (nuint)i), a);
                i += 8;
            }

            float tail = 0;
            for (; i < inputs; i++)
            {
                tail += Unsafe.Add(ref w, i) * Unsafe.Add(ref x, i);
            }

            return a + b + Vector256.CreateScalar(tail);
        }

        private static void ForwardScalar<TActivation>(ref float packed, ref float x, ref float y, int inputs, int outputs)
            where TActivation : struct, ISampleActivation
        {
            int width = PaddedWidth(outputs);
            ref float bias = ref Unsafe.Add(ref packed, inputs * width);
            if (outputs <= NarrowOutputs)
            {
                for (int o = 0; o < width; o++)
                {
                    float sum = Unsafe.Add(ref bias, o);
                    for (int i = 0; i < inputs && o < outputs; i++)
                    {
                        sum += Unsafe.Add(ref packed, (o * inputs) + i) * Unsafe.Add(ref x, i);
                    }

                    Unsafe.Add(ref y, o) = TActivation.Apply(sum);
                }

                return;
            }

            for (int start = 0, panel; start < width; start += panel)
            {
                panel = PanelAt(start, width);
                ref float weights = ref Unsafe.Add(ref packed, start * inputs);
                for (int k = 0; k < panel; k++)
                {
                    float sum = Unsafe.Add(ref bias, start + k);
                    for (int i = 0; i < inputs; i++)
                    {
                        sum += Unsafe.Add(ref weights, (i * panel) + k) * Unsafe.Add(ref x, i);
                    }

                    Unsafe.Add(ref y, start + k) = TActivation.Apply(sum);
                }
            }
        }
    }
}
