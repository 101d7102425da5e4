using System.Diagnostics;
using FastRnn.Kernels;

namespace FastRnn.Tests.Kernels;

/// <summary>
/// The kernel variables are read when a process first needs a kernel, so they are tested in a child process: the
/// `fastrnn` tool next to this assembly, run with a bad value, must fail with one line that names the variable.
/// </summary>
public class KernelEnvironmentTests
{
    [Theory]
    [InlineData(KernelSelector.EnvironmentVariable, "bogus", "scalar, vector128, avx2, avx512")]
    [InlineData(KernelSelector.StreamingBytesVariable, "-5", "positive number of bytes")]
    public void ABadKernelVariable_FailsAtFirstUse_WithOneLineNamingIt(string variable, string value, string expected)
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "FastRnn.Cli.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string arg in new[] { cli, "demo", "--steps", "3" })
            start.ArgumentList.Add(arg);
        start.Environment[variable] = value;
        using Process process = Process.Start(start)!;
        string stderr = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(60_000), "the tool did not finish");

        Assert.Equal(1, process.ExitCode);
        string line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(variable, line);
        Assert.Contains(expected, line);
        Assert.DoesNotContain("TypeInitializationException", line);
    }

    [Theory]
    [InlineData("32768K", 32L << 20)]
    [InlineData("1M", 1L << 20)]
    [InlineData("512", 512)]
    [InlineData("", 0)]
    [InlineData("lots", 0)]
    public void CacheSizes_ParsesTheKernelsSizeFormat(string text, long bytes) => Assert.Equal(bytes, CacheSizes.ParseSize(text));
}
