namespace FastRnn.Import;

/// <summary>
/// The one place import errors are made, so every message names the file and the part or tensor, what was expected
/// and what was found.
/// </summary>
internal static class ImportErrors
{
    /// <summary>"file: part problem", for a structural fault in a file.</summary>
    public static ImportException Malformed(string file, string part, string problem, Exception? inner = null)
        => inner is null ? new($"{file}: {part} {problem}") : new($"{file}: {part} {problem}", inner);

    /// <summary>"file: tensor 'name' problem".</summary>
    public static ImportException Tensor(string file, string tensor, string problem)
        => new($"{file}: tensor '{tensor}' {problem}");

    public static ImportException NoSuchTensor(string file, string tensor, IEnumerable<string> available)
        => new($"{file}: no tensor named '{tensor}'; the file has {List(available)}");

    public static ImportException FileChanged(string file, long offset)
        => new($"{file}: the file ended at byte {offset} while reading; it changed after it was validated");

    public static ImportException DuplicateTensor(string source, string tensor)
        => new($"{source}: tensor '{tensor}' appears twice");

    public static ImportException UnsupportedFile(string path, string problem)
        => new($"{path}: {problem}");

    // ---- model structure (importers)

    public static ImportException MissingTensor(string tensor, string why)
        => new($"tensor '{tensor}' is missing; {why}");

    public static ImportException TensorShape(string tensor, ReadOnlySpan<int> actual, ReadOnlySpan<int> expected, string why)
        => new($"tensor '{tensor}' has shape {TensorData.FormatShape(actual)}; expected {TensorData.FormatShape(expected)} {why}");

    public static ImportException TensorRank(string tensor, ReadOnlySpan<int> actual, string expected)
        => new($"tensor '{tensor}' has shape {TensorData.FormatShape(actual)}; expected {expected}");

    public static ImportException UnexpectedTensor(string tensor, string why)
        => new($"tensor '{tensor}' is not part of the model; {why}");

    public static ImportException SeveralModules(IEnumerable<string> modules, string example)
        => new($"the tensors belong to several modules: {List(modules)}; choose one with --prefix (ImportOptions.Prefix), e.g. --prefix {example}");

    public static ImportException PrefixNotFound(string prefix, IEnumerable<string> modules)
        => new($"no tensor is under the prefix '{prefix}'; the modules present are {List(modules)}");

    /// <summary>An import option given for a model it does not fit: the caller's mistake, not the file's.</summary>
    public static ArgumentException OptionNotApplicable(string option, string value, string model)
        => new($"option {option} = {value} does not apply: the weights are a {model}");

    public static ImportException Inconsistent(string problem)
        => new(problem);

    public static ImportException InvalidModel(ArgumentException e)
        => new($"the weights describe a model FastRnn cannot build: {e.Message}", e);

    /// <summary>Quoted, comma-separated, the first 12 items and a count of the rest.</summary>
    internal static string List(IEnumerable<string> items)
    {
        string[] all = items.ToArray();
        if (all.Length == 0)
            return "nothing";
        string shown = string.Join(", ", all.Take(12).Select(i => $"'{i}'"));
        return all.Length > 12 ? $"{shown} and {all.Length - 12} more" : shown;
    }
}
