using FastRnn.Cli.Reporting;

namespace FastRnn.Tests.Cli;

/// <summary>The convert progress bar: redrawn in place only when the percentage changes, erased at the end.</summary>
public class ProgressBarTests
{
    [Fact]
    public void Report_RedrawsOnlyOnANewPercentage_AndDisposeErasesTheLine()
    {
        var writer = new StringWriter();
        using (var bar = new ProgressBar(writer, "converting"))
        {
            bar.Report(0.5);
            bar.Report(0.501);
            bar.Report(1.0);
        }
        string[] frames = writer.ToString().Split('\r', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, frames.Length);
        Assert.Equal($"converting [{new string('#', 15)}{new string('.', 15)}]  50%", frames[0]);
        Assert.EndsWith("] 100%", frames[1]);
        Assert.Equal("", frames[2].Trim());
        Assert.DoesNotContain('\n', writer.ToString());
    }

    [Fact]
    public void Convert_SmallModel_WritesNothingToStderr()
    {
        using var dir = new TempDirectory();
        CliResult r = CliModels.Convert("pt_lstmcell", dir.File("m.frnn")).Succeeded();
        Assert.Equal("", r.Error);
    }
}
