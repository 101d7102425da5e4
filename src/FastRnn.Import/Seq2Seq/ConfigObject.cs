using System.Text.Json;

namespace FastRnn.Import;

/// <summary>
/// One JSON object of a seq2seq conversion config, read strictly: keys outside the allowed set, keys given twice,
/// missing required keys and values of the wrong type are errors naming the key by its full path
/// (<c>architecture.encoder.hidden_size</c>).
/// </summary>
internal sealed class ConfigObject
{
    private readonly Dictionary<string, JsonElement> _members = new(StringComparer.Ordinal);

    public ConfigObject(string file, string path, JsonElement element, params string[] allowed)
    {
        File = file;
        Path = path;
        if (element.ValueKind != JsonValueKind.Object)
            throw Error($"{(path.Length == 0 ? "the top level" : $"'{path}'")} must be a JSON object, not {Describe(element)}");
        foreach (JsonProperty member in element.EnumerateObject())
        {
            if (Array.IndexOf(allowed, member.Name) < 0)
            {
                string where = path.Length == 0 ? "the top level" : path;
                throw Error($"unknown key '{KeyPath(member.Name)}' ({where} takes {string.Join(", ", allowed)})");
            }
            if (!_members.TryAdd(member.Name, member.Value))
                throw Error($"key '{KeyPath(member.Name)}' appears twice");
        }
    }

    /// <summary>The config file, for messages.</summary>
    public string File { get; }

    /// <summary>The object's key path; empty for the top level.</summary>
    public string Path { get; }

    public string KeyPath(string key) => Path.Length == 0 ? key : $"{Path}.{key}";

    public bool Has(string key) => _members.ContainsKey(key);

    public bool TryGet(string key, out JsonElement value) => _members.TryGetValue(key, out value);

    public JsonElement Required(string key, string what)
        => _members.TryGetValue(key, out JsonElement value) ? value : throw Missing(key, what);

    public ConfigObject Object(string key, string what, params string[] allowed)
        => new(File, KeyPath(key), Required(key, what), allowed);

    public string String(string key, string what)
    {
        JsonElement value = Required(key, what);
        return value.ValueKind == JsonValueKind.String ? value.GetString()! : throw WrongType(key, "a string", value);
    }

    public bool Bool(string key, string what) => OptionalBool(key) ?? throw Missing(key, what);

    public bool? OptionalBool(string key)
    {
        if (!_members.TryGetValue(key, out JsonElement value))
            return null;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw WrongType(key, "true or false", value),
        };
    }

    public int Int(string key, string what, int min, int max)
        => OptionalInt(key, min, max) ?? throw Missing(key, what);

    public int? OptionalInt(string key, int min, int max)
    {
        if (!_members.TryGetValue(key, out JsonElement value))
            return null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out long n))
            throw WrongType(key, "an integer", value);
        if (n < min || n > max)
            throw Error($"'{KeyPath(key)}' is {n}; expected {min}..{max}");
        return (int)n;
    }

    /// <summary>One of the named values (spelled as in the .frnn metadata).</summary>
    public T Choice<T>(string key, params (string Name, T Value)[] choices)
        where T : struct
        => OptionalChoice(key, choices) ?? throw Missing(key, $"one of {Names(choices)}");

    public T? OptionalChoice<T>(string key, params (string Name, T Value)[] choices)
        where T : struct
    {
        if (!_members.TryGetValue(key, out JsonElement value))
            return null;
        if (value.ValueKind == JsonValueKind.String)
        {
            string text = value.GetString()!;
            foreach ((string name, T v) in choices)
            {
                if (name == text)
                    return v;
            }
            throw Error($"'{KeyPath(key)}' is \"{text}\"; expected one of {Names(choices)}");
        }
        throw WrongType(key, $"one of {Names(choices)}", value);
    }

    public ImportException WrongType(string key, string expected, JsonElement actual)
        => Error($"'{KeyPath(key)}' must be {expected}, not {Describe(actual)}");

    public ImportException Missing(string key, string what)
        => Error($"missing required key '{KeyPath(key)}' ({what})");

    /// <summary>"file: message".</summary>
    public ImportException Error(string message) => Seq2SeqErrors.Config(File, message);

    public static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => $"the string \"{value.GetString()}\"",
        JsonValueKind.Number => $"the number {value.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        _ => "null",
    };

    private static string Names<T>((string Name, T Value)[] choices) => string.Join(", ", choices.Select(c => $"\"{c.Name}\""));
}
