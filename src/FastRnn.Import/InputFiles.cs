namespace FastRnn.Import;

/// <summary>Checks a path before a reader opens it, so a directory is named as one rather than as "access denied".</summary>
internal static class InputFiles
{
    /// <summary>Throws <see cref="ImportException"/> when <paramref name="path"/> is a directory.</summary>
    public static void RequireFile(string path)
    {
        if (Directory.Exists(path))
            throw ImportErrors.UnsupportedFile(path, "is a directory, not a file");
    }
}
