using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NetGen
{
    /// <summary>
    /// A zeroed float buffer whose first element sits at a 64-byte boundary, the size of an x86
    /// cache line and of a 512-bit vector.
    /// </summary>
    /// <remarks>
    /// A vector load that straddles two cache lines costs about as much as two loads, and the
    /// feature-major sparse kernel is bound by its loads. Its input and output rows are
    /// <c>batch</c> floats long, so in a buffer of this type every row starts on a cache line when
    /// the batch is a multiple of 16. On the Zen 5 machine described in docs/sparsity.md, that made
    /// the 784×256 layer at batch 128 about 1.5 times faster than with the arbitrary alignment of
    /// a float[]. The storage is a pinned array on the pinned object heap, so the garbage collector
    /// never moves it and the alignment holds for the buffer's lifetime.
    /// </remarks>
    public sealed class AlignedBuffer
    {
        /// <summary>Alignment of the first element, in bytes.</summary>
        public const int AlignmentBytes = 64;

        private const int AlignmentFloats = AlignmentBytes / sizeof(float);

        private readonly float[] _storage;
        private readonly int _offset;

        /// <summary>Largest length of a buffer: <see cref="Array.MaxLength"/> less the 15 floats that alignment may skip.</summary>
        public static int MaxLength => Array.MaxLength - (AlignmentFloats - 1);

        /// <summary>Allocates a buffer of <paramref name="length"/> zeros.</summary>
        /// <param name="length">Number of floats, from 0 to <see cref="MaxLength"/>.</param>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative or too large for one array.</exception>
        public AlignedBuffer(long length)
        {
            if (length < 0 || length > MaxLength)
            {
                throw new ArgumentOutOfRangeException(nameof(length), length,
                    $"The length must be in [0, {MaxLength}] floats. Split the data over several buffers.");
            }

            _storage = GC.AllocateArray<float>((int)length + AlignmentFloats - 1, pinned: true);
            _offset = AlignmentOffset(_storage);
            Length = (int)length;
        }

        /// <summary>Number of floats.</summary>
        public int Length { get; }

        /// <summary>The floats, starting at a 64-byte boundary.</summary>
        public Span<float> Span => MemoryMarshal.CreateSpan(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_storage), _offset), Length);

        /// <summary>Returns the floats before the first 64-byte boundary of a pinned array.</summary>
        private static unsafe int AlignmentOffset(float[] pinned)
        {
            nuint address = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));
            int misalignment = (int)(address % AlignmentBytes);
            return (AlignmentBytes - misalignment) % AlignmentBytes / sizeof(float);
        }
    }
}
