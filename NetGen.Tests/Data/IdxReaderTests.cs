using System;
using System.IO;
using NetGen.Data;

namespace NetGen.Tests.Data;

public sealed class IdxReaderTests : IDisposable
{
    private const int ImageCount = 5;
    private const int Rows = 3;
    private const int Columns = 4;

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static byte[] ValidImages() =>
        IdxTestFiles.Images(ImageCount, Rows, Columns, IdxTestFiles.Pixels(ImageCount, Rows, Columns));

    private static void AssertKnownPixels(IdxImages images)
    {
        Assert.Equal(ImageCount, images.Count);
        Assert.Equal(Rows, images.Rows);
        Assert.Equal(Columns, images.Columns);
        Assert.Equal(ImageCount * Rows * Columns, images.Pixels.Length);
        for (int image = 0; image < ImageCount; image++)
        {
            ReadOnlySpan<byte> pixels = images.Image(image);
            for (int row = 0; row < Rows; row++)
            {
                for (int column = 0; column < Columns; column++)
                {
                    Assert.Equal(IdxTestFiles.Pixel(image, row, column), pixels[(row * Columns) + column]);
                }
            }
        }
    }

    private static InvalidDataException AssertInvalid(string path, Func<object> read)
    {
        InvalidDataException exception = Assert.Throws<InvalidDataException>(read);
        Assert.Contains(path, exception.Message, StringComparison.Ordinal);
        return exception;
    }

    [Fact]
    public void ReadImages_RawFileRoundTrips()
    {
        string path = _temp.Write("images.idx", ValidImages());

        AssertKnownPixels(IdxReader.ReadImages(path));
    }

    [Fact]
    public void ReadImages_GzipFileRoundTrips()
    {
        string path = _temp.Write("images.idx.gz", IdxTestFiles.Gzip(ValidImages()));

        AssertKnownPixels(IdxReader.ReadImages(path));
    }

    [Fact]
    public void ReadImages_DetectsFormatByContentNotName()
    {
        string gzipNamedRaw = _temp.Write("gzip.idx", IdxTestFiles.Gzip(ValidImages()));
        string rawNamedGzip = _temp.Write("raw.gz", ValidImages());

        AssertKnownPixels(IdxReader.ReadImages(gzipNamedRaw));
        AssertKnownPixels(IdxReader.ReadImages(rawNamedGzip));
    }

    [Fact]
    public void ReadLabels_RawAndGzipRoundTrip()
    {
        byte[] labels = [0, 9, 3, 255, 7, 1];
        string raw = _temp.Write("labels.idx", IdxTestFiles.Labels(labels));
        string gzip = _temp.Write("labels.idx.gz", IdxTestFiles.Gzip(IdxTestFiles.Labels(labels)));

        Assert.Equal(labels, IdxReader.ReadLabels(raw));
        Assert.Equal(labels, IdxReader.ReadLabels(gzip));
    }

    [Fact]
    public void ReadImages_UnseekableStreamsRoundTrip()
    {
        AssertKnownPixels(IdxReader.ReadImages(new UnseekableStream(ValidImages())));
        AssertKnownPixels(IdxReader.ReadImages(new UnseekableStream(IdxTestFiles.Gzip(ValidImages()))));
    }

    [Fact]
    public void ReadImages_StreamStartsAtItsPosition()
    {
        byte[] gzip = IdxTestFiles.Gzip(ValidImages());
        byte[] prefixed = new byte[7 + gzip.Length];
        gzip.CopyTo(prefixed, 7);
        using var stream = new MemoryStream(prefixed);
        stream.Position = 7;

        AssertKnownPixels(IdxReader.ReadImages(stream));
        Assert.True(stream.CanRead, "The reader must leave the caller's stream open.");
    }

    [Fact]
    public void ReadImages_LargePayloadGrowsBuffer()
    {
        // 25,000,000 bytes from an unseekable stream: more than the reader's first 16 MiB buffer, so it must grow it.
        const int Side = 5000;
        byte[] pixels = new byte[Side * Side];
        new Random(11).NextBytes(pixels);

        IdxImages images = IdxReader.ReadImages(new UnseekableStream(IdxTestFiles.Images(1, Side, Side, pixels)));

        Assert.Equal(Side, images.Rows);
        Assert.Equal(Side, images.Columns);
        Assert.True(images.Pixels.SequenceEqual(pixels));
    }

    [Fact]
    public void ReadImages_WrongMagicIsRejected()
    {
        byte[] file = ValidImages();
        file[0] = 0x89;
        file[1] = 0x50;
        string path = _temp.Write("images.idx", file);

        InvalidDataException exception = AssertInvalid(path, () => IdxReader.ReadImages(path));

        Assert.Contains("00 00 08 03", exception.Message, StringComparison.Ordinal);
        Assert.Contains("89 50 08 03", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadImages_WrongTypeCodeIsRejected()
    {
        byte[] floats = new byte[ImageCount * Rows * Columns * 4];
        string path = _temp.Write("images.idx", IdxTestFiles.Build(0x0D, [ImageCount, Rows, Columns], floats));

        InvalidDataException exception = AssertInvalid(path, () => IdxReader.ReadImages(path));

        Assert.Contains("0x0D", exception.Message, StringComparison.Ordinal);
        Assert.Contains("0x08", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadImages_LabelFileIsRejected()
    {
        string path = _temp.Write("labels.idx", IdxTestFiles.Labels([1, 2, 3]));

        InvalidDataException exception = AssertInvalid(path, () => IdxReader.ReadImages(path));

        Assert.Contains("dimension count of 1", exception.Message, StringComparison.Ordinal);
        Assert.Contains("need a dimension count of 3", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadLabels_ImageFileIsRejected()
    {
        string path = _temp.Write("images.idx", ValidImages());

        InvalidDataException exception = AssertInvalid(path, () => IdxReader.ReadLabels(path));

        Assert.Contains("dimension count of 3", exception.Message, StringComparison.Ordinal);
        Assert.Contains("need a dimension count of 1", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(0x8000_0000u)]
    [InlineData(uint.MaxValue)]
    public void ReadImages_InvalidDimensionSizeIsRejected(uint size)
    {
        string path = _temp.Write("images.idx", IdxTestFiles.Build(0x08, [ImageCount, size, Columns], new byte[16]));

        InvalidDataException exception = AssertInvalid(path, () => IdxReader.ReadImages(path));

        Assert.Contains($"size {size}", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadImages_SizesBeyondArrayLimitAreRejected()
    {
        // 2^31 − 1 squared overflows int and passes Array.MaxLength long before any payload is read.
        string path = _temp.Write("images.idx", IdxTestFiles.Build(0x08, [int.MaxValue, int.MaxValue, int.MaxValue], new byte[16]));

        InvalidDataException exception = AssertInvalid(path, () => IdxReader.ReadImages(path));

        Assert.Contains("2147483647 × 2147483647 × 2147483647", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadImages_HugeGzipHeaderAllocatesLittle()
    {
        // A header that claims 2,000,000,000 bytes in front of a 100-byte payload. The reader cannot
        // check gzip lengths up front, so it may allocate its first buffer (16 MiB) and no more.
        const long AllocationLimit = 64L * 1024 * 1024;
        byte[] gzip = IdxTestFiles.Gzip(IdxTestFiles.Build(0x08, [2_000_000_000u, 1, 1], new byte[100]));
        string path = _temp.Write("huge.gz", gzip);

        long before = GC.GetAllocatedBytesForCurrentThread();
        InvalidDataException exception = AssertInvalid(path, () => IdxReader.ReadImages(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains("truncated", exception.Message, StringComparison.Ordinal);
        Assert.True(allocated < AllocationLimit, $"Reading allocated {allocated} bytes.");
    }

    [Fact]
    public void ReadImages_HugeRawHeaderAllocatesLittle()
    {
        // A raw file's length is known, so the reader must reject the header before allocating the payload.
        const long AllocationLimit = 1024 * 1024;
        string path = _temp.Write("huge.idx", IdxTestFiles.Build(0x08, [2_000_000_000u, 1, 1], new byte[100]));

        long before = GC.GetAllocatedBytesForCurrentThread();
        InvalidDataException exception = AssertInvalid(path, () => IdxReader.ReadImages(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains("2000000000", exception.Message, StringComparison.Ordinal);
        Assert.Contains("only 100", exception.Message, StringComparison.Ordinal);
        Assert.True(allocated < AllocationLimit, $"Reading allocated {allocated} bytes.");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadImages_TruncatedPayloadIsRejected(bool compress)
    {
        byte[] file = ValidImages();
        byte[] truncated = file.AsSpan(0, file.Length - 5).ToArray();
        string path = _temp.Write("images.idx", compress ? IdxTestFiles.Gzip(truncated) : truncated);
        int payloadLength = ImageCount * Rows * Columns;

        InvalidDataException exception = AssertInvalid(path, () => IdxReader.ReadImages(path));

        Assert.Contains("truncated", exception.Message, StringComparison.Ordinal);
        Assert.Contains($"need {payloadLength} bytes", exception.Message, StringComparison.Ordinal);
        string available = compress ? "decompressed bytes" : "bytes";
        Assert.Contains($"only {payloadLength - 5} {available} follow", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadImages_TruncatedHeaderIsRejected(bool compress)
    {
        byte[] truncated = ValidImages().AsSpan(0, 9).ToArray();
        string path = _temp.Write("images.idx", compress ? IdxTestFiles.Gzip(truncated) : truncated);

        InvalidDataException exception = AssertInvalid(path, () => IdxReader.ReadImages(path));

        Assert.Contains("header of 16 bytes", exception.Message, StringComparison.Ordinal);
        string read = compress ? "9 decompressed bytes" : "9 bytes";
        Assert.Contains($"ends after {read}", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public void ReadLabels_ShortFileIsRejected(int length)
    {
        string path = _temp.Write("labels.idx", new byte[length]);

        InvalidDataException exception = AssertInvalid(path, () => IdxReader.ReadLabels(path));

        Assert.Contains($"after {length} byte", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadImages_TrailingBytesAreRejected(bool compress)
    {
        byte[] file = ValidImages();
        byte[] extended = new byte[file.Length + 3];
        file.CopyTo(extended, 0);
        string path = _temp.Write("images.idx", compress ? IdxTestFiles.Gzip(extended) : extended);

        InvalidDataException exception = AssertInvalid(path, () => IdxReader.ReadImages(path));

        string trailing = compress ? "3 decompressed bytes" : "3 bytes";
        Assert.Contains($"has {trailing} after the payload", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadLabels_UnseekableTrailingBytesAreRejected()
    {
        byte[] file = IdxTestFiles.Labels([1, 2, 3]);
        byte[] extended = new byte[file.Length + 1];
        file.CopyTo(extended, 0);

        InvalidDataException exception = Assert.Throws<InvalidDataException>(
            () => IdxReader.ReadLabels(new UnseekableStream(extended), "pipe"));

        Assert.Contains("'pipe'", exception.Message, StringComparison.Ordinal);
        Assert.Contains("has 1 byte after the payload", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadImages_GzipSignatureWithGarbageIsRejected()
    {
        byte[] garbage = new byte[64];
        new Random(7).NextBytes(garbage);
        garbage[0] = 0x1F;
        garbage[1] = 0x8B;
        string path = _temp.Write("images.gz", garbage);

        InvalidDataException exception = AssertInvalid(path, () => IdxReader.ReadImages(path));

        Assert.Contains("decompression failed", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadImages_CorruptGzipBodyIsRejected()
    {
        // Flip every bit of a byte inside the compressed data. The deflate decoder or the CRC-32
        // check in the gzip trailer must notice; either way the file is reported as invalid.
        byte[] gzip = IdxTestFiles.Gzip(IdxTestFiles.Images(50, 28, 28, IdxTestFiles.Pixels(50, 28, 28)));
        gzip[gzip.Length / 2] ^= 0xFF;
        string path = _temp.Write("images.gz", gzip);

        AssertInvalid(path, () => IdxReader.ReadImages(path));
    }

    [Fact]
    public void ReadImages_CorruptGzipCrcIsRejected()
    {
        // The gzip trailer ends with CRC-32 and the uncompressed length; damage only the CRC.
        byte[] gzip = IdxTestFiles.Gzip(ValidImages());
        gzip[^8] ^= 0x01;
        string path = _temp.Write("images.gz", gzip);

        InvalidDataException exception = AssertInvalid(path, () => IdxReader.ReadImages(path));

        Assert.Contains("decompression failed", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadImages_GzipCutShortIsRejected()
    {
        byte[] gzip = IdxTestFiles.Gzip(IdxTestFiles.Images(50, 28, 28, IdxTestFiles.Pixels(50, 28, 28)));
        string path = _temp.Write("images.gz", gzip.AsSpan(0, gzip.Length / 2).ToArray());

        AssertInvalid(path, () => IdxReader.ReadImages(path));
    }

    [Fact]
    public void ReadImages_MissingFileNamesPath()
    {
        string path = Path.Combine(_temp.Path, "absent-images.gz");

        FileNotFoundException exception = Assert.Throws<FileNotFoundException>(() => IdxReader.ReadImages(path));

        Assert.Equal(path, exception.FileName);
        Assert.Contains(path, exception.Message, StringComparison.Ordinal);
        Assert.Contains("not found", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadLabels_MissingFileNamesPath()
    {
        string path = Path.Combine(_temp.Path, "absent-labels.gz");

        FileNotFoundException exception = Assert.Throws<FileNotFoundException>(() => IdxReader.ReadLabels(path));

        Assert.Equal(path, exception.FileName);
        Assert.Contains(path, exception.Message, StringComparison.Ordinal);
    }
}
