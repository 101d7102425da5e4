using System.IO.Compression;

namespace FastRnn.Import;

/// <summary>
/// Reads the arrays of a NumPy .npz archive (what <c>np.savez</c> and <c>np.savez_compressed</c> write: a zip of
/// .npy files, one per array, named after it).
/// </summary>
public static class NpzFile
{
    /// <summary>
    /// Reads every array of the archive as float32, in archive order, named as in <c>np.load(path).files</c> (the entry
    /// name without <c>.npy</c>). Arrays must be little-endian and C-order float32, float64 (rounded to nearest) or
    /// float16.
    /// </summary>
    /// <param name="path">The .npz file.</param>
    /// <param name="progress">Receives the fraction of arrays read, 0 to 1.</param>
    /// <exception cref="ImportException">The file is not a zip archive, an entry is not a .npy array or is truncated,
    /// or an array is big-endian, Fortran-order, an object array or not floating point; the message names the array.</exception>
    public static IReadOnlyList<KeyValuePair<string, TensorData>> Read(string path, IProgress<double>? progress = null)
        => ReadSelected(path, _ => true, progress).Arrays;

    /// <summary>Reads the arrays whose names <paramref name="include"/> accepts; also returns every array name in the archive.</summary>
    internal static (IReadOnlyList<KeyValuePair<string, TensorData>> Arrays, List<string> Names) ReadSelected(string path, Func<string, bool> include, IProgress<double>? progress)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        InputFiles.RequireFile(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        ZipArchive archive;
        IReadOnlyList<ZipArchiveEntry> entries;
        try
        {
            archive = new ZipArchive(stream, ZipArchiveMode.Read);
        }
        catch (InvalidDataException e)
        {
            throw NotAZip(path, e);
        }
        using (archive)
        {
            try
            {
                // The central directory is read on first use of Entries, not by the constructor.
                entries = archive.Entries;
            }
            catch (InvalidDataException e)
            {
                throw NotAZip(path, e);
            }
            var result = new List<KeyValuePair<string, TensorData>>(entries.Count);
            var names = new List<string>(entries.Count);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (ZipArchiveEntry entry in entries)
            {
                if (!entry.FullName.EndsWith(".npy", StringComparison.Ordinal))
                    throw ImportErrors.Malformed(path, $"entry '{entry.FullName}'", "is not a .npy array; an .npz holds only <name>.npy entries");
                string name = entry.FullName[..^4];
                if (!seen.Add(name))
                    throw ImportErrors.DuplicateTensor(path, name);
                names.Add(name);
                if (include(name))
                    result.Add(new(name, ReadArray(entry, path, $"array '{name}'")));
                progress?.Report((double)names.Count / entries.Count);
            }
            return (result, names);
        }
    }

    private static ImportException NotAZip(string path, InvalidDataException e)
        => ImportErrors.Malformed(path, "archive", $"is not a valid zip archive (an .npz is one): {e.Message}", e);

    private static TensorData ReadArray(ZipArchiveEntry entry, string path, string part)
    {
        try
        {
            using Stream data = entry.Open();
            NpyHeader header = NpyFormat.ReadHeader(data, path, part);
            FloatFormat format = NpyFormat.CheckFloat(header, path, part, float32Only: false);
            // The entry's declared size is checked up front; the bytes are still counted as they decompress.
            return NpyFormat.ReadData(data, header, format, path, part, entry.Length - header.DataOffset, sizeIsFileLength: false);
        }
        catch (InvalidDataException e)
        {
            throw ImportErrors.Malformed(path, part, $"cannot be decompressed: {e.Message}", e);
        }
    }
}
