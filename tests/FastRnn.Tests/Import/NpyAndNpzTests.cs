using System.Buffers.Binary;
using FastRnn.Import;
using static FastRnn.Tests.Import.NpyBytes;

namespace FastRnn.Tests.Import;

/// <summary>
/// .npz archives (float32/float64/float16 arrays) and .npy files (float32, written and read): what numpy writes is
/// read, and Fortran order, big-endian, object and other dtypes, truncated and trailing data are refused with an
/// <see cref="ImportException"/> naming the array and the problem.
/// </summary>
public class NpyAndNpzTests
{
    private static ImportException NpzRejects(params (string, byte[])[] entries)
    {
        using var temp = ImportTemp.With(".npz", Npz(false, entries));
        return Assert.Throws<ImportException>(() => NpzFile.Read(temp.Path));
    }

    private static ImportException NpyRejects(byte[] bytes)
    {
        using var temp = ImportTemp.With(".npy", bytes);
        return Assert.Throws<ImportException>(() => NpyArray.Read(temp.Path));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void NpzRead_Float32Float64Float16_InArchiveOrder(bool compressed)
    {
        var f64 = new byte[16];
        BinaryPrimitives.WriteDoubleLittleEndian(f64, 0.1);
        BinaryPrimitives.WriteDoubleLittleEndian(f64.AsSpan(8), -3);
        var f16 = new byte[2];
        BinaryPrimitives.WriteHalfLittleEndian(f16, (Half)0.5f);
        using var temp = ImportTemp.With(".npz", Npz(compressed,
            ("lstm/kernel:0.npy", Build(Dict("<f4", "(2, 1)"), SafetensorsBytes.Floats(1, 2))),
            ("b.npy", Build(Dict("<f8", "(2,)"), f64)),
            ("a.npy", Build(Dict("<f2", "()"), f16))));

        var arrays = NpzFile.Read(temp.Path);

        Assert.Equal(["lstm/kernel:0", "b", "a"], arrays.Select(a => a.Key));
        Assert.Equal([2, 1], arrays[0].Value.Shape);
        Assert.Equal([1f, 2], arrays[0].Value.Data);
        Assert.Equal([0.1f, -3], arrays[1].Value.Data);
        Assert.Equal([], arrays[2].Value.Shape);
        Assert.Equal([0.5f], arrays[2].Value.Data);
    }

    [Fact]
    public void NpzRead_FortranOrder_IsRejected()
    {
        var e = NpzRejects(("w.npy", Build(Dict("<f4", "(2, 2)", fortran: true), new byte[16])));
        Assert.Contains("array 'w' is in Fortran (column-major) order", e.Message);
    }

    [Fact]
    public void NpzRead_BigEndian_IsRejected()
    {
        var e = NpzRejects(("w.npy", Build(Dict(">f4", "(2,)"), new byte[8])));
        Assert.Contains("array 'w' is big-endian (dtype '>f4')", e.Message);
    }

    [Fact]
    public void NpzRead_TruncatedData_IsRejected()
    {
        var e = NpzRejects(("w.npy", Build(Dict("<f4", "(3, 2)"), new byte[20])));
        Assert.Contains("array 'w' is truncated: its data is 20 bytes; shape (3, 2) of '<f4' needs 24", e.Message);
    }

    [Fact]
    public void NpzRead_TrailingBytes_AreRejected()
    {
        var e = NpzRejects(("w.npy", Build(Dict("<f4", "(1,)"), new byte[8])));
        Assert.Contains("array 'w' has trailing bytes after the 4 bytes", e.Message);
    }

    [Fact]
    public void NpzRead_ObjectArray_IsRejectedWithoutUnpickling()
    {
        var e = NpzRejects(("names.npy", Build(Dict("|O", "(2,)"), [0x80, 0x04, 0x95])));
        Assert.Contains("array 'names' is an object array (dtype '|O')", e.Message);
        Assert.Contains("never loaded", e.Message);
    }

    [Fact]
    public void NpzRead_IntegerArray_IsRejected()
    {
        var e = NpzRejects(("steps.npy", Build(Dict("<i8", "(1,)"), new byte[8])));
        Assert.Contains("array 'steps' has dtype '<i8'; expected float32 ('<f4'), float64 ('<f8') or float16 ('<f2')", e.Message);
    }

    [Fact]
    public void NpzRead_StructuredDtype_IsRejected()
    {
        var e = NpzRejects(("r.npy", Build("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", new byte[4])));
        Assert.Contains("array 'r' has a structured dtype", e.Message);
    }

    [Fact]
    public void NpzRead_EntryThatIsNotNpy_IsRejected()
    {
        var e = NpzRejects(("notes.txt", "hello"u8.ToArray()));
        Assert.Contains("entry 'notes.txt' is not a .npy array", e.Message);
    }

    [Fact]
    public void NpzRead_FileThatIsNotAZip_IsRejected()
    {
        using var temp = ImportTemp.With(".npz", Build(Dict("<f4", "(1,)"), new byte[4]));
        var e = Assert.Throws<ImportException>(() => NpzFile.Read(temp.Path));
        Assert.Contains("is not a valid zip archive", e.Message);
    }

    [Theory]
    [InlineData("{'descr': '<f4', 'fortran_order': False}", "without shape")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}", "unknown header key 'extra'")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}", "shape element -2")]
    [InlineData("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}", "fortran_order that is not True or False")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", "not a Python dict literal")]
    [InlineData("__import__('os')", "not a Python dict literal")]
    public void NpzRead_MalformedHeader_IsRejected(string dict, string problem)
    {
        var e = NpzRejects(("w.npy", Build(dict, new byte[8])));
        Assert.Contains("array 'w'", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void NpzRead_HugeShape_IsRejectedBeforeAllocating()
    {
        var e = NpzRejects(("w.npy", Build(Dict("<f4", "(100000, 100000)"), new byte[8])));
        Assert.Contains("array 'w' has 10000000000 elements", e.Message);
    }

    [Fact]
    public void NpyWrite_ThenRead_RoundTrips()
    {
        using var temp = new ImportTemp(".npy");
        float[] data = [1, -2, 3.25f, float.NaN, 0, 6];
        NpyArray.Write(temp.Path, [3, 1, 2], data);

        byte[] bytes = File.ReadAllBytes(temp.Path);
        Assert.Equal(0, (bytes.Length - data.Length * 4) % 64); // data aligned to 64 bytes, as numpy writes it
        Assert.Contains("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 1, 2), }", System.Text.Encoding.ASCII.GetString(bytes));

        TensorData read = NpyArray.Read(temp.Path);
        Assert.Equal([3, 1, 2], read.Shape);
        Assert.Equal(data, read.Data);
    }

    [Fact]
    public void NpyWrite_OneDimensional_UsesPythonTupleSyntax()
    {
        using var temp = new ImportTemp(".npy");
        NpyArray.Write(temp.Path, [2], [1f, 2]);
        Assert.Contains("'shape': (2,)", System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(temp.Path)));
        Assert.Equal([2], NpyArray.Read(temp.Path).Shape);
    }

    [Fact]
    public void NpyWrite_ShapeNotMatchingData_Throws()
    {
        using var temp = new ImportTemp(".npy");
        var e = Assert.Throws<ArgumentException>(() => NpyArray.Write(temp.Path, [2, 2], [1f, 2, 3]));
        Assert.Contains("data has 3 floats; shape (2, 2) needs 4", e.Message);
    }

    [Fact]
    public void NpyRead_Truncated_IsRejected()
    {
        var e = NpyRejects(Build(Dict("<f4", "(4,)"), new byte[10]));
        Assert.Contains("array is truncated: its data is 10 bytes; shape (4,) of '<f4' needs 16", e.Message);
    }

    [Fact]
    public void NpyRead_TruncatedHeader_IsRejected()
    {
        var e = NpyRejects(Build(Dict("<f4", "(4,)"), new byte[16])[..30]);
        Assert.Contains("truncated inside its header", e.Message);
    }

    [Theory]
    [InlineData("<f8")]
    [InlineData("<f2")]
    [InlineData("<i4")]
    public void NpyRead_NotFloat32_IsRejected(string descr)
    {
        var e = NpyRejects(Build(Dict(descr, "(2,)"), new byte[16]));
        Assert.Contains($"has dtype '{descr}'; expected float32 ('<f4')", e.Message);
    }

    [Fact]
    public void NpyRead_FortranOrder_IsRejected()
    {
        var e = NpyRejects(Build(Dict("<f4", "(2, 2)", fortran: true), new byte[16]));
        Assert.Contains("Fortran", e.Message);
    }

    [Fact]
    public void NpyRead_NotNpy_IsRejected()
    {
        var e = NpyRejects("PK\u0003\u0004 definitely not numpy"u8.ToArray());
        Assert.Contains("does not start with the magic", e.Message);
    }
}
