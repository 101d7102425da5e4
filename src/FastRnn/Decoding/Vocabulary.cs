namespace FastRnn.Decoding;

/// <summary>Token strings by id, and ids by string; immutable.</summary>
public sealed class Vocabulary
{
    private readonly string[] _tokens;
    private readonly Dictionary<string, int> _ids;

    /// <summary>Creates a vocabulary; the first occurrence of a duplicated string keeps its id.</summary>
    public Vocabulary(IReadOnlyList<string> tokens)
    {
        _tokens = [.. tokens];
        _ids = new Dictionary<string, int>(_tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < _tokens.Length; i++)
            _ids.TryAdd(_tokens[i], i);
    }

    /// <summary>Number of tokens.</summary>
    public int Count => _tokens.Length;

    /// <summary>The string of <paramref name="id"/>.</summary>
    public string this[int id] => _tokens[id];

    /// <summary>The id of <paramref name="token"/>, or <paramref name="unknown"/> when absent.</summary>
    public int IdOf(string token, int unknown) => _ids.TryGetValue(token, out int id) ? id : unknown;
}
