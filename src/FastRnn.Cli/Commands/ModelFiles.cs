using FastRnn.Cli.Rendering;
using FastRnn.Cli.Reporting;
using FastRnn.Decoding;
using FastRnn.Format;
using FastRnn.Layers;

namespace FastRnn.Cli.Commands;

/// <summary>Opens the .frnn files named on the command line, so every refusal names the file.</summary>
internal static class ModelFiles
{
    // The metadata key that says which schema a file follows, and its values (docs/format.md, "Model schemas").
    private const string ArchitectureKey = "fastrnn.architecture";
    private const string Rnn = "rnn", Seq2Seq = "seq2seq", Lm = "lm";

    /// <summary>Loads a model for <c>run</c> and <c>bench</c>.</summary>
    public static RnnModel Load(FileInfo file, ModelLoadOptions? options = null)
        => Named(file, () => RnnModel.Load(file.FullName, options ?? ModelLoadOptions.Default));

    /// <summary>Opens and validates a file for <c>inspect</c>; dispose it when done.</summary>
    public static FrnnFile Open(FileInfo file) => Named(file, () => FrnnFile.Open(file.FullName));

    /// <summary>
    /// Loads the model an open file holds, whatever its kind, and describes it; loading checks the architecture
    /// metadata against the tensors, so a description means the engine would run the file.
    /// </summary>
    public static ModelDescription Describe(FileInfo file, FrnnFile open) => Named(file, () =>
    {
        string architecture = open.GetString(ArchitectureKey);
        switch (architecture)
        {
            case Rnn:
                RnnConfig config = RnnModel.Load(open).Config;
                return new ModelDescription(architecture, ModelSummary.Describe(config), ModelSummary.ToJson(config));
            case Seq2Seq:
                Seq2SeqModel seq2seq = Seq2SeqModel.Load(open);
                Dictionary<string, object> json = ModelSummary.ToJson(seq2seq.Config);
                json["kind"] = Seq2Seq;
                json["source_framing"] = Seq2SeqSummary.Framing(seq2seq);
                if (seq2seq.Config.SourceBosId is int bos)
                    json["src_bos_id"] = bos;
                if (seq2seq.Config.SourceEosId is int eos)
                    json["src_eos_id"] = eos;
                return new ModelDescription(architecture, Seq2SeqSummary.Describe(seq2seq), json);
            case Lm:
                // LanguageModel loads from a path only; the file is already validated, so this is a second, cheap pass.
                LanguageModel lm = LanguageModel.Load(file.FullName);
                return new ModelDescription(architecture, ModelSummary.Describe(lm), ModelSummary.ToJson(lm));
            default:
                throw CliErrors.BadData($"{file}: metadata '{ArchitectureKey}': expected \"{Rnn}\", \"{Seq2Seq}\" or \"{Lm}\", actual \"{architecture}\"");
        }
    });

    private static T Named<T>(FileInfo file, Func<T> action)
    {
        if (!file.Exists)
            throw CliErrors.Missing("model", file);
        try
        {
            return action();
        }
        catch (FrnnFormatException e)
        {
            throw CliErrors.BadData($"{file}: {e.Message}", e);
        }
    }
}
