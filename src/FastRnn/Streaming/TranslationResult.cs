namespace FastRnn.Streaming;

/// <summary>What a <see cref="Seq2SeqBatcher"/> answers a request with; the tokens themselves are in the caller's output buffer.</summary>
/// <param name="Length">Tokens of the first answer, at the start of the output: greedy tokens (EOS last if one was produced), or a beam's best hypothesis.</param>
/// <param name="Score">Their summed log-probability, as <see cref="Seq2SeqPool.Score"/>.</param>
/// <param name="Hypotheses">Hypotheses written: 1 for greedy decoding and a beam's best; for an n-best search the
/// finished hypotheses, at most NBest (see <see cref="TranslationHypothesis"/>).</param>
public readonly record struct TranslationResult(int Length, float Score, int Hypotheses = 1);

/// <summary>One hypothesis of an n-best answer of <see cref="Seq2SeqBatcher.TranslateBeam(ReadOnlySpan{int}, Decoding.BeamOptions, Span{int}, Span{TranslationHypothesis}, CancellationToken)"/>.</summary>
/// <param name="Start">Where its tokens start in the output: the hypotheses follow each other, best first.</param>
/// <param name="Length">Its tokens (EOS last if it produced one).</param>
/// <param name="Score">Its summed log-probability.</param>
/// <param name="NormalizedScore">The score the beam ranked it by (after the length penalty), as <see cref="Decoding.Seq2SeqDecoder.GetBeamResult"/>.</param>
public readonly record struct TranslationHypothesis(int Start, int Length, float Score, float NormalizedScore);
