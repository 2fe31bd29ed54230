using System;
using System.Numerics.Tensors;
using static NetGen.Tests.Optimizers.OptimizerTestData;

namespace NetGen.Tests.Optimizers;

/// <summary>
/// Optimizer state that decays toward 0 is stored as 0 below 2⁻¹²⁶, and the parameters keep the
/// bits of the plain float formulas. Each reference below repeats its optimizer's documented
/// update in float, rounding in the same order, without the flush.
/// </summary>
public class DecayingStateTests
{
    private const int Length = 37;
    private const int Steps = 400;

    // Parameters whose gradient is a tiny value on the first step and 0 after it.
    private static readonly int[] Dead = [0, 5, 17, 36];

    private static readonly float SmallestNormal = BitConverter.Int32BitsToSingle(0x0080_0000);
    private static readonly float LargestSubnormal = BitConverter.Int32BitsToSingle(0x007F_FFFF);

    [Fact]
    public void Floors_MatchAbsorbingEpsilons()
    {
        float squareRootEpsilon = MathF.Pow(2, -39), sumEpsilon = MathF.Pow(2, -102);

        // At these ε every subnormal v vanishes in √v + ε or v + ε, and just below them it does not.
        Assert.Equal(squareRootEpsilon, MathF.Sqrt(LargestSubnormal) + squareRootEpsilon);
        Assert.NotEqual(MathF.BitDecrement(squareRootEpsilon), MathF.Sqrt(LargestSubnormal) + MathF.BitDecrement(squareRootEpsilon));
        Assert.Equal(sumEpsilon, LargestSubnormal + sumEpsilon);
        Assert.NotEqual(MathF.BitDecrement(sumEpsilon), LargestSubnormal + MathF.BitDecrement(sumEpsilon));

        Assert.Equal(SmallestNormal, DecayingState.FloorBesideSquareRoot(squareRootEpsilon));
        Assert.Equal(0f, DecayingState.FloorBesideSquareRoot(MathF.BitDecrement(squareRootEpsilon)));
        Assert.Equal(SmallestNormal, DecayingState.FloorInsideSquareRoot(sumEpsilon));
        Assert.Equal(0f, DecayingState.FloorInsideSquareRoot(MathF.BitDecrement(sumEpsilon)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(45)] // two 512-bit vectors, one 256-bit vector and a scalar tail
    public void Flush_ZeroesOnlySubnormals(int length)
    {
        float[] special = [float.NaN, 0f, -0f, SmallestNormal, -SmallestNormal, LargestSubnormal, -LargestSubnormal, float.Epsilon, 1f, -3e38f, float.PositiveInfinity];
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = special[(i * 7) % special.Length];
        }

        var flushed = (float[])values.Clone();
        DecayingState.Flush(flushed, SmallestNormal);

        for (int i = 0; i < length; i++)
        {
            float expected = float.IsSubnormal(values[i]) ? MathF.CopySign(0f, values[i]) : values[i];
            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(flushed[i]) || (float.IsNaN(expected) && float.IsNaN(flushed[i])),
                $"value[{i}] = {values[i]:E3} flushed to {flushed[i]:E3}, expected {expected:E3}");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(33)]
    [InlineData(1000)]
    public void AverageSquares_MatchesTensorPrimitivesPasses(int length)
    {
        var random = new Random(length);
        var average = new float[length];
        var x = new float[length];
        for (int i = 0; i < length; i++)
        {
            // Every fourth average is subnormal and every fifth x is 0, so some results are flushed.
            average[i] = i % 4 == 0 ? float.Epsilon * random.Next(1, 1000) : random.NextSingle();
            x[i] = i % 5 == 0 ? 0f : (random.NextSingle() * 2) - 1;
        }

        var expected = (float[])average.Clone();
        var work = new float[length];
        TensorPrimitives.Multiply(expected, 0.9f, expected);
        TensorPrimitives.Multiply(x, 0.1f, work);
        TensorPrimitives.MultiplyAdd(work, x, expected, expected);

        DecayingState.AverageSquares(average, x, 0.9f, 0.1f, SmallestNormal);

        for (int i = 0; i < length; i++)
        {
            float flushed = float.IsSubnormal(expected[i]) ? MathF.CopySign(0f, expected[i]) : expected[i];
            Assert.True(BitConverter.SingleToInt32Bits(flushed) == BitConverter.SingleToInt32Bits(average[i]), $"v[{i}] = {average[i]:R}, expected {flushed:R}");
        }
    }

    [Theory]
    [InlineData(false, 0.1f)]
    [InlineData(true, 0f)] // Nesterov requires zero dampening
    public void Sgd_DecayedMomentumFlushesToZero(bool nesterov, float dampening)
    {
        const float LearningRate = 0.01f, Momentum = 0.9f;
        float[][] gradients = DeadGradients(MathF.Pow(2, -100));
        var optimizer = new Sgd(LearningRate, Momentum, dampening, nesterov);
        float weight = 1 - dampening;
        float[] parameters = InitialParameters(Length);
        float[] p = InitialParameters(Length);
        var b = new float[Length];
        for (int t = 0; t < Steps; t++)
        {
            optimizer.Step(parameters, gradients[t]);
            for (int i = 0; i < Length; i++)
            {
                float g = gradients[t][i];
                b[i] = t == 0 ? g : (g * weight) + (b[i] * Momentum);
                float direction = nesterov ? (b[i] * Momentum) + g : b[i];
                p[i] = (direction * -LearningRate) + p[i];
            }

            AssertFlushedState(b, optimizer.MomentumBuffer, "b", t);
        }

        AssertDeadStateZero(optimizer.MomentumBuffer, "b");
        AssertSameBits(p, parameters);
    }

    [Theory]
    [InlineData(0f, -50)] // v decays; b is unused
    [InlineData(0.8f, -90)] // v underflows to 0 at once, and b decays
    public void RmsProp_DecayedStateFlushesToZero(float momentum, int seedExponent)
    {
        const float LearningRate = 0.01f, Alpha = 0.9f, Epsilon = 1e-8f;
        float[][] gradients = DeadGradients(MathF.Pow(2, seedExponent));
        var optimizer = new RmsProp(LearningRate, Alpha, Epsilon, momentum: momentum);
        float[] parameters = InitialParameters(Length);
        float[] p = InitialParameters(Length);
        var v = new float[Length];
        var b = new float[Length];
        float weight = (float)(1.0 - Alpha);
        for (int t = 0; t < Steps; t++)
        {
            optimizer.Step(parameters, gradients[t]);
            for (int i = 0; i < Length; i++)
            {
                float g = gradients[t][i];
                v[i] = ((g * weight) * g) + (v[i] * Alpha);
                float scaled = g / (MathF.Sqrt(v[i]) + Epsilon);
                b[i] = (b[i] * momentum) + scaled;
                p[i] = ((momentum > 0 ? b[i] : scaled) * -LearningRate) + p[i];
            }

            AssertFlushedState(v, optimizer.SquareAverage, "v", t);
            if (momentum > 0)
            {
                AssertFlushedState(b, optimizer.MomentumBuffer, "b", t);
            }
        }

        AssertDeadStateZero(momentum > 0 ? optimizer.MomentumBuffer : optimizer.SquareAverage, momentum > 0 ? "b" : "v");
        AssertSameBits(p, parameters);
    }

    [Fact]
    public void RmsProp_ZeroEpsilon_KeepsSubnormalAverage()
    {
        // With ε = 0 a flushed v would turn a later g/√v into an infinite step, so v stays as in torch.
        var optimizer = new RmsProp(0.01f, alpha: 0.9f, epsilon: 0f);
        Run(optimizer, InitialParameters(Length), DeadGradients(MathF.Pow(2, -50)));

        Assert.True(float.IsSubnormal(optimizer.SquareAverage[Dead[0]]), $"v = {optimizer.SquareAverage[Dead[0]]:E3}, expected the subnormal value torch keeps");
    }

    [Fact]
    public void AdaDelta_DecayedAveragesFlushToZero()
    {
        const float LearningRate = 1f, Rho = 0.9f, Epsilon = 1e-6f;
        float[][] gradients = DeadGradients(MathF.Pow(2, -50));
        var optimizer = new AdaDelta(LearningRate, Rho, Epsilon);
        float[] parameters = InitialParameters(Length);
        float[] p = InitialParameters(Length);
        var v = new float[Length];
        var u = new float[Length];
        float weight = (float)(1.0 - Rho);
        for (int t = 0; t < Steps; t++)
        {
            optimizer.Step(parameters, gradients[t]);
            for (int i = 0; i < Length; i++)
            {
                float g = gradients[t][i];
                v[i] = ((g * weight) * g) + (v[i] * Rho);
                float delta = (MathF.Sqrt(u[i] + Epsilon) / MathF.Sqrt(v[i] + Epsilon)) * g;
                u[i] = ((delta * weight) * delta) + (u[i] * Rho);
                p[i] = (delta * -LearningRate) + p[i];
            }

            AssertFlushedState(v, optimizer.SquareAverage, "v", t);
            AssertFlushedState(u, optimizer.DeltaAverage, "u", t);
        }

        AssertDeadStateZero(optimizer.SquareAverage, "v");
        AssertDeadStateZero(optimizer.DeltaAverage, "u");
        AssertSameBits(p, parameters);
    }

    [Fact]
    public void AdaDelta_TinyEpsilon_KeepsSubnormalAverage()
    {
        // Below ε = 2⁻¹⁰² a subnormal v would change v + ε, so it stays as in torch.
        var optimizer = new AdaDelta(1f, rho: 0.9f, epsilon: 1e-32f);
        Run(optimizer, InitialParameters(Length), DeadGradients(MathF.Pow(2, -50)));

        Assert.True(float.IsSubnormal(optimizer.SquareAverage[Dead[0]]), $"v = {optimizer.SquareAverage[Dead[0]]:E3}, expected the subnormal value torch keeps");
    }

    /// <summary>
    /// Returns gradients in [−1, 1) for every parameter and step, except that the parameters in
    /// <see cref="Dead"/> get <paramref name="seed"/> on the first step and 0 after it.
    /// </summary>
    private static float[][] DeadGradients(float seed)
    {
        var random = new Random(11);
        var gradients = new float[Steps][];
        for (int t = 0; t < Steps; t++)
        {
            gradients[t] = new float[Length];
            for (int i = 0; i < Length; i++)
            {
                gradients[t][i] = (random.NextSingle() * 2) - 1;
            }

            foreach (int i in Dead)
            {
                gradients[t][i] = t == 0 ? seed : 0f;
            }
        }

        return gradients;
    }

    /// <summary>
    /// Asserts that the optimizer's state equals the unflushed reference where that is at least
    /// 2⁻¹²⁶ in magnitude, and is 0 where the reference is subnormal.
    /// </summary>
    private static void AssertFlushedState(float[] reference, ReadOnlySpan<float> actual, string name, int step)
    {
        for (int i = 0; i < reference.Length; i++)
        {
            float expected = float.IsSubnormal(reference[i]) ? 0f : reference[i];
            Assert.True(expected.Equals(actual[i]), $"{name}[{i}] = {actual[i]:R} after step {step + 1}, expected {expected:R} (unflushed {reference[i]:R})");
        }
    }

    /// <summary>Asserts that the state of every dead parameter is 0: its decay reached the subnormal range and was flushed.</summary>
    private static void AssertDeadStateZero(ReadOnlySpan<float> state, string name)
    {
        foreach (int i in Dead)
        {
            Assert.True(state[i] == 0f, $"{name}[{i}] = {state[i]:E3} after {Steps} steps of zero gradient, expected 0");
        }
    }

    private static void AssertSameBits(float[] expected, float[] actual)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(expected[i].Equals(actual[i]), $"p[{i}] = {actual[i]:R}, expected {expected[i]:R} from the unflushed formula");
        }
    }
}
