using CliProgram = FastRnn.Cli.Program;
using NpyArray = FastRnn.Import.NpyArray;

namespace FastRnn.Tests.Cli;

/// <summary>What one in-process run of the tool printed and returned.</summary>
internal sealed record CliResult(int ExitCode, string Out, string Error)
{
    /// <summary>Asserts success with nothing on stderr.</summary>
    public CliResult Succeeded()
    {
        Assert.True(ExitCode == 0, $"exit code {ExitCode}; stderr: {Error}");
        Assert.Equal("", Error);
        return this;
    }

    /// <summary>Asserts success with exactly one "fastrnn: warning: …" line on stderr containing <paramref name="text"/>.</summary>
    public CliResult SucceededWithWarning(string text)
    {
        Assert.True(ExitCode == 0, $"exit code {ExitCode}; stderr: {Error}");
        string[] lines = Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("fastrnn: warning: ", lines[0]);
        Assert.Contains(text, lines[0]);
        return this;
    }

    /// <summary>Asserts the exit code, nothing on stdout, and exactly one "fastrnn: error: …" line containing <paramref name="text"/>.</summary>
    public void Failed(int exitCode, string text)
    {
        Assert.True(ExitCode == exitCode, $"exit code {ExitCode}, expected {exitCode}; stderr: {Error}");
        Assert.Equal("", Out);
        string[] lines = Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("fastrnn: error: ", lines[0]);
        Assert.Contains(text, lines[0]);
    }
}

/// <summary>Runs the <c>fastrnn</c> tool in-process, and the files it reads and writes.</summary>
internal static class CliHarness
{
    public static CliResult Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliProgram.Run(args, stdout, stderr);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    public static void WriteNpy(string path, int[] shape, float[] data) => NpyArray.Write(path, shape, data);

    public static (int[] Shape, float[] Data) ReadNpy(string path)
    {
        var array = NpyArray.Read(path);
        return (array.Shape, array.Data);
    }

    /// <summary>A version 1.0 .npy file with any dtype and order: a header dict, then the raw bytes.</summary>
    public static byte[] RawNpy(string descr, bool fortranOrder, int[] shape, byte[] data)
    {
        string dims = shape.Length == 1 ? $"({shape[0]},)" : $"({string.Join(", ", shape)})";
        return FastRnn.Tests.Import.NpyBytes.Build(FastRnn.Tests.Import.NpyBytes.Dict(descr, dims, fortranOrder), data);
    }

    /// <summary>(a, b, w) → (b, a, w): batch-first and time-major are this transpose of each other.</summary>
    public static float[] SwapLeadingAxes(float[] data, int a, int b)
    {
        int w = data.Length / (a * b);
        var result = new float[data.Length];
        for (int i = 0; i < a; i++)
        {
            for (int j = 0; j < b; j++)
                Array.Copy(data, (i * b + j) * w, result, (j * a + i) * w, w);
        }
        return result;
    }

    /// <summary>Element [·, index, ·] of the middle axis of an (a, b, w) array, as (a, w).</summary>
    public static float[] Slice(float[] data, int a, int b, int index)
    {
        int w = data.Length / (a * b);
        var result = new float[a * w];
        for (int i = 0; i < a; i++)
            Array.Copy(data, (i * b + index) * w, result, i * w, w);
        return result;
    }
}

/// <summary>A fresh directory under the temp folder, deleted with everything in it on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"fastrnn-cli-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
