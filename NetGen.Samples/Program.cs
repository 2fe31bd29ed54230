using System;
using System.CommandLine;
using System.IO;
using NetGen.Samples;

// Entry point: one subcommand per sample. `fashion` is the main job.
var root = new RootCommand("NetGen samples: networks compiled by the NetGen source generator, trained and run.");
root.Subcommands.Add(FashionMnistSample.CreateCommand());
root.Subcommands.Add(FashionCnnSample.CreateCommand());
root.Subcommands.Add(LeNet5Sample.CreateCommand());
root.Subcommands.Add(FashionInt8Sample.CreateInt8Command());
root.Subcommands.Add(FashionInt8Sample.CreateQatCommand());
root.Subcommands.Add(QuadraticSample.CreateCommand());
root.Subcommands.Add(FashionSparseSample.CreateCommand());

// Bad option values and missing or corrupt data files surface as these exceptions, whose messages
// name the value and what to do. They get one line on standard error instead of a stack trace.
var invocation = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
try
{
    return root.Parse(args).Invoke(invocation);
}
catch (Exception error) when (error is ArgumentException or IOException or InvalidDataException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"error: {error.Message}");
    return 1;
}
