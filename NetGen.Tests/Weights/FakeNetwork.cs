using System;

namespace NetGen.Tests;

/// <summary>
/// Hand-written <see cref="INetwork"/> for weight file tests: an architecture text and a
/// parameter array, with no layers behind them.
/// </summary>
internal sealed class FakeNetwork : INetwork
{
    private readonly float[] _parameters;

    public FakeNetwork(string architecture, float[] parameters, int? reportedParameterCount = null)
    {
        Architecture = architecture;
        _parameters = parameters;
        ParameterCount = reportedParameterCount ?? parameters.Length;
    }

    /// <summary>Creates a network whose parameters are reproducible pseudo-random values.</summary>
    public static FakeNetwork WithRandomParameters(string architecture, int parameterCount, int seed)
    {
        var random = new Random(seed);
        float[] parameters = new float[parameterCount];
        for (int i = 0; i < parameters.Length; i++)
        {
            parameters[i] = (float)(random.NextDouble() * 2.0 - 1.0);
        }

        return new FakeNetwork(architecture, parameters);
    }

    public int InputSize => 1;

    public int OutputSize => 1;

    public int ParameterCount { get; }

    public string Architecture { get; }

    public Span<float> Parameters => _parameters;

    /// <summary>Returns a copy of the parameters, for comparing before and after a load.</summary>
    public float[] CopyParameters() => (float[])_parameters.Clone();

    public void Forward(ReadOnlySpan<float> input, Span<float> output) =>
        throw new NotSupportedException("Weight file tests never run the network.");
}
