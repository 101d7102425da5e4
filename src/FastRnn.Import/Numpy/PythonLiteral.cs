using System.Globalization;

namespace FastRnn.Import;

/// <summary>
/// Parses the Python literal that is a .npy header: a dict of strings, booleans, integers and tuples, e.g.
/// <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (3, 4), }</c>. Only that subset is accepted; nothing is
/// evaluated. Values come back as string, bool, long, <c>List&lt;object?&gt;</c> (tuples and lists), dictionaries,
/// and null for None.
/// </summary>
internal ref struct PythonLiteral
{
    private readonly ReadOnlySpan<char> _text;
    private int _position;

    private PythonLiteral(ReadOnlySpan<char> text)
    {
        _text = text;
        _position = 0;
    }

    /// <summary>Parses <paramref name="text"/>, which must be one literal and optional whitespace.</summary>
    /// <exception cref="FormatException">Not a literal of the accepted subset; the message says where.</exception>
    public static object? Parse(ReadOnlySpan<char> text)
    {
        var parser = new PythonLiteral(text);
        object? value = parser.Value(0);
        parser.SkipSpace();
        if (parser._position != text.Length)
            throw parser.Error("unexpected text after the literal");
        return value;
    }

    private object? Value(int depth)
    {
        if (depth > 16)
            throw Error("nesting is too deep");
        SkipSpace();
        if (_position >= _text.Length)
            throw Error("unexpected end");
        char c = _text[_position];
        switch (c)
        {
            case '{':
                return Dict(depth);
            case '(':
                return Sequence(')', depth);
            case '[':
                return Sequence(']', depth);
            case '\'' or '"':
                return String();
        }
        if (c == '-' || char.IsAsciiDigit(c))
            return Integer();
        if (Word("True"))
            return true;
        if (Word("False"))
            return false;
        if (Word("None"))
            return null;
        throw Error($"unexpected '{c}'");
    }

    private Dictionary<string, object?> Dict(int depth)
    {
        _position++; // '{'
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        while (true)
        {
            SkipSpace();
            if (Take('}'))
                return result;
            if (Value(depth + 1) is not string key)
                throw Error("dict keys must be strings");
            SkipSpace();
            if (!Take(':'))
                throw Error("expected ':'");
            if (!result.TryAdd(key, Value(depth + 1)))
                throw Error($"key '{key}' appears twice");
            SkipSpace();
            if (!Take(',') && !(_position < _text.Length && _text[_position] == '}'))
                throw Error("expected ',' or '}'");
        }
    }

    private List<object?> Sequence(char close, int depth)
    {
        _position++; // '(' or '['
        var result = new List<object?>();
        while (true)
        {
            SkipSpace();
            if (Take(close))
                return result;
            result.Add(Value(depth + 1));
            SkipSpace();
            if (!Take(',') && !(_position < _text.Length && _text[_position] == close))
                throw Error($"expected ',' or '{close}'");
        }
    }

    private string String()
    {
        char quote = _text[_position++];
        int start = _position;
        while (_position < _text.Length && _text[_position] != quote)
        {
            if (_text[_position] == '\\')
                throw Error("escapes in strings are not supported");
            _position++;
        }
        if (_position >= _text.Length)
            throw Error("unterminated string");
        return _text[start.._position++].ToString();
    }

    private long Integer()
    {
        int start = _position;
        if (_text[_position] == '-')
            _position++;
        while (_position < _text.Length && char.IsAsciiDigit(_text[_position]))
            _position++;
        if (!long.TryParse(_text[start.._position], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
            throw Error($"'{_text[start.._position]}' is not a 64-bit integer");
        Take('L'); // Python 2 long suffix, found in old files
        return value;
    }

    private bool Word(string word)
    {
        if (!_text[_position..].StartsWith(word, StringComparison.Ordinal))
            return false;
        _position += word.Length;
        return true;
    }

    private bool Take(char c)
    {
        if (_position < _text.Length && _text[_position] == c)
        {
            _position++;
            return true;
        }
        return false;
    }

    private void SkipSpace()
    {
        while (_position < _text.Length && _text[_position] is ' ' or '\t' or '\n' or '\r')
            _position++;
    }

    private readonly FormatException Error(string problem) => new($"{problem} at character {_position}");
}
