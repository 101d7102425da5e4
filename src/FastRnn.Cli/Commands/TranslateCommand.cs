using System.CommandLine;
using FastRnn.Cli.Rendering;
using FastRnn.Decoding;

namespace FastRnn.Cli.Commands;

/// <summary>
/// <c>fastrnn translate "text"</c>: runs a seq2seq model (by default the shipped date normaliser) on a text, or on
/// every line of stdin, printing the output as it is decoded and, on request, what the model attended to: a shaded
/// grid in the terminal (<c>--show-attention</c>) or an SVG image (<c>--svg</c>).
/// </summary>
internal static class TranslateCommand
{
    private const string DefaultModel = "date-normalizer.frnn";

    /// <summary>Longest beam accepted: the decoder's own limit.</summary>
    public const int MaxBeam = 1024;

    /// <summary>Lines decoded together from stdin when it is a file or a pipe, unless --batch says otherwise.</summary>
    public const int DefaultBatch = 32;

    /// <summary>The most stdin lines decoded together.</summary>
    public const int MaxBatch = 1024;

    /// <summary>Widest attention grid line; 80 columns is the narrowest terminal worth designing for.</summary>
    public const int GridWidth = 80;

    public static Command Create(CliContext context, TextReader input)
    {
        var text = new Argument<string?>("text")
        {
            Arity = ArgumentArity.ZeroOrOne,
            Description = "The text to translate. Without it, each line of stdin is translated, one output line per input line: a line that cannot be translated (blank, too long, unknown tokens with --strict) gets an empty output line and an error on stderr, and the rest go on.",
        };
        var beam = new Option<int>("--beam") { Description = "Beam search with N hypotheses, printing the best when done (default 1: greedy, printed token by token).", DefaultValueFactory = _ => 1 };
        var showAttention = new Option<bool>("--show-attention") { Description = "After each output, draw its attention as a shaded grid: a row per output token, a column per source token." };
        var svg = new Option<FileInfo?>("--svg") { Description = "Write the attention as an SVG image to this file (needs the text argument)." };
        var maxLength = new Option<int>("--max-length") { Description = "Most output tokens, end-of-sequence included.", DefaultValueFactory = _ => 256 };
        var model = new Option<FileInfo?>("--model") { Description = $"Seq2seq model file (default: weights/{DefaultModel})." };
        var strict = new Option<bool>("--strict") { Description = "Refuse a text with characters (or words) outside the model's source vocabulary; without it they are named in a warning on stderr." };
        var batch = new Option<int?>("--batch")
        {
            Description = $"Decode up to N stdin lines together, each joining as soon as another finishes (continuous batching); one output line per input line, in order, the same tokens as one line at a time (scores may differ in the last printed digit). Lines that arrive together are batched; a line alone is answered without waiting for more. Default {DefaultBatch}; 1 with --show-attention.",
        };
        var scores = new Option<bool>("--scores") { Description = "Follow each output with a tab and its score: the summed log-probability (natural log) of its tokens, EOS included; closer to 0 is more confident." };
        var command = new Command("translate", "Translate text with a seq2seq model (default: normalise a date to YYYY-MM-DD), streaming the output; optionally show the attention.")
        {
            text, beam, batch, showAttention, svg, maxLength, model, strict, scores,
        };
        command.SetAction(parse => CliErrors.Run(context, () => Translate(
            context, input, parse.GetValue(text), parse.GetValue(beam), parse.GetValue(batch), parse.GetValue(showAttention), parse.GetValue(svg),
            parse.GetValue(maxLength), parse.GetValue(model), parse.GetValue(strict), parse.GetValue(scores))));
        return command;
    }

    private static PooledTranslator CreatePooled(Seq2SeqModel model, string modelName, int lines, int beam, int maxLength, bool strict, bool scores, bool explicitBatch)
    {
        try
        {
            return new PooledTranslator(model, modelName, lines, beam, maxLength) { Strict = strict, Scores = scores };
        }
        catch (ArgumentOutOfRangeException e)
        {
            string batch = explicitBatch ? $"--batch {lines}" : $"the default --batch {lines}";
            throw CliErrors.Usage($"{batch} with --beam {beam} and --max-length {maxLength} needs more memory than one buffer can hold ({e.Message}); use a smaller --batch, --beam or --max-length");
        }
    }

    private static int Translate(CliContext context, TextReader input, string? text, int beam, int? batch, bool showAttention, FileInfo? svg, int maxLength,
                                 FileInfo? modelFile, bool strict, bool scores)
    {
        if (beam < 1 || beam > MaxBeam)
            throw CliErrors.Usage($"--beam must be in 1..{MaxBeam}, got {beam}");
        if (batch is < 1 or > MaxBatch)
            throw CliErrors.Usage($"--batch must be in 1..{MaxBatch}, got {batch}");
        if (batch > 1 && text is not null)
            throw CliErrors.Usage("--batch decodes stdin lines together: give the lines on stdin instead of a text argument");
        if (batch > 1 && showAttention)
            throw CliErrors.Usage("--show-attention draws each line's attention as it is decoded, one line at a time: drop --batch");
        if ((long)(batch ?? 1) * beam > RnnConfig.MaxBatchSize)
            throw CliErrors.Usage($"--batch × --beam is {(long)(batch ?? 1) * beam} decoder rows; at most {RnnConfig.MaxBatchSize}");
        if (maxLength < 1 || maxLength > 1 << 16)
            throw CliErrors.Usage($"--max-length must be in 1..65536, got {maxLength}");
        if (svg is not null && text is null)
            throw CliErrors.Usage("--svg draws one output: give the text as an argument instead of on stdin");
        if (svg?.Directory is { Exists: false } folder)
            throw CliErrors.Usage($"--svg: the folder {folder} does not exist");

        var (model, path) = TextModelFiles.LoadSeq2Seq(modelFile, DefaultModel);
        string modelName = Path.GetFileName(path);
        using var translator = new Translator(model, modelName, beam, maxLength) { Strict = strict, Scores = scores };
        bool withAttention = showAttention || svg is not null;

        void Answer(string source, string what)
        {
            var (output, map) = translator.Translate(source, context.Out, context.Error, withAttention, what);
            if (map is null)
                return;
            if (showAttention)
                AttentionGrid.Write(map, context.Out, GridWidth);
            if (svg is not null)
                AttentionSvg.Save(map, $"{modelName}: {source} → {output}", svg.FullName);
        }

        if (text is not null)
        {
            Answer(text, "text");
            return ExitCodes.Success;
        }
        // One output line per input line, always, so outputs can be pasted next to their inputs: a line that cannot be
        // translated is answered in place by an empty line, its error goes to stderr, and the lines after it go on.
        int lines = batch ?? (showAttention ? 1 : DefaultBatch);
        if (lines > 1 && (long)lines * beam <= RnnConfig.MaxBatchSize)
        {
            using PooledTranslator pooled = CreatePooled(model, modelName, lines, beam, maxLength, strict, scores, explicitBatch: batch is not null);
            return pooled.TranslateLines(input, context) == 0 ? ExitCodes.Success : ExitCodes.BadInput;
        }
        int lineNumber = 0, failed = 0;
        while (input.ReadLine() is { } line)
        {
            lineNumber++;
            try
            {
                Answer(line, $"stdin line {lineNumber}");
            }
            catch (InvalidDataException e)
            {
                Translator.AnswerFailed(context, e.Message);
                failed++;
            }
        }
        return failed == 0 ? ExitCodes.Success : ExitCodes.BadInput;
    }
}
