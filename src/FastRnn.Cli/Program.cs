using System.CommandLine;
using FastRnn.Cli.Commands;

namespace FastRnn.Cli;

/// <summary>The <c>fastrnn</c> command-line tool: argument parsing and I/O around the engine, no math of its own.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("FastRnn: run LSTM, GRU and RNN models on the CPU, step by step, without allocating.")
        {
            DemoCommand.Create(),
            InspectCommand.Create(),
        };
        return root.Parse(args).Invoke();
    }
}
