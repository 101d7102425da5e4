namespace FastRnn.Cli.Commands;

/// <summary>What <c>bench</c> measures: B streams, T-step runs, N timed steps, on a number of sessions each with its own intra-op threads.</summary>
internal sealed record BenchSettings(int Batch, int SeqLen, int Steps, int Threads, int IntraThreads = 1)
{
    private const int MaxBatch = 65536;
    private const int MinRuns = 5;

    /// <summary>Timed runs: about as many steps as the Step loop, and enough for a median.</summary>
    public int Runs => Math.Max(MinRuns, Steps / SeqLen);

    public void Validate()
    {
        if (Batch < 1 || Batch > MaxBatch)
            throw CliErrors.Usage($"--batch must be in 1..{MaxBatch}, got {Batch}");
        if (SeqLen < 1)
            throw CliErrors.Usage($"--seq-len must be at least 1, got {SeqLen}");
        if (Steps < 1)
            throw CliErrors.Usage($"--steps must be at least 1, got {Steps}");
        if (Threads < 1 || Threads > 1024)
            throw CliErrors.Usage($"--threads must be in 1..1024, got {Threads}");
        if (IntraThreads < 1 || IntraThreads > RnnSession.MaxThreads)
            throw CliErrors.Usage($"--intra-threads must be in 1..{RnnSession.MaxThreads}, got {IntraThreads}");
        if ((long)Batch * SeqLen > int.MaxValue / 4096)
            throw CliErrors.Usage($"--batch {Batch} with --seq-len {SeqLen} is too large a run to measure");
    }
}
