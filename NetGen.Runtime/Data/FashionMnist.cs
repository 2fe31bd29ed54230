using System;
using System.Collections.Immutable;
using System.IO;
using System.Numerics.Tensors;
using System.Security.Cryptography;

namespace NetGen.Data
{
    /// <summary>
    /// Loads Fashion-MNIST (Zalando Research, MIT licence): 60,000 training and 10,000 test
    /// images of clothing, 28 × 28 grey levels, in 10 classes, from the four original gzip IDX files.
    /// </summary>
    public static class FashionMnist
    {
        /// <summary>Height and width of every image in pixels.</summary>
        public const int ImageSize = 28;

        /// <summary>Number of inputs per sample: one per pixel, 28 × 28.</summary>
        public const int InputSize = ImageSize * ImageSize;

        /// <summary>Number of classes, and so the length of each one-hot target.</summary>
        public const int ClassCount = 10;

        /// <summary>Name of the training images file.</summary>
        public const string TrainImagesFileName = "train-images-idx3-ubyte.gz";

        /// <summary>Name of the training labels file.</summary>
        public const string TrainLabelsFileName = "train-labels-idx1-ubyte.gz";

        /// <summary>Name of the test images file.</summary>
        public const string TestImagesFileName = "t10k-images-idx3-ubyte.gz";

        /// <summary>Name of the test labels file.</summary>
        public const string TestLabelsFileName = "t10k-labels-idx1-ubyte.gz";

        /// <summary>Folder, relative to the repository root, that <see cref="FindDataDirectory"/> looks for.</summary>
        public const string RelativeDataDirectory = "data/fashion-mnist";

        // SHA-256 of the four original files that Zalando Research distributes (its README lists MD5 sums).
        private const string TrainImagesSha256 = "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7";
        private const string TrainLabelsSha256 = "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056";
        private const string TestImagesSha256 = "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa";
        private const string TestLabelsSha256 = "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05";

        private static readonly string[] FileNames =
            [TrainImagesFileName, TrainLabelsFileName, TestImagesFileName, TestLabelsFileName];

        private static readonly string[] Sha256Hashes =
            [TrainImagesSha256, TrainLabelsSha256, TestImagesSha256, TestLabelsSha256];

        /// <summary>Class names, indexed by label: 0 is "T-shirt/top", 9 is "Ankle boot".</summary>
        public static ImmutableArray<string> ClassNames { get; } =
            ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

        /// <summary>
        /// Loads the training and test sets. Each input is an image's 784 pixels, row by row,
        /// scaled to [0, 1] as value / 255. Each target is a one-hot vector of 10 classes, and
        /// the labels are kept.
        /// </summary>
        /// <param name="directory">Folder that contains the four original .gz files.</param>
        /// <param name="verifyChecksums">
        /// Whether to check each file's SHA-256 against the original's first. Pass false only to
        /// load a modified copy in the same format.
        /// </param>
        /// <returns>The 60,000 training and 10,000 test samples (other counts if checksums are not verified).</returns>
        /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
        /// <exception cref="FileNotFoundException">One of the four files is missing.</exception>
        /// <exception cref="InvalidDataException">
        /// A checksum differs, a file is not valid IDX or gzip, images are not 28 × 28, a label is
        /// not below 10, or images and labels differ in number.
        /// </exception>
        public static (Dataset Train, Dataset Test) Load(string directory, bool verifyChecksums = true)
        {
            ArgumentException.ThrowIfNullOrEmpty(directory);
            if (!Directory.Exists(directory))
            {
                string problem = File.Exists(directory) ? "is a file, not a folder" : "was not found";
                throw new DirectoryNotFoundException(
                    $"The Fashion-MNIST directory '{Path.GetFullPath(directory)}' {problem}. Pass the folder that contains the four .gz files. FashionMnist.FindDataDirectory() locates the copy under {RelativeDataDirectory}.");
            }

            foreach (string fileName in FileNames)
            {
                string path = Path.Combine(directory, fileName);
                if (!File.Exists(path))
                {
                    throw new FileNotFoundException(
                        $"The Fashion-MNIST file '{Path.GetFullPath(path)}' was not found. Place the four original files ({string.Join(", ", FileNames)}) in that folder.",
                        path);
                }
            }

            // Verify all four files before decoding any, so a bad copy fails in a fraction of a second.
            byte[][] contents = new byte[FileNames.Length][];
            for (int i = 0; i < FileNames.Length; i++)
            {
                string path = Path.Combine(directory, FileNames[i]);
                contents[i] = File.ReadAllBytes(path);
                if (verifyChecksums)
                {
                    VerifyChecksum(path, contents[i], Sha256Hashes[i]);
                }
            }

            Dataset train = LoadSplit(directory, TrainImagesFileName, contents[0], TrainLabelsFileName, contents[1]);
            Dataset test = LoadSplit(directory, TestImagesFileName, contents[2], TestLabelsFileName, contents[3]);
            return (train, test);
        }

        /// <summary>
        /// Finds the folder <c>data/fashion-mnist</c> that contains the four files, searching from
        /// <see cref="AppContext.BaseDirectory"/> and then the current directory up to the root,
        /// so that programs and tests find the repository's copy from any output folder.
        /// </summary>
        /// <returns>The full path of the first such folder, or null if there is none.</returns>
        public static string? FindDataDirectory()
        {
            foreach (string start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            {
                for (DirectoryInfo? folder = new(start); folder is not null; folder = folder.Parent)
                {
                    string candidate = Path.GetFullPath(Path.Combine(folder.FullName, RelativeDataDirectory));
                    if (ContainsAllFiles(candidate))
                    {
                        return candidate;
                    }
                }
            }

            return null;
        }

        private static bool ContainsAllFiles(string directory)
        {
            foreach (string fileName in FileNames)
            {
                if (!File.Exists(Path.Combine(directory, fileName)))
                {
                    return false;
                }
            }

            return true;
        }

        private static Dataset LoadSplit(string directory, string imagesFileName, byte[] imagesFile, string labelsFileName, byte[] labelsFile)
        {
            string imagesPath = Path.Combine(directory, imagesFileName);
            string labelsPath = Path.Combine(directory, labelsFileName);
            using var imagesStream = new MemoryStream(imagesFile, writable: false);
            using var labelsStream = new MemoryStream(labelsFile, writable: false);
            IdxImages images = IdxReader.ReadImages(imagesStream, imagesPath);
            byte[] labels = IdxReader.ReadLabels(labelsStream, labelsPath);

            if (images.Rows != ImageSize || images.Columns != ImageSize)
            {
                throw new InvalidDataException(
                    $"'{imagesPath}' contains images of {images.Rows} × {images.Columns} pixels, but Fashion-MNIST images are {ImageSize} × {ImageSize}. Check that the folder contains Fashion-MNIST files.");
            }

            if (images.Count != labels.Length)
            {
                throw new InvalidDataException(
                    $"'{imagesPath}' contains {images.Count} images, but '{labelsPath}' contains {labels.Length} labels. The two files must describe the same samples, so replace both with matching originals.");
            }

            int invalid = labels.AsSpan().IndexOfAnyExceptInRange((byte)0, (byte)(ClassCount - 1));
            if (invalid >= 0)
            {
                throw new InvalidDataException(
                    $"'{labelsPath}' gives sample {invalid} the label {labels[invalid]}, but Fashion-MNIST labels are class indices in [0, {ClassCount - 1}]. Check that the folder contains Fashion-MNIST files.");
            }

            var inputs = new float[images.Pixels.Length];
            TensorPrimitives.ConvertTruncating(images.Pixels, inputs.AsSpan());
            TensorPrimitives.Divide(inputs, 255f, inputs);
            return Dataset.ForClassification(inputs, InputSize, labels, ClassCount);
        }

        private static void VerifyChecksum(string path, byte[] contents, string expectedSha256)
        {
            string actualSha256 = Convert.ToHexString(SHA256.HashData(contents)).ToLowerInvariant();
            if (actualSha256 != expectedSha256)
            {
                throw new InvalidDataException(
                    $"'{path}' has SHA-256 {actualSha256}, but the original Fashion-MNIST file has {expectedSha256}. The file is corrupt or not the original. Replace it with the original, or pass verifyChecksums: false to load a modified copy.");
            }
        }
    }
}
