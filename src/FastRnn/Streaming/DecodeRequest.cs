using FastRnn.Decoding;

namespace FastRnn.Streaming;

/// <summary>Where a request of a <see cref="Seq2SeqPool"/> is in its life.</summary>
internal enum RequestState
{
    Free,
    Waiting,  // started, its source not yet encoded
    Running,  // encoded, stepping
    Finished, // done, its rows freed, its result kept until closed
}

/// <summary>
/// One request of a <see cref="Seq2SeqPool"/>: its source (copied), its search's options and state, its decoder streams
/// (one for greedy decoding, k for a beam), and its output. The slot index is also its attention-memory block.
/// </summary>
internal sealed class DecodeRequest(Seq2SeqConfig config, int maxBeam, int maxOutputLength, DecoderArena arena)
{
    public int[] Source { get; } = new int[config.MaxSourceLength];

    public int SourceLength { get; set; }

    public RequestState State { get; set; }

    /// <summary>Bumped at every close, so that a handle kept after it is refused.</summary>
    public int Generation { get; set; } = 1;

    public bool IsBeam { get; set; }

    public DecodingOptions Greedy { get; set; } = DecodingOptions.Greedy();

    public BeamOptions BeamOptions { get; set; } = new();

    /// <summary>The most tokens the output may have.</summary>
    public int Limit { get; set; }

    /// <summary>Greedy sampling's generator, seeded as a decoder alone would seed it.</summary>
    public SplitMix64 Random;

    /// <summary>Greedy output: the first <see cref="Count"/> are valid.</summary>
    public int[] Tokens { get; } = new int[maxOutputLength];

    public int Count { get; set; }

    /// <summary>Greedy output's summed log-probability so far.</summary>
    public float Score { get; set; }

    /// <summary>The decoder streams, hypothesis j in stream j; the first <see cref="StreamCount"/> are open.</summary>
    public StreamHandle[] Streams { get; } = new StreamHandle[maxBeam];

    public int StreamCount { get; set; }

    /// <summary>Rows the request takes while it runs: 1, or its beam size.</summary>
    public int Rows => IsBeam ? BeamOptions.BeamSize : 1;

    public BeamHypotheses Beam { get; } = new(config, maxBeam, maxOutputLength, arena);
}
