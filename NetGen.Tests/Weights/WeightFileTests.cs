using System;
using System.Buffers.Binary;
using System.IO;
using System.Linq;
using System.Text;

namespace NetGen.Tests;

public sealed class WeightFileTests : IDisposable
{
    private const string Architecture = "Input(3) Dense(2,Relu) Dense(1,Identity) Loss(MeanSquaredError)";

    private readonly string _directory = Directory.CreateTempSubdirectory("netgen-weights-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>
    /// Values that a float conversion or a careless copy would change: NaN payloads (quiet,
    /// signalling, negative), infinities, both zeros, subnormals and the extremes.
    /// </summary>
    internal static readonly float[] SpecialValues =
    [
        BitConverter.Int32BitsToSingle(0x7FC00001),
        BitConverter.Int32BitsToSingle(0x7FFFFFFF),
        BitConverter.Int32BitsToSingle(unchecked((int)0xFFC12345)),
        BitConverter.Int32BitsToSingle(0x7F800001),
        BitConverter.Int32BitsToSingle(unchecked((int)0xFF800001)),
        float.PositiveInfinity,
        float.NegativeInfinity,
        0.0f,
        -0.0f,
        BitConverter.Int32BitsToSingle(0x00000001),
        BitConverter.Int32BitsToSingle(0x007FFFFF),
        BitConverter.Int32BitsToSingle(unchecked((int)0x80000001)),
        float.MaxValue,
        float.MinValue,
        1.0f,
    ];

    [Fact]
    public void RoundTrip_RestoresBitIdenticalValues()
    {
        // More than two conversion chunks, with a partial last chunk.
        int count = 2 * WeightFileFormat.ChunkFloats + 5;
        FakeNetwork saved = FakeNetwork.WithRandomParameters(Architecture, count, seed: 1);
        SpecialValues.CopyTo(saved.Parameters);
        SpecialValues.CopyTo(saved.Parameters[^SpecialValues.Length..]);
        string path = Path.Combine(_directory, "model.ngw");

        WeightFile.Save(saved, path);
        FakeNetwork loaded = FakeNetwork.WithRandomParameters(Architecture, count, seed: 2);
        WeightFile.Load(loaded, path);

        AssertBitsEqual(saved.Parameters, loaded.Parameters);
    }

    [Fact]
    public void RoundTrip_Stream_RestoresExactBits()
    {
        var saved = new FakeNetwork(Architecture, (float[])SpecialValues.Clone());
        using var stream = new MemoryStream();

        WeightFile.Save(saved, stream);
        stream.Position = 0;
        var loaded = new FakeNetwork(Architecture, new float[SpecialValues.Length]);
        WeightFile.Load(loaded, stream);

        AssertBitsEqual(SpecialValues, loaded.Parameters);
    }

    [Fact]
    public void RoundTrip_EmptyParameters_Succeeds()
    {
        var saved = new FakeNetwork("Input(0)", []);
        string path = Path.Combine(_directory, "empty.ngw");

        WeightFile.Save(saved, path);
        WeightFile.Load(new FakeNetwork("Input(0)", []), path);

        Assert.Equal(52 + "Input(0)".Length, new FileInfo(path).Length);
    }

    [Fact]
    public void Save_WritesDocumentedLayout()
    {
        float[] values = [1.5f, -2.25f, .. SpecialValues];
        byte[] expected = HandWrittenWeightFile.Build(Architecture, values);
        using var stream = new MemoryStream();

        WeightFile.Save(new FakeNetwork(Architecture, values), stream);

        Assert.Equal(expected, stream.ToArray());
    }

    [Fact]
    public void Save_FileStartsWithDocumentedHeaderBytes()
    {
        var network = new FakeNetwork("AB", [1.0f]);
        using var stream = new MemoryStream();

        WeightFile.Save(network, stream);

        byte[] expectedStart =
        [
            0x4E, 0x47, 0x57, 0x46,                         // "NGWF"
            0x01, 0x00, 0x00, 0x00,                         // version 1
            0x02, 0x00, 0x00, 0x00,                         // architecture length 2
            0x41, 0x42,                                     // "AB"
            0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // 1 parameter
            0x00, 0x00, 0x80, 0x3F,                         // 1.0f
        ];
        byte[] file = stream.ToArray();
        Assert.Equal(expectedStart.Length + 32, file.Length);
        Assert.Equal(expectedStart, file[..expectedStart.Length]);
    }

    [Fact]
    public void Load_ReadsHandWrittenFile()
    {
        float[] values = [0.5f, -3.0f, .. SpecialValues];
        string path = HandWrittenWeightFile.WriteTo(_directory, "by-hand.ngw", HandWrittenWeightFile.Build(Architecture, values));
        var network = new FakeNetwork(Architecture, new float[values.Length]);

        WeightFile.Load(network, path);

        AssertBitsEqual(values, network.Parameters);
    }

    [Fact]
    public void Load_ReadsNonAsciiArchitecture()
    {
        const string architecture = "Input(2) Dense(1,Identity) // Gewichte für Übung";
        float[] values = [7.0f, 8.0f, 9.0f];
        string path = HandWrittenWeightFile.WriteTo(_directory, "unicode.ngw", HandWrittenWeightFile.Build(architecture, values));
        var network = new FakeNetwork(architecture, new float[values.Length]);

        WeightFile.Load(network, path);

        AssertBitsEqual(values, network.Parameters);
    }

    [Fact]
    public void Load_FromStreamAtOffset_ReadsToEnd()
    {
        float[] values = [4.0f, 5.0f];
        byte[] file = HandWrittenWeightFile.Build(Architecture, values);
        using var stream = new MemoryStream([0xAA, 0xBB, .. file]);
        stream.Position = 2;
        var network = new FakeNetwork(Architecture, new float[values.Length]);

        WeightFile.Load(network, stream);

        AssertBitsEqual(values, network.Parameters);
        Assert.Equal(stream.Length, stream.Position);
    }

    [Fact]
    public void Load_FromNonSeekableStream_Succeeds()
    {
        float[] values = [4.0f, 5.0f, 6.0f];
        using var stream = new NonSeekableStream(HandWrittenWeightFile.Build(Architecture, values));
        var network = new FakeNetwork(Architecture, new float[values.Length]);

        WeightFile.Load(network, stream);

        AssertBitsEqual(values, network.Parameters);
    }

    [Fact]
    public void Save_OverExistingFile_ReplacesIt()
    {
        string path = Path.Combine(_directory, "model.ngw");
        File.WriteAllBytes(path, new byte[10_000]);
        float[] values = [1.0f, 2.0f, 3.0f];

        WeightFile.Save(new FakeNetwork(Architecture, values), path);

        Assert.Equal(HandWrittenWeightFile.Build(Architecture, values), File.ReadAllBytes(path));
        Assert.Equal(["model.ngw"], Directory.GetFiles(_directory).Select(Path.GetFileName));
    }

    [Fact]
    public void Save_TwiceToSamePath_KeepsSecondNetwork()
    {
        string path = Path.Combine(_directory, "model.ngw");
        WeightFile.Save(new FakeNetwork(Architecture, [1.0f, 2.0f]), path);
        WeightFile.Save(new FakeNetwork(Architecture, [3.0f, 4.0f]), path);

        var network = new FakeNetwork(Architecture, new float[2]);
        WeightFile.Load(network, path);

        AssertBitsEqual([3.0f, 4.0f], network.Parameters);
    }

    [Fact]
    public void Save_ThroughLink_ReplacesTargetAndKeepsLink()
    {
        string target = Path.Combine(_directory, "v2.ngw");
        string link = Path.Combine(_directory, "latest.ngw");
        WeightFile.Save(new FakeNetwork(Architecture, [1.0f, 2.0f]), target);
        File.CreateSymbolicLink(link, target);

        WeightFile.Save(new FakeNetwork(Architecture, [3.0f, 4.0f]), link);

        Assert.Equal(target, new FileInfo(link).LinkTarget);
        var network = new FakeNetwork(Architecture, new float[2]);
        WeightFile.Load(network, target);
        Assert.Equal([3.0f, 4.0f], network.Parameters.ToArray());
    }

    [Fact]
    public void Save_ThroughDanglingLink_CreatesTarget()
    {
        string target = Path.Combine(_directory, "first.ngw");
        string link = Path.Combine(_directory, "latest.ngw");
        File.CreateSymbolicLink(link, target);

        WeightFile.Save(new FakeNetwork(Architecture, [5.0f]), link);

        Assert.True(File.Exists(target));
        Assert.Equal(target, new FileInfo(link).LinkTarget);
    }

    // Unix permissions; the tests run on Linux.
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Save_OverExistingFile_KeepsItsPermissions()
    {
        string path = Path.Combine(_directory, "private.ngw");
        WeightFile.Save(new FakeNetwork(Architecture, [1.0f]), path);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        WeightFile.Save(new FakeNetwork(Architecture, [2.0f]), path);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public void Save_RelativePath_WritesIntoCurrentDirectory()
    {
        string previous = Environment.CurrentDirectory;
        try
        {
            Environment.CurrentDirectory = _directory;
            WeightFile.Save(new FakeNetwork(Architecture, [1.0f]), "relative.ngw");
        }
        finally
        {
            Environment.CurrentDirectory = previous;
        }

        Assert.True(File.Exists(Path.Combine(_directory, "relative.ngw")));
    }

    [Fact]
    public void ReadInfo_ReturnsHeaderFields()
    {
        string path = Path.Combine(_directory, "model.ngw");
        WeightFile.Save(FakeNetwork.WithRandomParameters(Architecture, 17, seed: 3), path);

        WeightFileInfo info = WeightFile.ReadInfo(path);

        Assert.Equal(Architecture, info.Architecture);
        Assert.Equal(17, info.ParameterCount);
        Assert.Equal(1, info.FormatVersion);
    }

    [Fact]
    public void ReadInfo_ReadsHandWrittenFile()
    {
        byte[] file = HandWrittenWeightFile.Build("Input(1)", [1.0f, 2.0f, 3.0f, 4.0f]);
        using var stream = new MemoryStream(file);

        WeightFileInfo info = WeightFile.ReadInfo(stream);

        Assert.Equal("Input(1)", info.Architecture);
        Assert.Equal(4, info.ParameterCount);
        Assert.Equal(1, info.FormatVersion);
        Assert.Equal("NetGen weight file v1: 4 values, architecture 'Input(1)'", info.ToString());
    }

    [Fact]
    public void ReadInfo_CorruptFile_Throws()
    {
        byte[] file = HandWrittenWeightFile.Build(Architecture, [1.0f, 2.0f]);
        file[^40] ^= 0x01;
        string path = HandWrittenWeightFile.WriteTo(_directory, "corrupt.ngw", file);

        InvalidDataException exception = Assert.Throws<InvalidDataException>(() => WeightFile.ReadInfo(path));

        Assert.Contains("corrupt", exception.Message, StringComparison.Ordinal);
        Assert.Contains(path, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LittleEndianConversion_MatchesHandEncodedBytes()
    {
        // The per-element path runs on big-endian hosts only, so this test checks it directly.
        float[] values = [1.0f, -2.0f, .. SpecialValues];
        byte[] expected = HandWrittenWeightFile.Build("", values)[20..^32];
        byte[] written = new byte[values.Length * sizeof(float)];

        WeightFileFormat.WriteLittleEndian(values, written);
        float[] read = new float[values.Length];
        WeightFileFormat.ReadLittleEndian(expected, read);

        Assert.Equal(expected, written);
        AssertBitsEqual(values, read);
    }

    [Fact]
    public void WeightFileFormat_FileLengthMatchesLayout()
    {
        Assert.Equal(52 + 10 + 4 * 7, WeightFileFormat.FileLength(10, 7));
        Assert.Equal(long.MaxValue, WeightFileFormat.FileLength(10, long.MaxValue / 2));
    }

    [Fact]
    public void Save_ArchitectureTextIsUtf8()
    {
        const string architecture = "Dense(2,Relu) µ";
        using var stream = new MemoryStream();

        WeightFile.Save(new FakeNetwork(architecture, []), stream);

        byte[] encoded = Encoding.UTF8.GetBytes(architecture);
        Assert.Equal(encoded.Length, BinaryPrimitives.ReadInt32LittleEndian(stream.ToArray().AsSpan(8)));
        Assert.Equal(encoded, stream.ToArray()[12..(12 + encoded.Length)]);
    }

    internal static void AssertBitsEqual(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            int expectedBits = BitConverter.SingleToInt32Bits(expected[i]);
            int actualBits = BitConverter.SingleToInt32Bits(actual[i]);
            if (expectedBits != actualBits)
            {
                Assert.Fail($"Parameter {i}: expected bits 0x{expectedBits:X8}, actual 0x{actualBits:X8}.");
            }
        }
    }
}
