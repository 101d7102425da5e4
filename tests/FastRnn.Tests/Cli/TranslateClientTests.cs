using System.Text;
using FastRnn.Tests.Support;
using CliProgram = FastRnn.Cli.Program;

namespace FastRnn.Tests.Cli;

/// <summary>
/// <c>fastrnn translate</c> reading stdin as a co-process client writes it — one line, then wait for its answer — gets
/// every answer without the tool waiting for more input first; and a wide beam on a pipe needs rows per line, not
/// hypotheses for every row.
/// </summary>
public class TranslateClientTests
{
    private static readonly string DateModel = Fixtures.ShippedModel("date-normalizer.frnn");

    [Fact]
    public void AClientThatWaitsForEachAnswer_IsAnsweredLineByLine()
    {
        string[] lines = ["30 Nov 2026", "1st of May, 1999", "", "2026.11.30", "feb. 07 1906"];
        var output = new LineCountingWriter();
        var client = new WaitingClient(lines, output);

        int code = CliProgram.Run(["translate", "--model", DateModel, "--batch", "8"], client, output, new StringWriter());

        Assert.True(client.AllAnsweredInTime, $"line {client.Stuck + 1} was never asked for: the tool waited for input before answering line {client.Stuck}");
        Assert.Equal(2, code); // the empty line
        Assert.Equal(["2026-11-30", "1999-05-01", "", "2026-11-30", "1906-02-07"], output.ToString().TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void AWideBeamOnAPipe_Translates()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliProgram.Run(["translate", "--model", DateModel, "--beam", "256"], new StringReader("30 Nov 2026\n"), stdout, stderr);
        Assert.True(code == 0, $"exit {code}: {stderr}");
        Assert.Equal("2026-11-30\n", stdout.ToString());
    }

    /// <summary>Gives line i only once i answers were written (as a client that waits for each), for up to 10 s.</summary>
    private sealed class WaitingClient(string[] lines, LineCountingWriter output) : TextReader
    {
        private int _next;

        public bool AllAnsweredInTime { get; private set; } = true;

        public int Stuck { get; private set; } = -1;

        public override string? ReadLine()
        {
            if (_next == lines.Length || !AllAnsweredInTime)
                return null;
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (output.Lines < _next)
            {
                if (DateTime.UtcNow > deadline)
                {
                    AllAnsweredInTime = false;
                    Stuck = _next - 1;
                    return null;
                }
                Thread.Sleep(1);
            }
            return lines[_next++];
        }
    }

    /// <summary>A thread-safe writer that counts the lines written to it.</summary>
    private sealed class LineCountingWriter : TextWriter
    {
        private readonly StringBuilder _text = new();
        private int _lines;

        public override Encoding Encoding => Encoding.UTF8;

        public int Lines => Volatile.Read(ref _lines);

        public override void Write(char value)
        {
            lock (_text)
            {
                _text.Append(value);
                if (value == '\n')
                    Interlocked.Increment(ref _lines);
            }
        }

        public override string ToString()
        {
            lock (_text)
                return _text.ToString();
        }
    }
}
