using FastRnn.Decoding;

namespace FastRnn.Streaming;

/// <summary>The checks of a decoding request's options, shared by <see cref="Seq2SeqPool"/> and <see cref="Seq2SeqBatcher"/>.</summary>
internal static class RequestChecks
{
    public static void Greedy(DecodingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(nameof(options));
        if (options.Sample)
            Sampler.Validate(options);
    }

    /// <param name="options">The beam's options.</param>
    /// <param name="maxBeam">The largest beam the owner takes.</param>
    /// <param name="owner">Names the owner's limit in the message, e.g. "the pool's maxBeam".</param>
    public static void Beam(BeamOptions options, int maxBeam, string owner)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(nameof(options));
        if (options.BeamSize < 1 || options.BeamSize > maxBeam)
            throw new ArgumentOutOfRangeException(nameof(options), options.BeamSize, $"beam size must be in 1..{maxBeam} ({owner})");
        if (options.NBest < 1 || options.NBest > options.BeamSize)
            throw new ArgumentOutOfRangeException(nameof(options), options.NBest, "NBest must be in 1..BeamSize");
    }
}
