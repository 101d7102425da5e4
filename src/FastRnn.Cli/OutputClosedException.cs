namespace FastRnn.Cli;

/// <summary>
/// Standard output was closed by its reader (<c>fastrnn generate | head</c>): there is no one left to write for, so the
/// command stops and the tool exits with success, silently, as Unix tools do.
/// </summary>
internal sealed class OutputClosedException(IOException inner) : Exception("standard output was closed", inner);
