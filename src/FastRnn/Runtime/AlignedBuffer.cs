using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FastRnn.Runtime;

/// <summary>
/// A pinned float array whose usable part starts on a 64-byte boundary.
/// </summary>
/// <remarks>
/// Why: a 64-byte start keeps every 32-float panel and every 16-float slice on whole cache lines, so no vector load
/// splits a line. The array is pinned (allocated on the pinned object heap) so the alignment survives compaction.
/// </remarks>
internal sealed class AlignedBuffer
{
    private const int AlignmentBytes = 64;
    private const int AlignmentFloats = AlignmentBytes / sizeof(float);

    private readonly float[] _array;
    private readonly int _offset;

    public AlignedBuffer(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _array = GC.AllocateUninitializedArray<float>(checked(length + AlignmentFloats), pinned: true);
        Length = length;
        unsafe
        {
            nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array));
            int misalignment = (int)(address & (AlignmentBytes - 1));
            _offset = misalignment == 0 ? 0 : (AlignmentBytes - misalignment) / sizeof(float);
        }
    }

    public int Length { get; }

    public Span<float> Span => _array.AsSpan(_offset, Length);

    public ref float Reference => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_array), _offset);
}
