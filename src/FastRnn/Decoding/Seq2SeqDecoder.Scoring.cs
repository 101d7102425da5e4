namespace FastRnn.Decoding;

public sealed partial class Seq2SeqDecoder
{
    /// <summary>
    /// Teacher forcing: feeds BOS and then <paramref name="target"/>[0..T−1) and writes, for every step t, the
    /// log-probabilities over the target vocabulary to <paramref name="logProbs"/> (T, V) and, if not empty, the
    /// attention weights to <paramref name="attention"/> (T, S). Scores a given output, or checks a model against its
    /// training framework.
    /// </summary>
    /// <exception cref="ArgumentException">A target id is outside the vocabulary, or a span has the wrong length.</exception>
    public void Score(ReadOnlySpan<int> target, Span<float> logProbs, Span<float> attention)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        RequireSource();
        int v = _c.TargetVocabularySize, s = _sourceLength, steps = target.Length;
        if (logProbs.Length != steps * v)
            throw new ArgumentException($"logProbs has {logProbs.Length} floats; expected (T, V) = ({steps}, {v})", nameof(logProbs));
        if (!attention.IsEmpty && attention.Length != steps * s)
            throw new ArgumentException($"attention has {attention.Length} floats; expected (T, S) = ({steps}, {s}) or none", nameof(attention));
        for (int t = 0; t < steps; t++)
        {
            if ((uint)target[t] >= (uint)v)
                throw new ArgumentException($"target token {t} has id {target[t]}, outside the target vocabulary 0..{v - 1}", nameof(target));
        }

        StartStreams(_single, 1);
        for (int t = 0; t < steps; t++)
        {
            Forward(_single, 1);
            _logProbs.AsSpan(0, v).CopyTo(logProbs.Slice(t * v, v));
            if (!attention.IsEmpty)
                _attention.AsSpan(0, s).CopyTo(attention.Slice(t * s, s));
            _previous[0] = target[t];
        }
        _mode = Mode.Encoded;
    }
}
