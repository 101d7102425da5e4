namespace FastRnn.Import;

/// <summary>
/// Turns an external data <c>location</c> from a model file into the path of a file inside the model's directory, or
/// refuses it. The model is untrusted input, so the location may only name a file in that directory or below it.
/// </summary>
/// <remarks>
/// <para>Refused from the text alone: an empty location, control characters (NUL included), an absolute path
/// (a leading <c>/</c> or <c>\</c>, a drive letter, a UNC path), any <c>..</c> segment (even one that would come back
/// inside: onnx writes plain names, and a rule with no exceptions is easy to check), and on Windows a <c>:</c>, which
/// names an alternate data stream. Both <c>/</c> and <c>\</c> separate segments, so a location written on either
/// system reads on the other.</para>
/// <para>Symbolic links are followed only while they stay inside the model's directory: the file's real path (every
/// link on the way resolved) must lie under the directory's real path. A link to a file elsewhere (a shared cache,
/// <c>/etc/passwd</c>) is refused; copy the file next to the model instead. The check and the open are separate
/// steps, so a concurrent writer of the model's directory could still swap a link between them: the model's
/// directory is trusted not to change while it is read, its files' contents are not.</para>
/// </remarks>
internal static class OnnxExternalPath
{
    // Linux's limit on links followed while resolving one path (ELOOP).
    private const int MaxLinks = 40;

    /// <summary>
    /// The real path of the file <paramref name="location"/> names in <paramref name="directory"/>, whose own real
    /// path (from <see cref="RealPath(string)"/>) is <paramref name="realDirectory"/>.
    /// </summary>
    public static string Resolve(string source, string tensor, string directory, string realDirectory, string location)
    {
        string shown = OnnxErrors.Quote(location);
        ImportException Refuse(string why) => OnnxErrors.ExternalData(source, tensor, "location", $"{shown} {why}");

        if (location.Length == 0)
            throw Refuse("is empty");
        foreach (char c in location)
        {
            if (char.IsControl(c))
                throw Refuse($"contains the control character U+{(int)c:X4}");
        }
        bool drive = location.Length >= 2 && char.IsAsciiLetter(location[0]) && location[1] == ':';
        if (location[0] is '/' or '\\' || drive || Path.IsPathRooted(location))
            throw Refuse("is an absolute path; it must be relative to the model's directory");
        if (OperatingSystem.IsWindows() && location.Contains(':'))
            throw Refuse("contains ':', which names an alternate data stream on Windows");
        string[] segments = location.Split(['/', '\\'], StringSplitOptions.RemoveEmptyEntries).Where(s => s != ".").ToArray();
        if (segments.Contains(".."))
            throw Refuse("has a '..' segment; external data must lie in the model's directory or below it");
        if (segments.Length == 0)
            throw Refuse("names the model's directory, not a file");

        string path = Path.Combine([directory, .. segments]);
        if (Directory.Exists(path))
            throw Refuse("is a directory, not a file");
        if (!File.Exists(path))
            throw Refuse("does not exist in the model's directory");
        string real;
        try
        {
            real = RealPath(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Refuse($"cannot be resolved: {e.Message}");
        }
        string inside = realDirectory.EndsWith(Path.DirectorySeparatorChar) ? realDirectory : realDirectory + Path.DirectorySeparatorChar;
        if (!real.StartsWith(inside, OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase))
            throw Refuse("is a symbolic link to a file outside the model's directory; copy the file next to the model");
        return real;
    }

    /// <summary>
    /// <paramref name="path"/> made absolute with every symbolic link in it resolved, component by component (what
    /// POSIX realpath does; .NET resolves a link only at the end of a path).
    /// </summary>
    public static string RealPath(string path) => RealPath(Path.GetFullPath(path), 0);

    private static string RealPath(string full, int links)
    {
        string root = Path.GetPathRoot(full) ?? "";
        string current = root;
        foreach (string part in full[root.Length..].Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar))
        {
            if (part.Length == 0)
                continue;
            string next = Path.Combine(current, part);
            if (new FileInfo(next).LinkTarget is { } target)
            {
                if (++links > MaxLinks)
                    throw new IOException($"{full}: more than {MaxLinks} symbolic links");
                next = RealPath(Path.GetFullPath(target, current), links);
            }
            current = next;
        }
        return current;
    }
}
