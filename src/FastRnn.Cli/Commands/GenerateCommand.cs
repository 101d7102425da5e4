using System.CommandLine;
using System.Diagnostics;
using FastRnn.Decoding;

namespace FastRnn.Cli.Commands;

/// <summary>
/// <c>fastrnn generate</c>: feeds a prompt to a language model (by default the shipped character model) and streams
/// sampled tokens to stdout as they are drawn; the speed goes to stderr, so stdout is only the generated text.
/// </summary>
internal static class GenerateCommand
{
    private const string DefaultModel = "char-lm.frnn";

    /// <summary>A long book's worth of characters: more is a typo, not a request (and a pipe that closes stops it sooner).</summary>
    internal const int MaxTokens = 1_000_000;

    public static Command Create(CliContext context)
    {
        var prompt = new Option<string?>("--prompt")
        {
            Description = "Text to continue; only the continuation is printed. Default: a newline (the start of a line), or the model's first non-UNK token if it has no newline token.",
        };
        var tokens = new Option<int>("--tokens", "-n") { Description = "Tokens (characters for a character model) to generate.", DefaultValueFactory = _ => 200 };
        var temperature = new Option<float>("--temperature", "-t") { Description = "Divides log-probabilities before sampling: below 1 is more conservative, above 1 more adventurous.", DefaultValueFactory = _ => 1f };
        var topK = new Option<int>("--top-k") { Description = "Sample only from the K most likely tokens (0: all; 1: always the most likely).", DefaultValueFactory = _ => 0 };
        var topP = new Option<float>("--top-p") { Description = "Sample only from the most likely tokens whose probabilities reach P (1: all).", DefaultValueFactory = _ => 1f };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the sampler; the same seed, prompt and options give the same text. Fixed by default, so runs repeat.", DefaultValueFactory = _ => 0UL };
        var model = new Option<FileInfo?>("--model") { Description = $"Language model file (default: weights/{DefaultModel})." };
        var threads = new Option<int>("--threads")
        {
            Description = "Intra-op threads of each step, counting the caller: they split its large products (the same text as one thread).",
            DefaultValueFactory = _ => 1,
        };
        var command = new Command("generate", "Generate text with a language model, streaming it as it is sampled; tokens per second go to stderr.")
        {
            prompt, tokens, temperature, topK, topP, seed, model, threads,
        };
        command.SetAction(parse => CliErrors.Run(context, () => Generate(
            context, parse.GetValue(prompt), parse.GetValue(tokens),
            new DecodingOptions { Sample = true, Temperature = parse.GetValue(temperature), TopK = parse.GetValue(topK), TopP = parse.GetValue(topP) },
            parse.GetValue(seed), parse.GetValue(model), parse.GetValue(threads))));
        return command;
    }

    private static int Generate(CliContext context, string? promptText, int count, DecodingOptions sampling, ulong seed, FileInfo? modelFile, int threads)
    {
        if (threads < 1 || threads > RnnSession.MaxThreads)
            throw CliErrors.Usage($"--threads must be in 1..{RnnSession.MaxThreads}, got {threads}");
        if (count is < 1 or > MaxTokens)
            throw CliErrors.Usage($"--tokens must be 1 to {MaxTokens:N0}, got {count:N0}");
        if (!(sampling.Temperature > 0f) || float.IsInfinity(sampling.Temperature))
            throw CliErrors.Usage($"--temperature must be positive and finite, got {sampling.Temperature}");
        if (sampling.TopK < 0)
            throw CliErrors.Usage($"--top-k must be 0 (off) or positive, got {sampling.TopK}");
        if (!(sampling.TopP > 0f && sampling.TopP <= 1f))
            throw CliErrors.Usage($"--top-p must be in (0, 1], got {sampling.TopP}");

        var (model, path) = TextModelFiles.LoadLanguageModel(modelFile, DefaultModel);
        int[] prompt = promptText is null ? [DefaultPromptToken(model)] : model.EncodeText(promptText);
        if (prompt.Length == 0)
            throw CliErrors.BadData($"--prompt: the prompt has no tokens for {Path.GetFileName(path)}; leave --prompt out to start from a newline");

        using LanguageModelSession session = model.CreateSession(threads);
        session.Seed(seed);
        session.Feed(prompt); // the whole prompt as one sequence

        TextWriter output = context.Out;
        int previous = prompt[^1];
        long ticks = 0;
        for (int i = 0; i < count; i++)
        {
            long start = Stopwatch.GetTimestamp();
            int next = session.Sample(sampling);
            if (i + 1 < count)
                session.Feed(next);
            ticks += Stopwatch.GetTimestamp() - start;

            output.Write(Continuation(model, previous, next));
            output.Flush();
            previous = next;
        }
        output.WriteLine();
        output.Flush();

        // Model time only (sampling and steps): writing to a slow terminal would otherwise be what is measured.
        double seconds = Math.Max((double)ticks / Stopwatch.Frequency, 1e-9);
        context.Error.WriteLine($"generated {count} tokens in {seconds * 1000:F1} ms: {count / seconds:N0} tokens/s (sampling and model steps; the {prompt.Length}-token prompt and output not counted)");
        return ExitCodes.Success;
    }

    // A newline is where a character model trained on lines of text has seen everything start.
    private static int DefaultPromptToken(LanguageModel model)
    {
        int newline = model.Vocabulary.IdOf("\n", -1);
        if (newline >= 0)
            return newline;
        for (int id = 0; id < model.Vocabulary.Count; id++)
        {
            if (id != model.UnknownId)
                return id;
        }
        return model.UnknownId;
    }

    // The text `next` adds after `previous`: the tokenizer decides any separator (a space between words), not the CLI.
    private static string Continuation(LanguageModel model, int previous, int next)
        => model.DecodeText([previous, next])[model.DecodeText([previous]).Length..];
}
