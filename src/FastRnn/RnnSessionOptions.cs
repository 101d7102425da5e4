namespace FastRnn;

/// <summary>How <see cref="RnnModel.CreateSession(RnnSessionOptions)"/> sizes and guards a session.</summary>
public sealed record RnnSessionOptions
{
    /// <summary>B, the number of independent streams (1 to 65536).</summary>
    public int BatchSize { get; init; } = 1;

    /// <summary>The longest sequence one <see cref="RnnSession.Run(ReadOnlySpan{float}, Span{float})"/> call handles in one piece.</summary>
    public int MaxSequenceLength { get; init; } = RnnSession.DefaultMaxSequenceLength;

    /// <summary>
    /// Check that every input value of <see cref="RnnSession.Step"/> and <see cref="RnnSession.Run(ReadOnlySpan{float}, Span{float}, ReadOnlySpan{int})"/>
    /// is finite, and throw <see cref="ArgumentException"/> naming the stream, the step and the feature if not.
    /// </summary>
    /// <remarks>
    /// Without it a NaN or ±∞ in an input frame is computed with like any number: that stream's hidden (and cell)
    /// state becomes NaN and stays NaN for every later step, until <see cref="RnnSession.Reset"/> or
    /// <see cref="RnnSession.SetState"/>; other streams are unaffected. The check is one vectorised pass over the
    /// input (streams past their <c>sequenceLengths</c> are not read) and allocates nothing; it is off by default
    /// because a pipeline that already guarantees finite inputs need not pay for it.
    /// </remarks>
    public bool ValidateInputs { get; init; }

    /// <summary>Intra-op threads, counting the caller (see <see cref="RnnModel.CreateSession(int, int, int)"/>).</summary>
    public int Threads { get; init; } = 1;
}
