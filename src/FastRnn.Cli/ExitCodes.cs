namespace FastRnn.Cli;

/// <summary>Process exit codes: 0 success, 1 usage error, 2 bad input file or data.</summary>
public static class ExitCodes
{
    /// <summary>The command did what it was asked.</summary>
    public const int Success = 0;

    /// <summary>Bad or missing options, or a combination that makes no sense; nothing was read or written.</summary>
    public const int Usage = 1;

    /// <summary>An input file is missing, unreadable, corrupt, or holds data of the wrong dtype or shape.</summary>
    public const int BadInput = 2;
}
