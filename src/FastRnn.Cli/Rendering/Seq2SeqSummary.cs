using FastRnn.Cli.Reporting;
using FastRnn.Decoding;

namespace FastRnn.Cli.Rendering;

/// <summary>How <c>inspect</c> describes a seq2seq model in one line: the architecture, its tokens and how sources are framed.</summary>
internal static class Seq2SeqSummary
{
    /// <summary>
    /// E.g. "seq2seq: 1-layer GRU encoder (hidden 32), 1-layer GRU decoder (hidden 32), bahdanau attention,
    /// vocabularies 30 / 21, whitespace tokens, sources framed: EOS (id 1) appended".
    /// </summary>
    public static string Describe(Seq2SeqModel model)
        => $"seq2seq: {ModelSummary.Describe(model.Config)}, "
            + $"{(model.Tokenizer == TokenizerKind.Character ? "character" : "whitespace")} tokens, sources framed: {Framing(model)}";

    /// <summary>"EOS (id 1) appended", "BOS (id 2) prepended, EOS (id 3) appended", or "as given" (no framing).</summary>
    public static string Framing(Seq2SeqModel model)
    {
        Seq2SeqConfig c = model.Config;
        var parts = new List<string>();
        if (c.SourceBosId is int bos)
            parts.Add($"{Token(model, bos)} (id {bos}) prepended");
        if (c.SourceEosId is int eos)
            parts.Add($"{Token(model, eos)} (id {eos}) appended");
        return parts.Count == 0 ? "as given" : string.Join(", ", parts);
    }

    private static string Token(Seq2SeqModel model, int id) => model.SourceVocabulary[id];
}
