using FastRnn.Decoding;

namespace FastRnn.Streaming;

/// <summary>One generation request of a <see cref="LanguageModelPool"/>: its prompt, options, generator and tokens so far.</summary>
internal sealed class GenerationSlot
{
    public GenerationSlot(int maxTokens) => Tokens = new int[maxTokens];

    /// <summary>The caller's prompt, read one token per tick (not copied: the caller keeps it unchanged until it is fed).</summary>
    public ReadOnlyMemory<int> Prompt { get; private set; }

    /// <summary>Prompt tokens fed so far.</summary>
    public int Fed { get; set; }

    public DecodingOptions Options { get; private set; } = DecodingOptions.Greedy();

    /// <summary>The request's own generator, seeded as a <see cref="LanguageModelSession"/> would be.</summary>
    public SplitMix64 Random;

    /// <summary>(maxTokens): generated token ids; the first <see cref="Count"/> are valid.</summary>
    public int[] Tokens { get; }

    public int Count { get; set; }

    public bool Finished => Count == Options.MaxLength;

    /// <summary>The token to feed next: the prompt's next, or the last one generated.</summary>
    public int NextInput => Fed < Prompt.Length ? Prompt.Span[Fed] : Tokens[Count - 1];

    public void Begin(ReadOnlyMemory<int> prompt, DecodingOptions options)
    {
        Prompt = prompt;
        Options = options;
        Fed = 0;
        Count = 0;
        Random = new SplitMix64(options.Seed);
    }
}
