using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace NetGen.Quantization
{
    /// <summary>
    /// The parameters of a quantized network as a file stores them: the mode, each int8 layer, and
    /// the fp32 values that the layers running in float read.
    /// </summary>
    /// <param name="Architecture">Architecture text of the float network that was quantized.</param>
    /// <param name="Mode">Static or dynamic quantization.</param>
    /// <param name="LayerNumbers">1-based position of each int8 layer among the network's layers.</param>
    /// <param name="Layers">The int8 layers, in order.</param>
    /// <param name="FloatParameters">
    /// Every fp32 parameter of the float network followed by its buffers (the batch norms' running
    /// mean and variance), or empty when no layer runs in float.
    /// </param>
    public sealed record QuantizedNetworkData(
        string Architecture,
        QuantizationMode Mode,
        IReadOnlyList<int> LayerNumbers,
        IReadOnlyList<QuantizedDense> Layers,
        float[] FloatParameters)
    {
        /// <summary>
        /// Checks that int8 layer <paramref name="index"/> is layer <paramref name="number"/> with the
        /// given shape; generated code calls this for every layer after loading.
        /// </summary>
        /// <exception cref="InvalidDataException">The layer count, position or shape differs, or a static layer has a signed input range or could overflow its int32 sums.</exception>
        public void RequireLayer(int index, int number, int outputs, int inputs, string name, string source)
        {
            if (index >= Layers.Count)
            {
                throw new InvalidDataException(
                    $"{source} holds {Layers.Count} int8 layers, but the network needs layer '{name}' as int8 layer {index + 1}. The file was saved from a different quantized network.");
            }

            QuantizedDense layer = Layers[index];
            if (LayerNumbers[index] != number || layer.Weights.Outputs != outputs || layer.Weights.Inputs != inputs)
            {
                throw new InvalidDataException(
                    $"{source}: int8 layer {index + 1} is layer {LayerNumbers[index]} with {layer.Weights.Inputs} inputs and {layer.Weights.Outputs} outputs, " +
                    $"but the network expects '{name}' (layer {number}) with {inputs} inputs and {outputs} outputs. The file was saved from a different quantized network.");
            }

            if (Mode != QuantizationMode.Static)
            {
                return;
            }

            if (QuantizationParameters.IsSymmetric(layer.Input.Range))
            {
                throw new InvalidDataException(
                    $"{source}: the static int8 layer '{name}' has the input range {layer.Input.Range}, but static layers take unsigned inputs (UInt8 or UInt7). The file is damaged or was not written by Quantized.Save.");
            }

            if (layer.DescribeAccumulatorOverflow(name) is string overflow)
            {
                throw new InvalidDataException(
                    $"{source}: {overflow}. Such a layer gives wrong outputs. Calibrate again on inputs scaled near 1, or use CreateDynamic, and save the result; " +
                    "files saved before Calibrate rejected such layers can contain one.");
            }
        }
    }

    /// <summary>
    /// Saves the parameters of a generated quantized network and loads them back, rejecting files
    /// from another architecture and files that are damaged.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Format version 1, all numbers little-endian. <c>A</c> is the byte length of the
    /// architecture text, <c>L</c> the number of int8 layers, and per layer <c>O</c> outputs and
    /// <c>I</c> inputs.
    /// </para>
    /// <list type="table">
    /// <listheader><term>Field (size in bytes)</term><description>Contents</description></listheader>
    /// <item><term>Magic (4)</term><description>ASCII <c>NGQF</c> (4E 47 51 46).</description></item>
    /// <item><term>Version (4)</term><description>uint32, equal to 1.</description></item>
    /// <item><term>A (4)</term><description>int32, from 0 to 65536, then the architecture text as UTF-8 (A bytes).</description></item>
    /// <item><term>Mode (4)</term><description>int32: 0 static, 1 dynamic.</description></item>
    /// <item><term>L (4)</term><description>int32, from 0 to 4096.</description></item>
    /// <item><term>Each layer</term><description>layer number, O and I (int32 each); input scale (float32), zero point and
    /// <see cref="QuantizedRange"/> (int32 each); weight scales (4O, float32); int32 bias (4O); fp32 bias (4O); weights (O·I, int8, [O, I] row-major).</description></item>
    /// <item><term>N (8)</term><description>int64 count of fp32 values, then N float32 values: the float network's parameters and then its buffers, or none when no layer runs in float.</description></item>
    /// <item><term>Checksum (32)</term><description>SHA-256 of every byte before it.</description></item>
    /// </list>
    /// <para>
    /// Loading reads the whole file and checks, in this order: magic, version, every length field
    /// against the bytes present (truncation), no trailing bytes, the checksum, then the values
    /// (scales finite and positive, weights in [−127, 127], the int32 bias equal to the one the
    /// fp32 bias gives) and the architecture. Every failure raises <see cref="InvalidDataException"/>
    /// naming the file and the expected and actual value. Nothing is returned unless every check
    /// passes, so a failed load cannot leave a network half-loaded.
    /// </para>
    /// </remarks>
    public static class QuantizedNetworkFile
    {
        /// <summary>The only format version this library writes and reads.</summary>
        public const uint Version = 1;

        /// <summary>Largest number of int8 layers a file may declare, so a corrupt count cannot make the reader loop for long.</summary>
        public const int MaxLayers = 4096;

        private const int MaxArchitectureBytes = 64 * 1024;
        private const int ChecksumBytes = 32;

        private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

        /// <summary>The four bytes every quantized network file starts with: ASCII "NGQF".</summary>
        public static ReadOnlySpan<byte> Magic => "NGQF"u8;

        /// <summary>Writes <paramref name="data"/> to <paramref name="path"/>, replacing an existing file only once the new one is complete.</summary>
        /// <exception cref="ArgumentException">The architecture text is longer than 65536 UTF-8 bytes, the layer lists differ in length, or <paramref name="path"/> is a directory or a link to one.</exception>
        /// <exception cref="DirectoryNotFoundException">The directory of <paramref name="path"/> does not exist.</exception>
        /// <exception cref="UnauthorizedAccessException">The existing file is read-only, or the directory is not writable.</exception>
        public static void Save(QuantizedNetworkData data, string path)
        {
            ArgumentNullException.ThrowIfNull(data);
            ArgumentException.ThrowIfNullOrEmpty(path);
            byte[] bytes = Encode(data);
            AtomicFile.Write(path, "quantized network file", "model.ngq", stream => stream.Write(bytes));
        }

        /// <summary>Writes <paramref name="data"/> to <paramref name="stream"/> at its current position. The stream stays open.</summary>
        /// <exception cref="ArgumentException">The stream is not writable, the architecture text is too long, or the layer lists differ in length.</exception>
        public static void Save(QuantizedNetworkData data, Stream stream)
        {
            ArgumentNullException.ThrowIfNull(data);
            ArgumentNullException.ThrowIfNull(stream);
            if (!stream.CanWrite)
            {
                throw new ArgumentException("The stream to save the quantized network to is not writable. Pass a stream opened for writing.", nameof(stream));
            }

            stream.Write(Encode(data));
        }

        /// <summary>Reads and verifies the file at <paramref name="path"/>.</summary>
        /// <param name="path">A file written by <see cref="Save(QuantizedNetworkData, string)"/>.</param>
        /// <param name="architecture">The architecture the file must have been saved from.</param>
        /// <exception cref="FileNotFoundException">No file exists at <paramref name="path"/>.</exception>
        /// <exception cref="ArgumentException"><paramref name="path"/> is a directory.</exception>
        /// <exception cref="InvalidDataException">The file is not a quantized network file, has another version, is truncated, corrupt or followed by extra bytes, or was saved from another architecture.</exception>
        public static QuantizedNetworkData Load(string path, string architecture)
        {
            ArgumentException.ThrowIfNullOrEmpty(path);
            ArgumentNullException.ThrowIfNull(architecture);
            string fullPath = Path.GetFullPath(path);
            if (Directory.Exists(fullPath))
            {
                throw new ArgumentException(
                    $"'{fullPath}' is a directory, but a quantized network file was expected. Pass the path of a file that Quantized.Save wrote.", nameof(path));
            }

            if (!File.Exists(fullPath))
            {
                throw new FileNotFoundException(
                    $"Quantized network file '{fullPath}' was not found. Check the path, or save the quantized network there first.", fullPath);
            }

            return Decode(File.ReadAllBytes(fullPath), architecture, $"Quantized network file '{fullPath}'");
        }

        /// <summary>Reads and verifies quantized network data from the current position of <paramref name="stream"/> to its end. The stream stays open.</summary>
        /// <exception cref="ArgumentException">The stream is not readable.</exception>
        /// <exception cref="InvalidDataException">As <see cref="Load(string, string)"/>.</exception>
        public static QuantizedNetworkData Load(Stream stream, string architecture)
        {
            ArgumentNullException.ThrowIfNull(stream);
            ArgumentNullException.ThrowIfNull(architecture);
            if (!stream.CanRead)
            {
                throw new ArgumentException("The stream to load the quantized network from is not readable. Pass a stream opened for reading.", nameof(stream));
            }

            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            return Decode(buffer.ToArray(), architecture, "The quantized network stream");
        }

        private static byte[] Encode(QuantizedNetworkData data)
        {
            if (data.LayerNumbers.Count != data.Layers.Count)
            {
                throw new ArgumentException(
                    $"The data has {data.Layers.Count} layers but {data.LayerNumbers.Count} layer numbers; give one number per layer.", nameof(data));
            }

            byte[] architecture = StrictUtf8.GetBytes(data.Architecture);
            if (architecture.Length > MaxArchitectureBytes)
            {
                throw new ArgumentException(
                    $"The architecture text is {architecture.Length} bytes of UTF-8, but quantized network files store at most {MaxArchitectureBytes}.", nameof(data));
            }

            var output = new MemoryStream();
            var writer = new BinaryWriter(output, StrictUtf8, leaveOpen: true);
            output.Write(Magic);
            writer.Write(Version);
            writer.Write(architecture.Length);
            writer.Write(architecture);
            writer.Write((int)data.Mode);
            writer.Write(data.Layers.Count);
            for (int index = 0; index < data.Layers.Count; index++)
            {
                QuantizedDense layer = data.Layers[index];
                QuantizedWeights weights = layer.Weights;
                writer.Write(data.LayerNumbers[index]);
                writer.Write(weights.Outputs);
                writer.Write(weights.Inputs);
                writer.Write(layer.Input.Scale);
                writer.Write(layer.Input.ZeroPoint);
                writer.Write((int)layer.Input.Range);
                foreach (float scale in weights.Scales)
                {
                    writer.Write(scale);
                }

                foreach (int bias in layer.Bias)
                {
                    writer.Write(bias);
                }

                foreach (float bias in layer.FloatBias)
                {
                    writer.Write(bias);
                }

                writer.Write(MemoryMarshal.AsBytes(weights.Values));
            }

            writer.Write((long)data.FloatParameters.Length);
            foreach (float value in data.FloatParameters)
            {
                writer.Write(value);
            }

            writer.Flush();
            output.Write(SHA256.HashData(output.GetBuffer().AsSpan(0, (int)output.Length)));
            return output.ToArray();
        }

        private static QuantizedNetworkData Decode(byte[] file, string expectedArchitecture, string source)
        {
            var reader = new Reader(file, source);
            // A file shorter than the magic whose bytes match it so far is a quantized network file cut short.
            int head = Math.Min(file.Length, Magic.Length);
            if (!file.AsSpan(0, head).SequenceEqual(Magic[..head]))
            {
                throw new InvalidDataException(
                    $"{source} is not a quantized network file: it starts with bytes {Convert.ToHexString(file, 0, head)}, but quantized network files start with 'NGQF' ({Convert.ToHexString(Magic)}). " +
                    "Pass a file written by the Save method of a generated Quantized class.");
            }

            if (file.Length < Magic.Length)
            {
                throw new InvalidDataException(
                    $"{source} is truncated: it ends after {file.Length} of the 4 magic bytes. Save the quantized network again.");
            }

            reader.Skip(Magic.Length);
            uint version = reader.UInt32("version");
            if (version != Version)
            {
                throw new InvalidDataException(
                    $"{source} has format version {version}, but this NetGen reads only version {Version}. Save the quantized network again with this NetGen version.");
            }

            int architectureLength = reader.Count("architecture length", MaxArchitectureBytes);
            ReadOnlySpan<byte> architectureBytes = reader.Bytes(architectureLength, "architecture text");
            int mode = reader.Int32("mode");
            int layerCount = reader.Count("layer count", MaxLayers);

            var raw = new List<RawLayer>(layerCount);
            for (int index = 0; index < layerCount; index++)
            {
                var layer = new RawLayer
                {
                    Number = reader.Int32("layer number"),
                    Outputs = reader.Count("outputs", int.MaxValue),
                    Inputs = reader.Count("inputs", int.MaxValue),
                    InputScale = reader.Single("input scale"),
                    InputZeroPoint = reader.Int32("input zero point"),
                    InputRange = reader.Int32("input range"),
                };
                layer.Scales = reader.Singles(layer.Outputs, "weight scales");
                layer.Bias = reader.Int32s(layer.Outputs, "int32 bias");
                layer.FloatBias = reader.Singles(layer.Outputs, "fp32 bias");
                layer.Values = reader.Bytes((long)layer.Outputs * layer.Inputs, "weights").ToArray();
                raw.Add(layer);
            }

            long floatCount = reader.Int64("fp32 parameter count");
            if (floatCount < 0 || floatCount > Array.MaxLength)
            {
                throw new InvalidDataException($"{source} declares {floatCount} fp32 parameters, but the count must lie in [0, {Array.MaxLength}]. The file is corrupt.");
            }

            float[] floatParameters = reader.Singles((int)floatCount, "fp32 parameters");
            int hashed = reader.Position;
            ReadOnlySpan<byte> checksum = reader.Bytes(ChecksumBytes, "SHA-256 checksum");
            if (reader.Position != file.Length)
            {
                throw new InvalidDataException(
                    $"{source} has {file.Length - reader.Position} bytes after its checksum, but the file must end there. The file is corrupt or was appended to.");
            }

            byte[] actual = SHA256.HashData(file.AsSpan(0, hashed));
            if (!checksum.SequenceEqual(actual))
            {
                throw new InvalidDataException(
                    $"{source} is corrupt: its SHA-256 checksum is {Convert.ToHexString(checksum)}, but its contents hash to {Convert.ToHexString(actual)}. Save the quantized network again.");
            }

            string architecture;
            try
            {
                architecture = StrictUtf8.GetString(architectureBytes);
            }
            catch (DecoderFallbackException exception)
            {
                throw new InvalidDataException($"{source} has an architecture text that is not valid UTF-8. The file is corrupt.", exception);
            }

            if (mode is not ((int)QuantizationMode.Static or (int)QuantizationMode.Dynamic))
            {
                throw new InvalidDataException($"{source} has quantization mode {mode}, but only 0 (static) and 1 (dynamic) exist. The file is corrupt.");
            }

            if (!string.Equals(architecture, expectedArchitecture, StringComparison.Ordinal))
            {
                throw new InvalidDataException(
                    $"{source} was saved from a different network declaration.{Environment.NewLine}" +
                    $"  architecture in the file:    {architecture}{Environment.NewLine}" +
                    $"  architecture of the network: {expectedArchitecture}{Environment.NewLine}" +
                    "Load it into the quantized class of the network it was saved from, or quantize this network again.");
            }

            var numbers = new int[layerCount];
            var layers = new QuantizedDense[layerCount];
            for (int index = 0; index < layerCount; index++)
            {
                numbers[index] = raw[index].Number;
                layers[index] = raw[index].Build(index, source);
            }

            return new QuantizedNetworkData(architecture, (QuantizationMode)mode, numbers, layers, floatParameters);
        }

        /// <summary>One layer's fields as read, before their values are checked.</summary>
        private sealed class RawLayer
        {
            public int Number;
            public int Outputs;
            public int Inputs;
            public float InputScale;
            public int InputZeroPoint;
            public int InputRange;
            public float[] Scales = [];
            public int[] Bias = [];
            public float[] FloatBias = [];
            public byte[] Values = [];

            public QuantizedDense Build(int index, string source)
            {
                string where = $"{source}, int8 layer {index + 1} (layer {Number})";
                if (InputRange is < (int)QuantizedRange.UInt8 or > (int)QuantizedRange.Int8Narrow)
                {
                    throw new InvalidDataException($"{where}: the input range is {InputRange}, which is not a QuantizedRange value. The file is corrupt.");
                }

                QuantizedDense layer;
                try
                {
                    var input = new QuantizationParameters(InputScale, InputZeroPoint, (QuantizedRange)InputRange);
                    var weights = new QuantizedWeights(MemoryMarshal.Cast<byte, sbyte>(Values), Scales, Outputs, Inputs);
                    layer = new QuantizedDense(weights, FloatBias, input);
                }
                catch (ArgumentException exception)
                {
                    throw new InvalidDataException($"{where} holds an invalid value: {exception.Message}", exception);
                }

                for (int o = 0; o < Outputs; o++)
                {
                    if (layer.Bias[o] != Bias[o])
                    {
                        throw new InvalidDataException(
                            $"{where}: the int32 bias of output {o} is {Bias[o]}, but its fp32 bias {FloatBias[o].ToString("R", CultureInfo.InvariantCulture)} gives {layer.Bias[o]}. The file is corrupt.");
                    }
                }

                return layer;
            }
        }

        /// <summary>Reads little-endian fields and reports a field that runs past the end as truncation.</summary>
        private ref struct Reader
        {
            private readonly ReadOnlySpan<byte> _file;
            private readonly string _source;

            public Reader(ReadOnlySpan<byte> file, string source)
            {
                _file = file;
                _source = source;
                Position = 0;
            }

            public int Position { get; private set; }

            public void Skip(int count) => Bytes(count, "header");

            public ReadOnlySpan<byte> Bytes(long count, string field)
            {
                long remaining = _file.Length - Position;
                if (count > remaining)
                {
                    throw new InvalidDataException(
                        $"{_source} is truncated: reading the {field} at byte {Position} needs {count} bytes, but only {remaining} remain. Save the quantized network again.");
                }

                ReadOnlySpan<byte> bytes = _file.Slice(Position, (int)count);
                Position += (int)count;
                return bytes;
            }

            public int Int32(string field) => BinaryPrimitives.ReadInt32LittleEndian(Bytes(4, field));

            public uint UInt32(string field) => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4, field));

            public long Int64(string field) => BinaryPrimitives.ReadInt64LittleEndian(Bytes(8, field));

            public float Single(string field) => BinaryPrimitives.ReadSingleLittleEndian(Bytes(4, field));

            public int Count(string field, int maximum)
            {
                int position = Position;
                int value = Int32(field);
                if (value < 0 || value > maximum)
                {
                    throw new InvalidDataException(
                        $"{_source} has {field} {value} at byte {position}, but it must lie in [0, {maximum}]. The file is corrupt.");
                }

                return value;
            }

            public float[] Singles(int count, string field)
            {
                ReadOnlySpan<byte> bytes = Bytes(4L * count, field);
                var values = new float[count];
                for (int k = 0; k < count; k++)
                {
                    values[k] = BinaryPrimitives.ReadSingleLittleEndian(bytes.Slice(4 * k));
                }

                return values;
            }

            public int[] Int32s(int count, string field)
            {
                ReadOnlySpan<byte> bytes = Bytes(4L * count, field);
                var values = new int[count];
                for (int k = 0; k < count; k++)
                {
                    values[k] = BinaryPrimitives.ReadInt32LittleEndian(bytes.Slice(4 * k));
                }

                return values;
            }
        }
    }
}
