namespace FastRnn.Import;

/// <summary>One entry of a safetensors header, validated against the file.</summary>
/// <param name="Name">The tensor's name.</param>
/// <param name="DType">The element type as the file spells it: <c>F32</c>, <c>F16</c>, <c>BF16</c>, <c>I64</c>, ….</param>
/// <param name="Shape">The dimensions, outermost first; empty for a scalar.</param>
/// <param name="DataBegin">First byte of the data, relative to the data buffer that follows the header.</param>
/// <param name="DataEnd">One past the last byte of the data, relative to the data buffer.</param>
public sealed record SafetensorsTensorInfo(string Name, string DType, IReadOnlyList<long> Shape, long DataBegin, long DataEnd)
{
    /// <summary>The number of elements, the product of <see cref="Shape"/> (checked not to overflow when the file was opened).</summary>
    public long ElementCount
    {
        get
        {
            long count = 1;
            foreach (long d in Shape)
                count *= d;
            return count;
        }
    }
}
