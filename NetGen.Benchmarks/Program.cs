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
// BenchmarkDotNet reports a benchmark whose setup or body threw as a row of "NA", logs an
// exception in a cleanup as an error line, and rejects an unknown option with a message, and in
// each case still returns normally. The exit code reports whether every benchmark ran cleanly.
// NOTE: in process (--inProcess, as eng/test.sh's dry run) a cleanup's exception reaches no
// report, so only the out-of-process runs of eng/run-benchmarks.sh fail on it.
var failed = new List<string>();
int reports = 0;
foreach (Summary summary in BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config))
{
    if (summary.HasCriticalValidationErrors)
    {
        failed.Add($"{summary.Title}: invalid benchmark, see the validation errors above");
    }

    foreach (BenchmarkReport report in summary.Reports)
    {
        reports++;
        if (!report.Success || report.ExecuteResults.Any(result => result.Errors.Any()))
        {
            failed.Add($"{report.BenchmarkCase.Descriptor.DisplayInfo} {report.BenchmarkCase.Parameters.DisplayInfo}: see its log above");
        }
    }
}

foreach (string name in failed)
{
    Console.Error.WriteLine($"Benchmark failed: {name}.");
}

// Listing, help and version options run no benchmark by design; anything else that ran none was
// an unknown option or a filter that matched nothing.
string[] informational = ["--list", "--help", "-h", "-?", "--version", "--info"];
if (reports == 0 && !args.Any(informational.Contains))
{
    Console.Error.WriteLine("No benchmark ran: check the options and the filter (--list flat shows every benchmark).");
    return 1;
}

return failed.Count == 0 ? 0 : 1;
