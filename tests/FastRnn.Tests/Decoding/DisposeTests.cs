using FastRnn.Decoding;
using FastRnn.Tests.Support;

namespace FastRnn.Tests.Decoding;

/// <summary>After <c>Dispose</c>, every member of a decoder or a language-model session refuses to run.</summary>
public class DisposeTests
{
    [Fact]
    public void Seq2SeqDecoder_AfterDispose_ThrowsObjectDisposedEverywhere()
    {
        var (model, golden) = Seq2SeqParityTests.Load("luong_general");
        var decoder = model.CreateDecoder(beamSize: 2, maxOutputLength: 8);
        decoder.Encode(Seq2SeqParityTests.Source(golden, 0));
        Assert.Equal(1, decoder.BeamSearch(new BeamOptions { BeamSize = 2, MaxLength = 6 }));
        decoder.Dispose();
        decoder.Dispose(); // a second call does nothing

        Assert.Throws<ObjectDisposedException>(() => decoder.GetBeamResult(0, out _, out _).ToArray());
        Assert.Throws<ObjectDisposedException>(() => decoder.Attention.ToArray());
        Assert.Throws<ObjectDisposedException>(() => decoder.LiveTokens(0).ToArray());
        Assert.Throws<ObjectDisposedException>(() => decoder.Encode([1]));
        Assert.Throws<ObjectDisposedException>(() => decoder.Begin(DecodingOptions.Greedy()));
        Assert.Throws<ObjectDisposedException>(() => decoder.TryNext(out _));
        Assert.Throws<ObjectDisposedException>(() => decoder.BeginBeam(new BeamOptions { BeamSize = 1 }));
        Assert.Throws<ObjectDisposedException>(() => decoder.AdvanceBeam());
        Assert.Throws<ObjectDisposedException>(() => decoder.Score([1], new float[model.Config.TargetVocabularySize], []));
        Assert.Throws<ObjectDisposedException>(() => decoder.EncodeBatch([1], 1, [1]));
        Assert.Throws<ObjectDisposedException>(() => decoder.DecodeBatch(DecodingOptions.Greedy(), new int[4], 4, new int[1]));
        Assert.Equal(0, decoder.BeamResultCount);
        Assert.Equal(0, decoder.LiveCount);
    }

    [Fact]
    public void LanguageModelSession_AfterDispose_ThrowsObjectDisposedEverywhere()
    {
        var model = LanguageModel.Load(FastRnn.Cli.ShippedModels.Find("char-lm.frnn"));
        var session = model.CreateSession();
        session.Feed(1);
        _ = session.Sample(new DecodingOptions { Sample = true });
        session.Dispose();
        session.Dispose();

        Assert.Throws<ObjectDisposedException>(() => session.NextLogProbabilities.ToArray());
        Assert.Throws<ObjectDisposedException>(() => session.Sample(new DecodingOptions { Sample = true }));
        Assert.Throws<ObjectDisposedException>(() => session.Feed(1));
        Assert.Throws<ObjectDisposedException>(() => session.Reset());
        Assert.Throws<ObjectDisposedException>(() => session.BitsPerToken([1, 2]));
    }

    [Fact]
    public void BatchOfOne_OnADecoderOfBeamOne_EqualsDecodingTheSourceAlone()
    {
        var (model, golden) = Seq2SeqParityTests.Load("bahdanau_2015");
        using var decoder = model.CreateDecoder();
        int[] source = Seq2SeqParityTests.Source(golden, 1);
        var alone = new int[16];
        decoder.Encode(source);
        int count = decoder.Decode(DecodingOptions.Greedy(12), alone, out _);

        var tokens = new int[16];
        var lengths = new int[1];
        decoder.EncodeBatch(source, source.Length, [source.Length]);
        decoder.DecodeBatch(DecodingOptions.Greedy(12), tokens, 16, lengths);
        Assert.Equal(alone[..count], tokens[..lengths[0]]);
    }
}
