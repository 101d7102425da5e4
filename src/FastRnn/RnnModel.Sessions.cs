namespace FastRnn;

public sealed partial class RnnModel
{
    /// <summary>Creates a session as <see cref="CreateSession(int, int)"/> does, with the choices of <paramref name="options"/>
    /// (such as <see cref="RnnSessionOptions.ValidateInputs"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The batch size or maximum sequence length is out of range.</exception>
    public RnnSession CreateSession(RnnSessionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        RnnSession session = CreateSession(options.BatchSize, options.MaxSequenceLength);
        if (options.ValidateInputs)
            session.CheckInputs();
        return session;
    }
}
