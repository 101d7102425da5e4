using FastRnn.Import;

namespace FastRnn.Tests.Graph;

/// <summary>Truncated and damaged ONNX files given to the graph importer: always an <see cref="ImportException"/> naming the source, never a crash.</summary>
public class GraphImporterHostileInputTests
{
    private static void Refused(byte[] bytes, string fixture)
    {
        try
        {
            OnnxGraphImporter.Import(bytes, "bad.onnx", GraphFixtures.Options(fixture));
        }
        catch (ImportException e)
        {
            Assert.StartsWith("bad.onnx: ", e.Message);
        }
    }

    [Fact]
    public void EveryTruncation_IsAnImportException()
    {
        byte[] bytes = File.ReadAllBytes(GraphFixtures.PathOf("vad"));
        for (int length = 0; length < bytes.Length; length += bytes.Length / 150)
            Refused(bytes[..length], "vad");
    }

    [Fact]
    public void DamagedBytes_AreAnImportException_OrStillAValidModel()
    {
        byte[] original = File.ReadAllBytes(GraphFixtures.PathOf("kws_crnn"));
        var random = new Random(17);
        for (int trial = 0; trial < 300; trial++)
        {
            byte[] bytes = (byte[])original.Clone();
            for (int k = 0; k < 4; k++)
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            Refused(bytes, "kws_crnn");
        }
    }
}
