namespace FastRnn.Cli;

/// <summary>Process exit codes: 0 success, 1 usage error, 2 bad input file or data, 3 anything else (out of memory, a bug).</summary>
public static class ExitCodes
{
    /// <summary>The command did what it was asked.</summary>
    public const int Success = 0;

    /// <summary>Bad or missing options, or a combination that makes no sense; nothing was read or written.</summary>
    public const int Usage = 1;

    /// <summary>An input file is missing, unreadable, corrupt, or holds data of the wrong dtype or shape.</summary>
    public const int BadInput = 2;

    /// <summary>A failure that is neither the command line's nor an input file's: out of memory, or a bug in the tool.</summary>
    public const int Internal = 3;
}
