namespace FastRnn.Format;

/// <summary>
/// An .frnn file is malformed, or a tensor or metadata entry it was asked for is missing or has another type or
/// shape. The message names the field, tensor or key, what was expected and what was found.
/// </summary>
/// <remarks>Derives from <see cref="IOException"/> (<see cref="InvalidDataException"/>, the closer match, is sealed),
/// so code that loads weights and already handles I/O failures handles this too. Thrown only through
/// <c>FormatErrors</c>, which keeps the messages uniform.</remarks>
public sealed class FrnnFormatException : IOException
{
    /// <summary>Creates an exception with a generic message.</summary>
    public FrnnFormatException()
        : base("The .frnn file is invalid.")
    {
    }

    /// <summary>Creates an exception with the given message.</summary>
    /// <param name="message">What was wrong: the field, tensor or key, expected and actual.</param>
    public FrnnFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with the given message and cause.</summary>
    /// <param name="message">What was wrong: the field, tensor or key, expected and actual.</param>
    /// <param name="innerException">The underlying failure.</param>
    public FrnnFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
