namespace FastRnn.Cli.Reporting;

/// <summary>
/// A one-line progress bar redrawn in place with carriage returns, for a terminal. It redraws only when the whole
/// percentage changes, and <see cref="Dispose"/> erases it so the summary that follows starts on a clean line.
/// </summary>
internal sealed class ProgressBar(TextWriter writer, string label) : IProgress<double>, IDisposable
{
    private const int Width = 30;
    private int _shown = -1;

    public void Report(double value)
    {
        int percent = double.IsNaN(value) ? 0 : (int)Math.Clamp(value * 100, 0, 100);
        if (percent == _shown)
            return;
        _shown = percent;
        int filled = percent * Width / 100;
        writer.Write($"\r{label} [{new string('#', filled)}{new string('.', Width - filled)}] {percent,3}%");
        writer.Flush();
    }

    public void Dispose()
    {
        if (_shown < 0)
            return;
        writer.Write($"\r{new string(' ', label.Length + Width + 8)}\r");
        writer.Flush();
        _shown = -1;
    }
}
