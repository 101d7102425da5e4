using FastRnn.Decoding;
using FastRnn.Format;
using FastRnn.Tests.Support;

namespace FastRnn.Tests.Decoding;

/// <summary>
/// What a seq2seq model file says beyond its weights: how a source is framed and what happens to unknown tokens
/// (<see cref="Seq2SeqModel.EncodeText(string)"/>), optional PAD and UNK, and size products checked at load.
/// </summary>
public class Seq2SeqModelTests
{
    // tutorial.frnn: source vocabulary <pad>, <unk>, <s>, </s>, a … j (ids 0..13); UNK 1, PAD 0; no framing.
    private static readonly string Tutorial = Path.Combine(Fixtures.Directory("seq2seq"), "tutorial.frnn");

    [Fact]
    public void EncodeText_WithoutFraming_IsTheTokensAlone_UnknownAsUnk()
    {
        var model = Seq2SeqModel.Load(Tutorial);
        Assert.Equal([4, 5, 1, 6], model.EncodeText("abXc", out IReadOnlyList<string> unknown));
        Assert.Equal(["X"], unknown);
        Assert.Equal([4, 1, 1, 1], model.EncodeText("aXYX", out unknown));
        Assert.Equal(["X", "Y"], unknown); // distinct, in order of first appearance
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t \n")]
    public void EncodeText_OfWhiteSpaceOnly_IsEmpty_EvenWithFraming(string text)
    {
        Assert.Empty(Seq2SeqModel.Load(Tutorial).EncodeText(text));
        Assert.Empty(Load(Tutorial, ("seq2seq.src_bos_id", 2L), ("seq2seq.src_eos_id", 3L)).EncodeText(text));
    }

    [Fact]
    public void EncodeText_FramesTheSourceAsTheMetadataSays()
    {
        Assert.Equal([4, 5, 3], Load(Tutorial, ("seq2seq.src_eos_id", 3L)).EncodeText("ab"));
        Assert.Equal([2, 4, 5], Load(Tutorial, ("seq2seq.src_bos_id", 2L)).EncodeText("ab"));
        var both = Load(Tutorial, ("seq2seq.src_bos_id", 2L), ("seq2seq.src_eos_id", 3L));
        Assert.Equal([2, 4, 5, 3], both.EncodeText("ab"));
        Assert.Equal(2, both.Config.SourceBosId);
        Assert.Equal(3, both.Config.SourceEosId);
    }

    [Fact]
    public void WithoutUnkOrPad_UnknownTokensAreLeftOut_AndReported()
    {
        var model = Load(Tutorial, Without("seq2seq.unk_id", "seq2seq.pad_id"));
        Assert.Null(model.Config.UnkId);
        Assert.Null(model.Config.PadId);
        Assert.Equal([4, 6], model.EncodeText("aXc", out IReadOnlyList<string> unknown));
        Assert.Equal(["X"], unknown);
        Assert.Equal("<pad>E", model.DecodeText([0, 8, 3])); // without PAD, id 0 is an ordinary token; EOS is still dropped
    }

    [Theory]
    [InlineData("seq2seq.src_eos_id", 14L, "SourceEosId = 14")]
    [InlineData("seq2seq.src_bos_id", 99L, "SourceBosId = 99")]
    [InlineData("seq2seq.unk_id", 14L, "UnkId = 14")]
    public void FramingOrSpecialIdOutsideTheSourceVocabulary_IsAFormatError(string key, long id, string named)
    {
        var e = Assert.Throws<FrnnFormatException>(() => Load(Tutorial, (key, id)));
        Assert.Contains(named, e.Message);
        Assert.Contains("0..13", e.Message);
    }

    [Theory]
    [InlineData("seq2seq.src_embedding_size", "MaxSourceLength × SourceEmbeddingSize")]
    [InlineData("seq2seq.attention_size", "(MaxSourceLength + 1) × key width")]
    public void SizesWhoseProductOverflows_AreRefusedAtLoad_NamingTheSizes(string key, string named)
    {
        // 65,536 × 65,536 = 2³² wraps to 0 in 32-bit arithmetic; each size alone is allowed.
        var e = Assert.Throws<FrnnFormatException>(() => Load(Tutorial, ("seq2seq.max_source_length", 65536L), (key, 65536L)));
        Assert.Contains(named, e.Message);
        Assert.Contains("× 65536 = ", e.Message);
    }

    [Fact]
    public void Validate_OfAConfigWhoseProductOverflows_ThrowsArgumentException()
    {
        var config = Seq2SeqModel.Load(Tutorial).Config with { MaxSourceLength = 65536, SourceEmbeddingSize = 65536 };
        Assert.Contains("65536 × 65536 = 4294967296 floats", Assert.Throws<ArgumentException>(config.Validate).Message);
    }

    [Fact]
    public void CreateDecoder_WhoseBuffersCannotBeOneArray_NamesTheSizes_BeforeAllocatingThem()
    {
        // A model of 65,536 source positions loads (a beam-1 decoder fits), but 1024 streams of it do not fit one array.
        var model = Load(Tutorial, ("seq2seq.max_source_length", 65536L));
        long before = GC.GetTotalAllocatedBytes();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => model.CreateDecoder(beamSize: 1024, maxOutputLength: 65536));
        Assert.Contains("beam capacity 1024, maximum output length 65536, maximum source length 65536", e.Message);
        Assert.True(GC.GetTotalAllocatedBytes() - before < 64 << 20, "nothing sized by the refused buffers was allocated");
    }

    private static Seq2SeqModel Load(string path, params (string Key, object? Value)[] changes)
    {
        using FrnnFile file = FrnnFile.Parse(Seq2SeqFileEdits.Rewrite(path, changes));
        return Seq2SeqModel.Load(file);
    }

    private static (string, object?)[] Without(params string[] keys) => [.. keys.Select(k => (k, (object?)null))];
}
