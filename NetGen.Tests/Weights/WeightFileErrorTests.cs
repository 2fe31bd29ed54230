using System;
using System.IO;
using System.Text;

namespace NetGen.Tests;

/// <summary>
/// Every way a load can fail: each test checks the exception type, that the message names the
/// file or the stream and the values involved, and that the parameters are unchanged.
/// </summary>
public sealed class WeightFileErrorTests : IDisposable
{
    private const string Architecture = "Input(4) Dense(3,Tanh) Dense(2,Identity) Loss(SoftmaxCrossEntropy)";
    private const int ParameterCount = 23;

    private readonly string _directory = Directory.CreateTempSubdirectory("netgen-weights-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Load_MissingFile_ThrowsFileNotFound()
    {
        string path = Path.Combine(_directory, "absent.ngw");
        FakeNetwork network = CreateNetwork();

        FileNotFoundException exception = AssertLoadFails<FileNotFoundException>(network, path);

        Assert.Equal(path, exception.FileName);
        Assert.Contains(path, exception.Message, StringComparison.Ordinal);
        Assert.Contains("WeightFile.Save", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingDirectory_ThrowsFileNotFound()
    {
        string path = Path.Combine(_directory, "absent", "model.ngw");

        FileNotFoundException exception = AssertLoadFails<FileNotFoundException>(CreateNetwork(), path);

        Assert.Contains(path, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadInfo_MissingFile_ThrowsFileNotFound()
    {
        string path = Path.Combine(_directory, "absent.ngw");

        FileNotFoundException exception = Assert.Throws<FileNotFoundException>(() => WeightFile.ReadInfo(path));

        Assert.Contains(path, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_Directory_ThrowsArgumentNamingIt()
    {
        ArgumentException exception = AssertLoadFails<ArgumentException>(CreateNetwork(), _directory);

        Assert.Equal("path", exception.ParamName);
        Assert.Contains($"'{_directory}' is a directory", exception.Message, StringComparison.Ordinal);
        Assert.Contains("is a directory", Assert.Throws<ArgumentException>(() => WeightFile.ReadInfo(_directory)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_BadMagic_ThrowsNotAWeightFile()
    {
        byte[] file = ValidFile();
        file[0] = (byte)'P';
        file[1] = (byte)'K';
        string path = HandWrittenWeightFile.WriteTo(_directory, "archive.zip", file);

        InvalidDataException exception = AssertLoadFails<InvalidDataException>(CreateNetwork(), path);

        Assert.Contains("not a NetGen weight file", exception.Message, StringComparison.Ordinal);
        Assert.Contains(path, exception.Message, StringComparison.Ordinal);
        Assert.Contains("504B5746", exception.Message, StringComparison.Ordinal);
        Assert.Contains("4E475746", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ShortTextFile_ThrowsNotWeightFile()
    {
        string path = HandWrittenWeightFile.WriteTo(_directory, "short.txt", "hi"u8.ToArray());

        InvalidDataException exception = AssertLoadFails<InvalidDataException>(CreateNetwork(), path);

        Assert.Contains("not a NetGen weight file", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_UnsupportedVersion_Throws()
    {
        byte[] file = HandWrittenWeightFile.Build(2, Encoding.UTF8.GetBytes(Architecture), ParameterCount, new float[ParameterCount]);
        string path = HandWrittenWeightFile.WriteTo(_directory, "future.ngw", file);

        InvalidDataException exception = AssertLoadFails<InvalidDataException>(CreateNetwork(), path);

        Assert.Contains(path, exception.Message, StringComparison.Ordinal);
        Assert.Contains("format version 2", exception.Message, StringComparison.Ordinal);
        Assert.Contains("only version 1", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ArchitectureMismatch_PrintsBothArchitectures()
    {
        const string otherArchitecture = "Input(4) Dense(3,Relu) Dense(2,Identity) Loss(SoftmaxCrossEntropy)";
        byte[] file = HandWrittenWeightFile.Build(otherArchitecture, new float[ParameterCount]);
        string path = HandWrittenWeightFile.WriteTo(_directory, "other.ngw", file);

        InvalidDataException exception = AssertLoadFails<InvalidDataException>(CreateNetwork(), path);

        Assert.Contains(path, exception.Message, StringComparison.Ordinal);
        Assert.Contains("different network declaration", exception.Message, StringComparison.Ordinal);
        Assert.Contains(otherArchitecture, exception.Message, StringComparison.Ordinal);
        Assert.Contains(Architecture, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_OtherNetwork_ReportsArchitectureMismatch()
    {
        WeightFile.Save(FakeNetwork.WithRandomParameters("Input(784) Dense(10,Identity)", 7850, seed: 5), Path.Combine(_directory, "mnist.ngw"));

        InvalidDataException exception = AssertLoadFails<InvalidDataException>(CreateNetwork(), Path.Combine(_directory, "mnist.ngw"));

        Assert.Contains("different network declaration", exception.Message, StringComparison.Ordinal);
        Assert.Contains("Input(784) Dense(10,Identity)", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ParameterCountMismatch_PrintsBothCounts()
    {
        byte[] file = HandWrittenWeightFile.Build(Architecture, new float[ParameterCount + 1]);
        string path = HandWrittenWeightFile.WriteTo(_directory, "more.ngw", file);

        InvalidDataException exception = AssertLoadFails<InvalidDataException>(CreateNetwork(), path);

        Assert.Contains(path, exception.Message, StringComparison.Ordinal);
        Assert.Contains($"contains {ParameterCount + 1} values", exception.Message, StringComparison.Ordinal);
        Assert.Contains($"has {ParameterCount}", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_EveryTruncation_ThrowsTruncated()
    {
        byte[] file = ValidFile();
        FakeNetwork network = CreateNetwork();
        for (int length = 0; length < file.Length; length++)
        {
            string path = HandWrittenWeightFile.WriteTo(_directory, $"cut-{length}.ngw", file[..length]);

            InvalidDataException exception = AssertLoadFails<InvalidDataException>(network, path);

            Assert.Contains("is truncated", exception.Message, StringComparison.Ordinal);
            Assert.Contains($"ends after {length} bytes", exception.Message, StringComparison.Ordinal);
            Assert.Contains(path, exception.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Load_TruncatedValues_StatesExpectedLength()
    {
        byte[] file = ValidFile();
        string path = HandWrittenWeightFile.WriteTo(_directory, "cut.ngw", file[..(file.Length - 40)]);

        InvalidDataException exception = AssertLoadFails<InvalidDataException>(CreateNetwork(), path);

        Assert.Contains($"total length of {file.Length} bytes", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(20, "architecture text")]
    [InlineData(-40, "parameter values")]
    [InlineData(-1, "checksum")]
    public void Load_ChangedByte_ThrowsCorrupt(int offset, string region)
    {
        byte[] file = ValidFile();
        int index = offset >= 0 ? offset : file.Length + offset;
        file[index] ^= 0x10;
        string path = HandWrittenWeightFile.WriteTo(_directory, "corrupt.ngw", file);

        InvalidDataException exception = AssertLoadFails<InvalidDataException>(CreateNetwork(), path);

        Assert.True(exception.Message.Contains("is corrupt", StringComparison.Ordinal), $"A change in the {region}: {exception.Message}");
        Assert.Contains("SHA-256", exception.Message, StringComparison.Ordinal);
        Assert.Contains(path, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_AnyChangedByte_FailsAndKeepsParameters()
    {
        byte[] valid = ValidFile();
        FakeNetwork network = CreateNetwork();
        for (int index = 0; index < valid.Length; index++)
        {
            byte[] file = (byte[])valid.Clone();
            file[index] ^= 0x01;

            AssertLoadFails<InvalidDataException>(network, new MemoryStream(file));
        }
    }

    [Fact]
    public void Load_TrailingBytes_Throws()
    {
        byte[] valid = ValidFile();
        string path = HandWrittenWeightFile.WriteTo(_directory, "appended.ngw", [.. valid, 1, 2, 3]);

        InvalidDataException exception = AssertLoadFails<InvalidDataException>(CreateNetwork(), path);

        Assert.Contains(path, exception.Message, StringComparison.Ordinal);
        Assert.Contains("3 extra bytes", exception.Message, StringComparison.Ordinal);
        Assert.Contains($"length of {valid.Length} bytes", exception.Message, StringComparison.Ordinal);
        Assert.Contains($"{valid.Length + 3} bytes long", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_StreamTrailingBytes_Throws()
    {
        byte[] valid = ValidFile();

        InvalidDataException exception = AssertLoadFails<InvalidDataException>(CreateNetwork(), new NonSeekableStream([.. valid, 0]));

        Assert.Contains("weight stream continues after its checksum", exception.Message, StringComparison.Ordinal);
        Assert.Contains($"length of {valid.Length} bytes", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NegativeParameterCount_ThrowsCorrupt()
    {
        byte[] file = HandWrittenWeightFile.Build(1, Encoding.UTF8.GetBytes(Architecture), -1, []);
        string path = HandWrittenWeightFile.WriteTo(_directory, "negative.ngw", file);

        InvalidDataException exception = AssertLoadFails<InvalidDataException>(CreateNetwork(), path);

        Assert.Contains("parameter count is -1", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(64 * 1024 + 1)]
    [InlineData(int.MaxValue)]
    public void Load_ArchitectureLengthOutOfRange_ThrowsCorrupt(int architectureLength)
    {
        byte[] file = HandWrittenWeightFile.Build(1, architectureLength, [], ParameterCount, new float[ParameterCount]);
        string path = HandWrittenWeightFile.WriteTo(_directory, "length.ngw", file);

        InvalidDataException exception = AssertLoadFails<InvalidDataException>(CreateNetwork(), path);

        Assert.Contains($"architecture length is {architectureLength} bytes", exception.Message, StringComparison.Ordinal);
        Assert.Contains("between 0 and 65536", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_HugeParameterCount_ThrowsTruncated()
    {
        byte[] file = HandWrittenWeightFile.Build(1, Encoding.UTF8.GetBytes(Architecture), long.MaxValue / 8, new float[ParameterCount]);
        string path = HandWrittenWeightFile.WriteTo(_directory, "huge.ngw", file);

        InvalidDataException exception = AssertLoadFails<InvalidDataException>(CreateNetwork(), path);

        Assert.Contains("is truncated", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_InvalidUtf8Architecture_Throws()
    {
        byte[] file = HandWrittenWeightFile.Build(1, [0x49, 0xFF, 0x6E], ParameterCount, new float[ParameterCount]);
        string path = HandWrittenWeightFile.WriteTo(_directory, "latin1.ngw", file);

        InvalidDataException exception = AssertLoadFails<InvalidDataException>(CreateNetwork(), path);

        Assert.Contains("not valid UTF-8", exception.Message, StringComparison.Ordinal);
        Assert.Contains("49FF6E", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_StreamError_NamesStream()
    {
        byte[] file = ValidFile();
        file[^1] ^= 0x01;

        InvalidDataException exception = AssertLoadFails<InvalidDataException>(CreateNetwork(), new MemoryStream(file));

        Assert.StartsWith("The weight stream is corrupt", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_InconsistentNetwork_ThrowsArgumentException()
    {
        string path = HandWrittenWeightFile.WriteTo(_directory, "model.ngw", ValidFile());
        var network = new FakeNetwork(Architecture, new float[ParameterCount], reportedParameterCount: ParameterCount + 2);

        ArgumentException exception = AssertLoadFails<ArgumentException>(network, path);

        Assert.Contains($"ParameterCount is {ParameterCount + 2}", exception.Message, StringComparison.Ordinal);
        Assert.Contains($"has {ParameterCount} values", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WriteOnlyStream_ThrowsArgumentException()
    {
        using var stream = new FileStream(Path.Combine(_directory, "w.ngw"), FileMode.Create, FileAccess.Write);

        Assert.Throws<ArgumentException>("stream", () => WeightFile.Load(CreateNetwork(), stream));
    }

    [Fact]
    public void Save_InconsistentNetwork_KeepsExistingFile()
    {
        byte[] existing = ValidFile();
        string path = HandWrittenWeightFile.WriteTo(_directory, "model.ngw", existing);
        var network = new FakeNetwork(Architecture, new float[ParameterCount], reportedParameterCount: 1);

        Assert.Throws<ArgumentException>("network", () => WeightFile.Save(network, path));

        Assert.Equal(existing, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(_directory));
    }

    [Fact]
    public void Save_ArchitectureTooLong_Throws()
    {
        string path = Path.Combine(_directory, "long.ngw");
        var network = new FakeNetwork(new string('x', 64 * 1024 + 1), [1.0f]);

        ArgumentException exception = Assert.Throws<ArgumentException>("network", () => WeightFile.Save(network, path));

        Assert.Contains("65537 bytes", exception.Message, StringComparison.Ordinal);
        Assert.Contains("at most 65536", exception.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_directory));
    }

    [Fact]
    public void Save_ArchitectureAtLimit_RoundTrips()
    {
        string architecture = new('x', 64 * 1024);
        string path = Path.Combine(_directory, "limit.ngw");

        WeightFile.Save(new FakeNetwork(architecture, [1.0f]), path);

        Assert.Equal(architecture, WeightFile.ReadInfo(path).Architecture);
    }

    [Fact]
    public void Save_LoneSurrogate_Throws()
    {
        var network = new FakeNetwork("Dense(1,Relu) \uD800", [1.0f]);

        Assert.Throws<ArgumentException>("network", () => WeightFile.Save(network, new MemoryStream()));
    }

    [Fact]
    public void Save_MissingDirectory_ThrowsDirectoryNotFound()
    {
        string directory = Path.Combine(_directory, "absent");

        DirectoryNotFoundException exception = Assert.Throws<DirectoryNotFoundException>(
            () => WeightFile.Save(CreateNetwork(), Path.Combine(directory, "model.ngw")));

        Assert.Contains(directory, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Save_Directory_ThrowsAndKeepsIt()
    {
        string target = Directory.CreateDirectory(Path.Combine(_directory, "models")).FullName;

        ArgumentException exception = Assert.Throws<ArgumentException>("path", () => WeightFile.Save(CreateNetwork(), target));

        Assert.Contains($"'{target}' because it is a directory", exception.Message, StringComparison.Ordinal);
        Assert.True(Directory.Exists(target));
    }

    [Fact]
    public void Save_LinkToDirectory_ThrowsAndKeepsLink()
    {
        string target = Directory.CreateDirectory(Path.Combine(_directory, "models")).FullName;
        string link = Path.Combine(_directory, "latest");
        Directory.CreateSymbolicLink(link, target);

        Assert.Throws<ArgumentException>("path", () => WeightFile.Save(CreateNetwork(), link));

        Assert.Equal(target, new DirectoryInfo(link).LinkTarget);
        Assert.Empty(Directory.GetFiles(_directory));
    }

    // Unix permissions; the tests run on Linux.
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Save_ReadOnlyFile_ThrowsAndKeepsIt()
    {
        string path = HandWrittenWeightFile.WriteTo(_directory, "locked.ngw", ValidFile());
        File.SetUnixFileMode(path, UnixFileMode.UserRead);

        UnauthorizedAccessException exception = Assert.Throws<UnauthorizedAccessException>(() => WeightFile.Save(CreateNetwork(), path));

        Assert.Contains($"the existing file '{path}' is read-only", exception.Message, StringComparison.Ordinal);
        Assert.Equal(ValidFile(), File.ReadAllBytes(path));
        Assert.Equal(UnixFileMode.UserRead, File.GetUnixFileMode(path));
    }

    [Fact]
    public void Save_ReadOnlyStream_ThrowsArgumentException()
    {
        using var stream = new MemoryStream([], writable: false);

        Assert.Throws<ArgumentException>("stream", () => WeightFile.Save(CreateNetwork(), stream));
    }

    private static FakeNetwork CreateNetwork() => FakeNetwork.WithRandomParameters(Architecture, ParameterCount, seed: 11);

    /// <summary>A valid file for <see cref="Architecture"/> whose values differ from those of <see cref="CreateNetwork"/>.</summary>
    private static byte[] ValidFile()
    {
        float[] values = new float[ParameterCount];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = i + 0.5f;
        }

        return HandWrittenWeightFile.Build(Architecture, values);
    }

    private static TException AssertLoadFails<TException>(FakeNetwork network, string path)
        where TException : Exception
    {
        float[] before = network.CopyParameters();
        TException exception = Assert.Throws<TException>(() => WeightFile.Load(network, path));
        WeightFileTests.AssertBitsEqual(before, network.Parameters);
        return exception;
    }

    private static TException AssertLoadFails<TException>(FakeNetwork network, Stream stream)
        where TException : Exception
    {
        float[] before = network.CopyParameters();
        TException exception = Assert.Throws<TException>(() => WeightFile.Load(network, stream));
        WeightFileTests.AssertBitsEqual(before, network.Parameters);
        return exception;
    }
}
