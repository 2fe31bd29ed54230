using System;
using System.IO;

namespace NetGen
{
    /// <summary>
    /// Saves a file so that an interrupted save leaves either the old file or the complete new one:
    /// it writes a hidden temporary file in the target's folder, flushes it to disk, and renames it
    /// over the target. Weight files and quantized network files save through it.
    /// </summary>
    /// <remarks>
    /// A symbolic link is followed to its final target, which is replaced and the link kept. The
    /// replacement keeps the Unix permission bits of the file it replaces, but as a new file it has
    /// this process's owner and group, and hard links to the old file keep the old content. A
    /// read-only target is rejected rather than replaced. NOTE: .NET does not tell a regular file from a device or a
    /// FIFO, so a path naming one, such as /dev/null, is replaced by a regular file when the process
    /// may write to its folder.
    /// </remarks>
    internal static class AtomicFile
    {
        /// <summary>Writes the file at <paramref name="path"/> with <paramref name="write"/>, which gets a stream at the start of an empty file.</summary>
        /// <param name="path">The target path, relative or absolute.</param>
        /// <param name="kind">What the file is, for messages, such as "weight file".</param>
        /// <param name="exampleName">A file name for the message when <paramref name="path"/> is a folder, such as "model.ngw".</param>
        /// <param name="write">Writes the content; the stream is closed afterwards.</param>
        /// <exception cref="ArgumentException"><paramref name="path"/> is a folder or a link to one.</exception>
        /// <exception cref="DirectoryNotFoundException">The folder of the target does not exist.</exception>
        /// <exception cref="UnauthorizedAccessException">The target is read-only, or its folder is not writable.</exception>
        public static void Write(string path, string kind, string exampleName, Action<Stream> write)
        {
            string fullPath = Path.GetFullPath(path);
            string target = new FileInfo(fullPath).LinkTarget is null
                ? fullPath
                : File.ResolveLinkTarget(fullPath, returnFinalTarget: true)?.FullName ?? fullPath;
            if (Directory.Exists(target))
            {
                throw new ArgumentException(
                    $"Cannot save {kind} '{fullPath}' because it is a directory. Pass the path of a file, for example '{Path.Combine(fullPath, exampleName)}'.", nameof(path));
            }

            string directory = Path.GetDirectoryName(target) ?? target;
            if (!Directory.Exists(directory))
            {
                throw new DirectoryNotFoundException(
                    $"Cannot save {kind} '{fullPath}' because its directory '{directory}' does not exist. Create the directory first.");
            }

            var existing = new FileInfo(target);
            if (existing.Exists && existing.Attributes.HasFlag(FileAttributes.ReadOnly))
            {
                throw new UnauthorizedAccessException(
                    $"Cannot save {kind} '{fullPath}' because the existing file '{target}' is read-only. Make it writable or save to another path.");
            }

            string temporaryPath = Path.Combine(directory, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.tmp");
            FileStream stream = CreateTemporary(temporaryPath, fullPath, directory, kind);
            try
            {
                using (stream)
                {
                    write(stream);
                    stream.Flush(flushToDisk: true);
                }

                if (existing.Exists && !OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(temporaryPath, existing.UnixFileMode);
                }

                Replace(temporaryPath, target, fullPath, directory, kind);
            }
            catch
            {
                DeleteTemporaryFile(temporaryPath);
                throw;
            }
        }

        private static FileStream CreateTemporary(string temporaryPath, string fullPath, string directory, string kind)
        {
            try
            {
                return new FileStream(temporaryPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 64 * 1024);
            }
            catch (UnauthorizedAccessException exception)
            {
                throw new UnauthorizedAccessException(
                    $"Cannot save {kind} '{fullPath}' because the folder '{directory}' is not writable. Save to a writable folder or change the folder's permissions.", exception);
            }
        }

        private static void Replace(string temporaryPath, string target, string fullPath, string directory, string kind)
        {
            try
            {
                File.Move(temporaryPath, target, overwrite: true);
            }
            catch (UnauthorizedAccessException exception)
            {
                // For example a folder with the sticky bit, where only a file's owner may replace it.
                throw new UnauthorizedAccessException(
                    $"Cannot save {kind} '{fullPath}' because this process may not replace '{target}' in the folder '{directory}'. Save to another path or ask the file's owner.", exception);
            }
        }

        private static void DeleteTemporaryFile(string temporaryPath)
        {
            try
            {
                File.Delete(temporaryPath);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // The error that interrupted the save matters more to the caller than a leftover
                // temporary file, so this one is dropped.
            }
        }
    }
}
