using System.Runtime.InteropServices;
using FastRnn.Format;

namespace FastRnn.Tests.Format;

/// <summary>bfloat16, int8 (with its per-row scales) and float16 tensors through the writer and the reader.</summary>
public class FrnnQuantizedTensorTests
{
    [Fact]
    public void BFloat16Tensor_RoundTrips_AndWidensExactly()
    {
        ushort[] bits = [0x3F80, 0xC000, 0x0000, 0x3EAB]; // 1, -2, 0, 0.333984375
        var writer = new FrnnWriter();
        writer.AddBFloat16Tensor("w", [2, 2], bits);
        using FrnnFile file = FrnnFile.Parse(writer.ToArray());

        FrnnTensorInfo info = file.GetTensorInfo("w");
        Assert.Equal(FrnnDType.BFloat16, info.DType);
        Assert.Equal(8, info.ByteLength);
        Assert.Equal(new[] { 1f, -2f, 0f, 0.333984375f }, file.GetFloat32("w").ToArray());
    }

    [Fact]
    public void Int8Tensor_StoresItsScalesAlongside_AndWidensAsByteTimesRowScale()
    {
        var writer = new FrnnWriter();
        writer.AddInt8Tensor("w", [2, 3], [127, -64, 0, 1, 2, -127], [0.5f, 0.25f]);
        using FrnnFile file = FrnnFile.Parse(writer.ToArray());

        Assert.Equal(FrnnDType.Int8, file.GetTensorInfo("w").DType);
        Assert.Equal(FrnnDType.Float32, file.GetTensorInfo("w.scale").DType);
        Assert.Equal(new[] { 2 }, file.GetTensorInfo("w.scale").Shape);
        Assert.Equal(new[] { 63.5f, -32f, 0f, 0.25f, 0.5f, -31.75f }, file.GetFloat32("w").ToArray());
    }

    [Fact]
    public void AddInt8Tensor_RefusesMinus128_AndAWrongScaleCount()
    {
        var writer = new FrnnWriter();
        Assert.Contains("-128", Assert.Throws<ArgumentException>(() => writer.AddInt8Tensor("w", [1, 2], [-128, 0], [1f])).Message);
        Assert.Throws<ArgumentException>(() => writer.AddInt8Tensor("v", [2, 2], [1, 2, 3, 4], [1f]));
    }

    [Fact]
    public void Parse_RejectsAnInt8TensorWithoutItsScales()
    {
        byte[] bytes = Int8File();
        // Rename the scale tensor ("w.scale" -> "w.scalf") so the int8 tensor has none.
        var entry = FrnnBytes.FindTensor(bytes, "w.scale");
        bytes[entry.NameAt + "w.scal".Length] = (byte)'f';

        var e = Assert.Throws<FrnnFormatException>(() => FrnnFile.Parse(FrnnBytes.FixChecksum(bytes)));
        Assert.Equal("int8 tensor 'w' has no scale tensor 'w.scale'", e.Message);
    }

    [Fact]
    public void Parse_RejectsScalesOfTheWrongShape()
    {
        var writer = new FrnnWriter();
        writer.AddTensor("w.scale", [3], [1f, 1f, 1f]);
        byte[] bytes = WithInt8(writer);

        var e = Assert.Throws<FrnnFormatException>(() => FrnnFile.Parse(bytes));
        Assert.Equal("scale tensor 'w.scale' of int8 tensor 'w': expected float32 [], actual float32 [3]", e.Message);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(-1f)]
    [InlineData(float.PositiveInfinity)]
    public void ReadingAnInt8Tensor_RefusesAScaleThatIsNotFiniteAndNonNegative(float scale)
    {
        var writer = new FrnnWriter();
        writer.AddInt8Tensor("w", [2, 2], [1, 2, 3, 4], [1f, scale]);
        using FrnnFile file = FrnnFile.Parse(writer.ToArray());

        var e = Assert.Throws<FrnnFormatException>(() => file.GetFloat32("w").ToArray());
        Assert.StartsWith("int8 tensor 'w' row 1: scale ", e.Message);
        Assert.Throws<FrnnFormatException>(() => file.GetWeights("w", [2, 2]));
    }

    [Fact]
    public void QuantizingAnInt8FileAgain_KeepsEveryByte()
    {
        // The converter widens int8 to float and quantizes again; with max |q| = 127 per row that is the identity on
        // the bytes, so `quantize` is safe to run on its own output.
        var random = new Random(3);
        float[] w = Enumerable.Range(0, 64 * 40).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var first = new FrnnWriter();
        var bytes = new sbyte[w.Length];
        var scales = new float[64];
        FastRnn.Kernels.WeightQuantizer.ToInt8(w, 64, 40, bytes, scales);
        first.AddInt8Tensor("layer.weight", [64, 40], bytes, scales);
        using FrnnFile once = FrnnFile.Parse(first.ToArray());
        using FrnnFile twice = FrnnFile.Parse(FrnnQuantizer.Convert(once, WeightPrecision.Int8, minElements: 1).ToArray());

        var again = twice.GetWeights("layer.weight", [64, 40]);
        Assert.Equal(bytes, again.Int8.ToArray());
        for (int r = 0; r < 64; r++)
            Assert.True(Math.Abs(again.Scales[r] - scales[r]) <= 2 * (MathF.BitIncrement(scales[r]) - scales[r]), $"row {r}: scale {again.Scales[r]} vs {scales[r]}");
    }

    [Fact]
    public void Float16Tensor_IsWidenedOnRead()
    {
        Half[] values = [(Half)1.5f, (Half)(-0.25f), (Half)65504f];
        var writer = new FrnnWriter();
        writer.AddBFloat16Tensor("h", [3], MemoryMarshal.Cast<Half, ushort>(values));
        byte[] bytes = writer.ToArray();
        bytes[FrnnBytes.FindTensor(bytes, "h").DTypeAt] = (byte)FrnnDType.Float16; // same size, other meaning
        using FrnnFile file = FrnnFile.Parse(FrnnBytes.FixChecksum(bytes));

        Assert.Equal(new[] { 1.5f, -0.25f, 65504f }, file.GetFloat32("h").ToArray());
    }

    [Fact]
    public void WorkedExampleOfTheSpec_QuantizesToTheBytesItShows()
    {
        // docs/format.md, "Quantized tensors": the bytes and values there were worked out by hand from the rules.
        float[] w = [0.5f, -1.0f, 0.25f, 0.02f, 0.04f, -0.01f];
        var writer = new FrnnWriter();
        var bytes = new sbyte[6];
        var scales = new float[2];
        FastRnn.Kernels.WeightQuantizer.ToInt8(w, 2, 3, bytes, scales);
        writer.AddInt8Tensor("w", [2, 3], bytes, scales);
        byte[] file = writer.ToArray();

        var entry = FrnnBytes.FindTensor(file, "w");
        int data = (int)(FrnnBytes.U64(file, FrnnBytes.DataOffsetOffset) + FrnnBytes.U64(file, entry.OffsetAt));
        Assert.Equal("40 81 20 40 7f e0", Hex(file.AsSpan(data, 6)));
        var scaleEntry = FrnnBytes.FindTensor(file, "w.scale");
        int scaleData = (int)(FrnnBytes.U64(file, FrnnBytes.DataOffsetOffset) + FrnnBytes.U64(file, scaleEntry.OffsetAt));
        Assert.Equal("04 02 01 3c 4d 21 a5 39", Hex(file.AsSpan(scaleData, 8)));
        Assert.Equal(new ushort[] { 0x3F00, 0xBF80, 0x3E80, 0x3CA4, 0x3D24, 0xBC24 }, w.Select(FastRnn.Kernels.WeightQuantizer.ToBFloat16).ToArray());

        var packed = FastRnn.Kernels.PackedMatrix.FromWeights(new FastRnn.Kernels.WeightData(bytes, scales), 2, 3);
        var y = new float[2];
        FastRnn.Kernels.KernelSelector.Get(FastRnn.Kernels.KernelIsa.Scalar).Multiply(packed, [1.0f, -0.5f, 2.0f], 3, y, 2, 1, default, accumulate: false);
        Assert.Equal(1.51578, y[0], 5);
        Assert.Equal(-0.0199988, y[1], 7);
    }

    private static string Hex(ReadOnlySpan<byte> bytes) => string.Join(" ", bytes.ToArray().Select(b => b.ToString("x2")));

    private static byte[] Int8File()
    {
        var writer = new FrnnWriter();
        writer.AddInt8Tensor("w", [2, 2], [1, 2, 3, 4], [1f, 2f]);
        return writer.ToArray();
    }

    // A float32 "w" of shape [1] (4 bytes) patched into int8 of shape [4] (the same 4 bytes), so that its scale
    // tensor can be anything the test wrote; a rank-1 int8 tensor has one row, so its scales have shape [].
    private static byte[] WithInt8(FrnnWriter writer)
    {
        writer.AddTensor("w", [1], [0f]);
        byte[] bytes = writer.ToArray();
        var entry = FrnnBytes.FindTensor(bytes, "w");
        bytes[entry.DTypeAt] = (byte)FrnnDType.Int8;
        FrnnBytes.SetU64(bytes, entry.DimsAt, 4);
        return FrnnBytes.FixChecksum(bytes);
    }
}
