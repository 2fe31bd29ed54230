using System;
using System.Collections.Generic;
using System.Linq;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using NetGen.Benchmarks;

// "latency" runs the single-sample latency distribution, "conv-cpu" the thread-CPU-time table
// behind the convolution algorithm rule, and "cnn-profile" the cost of each kernel call in one
// FashionCnn training step. Anything else goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "conv-cpu")
{
    ConvAlgorithmCpuTimes.Run();
    return 0;
}

if (args.Length > 0 && args[0] == "cnn-profile")
{
    return CnnStepProfile.Run();
}

if (args.Length > 0 && args[0] == "latency")
{
    if (args.Length > 1)
    {
        Console.Error.WriteLine($"The latency mode takes no options, got: {string.Join(' ', args[1..])}");
        return 2;
    }

    return LatencyMode.Run();
}

// Building the generated benchmark project takes minutes on a busy two-core machine, more than
// BenchmarkDotNet's default limit of two minutes.
ManualConfig config = ManualConfig.Create(DefaultConfig.Instance).WithBuildTimeout(TimeSpan.FromMinutes(15));
config = TorchSharpShimConfig.AddShimBuildArgument(config);
// BenchmarkDotNet reports a benchmark whose setup or body threw as a row of "NA" and still
// returns normally, so the exit code reports whether every benchmark ran.
var failed = new List<string>();
foreach (Summary summary in BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config))
{
    if (summary.HasCriticalValidationErrors)
    {
        failed.Add(summary.Title + " (validation errors)");
    }

    failed.AddRange(summary.Reports.Where(report => !report.Success).Select(report => report.BenchmarkCase.DisplayInfo));
}

foreach (string name in failed)
{
    Console.Error.WriteLine($"Benchmark failed: {name}. Its log above shows the exception.");
}

return failed.Count == 0 ? 0 : 1;
