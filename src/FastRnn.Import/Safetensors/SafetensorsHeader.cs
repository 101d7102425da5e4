using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace FastRnn.Import;

/// <summary>
/// Parses and validates the JSON header of a safetensors file with the reference reader's rules: a UTF-8 JSON object
/// starting with '{'; an optional <c>__metadata__</c> object of strings; every other member a tensor
/// <c>{dtype, shape, data_offsets}</c> with a known dtype, non-negative integers and no overflow; no name twice (the
/// reference reader's hash map would silently keep one, so a duplicate is refused as ambiguous); and data ranges that,
/// sorted by offset, tile the data buffer exactly with sizes numel·dtype size.
/// </summary>
internal static class SafetensorsHeader
{
    public const string MetadataKey = "__metadata__";

    public static (List<SafetensorsTensorInfo> Tensors, Dictionary<string, string> Metadata) Parse(ReadOnlySpan<byte> json, string file)
    {
        if (json.IsEmpty)
            throw ImportErrors.Malformed(file, "header", "is empty; expected a JSON object");
        if (!Utf8.IsValid(json))
            throw ImportErrors.Malformed(file, "header", "is not valid UTF-8");
        if (json[0] != (byte)'{')
            throw ImportErrors.Malformed(file, "header", $"must start with '{{' (a JSON object); found byte 0x{json[0]:X2}");

        var tensors = new List<SafetensorsTensorInfo>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        try
        {
            reader.Read(); // '{', checked above
            while (Next(ref reader) == JsonTokenType.PropertyName)
            {
                string name = reader.GetString()!;
                if (!names.Add(name))
                    throw ImportErrors.Malformed(file, "header", $"has the key '{name}' twice; names must be unique");
                reader.Read();
                if (name == MetadataKey)
                    ReadMetadata(ref reader, metadata, file);
                else
                    tensors.Add(ReadTensor(ref reader, name, file));
            }
            if (reader.Read())
                throw ImportErrors.Malformed(file, "header", $"has content after the JSON object at byte {reader.TokenStartIndex}");
        }
        catch (JsonException e)
        {
            throw ImportErrors.Malformed(file, "header", $"is not valid JSON: {e.Message}", e);
        }
        return (tensors, metadata);
    }

    /// <summary>
    /// Checks that the tensors, sorted by offset, cover [0, end) without gaps or overlaps and that each range holds
    /// exactly its shape's bytes. Returns the end of the last range: the length the data buffer must have.
    /// </summary>
    public static long ValidateLayout(List<SafetensorsTensorInfo> tensors, string file)
    {
        tensors.Sort((a, b) => a.DataBegin != b.DataBegin ? a.DataBegin.CompareTo(b.DataBegin) : a.DataEnd.CompareTo(b.DataEnd));
        long position = 0;
        string? previous = null;
        foreach (SafetensorsTensorInfo t in tensors)
        {
            string range = $"data_offsets [{t.DataBegin}, {t.DataEnd})";
            if (t.DataEnd < t.DataBegin)
                throw ImportErrors.Tensor(file, t.Name, $"{range} end before they begin");
            if (t.DataBegin > position)
                throw ImportErrors.Tensor(file, t.Name,
                    $"{range} leave a gap of {t.DataBegin - position} bytes after {(previous is null ? "the start of the data buffer" : $"tensor '{previous}', which ends at {position}")}; tensors must cover the data buffer without gaps");
            if (t.DataBegin < position)
                throw ImportErrors.Tensor(file, t.Name,
                    $"{range} overlap tensor '{previous}', which ends at {position}; tensors must not overlap");
            SafetensorsDType.TryGetBits(t.DType, out int bits);
            ulong bitCount;
            try
            {
                bitCount = checked((ulong)t.ElementCount * (ulong)bits);
            }
            catch (OverflowException)
            {
                throw ImportErrors.Tensor(file, t.Name, $"shape {TensorData.FormatShape(t.Shape.ToArray())} of {t.DType} overflows a 64-bit byte count");
            }
            if (bitCount % 8 != 0)
                throw ImportErrors.Tensor(file, t.Name, $"shape {TensorData.FormatShape(t.Shape.ToArray())} of {t.DType} ({bits}-bit elements) is not a whole number of bytes");
            ulong expected = bitCount / 8;
            ulong actual = (ulong)(t.DataEnd - t.DataBegin);
            if (actual != expected)
                throw ImportErrors.Tensor(file, t.Name,
                    $"{range} hold {actual} bytes; expected {expected} bytes for shape {TensorData.FormatShape(t.Shape.ToArray())} of {t.DType}");
            position = t.DataEnd;
            previous = t.Name;
        }
        return position;
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.TokenType;
    }

    private static void ReadMetadata(ref Utf8JsonReader reader, Dictionary<string, string> metadata, string file)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw ImportErrors.Malformed(file, MetadataKey, $"must be a JSON object of strings; found {Describe(reader.TokenType)}");
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            string key = reader.GetString()!;
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
                throw ImportErrors.Malformed(file, $"{MetadataKey}.{key}", $"must be a string; found {Describe(reader.TokenType)}");
            if (!metadata.TryAdd(key, reader.GetString()!))
                throw ImportErrors.Malformed(file, MetadataKey, $"has the key '{key}' twice; keys must be unique");
        }
    }

    private static SafetensorsTensorInfo ReadTensor(ref Utf8JsonReader reader, string name, string file)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw ImportErrors.Tensor(file, name, $"must be a JSON object {{dtype, shape, data_offsets}}; found {Describe(reader.TokenType)}");
        string? dtype = null;
        List<long>? shape = null, offsets = null;
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            string key = reader.GetString()!;
            reader.Read();
            switch (key)
            {
                case "dtype" when dtype is null:
                    if (reader.TokenType != JsonTokenType.String)
                        throw ImportErrors.Tensor(file, name, $"dtype must be a string; found {Describe(reader.TokenType)}");
                    dtype = reader.GetString()!;
                    if (!SafetensorsDType.TryGetBits(dtype, out _))
                        throw ImportErrors.Tensor(file, name, $"has unknown dtype '{dtype}'; known: {SafetensorsDType.KnownNames}");
                    break;
                case "shape" when shape is null:
                    shape = ReadIntegers(ref reader, name, "shape", file);
                    break;
                case "data_offsets" when offsets is null:
                    offsets = ReadIntegers(ref reader, name, "data_offsets", file);
                    if (offsets.Count != 2)
                        throw ImportErrors.Tensor(file, name, $"data_offsets must be [begin, end]; found {offsets.Count} numbers");
                    break;
                case "dtype" or "shape" or "data_offsets":
                    throw ImportErrors.Tensor(file, name, $"has the key '{key}' twice");
                default:
                    reader.Skip(); // like the reference reader, tolerate fields it does not know
                    break;
            }
        }
        if (dtype is null || shape is null || offsets is null)
            throw ImportErrors.Tensor(file, name, $"lacks '{(dtype is null ? "dtype" : shape is null ? "shape" : "data_offsets")}'; every tensor needs dtype, shape and data_offsets");

        long count = 1;
        foreach (long d in shape)
        {
            try
            {
                count = checked(count * d);
            }
            catch (OverflowException)
            {
                throw ImportErrors.Tensor(file, name, $"shape {TensorData.FormatShape(shape.ToArray())} has more than 2^63 elements");
            }
        }
        return new SafetensorsTensorInfo(name, dtype, shape.ToArray(), offsets[0], offsets[1]);
    }

    private static List<long> ReadIntegers(ref Utf8JsonReader reader, string name, string field, string file)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            throw ImportErrors.Tensor(file, name, $"{field} must be an array of non-negative integers; found {Describe(reader.TokenType)}");
        var values = new List<long>();
        while (Next(ref reader) != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetUInt64(out ulong v) || v > long.MaxValue)
            {
                string text = reader.TokenType == JsonTokenType.Number ? Encoding.UTF8.GetString(reader.ValueSpan) : Describe(reader.TokenType);
                throw ImportErrors.Tensor(file, name, $"{field} must hold non-negative integers below 2^63; found {text}");
            }
            values.Add((long)v);
        }
        return values;
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };
}
