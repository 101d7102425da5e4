namespace FastRnn.Format;

/// <summary>How <see cref="FrnnQuantizer"/> stores the weight matrices it converts.</summary>
public enum WeightPrecision
{
    /// <summary>float32 (widening any bfloat16, float16 or int8 tensor back).</summary>
    Float32,

    /// <summary>bfloat16: half the bytes, ~3 significant digits per weight, products still summed in float32.</summary>
    BFloat16,

    /// <summary>int8 with one float32 scale per row: a quarter of the bytes; activations are quantized per step.</summary>
    Int8,
}
