namespace FastRnn.Kernels;

/// <summary>How a packed matrix stores its weights.</summary>
internal enum WeightElement
{
    /// <summary>binary32: the reference, 4 bytes a weight.</summary>
    Float32,

    /// <summary>bfloat16 (the upper half of a binary32), widened to float in registers: 2 bytes a weight.</summary>
    BFloat16,

    /// <summary>Signed bytes in ±127 with one float scale per output row (symmetric, zero point 0): 1 byte a weight.</summary>
    Int8,
}
