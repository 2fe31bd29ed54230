using System.Linq;

namespace NetGen.Tests.Generator;

public class RobustnessTests
{
    private const string Complete = """
        using NetGen;
        namespace Demo
        {
            [Network(Loss = Loss.SoftmaxCrossEntropy)]
            [Input(28 * 28)]
            [Dense(256, Activation.Relu, Init = Initializer.HeUniform)]
            [Dense(10)]
            public partial class Typing { }
        }
        """;

    [Fact]
    public void EveryPrefixOfDeclaration_DoesNotCrash()
    {
        // Simulates a user typing the declaration character by character.
        for (int length = 0; length <= Complete.Length; length++)
        {
            var (result, _) = GeneratorHarness.Run(Complete.Substring(0, length));
            Assert.All(result.Results, r => Assert.Null(r.Exception));
            Assert.DoesNotContain(result.Diagnostics, d => d.Id == "NETGEN0901");
        }
    }

    [Theory]
    [InlineData("[Network, Input(\"four\"), Dense(2)]")]
    [InlineData("[Network, Input(4), Dense(2.5)]")]
    [InlineData("[Network, Input(4), Dense(Activation.Relu)]")]
    [InlineData("[Network, Input(4), Dense(2, 3)]")]
    [InlineData("[Network(Loss = 3), Input(4), Dense(2)]")]
    [InlineData("[Network, Input(), Dense(2)]")]
    [InlineData("[Network, Input(int.MaxValue), Dense(int.MaxValue)]")]
    [InlineData("[Network, Input(4), Dense(2), Dense]")]
    [InlineData("[Network, Input(4), Dense(Missing.Value)]")]
    public void MalformedArguments_DoNotCrash(string attributes)
    {
        var (result, _) = GeneratorHarness.Run("using NetGen;\n" + attributes + "\npublic partial class Bad;");
        Assert.All(result.Results, r => Assert.Null(r.Exception));
        Assert.DoesNotContain(result.Diagnostics, d => d.Id == "NETGEN0901");
    }
}
