namespace FastRnn.Cli;

/// <summary>Turns failures into one line on stderr and an exit code, and makes the exceptions that carry them.</summary>
internal static class CliErrors
{
    public const string Prefix = "fastrnn: error: ";

    /// <summary>Starts a line on stderr about a choice made for the user that they may need to override.</summary>
    public const string WarningPrefix = "fastrnn: warning: ";

    /// <summary>Runs a command's body: bad input (exit 2) and usage errors (exit 1) become one line on stderr.</summary>
    public static int Run(CliContext context, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            // FrnnFormatException and the importer's ImportException are IOExceptions too: a bad file, not a bad command.
            return Report(context, e, ExitCodes.BadInput);
        }
        catch (Exception e) when (e is UsageException or ArgumentException or InvalidOperationException)
        {
            return Report(context, e, ExitCodes.Usage);
        }
    }

    /// <summary>A usage error (exit 1).</summary>
    public static UsageException Usage(string message) => new(message);

    /// <summary>Bad data in an input file (exit 2).</summary>
    public static InvalidDataException BadData(string message, Exception? inner = null) => new(message, inner);

    /// <summary>A file named on the command line is not there, or is a directory (exit 2).</summary>
    public static FileNotFoundException Missing(string option, FileInfo file)
        => Directory.Exists(file.FullName)
            ? new($"{option}: {file} is a directory, not a file", file.FullName)
            : new($"{option}: {file} does not exist", file.FullName);

    /// <summary>Writes "fastrnn: error: message" as one line.</summary>
    public static int Report(CliContext context, string message, int exitCode)
    {
        context.Error.WriteLine(Prefix + OneLine(message));
        return exitCode;
    }

    private static int Report(CliContext context, Exception e, int exitCode) => Report(context, e.Message, exitCode);

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}
