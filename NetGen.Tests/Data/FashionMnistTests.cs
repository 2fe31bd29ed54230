using System;
using System.IO;
using System.Security.Cryptography;
using NetGen.Data;

namespace NetGen.Tests.Data;

/// <summary>Loading rules checked on small synthetic files in the Fashion-MNIST layout.</summary>
public sealed class FashionMnistTests : IDisposable
{
    // value / 255 in float is the correctly rounded quotient, at most half an ulp (2^-25 below 1) from the exact value.
    private const double ScalingTolerance = 1e-7;

    private const int Side = 28;

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>Writes the four files with synthetic contents, gzip-compressed, and returns the folder.</summary>
    private string WriteFiles(int trainCount, byte[] trainLabels, int testCount, byte[] testLabels, int rows = Side, int columns = Side)
    {
        _temp.Write(FashionMnist.TrainImagesFileName, IdxTestFiles.Gzip(IdxTestFiles.Images(trainCount, rows, columns, IdxTestFiles.Pixels(trainCount, rows, columns))));
        _temp.Write(FashionMnist.TrainLabelsFileName, IdxTestFiles.Gzip(IdxTestFiles.Labels(trainLabels)));
        _temp.Write(FashionMnist.TestImagesFileName, IdxTestFiles.Gzip(IdxTestFiles.Images(testCount, rows, columns, IdxTestFiles.Pixels(testCount, rows, columns))));
        _temp.Write(FashionMnist.TestLabelsFileName, IdxTestFiles.Gzip(IdxTestFiles.Labels(testLabels)));
        return _temp.Path;
    }

    [Fact]
    public void ClassNames_FollowLabelOrder()
    {
        string[] expected = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

        Assert.Equal(expected, FashionMnist.ClassNames);
        Assert.Equal(FashionMnist.ClassCount, FashionMnist.ClassNames.Length);
    }

    [Fact]
    public void Load_ScalesPixelsAndBuildsOneHotTargets()
    {
        byte[] trainLabels = [9, 0, 4];
        byte[] testLabels = [5, 5];
        string directory = WriteFiles(3, trainLabels, 2, testLabels);

        (Dataset train, Dataset test) = FashionMnist.Load(directory, verifyChecksums: false);

        foreach ((Dataset dataset, byte[] labels) in new[] { (train, trainLabels), (test, testLabels) })
        {
            Assert.Equal(labels.Length, dataset.Count);
            Assert.Equal(Side * Side, dataset.InputSize);
            Assert.Equal(10, dataset.TargetSize);
            for (int sample = 0; sample < dataset.Count; sample++)
            {
                ReadOnlySpan<float> input = dataset.Input(sample);
                for (int row = 0; row < Side; row++)
                {
                    for (int column = 0; column < Side; column++)
                    {
                        double expected = IdxTestFiles.Pixel(sample, row, column) / 255.0;
                        Assert.Equal(expected, input[(row * Side) + column], ScalingTolerance);
                    }
                }

                Assert.Equal(labels[sample], dataset.Label(sample));
                for (int c = 0; c < 10; c++)
                {
                    Assert.Equal(c == labels[sample] ? 1f : 0f, dataset.Target(sample)[c]);
                }
            }
        }
    }

    [Fact]
    public void Load_ImageAndLabelCountMismatchIsRejected()
    {
        string directory = WriteFiles(3, [1, 2], 2, [0, 0]);

        InvalidDataException exception = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(directory, verifyChecksums: false));

        Assert.Contains(FashionMnist.TrainImagesFileName, exception.Message, StringComparison.Ordinal);
        Assert.Contains(FashionMnist.TrainLabelsFileName, exception.Message, StringComparison.Ordinal);
        Assert.Contains("3 images", exception.Message, StringComparison.Ordinal);
        Assert.Contains("2 labels", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WrongImageSizeIsRejected()
    {
        string directory = WriteFiles(2, [1, 2], 1, [0], rows: 27, columns: 28);

        InvalidDataException exception = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(directory, verifyChecksums: false));

        Assert.Contains(FashionMnist.TrainImagesFileName, exception.Message, StringComparison.Ordinal);
        Assert.Contains("27 × 28", exception.Message, StringComparison.Ordinal);
        Assert.Contains("28 × 28", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_LabelOutsideClassesIsRejected()
    {
        string directory = WriteFiles(2, [1, 2], 2, [0, 10]);

        InvalidDataException exception = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(directory, verifyChecksums: false));

        Assert.Contains(FashionMnist.TestLabelsFileName, exception.Message, StringComparison.Ordinal);
        Assert.Contains("sample 1 the label 10", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_SyntheticFilesFailChecksum()
    {
        string directory = WriteFiles(1, [1], 1, [1]);

        InvalidDataException exception = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(directory));

        Assert.Contains(FashionMnist.TrainImagesFileName, exception.Message, StringComparison.Ordinal);
        Assert.Contains("SHA-256", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingFileNamesPath()
    {
        string directory = WriteFiles(1, [1], 1, [1]);
        string missing = Path.Combine(directory, FashionMnist.TestLabelsFileName);
        File.Delete(missing);

        FileNotFoundException exception = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(directory));

        Assert.Equal(missing, exception.FileName);
        Assert.Contains(missing, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingDirectoryNamesPath()
    {
        string directory = Path.Combine(_temp.Path, "absent");

        DirectoryNotFoundException exception = Assert.Throws<DirectoryNotFoundException>(() => FashionMnist.Load(directory));

        Assert.Contains(directory, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_FileInsteadOfDirectory_SaysSo()
    {
        string file = Path.Combine(_temp.Path, "notadir");
        File.WriteAllText(file, "x");

        DirectoryNotFoundException exception = Assert.Throws<DirectoryNotFoundException>(() => FashionMnist.Load(file));

        Assert.Contains($"'{file}' is a file, not a folder", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ModifiedOriginalFailsChecksum()
    {
        string source = FashionMnist.FindDataDirectory()
            ?? throw new InvalidOperationException("The vendored data/fashion-mnist folder was not found.");
        foreach (string path in Directory.GetFiles(source, "*.gz"))
        {
            File.Copy(path, Path.Combine(_temp.Path, Path.GetFileName(path)));
        }

        string damaged = Path.Combine(_temp.Path, FashionMnist.TestLabelsFileName);
        byte[] contents = File.ReadAllBytes(damaged);
        contents[contents.Length / 2] ^= 0x40;
        File.WriteAllBytes(damaged, contents);
        string actualSha256 = Convert.ToHexString(SHA256.HashData(contents)).ToLowerInvariant();

        InvalidDataException exception = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(_temp.Path));

        Assert.Contains(damaged, exception.Message, StringComparison.Ordinal);
        Assert.Contains("8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05", exception.Message, StringComparison.Ordinal);
        Assert.Contains(actualSha256, exception.Message, StringComparison.Ordinal);
        Assert.Contains("corrupt or not the original", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FindDataDirectory_FindsVendoredCopy()
    {
        string? directory = FashionMnist.FindDataDirectory();

        Assert.NotNull(directory);
        Assert.True(File.Exists(Path.Combine(directory, FashionMnist.TrainImagesFileName)));
        Assert.True(File.Exists(Path.Combine(directory, FashionMnist.TestLabelsFileName)));
        Assert.True(File.Exists(Path.Combine(directory, "LICENSE")));
    }
}
