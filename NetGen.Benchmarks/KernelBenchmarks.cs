using System;
using System.Collections.Generic;
using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using NetGen.Kernels;

namespace NetGen.Benchmarks
{
    // Dense kernels against a plain scalar loop that computes the same sums. Run with:
    //   dotnet run -c Release --project NetGen.Benchmarks -- --filter '*Kernel*' --job short
    // The GFLOP/s column counts 2·batch·inputs·outputs operations per call (one multiply and one add).

    /// <summary>A dense layer's sizes, as a benchmark parameter.</summary>
    public sealed record DenseShape(int Batch, int Inputs, int Outputs)
    {
        /// <summary>Floating-point operations of one kernel call: a multiply and an add per weight and sample.</summary>
        public double Flops => 2.0 * Batch * Inputs * Outputs;

        /// <inheritdoc/>
        public override string ToString() => $"{Inputs}x{Outputs} B{Batch}";
    }

    /// <summary>Adds the GFLOP/s column to the kernel benchmarks.</summary>
    public sealed class KernelBenchmarkConfig : ManualConfig
    {
        /// <summary>Creates the configuration.</summary>
        public KernelBenchmarkConfig() => AddColumn(new GflopsColumn());
    }

    /// <summary>Floating-point throughput: the shape's operation count over the mean time of one call.</summary>
    public sealed class GflopsColumn : IColumn
    {
        /// <inheritdoc/>
        public string Id => nameof(GflopsColumn);

        /// <inheritdoc/>
        public string ColumnName => "GFLOP/s";

        /// <inheritdoc/>
        public bool AlwaysShow => true;

        /// <inheritdoc/>
        public ColumnCategory Category => ColumnCategory.Custom;

        /// <inheritdoc/>
        public int PriorityInCategory => 0;

        /// <inheritdoc/>
        public bool IsNumeric => true;

        /// <inheritdoc/>
        public UnitType UnitType => UnitType.Dimensionless;

        /// <inheritdoc/>
        public string Legend => "Billions of floating-point operations per second, 2·batch·inputs·outputs per call";

        /// <inheritdoc/>
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        /// <inheritdoc/>
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            double? meanNanoseconds = summary[benchmarkCase]?.ResultStatistics?.Mean;
            if (meanNanoseconds is null || benchmarkCase.Parameters["Shape"] is not DenseShape shape)
            {
                return "-";
            }

            // Operations per nanosecond are billions of operations per second.
            return (shape.Flops / meanNanoseconds.Value).ToString("F2", CultureInfo.InvariantCulture);
        }

        /// <inheritdoc/>
        public bool IsAvailable(Summary summary) => true;

        /// <inheritdoc/>
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    }

    /// <summary>Buffers for one dense layer, filled from a fixed seed.</summary>
    public abstract class DenseKernelBenchmarkBase
    {
        /// <summary>The layer's sizes.</summary>
        [ParamsSource(nameof(Shapes))]
        public DenseShape Shape { get; set; } = new(1, 1, 1);

        /// <summary>Shapes to measure; each benchmark class lists its own.</summary>
        public abstract IEnumerable<DenseShape> Shapes { get; }

        protected float[] X { get; private set; } = [];

        protected float[] W { get; private set; } = [];

        protected float[] Bias { get; private set; } = [];

        protected float[] Y { get; private set; } = [];

        protected float[] Dx { get; private set; } = [];

        protected float[] Dw { get; private set; } = [];

        protected float[] Dbias { get; private set; } = [];

        /// <summary>Allocates and fills the buffers.</summary>
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

            X = Fill(Shape.Batch * Shape.Inputs);
            W = Fill(Shape.Outputs * Shape.Inputs);
            Bias = Fill(Shape.Outputs);
            Y = Fill(Shape.Batch * Shape.Outputs);
            Dx = new float[Shape.Batch * Shape.Inputs];
            Dw = new float[Shape.Outputs * Shape.Inputs];
            Dbias = new float[Shape.Outputs];
        }
    }

    /// <summary><see cref="DenseKernels.Forward"/>: the batch-1 latency case and a training batch.</summary>
    [MemoryDiagnoser]
    [Config(typeof(KernelBenchmarkConfig))]
    public class DenseForwardKernelBenchmarks : DenseKernelBenchmarkBase
    {
        /// <inheritdoc/>
        public override IEnumerable<DenseShape> Shapes => [new(1, 784, 128), new(128, 784, 256)];

        /// <summary>y = bias + x·wᵀ with one scalar accumulator per output.</summary>
        [Benchmark(Baseline = true)]
        public void ScalarLoop()
        {
            int batch = Shape.Batch, inputs = Shape.Inputs, outputs = Shape.Outputs;
            float[] x = X, w = W, bias = Bias, y = Y;
            for (int b = 0; b < batch; b++)
            {
                for (int o = 0; o < outputs; o++)
                {
                    float sum = bias[o];
                    for (int i = 0; i < inputs; i++)
                    {
                        sum += x[b * inputs + i] * w[o * inputs + i];
                    }

                    y[b * outputs + o] = sum;
                }
            }
        }

        /// <summary>The NetGen kernel.</summary>
        [Benchmark]
        public void Kernel() => DenseKernels.Forward(X, W, Bias, Y, Shape.Batch, Shape.Inputs, Shape.Outputs);
    }

    /// <summary><see cref="DenseKernels.BackwardInput(System.ReadOnlySpan{float}, System.ReadOnlySpan{float}, System.Span{float}, int, int, int)"/> for a training batch.</summary>
    [MemoryDiagnoser]
    [Config(typeof(KernelBenchmarkConfig))]
    public class DenseBackwardInputKernelBenchmarks : DenseKernelBenchmarkBase
    {
        /// <inheritdoc/>
        public override IEnumerable<DenseShape> Shapes => [new(128, 784, 256)];

        /// <summary>dx = dy·w, adding one scaled w row at a time.</summary>
        [Benchmark(Baseline = true)]
        public void ScalarLoop()
        {
            int batch = Shape.Batch, inputs = Shape.Inputs, outputs = Shape.Outputs;
            float[] dy = Y, w = W, dx = Dx;
            Array.Clear(dx);
            for (int b = 0; b < batch; b++)
            {
                for (int o = 0; o < outputs; o++)
                {
                    float d = dy[b * outputs + o];
                    for (int i = 0; i < inputs; i++)
                    {
                        dx[b * inputs + i] += d * w[o * inputs + i];
                    }
                }
            }
        }

        /// <summary>The NetGen kernel.</summary>
        [Benchmark]
        public void Kernel() => DenseKernels.BackwardInput(Y, W, Dx, Shape.Batch, Shape.Inputs, Shape.Outputs);
    }

    /// <summary><see cref="DenseKernels.AccumulateGradients"/> for a training batch.</summary>
    [MemoryDiagnoser]
    [Config(typeof(KernelBenchmarkConfig))]
    public class DenseAccumulateGradientsKernelBenchmarks : DenseKernelBenchmarkBase
    {
        /// <inheritdoc/>
        public override IEnumerable<DenseShape> Shapes => [new(128, 784, 256)];

        /// <summary>dw += dyᵀ·x and dbias += Σ dy, adding one scaled x row at a time.</summary>
        [Benchmark(Baseline = true)]
        public void ScalarLoop()
        {
            int batch = Shape.Batch, inputs = Shape.Inputs, outputs = Shape.Outputs;
            float[] dy = Y, x = X, dw = Dw, dbias = Dbias;
            for (int b = 0; b < batch; b++)
            {
                for (int o = 0; o < outputs; o++)
                {
                    float d = dy[b * outputs + o];
                    dbias[o] += d;
                    for (int i = 0; i < inputs; i++)
                    {
                        dw[o * inputs + i] += d * x[b * inputs + i];
                    }
                }
            }
        }

        /// <summary>The NetGen kernel.</summary>
        [Benchmark]
        public void Kernel() => DenseKernels.AccumulateGradients(Y, X, Dw, Dbias, Shape.Batch, Shape.Inputs, Shape.Outputs);
    }
}
