using System.Globalization;
using System.Text;

namespace FastRnn.Decoding;

/// <summary>How text becomes source ids and target ids become text.</summary>
public enum TokenizerKind
{
    /// <summary>One token per character (per UTF-16 text element: a surrogate pair or combining sequence stays whole).</summary>
    Character = 1,

    /// <summary>Tokens are the runs of non-white-space characters; output tokens are joined with single spaces.</summary>
    Whitespace = 2,
}

/// <summary>The built-in tokenizers.</summary>
public static class Tokenizer
{
    /// <summary>Source ids of <paramref name="text"/>; unknown tokens map to <paramref name="unknownId"/>.</summary>
    public static int[] Encode(TokenizerKind kind, string text, Vocabulary vocabulary, int unknownId)
    {
        var ids = new List<int>();
        Encode(kind, text, vocabulary, unknownId, ids, unknown: null);
        return [.. ids];
    }

    /// <summary>
    /// Appends the ids of <paramref name="text"/> to <paramref name="ids"/>: a token the vocabulary lacks becomes
    /// <paramref name="unknownId"/>, or is left out when there is none, and is added to <paramref name="unknown"/> the
    /// first time it is seen.
    /// </summary>
    internal static void Encode(TokenizerKind kind, string text, Vocabulary vocabulary, int? unknownId, List<int> ids, List<string>? unknown)
    {
        ArgumentNullException.ThrowIfNull(text);
        void Add(string token)
        {
            int id = vocabulary.IdOf(token, -1);
            if (id < 0)
            {
                if (unknown is not null && !unknown.Contains(token))
                    unknown.Add(token);
                if (unknownId is not int unk)
                    return;
                id = unk;
            }
            ids.Add(id);
        }

        if (kind == TokenizerKind.Character)
        {
            var elements = StringInfo.GetTextElementEnumerator(text);
            while (elements.MoveNext())
                Add(elements.GetTextElement());
        }
        else
        {
            foreach (string token in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
                Add(token);
        }
    }

    /// <summary>The text of target <paramref name="ids"/>, skipping the ids in <paramref name="skip"/> (BOS, EOS, PAD).</summary>
    public static string Decode(TokenizerKind kind, ReadOnlySpan<int> ids, Vocabulary vocabulary, ReadOnlySpan<int> skip)
    {
        var text = new StringBuilder();
        foreach (int id in ids)
        {
            if (skip.Contains(id))
                continue;
            if (kind == TokenizerKind.Whitespace && text.Length > 0)
                text.Append(' ');
            text.Append(vocabulary[id]);
        }
        return text.ToString();
    }
}
