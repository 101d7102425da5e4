namespace FastRnn.Format;

/// <summary>One entry of an .frnn tensor table, validated: the name is unique, the shape's element count fits in
/// an <see cref="int"/>, and the bytes lie inside the data section without overlapping another tensor.</summary>
public sealed class FrnnTensorInfo
{
    internal FrnnTensorInfo(string name, FrnnDType dtype, int[] shape, long elementCount, long byteOffset, long byteLength, long fileOffset)
    {
        Name = name;
        DType = dtype;
        Shape = Array.AsReadOnly(shape);
        ElementCount = elementCount;
        ByteOffset = byteOffset;
        ByteLength = byteLength;
        FileOffset = fileOffset;
    }

    /// <summary>Tensor name, unique within the file (for example <c>encoder.lstm.0.weight_ih</c>).</summary>
    public string Name { get; }

    /// <summary>Element type; always <see cref="FrnnDType.Float32"/> in format version 1.</summary>
    public FrnnDType DType { get; }

    /// <summary>Dimensions, outermost first (row-major: the last dimension is contiguous). Empty for a scalar.</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>Number of dimensions (0 to 8).</summary>
    public int Rank => Shape.Count;

    /// <summary>Product of <see cref="Shape"/>: 1 for a scalar, 0 if any dimension is 0.</summary>
    public long ElementCount { get; }

    /// <summary>Offset of the first byte relative to the start of the data section, as stored in the table; a
    /// multiple of 64.</summary>
    public long ByteOffset { get; }

    /// <summary>Number of bytes: <see cref="ElementCount"/> times the element size.</summary>
    public long ByteLength { get; }

    /// <summary>Offset of the first byte from the start of the file.</summary>
    internal long FileOffset { get; }

    /// <summary>Returns e.g. <c>encoder.weight float32 [512, 128] @0 (262144 bytes)</c>.</summary>
    public override string ToString() =>
        $"{Name} {FormatErrors.DTypeName(DType)} {FormatErrors.ShapeText(Shape)} @{ByteOffset} ({ByteLength} bytes)";
}
