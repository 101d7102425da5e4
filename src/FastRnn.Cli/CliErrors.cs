using FastRnn.Format;

namespace FastRnn.Cli;

/// <summary>Turns failures into one line on stderr and an exit code.</summary>
internal static class CliErrors
{
    public static int Run(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is FrnnFormatException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            Console.Error.WriteLine($"fastrnn: error: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            Console.Error.WriteLine($"fastrnn: error: {e.Message}");
            return ExitCodes.Usage;
        }
    }
}
