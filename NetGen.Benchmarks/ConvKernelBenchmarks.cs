using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using NetGen.Kernels;

namespace NetGen.Benchmarks
{
    // Convolution kernels with each algorithm on the layers of the two reference CNNs and a
    // depthwise layer, at batch 32, the batch of one training thread. Run with:
    //   dotnet run -c Release --project NetGen.Benchmarks -- --filter '*ConvKernel*' --job short
    // With Algorithm = Default the public kernels pick each algorithm by the rules next to
    // ConvKernels.ChooseForwardAlgorithm. The other two values force one algorithm.
    // BenchmarkDotNet measures wall time, which other jobs on a shared machine distort, so the
    // rules come from ConvAlgorithmCpuTimes.Run below, which measures the CPU time of the thread.

    /// <summary>A convolution layer as a benchmark parameter.</summary>
    public sealed record ConvShape(string Name, ConvGeometry Geometry)
    {
        /// <inheritdoc/>
        public override string ToString() => Name;
    }

    /// <summary><see cref="ConvKernels"/> forward, backward-input and weight-gradient passes per algorithm.</summary>
    [MemoryDiagnoser]
    public class ConvKernelBenchmarks
    {
        private const int Batch = 32;
        private float[] _x = [];
        private float[] _w = [];
        private float[] _bias = [];
        private float[] _y = [];
        private float[] _dx = [];
        private float[] _dw = [];
        private float[] _dbias = [];
        private float[] _scratch = [];
        private ConvGeometry _geometry;

        /// <summary>The layer.</summary>
        [ParamsSource(nameof(Shapes))]
        public ConvShape Shape { get; set; } = new("none", new ConvGeometry(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1));

        /// <summary>The algorithm: "Default" for the kernels' own choice, else "Im2Col" or "Direct".</summary>
        [Params("Default", "Im2Col", "Direct")]
        public string Algorithm { get; set; } = "Default";

        /// <summary>The Fashion-MNIST CNN's two convolutions, LeNet-5's two, and a depthwise 3×3.</summary>
        public static IEnumerable<ConvShape> Shapes() =>
        [
            new("Fashion1 1x28x28>32 3x3 same", new ConvGeometry(1, 28, 28, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1)),
            new("Fashion2 32x14x14>64 3x3 same", new ConvGeometry(32, 14, 14, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1)),
            new("LeNet1 1x28x28>6 5x5", new ConvGeometry(1, 28, 28, 6, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1)),
            new("LeNet2 6x12x12>16 5x5", new ConvGeometry(6, 12, 12, 16, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1)),
            new("Depthwise 32x14x14 3x3 same", new ConvGeometry(32, 14, 14, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 32)),
        ];

        /// <summary>Fills the buffers from a fixed seed.</summary>
        [GlobalSetup]
        public void Setup()
        {
            _geometry = Shape.Geometry;
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

            _x = Fill(Batch * _geometry.InputLength);
            _w = Fill(_geometry.WeightLength);
            _bias = Fill(_geometry.OutChannels);
            _y = Fill(Batch * _geometry.OutputLength);
            _dx = new float[_x.Length];
            _dw = new float[_w.Length];
            _dbias = new float[_bias.Length];
            _scratch = new float[(int)Math.Max(ConvKernels.Im2ColScratchLength(_geometry), ConvKernels.DirectScratchLength(_geometry))];
        }

        /// <summary>y = conv(x, w) + bias.</summary>
        [Benchmark]
        public void Forward()
        {
            if (Algorithm == "Default")
            {
                ConvKernels.Forward(_x, _w, _bias, _y, _scratch, Batch, _geometry);
            }
            else
            {
                ConvKernels.ForwardWith(Forced, _x, _w, _bias, _y, _scratch, Batch, _geometry);
            }
        }

        /// <summary>dx = convᵀ(dy, w).</summary>
        [Benchmark]
        public void BackwardInput()
        {
            if (Algorithm == "Default")
            {
                ConvKernels.BackwardInput(_y, _w, _dx, _scratch, Batch, _geometry);
            }
            else
            {
                ConvKernels.BackwardInputWith(Forced, _y, _w, _dx, _scratch, Batch, _geometry);
            }
        }

        /// <summary>dw += dy ⋆ x and dbias += Σ dy.</summary>
        [Benchmark]
        public void AccumulateGradients()
        {
            if (Algorithm == "Default")
            {
                ConvKernels.AccumulateGradients(_y, _x, _dw, _dbias, _scratch, Batch, _geometry);
            }
            else
            {
                ConvKernels.AccumulateGradientsWith(Forced, _y, _x, _dw, _dbias, _scratch, Batch, _geometry);
            }
        }

        private ConvAlgorithm Forced => Algorithm == "Direct" ? ConvAlgorithm.Direct : ConvAlgorithm.Im2Col;
    }

    /// <summary>
    /// Compares both algorithms on <see cref="ConvKernelBenchmarks.Shapes"/> by the CPU time of the
    /// calling thread, which stays meaningful on a machine that other jobs load. The rules next to
    /// <c>ConvKernels.ChooseForwardAlgorithm</c> come from this table.
    /// </summary>
    /// <remarks>
    /// Each cell is the best of 4 rounds × 5 runs of 25 ms of CPU time, with the two algorithms
    /// interleaved round by round. Linux only: elsewhere it falls back to the process's CPU time.
    /// </remarks>
    public static class ConvAlgorithmCpuTimes
    {
        private const int Batch = 32;

        /// <summary>Prints one line per layer and algorithm: microseconds per call of each kernel at batch 32.</summary>
        public static void Run()
        {
            foreach (ConvShape shape in ConvKernelBenchmarks.Shapes())
            {
                ConvGeometry g = shape.Geometry;
                var random = new Random(1);
                float[] Fill(int length)
                {
                    var values = new float[length];
                    for (int k = 0; k < length; k++)
                    {
                        values[k] = (float)(random.NextDouble() * 2 - 1);
                    }

                    return values;
                }

                float[] x = Fill(Batch * g.InputLength), w = Fill(g.WeightLength), bias = Fill(g.OutChannels), y = Fill(Batch * g.OutputLength);
                var dx = new float[x.Length];
                var dw = new float[w.Length];
                var dbias = new float[bias.Length];
                var scratch = new float[(int)Math.Max(ConvKernels.Im2ColScratchLength(g), ConvKernels.DirectScratchLength(g))];
                ConvAlgorithm[] algorithms = [ConvAlgorithm.Im2Col, ConvAlgorithm.Direct];
                var best = new double[algorithms.Length, 3];
                for (int round = 0; round < 4; round++)
                {
                    for (int a = 0; a < algorithms.Length; a++)
                    {
                        ConvAlgorithm algorithm = algorithms[a];
                        double forward = Measure(() => ConvKernels.ForwardWith(algorithm, x, w, bias, y, scratch, Batch, g));
                        double backwardInput = Measure(() => ConvKernels.BackwardInputWith(algorithm, y, w, dx, scratch, Batch, g));
                        double weightGradient = Measure(() => ConvKernels.AccumulateGradientsWith(algorithm, y, x, dw, dbias, scratch, Batch, g));
                        best[a, 0] = round == 0 ? forward : Math.Min(best[a, 0], forward);
                        best[a, 1] = round == 0 ? backwardInput : Math.Min(best[a, 1], backwardInput);
                        best[a, 2] = round == 0 ? weightGradient : Math.Min(best[a, 2], weightGradient);
                    }
                }

                for (int a = 0; a < algorithms.Length; a++)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{shape.Name,-32} {algorithms[a],-7} forward {best[a, 0],8:F1} us  backward input {best[a, 1],8:F1} us  weight gradient {best[a, 2],8:F1} us"));
                }
            }
        }

        /// <summary>Returns the best microseconds of CPU time per call over 5 runs of 25 ms, after one call to warm up.</summary>
        private static double Measure(Action call)
        {
            call();
            double best = double.MaxValue;
            for (int run = 0; run < 5; run++)
            {
                double start = CpuMicroseconds();
                double now;
                int calls = 0;
                while ((now = CpuMicroseconds()) - start < 25_000)
                {
                    call();
                    calls++;
                }

                best = Math.Min(best, (now - start) / calls);
            }

            return best;
        }

        /// <summary>Returns the CPU time of the calling thread in microseconds.</summary>
        internal static double CpuMicroseconds()
        {
            if (OperatingSystem.IsLinux() && ClockGetTime(ThreadCpuTimeClock, out TimeSpec time) == 0)
            {
                return (time.Seconds * 1e6) + (time.Nanoseconds / 1e3);
            }

            return Process.GetCurrentProcess().TotalProcessorTime.TotalMicroseconds;
        }

        /// <summary>CLOCK_THREAD_CPUTIME_ID of Linux.</summary>
        private const int ThreadCpuTimeClock = 3;

        [StructLayout(LayoutKind.Sequential)]
        private struct TimeSpec
        {
            public long Seconds;
            public long Nanoseconds;
        }

        [DllImport("libc", EntryPoint = "clock_gettime")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        private static extern int ClockGetTime(int clock, out TimeSpec time);
    }
}
