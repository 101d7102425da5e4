using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace FastRnn.Format;

/// <summary>
/// The one place .frnn errors are thrown from, one method per kind, so every message names the field, tensor or
/// key, the expected and the actual value in the same words. This part covers structural problems found while
/// opening a file; FormatErrors.Access.cs covers lookups and FormatErrors.Writer.cs the writer's arguments.
/// </summary>
/// <remarks>Throw helpers rather than inline <c>throw</c>s also keep the message formatting out of the
/// validation loops.</remarks>
internal static partial class FormatErrors
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    [DoesNotReturn]
    public static void ThrowIsDirectory(string path) =>
        throw Format($"{path}: expected an .frnn file, actual a directory");

    [DoesNotReturn]
    public static void ThrowFileTooShort(long actualLength) =>
        throw Format($"file length: expected at least {FrnnLayout.HeaderSize} bytes (the header), actual {actualLength} bytes");

    [DoesNotReturn]
    public static void ThrowBadMagic(ReadOnlySpan<byte> actual) =>
        throw Format($"magic: expected {Hex(FrnnLayout.Magic)} (\"FRNN\\r\\n\\x1a\\n\"), actual {Hex(actual)}; "
            + "this is not an .frnn file, or a text-mode transfer altered its line endings");

    [DoesNotReturn]
    public static void ThrowUnsupportedVersion(uint actual) =>
        throw Format($"format version: expected {FrnnLayout.Version}, actual {actual}; this reader supports only version {FrnnLayout.Version}");

    [DoesNotReturn]
    public static void ThrowHeaderField(string field, ulong expected, ulong actual) =>
        throw Format($"{field}: expected {expected}, actual {actual}");

    [DoesNotReturn]
    public static void ThrowFieldNotAligned(string field, ulong actual) =>
        throw Format($"{field}: expected a multiple of {FrnnLayout.Alignment}, actual {actual}");

    [DoesNotReturn]
    public static void ThrowFileLengthMismatch(ulong declared, long actual) =>
        throw Format($"file length: header says {declared} bytes, actual length is {actual} bytes (truncated or extended file)");

    [DoesNotReturn]
    public static void ThrowChecksumMismatch(uint stored, uint computed) =>
        throw Format($"checksum mismatch: file says 0x{stored:X8}, contents hash to 0x{computed:X8}");

    [DoesNotReturn]
    public static void ThrowSectionOutOfBounds(string section, ulong offset, ulong length, long fileLength) =>
        throw Format($"{section} section: expected to end within the {fileLength}-byte file, actual offset {offset} + length {length} ends past it");

    [DoesNotReturn]
    public static void ThrowSectionMisplaced(string section, string rule, ulong expectedOffset, ulong actualOffset) =>
        throw Format($"{section} offset: expected {expectedOffset} ({rule}), actual {actualOffset}");

    [DoesNotReturn]
    public static void ThrowSectionTooLarge(string section, ulong length) =>
        throw Format($"{section} length: expected at most {int.MaxValue} bytes, actual {length}");

    [DoesNotReturn]
    public static void ThrowCountTooLarge(string field, uint count, ulong sectionLength, int minEntrySize) =>
        throw Format($"{field}: expected at most {sectionLength / (ulong)minEntrySize} ({sectionLength}-byte section, "
            + $"entries of at least {minEntrySize} bytes), actual {count}");

    [DoesNotReturn]
    public static void ThrowEntryTruncated(string section, int entry, string? name, string field, ulong needed, int remaining) =>
        throw Format($"{Entry(section, entry, name)}, field '{field}': expected {needed} bytes, actual {remaining} left in the section");

    [DoesNotReturn]
    public static void ThrowTrailingBytes(string section, uint count, int consumed, int length) =>
        throw Format($"{section} section length: expected {consumed} bytes (its {count} entries), actual {length}");

    [DoesNotReturn]
    public static void ThrowEmptyName(string section, int entry, string field) =>
        throw Format($"{Entry(section, entry, null)}, field '{field}': expected a non-empty UTF-8 string, actual length 0");

    [DoesNotReturn]
    public static void ThrowInvalidUtf8(string section, int entry, string? name, string field, ReadOnlySpan<byte> actual) =>
        throw Format($"{Entry(section, entry, name)}, field '{field}': expected valid UTF-8, actual bytes {Hex(actual[..Math.Min(actual.Length, 32)])}{(actual.Length > 32 ? " ..." : "")}");

    [DoesNotReturn]
    public static void ThrowDuplicateKey(string key) =>
        throw Format($"metadata '{key}': expected unique keys, actual key appears more than once");

    [DoesNotReturn]
    public static void ThrowUnknownMetadataType(string key, byte code) =>
        throw Format($"metadata '{key}' type code: expected 1..6 (int64, float64, string, bool, int64[], string[]), actual {code}");

    [DoesNotReturn]
    public static void ThrowInvalidBool(string key, byte value) =>
        throw Format($"metadata '{key}' bool value: expected 0 or 1, actual {value}");

    [DoesNotReturn]
    public static void ThrowDuplicateTensor(string name) =>
        throw Format($"tensor '{name}': expected unique tensor names, actual name appears more than once");

    [DoesNotReturn]
    public static void ThrowUnknownDType(string name, byte code) =>
        throw Format($"tensor '{name}' dtype: expected 1 (float32), 2 (float16), 3 (bfloat16) or 4 (int8), actual unknown code {code}");

    [DoesNotReturn]
    public static void ThrowNonFiniteWeights(string name) =>
        throw Format($"tensor '{name}' holds a NaN or infinite weight; it has no finite int8 scale");

    [DoesNotReturn]
    public static void ThrowBadScaleValue(string name, int row, float value) =>
        throw Format($"int8 tensor '{name}' row {row}: scale {value} is not a finite non-negative number");

    [DoesNotReturn]
    public static void ThrowInt8Scalar(string name) =>
        throw Format($"int8 tensor '{name}' is a scalar; an int8 tensor needs a row dimension for its scales");

    [DoesNotReturn]
    public static void ThrowMissingScale(string name, string scaleName) =>
        throw Format($"int8 tensor '{name}' has no scale tensor '{scaleName}'");

    [DoesNotReturn]
    public static void ThrowBadScale(string name, FrnnTensorInfo scale, int[] expectedShape) =>
        throw Format($"scale tensor '{scale.Name}' of int8 tensor '{name}': expected float32 {ShapeText(expectedShape)}, actual {DTypeName(scale.DType)} {ShapeText(scale.Shape)}");

    [DoesNotReturn]
    public static void ThrowRankTooLarge(string name, byte rank) =>
        throw Format($"tensor '{name}' rank: expected at most {FrnnLayout.MaxRank}, actual {rank}");

    [DoesNotReturn]
    public static void ThrowDimensionTooLarge(string name, int index, ulong dim) =>
        throw Format($"tensor '{name}' dimension {index}: expected at most {int.MaxValue}, actual {dim}");

    [DoesNotReturn]
    public static void ThrowElementCountTooLarge(string name, ReadOnlySpan<ulong> dims) =>
        throw Format($"tensor '{name}' element count: expected at most {int.MaxValue}, actual product of [{string.Join(", ", dims.ToArray())}] is larger");

    [DoesNotReturn]
    public static void ThrowByteLengthMismatch(string name, ulong expected, ulong actual) =>
        throw Format($"tensor '{name}' byte length: expected {expected} (element count x element size), actual {actual}");

    [DoesNotReturn]
    public static void ThrowMisalignedTensor(string name, ulong offset) =>
        throw Format($"tensor '{name}' offset: expected a multiple of {FrnnLayout.Alignment}, actual {offset}");

    [DoesNotReturn]
    public static void ThrowTensorOutsideData(string name, ulong offset, ulong length, ulong dataLength) =>
        throw Format($"tensor '{name}': expected to lie within the {dataLength}-byte data section, actual offset {offset} + length {length} ends past it");

    [DoesNotReturn]
    public static void ThrowUnusedData(ulong dataLength, ulong used, string? lastTensor) =>
        throw Format($"data length: expected {used} ({(lastTensor is null ? "no tensor holds data" : $"the end of the last tensor, '{lastTensor}', rounded up to 64")}), "
            + $"actual {dataLength}; the data section holds bytes no tensor describes");

    [DoesNotReturn]
    public static void ThrowOverlappingTensors(string first, ulong firstOffset, ulong firstEnd, string second, ulong secondOffset) =>
        throw Format($"tensors '{first}' and '{second}' overlap: expected '{second}' to start at or after {firstEnd} "
            + $"(end of '{first}', which starts at {firstOffset}), actual offset {secondOffset}");

    private static string Entry(string section, int entry, string? name) =>
        name is null ? $"{section} entry {entry}" : $"{section} entry {entry} ('{name}')";

    internal static string DTypeName(FrnnDType dtype) => dtype switch
    {
        FrnnDType.Float32 => "float32",
        FrnnDType.Float16 => "float16",
        FrnnDType.BFloat16 => "bfloat16",
        FrnnDType.Int8 => "int8",
        _ => "unknown",
    };

    private static string Hex(ReadOnlySpan<byte> bytes) =>
        bytes.IsEmpty ? "(no bytes)" : string.Join(' ', bytes.ToArray().Select(b => b.ToString("X2", Invariant)));

    // Messages hold only integers, names and hex, none of which vary with culture.
    private static FrnnFormatException Format(string message) => new(message);
}
