using System.Diagnostics.CodeAnalysis;

namespace FastRnn.Format;

// FrnnWriter arguments: caller mistakes, reported as ArgumentException before anything is written.
internal static partial class FormatErrors
{
    [DoesNotReturn]
    public static void ThrowDuplicateMetadataKey(string key, string paramName) =>
        throw new ArgumentException($"metadata '{key}': expected a key not yet added, actual key was already added", paramName);

    [DoesNotReturn]
    public static void ThrowDuplicateTensorName(string name, string paramName) =>
        throw new ArgumentException($"tensor '{name}': expected a name not yet added, actual name was already added", paramName);

    [DoesNotReturn]
    public static void ThrowEmptyNameArgument(string what, string paramName) =>
        throw new ArgumentException($"{what}: expected a non-empty string, actual empty", paramName);

    [DoesNotReturn]
    public static void ThrowNotUtf8Encodable(string what, string value, string paramName, Exception inner) =>
        throw new ArgumentException($"{what} '{value}': expected a string encodable as UTF-8, actual contains an unpaired surrogate", paramName, inner);

    [DoesNotReturn]
    public static void ThrowRankArgument(string name, int rank, string paramName) =>
        throw new ArgumentException($"tensor '{name}' rank: expected at most {FrnnLayout.MaxRank}, actual {rank}", paramName);

    [DoesNotReturn]
    public static void ThrowNegativeDimension(string name, ReadOnlySpan<int> shape, string paramName) =>
        throw new ArgumentException($"tensor '{name}' shape: expected non-negative dimensions, actual {ShapeText(shape.ToArray())}", paramName);

    [DoesNotReturn]
    public static void ThrowShapeDataMismatch(string name, ReadOnlySpan<int> shape, long elementCount, int dataLength, string paramName) =>
        throw new ArgumentException($"tensor '{name}' data: expected {elementCount} elements (shape {ShapeText(shape.ToArray())}), actual {dataLength}", paramName);

    [DoesNotReturn]
    public static void ThrowNullArrayElement(string key, int index, string paramName) =>
        throw new ArgumentException($"metadata '{key}' element {index}: expected a string, actual null", paramName);

    [DoesNotReturn]
    public static void ThrowTooLargeForArray(ulong fileLength) =>
        throw new InvalidOperationException($"file length: expected at most {Array.MaxLength} bytes for ToArray, actual {fileLength}; use WriteTo or Save");
}
