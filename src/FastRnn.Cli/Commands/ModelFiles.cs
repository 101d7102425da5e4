using FastRnn.Format;
using FastRnn.Layers;

namespace FastRnn.Cli.Commands;

/// <summary>Opens the .frnn files named on the command line, so every refusal names the file.</summary>
internal static class ModelFiles
{
    /// <summary>Loads a model for <c>run</c> and <c>bench</c>.</summary>
    public static RnnModel Load(FileInfo file) => Named(file, () => RnnModel.Load(file.FullName));

    /// <summary>Opens and validates a file for <c>inspect</c>; dispose it when done.</summary>
    public static FrnnFile Open(FileInfo file) => Named(file, () => FrnnFile.Open(file.FullName));

    /// <summary>The configuration of an open file (loading checks the architecture metadata against the tensors).</summary>
    public static RnnConfig Config(FileInfo file, FrnnFile open) => Named(file, () => RnnModel.Load(open).Config);

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
