using System.Globalization;
using FastRnn.Tests.Models;
using FastRnn.Tests.Support;
using CliProgram = FastRnn.Cli.Program;

namespace FastRnn.Tests.Cli;

/// <summary>
/// <c>fastrnn translate --batch N</c> on the shipped date normaliser, stdin lines decoded together through the stream
/// pool: one output line per input line, in order, the same as <c>--batch 1</c> (which decodes each line alone) and the
/// right date for every held-out line; bad lines (empty, white space only, too long, unknown characters with --strict)
/// answered in their place with an error on stderr, the rest going on.
/// </summary>
public class TranslateBatchTests
{
    private static readonly string DateModel = Fixtures.ShippedModel("date-normalizer.frnn");

    private static readonly string[] BadLines = ["", "   ", new string('1', 200), "30 нояб 2026"];

    [Fact]
    public void Batch_GivesLineForLineWhatBatchOneGives_InOrder_WithBadLinesAnsweredInPlace()
    {
        var dates = DateNormalizerTests.TestSet().Take(300).ToList();
        var inputs = new List<string>();
        var expected = new List<string>();
        for (int i = 0; i < dates.Count; i++)
        {
            inputs.Add(dates[i].Input);
            expected.Add(dates[i].Expected);
            if (i % 37 == 5)
            {
                inputs.Add(BadLines[i % BadLines.Length]);
                expected.Add("");
            }
        }
        string stdin = string.Join("\n", inputs) + "\n";

        CliResult one = Run(stdin, "--batch", "1", "--strict");
        Assert.Equal(2, one.ExitCode);
        Assert.Equal(expected, Lines(one.Out));
        foreach (string batch in new[] { "2", "7", "64" })
        {
            CliResult many = Run(stdin, "--batch", batch, "--strict");
            Assert.Equal(one.ExitCode, many.ExitCode);
            Assert.Equal(Lines(one.Out), Lines(many.Out));
            Assert.Equal(Lines(one.Error), Lines(many.Error));
        }
        CliResult byDefault = Run(stdin, "--strict"); // stdin is not a terminal: the pool's default batch
        Assert.Equal(Lines(one.Out), Lines(byDefault.Out));
        Assert.Equal(Lines(one.Error), Lines(byDefault.Error));
        Assert.Equal(inputs.Count(line => BadLines.Contains(line)), Lines(one.Error).Length);
    }

    [Fact]
    public void BatchWithBeamAndScores_MatchesBatchOne()
    {
        var dates = DateNormalizerTests.TestSet().Skip(300).Take(60).ToList();
        string stdin = string.Join("\n", dates.Select(d => d.Input)) + "\n";

        string[] one = Lines(Run(stdin, "--batch", "1", "--beam", "3", "--scores").Succeeded().Out);
        string[] many = Lines(Run(stdin, "--batch", "9", "--beam", "3", "--scores").Succeeded().Out);

        Assert.Equal(dates.Count, many.Length);
        for (int i = 0; i < dates.Count; i++)
        {
            string[] a = one[i].Split('\t'), b = many[i].Split('\t');
            Assert.Equal(dates[i].Expected, b[0]);
            Assert.Equal(a[0], b[0]);
            // The pool's batched products round differently in the last bits; printed to 6 decimals, scores agree to 1e-4.
            double scoreOne = double.Parse(a[1], CultureInfo.InvariantCulture), scoreMany = double.Parse(b[1], CultureInfo.InvariantCulture);
            Assert.True(Math.Abs(scoreOne - scoreMany) <= 1e-4, $"line {i + 1}: score {scoreMany} with --batch 9, {scoreOne} alone");
        }
    }

    [Theory]
    [InlineData("0", "--batch must be in 1..1024")]
    [InlineData("1025", "--batch must be in 1..1024")]
    public void Batch_OutOfRange_IsAUsageError(string batch, string message)
        => CliHarness.Run(["translate", "--batch", batch, "--model", DateModel]).Failed(1, message);

    [Fact]
    public void Batch_WithATextArgumentOrAttention_IsAUsageError()
    {
        CliHarness.Run(["translate", "30 Nov 2026", "--batch", "4", "--model", DateModel]).Failed(1, "--batch decodes stdin lines together");
        Run("30 Nov 2026\n", "--batch", "4", "--show-attention").Failed(1, "drop --batch");
        CliHarness.Run(["translate", "--batch", "1024", "--beam", "1000", "--model", DateModel]).Failed(1, "decoder rows");
    }

    private static CliResult Run(string stdin, params string[] options)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliProgram.Run(["translate", "--model", DateModel, .. options], new StringReader(stdin), stdout, stderr);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    private static string[] Lines(string text) => text.TrimEnd('\n').Split('\n');
}
