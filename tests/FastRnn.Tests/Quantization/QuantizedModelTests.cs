using FastRnn.Decoding;
using FastRnn.Format;
using FastRnn.Tests.Models;
using FastRnn.Tests.Support;
using Xunit.Abstractions;

namespace FastRnn.Tests.Quantization;

/// <summary>
/// The shipped models rewritten by <see cref="FrnnQuantizer"/> still do their job: the date normaliser on its 2,000
/// held-out dates and the character LM's bits per character on its validation slice, against the PyTorch float64
/// golden value (which float32 FastRnn matches to ~1e-5 bits).
/// </summary>
public class QuantizedModelTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(WeightPrecision.BFloat16, 0.999)]
    [InlineData(WeightPrecision.Int8, 0.995)]
    public void DateNormalizer_KeepsItsExactMatchRate(WeightPrecision weights, double required)
    {
        using var temp = new TemporaryModel(Fixtures.ShippedModel("date-normalizer.frnn"), weights);
        var model = Seq2SeqModel.Load(temp.Path);
        var lines = DateNormalizerTests.TestSet();

        var (accuracy, misses) = DateNormalizerTests.GreedyAccuracy(model, lines);

        output.WriteLine($"{weights}: greedy exact match {accuracy:P2} ({lines.Count - misses.Count} of {lines.Count}), {temp.Bytes:N0} bytes");
        Assert.True(accuracy >= required, $"{weights}: exact match {accuracy:P2} is below {required:P1}; first misses: {string.Join("; ", misses.Take(10))}");
    }

    [Theory]
    [InlineData(WeightPrecision.BFloat16, 0.005)]
    [InlineData(WeightPrecision.Int8, 0.03)]
    public void CharLanguageModel_BitsPerCharacter_StayWithinTheBound(WeightPrecision weights, double bound)
    {
        var (text, goldenBits, _) = CharLanguageModelTests.Golden();
        using var temp = new TemporaryModel(Fixtures.ShippedModel("char-lm.frnn"), weights);
        var model = LanguageModel.Load(temp.Path);
        using var session = model.CreateSession();

        double bits = session.BitsPerToken(model.EncodeText(text));

        output.WriteLine($"{weights}: {bits:F5} bits/char, PyTorch float64 {goldenBits:F5}, +{bits - goldenBits:F5}; {temp.Bytes:N0} bytes");
        Assert.True(bits - goldenBits <= bound, $"{weights}: {bits:R} bits/char is {bits - goldenBits:F5} above float64's {goldenBits:R} (bound {bound})");
    }

    [Theory]
    [InlineData(WeightPrecision.BFloat16, FrnnDType.BFloat16)]
    [InlineData(WeightPrecision.Int8, FrnnDType.Int8)]
    public void Quantize_ConvertsTheRecurrentAndOutputMatrices_AndKeepsEmbeddingsAndBiasesFloat32(WeightPrecision weights, FrnnDType expected)
    {
        using var temp = new TemporaryModel(Fixtures.ShippedModel("char-lm.frnn"), weights);
        using FrnnFile file = FrnnFile.Open(temp.Path);
        foreach (FrnnTensorInfo t in file.Tensors)
        {
            bool matrix = t.Rank == 2 && t.ElementCount >= FrnnQuantizer.MinElements && !t.Name.Contains("embedding") && !t.Name.EndsWith(".scale");
            Assert.True(t.DType == (matrix ? expected : FrnnDType.Float32), $"{t.Name} {FormatName(t)} is {t.DType}");
        }
        Assert.Contains(file.Tensors, t => t.DType == expected);
    }

    private static string FormatName(FrnnTensorInfo t) => $"[{string.Join(", ", t.Shape)}]";

    /// <summary>A shipped model converted into a temporary file, deleted on dispose.</summary>
    private sealed class TemporaryModel : IDisposable
    {
        public TemporaryModel(string source, WeightPrecision weights)
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"fastrnn-{Guid.NewGuid():N}.frnn");
            using (FrnnFile file = FrnnFile.Open(source))
                FrnnQuantizer.Convert(file, weights).Save(Path);
            Bytes = new FileInfo(Path).Length;
        }

        public string Path { get; }

        public long Bytes { get; }

        public void Dispose() => File.Delete(Path);
    }
}
