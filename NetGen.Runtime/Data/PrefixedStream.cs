using System;
using System.IO;

namespace NetGen.Data
{
    /// <summary>
    /// A read-only, forward-only stream that returns a few bytes already consumed from an
    /// unseekable stream and then the rest of that stream, so a format can be detected by peeking.
    /// Disposing it leaves the inner stream open.
    /// </summary>
    internal sealed class PrefixedStream : Stream
    {
        private readonly byte[] _prefix;
        private readonly Stream _inner;
        private int _prefixPosition;

        public PrefixedStream(byte[] prefix, Stream inner)
        {
            _prefix = prefix;
            _inner = inner;
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int remainingPrefix = _prefix.Length - _prefixPosition;
            if (remainingPrefix == 0)
            {
                return _inner.Read(buffer);
            }

            int copied = Math.Min(remainingPrefix, buffer.Length);
            _prefix.AsSpan(_prefixPosition, copied).CopyTo(buffer);
            _prefixPosition += copied;
            return copied;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
