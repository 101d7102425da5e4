using FastRnn.Runtime;

namespace FastRnn.Kernels;

// The bfloat16 and int8 storage of a packed matrix. The fp32 fields stay as they are (an empty buffer here), so the
// fp32 products run exactly the code they ran before quantized weights existed.
internal sealed partial class PackedMatrix
{
    private static readonly AlignedBuffer s_noFloats = new(0);

    private PackedMatrix(int rows, int cols, BFloat16Panels? bfloat16, Int8Panels? int8)
    {
        Rows = rows;
        Cols = cols;
        _data = s_noFloats;
        BFloat16 = bfloat16;
        Int8 = int8;
        Element = int8 is not null ? WeightElement.Int8 : WeightElement.BFloat16;
        WeightBytes = QuantizedBytes(PanelCount, cols, int8);
        Kernels = KernelSelector.KernelsForWeights((long)rows * cols * (int8 is not null ? 1 : 2));
        BlockKernels = KernelSelector.Default;
    }

    /// <summary>How the weights are stored; the kernels dispatch on it once per product.</summary>
    public WeightElement Element { get; }

    /// <summary>The bfloat16 panels, when <see cref="Element"/> is <see cref="WeightElement.BFloat16"/>.</summary>
    public BFloat16Panels? BFloat16 { get; }

    /// <summary>The int8 panels and per-row scales, when <see cref="Element"/> is <see cref="WeightElement.Int8"/>.</summary>
    public Int8Panels? Int8 { get; }

    /// <summary>Bytes of weights a product streams (scales included), set when the matrix is made: products ask for it.</summary>
    public long WeightBytes { get; }

    private static long QuantizedBytes(int panelCount, int cols, Int8Panels? int8)
    {
        if (int8 is null)
            return 2L * panelCount * PanelRows * cols;
        long bytes = 0;
        foreach (Int8Segment s in int8.Segments)
            bytes += (long)panelCount * PanelRows * (4L * s.Quads + sizeof(float));
        return bytes;
    }

    /// <summary>Packs a row-major (rows, cols) matrix stored as <paramref name="data"/> says, keeping its element type.</summary>
    public static PackedMatrix FromWeights(WeightData data, int rows, int cols)
    {
        CheckShape(data, rows, cols);
        return data.Element switch
        {
            WeightElement.BFloat16 => new PackedMatrix(rows, cols, BFloat16Panels.Pack(rows, [cols], data.BFloat16, checksumA: data.Checksum, threads: data.PackThreads), null),
            WeightElement.Int8 => new PackedMatrix(rows, cols, null, Int8Panels.Pack(rows, [cols], data.Int8, data.Scales, checksumA: data.Checksum, threads: data.PackThreads)),
            _ => FromRowMajor(data.Float32, rows, cols, checksum: data.Checksum, threads: data.PackThreads),
        };
    }

    /// <summary>
    /// [A | B] as one matrix, like <see cref="FromRowMajorPair"/>, keeping the element type when both share it; int8
    /// keeps each block's own scales (two segments). Blocks of different types are both widened to float32.
    /// </summary>
    public static PackedMatrix FromWeightPair(WeightData a, int colsA, WeightData b, int colsB, int rows)
    {
        CheckShape(a, rows, colsA);
        CheckShape(b, rows, colsB);
        int cols = checked(colsA + colsB);
        int threads = Math.Max(a.PackThreads, b.PackThreads);
        if (a.Element != b.Element)
            return FromRowMajorPair(a.ToFloat32(colsA), colsA, b.ToFloat32(colsB), colsB, rows, threads: threads);
        return a.Element switch
        {
            WeightElement.BFloat16 => new PackedMatrix(rows, cols, BFloat16Panels.Pack(rows, [colsA, colsB], a.BFloat16, b.BFloat16, a.Checksum, b.Checksum, threads), null),
            WeightElement.Int8 => new PackedMatrix(rows, cols, null, Int8Panels.Pack(rows, [colsA, colsB], a.Int8, a.Scales, b.Int8, b.Scales, a.Checksum, b.Checksum, threads)),
            _ => FromRowMajorPair(a.Float32, colsA, b.Float32, colsB, rows, checksumA: a.Checksum, checksumB: b.Checksum, threads: threads),
        };
    }

    /// <summary>Quantizes a row-major float32 matrix to <paramref name="element"/> and packs it (the conversion a file
    /// converter applies, see <see cref="WeightQuantizer"/>).</summary>
    public static PackedMatrix Quantize(ReadOnlySpan<float> source, int rows, int cols, WeightElement element)
    {
        switch (element)
        {
            case WeightElement.BFloat16:
                var half = new ushort[source.Length];
                WeightQuantizer.ToBFloat16(source, half);
                return FromWeights(new WeightData(half), rows, cols);
            case WeightElement.Int8:
                var bytes = new sbyte[source.Length];
                var scales = new float[rows];
                WeightQuantizer.ToInt8(source, rows, cols, bytes, scales);
                return FromWeights(new WeightData(bytes, scales), rows, cols);
            default:
                return FromRowMajor(source, rows, cols);
        }
    }

    private PackedMatrix QuantizedColumns(int start, int count)
        => Element == WeightElement.Int8
            ? new PackedMatrix(Rows, count, null, Int8!.Columns(start, count))
            : new PackedMatrix(Rows, count, BFloat16!.Columns(start, count), null);

    private float QuantizedValue(int row, int col)
    {
        if (Element == WeightElement.BFloat16)
            return WeightQuantizer.FromBFloat16(BFloat16![row / PanelRows, col, row % PanelRows]);
        (sbyte value, float scale) = Int8![row / PanelRows, col, row % PanelRows];
        return value * scale;
    }

    private static void CheckShape(WeightData data, int rows, int cols)
    {
        if (rows <= 0 || cols <= 0)
            throw new ArgumentOutOfRangeException(nameof(rows), $"a packed matrix needs positive dimensions, got ({rows}, {cols})");
        if (data.Length != (long)rows * cols)
            throw new ArgumentException($"matrix data has {data.Length} elements; expected rows * cols = {rows} * {cols} = {(long)rows * cols}", nameof(data));
        if (data.Element == WeightElement.Int8 && data.Scales.Length != rows)
            throw new ArgumentException($"an int8 matrix of {rows} rows has {data.Scales.Length} scales; expected one per row", nameof(data));
    }
}
