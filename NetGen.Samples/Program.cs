using System;
using System.CommandLine;
using System.IO;
using System.Linq;
using NetGen.Samples;

// Entry point: one subcommand per sample, built by SampleCommands so that tests parse the same tree.
RootCommand root = SampleCommands.CreateRoot();

// Bad option values, missing or corrupt data files and a training run that diverges surface as
// these exceptions, whose messages name the value and what to do. A diverging run's NaN or
// infinite loss comes wrapped in an AggregateException when several threads process chunks.
// Each message gets one line on standard error instead of a stack trace.
var invocation = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
try
{
    return root.Parse(args).Invoke(invocation);
}
catch (Exception error) when (IsUserError(error))
{
    Console.Error.WriteLine($"error: {error.Message}");
    return 1;
}
catch (AggregateException errors) when (errors.InnerExceptions.Count > 0 && errors.InnerExceptions.All(IsUserError))
{
    foreach (Exception error in errors.InnerExceptions)
    {
        Console.Error.WriteLine($"error: {error.Message}");
    }

    return 1;
}

static bool IsUserError(Exception error) =>
    error is ArgumentException or IOException or InvalidDataException or UnauthorizedAccessException or ArithmeticException;
