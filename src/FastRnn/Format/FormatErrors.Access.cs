using System.Diagnostics.CodeAnalysis;

namespace FastRnn.Format;

// Lookups on an opened, valid file: the caller asked for something the file does not hold in the form expected.
internal static partial class FormatErrors
{
    [DoesNotReturn]
    public static void ThrowMissingTensor(string name, IReadOnlyList<FrnnTensorInfo> tensors) =>
        throw Format($"tensor '{name}': expected in the file, actual file has no such tensor ({tensors.Count} tensors{Sample(tensors.Select(t => t.Name))})");

    [DoesNotReturn]
    public static void ThrowWrongDType(string name, FrnnDType expected, FrnnDType actual) =>
        throw Format($"tensor '{name}' dtype: expected {DTypeName(expected)}, actual {DTypeName(actual)}");

    [DoesNotReturn]
    public static void ThrowWrongShape(string name, ReadOnlySpan<int> expected, IReadOnlyList<int> actual) =>
        throw Format($"tensor '{name}' shape: expected {ShapeText(expected.ToArray())}, actual {ShapeText(actual)}");

    [DoesNotReturn]
    public static void ThrowMissingKey(string key, int count) =>
        throw Format($"metadata '{key}': expected in the file, actual file has no such key ({count} keys)");

    [DoesNotReturn]
    public static void ThrowWrongMetadataType(string key, FrnnMetadataType expected, object actual) =>
        throw Format($"metadata '{key}' type: expected {MetadataTypeName(expected)}, actual {MetadataTypeName(actual)}");

    internal static string ShapeText(IReadOnlyList<int> shape) => $"[{string.Join(", ", shape)}]";

    internal static string MetadataTypeName(FrnnMetadataType type) => type switch
    {
        FrnnMetadataType.Int64 => "int64",
        FrnnMetadataType.Float64 => "float64",
        FrnnMetadataType.String => "string",
        FrnnMetadataType.Bool => "bool",
        FrnnMetadataType.Int64Array => "int64[]",
        FrnnMetadataType.StringArray => "string[]",
        _ => "unknown",
    };

    private static string MetadataTypeName(object value) => value switch
    {
        long => "int64",
        double => "float64",
        string => "string",
        bool => "bool",
        IReadOnlyList<long> => "int64[]",
        IReadOnlyList<string> => "string[]",
        _ => value.GetType().Name,
    };

    // A few names help spot a typo or a naming-convention mismatch without flooding the message.
    private static string Sample(IEnumerable<string> names)
    {
        string[] first = names.Take(6).Select(n => $"'{n}'").ToArray();
        return first.Length == 0 ? "" : $": {string.Join(", ", first)}{(first.Length == 6 ? ", ..." : "")}";
    }
}
