using FastRnn.Decoding;
using FastRnn.Format;
using FastRnn.Import;
using FastRnn.Tests.Import;

namespace FastRnn.Tests.Fuzz;

/// <summary>
/// Every reader against seeded mutants of valid files for a bounded time (<see cref="FuzzBudget"/>): the only allowed
/// outcomes are a successful read and the reader's documented exception, and no input may make a reader allocate
/// more than a small multiple of its size. CI also runs these under <c>DOTNET_GCHeapHardLimit</c>, where an
/// allocation sized by a declared field is an OutOfMemoryException and fails the test.
/// </summary>
[Trait("Category", "Fuzz")]
[Collection(FastRnn.Tests.Support.SerialCollection.Name)]
public class ReaderFuzzTests
{
    [Fact]
    public void Frnn_MutantsAreReadOrRefusedWithFrnnFormatException()
    {
        using var scratch = new ImportTemp(".frnn"); // LanguageModel loads from a path only
        Assert.True(FuzzRun.Run("frnn", FuzzCorpus.Frnn(), StructuredMutations.Frnn, bytes => ReadFrnn(bytes, scratch.Path), typeof(FrnnFormatException)) > 0);
    }

    [Fact]
    public void Safetensors_MutantsAreReadOrRefusedWithImportException()
        => Assert.True(FuzzRun.Run("safetensors", FuzzCorpus.Safetensors(), (m, a, b) => m.Mutate(a, b), ReadSafetensors, typeof(ImportException)) > 0);

    [Fact]
    public void Npy_MutantsAreReadOrRefusedWithImportException()
    {
        using var file = new ImportTemp(".npy");
        Assert.True(FuzzRun.Run("npy", FuzzCorpus.Npy(), (m, a, b) => m.Mutate(a, b), bytes =>
        {
            File.WriteAllBytes(file.Path, bytes);
            TensorData t = NpyArray.Read(file.Path);
            Assert.Equal(t.Shape.Aggregate(1L, (p, d) => p * d), t.Data.Length);
        }, typeof(ImportException)) > 0);
    }

    [Fact]
    public void Npz_MutantsAreReadOrRefusedWithImportException()
    {
        using var file = new ImportTemp(".npz");
        Assert.True(FuzzRun.Run("npz", FuzzCorpus.Npz(), StructuredMutations.Npz, bytes =>
        {
            File.WriteAllBytes(file.Path, bytes);
            foreach ((string _, TensorData t) in NpzFile.Read(file.Path))
                Assert.Equal(t.Shape.Aggregate(1L, (p, d) => p * d), t.Data.Length);
        }, typeof(ImportException)) > 0);
    }

    [Fact]
    public void Onnx_MutantsAreImportedOrRefusedWithImportException()
        => Assert.True(FuzzRun.Run("onnx", FuzzCorpus.Onnx(), StructuredMutations.Onnx, bytes => OnnxImporter.Import(bytes, "fuzz.onnx"), typeof(ImportException)) > 0);

    [Fact]
    public void OnnxExternalData_MutantsAreImportedOrRefused_ReadingOnlyTheModelsDirectory()
    {
        using var fuzz = new OnnxExternalDataFuzz();
        Assert.True(FuzzRun.Run("onnx-external", fuzz.Corpus, fuzz.Mutate, fuzz.Read, typeof(ImportException)) > 0);
    }

    [Fact]
    public void Torch_MutantsAreReadOrRefusedWithImportException()
    {
        using var file = new ImportTemp(".pt");
        Assert.True(FuzzRun.Run("pt", FuzzCorpus.Torch(), StructuredMutations.Torch, bytes =>
        {
            File.WriteAllBytes(file.Path, bytes);
            foreach ((string _, TensorData t) in TorchFile.Read(file.Path))
                Assert.Equal(t.Shape.Aggregate(1L, (p, d) => p * d), t.Data.Length);
        }, typeof(ImportException)) > 0);
    }

    // The container, every tensor view, then the model its architecture names, as the loaders would build it.
    private static void ReadFrnn(byte[] bytes, string scratch)
    {
        using FrnnFile file = FrnnFile.Parse(bytes);
        foreach (FrnnTensorInfo t in file.Tensors)
            Assert.Equal(t.ElementCount, file.GetFloat32(t.Name).Length);
        _ = file.Metadata.Count;
        if (!file.TryGetString("fastrnn.architecture", out string? architecture))
            return;
        if (architecture == "rnn")
            _ = RnnModel.Load(file);
        else if (architecture == "seq2seq")
            _ = Seq2SeqModel.Load(file);
        else if (architecture == "graph")
            _ = FastRnn.Graph.GraphModel.Load(file);
        else if (architecture == "lm")
        {
            File.WriteAllBytes(scratch, bytes);
            _ = LanguageModel.Load(scratch);
        }
    }

    private static void ReadSafetensors(byte[] bytes)
    {
        using SafetensorsFile file = SafetensorsFile.Parse(bytes, "fuzz.safetensors");
        foreach (SafetensorsTensorInfo t in file.Tensors)
        {
            if (t.DType is "F32" or "F16" or "BF16" or "F64")
                Assert.Equal(t.ElementCount, file.ReadTensor(t.Name).Data.LongLength);
        }
    }
}
