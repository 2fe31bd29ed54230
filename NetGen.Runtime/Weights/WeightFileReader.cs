using System;
using System.Buffers.Binary;
using System.IO;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace NetGen
{
    /// <summary>
    /// Reads one weight file from a stream field by field, hashing every byte it reads, and
    /// raises <see cref="InvalidDataException"/> for any structural error. Callers read the header,
    /// then the values (or skip them), then the checksum and end, in that order.
    /// </summary>
    internal sealed class WeightFileReader : IDisposable
    {
        private readonly Stream _stream;
        private readonly string _source;
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private long _position;
        private long _expectedLength = -1;
        private byte[] _architectureBytes = [];

        /// <summary>Starts reading at the current position of <paramref name="stream"/>.</summary>
        /// <param name="stream">Readable stream, which the reader does not dispose.</param>
        /// <param name="source">Subject that starts every error message, for example "Weight file '/tmp/a.ngw'".</param>
        public WeightFileReader(Stream stream, string source)
        {
            _stream = stream;
            _source = source;
        }

        /// <summary>Format version from the header, set by <see cref="ReadHeader"/>.</summary>
        public int Version { get; private set; }

        /// <summary>Parameter count from the header, set by <see cref="ReadHeader"/>.</summary>
        public long ParameterCount { get; private set; }

        /// <summary>
        /// Reads and checks magic, version, architecture length and text, and parameter count.
        /// The architecture stays raw bytes until <see cref="DecodeArchitecture"/>, so that a
        /// corrupt file is reported by its checksum rather than as an odd architecture.
        /// </summary>
        public void ReadHeader()
        {
            ReadMagic();

            Span<byte> field = stackalloc byte[sizeof(long)];
            ReadExactly(field[..sizeof(uint)], "format version", WeightFileFormat.Magic.Length + sizeof(uint));
            uint version = BinaryPrimitives.ReadUInt32LittleEndian(field);
            if (version != WeightFileFormat.Version)
            {
                throw new InvalidDataException(
                    $"{_source} has format version {version}, but this version of NetGen reads only version {WeightFileFormat.Version}. " +
                    "Load it with the NetGen version that wrote it, or save the network again with this one.");
            }

            Version = (int)version;

            ReadExactly(field[..sizeof(int)], "architecture length", WeightFileFormat.PrefixBytes);
            int architectureLength = BinaryPrimitives.ReadInt32LittleEndian(field);
            if (architectureLength < 0 || architectureLength > WeightFileFormat.MaxArchitectureBytes)
            {
                throw new InvalidDataException(
                    $"{_source} is corrupt: its architecture length is {architectureLength} bytes, but it must be between 0 and " +
                    $"{WeightFileFormat.MaxArchitectureBytes}. Restore the file from a copy or save the network again.");
            }

            _architectureBytes = new byte[architectureLength];
            ReadExactly(_architectureBytes, "architecture text", WeightFileFormat.PrefixBytes + architectureLength);

            ReadExactly(field, "parameter count", WeightFileFormat.ValuesOffset(architectureLength));
            long parameterCount = BinaryPrimitives.ReadInt64LittleEndian(field);
            if (parameterCount < 0)
            {
                throw new InvalidDataException(
                    $"{_source} is corrupt: its parameter count is {parameterCount}, but a count cannot be negative. " +
                    "Restore the file from a copy or save the network again.");
            }

            ParameterCount = parameterCount;
            _expectedLength = WeightFileFormat.FileLength(architectureLength, parameterCount);
        }

        /// <summary>Reads all <see cref="ParameterCount"/> values into <paramref name="destination"/>, which has exactly that length.</summary>
        public void ReadValues(Span<float> destination)
        {
            long valuesEnd = _expectedLength - WeightFileFormat.ChecksumBytes;
            byte[]? conversionBuffer = BitConverter.IsLittleEndian ? null : new byte[WeightFileFormat.ChunkFloats * sizeof(float)];

            for (int start = 0; start < destination.Length; start += WeightFileFormat.ChunkFloats)
            {
                Span<float> chunk = destination.Slice(start, Math.Min(WeightFileFormat.ChunkFloats, destination.Length - start));
                if (conversionBuffer is null)
                {
                    // The file is little-endian like this host, so the bytes land in place.
                    ReadExactly(MemoryMarshal.AsBytes(chunk), "parameter values", valuesEnd);
                }
                else
                {
                    Span<byte> bytes = conversionBuffer.AsSpan(0, chunk.Length * sizeof(float));
                    ReadExactly(bytes, "parameter values", valuesEnd);
                    WeightFileFormat.ReadLittleEndian(bytes, chunk);
                }
            }
        }

        /// <summary>Reads and hashes the <see cref="ParameterCount"/> values without keeping them.</summary>
        public void SkipValues()
        {
            long valuesEnd = _expectedLength - WeightFileFormat.ChecksumBytes;
            byte[] buffer = new byte[WeightFileFormat.ChunkFloats * sizeof(float)];
            long remainingBytes = ParameterCount * sizeof(float);
            while (remainingBytes > 0)
            {
                int length = (int)Math.Min(buffer.Length, remainingBytes);
                ReadExactly(buffer.AsSpan(0, length), "parameter values", valuesEnd);
                remainingBytes -= length;
            }
        }

        /// <summary>
        /// Reads the SHA-256 checksum, compares it with the hash of everything read so far, and
        /// checks that the data ends right after it.
        /// </summary>
        public void ReadChecksumAndEnd()
        {
            Span<byte> stored = stackalloc byte[WeightFileFormat.ChecksumBytes];
            int read = _stream.ReadAtLeast(stored, stored.Length, throwOnEndOfStream: false);
            _position += read;
            if (read < stored.Length)
            {
                throw Truncated("SHA-256 checksum", _expectedLength);
            }

            Span<byte> computed = stackalloc byte[WeightFileFormat.ChecksumBytes];
            _hash.GetHashAndReset(computed);
            if (!stored.SequenceEqual(computed))
            {
                throw new InvalidDataException(
                    $"{_source} is corrupt: the SHA-256 checksum stored in it is {Convert.ToHexString(stored)}, " +
                    $"but its contents hash to {Convert.ToHexString(computed)}. Some bytes changed after it was saved; " +
                    "restore the file from a copy or save the network again.");
            }

            if (_stream.ReadByte() >= 0)
            {
                throw TrailingBytes();
            }
        }

        /// <summary>Decodes the architecture text. Call it only after the checksum matched.</summary>
        public string DecodeArchitecture()
        {
            try
            {
                return WeightFileFormat.StrictUtf8.GetString(_architectureBytes);
            }
            catch (DecoderFallbackException exception)
            {
                throw new InvalidDataException(
                    $"{_source} has an architecture text that is not valid UTF-8 (bytes {Convert.ToHexString(_architectureBytes)}), " +
                    "although its checksum matches, so a program other than WeightFile.Save wrote it. Save the network again with WeightFile.Save.",
                    exception);
            }
        }

        /// <summary>Releases the hash object.</summary>
        public void Dispose() => _hash.Dispose();

        private void ReadMagic()
        {
            ReadOnlySpan<byte> magic = WeightFileFormat.Magic;
            Span<byte> start = stackalloc byte[magic.Length];
            int read = _stream.ReadAtLeast(start, start.Length, throwOnEndOfStream: false);
            _position += read;

            // A short stream whose bytes match the magic so far is a weight file cut short.
            if (!start[..read].SequenceEqual(magic[..read]))
            {
                throw new InvalidDataException(
                    $"{_source} is not a NetGen weight file: it starts with bytes {Convert.ToHexString(start[..read])}, " +
                    $"but weight files start with \"NGWF\" ({Convert.ToHexString(magic)}). Pass a file or stream that WeightFile.Save wrote.");
            }

            if (read < magic.Length)
            {
                throw Truncated("magic bytes", magic.Length);
            }

            _hash.AppendData(start);
        }

        /// <summary>Fills <paramref name="buffer"/> from the stream and hashes it, or raises a truncation error.</summary>
        /// <param name="buffer">Destination, as long as the field.</param>
        /// <param name="field">Name of the field being read, for the error message.</param>
        /// <param name="fieldEnd">Offset just past the field, for the error message.</param>
        private void ReadExactly(Span<byte> buffer, string field, long fieldEnd)
        {
            int read = _stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            _position += read;
            if (read < buffer.Length)
            {
                throw Truncated(field, fieldEnd);
            }

            _hash.AppendData(buffer);
        }

        private InvalidDataException Truncated(string field, long fieldEnd)
        {
            string whole = _expectedLength >= 0 ? $", and the header announces a total length of {_expectedLength} bytes" : "";
            return new InvalidDataException(
                $"{_source} is truncated: it ends after {_position} bytes, but reading the {field} needs {fieldEnd} bytes{whole}. " +
                "The data was cut short, for example by an interrupted copy or download. Copy it again or save the network again.");
        }

        private InvalidDataException TrailingBytes()
        {
            if (_stream.CanSeek)
            {
                // One byte past the checksum has been read, and the rest has not.
                long actualLength = _position + 1 + (_stream.Length - _stream.Position);
                return new InvalidDataException(
                    $"{_source} has {actualLength - _expectedLength} extra bytes after its checksum: its header gives a length of " +
                    $"{_expectedLength} bytes, but it is {actualLength} bytes long. Remove the bytes after offset {_expectedLength}, " +
                    "or pass only the weight data if it is embedded in a larger file.");
            }

            return new InvalidDataException(
                $"{_source} continues after its checksum: its header gives a length of {_expectedLength} bytes, but there is at least one more byte. " +
                "Loading reads to the end of the stream, so pass a stream that contains only the weight data.");
        }
    }
}
