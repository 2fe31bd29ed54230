using System;
using System.Buffers.Binary;
using System.IO;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace NetGen
{
    /// <summary>
    /// Saves the parameters of a network to a weight file and loads them back, rejecting files from
    /// another architecture and files that are damaged.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Format version 1. All integers and floats are little-endian on every host. <c>A</c> is the
    /// byte length of the architecture text and <c>N</c> the value count: parameters plus buffers.
    /// </para>
    /// <list type="table">
    /// <listheader><term>Offset (size in bytes)</term><description>Field</description></listheader>
    /// <item><term>0 (4)</term><description>Magic bytes: ASCII <c>NGWF</c> (4E 47 57 46).</description></item>
    /// <item><term>4 (4)</term><description>Format version, uint32, equal to 1.</description></item>
    /// <item><term>8 (4)</term><description><c>A</c>, int32, from 0 to 65536.</description></item>
    /// <item><term>12 (A)</term><description><see cref="INetwork.Architecture"/> as UTF-8 without a byte order mark or terminator.</description></item>
    /// <item><term>12 + A (8)</term><description><c>N</c>, int64, not negative.</description></item>
    /// <item><term>20 + A (4N)</term><description>The N values as IEEE 754 float32: the parameters in <see cref="INetwork.Parameters"/> order (each layer's weight, then its bias), then the <see cref="INetwork.Buffers"/> (batch norms' running mean and variance), if any.</description></item>
    /// <item><term>20 + A + 4N (32)</term><description>SHA-256 of all bytes from offset 0 up to here.</description></item>
    /// </list>
    /// <para>
    /// The file ends right after the checksum, so its length is 52 + A + 4N bytes. Values are
    /// stored bit for bit: NaN (with its payload), infinities, −0.0 and subnormals load back
    /// unchanged, and neither saving nor loading rejects non-finite values.
    /// </para>
    /// <para>
    /// Loading reads and verifies the whole file before it touches the network, so a failed load
    /// leaves <see cref="INetwork.Parameters"/> exactly as they were. Checks run in this order:
    /// magic, version, architecture length, parameter count not negative, length (truncation),
    /// checksum, no trailing bytes, architecture UTF-8, then architecture and parameter count
    /// against the network. A damaged file is therefore reported as truncated or corrupt, not as
    /// a mismatch. Every check raises <see cref="InvalidDataException"/> whose message names the file
    /// or the stream and gives the expected and the actual value.
    /// </para>
    /// <para>
    /// The class uses no reflection, so it works under trimming and native AOT.
    /// </para>
    /// </remarks>
    public static class WeightFile
    {
        /// <summary>
        /// Writes the parameters of <paramref name="network"/> to <paramref name="path"/>, replacing
        /// any existing file only once the new one is complete.
        /// </summary>
        /// <remarks>
        /// The data goes to a hidden temporary file in the same directory, is flushed to disk, and is
        /// then renamed over <paramref name="path"/>. A crash or an error while writing leaves the old
        /// file (or no file) at <paramref name="path"/>, never a half-written one. After an error the
        /// temporary file is deleted, but after a crash it may remain, named
        /// <c>.{file name}.{random}.tmp</c>.
        /// </remarks>
        /// <param name="network">Network whose <see cref="INetwork.Parameters"/> are saved.</param>
        /// <param name="path">Target file in an existing directory.</param>
        /// <exception cref="ArgumentException">The network's parameter count disagrees with its
        /// parameter span, its architecture text is longer than 65536 UTF-8 bytes or contains a
        /// lone UTF-16 surrogate, or <paramref name="path"/> is a directory or a link to one.</exception>
        /// <exception cref="DirectoryNotFoundException">The directory of <paramref name="path"/> does not exist.</exception>
        /// <exception cref="UnauthorizedAccessException">The existing file is read-only, or the directory is not writable.</exception>
        public static void Save(INetwork network, string path)
        {
            ArgumentNullException.ThrowIfNull(network);
            ArgumentException.ThrowIfNullOrEmpty(path);
            byte[] architecture = EncodeArchitecture(network);
            ValidateParameterSpan(network);

            AtomicFile.Write(path, "weight file", "model.ngw", stream => Write(network, architecture, stream));
        }

        /// <summary>
        /// Writes the parameters of <paramref name="network"/> to <paramref name="stream"/> at its
        /// current position. The stream stays open.
        /// </summary>
        /// <param name="network">Network whose <see cref="INetwork.Parameters"/> are saved.</param>
        /// <param name="stream">Writable stream.</param>
        /// <exception cref="ArgumentException">The stream is not writable, the network's parameter
        /// count disagrees with its parameter span, or its architecture text is longer than 65536
        /// UTF-8 bytes or contains a lone UTF-16 surrogate.</exception>
        public static void Save(INetwork network, Stream stream)
        {
            ArgumentNullException.ThrowIfNull(network);
            ArgumentNullException.ThrowIfNull(stream);
            if (!stream.CanWrite)
            {
                throw new ArgumentException("The stream to save weights to is not writable. Pass a stream opened for writing.", nameof(stream));
            }

            byte[] architecture = EncodeArchitecture(network);
            ValidateParameterSpan(network);
            Write(network, architecture, stream);
        }

        /// <summary>
        /// Replaces the parameters of <paramref name="network"/> with those in the weight file at
        /// <paramref name="path"/>. On any error the parameters stay unchanged.
        /// </summary>
        /// <param name="network">Network of the same architecture as the one that saved the file.</param>
        /// <param name="path">Weight file written by <see cref="Save(INetwork, string)"/>.</param>
        /// <exception cref="FileNotFoundException">No file exists at <paramref name="path"/>.</exception>
        /// <exception cref="InvalidDataException">The file is not a weight file, has an unsupported
        /// version, is truncated, corrupt or followed by extra bytes, or was saved from another
        /// architecture or parameter count.</exception>
        /// <exception cref="ArgumentException">The network's parameter count disagrees with its parameter span, or <paramref name="path"/> is a directory.</exception>
        public static void Load(INetwork network, string path)
        {
            ArgumentNullException.ThrowIfNull(network);
            ArgumentException.ThrowIfNullOrEmpty(path);
            ValidateParameterSpan(network);

            string fullPath = Path.GetFullPath(path);
            using FileStream stream = OpenForReading(fullPath);
            LoadCore(network, stream, $"Weight file '{fullPath}'");
        }

        /// <summary>
        /// Replaces the parameters of <paramref name="network"/> with weight data read from the
        /// current position of <paramref name="stream"/> to its end. On any error the parameters
        /// stay unchanged. The stream stays open.
        /// </summary>
        /// <param name="network">Network of the same architecture as the one that saved the data.</param>
        /// <param name="stream">Readable stream that contains exactly one weight file from its current position on.</param>
        /// <exception cref="InvalidDataException">The data is not a weight file, has an unsupported
        /// version, is truncated, corrupt or followed by extra bytes, or was saved from another
        /// architecture or parameter count.</exception>
        /// <exception cref="ArgumentException">The stream is not readable, or the network's parameter
        /// count disagrees with its parameter span.</exception>
        public static void Load(INetwork network, Stream stream)
        {
            ArgumentNullException.ThrowIfNull(network);
            ArgumentNullException.ThrowIfNull(stream);
            if (!stream.CanRead)
            {
                throw new ArgumentException("The stream to load weights from is not readable. Pass a stream opened for reading.", nameof(stream));
            }

            ValidateParameterSpan(network);
            LoadCore(network, stream, "The weight stream");
        }

        /// <summary>
        /// Reads the architecture, parameter count and format version of the weight file at
        /// <paramref name="path"/>, after verifying the whole file as <see cref="Load(INetwork, string)"/> does.
        /// </summary>
        /// <remarks>The file is read to its end to verify the checksum, but the values are not kept.</remarks>
        /// <param name="path">Weight file written by <see cref="Save(INetwork, string)"/>.</param>
        /// <exception cref="FileNotFoundException">No file exists at <paramref name="path"/>.</exception>
        /// <exception cref="InvalidDataException">The file is not a weight file, has an unsupported
        /// version, or is truncated, corrupt or followed by extra bytes.</exception>
        /// <exception cref="ArgumentException"><paramref name="path"/> is a directory.</exception>
        public static WeightFileInfo ReadInfo(string path)
        {
            ArgumentException.ThrowIfNullOrEmpty(path);

            string fullPath = Path.GetFullPath(path);
            using FileStream stream = OpenForReading(fullPath);
            return ReadInfoCore(stream, $"Weight file '{fullPath}'");
        }

        /// <summary>
        /// Reads the architecture, parameter count and format version of the weight data from the
        /// current position of <paramref name="stream"/> to its end, verifying it as
        /// <see cref="Load(INetwork, Stream)"/> does. The stream stays open.
        /// </summary>
        /// <param name="stream">Readable stream that contains exactly one weight file from its current position on.</param>
        /// <exception cref="InvalidDataException">The data is not a weight file, has an unsupported
        /// version, or is truncated, corrupt or followed by extra bytes.</exception>
        /// <exception cref="ArgumentException">The stream is not readable.</exception>
        public static WeightFileInfo ReadInfo(Stream stream)
        {
            ArgumentNullException.ThrowIfNull(stream);
            if (!stream.CanRead)
            {
                throw new ArgumentException("The stream to read weight information from is not readable. Pass a stream opened for reading.", nameof(stream));
            }

            return ReadInfoCore(stream, "The weight stream");
        }

        private static void Write(INetwork network, byte[] architecture, Stream stream)
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            ReadOnlySpan<float> parameters = ValuesOf(network);

            byte[] header = new byte[WeightFileFormat.ValuesOffset(architecture.Length)];
            WeightFileFormat.Magic.CopyTo(header);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), WeightFileFormat.Version);
            BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), architecture.Length);
            architecture.CopyTo(header.AsSpan(WeightFileFormat.PrefixBytes));
            BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(WeightFileFormat.PrefixBytes + architecture.Length), parameters.Length);
            WriteAndHash(stream, hash, header);

            byte[]? conversionBuffer = BitConverter.IsLittleEndian ? null : new byte[WeightFileFormat.ChunkFloats * sizeof(float)];
            for (int start = 0; start < parameters.Length; start += WeightFileFormat.ChunkFloats)
            {
                ReadOnlySpan<float> chunk = parameters.Slice(start, Math.Min(WeightFileFormat.ChunkFloats, parameters.Length - start));
                if (conversionBuffer is null)
                {
                    // This host is little-endian like the format, so the memory is written as is.
                    WriteAndHash(stream, hash, MemoryMarshal.AsBytes(chunk));
                }
                else
                {
                    Span<byte> bytes = conversionBuffer.AsSpan(0, chunk.Length * sizeof(float));
                    WeightFileFormat.WriteLittleEndian(chunk, bytes);
                    WriteAndHash(stream, hash, bytes);
                }
            }

            Span<byte> checksum = stackalloc byte[WeightFileFormat.ChecksumBytes];
            hash.GetHashAndReset(checksum);
            stream.Write(checksum);
        }

        private static void WriteAndHash(Stream stream, IncrementalHash hash, ReadOnlySpan<byte> bytes)
        {
            hash.AppendData(bytes);
            stream.Write(bytes);
        }

        private static void LoadCore(INetwork network, Stream stream, string source)
        {
            using var reader = new WeightFileReader(stream, source);
            reader.ReadHeader();

            // Keep the values only when their count matches the network. Otherwise hash them anyway,
            // so that a damaged file is reported as damaged rather than as a mismatch.
            int networkCount = network.ParameterCount + network.Buffers.Length;
            float[]? values = null;
            if (reader.ParameterCount == networkCount)
            {
                values = new float[networkCount];
                reader.ReadValues(values);
            }
            else
            {
                reader.SkipValues();
            }

            reader.ReadChecksumAndEnd();
            string architecture = reader.DecodeArchitecture();

            if (!string.Equals(architecture, network.Architecture, StringComparison.Ordinal))
            {
                throw new InvalidDataException(
                    $"{source} was saved from a different network declaration than {network.GetType().Name}.{Environment.NewLine}" +
                    $"  architecture in the file:    {architecture}{Environment.NewLine}" +
                    $"  architecture of the network: {network.Architecture}{Environment.NewLine}" +
                    "Load it into the network class it was saved from, or train this network and save it to a new file.");
            }

            if (values is null)
            {
                throw new InvalidDataException(
                    $"{source} contains {reader.ParameterCount} values, but {network.GetType().Name} has {networkCount} (parameters and buffers), " +
                    $"although both have the architecture '{architecture}'. The file was probably saved by a NetGen version that lays " +
                    "out this architecture differently. Save the weights again with the NetGen version that builds this network.");
            }

            values.AsSpan(0, network.ParameterCount).CopyTo(network.Parameters);
            values.AsSpan(network.ParameterCount).CopyTo(network.Buffers);
        }

        /// <summary>
        /// The values a file stores: the parameters, then the buffers (batch norms' running
        /// statistics). Networks without buffers store exactly their parameters, as before buffers existed.
        /// </summary>
        private static ReadOnlySpan<float> ValuesOf(INetwork network)
        {
            ReadOnlySpan<float> buffers = network.Buffers;
            if (buffers.IsEmpty)
            {
                return network.Parameters;
            }

            var values = new float[network.ParameterCount + buffers.Length];
            network.Parameters.CopyTo(values);
            buffers.CopyTo(values.AsSpan(network.ParameterCount));
            return values;
        }

        private static WeightFileInfo ReadInfoCore(Stream stream, string source)
        {
            using var reader = new WeightFileReader(stream, source);
            reader.ReadHeader();
            reader.SkipValues();
            reader.ReadChecksumAndEnd();
            return new WeightFileInfo(reader.DecodeArchitecture(), reader.ParameterCount, reader.Version);
        }

        private static FileStream OpenForReading(string fullPath)
        {
            // Opening a directory throws UnauthorizedAccessException, whose "access denied" points at permissions.
            if (Directory.Exists(fullPath))
            {
                throw new ArgumentException(
                    $"'{fullPath}' is a directory, but a weight file was expected. Pass the path of a file that WeightFile.Save wrote.", "path");
            }

            try
            {
                return new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 64 * 1024, FileOptions.SequentialScan);
            }
            catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
            {
                throw new FileNotFoundException(
                    $"Weight file '{fullPath}' was not found. Check the path, or save the network there first with WeightFile.Save.",
                    fullPath, exception);
            }
        }

        private static byte[] EncodeArchitecture(INetwork network)
        {
            string architecture = network.Architecture
                ?? throw new ArgumentException($"{network.GetType().Name}.Architecture is null, but a network must describe its architecture. Fix the network implementation.", nameof(network));

            byte[] bytes;
            try
            {
                bytes = WeightFileFormat.StrictUtf8.GetBytes(architecture);
            }
            catch (EncoderFallbackException exception)
            {
                throw new ArgumentException(
                    $"The architecture of {network.GetType().Name} contains a lone UTF-16 surrogate, which UTF-8 cannot encode. " +
                    "Fix the architecture text.", nameof(network), exception);
            }

            if (bytes.Length > WeightFileFormat.MaxArchitectureBytes)
            {
                throw new ArgumentException(
                    $"The architecture of {network.GetType().Name} is {bytes.Length} bytes of UTF-8, but weight files store at most " +
                    $"{WeightFileFormat.MaxArchitectureBytes}. Shorten the architecture text.", nameof(network));
            }

            return bytes;
        }

        private static void ValidateParameterSpan(INetwork network)
        {
            int count = network.ParameterCount;
            int length = network.Parameters.Length;
            if (count != length)
            {
                throw new ArgumentException(
                    $"{network.GetType().Name}.ParameterCount is {count}, but its Parameters span has {length} values. " +
                    "Fix the network implementation so that both describe the same buffer.", nameof(network));
            }
        }
    }
}
