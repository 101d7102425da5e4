namespace FastRnn.Import;

/// <summary>
/// The messages of a seq2seq conversion: config errors name the config file and the key path; tensor errors name the
/// .frnn tensor, the state-dict tensor it was mapped to, and what was expected.
/// </summary>
internal static class Seq2SeqErrors
{
    /// <summary>"config.json: message".</summary>
    public static ImportException Config(string file, string message) => new($"{file}: {message}");

    /// <summary>A problem with the state dict or the model it makes.</summary>
    public static ImportException Model(string message) => new(message);

    /// <summary>The converted file did not load (a bug, or a check this converter lacks).</summary>
    public static ImportException DoesNotLoad(Exception e) => new($"the converted model does not load: {e.Message}", e);

    public static string List(IEnumerable<string> items) => ImportErrors.List(items);
}
