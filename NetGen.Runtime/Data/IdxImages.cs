using System;

namespace NetGen.Data
{
    /// <summary>
    /// Grey-level images read from an IDX file: <see cref="Count"/> images of
    /// <see cref="Rows"/> × <see cref="Columns"/> unsigned bytes, row-major, one after another.
    /// </summary>
    public sealed class IdxImages
    {
        private readonly byte[] _pixels;

        /// <summary>Wraps <paramref name="pixels"/> without copying it.</summary>
        /// <param name="count">Number of images; must be positive.</param>
        /// <param name="rows">Height of each image in pixels; must be positive.</param>
        /// <param name="columns">Width of each image in pixels; must be positive.</param>
        /// <param name="pixels">Exactly <paramref name="count"/> × <paramref name="rows"/> × <paramref name="columns"/> bytes.</param>
        /// <exception cref="ArgumentOutOfRangeException">A size is zero or negative.</exception>
        /// <exception cref="ArgumentException">The pixel array has another length.</exception>
        public IdxImages(int count, int rows, int columns, byte[] pixels)
        {
            const string advice = "Pass the image count and size from the IDX file's header, each at least 1.";
            ArgumentRules.RequireAtLeast(count, 1, advice);
            ArgumentRules.RequireAtLeast(rows, 1, advice);
            ArgumentRules.RequireAtLeast(columns, 1, advice);
            ArgumentNullException.ThrowIfNull(pixels);

            long expectedLength = (long)count * rows * columns;
            if (pixels.LongLength != expectedLength)
            {
                throw new ArgumentException(
                    $"{count} images of {rows} × {columns} pixels need {expectedLength} bytes, but the pixel array has {pixels.LongLength}.",
                    nameof(pixels));
            }

            Count = count;
            Rows = rows;
            Columns = columns;
            _pixels = pixels;
        }

        /// <summary>Number of images.</summary>
        public int Count { get; }

        /// <summary>Height of each image in pixels.</summary>
        public int Rows { get; }

        /// <summary>Width of each image in pixels.</summary>
        public int Columns { get; }

        /// <summary>Number of pixels in one image: <see cref="Rows"/> × <see cref="Columns"/>.</summary>
        public int PixelsPerImage => Rows * Columns;

        /// <summary>All pixels, image after image, each image row-major; 0 is the background.</summary>
        public ReadOnlySpan<byte> Pixels => _pixels;

        /// <summary>Returns the <see cref="PixelsPerImage"/> pixels of one image.</summary>
        /// <param name="index">Image index in [0, <see cref="Count"/>).</param>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside [0, <see cref="Count"/>).</exception>
        public ReadOnlySpan<byte> Image(int index)
        {
            if ((uint)index >= (uint)Count)
            {
                throw new ArgumentOutOfRangeException(nameof(index), index,
                    $"The image index must be in [0, {Count}).");
            }

            return _pixels.AsSpan(index * PixelsPerImage, PixelsPerImage);
        }
    }
}
