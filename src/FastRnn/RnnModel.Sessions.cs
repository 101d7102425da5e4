namespace FastRnn;

public sealed partial class RnnModel
{
    /// <summary>Creates a session as <see cref="CreateSession(int, int, int)"/> does, with the choices of <paramref name="options"/>
    /// (such as <see cref="RnnSessionOptions.ValidateInputs"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The batch size, maximum sequence length or thread count is out of range.</exception>
    public RnnSession CreateSession(RnnSessionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        RnnSession session = CreateSession(options.BatchSize, options.MaxSequenceLength, options.Threads);
        if (options.ValidateInputs)
            session.CheckInputs();
        return session;
    }
}
