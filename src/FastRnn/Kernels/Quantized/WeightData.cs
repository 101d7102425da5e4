using FastRnn.Format;

namespace FastRnn.Kernels;

/// <summary>
/// The row-major data of one weight matrix as a file holds it: float32, bfloat16, or int8 with one scale per row.
/// Exactly one of the spans is set, as <see cref="Element"/> says; <see cref="Scales"/> goes with <see cref="Int8"/>.
/// </summary>
internal readonly ref struct WeightData
{
    public WeightData(ReadOnlySpan<float> float32, SourceChecksum? checksum = null)
    {
        Element = WeightElement.Float32;
        Float32 = float32;
        Checksum = checksum;
    }

    public WeightData(ReadOnlySpan<ushort> bfloat16, SourceChecksum? checksum = null)
    {
        Element = WeightElement.BFloat16;
        BFloat16 = bfloat16;
        Checksum = checksum;
    }

    public WeightData(ReadOnlySpan<sbyte> int8, ReadOnlySpan<float> scales, SourceChecksum? checksum = null)
    {
        Element = WeightElement.Int8;
        Int8 = int8;
        Scales = scales;
        Checksum = checksum;
    }

    public WeightElement Element { get; }

    public ReadOnlySpan<float> Float32 { get; }

    /// <summary>Where the packer of the weights records the CRC-32C of their bytes (the int8 bytes, not their scales),
    /// when a loader deferred the file's checksum to it; null otherwise.</summary>
    public SourceChecksum? Checksum { get; }

    /// <summary>Threads its packer may use (<see cref="ModelLoadOptions.Threads"/>); 1 unless a loader says otherwise.</summary>
    public int PackThreads
    {
        get => Math.Max(_packThreads, 1);
        init => _packThreads = value;
    }

    private readonly int _packThreads;

    public ReadOnlySpan<ushort> BFloat16 { get; }

    public ReadOnlySpan<sbyte> Int8 { get; }

    /// <summary>One scale per row of an int8 matrix: W[r, k] = Int8[r * cols + k] · Scales[r].</summary>
    public ReadOnlySpan<float> Scales { get; }

    public int Length => Element switch
    {
        WeightElement.BFloat16 => BFloat16.Length,
        WeightElement.Int8 => Int8.Length,
        _ => Float32.Length,
    };

    /// <summary>The values as floats, exactly (bfloat16 widens exactly; int8 times its row's scale rounds once).</summary>
    public float[] ToFloat32(int cols)
    {
        var result = new float[Length];
        switch (Element)
        {
            case WeightElement.BFloat16:
                WeightQuantizer.WidenBFloat16(BFloat16, result);
                break;
            case WeightElement.Int8:
                for (int i = 0; i < result.Length; i++)
                    result[i] = Int8[i] * Scales[i / cols];
                break;
            default:
                Float32.CopyTo(result);
                break;
        }
        return result;
    }
}
