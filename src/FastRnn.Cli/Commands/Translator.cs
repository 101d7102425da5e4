using System.Globalization;
using System.Runtime.InteropServices;
using FastRnn.Cli.Rendering;
using FastRnn.Decoding;

namespace FastRnn.Cli.Commands;

/// <summary>
/// Translates one text at a time with a seq2seq model and one decoder (reused from text to text): greedy output is
/// written token by token as it is decoded, a beam search's best hypothesis when the search is done; on request it
/// also returns the attention of the output.
/// </summary>
internal sealed class Translator(Seq2SeqModel model, string modelName, int beamSize, int maxLength) : IDisposable
{
    private readonly Seq2SeqDecoder _decoder = model.CreateDecoder(beamSize, maxLength);

    /// <summary>Refuse a text with tokens outside the source vocabulary, instead of warning about them.</summary>
    public bool Strict { get; init; }

    /// <summary>Follow each output with a tab and its score: the summed natural-log probability of its tokens.</summary>
    public bool Scores { get; init; }

    /// <summary>
    /// Translates <paramref name="text"/>, writing the output and a newline to <paramref name="output"/>; returns the
    /// output text and, when <paramref name="withAttention"/>, its attention over the source. <paramref name="what"/>
    /// names the input in errors and warnings ("text", "stdin line 3"); tokens outside the source vocabulary are named
    /// in a warning on <paramref name="warnings"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">The text is empty, longer than the model accepts, or (with
    /// <see cref="Strict"/>) has unknown tokens; nothing was written to <paramref name="output"/> (exit 2).</exception>
    public (string Output, AttentionMap? Attention) Translate(string text, TextWriter output, TextWriter warnings, bool withAttention, string what)
    {
        int[] source = Prepare(model, modelName, Strict, text, what, out string? warning);
        if (warning is not null)
            warnings.WriteLine(warning);
        try
        {
            _decoder.Encode(source);
        }
        catch (ArgumentException e)
        {
            // Checked by Prepare; the engine's refusal is still about the data, not the command line.
            throw CliErrors.BadData($"{what}: {e.Message}", e);
        }

        var tokens = new List<int>();
        float[]? attention = beamSize == 1 ? DecodeGreedy(output, tokens, withAttention) : DecodeBeam(output, tokens, withAttention);
        string decoded = model.DecodeText(CollectionsMarshal.AsSpan(tokens));
        return attention is null
            ? (decoded, null)
            : (decoded, new AttentionMap(SourceLabels(text, source), [.. tokens.Select(id => model.TargetVocabulary[id])], attention));
    }

    /// <inheritdoc/>
    public void Dispose() => _decoder.Dispose();

    /// <summary>
    /// The source ids of <paramref name="text"/>, framed as the model expects, and a warning naming the tokens outside
    /// the source vocabulary (null when there are none).
    /// </summary>
    /// <exception cref="InvalidDataException">The text is empty (or only white space), longer than the model accepts, or
    /// (with <paramref name="strict"/>) has unknown tokens; the message starts with <paramref name="what"/>.</exception>
    public static int[] Prepare(Seq2SeqModel model, string modelName, bool strict, string text, string what, out string? warning)
    {
        int[] source = model.EncodeText(text, out IReadOnlyList<string> unknown);
        string? listed = unknown.Count == 0 ? null : $"{what}: {UnknownTokens(model, unknown)} not in the source vocabulary of {modelName}";
        if (source.Length == 0)
            throw CliErrors.BadData(listed is null ? $"{what}: the text is empty; {modelName} needs at least one source token" : $"{listed}; nothing is left to translate");
        if (listed is not null && strict)
            throw CliErrors.BadData(listed);
        warning = listed is null ? null : $"fastrnn: warning: {listed}; {(model.Config.UnkId is null ? "left out" : "read as unknown")}";
        int longest = model.Config.MaxSourceLength;
        if (source.Length > longest)
            throw CliErrors.BadData($"{what}: the text has {source.Length} source tokens; {modelName} accepts at most {longest}");
        return source;
    }

    /// <summary>Answers a stdin line that cannot be translated in its place: an empty output line, and its error on stderr.</summary>
    public static void AnswerFailed(CliContext context, string error)
    {
        context.Out.WriteLine();
        context.Out.Flush();
        CliErrors.Report(context, error, ExitCodes.BadInput);
    }

    /// <summary>The end of an output line: with scores, a tab and the summed log-probability.</summary>
    public static string LineEnd(bool scores, float score)
        => scores ? "\t" + score.ToString("0.######", CultureInfo.InvariantCulture) : "";

    // Streams each token's text as soon as it is decoded. The text of a prefix of the tokens is a prefix of the text of
    // all of them (both tokenizers only append), so each token adds what its text has beyond the text before it.
    private float[]? DecodeGreedy(TextWriter output, List<int> tokens, bool withAttention)
    {
        var attention = withAttention ? new List<float>() : null;
        _decoder.Begin(DecodingOptions.Greedy(maxLength));
        int written = 0;
        float score = 0f;
        while (_decoder.TryNext(out DecodedToken token))
        {
            tokens.Add(token.Id);
            score += token.LogProbability;
            attention?.AddRange(_decoder.Attention);
            string decoded = model.DecodeText(CollectionsMarshal.AsSpan(tokens));
            if (decoded.Length > written)
            {
                output.Write(decoded.AsSpan(written));
                output.Flush();
                written = decoded.Length;
            }
        }
        EndLine(output, score);
        return attention?.ToArray();
    }

    // A beam's best hypothesis is known only at the end. Its attention comes from teacher-forcing its tokens through
    // the decoder: the same steps the search took for that hypothesis.
    private float[]? DecodeBeam(TextWriter output, List<int> tokens, bool withAttention)
    {
        _decoder.BeamSearch(new BeamOptions { BeamSize = beamSize, NBest = 1, MaxLength = maxLength });
        tokens.AddRange(_decoder.GetBeamResult(0, out float score, out _).ToArray());
        output.Write(model.DecodeText(CollectionsMarshal.AsSpan(tokens)));
        EndLine(output, score);
        if (!withAttention)
            return null;
        var logProbs = new float[tokens.Count * model.Config.TargetVocabularySize];
        var attention = new float[tokens.Count * _decoder.SourceLength];
        _decoder.Score(CollectionsMarshal.AsSpan(tokens), logProbs, attention);
        return attention;
    }

    private void EndLine(TextWriter output, float score)
    {
        output.WriteLine(LineEnd(Scores, score));
        output.Flush();
    }

    // "characters 'н', 'о'" or "word 'hello'": what the tokenizer splits text into, quoted so white space shows.
    private static string UnknownTokens(Seq2SeqModel model, IReadOnlyList<string> unknown)
    {
        string kind = model.Tokenizer == TokenizerKind.Character ? "character" : "word";
        return $"{kind}{(unknown.Count == 1 ? "" : "s")} {string.Join(", ", unknown.Select(t => $"'{t}'"))}";
    }

    // Column labels: the source as the user wrote it (an unknown character shows as itself, not as "<unk>"), split the
    // way the model's tokenizer split it and framed as the model frames it; the vocabulary's strings if that does not
    // give one label per token.
    private string[] SourceLabels(string text, int[] source)
    {
        string[] pieces = model.Tokenizer == TokenizerKind.Character
            ? TextElements(text)
            : text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        Seq2SeqConfig c = model.Config;
        string[] framed = [.. Frame(c.SourceBosId), .. pieces, .. Frame(c.SourceEosId)];
        return framed.Length == source.Length ? framed : [.. source.Select(id => model.SourceVocabulary[id])];
    }

    private string[] Frame(int? id) => id is int value ? [model.SourceVocabulary[value]] : [];

    private static string[] TextElements(string text)
    {
        var elements = new List<string>();
        TextElementEnumerator e = StringInfo.GetTextElementEnumerator(text);
        while (e.MoveNext())
            elements.Add(e.GetTextElement());
        return [.. elements];
    }
}
