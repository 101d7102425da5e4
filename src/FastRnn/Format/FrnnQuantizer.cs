using FastRnn.Kernels;

namespace FastRnn.Format;

/// <summary>
/// Rewrites an .frnn file with its large weight matrices in bfloat16 or int8 (docs/format.md, "Quantized tensors"),
/// everything else — metadata, biases, embeddings, attention, initial states, small matrices — unchanged.
/// </summary>
/// <remarks>
/// The policy, and the measurement behind it (docs/format.md): only matrices a step streams through a matrix–vector
/// product are converted — recurrent <c>weight_ih/hh/hr</c> and the <c>.weight</c> of linear layers — because those
/// bytes are what bounds a step. Embeddings are row lookups (no bandwidth saved per step), attention matrices are
/// small and feed a softmax whose error compounds over the whole memory, and a matrix under
/// <see cref="MinElements"/> weights is a few kilobytes whose quantization error buys nothing measurable.
/// </remarks>
public static class FrnnQuantizer
{
    /// <summary>Matrices with fewer weights stay float32.</summary>
    public const int MinElements = 4096;

    /// <summary>The converted file, ready to write.</summary>
    /// <exception cref="FrnnFormatException">A converted matrix holds a NaN or infinite weight (no finite int8 scale).</exception>
    public static FrnnWriter Convert(FrnnFile file, WeightPrecision weights) => Convert(file, weights, MinElements);

    /// <summary><see cref="Convert(FrnnFile, WeightPrecision)"/> with another size threshold (tests convert small models whole).</summary>
    internal static FrnnWriter Convert(FrnnFile file, WeightPrecision weights, int minElements)
    {
        ArgumentNullException.ThrowIfNull(file);
        var writer = new FrnnWriter();
        foreach ((string key, object value) in file.Metadata)
            AddMetadata(writer, key, value);

        foreach (FrnnTensorInfo t in file.Tensors)
        {
            if (IsScaleOfInt8(file, t))
                continue; // written with its int8 tensor, or dropped when that tensor is widened
            ReadOnlySpan<float> data = file.GetFloat32(t.Name);
            int[] shape = [.. t.Shape];
            WeightPrecision target = IsConverted(t, minElements) ? weights : WeightPrecision.Float32;
            switch (target)
            {
                case WeightPrecision.BFloat16:
                    var half = new ushort[data.Length];
                    WeightQuantizer.ToBFloat16(data, half);
                    writer.AddBFloat16Tensor(t.Name, shape, half);
                    break;
                case WeightPrecision.Int8:
                    int rows = shape[0], cols = shape[1];
                    var bytes = new sbyte[data.Length];
                    var scales = new float[rows];
                    WeightQuantizer.ToInt8(data, rows, cols, bytes, scales);
                    if (scales.Any(float.IsNaN))
                        FormatErrors.ThrowNonFiniteWeights(t.Name);
                    writer.AddInt8Tensor(t.Name, shape, bytes, scales);
                    break;
                default:
                    writer.AddTensor(t.Name, shape, data);
                    break;
            }
        }
        return writer;
    }

    /// <summary>Whether the policy converts tensor <paramref name="t"/> (see the remarks).</summary>
    public static bool IsConverted(FrnnTensorInfo t) => IsConverted(t, MinElements);

    private static bool IsConverted(FrnnTensorInfo t, int minElements)
    {
        ArgumentNullException.ThrowIfNull(t);
        if (t.Rank != 2 || t.ElementCount < minElements)
            return false;
        string leaf = t.Name[(t.Name.LastIndexOf('.') + 1)..];
        bool recurrent = leaf.StartsWith("weight_ih", StringComparison.Ordinal) || leaf.StartsWith("weight_hh", StringComparison.Ordinal)
            || leaf.StartsWith("weight_hr", StringComparison.Ordinal);
        bool linear = leaf == "weight" && !t.Name.Contains("embedding", StringComparison.Ordinal) && !t.Name.Contains("attention", StringComparison.Ordinal);
        return recurrent || linear;
    }

    private static bool IsScaleOfInt8(FrnnFile file, FrnnTensorInfo t)
    {
        if (!t.Name.EndsWith(FrnnLayout.ScaleSuffix, StringComparison.Ordinal))
            return false;
        string owner = t.Name[..^FrnnLayout.ScaleSuffix.Length];
        return file.ContainsTensor(owner) && file.GetTensorInfo(owner).DType == FrnnDType.Int8;
    }

    private static void AddMetadata(FrnnWriter writer, string key, object value)
    {
        switch (value)
        {
            case long l: writer.AddMetadata(key, l); break;
            case double d: writer.AddMetadata(key, d); break;
            case string s: writer.AddMetadata(key, s); break;
            case bool b: writer.AddMetadata(key, b); break;
            case IReadOnlyList<long> longs: writer.AddMetadata(key, longs.ToArray()); break;
            case IReadOnlyList<string> strings: writer.AddMetadata(key, strings.ToArray()); break;
            default: throw new InvalidOperationException($"metadata '{key}' has a value of type {value.GetType().Name}");
        }
    }
}
