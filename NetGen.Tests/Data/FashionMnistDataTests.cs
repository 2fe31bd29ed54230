using System;
using System.IO;
using System.IO.Compression;
using System.Numerics.Tensors;
using NetGen.Data;

namespace NetGen.Tests.Data;

/// <summary>The vendored Fashion-MNIST files, loaded once for all tests in <see cref="FashionMnistDataTests"/>.</summary>
public sealed class FashionMnistFixture
{
    public FashionMnistFixture()
    {
        Directory = FashionMnist.FindDataDirectory()
            ?? throw new InvalidOperationException("The vendored data/fashion-mnist folder was not found above the test output folder.");
        (Train, Test) = FashionMnist.Load(Directory);
    }

    public string Directory { get; }

    public Dataset Train { get; }

    public Dataset Test { get; }
}

/// <summary>Facts about the real data set, published by Zalando Research, checked on the vendored copy.</summary>
public sealed class FashionMnistDataTests(FashionMnistFixture fixture) : IClassFixture<FashionMnistFixture>
{
    // value / 255 in float is the correctly rounded quotient, at most half an ulp (2^-25 below 1) from the exact value.
    private const double ScalingTolerance = 1e-7;

    /// <summary>Decompresses a file with the framework's gzip alone and drops the IDX header, without the reader under test.</summary>
    private static byte[] DecompressPayload(string path, int headerLength)
    {
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray().AsSpan(headerLength).ToArray();
    }

    [Fact]
    public void Load_HasPublishedSampleCounts()
    {
        Assert.Equal(60_000, fixture.Train.Count);
        Assert.Equal(10_000, fixture.Test.Count);
    }

    [Fact]
    public void Load_HasImageAndClassSizes()
    {
        foreach (Dataset dataset in new[] { fixture.Train, fixture.Test })
        {
            Assert.Equal(28 * 28, dataset.InputSize);
            Assert.Equal(10, dataset.TargetSize);
            Assert.True(dataset.HasLabels);
        }
    }

    [Fact]
    public void ReadImages_RealFilesAre28By28()
    {
        IdxImages images = IdxReader.ReadImages(Path.Combine(fixture.Directory, FashionMnist.TestImagesFileName));

        Assert.Equal(10_000, images.Count);
        Assert.Equal(28, images.Rows);
        Assert.Equal(28, images.Columns);
    }

    [Theory]
    [InlineData(true, 6_000)]
    [InlineData(false, 1_000)]
    public void Load_EachClassHasPublishedCount(bool training, int perClass)
    {
        Dataset dataset = training ? fixture.Train : fixture.Test;
        var counts = new int[10];
        for (int i = 0; i < dataset.Count; i++)
        {
            counts[dataset.Label(i)]++;
        }

        for (int c = 0; c < 10; c++)
        {
            Assert.Equal(perClass, counts[c]);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Load_TargetsAreOneHotOfLabels(bool training)
    {
        Dataset dataset = training ? fixture.Train : fixture.Test;
        for (int i = 0; i < dataset.Count; i++)
        {
            ReadOnlySpan<float> target = dataset.Target(i);
            int label = dataset.Label(i);
            for (int c = 0; c < 10; c++)
            {
                if (target[c] != (c == label ? 1f : 0f))
                {
                    Assert.Fail($"Sample {i} with label {label} has target[{c}] = {target[c]}.");
                }
            }
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Load_InputsLieInUnitInterval(bool training)
    {
        ReadOnlySpan<float> inputs = (training ? fixture.Train : fixture.Test).Inputs;

        float min = TensorPrimitives.Min(inputs);
        float max = TensorPrimitives.Max(inputs);

        // The images contain both pure black background and saturated white pixels.
        Assert.Equal(0f, min);
        Assert.Equal(1f, max);
    }

    [Theory]
    [InlineData(true, FashionMnist.TrainImagesFileName, FashionMnist.TrainLabelsFileName)]
    [InlineData(false, FashionMnist.TestImagesFileName, FashionMnist.TestLabelsFileName)]
    public void Load_MatchesIndependentlyDecodedFiles(bool training, string imagesFileName, string labelsFileName)
    {
        Dataset dataset = training ? fixture.Train : fixture.Test;
        byte[] pixels = DecompressPayload(Path.Combine(fixture.Directory, imagesFileName), headerLength: 16);
        byte[] labels = DecompressPayload(Path.Combine(fixture.Directory, labelsFileName), headerLength: 8);

        Assert.Equal(pixels.Length, dataset.Inputs.Length);
        Assert.Equal(labels.Length, dataset.Count);
        ReadOnlySpan<float> inputs = dataset.Inputs;
        for (int i = 0; i < pixels.Length; i++)
        {
            if (Math.Abs(inputs[i] - (pixels[i] / 255.0)) > ScalingTolerance)
            {
                Assert.Fail($"Input {i} is {inputs[i]}, but pixel {pixels[i]} / 255 is {pixels[i] / 255.0}.");
            }
        }

        for (int i = 0; i < labels.Length; i++)
        {
            Assert.Equal(labels[i], dataset.Label(i));
        }
    }

    [Fact]
    public void Load_FirstSamplesAreAnkleBoots()
    {
        // The first training image and the first test image of Fashion-MNIST both show an ankle boot.
        Assert.Equal(9, fixture.Train.Label(0));
        Assert.Equal(9, fixture.Test.Label(0));
        Assert.Equal("Ankle boot", FashionMnist.ClassNames[9]);
    }
}
