namespace FastRnn.Import;

/// <summary>
/// The element types the safetensors format defines, with their sizes in bits (F4 and F6 pack several elements per
/// byte). Only F32, F16, BF16 and F64 can be read as float32; the others are accepted in a file but refused on read.
/// </summary>
internal static class SafetensorsDType
{
    private static readonly Dictionary<string, int> BitSizes = new(StringComparer.Ordinal)
    {
        ["BOOL"] = 8, ["U8"] = 8, ["I8"] = 8, ["F8_E5M2"] = 8, ["F8_E4M3"] = 8, ["F8_E8M0"] = 8,
        ["F4"] = 4, ["F6_E2M3"] = 6, ["F6_E3M2"] = 6,
        ["I16"] = 16, ["U16"] = 16, ["F16"] = 16, ["BF16"] = 16,
        ["I32"] = 32, ["U32"] = 32, ["F32"] = 32,
        ["I64"] = 64, ["U64"] = 64, ["F64"] = 64, ["C64"] = 64,
    };

    public static string KnownNames => string.Join(", ", BitSizes.Keys);

    public static bool TryGetBits(string dtype, out int bits) => BitSizes.TryGetValue(dtype, out bits);

    public static bool IsFloat(string dtype) => dtype is "F32" or "F16" or "BF16" or "F64";
}
