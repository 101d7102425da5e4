namespace FastRnn.Decoding;

/// <summary>One decoded token: its id and the model's log-probability of it.</summary>
/// <param name="Id">Target token id.</param>
/// <param name="LogProbability">log p(token | source, previous tokens), before any temperature.</param>
public readonly record struct DecodedToken(int Id, float LogProbability);

/// <summary>How finished beam hypotheses are compared.</summary>
public enum LengthPenalty
{
    /// <summary>Raw summed log-probability.</summary>
    None = 0,

    /// <summary>score / length^α.</summary>
    Average = 1,

    /// <summary>GNMT (Wu et al. 2016): score / ((5 + length) / 6)^α.</summary>
    Wu = 2,
}

/// <summary>Length limits shared by every search.</summary>
public abstract record LengthLimits
{
    /// <summary>Most tokens produced (EOS included).</summary>
    public int MaxLength { get; init; } = 256;

    /// <summary>If set, also at most ceil(ratio × source length) tokens.</summary>
    public double? MaxLengthRatio { get; init; }

    /// <summary>EOS is not allowed before this many tokens.</summary>
    public int MinLength { get; init; }

    /// <exception cref="ArgumentOutOfRangeException">A limit is out of range; the message names it, the exception the
    /// caller's parameter <paramref name="paramName"/>.</exception>
    internal void Validate(string paramName)
    {
        if (MaxLength < 1)
            throw new ArgumentOutOfRangeException(paramName, MaxLength, "MaxLength must be at least 1");
        if (MinLength < 0)
            throw new ArgumentOutOfRangeException(paramName, MinLength, "MinLength must not be negative");
        if (MaxLengthRatio is double r && !(r > 0 && double.IsFinite(r)))
            throw new ArgumentOutOfRangeException(paramName, r, "MaxLengthRatio must be positive");
    }

    /// <summary>The most tokens an output of a source of <paramref name="sourceLength"/> may have, at least 1.</summary>
    internal int Limit(int maxOutputLength, int sourceLength)
    {
        int limit = Math.Min(MaxLength, maxOutputLength);
        if (MaxLengthRatio is double ratio)
            limit = Math.Min(limit, (int)Math.Ceiling(ratio * sourceLength));
        return Math.Max(limit, 1);
    }
}

/// <summary>Greedy decoding or sampling, pulled one token at a time.</summary>
public sealed record DecodingOptions : LengthLimits
{
    /// <summary>Sample instead of taking the argmax.</summary>
    public bool Sample { get; init; }

    /// <summary>Sampling: divide log-probabilities by this before drawing (must be positive).</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>Sampling: keep only the k most likely tokens (0 = all).</summary>
    public int TopK { get; init; }

    /// <summary>Sampling: keep the smallest set of most likely tokens whose probability reaches p (1 = all).</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>Sampling: the generator's seed; the same seed gives the same tokens.</summary>
    public ulong Seed { get; init; }

    /// <summary>Greedy decoding up to <paramref name="maxLength"/> tokens.</summary>
    public static DecodingOptions Greedy(int maxLength = 256) => new() { MaxLength = maxLength };
}

/// <summary>Beam search settings.</summary>
public sealed record BeamOptions : LengthLimits
{
    /// <summary>Hypotheses kept per step, k ≥ 1.</summary>
    public int BeamSize { get; init; } = 5;

    /// <summary>Finished hypotheses returned, best first.</summary>
    public int NBest { get; init; } = 1;

    /// <summary>How finished hypotheses are ranked.</summary>
    public LengthPenalty Penalty { get; init; } = LengthPenalty.None;

    /// <summary>α of the length penalty.</summary>
    public float Alpha { get; init; }
}
