using System.Globalization;
using FastRnn.Decoding;
using FastRnn.Format;
using FastRnn.Tests.Support;
using Xunit.Abstractions;

namespace FastRnn.Tests.Models;

/// <summary>
/// The shipped seq2seq model weights/date-normalizer.frnn (trained by tools/train/train_date_normalizer.py) on the
/// committed held-out test set Fixtures/models/date-test.tsv (2,000 "input TAB ISO date" lines from tools/dates.py,
/// a generator seed never trained on): the engine itself must normalise the dates, not just agree with PyTorch.
/// </summary>
public class DateNormalizerTests(ITestOutputHelper output)
{
    // The accuracy the shipped model must reach. PyTorch's greedy decoding gets every line right (weights/README.md),
    // with the best character ahead of the second by at least 4 in log-probability, so a float32 engine has no
    // near-ties to lose here.
    private const double RequiredAccuracy = 0.99;

    // An ISO date is 10 characters and EOS; the limit leaves room to see a model that does not stop.
    private const int MaxOutputLength = 16;

    private const int BeamSize = 4, BeamLines = 200;

    private static readonly string ModelPath = Fixtures.ShippedModel("date-normalizer.frnn");

    [Fact]
    public void Greedy_NormalizesTheHeldOutTestSet()
    {
        var model = Seq2SeqModel.Load(ModelPath);
        var lines = TestSet();

        var (accuracy, misses) = GreedyAccuracy(model, lines);

        output.WriteLine($"greedy exact match {accuracy:P2} ({lines.Count - misses.Count} of {lines.Count})");
        Assert.Equal(2000, lines.Count);
        Assert.True(accuracy >= RequiredAccuracy,
            $"greedy exact match {accuracy:P2} on {lines.Count} dates is below {RequiredAccuracy:P0}; first misses: "
            + string.Join("; ", misses.Take(10)));
    }

    [Fact]
    public void BeamSearch_AgreesWithGreedy()
    {
        var model = Seq2SeqModel.Load(ModelPath);
        var lines = TestSet().Take(BeamLines).ToList();
        using var decoder = model.CreateDecoder(beamSize: BeamSize, maxOutputLength: MaxOutputLength);
        int correct = 0;

        foreach (var (input, expected) in lines)
        {
            decoder.Encode(model.EncodeText(input));
            int count = decoder.BeamSearch(new BeamOptions { BeamSize = BeamSize, MaxLength = MaxOutputLength });
            Assert.True(count > 0, $"beam search returned no hypothesis for \"{input}\"");
            if (model.DecodeText(decoder.GetBeamResult(0, out _, out _)) == expected)
                correct++;
        }

        double beam = (double)correct / lines.Count;
        var (greedy, _) = GreedyAccuracy(model, lines);
        output.WriteLine($"first {lines.Count} dates: beam search (k = {BeamSize}) {beam:P2}, greedy {greedy:P2}");
        Assert.True(Math.Abs(beam - greedy) <= 0.01,
            $"beam search (k = {BeamSize}) exact match {beam:P2} and greedy {greedy:P2} on the first {lines.Count} dates differ by more than 1%");
    }

    [Fact]
    public void Open_ReadsTheModelCardMetadata()
    {
        using FrnnFile file = FrnnFile.Open(ModelPath);

        Assert.Equal("date-normalizer", file.GetString("model.name"));
        Assert.Equal("date normalisation", file.GetString("model.task"));
    }

    /// <summary>Greedy exact-match accuracy, and the misses as "input -> output (expected)".</summary>
    internal static (double Accuracy, List<string> Misses) GreedyAccuracy(
        Seq2SeqModel model, IReadOnlyList<(string Input, string Expected)> lines)
    {
        using var decoder = model.CreateDecoder();
        var tokens = new int[MaxOutputLength];
        var misses = new List<string>();
        foreach (var (input, expected) in lines)
        {
            int[] source = model.EncodeText(input);
            decoder.Encode(source);
            int n = decoder.Decode(DecodingOptions.Greedy(maxLength: MaxOutputLength), tokens, out _);
            string output = model.DecodeText(tokens.AsSpan(0, n));
            if (output != expected)
                misses.Add($"\"{input}\" -> {output} ({expected})");
        }
        return ((double)(lines.Count - misses.Count) / lines.Count, misses);
    }

    internal static List<(string Input, string Expected)> TestSet()
    {
        var lines = new List<(string, string)>();
        foreach (string line in File.ReadLines(Path.Combine(Fixtures.Directory("models"), "date-test.tsv")))
        {
            string[] fields = line.Split('\t');
            Assert.True(fields.Length == 2, $"date-test.tsv: \"{line}\" is not input<TAB>output");
            Assert.True(DateOnly.TryParseExact(fields[1], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
                $"date-test.tsv: \"{fields[1]}\" is not an ISO date");
            lines.Add((fields[0], fields[1]));
        }
        return lines;
    }

}
