namespace FastRnn.Cli;

/// <summary>Process exit codes: 0 success, 1 usage error, 2 bad input file or data.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Usage = 1;
    public const int BadInput = 2;
}
