using System.Diagnostics;

namespace FastRnn.Tests.Cli;

/// <summary>
/// Runs the built <c>fastrnn</c> tool as a child process, for what an in-process run cannot show: a real pipe closed
/// by its reader, and a process-wide memory limit (<c>DOTNET_GCHeapHardLimit</c>) that only the child gets.
/// </summary>
internal static class CliProcess
{
    private static readonly string Tool = Path.Combine(AppContext.BaseDirectory, "FastRnn.Cli.dll");

    /// <summary>Starts the tool with its output streams redirected; <paramref name="environment"/> is added to the child's.</summary>
    public static Process Start(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(DotnetHost()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Tool);
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
            start.Environment[key] = value;
        return Process.Start(start) ?? throw new InvalidOperationException("could not start the tool");
    }

    /// <summary>Runs the tool to completion (at most a minute) and returns what it printed.</summary>
    public static CliResult Run(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        using Process process = Start(args, environment);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(), stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(1)), "the tool did not finish within a minute");
        return new CliResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    // The test host runs under the dotnet host; use the same one, whatever PATH says.
    private static string DotnetHost()
        => Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
}
