namespace FastRnn.Streaming;

/// <summary>What a <see cref="Seq2SeqBatcher"/> answers a request with; the tokens themselves are in the caller's output buffer.</summary>
/// <param name="Length">Tokens written to the output: greedy tokens (EOS last if one was produced), or a beam's best hypothesis.</param>
/// <param name="Score">Their summed log-probability, as <see cref="Seq2SeqPool.Score"/>.</param>
public readonly record struct TranslationResult(int Length, float Score);
