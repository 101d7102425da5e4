using FastRnn.Format;

namespace FastRnn.Tests.Format;

/// <summary>Pins the worked example in docs/format.md, so the spec and the writer cannot drift apart.</summary>
public class FrnnSpecExampleTests
{
    // Copied from the "Example" section of docs/format.md, rows 0x00..0xCF; the rest of the file is zeros.
    private const string DocumentedHex =
        "46 52 4E 4E 0D 0A 1A 0A 01 00 00 00 60 00 00 00" +
        "00 01 00 00 00 00 00 00 AE 87 20 78 00 00 00 00" +
        "60 00 00 00 00 00 00 00 23 00 00 00 00 00 00 00" +
        "83 00 00 00 00 00 00 00 1F 00 00 00 00 00 00 00" +
        "C0 00 00 00 00 00 00 00 40 00 00 00 00 00 00 00" +
        "02 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00" +
        "04 00 00 00 61 72 63 68 03 03 00 00 00 67 72 75" +
        "06 00 00 00 68 69 64 64 65 6E 01 02 00 00 00 00" +
        "00 00 00 01 00 00 00 62 01 01 02 00 00 00 00 00" +
        "00 00 00 00 00 00 00 00 00 00 08 00 00 00 00 00" +
        "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00" +
        "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00" +
        "00 00 80 3F 00 00 00 C0 00 00 00 00 00 00 00 00";

    [Fact]
    public void Writer_ProducesTheByteExactExampleFromTheSpec()
    {
        var writer = new FrnnWriter();
        writer.AddMetadata("arch", "gru");
        writer.AddMetadata("hidden", 2L);
        writer.AddTensor("b", [2], [1.0f, -2.0f]);

        byte[] expected = new byte[256];
        Convert.FromHexString(DocumentedHex.Replace(" ", "")).CopyTo(expected, 0);
        Assert.Equal(expected, writer.ToArray());
    }

    [Fact]
    public void Reader_DecodesTheExampleFromTheSpec()
    {
        byte[] bytes = new byte[256];
        Convert.FromHexString(DocumentedHex.Replace(" ", "")).CopyTo(bytes, 0);
        using FrnnFile file = FrnnFile.Parse(bytes);

        Assert.Equal("gru", file.GetString("arch"));
        Assert.Equal(2, file.GetInt64("hidden"));
        Assert.Equal([1.0f, -2.0f], file.GetFloat32("b", [2]).ToArray());
    }
}
