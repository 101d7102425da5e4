using FastRnn.Decoding;
using FastRnn.Format;

namespace FastRnn.Cli.Commands;

/// <summary>
/// Opens the seq2seq and language-model files of <c>translate</c> and <c>generate</c>: the one named by
/// <c>--model</c>, else the shipped one in <c>weights/</c>. A missing or malformed file is bad input (exit 2) and the
/// message names it.
/// </summary>
internal static class TextModelFiles
{
    /// <summary>Loads a seq2seq model; returns it with the path it came from.</summary>
    public static (Seq2SeqModel Model, string Path) LoadSeq2Seq(FileInfo? file, string shippedName)
        => Load(file, shippedName, Seq2SeqModel.Load);

    /// <summary>Loads a language model; returns it with the path it came from.</summary>
    public static (LanguageModel Model, string Path) LoadLanguageModel(FileInfo? file, string shippedName)
        => Load(file, shippedName, LanguageModel.Load);

    /// <summary>The seq2seq model of a file <c>inspect</c> has open; a malformed one is bad input naming the file.</summary>
    public static Seq2SeqModel Seq2Seq(FileInfo file, FrnnFile open)
    {
        try
        {
            return Seq2SeqModel.Load(open);
        }
        catch (FrnnFormatException e)
        {
            throw CliErrors.BadData($"{file}: {e.Message}", e);
        }
    }

    private static (T, string) Load<T>(FileInfo? file, string shippedName, Func<string, T> load)
    {
        if (file is not null && !file.Exists)
            throw CliErrors.Missing("--model", file);
        string path = file?.FullName ?? ShippedModels.Find(shippedName);
        try
        {
            return (load(path), path);
        }
        catch (FrnnFormatException e)
        {
            throw CliErrors.BadData($"{file?.ToString() ?? path}: {e.Message}", e);
        }
    }
}
