using System.CommandLine;
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
return root.Parse(args).Invoke();
