using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using FastRnn.Cli.Commands;

namespace FastRnn.Cli;

/// <summary>The <c>fastrnn</c> command-line tool: argument parsing and I/O around the engine, no math of its own.</summary>
public static class Program
{
    public static int Main(string[] args)
        => Run(args, Console.In, StandardOutput.Open(), Console.Error, errorIsTerminal: !Console.IsErrorRedirected);

    /// <summary>
    /// Runs the tool in-process: results go to <paramref name="stdout"/>, errors (one line each) to
    /// <paramref name="stderr"/>. Returns the exit code: 0 success, 1 usage error, 2 bad input file or data, 3 anything
    /// else (out of memory, a bug), still as one line.
    /// </summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
        => Run(args, TextReader.Null, stdout, stderr, errorIsTerminal: false);

    /// <summary>As <see cref="Run(string[], TextWriter, TextWriter)"/>, with <paramref name="stdin"/> as standard input
    /// (read by <c>translate</c> when it is given no text); the other overload gives an empty one.</summary>
    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr)
        => Run(args, stdin, stdout, stderr, errorIsTerminal: false);

    internal static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr, bool errorIsTerminal)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdin);
        stdout = StandardOutput.Guard(stdout);
        var context = new CliContext(stdout, stderr, errorIsTerminal);
        // A plain command named "fastrnn" rather than RootCommand, which is named after the executable: that is
        // "FastRnn.Cli" under `dotnet run` and the test host in-process, and help should show the tool's name.
        var root = new Command("fastrnn", "FastRnn: run LSTM, GRU and RNN models on the CPU, step by step, without allocating.")
        {
            new HelpOption(),
            new VersionOption(),
            ConvertCommand.Create(context),
            QuantizeCommand.Create(context),
            InspectCommand.Create(context),
            RunCommand.Create(context),
            BenchCommand.Create(context),
            DemoCommand.Create(context),
            TranslateCommand.Create(context, stdin),
            GenerateCommand.Create(context),
            VadCommand.Create(context),
        };
        ParseResult parse = root.Parse(args);
        if (parse.Action is ParseErrorAction)
        {
            // System.CommandLine's own handler prints every error and the whole help text; one line that names the
            // problem and where to find help keeps the stderr contract of every other failure (and its exit code is 1).
            string command = parse.CommandResult.Command == root ? "fastrnn" : $"fastrnn {parse.CommandResult.Command.Name}";
            string errors = string.Join("; ", parse.Errors.Select(e => e.Message.TrimEnd('.')));
            return CliErrors.Report(context, $"{errors} (see '{command} --help')", ExitCodes.Usage);
        }
        try
        {
            // Without System.CommandLine's default handler, which would print a closed pipe as an unhandled exception.
            return parse.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (OutputClosedException)
        {
            // The reader of stdout has gone (`fastrnn generate | head`): stopping is the right outcome, not an error.
            return ExitCodes.Success;
        }
        catch (Exception e)
        {
            // The commands turn every failure they expect into exit 1 or 2; whatever is left still gets one line, no trace.
            return CliErrors.Report(context, $"{e.GetType().Name}: {e.Message}", ExitCodes.Internal);
        }
    }
}
