namespace FastRnn.Import;

/// <summary>
/// A weights file could not be read or does not describe a model FastRnn can run. The message names the file part
/// or tensor, what was expected and what was found.
/// </summary>
/// <remarks>Derives from <see cref="IOException"/> so code that loads weights and already handles I/O failures
/// handles this too. Thrown only through <c>ImportErrors</c>, which keeps the messages uniform.</remarks>
public sealed class ImportException : IOException
{
    /// <summary>Creates an exception with a generic message.</summary>
    public ImportException()
        : base("The weights could not be imported.")
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    /// <param name="message">What was wrong: the file part or tensor, expected and actual.</param>
    public ImportException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    /// <param name="message">What was wrong: the file part or tensor, expected and actual.</param>
    /// <param name="innerException">The underlying failure.</param>
    public ImportException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
