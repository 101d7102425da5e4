namespace FastRnn.Format;

/// <summary>Element type code of a tensor in an .frnn file (the u8 <c>dtype</c> field of a tensor table entry).</summary>
/// <remarks>Format version 1 stores only <see cref="Float32"/>. The other named codes are reserved so that their
/// meaning is fixed now; the writer cannot produce them and the reader rejects them with a message naming the
/// tensor. Codes not listed here are unknown and likewise rejected.</remarks>
public enum FrnnDType : byte
{
    /// <summary>IEEE 754 binary32, little-endian, 4 bytes per element.</summary>
    Float32 = 1,

    /// <summary>Reserved: IEEE 754 binary16, little-endian, 2 bytes per element.</summary>
    Float16 = 2,

    /// <summary>Reserved: bfloat16 (upper half of a binary32), little-endian, 2 bytes per element.</summary>
    BFloat16 = 3,

    /// <summary>Reserved: signed 8-bit integers, quantised per row, with a float32 tensor named
    /// <c>&lt;name&gt;.scale</c> holding one scale per row (all dimensions but the last).</summary>
    Int8 = 4,
}
