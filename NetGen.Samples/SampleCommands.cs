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
        ConfigureParsers(root);
        return root;
    }

    /// <summary>Gives every number, file and folder option of <paramref name="command"/> and its subcommands its worded parser.</summary>
    private static void ConfigureParsers(Command command)
    {
        foreach (Option option in command.Options)
        {
            _ = NumberOptions.Configure(option) || PathOptions.Configure(option);
        }

        foreach (Command subcommand in command.Subcommands)
        {
            ConfigureParsers(subcommand);
        }
    }
}
