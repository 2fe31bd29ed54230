using System;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using NetGen.Kernels;

namespace NetGen.Tests.Kernels
{
    // BackwardInput with the derivative of the input's activation folded in. It promises the bits
    // of BackwardInput followed by the activation's backward kernel, which other tests check against
    // double-precision references, so these tests compare the two to the bit.
    public partial class DenseKernelsTests
    {
        public static readonly TheoryData<Activation> FusedActivations = new() { Activation.Identity, Activation.Relu, Activation.Tanh, Activation.Sigmoid };

        [Theory]
        [MemberData(nameof(FusedActivations))]
        public void BackwardInputFused_EntryPoint_EqualsTwoPasses(Activation activation)
        {
            for (int inputs = 0; inputs <= 37; inputs++)
            {
                foreach (int batch in new[] { 1, 2, 3, 5, 8, 9, 13 })
                {
                    foreach (int outputs in new[] { 1, 4, 17 })
                    {
                        CheckFused(activation, batch, inputs, outputs, seed: inputs * 31 + batch, isa: null);
                    }
                }
            }
        }

        [Theory]
        [MemberData(nameof(FusedActivations))]
        public void BackwardInputFused_EachVectorWidth_EqualsTwoPasses(Activation activation)
        {
            foreach (Isa isa in Enum.GetValues<Isa>())
            {
                if (!IsSupported(isa))
                {
                    continue;
                }

                // The tiles cover 8, 4 and 1 rows of one or two vectors, and the last vector of a row may overlap.
                for (int inputs = VectorLength(isa); inputs <= 3 * VectorLength(isa) + 1; inputs++)
                {
                    foreach (int batch in new[] { 1, 3, 4, 7, 8, 12, 17 })
                    {
                        CheckFused(activation, batch, inputs, outputs: 13, seed: inputs + batch, isa);
                    }
                }
            }
        }

        [Fact]
        public void BackwardInputFused_ActivationWithoutOutputDerivative_Throws()
        {
            var dy = new float[4];
            var w = new float[8];
            var dx = new float[8];
            var x = new float[8];
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => DenseKernels.BackwardInput(dy, w, dx, 2, 4, 2, Activation.LeakyRelu, x));
            Assert.Equal("inputActivation", error.ParamName);
            Assert.Contains("Relu, Tanh and Sigmoid", error.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void BackwardInputFused_OverlappingOrShortInput_Throws()
        {
            var dy = new float[4];
            var w = new float[8];
            var buffer = new float[16];
            var overlap = Assert.Throws<ArgumentException>(() => DenseKernels.BackwardInput(dy, w, buffer.AsSpan(0, 8), 2, 4, 2, Activation.Tanh, buffer.AsSpan(4, 8)));
            Assert.Equal("x", overlap.ParamName);
            var shortInput = Assert.Throws<ArgumentException>(() => DenseKernels.BackwardInput(dy, w, new float[8], 2, 4, 2, Activation.Tanh, new float[7]));
            Assert.Equal("x", shortInput.ParamName);
        }

        [Fact]
        public void BackwardInput_DxOverlappingDyOrW_Throws()
        {
            var buffer = new float[16];
            var w = new float[16];
            var overDy = Assert.Throws<ArgumentException>(() => DenseKernels.BackwardInput(buffer.AsSpan(0, 8), w, buffer.AsSpan(4, 8), 2, 4, 4));
            Assert.Equal("dx", overDy.ParamName);
            var overW = Assert.Throws<ArgumentException>(() => DenseKernels.BackwardInput(new float[8], buffer, buffer.AsSpan(8, 8), 2, 4, 4, Activation.Relu, new float[8]));
            Assert.Equal("dx", overW.ParamName);
        }

        private static void CheckFused(Activation activation, int batch, int inputs, int outputs, int seed, Isa? isa)
        {
            float[] dy = TestValues.Uniform(batch * outputs, seed);
            float[] w = TestValues.Uniform(outputs * inputs, seed + 1);
            float[] x = TestValues.Uniform(batch * inputs, seed + 2);

            // A few exact zeros, where ReLU′ switches.
            for (int k = 0; k < x.Length; k += 5)
            {
                x[k] = 0f;
            }

            var fused = new GuardedBuffer(batch * inputs);
            fused.Span.Fill(float.NaN);
            float[] expected = new float[batch * inputs];
            if (isa is null)
            {
                DenseKernels.BackwardInput(dy, w, fused.Span, batch, inputs, outputs, activation, x);
                DenseKernels.BackwardInput(dy, w, expected, batch, inputs, outputs);
            }
            else
            {
                RunFusedCore(isa.Value, activation, dy, w, fused.Span, x, batch, inputs, outputs);
                RunBackwardInputCore(isa.Value, dy, w, expected, batch, inputs, outputs);
            }

            ApplyBackward(activation, x, expected);
            for (int k = 0; k < expected.Length; k++)
            {
                Assert.True(
                    BitConverter.SingleToInt32Bits(expected[k]) == BitConverter.SingleToInt32Bits(fused[k]),
                    $"dx[{k}] is {fused[k]} fused and {expected[k]} in two passes ({activation}, batch {batch}, inputs {inputs}, outputs {outputs}, {isa?.ToString() ?? "entry point"}).");
            }

            fused.AssertGuardsIntact();
        }

        private static void ApplyBackward(Activation activation, float[] x, float[] gradient)
        {
            switch (activation)
            {
                case Activation.Relu:
                    ActivationKernels.ReluBackward(x, gradient);
                    break;
                case Activation.Tanh:
                    ActivationKernels.TanhBackward(x, gradient);
                    break;
                case Activation.Sigmoid:
                    ActivationKernels.SigmoidBackward(x, gradient);
                    break;
            }
        }

        private static void RunFusedCore(Isa isa, Activation activation, Span<float> dy, Span<float> w, Span<float> dx, Span<float> x, int batch, int inputs, int outputs)
        {
            switch (activation)
            {
                case Activation.Relu:
                    RunFusedCore<ReluOutputDerivative>(isa, dy, w, dx, x, batch, inputs, outputs);
                    break;
                case Activation.Tanh:
                    RunFusedCore<TanhOutputDerivative>(isa, dy, w, dx, x, batch, inputs, outputs);
                    break;
                case Activation.Sigmoid:
                    RunFusedCore<SigmoidOutputDerivative>(isa, dy, w, dx, x, batch, inputs, outputs);
                    break;
                default:
                    RunFusedCore<NoDerivative>(isa, dy, w, dx, x, batch, inputs, outputs);
                    break;
            }
        }

        private static void RunFusedCore<TDerivative>(Isa isa, Span<float> dy, Span<float> w, Span<float> dx, Span<float> x, int batch, int inputs, int outputs)
            where TDerivative : struct, IOutputDerivative
        {
            ref float dyStart = ref MemoryMarshal.GetReference(dy);
            ref float wStart = ref MemoryMarshal.GetReference(w);
            ref float dxStart = ref MemoryMarshal.GetReference(dx);
            ref float xStart = ref MemoryMarshal.GetReference(x);
            switch (isa)
            {
                case Isa.Vector512Fma:
                    DenseKernels.BackwardInputCore<Vector512Fma, Vector512<float>, TDerivative>(ref dyStart, ref wStart, ref dxStart, ref xStart, batch, inputs, outputs);
                    break;
                case Isa.Vector256Fma:
                    DenseKernels.BackwardInputCore<Vector256Fma, Vector256<float>, TDerivative>(ref dyStart, ref wStart, ref dxStart, ref xStart, batch, inputs, outputs);
                    break;
                case Isa.Vector128:
                    DenseKernels.BackwardInputCore<Vector128Simd, Vector128<float>, TDerivative>(ref dyStart, ref wStart, ref dxStart, ref xStart, batch, inputs, outputs);
                    break;
                default:
                    DenseKernels.BackwardInputCore<ScalarSimd, float, TDerivative>(ref dyStart, ref wStart, ref dxStart, ref xStart, batch, inputs, outputs);
                    break;
            }
        }
    }
}
