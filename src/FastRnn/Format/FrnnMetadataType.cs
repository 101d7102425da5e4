namespace FastRnn.Format;

/// <summary>Type code (u8) of a metadata value in an .frnn file.</summary>
internal enum FrnnMetadataType : byte
{
    Int64 = 1,
    Float64 = 2,
    String = 3,
    Bool = 4,
    Int64Array = 5,
    StringArray = 6,
}
