using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;

namespace NetGen.Tests.Data;

/// <summary>
/// Builds IDX files byte by byte, independently of the reader under test, and a temporary
/// folder that deletes itself.
/// </summary>
internal static class IdxTestFiles
{
    /// <summary>Builds an IDX file: 00 00, the type code, the dimension count, big-endian sizes, then the payload.</summary>
    public static byte[] Build(byte typeCode, uint[] sizes, ReadOnlySpan<byte> payload)
    {
        var bytes = new byte[4 + (4 * sizes.Length) + payload.Length];
        bytes[0] = 0;
        bytes[1] = 0;
        bytes[2] = typeCode;
        bytes[3] = (byte)sizes.Length;
        for (int i = 0; i < sizes.Length; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4 + (4 * i), 4), sizes[i]);
        }

        payload.CopyTo(bytes.AsSpan(4 + (4 * sizes.Length)));
        return bytes;
    }

    /// <summary>Builds a valid unsigned-byte IDX file of images.</summary>
    public static byte[] Images(int count, int rows, int columns, ReadOnlySpan<byte> pixels) =>
        Build(0x08, [(uint)count, (uint)rows, (uint)columns], pixels);

    /// <summary>Builds a valid unsigned-byte IDX file of labels.</summary>
    public static byte[] Labels(ReadOnlySpan<byte> labels) => Build(0x08, [(uint)labels.Length], labels);

    /// <summary>Compresses <paramref name="data"/> as one gzip member.</summary>
    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    /// <summary>Pixel value used by the round-trip tests: varies with image, row and column, and covers 0 and 255.</summary>
    public static byte Pixel(int image, int row, int column) => (byte)(((image * 97) + (row * 31) + (column * 7)) % 256);

    /// <summary>Pixels of <paramref name="count"/> images built from <see cref="Pixel"/>.</summary>
    public static byte[] Pixels(int count, int rows, int columns)
    {
        var pixels = new byte[count * rows * columns];
        for (int image = 0; image < count; image++)
        {
            for (int row = 0; row < rows; row++)
            {
                for (int column = 0; column < columns; column++)
                {
                    pixels[(((image * rows) + row) * columns) + column] = Pixel(image, row, column);
                }
            }
        }

        return pixels;
    }
}

/// <summary>A unique folder under the system temporary folder, deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "netgen-data-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>Writes <paramref name="contents"/> to a file in this folder and returns its path.</summary>
    public string Write(string fileName, byte[] contents)
    {
        string path = System.IO.Path.Combine(Path, fileName);
        File.WriteAllBytes(path, contents);
        return path;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>A read-only stream that cannot seek and has no length, like a network stream or a pipe.</summary>
internal sealed class UnseekableStream(byte[] data) : Stream
{
    private readonly MemoryStream _inner = new(data, writable: false);

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    // Returns at most 1000 bytes per call, so that readers which expect full reads fail.
    public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 1000));

    public override int Read(Span<byte> buffer) => _inner.Read(buffer[..Math.Min(buffer.Length, 1000)]);

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
