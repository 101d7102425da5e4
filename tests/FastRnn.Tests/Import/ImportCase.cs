using System.Globalization;
using FastRnn.Import;
using FastRnn.Layers;
using Fixtures = FastRnn.Tests.Support.Fixtures;

namespace FastRnn.Tests.Import;

/// <summary>
/// One case in Fixtures/import (made by tools/gen_import_fixtures.py): a weights file and its golden file, whose
/// metadata records the configuration the importer must infer and the options it needs.
/// </summary>
internal sealed class ImportCase
{
    private ImportCase(string file)
    {
        File = file;
        Path = System.IO.Path.Combine(Fixtures.Directory("import"), file);
        string stem = file[..file.LastIndexOf('.')];
        using SafetensorsFile golden = SafetensorsFile.Open(System.IO.Path.Combine(Fixtures.Directory("import"), stem + ".golden.safetensors"));
        Golden = golden.ReadAll().ToDictionary(t => t.Key, t => t.Value);
        Metadata = new Dictionary<string, string>(golden.Metadata);
    }

    public string File { get; }

    public string Path { get; }

    public Dictionary<string, TensorData> Golden { get; }

    public Dictionary<string, string> Metadata { get; }

    public int Steps => Golden["input"].Shape[0];

    public int Batch => Golden["input"].Shape[1];

    public ImportOptions Options => new()
    {
        Prefix = Metadata.GetValueOrDefault("prefix"),
        Keras = Metadata.GetValueOrDefault("keras") == "true",
        Nonlinearity = Metadata.GetValueOrDefault("option_nonlinearity") == "relu" ? RnnNonlinearity.Relu : null,
    };

    public RnnConfig ExpectedConfig => new()
    {
        Kind = Metadata["kind"] switch { "lstm" => RecurrentKind.Lstm, "gru" => RecurrentKind.Gru, _ => RecurrentKind.Rnn },
        InputSize = Int("input_size"),
        HiddenSize = Int("hidden_size"),
        NumLayers = Int("num_layers"),
        Bidirectional = Metadata["bidirectional"] == "true",
        ProjSize = Int("proj_size"),
        HasBias = Metadata["bias"] == "true",
        Nonlinearity = Metadata["nonlinearity"] == "relu" ? RnnNonlinearity.Relu : RnnNonlinearity.Tanh,
        GruResetAfter = Metadata.GetValueOrDefault("gru_reset_after", "true") == "true",
    };

    public static ImportCase Load(string file) => new(file);

    /// <summary>Every weights file (not the goldens), by file name.</summary>
    public static IEnumerable<object[]> All()
        => System.IO.Directory.EnumerateFiles(Fixtures.Directory("import"))
            .Select(System.IO.Path.GetFileName)
            .Where(f => f!.EndsWith(".npz", StringComparison.Ordinal) || (f.EndsWith(".safetensors", StringComparison.Ordinal) && !f.EndsWith(".golden.safetensors", StringComparison.Ordinal)))
            .Order(StringComparer.Ordinal)
            .Select(f => new object[] { f! });

    private int Int(string key) => int.Parse(Metadata[key], CultureInfo.InvariantCulture);
}
