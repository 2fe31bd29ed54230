using System;
using System.Collections.Generic;
using System.Linq;

namespace NetGen.Tests.Training;

public class SampleOrderTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(17)]
    [InlineData(1000)]
    public void Shuffle_IsPermutation(int length)
    {
        var order = new int[length];
        for (int epoch = 0; epoch < 5; epoch++)
        {
            SampleOrder.Shuffle(order, seed: 42, epoch);

            int[] sorted = order.Order().ToArray();
            Assert.Equal(Enumerable.Range(0, length), sorted);
        }
    }

    [Fact]
    public void Shuffle_SameSeedAndEpochGiveSameOrder()
    {
        var first = new int[100];
        var second = new int[100];

        SampleOrder.Shuffle(first, seed: 7, epoch: 3);
        SampleOrder.Shuffle(second, seed: 7, epoch: 3);

        Assert.Equal(first, second);
    }

    [Fact]
    public void Shuffle_DiffersBetweenEpochsAndSeeds()
    {
        var reference = new int[100];
        var otherEpoch = new int[100];
        var otherSeed = new int[100];

        SampleOrder.Shuffle(reference, seed: 7, epoch: 3);
        SampleOrder.Shuffle(otherEpoch, seed: 7, epoch: 4);
        SampleOrder.Shuffle(otherSeed, seed: 8, epoch: 3);

        Assert.NotEqual(reference, otherEpoch);
        Assert.NotEqual(reference, otherSeed);
        Assert.NotEqual(Enumerable.Range(0, 100), reference);
    }

    [Fact]
    public void Shuffle_AllOrdersOfThreeEquallyLikely()
    {
        // Each of the 3! = 6 orders has probability 1/6. Over 6000 epochs the count of one order
        // is binomial with mean 1000 and standard deviation √(6000·(1/6)·(5/6)) ≈ 28.9. Five
        // standard deviations allow for chance but catch a biased shuffle, such as Sattolo's
        // variant that never yields the identity.
        const int Draws = 6000;
        const double Expected = Draws / 6.0;
        const double Tolerance = 5 * 28.9;

        var counts = new Dictionary<string, int>();
        var order = new int[3];
        for (int epoch = 0; epoch < Draws; epoch++)
        {
            SampleOrder.Shuffle(order, seed: 1, epoch);
            string key = string.Join(",", order);
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }

        Assert.Equal(6, counts.Count);
        foreach ((string key, int count) in counts)
        {
            Assert.True(Math.Abs(count - Expected) <= Tolerance, $"Order {key} occurred {count} times; expected {Expected} ± {Tolerance}.");
        }
    }
}
