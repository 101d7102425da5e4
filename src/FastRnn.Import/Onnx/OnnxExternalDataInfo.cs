using System.Globalization;
using Google.Protobuf.Collections;
using Onnx;

namespace FastRnn.Import;

/// <summary>
/// Where a tensor's bytes lie outside the model file, from its <c>external_data</c> entries: the file
/// (<c>location</c>, relative to the model's directory), the first byte (<c>offset</c>, default 0), the byte count
/// (<c>length</c>, default to the end of the file) and an optional SHA-1 of those bytes (<c>checksum</c>).
/// </summary>
internal sealed record OnnxExternalDataInfo(string Location, long Offset, long? Length, string? Checksum)
{
    /// <summary>The keys the ONNX spec defines. Any other key is refused: a reader that skipped it could read the wrong bytes.</summary>
    private static readonly string[] Keys = ["location", "offset", "length", "checksum"];

    /// <summary>Reads the entries, refusing a missing location, a duplicate or unknown key, and numbers that are not byte counts.</summary>
    public static OnnxExternalDataInfo Parse(string source, string tensor, RepeatedField<StringStringEntryProto> entries)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (StringStringEntryProto entry in entries)
        {
            if (!Keys.Contains(entry.Key, StringComparer.Ordinal))
                throw OnnxErrors.ExternalData(source, tensor, $"key {OnnxErrors.Quote(entry.Key)}", $"is not one FastRnn reads ({string.Join(", ", Keys)})");
            if (!values.TryAdd(entry.Key, entry.Value))
                throw OnnxErrors.ExternalData(source, tensor, entry.Key, "appears twice among the external_data entries");
        }
        if (!values.TryGetValue("location", out string? location))
            throw OnnxErrors.ExternalData(source, tensor, "location", "is missing: the tensor's data is external but no file is named");
        long offset = values.TryGetValue("offset", out string? o) ? ByteCount(source, tensor, "offset", o) : 0;
        long? length = values.TryGetValue("length", out string? l) ? ByteCount(source, tensor, "length", l) : null;
        string? checksum = values.GetValueOrDefault("checksum");
        if (checksum is not null && !(checksum.Length == 40 && checksum.All(char.IsAsciiHexDigit)))
            throw OnnxErrors.ExternalData(source, tensor, "checksum", $"{OnnxErrors.Quote(checksum)} is not a SHA-1 digest (40 hexadecimal digits)");
        return new OnnxExternalDataInfo(location, offset, length, checksum);
    }

    // Digits only: no sign, blanks, exponent or hexadecimal, which long.Parse would otherwise accept in some form.
    private static long ByteCount(string source, string tensor, string key, string text)
    {
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value))
            return value;
        string why = text.Length > 0 && text.All(char.IsAsciiDigit) ? $"is larger than {long.MaxValue}"
            : text.StartsWith('-') ? "is negative"
            : "is not a whole number of bytes";
        throw OnnxErrors.ExternalData(source, tensor, key, $"{OnnxErrors.Quote(text)} {why}");
    }
}
