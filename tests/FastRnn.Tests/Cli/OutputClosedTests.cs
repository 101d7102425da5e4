using System.Diagnostics;
using System.Text;
using CliProgram = FastRnn.Cli.Program;

namespace FastRnn.Tests.Cli;

/// <summary><c>fastrnn generate | head</c>: when the reader of stdout goes away the tool stops at once, quietly, with exit 0.</summary>
[Collection(FastRnn.Tests.Support.SerialCollection.Name)]
public class OutputClosedTests
{
    /// <summary>A stdout whose reader leaves after <paramref name="writes"/> writes: then every write fails as a broken pipe does.</summary>
    private sealed class ClosingWriter(int writes) : TextWriter
    {
        public int Attempts { get; private set; }

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value) => Attempt();

        public override void Write(string? value) => Attempt();

        public override void Write(char[] buffer, int index, int count) => Attempt();

        private void Attempt()
        {
            if (++Attempts > writes)
                throw new IOException("Broken pipe", 32); // EPIPE, as the runtime reports it on Unix
        }
    }

    [Fact]
    public void Generate_WhenStdoutReportsABrokenPipe_StopsAtTheNextTokenAndExitsZero()
    {
        var stdout = new ClosingWriter(writes: 10);
        var stderr = new StringWriter();
        int code = CliProgram.Run(["generate", "--tokens", "100000"], stdout, stderr);
        Assert.Equal(0, code);
        Assert.Equal("", stderr.ToString());
        Assert.Equal(11, stdout.Attempts); // the failed write is the last one: no token is sampled for no one
    }

    [Fact]
    public void Help_WhenStdoutReportsABrokenPipe_ExitsZeroWithoutATrace()
    {
        var stderr = new StringWriter();
        Assert.Equal(0, CliProgram.Run(["convert", "--help"], new ClosingWriter(writes: 0), stderr));
        Assert.Equal("", stderr.ToString());
    }

    [Fact]
    public async Task Generate_PipedIntoAReaderThatCloses_ExitsZeroQuickly()
    {
        using Process process = CliProcess.Start(["generate", "--tokens", "1000000"]);
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        var first = new char[32];
        process.StandardOutput.ReadBlock(first, 0, first.Length);
        var clock = Stopwatch.StartNew();
        process.StandardOutput.Close(); // what `head` does once it has its lines

        // A million characters take tens of seconds to sample; stopping must take a moment.
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(20)), "generate kept running after its reader closed stdout");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20));
        Assert.Equal(0, process.ExitCode);
        string error = await stderr;
        Assert.DoesNotContain("exception", error, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", error);
    }
}
