using FastRnn.Decoding;
using FastRnn.Tests.Support;

namespace FastRnn.Tests.Decoding;

/// <summary>Zero allocation per token, sampling, streaming and bad input for the seq2seq decoder.</summary>
public class Seq2SeqDecoderTests
{
    public static IEnumerable<object[]> Cases() => Seq2SeqParityTests.Cases();

    [Theory]
    [MemberData(nameof(Cases))]
    public void EncodeGreedyBeamAndSampling_AllocateNothing_AfterWarmUp(string name)
    {
        var (model, golden) = Seq2SeqParityTests.Load(name);
        using var decoder = model.CreateDecoder(beamSize: 5, maxOutputLength: 32);
        int[] source = Seq2SeqParityTests.Source(golden, 0);
        var greedy = DecodingOptions.Greedy(maxLength: 30);
        var sampling = new DecodingOptions { Sample = true, TopK = 5, TopP = 0.9f, Temperature = 0.8f, Seed = 11, MaxLength = 30 };
        var beam = new BeamOptions { BeamSize = 5, NBest = 3, Penalty = LengthPenalty.Wu, Alpha = 0.6f, MaxLength = 30 };
        var tokens = new int[32];

        void DecodeAll()
        {
            decoder.Encode(source);
            decoder.Decode(greedy, tokens, out _);
            decoder.Decode(sampling, tokens, out _);
            decoder.BeamSearch(beam);
            _ = decoder.GetBeamResult(0, out _, out _);
        }

        for (int i = 0; i < 20; i++)
            DecodeAll();
        Allocations.AssertNone(() =>
        {
            for (int i = 0; i < 200; i++)
                DecodeAll();
        }, "encoding, greedy, sampling and beam decoding");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void DecodeBatch_OfSourcesWithDifferentLengths_EqualsDecodingEachAlone_AndAllocatesNothing(string name)
    {
        var (model, golden) = Seq2SeqParityTests.Load(name);
        using var decoder = model.CreateDecoder(beamSize: 4, maxOutputLength: 16);
        int n = golden.Tensors["src"].Shape[0], width = golden.Tensors["src"].Shape[1];
        int[][] sources = Enumerable.Range(0, n).Select(i => Seq2SeqParityTests.Source(golden, i)).ToArray();
        var padded = new int[n * width];
        var lengths = new int[n];
        for (int i = 0; i < n; i++)
        {
            sources[i].CopyTo(padded, i * width);
            lengths[i] = sources[i].Length;
        }
        var options = DecodingOptions.Greedy(maxLength: 12);
        var tokens = new int[n * 16];
        var outLengths = new int[n];

        decoder.EncodeBatch(padded, width, lengths);
        decoder.DecodeBatch(options, tokens, 16, outLengths);

        var alone = new int[16];
        for (int i = 0; i < n; i++)
        {
            decoder.Encode(sources[i]);
            int count = decoder.Decode(options, alone, out _);
            Assert.Equal(alone[..count], tokens.AsSpan(i * 16, outLengths[i]).ToArray());
        }

        // Warm-up first: tiered compilation may allocate while it rewrites call sites.
        for (int r = 0; r < 30; r++)
        {
            decoder.EncodeBatch(padded, width, lengths);
            decoder.DecodeBatch(options, tokens, 16, outLengths);
        }
        Allocations.AssertNone(() =>
        {
            for (int r = 0; r < 200; r++)
            {
                decoder.EncodeBatch(padded, width, lengths);
                decoder.DecodeBatch(options, tokens, 16, outLengths);
            }
        }, "batch encoding and decoding");
    }

    [Fact]
    public void EncodeBatch_WithBadLengths_NamesTheSource()
    {
        var (model, _) = Seq2SeqParityTests.Load("tutorial");
        using var decoder = model.CreateDecoder(beamSize: 2);
        Assert.Contains("source 1 has length 0", Assert.Throws<ArgumentException>(() => decoder.EncodeBatch(new int[8], 4, [2, 0])).Message);
        Assert.Contains("1..2", Assert.Throws<ArgumentException>(() => decoder.EncodeBatch(new int[12], 4, [1, 1, 1])).Message);
        Assert.Throws<InvalidOperationException>(() => decoder.DecodeBatch(DecodingOptions.Greedy(), new int[8], 4, new int[2]));
    }

    [Fact]
    public void Sampling_WithTheSameSeed_RepeatsAndWithTopKOne_IsGreedy()
    {
        var (model, golden) = Seq2SeqParityTests.Load("tutorial");
        using var decoder = model.CreateDecoder();
        decoder.Encode(Seq2SeqParityTests.Source(golden, 1));
        var options = new DecodingOptions { Sample = true, Temperature = 1.5f, Seed = 42, MaxLength = 40 };
        int[] first = Run(decoder, options), second = Run(decoder, options);
        Assert.Equal(first, second);

        int[] greedy = Run(decoder, DecodingOptions.Greedy(40));
        Assert.Equal(greedy, Run(decoder, options with { TopK = 1 }));
        Assert.Equal(greedy, Run(decoder, options with { TopP = 1e-6f }));

        // Different seeds explore: over many seeds at a high temperature, not every sample equals the first.
        bool differs = Enumerable.Range(0, 20).Any(seed => !Run(decoder, options with { Seed = (ulong)seed + 100 }).SequenceEqual(first));
        Assert.True(differs);
    }

    [Fact]
    public void Streaming_PullsTokensWithAttentionAndCanStopEarly()
    {
        var (model, golden) = Seq2SeqParityTests.Load("bahdanau_2015");
        using var decoder = model.CreateDecoder();
        int[] source = Seq2SeqParityTests.Source(golden, 0);
        decoder.Encode(source);
        decoder.Begin(DecodingOptions.Greedy(12));
        Assert.True(decoder.TryNext(out DecodedToken token));
        Assert.InRange(token.Id, 0, model.Config.TargetVocabularySize - 1);
        Assert.True(token.LogProbability <= 0f);
        Assert.Equal(source.Length, decoder.Attention.Length);
        Assert.Equal(1.0, decoder.Attention.ToArray().Sum(), 5);

        // Stopping early is just not pulling: the next source starts clean.
        decoder.Encode(source);
        var tokens = new int[16];
        int n = decoder.Decode(DecodingOptions.Greedy(12), tokens, out _);
        int width = golden.Tensors["greedy_tokens"].Shape[1];
        Assert.Equal(golden["greedy_tokens"].AsSpan(0, width).ToArray().Select(v => (int)v).TakeWhile(v => v >= 0), tokens[..n]);
    }

    [Fact]
    public void BadInput_GetsAClearException()
    {
        var (model, _) = Seq2SeqParityTests.Load("tutorial");
        using var decoder = model.CreateDecoder(beamSize: 3);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => decoder.Encode([])).Message);
        Assert.Contains("outside the source vocabulary", Assert.Throws<ArgumentException>(() => decoder.Encode([1, model.Config.SourceVocabularySize])).Message);
        Assert.Contains("-1", Assert.Throws<ArgumentException>(() => decoder.Encode([-1])).Message);
        Assert.Contains("at most", Assert.Throws<ArgumentException>(() => decoder.Encode(new int[model.Config.MaxSourceLength + 1])).Message);
        Assert.Throws<InvalidOperationException>(() => decoder.Begin(DecodingOptions.Greedy()));

        decoder.Encode([1, 2]);
        Assert.Contains("beam size", Assert.Throws<ArgumentOutOfRangeException>(() => decoder.BeginBeam(new BeamOptions { BeamSize = 0 })).Message);
        Assert.Contains("beam size", Assert.Throws<ArgumentOutOfRangeException>(() => decoder.BeginBeam(new BeamOptions { BeamSize = 4 })).Message);
        Assert.Contains("Temperature", Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Begin(new DecodingOptions { Sample = true, Temperature = 0 })).Message);
        int v = model.Config.TargetVocabularySize;
        Assert.Contains("outside the target vocabulary", Assert.Throws<ArgumentException>(() => decoder.Score([v], new float[v], [])).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.CreateDecoder(beamSize: 0));
    }

    private static int[] Run(Seq2SeqDecoder decoder, DecodingOptions options)
    {
        var tokens = new int[64];
        int n = decoder.Decode(options, tokens, out _);
        return tokens[..n];
    }
}
