namespace FastRnn.Cli.Reporting;

/// <summary>What <c>inspect</c> says about a loaded model: its kind (the file's <c>fastrnn.architecture</c>), one line
/// of text and the same as JSON fields.</summary>
internal sealed record ModelDescription(string Kind, string Text, Dictionary<string, object> Json);
