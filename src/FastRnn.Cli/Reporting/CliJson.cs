using System.Text.Json;

namespace FastRnn.Cli.Reporting;

/// <summary>Writes the one JSON object a <c>--json</c> command prints.</summary>
internal static class CliJson
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    public static void Write(TextWriter writer, object document)
        => writer.WriteLine(JsonSerializer.Serialize(document, Options));
}
