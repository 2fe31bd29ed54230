using System;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Text;

namespace NetGen.Tests;

/// <summary>
/// Builds weight files byte by byte from the layout in docs/weight-files.md, without any product
/// code, so that tests check WeightFile against the documented format rather than against itself.
/// </summary>
internal static class HandWrittenWeightFile
{
    /// <summary>Builds a valid version 1 file.</summary>
    public static byte[] Build(string architecture, float[] values) =>
        Build(1, Encoding.UTF8.GetBytes(architecture), values.Length, values);

    /// <summary>
    /// Builds a file with the given header fields and a correct SHA-256, even where the fields
    /// contradict each other, so that tests can reach checks that come after the checksum.
    /// </summary>
    public static byte[] Build(uint version, byte[] architecture, long parameterCount, float[] values) =>
        Build(version, architecture.Length, architecture, parameterCount, values);

    /// <summary>Builds a file whose architecture length field may disagree with the text.</summary>
    public static byte[] Build(uint version, int architectureLength, byte[] architecture, long parameterCount, float[] values)
    {
        var bytes = new List<byte> { (byte)'N', (byte)'G', (byte)'W', (byte)'F' };
        AppendLittleEndian(bytes, version, 4);
        AppendLittleEndian(bytes, architectureLength, 4);
        bytes.AddRange(architecture);
        AppendLittleEndian(bytes, parameterCount, 8);
        foreach (float value in values)
        {
            AppendLittleEndian(bytes, BitConverter.SingleToInt32Bits(value), 4);
        }

        bytes.AddRange(SHA256.HashData(bytes.ToArray()));
        return bytes.ToArray();
    }

    /// <summary>Writes <paramref name="file"/> to a new file named <paramref name="name"/> in <paramref name="directory"/>.</summary>
    public static string WriteTo(string directory, string name, byte[] file)
    {
        string path = Path.Combine(directory, name);
        File.WriteAllBytes(path, file);
        return path;
    }

    private static void AppendLittleEndian(List<byte> bytes, long value, int size)
    {
        for (int i = 0; i < size; i++)
        {
            bytes.Add((byte)(value >> (8 * i)));
        }
    }
}
