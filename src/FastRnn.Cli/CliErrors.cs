namespace FastRnn.Cli;

/// <summary>Turns failures into one line on stderr and an exit code, and makes the exceptions that carry them.</summary>
internal static class CliErrors
{
    public const string Prefix = "fastrnn: error: ";

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
        catch (Exception e) when (e is UsageException or ArgumentException or InvalidOperationException or NotSupportedException)
        {
            return Report(context, e, ExitCodes.Usage);
        }
    }

    /// <summary>A usage error (exit 1).</summary>
    public static UsageException Usage(string message) => new(message);

    /// <summary>Bad data in an input file (exit 2).</summary>
    public static InvalidDataException BadData(string message, Exception? inner = null) => new(message, inner);

    /// <summary>A file named on the command line is not there (exit 2).</summary>
    public static FileNotFoundException Missing(string option, FileInfo file)
        => new($"{option}: {file} does not exist", file.FullName);

    /// <summary>Writes "fastrnn: error: message" as one line.</summary>
    public static int Report(CliContext context, string message, int exitCode)
    {
        context.Error.WriteLine(Prefix + OneLine(message));
        return exitCode;
    }

    private static int Report(CliContext context, Exception e, int exitCode) => Report(context, e.Message, exitCode);

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}
