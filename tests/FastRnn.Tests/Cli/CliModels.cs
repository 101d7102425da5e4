using FastRnn.Layers;
using FastRnn.Tests.Support;

namespace FastRnn.Tests.Cli;

/// <summary>The fixtures the CLI tests run: import cases (weights files with PyTorch goldens) and PyTorch parity cases with given initial states.</summary>
internal static class CliModels
{
    public static string ImportDirectory => Fixtures.Directory("import");

    /// <summary>Every import case by name (the weights file is <c>name.safetensors</c> or <c>name.npz</c>).</summary>
    public static IEnumerable<object[]> ImportCases()
        => Fixtures.Files("import", "*.golden.safetensors")
            .Select(f => new object[] { Path.GetFileName(f)[..^".golden.safetensors".Length] });

    public static SafetensorsFile Golden(string name) => SafetensorsFile.Read(Path.Combine(ImportDirectory, name + ".golden.safetensors"));

    public static string WeightsFile(string name)
        => new[] { ".safetensors", ".npz" }.Select(e => Path.Combine(ImportDirectory, name + e)).Single(File.Exists);

    /// <summary>The convert options a case needs, from what its golden file records.</summary>
    public static string[] ConvertOptions(SafetensorsFile golden)
    {
        var m = golden.Metadata;
        var options = new List<string>();
        if (m.GetValueOrDefault("keras") == "true")
            options.Add("--keras");
        if (m.TryGetValue("prefix", out string? prefix))
            options.AddRange(["--prefix", prefix]);
        if (m.TryGetValue("option_nonlinearity", out string? nonlinearity))
            options.AddRange(["--nonlinearity", nonlinearity]);
        if (m.GetValueOrDefault("gru_reset_after") == "false")
            options.Add("--gru-reset-before");
        return [.. options];
    }

    /// <summary>Converts import case <paramref name="name"/> into <paramref name="frnnPath"/> with the fixture's options.</summary>
    public static CliResult Convert(string name, string frnnPath)
        => CliHarness.Run(["convert", WeightsFile(name), "-o", frnnPath, .. ConvertOptions(Golden(name))]);

    /// <summary>Writes a Fixtures/rnn case's parameters as an .frnn file and returns the fixture.</summary>
    public static RnnFixture SaveRnnFixture(string name, string frnnPath)
    {
        RnnFixture f = RnnFixture.Load(name);
        RnnModel.Save(f.Config, f.Parameters, frnnPath);
        return f;
    }
}
