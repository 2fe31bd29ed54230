using System.CommandLine;

namespace NetGen.Samples;

/// <summary>The command tree of the samples program: one subcommand per sample.</summary>
internal static class SampleCommands
{
    /// <summary>Creates the root command with every sample as a subcommand. <c>fashion</c> is the main job.</summary>
    public static RootCommand CreateRoot()
    {
        var root = new RootCommand("NetGen samples: networks compiled by the NetGen source generator, trained and run.");
        root.Subcommands.Add(FashionMnistSample.CreateCommand());
        root.Subcommands.Add(FashionCnnSample.CreateCommand());
        root.Subcommands.Add(LeNet5Sample.CreateCommand());
        root.Subcommands.Add(FashionInt8Sample.CreateInt8Command());
        root.Subcommands.Add(FashionInt8Sample.CreateQatCommand());
        root.Subcommands.Add(QuadraticSample.CreateCommand());
        root.Subcommands.Add(FashionSparseSample.CreateCommand());
        NumberOptions.Apply(root);
        return root;
    }
}
