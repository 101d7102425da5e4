using System.Collections.ObjectModel;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FastRnn.Cli.Reporting;

/// <summary>Writes the one JSON object a <c>--json</c> command prints.</summary>
/// <remarks>
/// The serializer code is generated at build time (<see cref="CliJsonContext"/>) rather than found by reflection,
/// so the tool trims and compiles ahead of time. A document is a dictionary whose values are typed
/// <see cref="object"/>; each run-time type such a value can have is registered on the context.
/// </remarks>
internal static class CliJson
{
    public static void Write(TextWriter writer, Dictionary<string, object?> document)
        => writer.WriteLine(JsonSerializer.Serialize(document, CliJsonContext.Default.DictionaryStringObject));
}

/// <summary>
/// The types a <c>--json</c> document holds: nested dictionaries and lists of them, numbers, strings, booleans,
/// tensor shapes and the values of .frnn metadata (long, double, string, bool and read-only lists of long or string).
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(Dictionary<string, object?>))]
[JsonSerializable(typeof(List<Dictionary<string, object?>>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(Dictionary<string, double>))]
[JsonSerializable(typeof(List<Dictionary<string, double>>))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(float))]
[JsonSerializable(typeof(int[]))]
[JsonSerializable(typeof(long[]))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(ReadOnlyCollection<int>))]
[JsonSerializable(typeof(ReadOnlyCollection<long>))]
[JsonSerializable(typeof(ReadOnlyCollection<string>))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
