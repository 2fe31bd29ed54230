using System;
using System.CommandLine;
using System.IO;
using NetGen.Samples;

// Entry point: one subcommand per sample, built by SampleCommands so that tests parse the same tree.
RootCommand root = SampleCommands.CreateRoot();

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
