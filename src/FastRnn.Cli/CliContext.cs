namespace FastRnn.Cli;

/// <summary>
/// Where a command writes: its results to <see cref="Out"/>, errors and progress to <see cref="Error"/>. Commands never
/// touch <see cref="Console"/> directly, so the whole tool runs in-process against any pair of writers.
/// </summary>
/// <param name="Out">Standard output: results, summaries, JSON.</param>
/// <param name="Error">Standard error: one-line errors, progress bars.</param>
/// <param name="ErrorIsTerminal">Whether <paramref name="Error"/> is an interactive terminal, where a progress bar
/// redrawn with carriage returns is readable; in a log file or a pipe it would be noise.</param>
internal sealed record CliContext(TextWriter Out, TextWriter Error, bool ErrorIsTerminal);
