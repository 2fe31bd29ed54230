using System;
using System.Buffers.Binary;
using System.Text;

namespace NetGen
{
    /// <summary>
    /// Constants of the weight file format and the byte-order conversion of its float32 block.
    /// <see cref="WeightFile"/> documents the layout.
    /// </summary>
    internal static class WeightFileFormat
    {
        /// <summary>The four bytes every weight file starts with: ASCII "NGWF".</summary>
        public static ReadOnlySpan<byte> Magic => "NGWF"u8;

        /// <summary>The only format version this library writes and reads.</summary>
        public const uint Version = 1;

        /// <summary>
        /// Maximum length of the UTF-8 architecture text in bytes. Generated architectures use a
        /// few dozen bytes per layer, so 64 KiB leaves room for thousands of layers while a corrupt
        /// length field cannot make a reader allocate gigabytes.
        /// </summary>
        public const int MaxArchitectureBytes = 64 * 1024;

        /// <summary>UTF-8 without a byte order mark that throws on lone surrogates and invalid bytes instead of replacing them.</summary>
        public static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

        /// <summary>Length of the SHA-256 checksum at the end of the file.</summary>
        public const int ChecksumBytes = 32;

        /// <summary>Bytes before the architecture text: magic, version and architecture length.</summary>
        public const int PrefixBytes = 12;

        /// <summary>Floats converted or hashed per chunk, so that no span exceeds 64 KiB.</summary>
        public const int ChunkFloats = 16 * 1024;

        /// <summary>Returns the offset of the float32 block for an architecture of the given length.</summary>
        public static long ValuesOffset(int architectureBytes) => PrefixBytes + (long)architectureBytes + sizeof(long);

        /// <summary>
        /// Returns the total file length for the given architecture length and parameter count, or
        /// <see cref="long.MaxValue"/> when a corrupt count makes the length overflow.
        /// </summary>
        public static long FileLength(int architectureBytes, long parameterCount)
        {
            long fixedBytes = ValuesOffset(architectureBytes) + ChecksumBytes;
            if (parameterCount > (long.MaxValue - fixedBytes) / sizeof(float))
            {
                return long.MaxValue;
            }

            return fixedBytes + parameterCount * sizeof(float);
        }

        /// <summary>
        /// Writes <paramref name="values"/> as little-endian float32 bit patterns, one element at a
        /// time. Big-endian hosts take this path, while little-endian hosts write the memory as is.
        /// NaN payloads survive because the bits are copied as integers, never as floats.
        /// </summary>
        public static void WriteLittleEndian(ReadOnlySpan<float> values, Span<byte> destination)
        {
            for (int i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteInt32LittleEndian(destination.Slice(i * sizeof(float)), BitConverter.SingleToInt32Bits(values[i]));
            }
        }

        /// <summary>
        /// Reads little-endian float32 bit patterns into <paramref name="values"/>, one element at a
        /// time: the counterpart of <see cref="WriteLittleEndian"/> for big-endian hosts.
        /// </summary>
        public static void ReadLittleEndian(ReadOnlySpan<byte> source, Span<float> values)
        {
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadInt32LittleEndian(source.Slice(i * sizeof(float))));
            }
        }
    }
}
