using System;
using System.Collections.Generic;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BenchmarkDotNet.Attributes;
using NetGen.Kernels;
using NetGen.Quantization;

namespace NetGen.Benchmarks
{
    // Int8 dense kernels against the fp32 kernel on the same shapes. Run with:
    //   dotnet run -c Release --project NetGen.Benchmarks -- --filter '*Int8*' --job short --inProcess
    // (--inProcess skips BenchmarkDotNet's separate build, which times out on a loaded 2-core machine.)
    // The GFLOP/s column counts 2·batch·inputs·outputs operations per call for int8 as for fp32
    // (one multiply and one add per weight and sample), so the columns compare directly.

    /// <summary>Int8 GEMV (batch 1) and GEMM (batch 128) beside <see cref="DenseKernels.Forward"/>.</summary>
    [MemoryDiagnoser]
    [Config(typeof(KernelBenchmarkConfig))]
    public class Int8DenseBenchmarks
    {
        private float[] _xFloat = [];
        private float[] _wFloat = [];
        private float[] _biasFloat = [];
        private float[] _yFloat = [];
        private QuantizedWeights _weights = QuantizedWeights.Quantize(new float[1], 1, 1);
        private byte[] _x = [];
        private byte[] _x7 = [];
        private int[] _bias = [];
        private int[] _accumulators = [];
        private byte[] _y = [];
        private QuantizationParameters _input;
        private QuantizationParameters _output;

        /// <summary>The layer's sizes.</summary>
        [ParamsSource(nameof(Shapes))]
        public DenseShape Shape { get; set; } = new(1, 1, 1);

        /// <summary>784 → 256 and 784 → 512 (fp32 weights of 0.8 and 1.6 MB, int8 of 0.2 and 0.4 MB), at batch 1 and 128.</summary>
        public IEnumerable<DenseShape> Shapes => [new(1, 784, 256), new(1, 784, 512), new(128, 784, 256), new(128, 784, 512)];

        /// <summary>Fills fp32 buffers from a fixed seed and quantizes them.</summary>
        [GlobalSetup]
        public void Setup()
        {
            var random = new Random(42);
            float[] Fill(int length)
            {
                var values = new float[length];
                for (int k = 0; k < length; k++)
                {
                    values[k] = (float)(random.NextDouble() * 2 - 1);
                }

                return values;
            }

            _xFloat = Fill(Shape.Batch * Shape.Inputs);
            _wFloat = Fill(Shape.Outputs * Shape.Inputs);
            _biasFloat = Fill(Shape.Outputs);
            _yFloat = new float[Shape.Batch * Shape.Outputs];

            _weights = QuantizedWeights.Quantize(_wFloat, Shape.Outputs, Shape.Inputs);
            _input = Quantizer.ComputeDynamicParameters(_xFloat, QuantizedRange.UInt8);
            _output = QuantizationParameters.FromRange(-4f, 4f, QuantizedRange.UInt8);
            _x = new byte[_xFloat.Length];
            Quantizer.Quantize(_xFloat, _input, _x);
            _x7 = new byte[_xFloat.Length];
            Quantizer.Quantize(_xFloat, QuantizationParameters.FromRange(-1f, 1f, QuantizedRange.UInt7), _x7);
            _bias = new int[Shape.Outputs];
            _accumulators = new int[Shape.Batch * Shape.Outputs];
            _y = new byte[Shape.Batch * Shape.Outputs];
        }

        /// <summary>The fp32 kernel, <see cref="DenseKernels.Forward"/>.</summary>
        [Benchmark(Baseline = true)]
        public void Float32() => DenseKernels.Forward(_xFloat, _wFloat, _biasFloat, _yFloat, Shape.Batch, Shape.Inputs, Shape.Outputs);

        /// <summary>Exact int8: widened to int16, then vpmaddwd.</summary>
        [Benchmark]
        public void Int8Widened() =>
            Int8Kernels.Multiply(_x, _input.ZeroPoint, _weights, _bias, _accumulators, Shape.Batch, Int8KernelPath.Avx2Widened);

        /// <summary>Exact int8: vpmaddubsw on |x − 128| and sign-transferred weights, then vpmaddwd.</summary>
        [Benchmark]
        public void Int8SignTransfer() =>
            Int8Kernels.Multiply(_x, _input.ZeroPoint, _weights, _bias, _accumulators, Shape.Batch, Int8KernelPath.Avx2SignTransfer);

        /// <summary>7-bit activations: vpmaddubsw on x directly, then vpmaddwd.</summary>
        [Benchmark]
        public void Int8SevenBit() =>
            Int8Kernels.Multiply(_x7, 64, _weights, _bias, _accumulators, Shape.Batch, Int8KernelPath.Avx2SevenBit);

        /// <summary>The whole exact layer: the default path, then requantization to uint8 with ReLU.</summary>
        [Benchmark]
        public void Int8LayerExact()
        {
            Int8Kernels.Multiply(_x, _input.ZeroPoint, _weights, _bias, _accumulators, Shape.Batch);
            Int8Kernels.Requantize(_accumulators, _input.Scale, _weights.Scales, _output, relu: true, _y, Shape.Batch);
        }
    }

    /// <summary>The sample's Fashion-MNIST MLP, 784 → 256 → 128 → 10, with its generated int8 path.</summary>
    [Network(Loss = Loss.SoftmaxCrossEntropy, Int8 = true)]
    [Input(28 * 28)]
    [Dense(256, Activation.Relu)]
    [Dense(128, Activation.Relu)]
    [Dense(10)]
    public sealed partial class Int8BenchmarkMlp;

    /// <summary>
    /// The whole generated MLP in fp32 and in int8 at batch 1 and 128. Every int8 row starts from
    /// fp32 inputs, so it includes quantizing the input (static) or each layer's input (dynamic).
    /// </summary>
    [MemoryDiagnoser]
    public class Int8MlpBenchmarks
    {
        private readonly Int8BenchmarkMlp _network = new(seed: 1);
        private float[] _inputs = [];
        private float[] _outputs = [];
        private Workspace _workspace = null!;
        private Int8BenchmarkMlp.Quantized _static = null!;
        private Int8BenchmarkMlp.Quantized _sevenBit = null!;
        private Int8BenchmarkMlp.Quantized _dynamic = null!;
        private QuantizedWorkspace _quantizedWorkspace = null!;

        /// <summary>Samples per call.</summary>
        [Params(1, 128)]
        public int Batch { get; set; }

        /// <summary>Draws inputs in [0, 1) and quantizes the network, calibrated on 512 such inputs.</summary>
        [GlobalSetup]
        public void Setup()
        {
            var random = new Random(2);
            float[] calibration = new float[512 * Int8BenchmarkMlp.InputSize];
            for (int i = 0; i < calibration.Length; i++)
            {
                calibration[i] = random.NextSingle();
            }

            _inputs = calibration.AsSpan(0, Batch * Int8BenchmarkMlp.InputSize).ToArray();
            _outputs = new float[Batch * Int8BenchmarkMlp.OutputSize];
            _workspace = _network.CreateWorkspace(Batch);
            _static = Int8BenchmarkMlp.Quantized.Calibrate(_network, calibration);
            _sevenBit = Int8BenchmarkMlp.Quantized.Calibrate(_network, calibration, activationRange: QuantizedRange.UInt7);
            _dynamic = Int8BenchmarkMlp.Quantized.CreateDynamic(_network);
            _quantizedWorkspace = _static.CreateWorkspace(Batch);
        }

        /// <summary>The generated fp32 forward pass.</summary>
        [Benchmark(Baseline = true)]
        public void Float32()
        {
            if (Batch == 1)
            {
                _network.Forward(_inputs, _outputs);
            }
            else
            {
                _network.Forward(_inputs, _outputs, _workspace);
            }
        }

        /// <summary>Static int8 (exact 8-bit kernels), including quantizing the fp32 input.</summary>
        [Benchmark]
        public void Int8Static() => Run(_static);

        /// <summary>Static int8 with 7-bit activations (the vpmaddubsw kernel), including quantizing the input.</summary>
        [Benchmark]
        public void Int8StaticSevenBit() => Run(_sevenBit);

        /// <summary>Dynamic int8: every layer quantizes its fp32 input with that call's range.</summary>
        [Benchmark]
        public void Int8Dynamic() => Run(_dynamic);

        private void Run(Int8BenchmarkMlp.Quantized model)
        {
            if (Batch == 1)
            {
                model.Forward(_inputs, _outputs);
            }
            else
            {
                model.Forward(_inputs, _outputs, _quantizedWorkspace);
            }
        }
    }

    /// <summary>
    /// The int8 multiply-add roof of this core: independent chains of the AVX2 instructions the
    /// kernels use, on operands loaded from L1, so that only the multiply pipe limits them. The shape
    /// parameter only feeds the GFLOP/s column: inputs × outputs is the number of multiply-adds per call.
    /// </summary>
    [Config(typeof(KernelBenchmarkConfig))]
    public class Int8RoofBenchmarks
    {
        private const int Iterations = 100_000;

        private readonly short[] _shorts = CreateShorts();
        private readonly byte[] _bytes = CreateBytes();

        /// <summary>The shape that the GFLOP/s column reads: 128 multiply-adds per round, <see cref="Iterations"/> rounds.</summary>
        [ParamsSource(nameof(Shapes))]
        public DenseShape Shape { get; set; } = new(1, 1, 1);

        /// <summary>inputs × outputs = 128 × <see cref="Iterations"/> multiply-adds.</summary>
        public IEnumerable<DenseShape> Shapes => [new(1, 128, Iterations)];

        /// <summary>
        /// Eight vpmaddwd + vpaddd per round, each on a different vector loaded from a 2 KB array
        /// whose address changes every round, so the JIT can neither hoist nor merge them:
        /// 128 multiply-adds per round.
        /// </summary>
        [Benchmark]
        public int Maddwd()
        {
            if (!Avx2.IsSupported)
            {
                return 0;
            }

            ref short data = ref _shorts[0];
            Vector256<short> w = Vector256.Create((short)5);
            Vector256<int> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
            for (int k = 0; k < Iterations; k++)
            {
                nuint row = (nuint)(k & 7) * 128;
                s0 += Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref data, row), w);
                s1 += Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref data, row + 16), w);
                s2 += Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref data, row + 32), w);
                s3 += Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref data, row + 48), w);
                s4 += Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref data, row + 64), w);
                s5 += Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref data, row + 80), w);
                s6 += Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref data, row + 96), w);
                s7 += Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref data, row + 112), w);
            }

            return Vector256.Sum(s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7);
        }

        /// <summary>Four vpmaddubsw + vpmaddwd + vpaddd per round on loaded vectors, as in <see cref="Maddwd"/>: 128 multiply-adds per round.</summary>
        [Benchmark]
        public int MaddubswMaddwd()
        {
            if (!Avx2.IsSupported)
            {
                return 0;
            }

            ref byte data = ref _bytes[0];
            Vector256<sbyte> w = Vector256.Create((sbyte)5);
            Vector256<short> ones = Vector256.Create((short)1);
            Vector256<int> s0 = default, s1 = default, s2 = default, s3 = default;
            for (int k = 0; k < Iterations; k++)
            {
                nuint row = (nuint)(k & 7) * 128;
                s0 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref data, row), w), ones);
                s1 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref data, row + 32), w), ones);
                s2 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref data, row + 64), w), ones);
                s3 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref data, row + 96), w), ones);
            }

            return Vector256.Sum(s0 + s1 + s2 + s3);
        }

        /// <summary>
        /// Eight independent vpdpbusd chains (AVX-VNNI, the instruction the kernels use where the CPU
        /// has it) on loaded vectors: 256 multiply-adds per round over half the rounds, so the
        /// GFLOP/s column counts the same work as the AVX2 rows.
        /// </summary>
        [Benchmark]
        public int Vpdpbusd()
        {
            if (!AvxVnni.IsSupported)
            {
                return 0;
            }

            ref byte data = ref _bytes[0];
            Vector256<sbyte> w = Vector256.Create((sbyte)5);
            Vector256<int> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
            for (int k = 0; k < Iterations / 2; k++)
            {
                nuint row = (nuint)(k & 3) * 256;
                s0 = AvxVnni.MultiplyWideningAndAdd(s0, Vector256.LoadUnsafe(ref data, row), w);
                s1 = AvxVnni.MultiplyWideningAndAdd(s1, Vector256.LoadUnsafe(ref data, row + 32), w);
                s2 = AvxVnni.MultiplyWideningAndAdd(s2, Vector256.LoadUnsafe(ref data, row + 64), w);
                s3 = AvxVnni.MultiplyWideningAndAdd(s3, Vector256.LoadUnsafe(ref data, row + 96), w);
                s4 = AvxVnni.MultiplyWideningAndAdd(s4, Vector256.LoadUnsafe(ref data, row + 128), w);
                s5 = AvxVnni.MultiplyWideningAndAdd(s5, Vector256.LoadUnsafe(ref data, row + 160), w);
                s6 = AvxVnni.MultiplyWideningAndAdd(s6, Vector256.LoadUnsafe(ref data, row + 192), w);
                s7 = AvxVnni.MultiplyWideningAndAdd(s7, Vector256.LoadUnsafe(ref data, row + 224), w);
            }

            return Vector256.Sum(s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7);
        }

        /// <summary>
        /// Eight independent 256-bit FMA chains, for comparison: 64 fp32 multiply-adds per round,
        /// half of what the GFLOP/s column assumes, so halve that column for this row.
        /// </summary>
        [Benchmark]
        public float Fma256()
        {
            if (!Fma.IsSupported)
            {
                return 0;
            }

            Vector256<float> a = Vector256.Create(0.999f), b = Vector256.Create(1e-3f);
            Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
            for (int k = 0; k < Iterations; k++)
            {
                s0 = Fma.MultiplyAdd(s0, a, b);
                s1 = Fma.MultiplyAdd(s1, a, b);
                s2 = Fma.MultiplyAdd(s2, a, b);
                s3 = Fma.MultiplyAdd(s3, a, b);
                s4 = Fma.MultiplyAdd(s4, a, b);
                s5 = Fma.MultiplyAdd(s5, a, b);
                s6 = Fma.MultiplyAdd(s6, a, b);
                s7 = Fma.MultiplyAdd(s7, a, b);
            }

            return Vector256.Sum(s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7);
        }

        private static short[] CreateShorts()
        {
            var values = new short[8 * 128];
            for (int k = 0; k < values.Length; k++)
            {
                values[k] = (short)(k % 251 - 125);
            }

            return values;
        }

        private static byte[] CreateBytes()
        {
            var values = new byte[8 * 128];
            for (int k = 0; k < values.Length; k++)
            {
                values[k] = (byte)(k % 127);
            }

            return values;
        }
    }
}
