namespace FastRnn.Cli;

/// <summary>The command line asks for something that makes no sense (exit code 1); the message says what and why.</summary>
internal sealed class UsageException(string message) : Exception(message);
