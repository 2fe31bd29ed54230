using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;

namespace NetGen.Benchmarks;

/// <summary>
/// Writes Protocol Buffers wire format by hand: varint and length-delimited fields, enough to
/// encode an ONNX model without a protobuf code generator.
/// </summary>
/// <remarks>
/// Each field is a key (field number shifted left by 3, or'ed with the wire type) followed by its
/// value. Nested messages are written into their own writer first, because the length prefix
/// must precede the bytes.
/// </remarks>
internal sealed class ProtobufWriter
{
    private const int VarintWireType = 0;
    private const int LengthDelimitedWireType = 2;

    private readonly List<byte> _bytes = [];

    /// <summary>Writes an int64, int32 or enum field.</summary>
    public void WriteInt64(int field, long value)
    {
        WriteKey(field, VarintWireType);
        WriteVarint(unchecked((ulong)value));
    }

    /// <summary>Writes a UTF-8 string field.</summary>
    public void WriteString(int field, string value) => WriteBytes(field, Encoding.UTF8.GetBytes(value));

    /// <summary>Writes a bytes field.</summary>
    public void WriteBytes(int field, ReadOnlySpan<byte> value)
    {
        WriteKey(field, LengthDelimitedWireType);
        WriteVarint((ulong)value.Length);
        foreach (byte b in value)
        {
            _bytes.Add(b);
        }
    }

    /// <summary>Writes floats as a bytes field of little-endian IEEE 754 values (TensorProto.raw_data).</summary>
    public void WriteFloatsAsBytes(int field, ReadOnlySpan<float> values)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("raw_data is little-endian; this writer copies memory as it is, so it needs a little-endian machine.");
        }

        WriteBytes(field, MemoryMarshal.AsBytes(values));
    }

    /// <summary>Writes a nested message field whose content <paramref name="writeContent"/> produces.</summary>
    public void WriteMessage(int field, Action<ProtobufWriter> writeContent)
    {
        var nested = new ProtobufWriter();
        writeContent(nested);
        WriteBytes(field, CollectionsMarshal.AsSpan(nested._bytes));
    }

    /// <summary>Returns the bytes written so far.</summary>
    public byte[] ToArray() => [.. _bytes];

    private void WriteKey(int field, int wireType) => WriteVarint((ulong)((field << 3) | wireType));

    private void WriteVarint(ulong value)
    {
        // Seven bits per byte, least significant group first; the high bit says another byte follows.
        while (value >= 0x80)
        {
            _bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }

        _bytes.Add((byte)value);
    }
}
