using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;

namespace NetGen.Data
{
    /// <summary>
    /// Reads unsigned-byte IDX files, the format of MNIST and Fashion-MNIST, raw or gzip-compressed.
    /// </summary>
    /// <remarks>
    /// An IDX file starts with a 4-byte magic number: two zero bytes, a type code (0x08 for
    /// unsigned bytes, the only type read here) and the number of dimensions. Each dimension size
    /// follows as a big-endian 32-bit integer, then the payload: the product of the sizes in
    /// bytes, nothing more. Gzip is recognised by its first two bytes (0x1F 0x8B), whatever the
    /// file is called. Every size is checked before memory is allocated for it, so a corrupt
    /// header gives an <see cref="InvalidDataException"/> rather than a huge allocation.
    /// </remarks>
    public static class IdxReader
    {
        /// <summary>IDX type code of unsigned bytes.</summary>
        private const byte UnsignedByteType = 0x08;

        private const int ImageDimensionCount = 3;
        private const int LabelDimensionCount = 1;

        /// <summary>Largest payload read: the longest byte array .NET allocates.</summary>
        private static readonly long MaxPayloadLength = Array.MaxLength;

        /// <summary>
        /// First buffer size when the payload length cannot be checked against the stream length
        /// (gzip or an unseekable stream). The buffer doubles as data arrives, so a header that
        /// claims more data than the stream contains costs at most twice the real size.
        /// </summary>
        private const int InitialBufferLength = 16 * 1024 * 1024;

        private const byte GzipId1 = 0x1F;
        private const byte GzipId2 = 0x8B;

        /// <summary>Reads an IDX file of images: 3 dimensions (count, rows, columns) of unsigned bytes.</summary>
        /// <param name="path">Path of the file, raw IDX or gzip-compressed.</param>
        /// <returns>The images, with pixels as stored in the file.</returns>
        /// <exception cref="FileNotFoundException">The file does not exist.</exception>
        /// <exception cref="InvalidDataException">The file is not a valid unsigned-byte IDX file of 3 dimensions, or not valid gzip.</exception>
        public static IdxImages ReadImages(string path)
        {
            using FileStream stream = OpenFile(path);
            return ReadImages(stream, path);
        }

        /// <summary>
        /// Reads IDX images from the current position of <paramref name="stream"/> to its end.
        /// The stream stays open.
        /// </summary>
        /// <param name="stream">A readable stream of raw IDX or gzip-compressed IDX.</param>
        /// <param name="sourceName">Name of the stream's source for error messages, such as a file path.</param>
        /// <returns>The images, with pixels as stored in the stream.</returns>
        /// <exception cref="InvalidDataException">The data are not a valid unsigned-byte IDX file of 3 dimensions, or not valid gzip.</exception>
        public static IdxImages ReadImages(Stream stream, string? sourceName = null)
        {
            (int[] sizes, byte[] payload) = Read(stream, sourceName, ImageDimensionCount, "images");
            return new IdxImages(sizes[0], sizes[1], sizes[2], payload);
        }

        /// <summary>Reads an IDX file of labels: 1 dimension of unsigned bytes.</summary>
        /// <param name="path">Path of the file, raw IDX or gzip-compressed.</param>
        /// <returns>One byte per sample, as stored in the file.</returns>
        /// <exception cref="FileNotFoundException">The file does not exist.</exception>
        /// <exception cref="InvalidDataException">The file is not a valid unsigned-byte IDX file of 1 dimension, or not valid gzip.</exception>
        public static byte[] ReadLabels(string path)
        {
            using FileStream stream = OpenFile(path);
            return ReadLabels(stream, path);
        }

        /// <summary>
        /// Reads IDX labels from the current position of <paramref name="stream"/> to its end.
        /// The stream stays open.
        /// </summary>
        /// <param name="stream">A readable stream of raw IDX or gzip-compressed IDX.</param>
        /// <param name="sourceName">Name of the stream's source for error messages, such as a file path.</param>
        /// <returns>One byte per sample, as stored in the stream.</returns>
        /// <exception cref="InvalidDataException">The data are not a valid unsigned-byte IDX file of 1 dimension, or not valid gzip.</exception>
        public static byte[] ReadLabels(Stream stream, string? sourceName = null)
        {
            (_, byte[] payload) = Read(stream, sourceName, LabelDimensionCount, "labels");
            return payload;
        }

        private static FileStream OpenFile(string path)
        {
            ArgumentException.ThrowIfNullOrEmpty(path);
            if (!File.Exists(path))
            {
                throw new FileNotFoundException(
                    $"The IDX file '{Path.GetFullPath(path)}' was not found. Check the path, or download the file and place it there.",
                    path);
            }

            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        }

        /// <summary>Reads and validates one IDX file; returns its dimension sizes and payload.</summary>
        private static (int[] Sizes, byte[] Payload) Read(Stream stream, string? sourceName, int dimensionCount, string content)
        {
            ArgumentNullException.ThrowIfNull(stream);
            if (!stream.CanRead)
            {
                throw new ArgumentException("The stream must be readable.", nameof(stream));
            }

            string source = sourceName is null ? "The IDX stream" : $"IDX file '{sourceName}'";

            // Look at the first two bytes for the gzip signature, then give them back to the reader.
            Span<byte> signature = stackalloc byte[2];
            long start = stream.CanSeek ? stream.Position : -1;
            int signatureLength = stream.ReadAtLeast(signature, signature.Length, throwOnEndOfStream: false);
            bool isGzip = signatureLength == 2 && signature[0] == GzipId1 && signature[1] == GzipId2;

            Stream rewound;
            if (stream.CanSeek)
            {
                stream.Position = start;
                rewound = stream;
            }
            else
            {
                rewound = new PrefixedStream(signature[..signatureLength].ToArray(), stream);
            }

            if (isGzip)
            {
                using var gzip = new GZipStream(rewound, CompressionMode.Decompress, leaveOpen: true);
                return ReadIdx(new IdxSource(gzip, source, IsGzip: true, KnownLength: -1), dimensionCount, content);
            }

            long knownLength = stream.CanSeek ? stream.Length - start : -1;
            return ReadIdx(new IdxSource(rewound, source, IsGzip: false, knownLength), dimensionCount, content);
        }

        private static (int[] Sizes, byte[] Payload) ReadIdx(IdxSource source, int dimensionCount, string content)
        {
            IdxHeader header = ReadHeader(source, dimensionCount, content);
            byte[] payload = source.KnownLength >= 0
                ? ReadPayloadOfKnownLength(source, header)
                : ReadPayloadOfUnknownLength(source, header);
            return (header.Sizes, payload);
        }

        private static IdxHeader ReadHeader(IdxSource source, int dimensionCount, string content)
        {
            int headerLength = 4 + (4 * dimensionCount);
            Span<byte> bytes = stackalloc byte[headerLength];

            int magicLength = ReadBlock(source, bytes[..4]);
            if (magicLength < 4)
            {
                throw new InvalidDataException(
                    $"{source.Name} is too short: expected an IDX header of {headerLength} bytes, but it ends after {source.Bytes(magicLength)}.");
            }

            ValidateMagic(source, bytes[..4], dimensionCount, content);

            int sizesLength = ReadBlock(source, bytes[4..]);
            if (sizesLength < 4 * dimensionCount)
            {
                throw new InvalidDataException(
                    $"{source.Name} is truncated: expected an IDX header of {headerLength} bytes (the magic number and {dimensionCount} dimension sizes), but it ends after {source.Bytes(4 + sizesLength)}.");
            }

            var rawSizes = new uint[dimensionCount];
            for (int i = 0; i < dimensionCount; i++)
            {
                rawSizes[i] = BinaryPrimitives.ReadUInt32BigEndian(bytes.Slice(4 + (4 * i), 4));
            }

            string shape = string.Join(" × ", rawSizes);
            var sizes = new int[dimensionCount];
            long payloadLength = 1;
            for (int i = 0; i < dimensionCount; i++)
            {
                if (rawSizes[i] == 0 || rawSizes[i] > int.MaxValue)
                {
                    throw new InvalidDataException(
                        $"{source.Name} has an invalid header: dimension {i} of {shape} has size {rawSizes[i]}, but sizes must be in [1, {int.MaxValue}]. The file is corrupt.");
                }

                // Both factors are at most 2^31, so the product fits in a long before the check.
                payloadLength *= rawSizes[i];
                if (payloadLength > MaxPayloadLength)
                {
                    throw new InvalidDataException(
                        $"{source.Name} has an invalid header: dimension sizes {shape} describe more than {MaxPayloadLength} bytes, the largest payload that can be read. The file is corrupt.");
                }

                sizes[i] = (int)rawSizes[i];
            }

            return new IdxHeader(headerLength, sizes, (int)payloadLength, shape);
        }

        private static void ValidateMagic(IdxSource source, ReadOnlySpan<byte> magic, int dimensionCount, string content)
        {
            if (magic[0] != 0 || magic[1] != 0)
            {
                throw new InvalidDataException(
                    $"{source.Name} is not an IDX file: expected the magic number 00 00 08 {dimensionCount:X2}, found {FormatBytes(magic)}. Check that the path names an IDX file of {content}.");
            }

            if (magic[2] != UnsignedByteType)
            {
                throw new InvalidDataException(
                    $"{source.Name} has IDX type code 0x{magic[2]:X2} ({DescribeType(magic[2])}), but only 0x08 (unsigned byte) is supported.");
            }

            if (magic[3] != dimensionCount)
            {
                throw new InvalidDataException(
                    $"{source.Name} has a dimension count of {magic[3]} in its magic number, but IDX {content} need a dimension count of {dimensionCount}. Check that the path names an IDX file of {content}.");
            }
        }

        /// <summary>Reads a payload whose length was checked against the stream length first, in one allocation.</summary>
        private static byte[] ReadPayloadOfKnownLength(IdxSource source, IdxHeader header)
        {
            long available = source.KnownLength - header.Length;
            if (available < header.PayloadLength)
            {
                throw Truncated(source, header, available);
            }

            if (available > header.PayloadLength)
            {
                throw TrailingBytes(source, header, available - header.PayloadLength, isLowerBound: false);
            }

            byte[] payload = new byte[header.PayloadLength];
            int read = ReadBlock(source, payload);
            if (read < header.PayloadLength)
            {
                // The stream was shorter than its Length reported, for example a file that shrank while being read.
                throw Truncated(source, header, read);
            }

            return payload;
        }

        /// <summary>
        /// Reads a payload whose length the header claims but the stream cannot confirm up front,
        /// growing the buffer only as data arrive.
        /// </summary>
        private static byte[] ReadPayloadOfUnknownLength(IdxSource source, IdxHeader header)
        {
            byte[] payload = new byte[Math.Min(header.PayloadLength, InitialBufferLength)];
            int filled = 0;
            while (true)
            {
                filled += ReadBlock(source, payload.AsSpan(filled));
                if (filled < payload.Length)
                {
                    throw Truncated(source, header, filled);
                }

                if (filled == header.PayloadLength)
                {
                    break;
                }

                Array.Resize(ref payload, (int)Math.Min(header.PayloadLength, 2L * payload.Length));
            }

            Span<byte> probe = stackalloc byte[4096];
            int trailing = ReadBlock(source, probe);
            if (trailing > 0)
            {
                throw TrailingBytes(source, header, trailing, isLowerBound: trailing == probe.Length);
            }

            return payload;
        }

        /// <summary>
        /// Fills <paramref name="buffer"/> unless the stream ends first; returns the number of
        /// bytes read. Turns a gzip decoding failure into an error that names the source.
        /// </summary>
        private static int ReadBlock(IdxSource source, Span<byte> buffer)
        {
            try
            {
                return source.Stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            }
            catch (InvalidDataException exception) when (source.IsGzip)
            {
                throw new InvalidDataException(
                    $"{source.Name} starts with the gzip signature 1F 8B, but its compressed data are corrupt and decompression failed (see the inner exception). Obtain the file again.",
                    exception);
            }
        }

        private static InvalidDataException Truncated(IdxSource source, IdxHeader header, long available) =>
            new(
                $"{source.Name} is truncated: dimension sizes {header.Shape} need {header.PayloadLength} bytes after the {header.Length}-byte header, but only {source.Bytes(available)} follow. The file is incomplete, so obtain it again.");

        private static InvalidDataException TrailingBytes(IdxSource source, IdxHeader header, long trailingCount, bool isLowerBound) =>
            new(
                $"{source.Name} has {(isLowerBound ? "at least " : "")}{source.Bytes(trailingCount)} after the payload, but dimension sizes {header.Shape} need exactly {header.PayloadLength} bytes after the {header.Length}-byte header and nothing more. The header or the file is corrupt.");

        private static string FormatBytes(ReadOnlySpan<byte> bytes) => BitConverter.ToString(bytes.ToArray()).Replace('-', ' ');

        private static string DescribeType(byte typeCode) => typeCode switch
        {
            0x08 => "unsigned byte",
            0x09 => "signed byte",
            0x0B => "16-bit integer",
            0x0C => "32-bit integer",
            0x0D => "32-bit float",
            0x0E => "64-bit float",
            _ => "not an IDX type",
        };

        /// <summary>The stream being parsed and what error messages call it.</summary>
        /// <param name="Stream">Positioned at the IDX header, decompressed if <paramref name="IsGzip"/>.</param>
        /// <param name="Name">Subject of error messages, such as "IDX file 'x.gz'".</param>
        /// <param name="IsGzip">Whether the bytes are decompressed from gzip.</param>
        /// <param name="KnownLength">Bytes from the header to the end of the stream, or -1 if unknown.</param>
        private readonly record struct IdxSource(Stream Stream, string Name, bool IsGzip, long KnownLength)
        {
            /// <summary>Formats a byte count for messages, saying "decompressed" for gzip.</summary>
            public string Bytes(long count) =>
                $"{count}{(IsGzip ? " decompressed" : "")} {(count == 1 ? "byte" : "bytes")}";
        }

        /// <summary>A validated IDX header.</summary>
        /// <param name="Length">Header length in bytes: the magic number and the dimension sizes.</param>
        /// <param name="Sizes">Dimension sizes, each positive.</param>
        /// <param name="PayloadLength">Product of the sizes: the payload length in bytes.</param>
        /// <param name="Shape">The sizes as text for messages, such as "60000 × 28 × 28".</param>
        private readonly record struct IdxHeader(int Length, int[] Sizes, int PayloadLength, string Shape);
    }
}
