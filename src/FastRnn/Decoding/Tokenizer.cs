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
        if (kind == TokenizerKind.Character)
        {
            var elements = StringInfo.GetTextElementEnumerator(text);
            while (elements.MoveNext())
                ids.Add(vocabulary.IdOf(elements.GetTextElement(), unknownId));
        }
        else
        {
            foreach (string token in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
                ids.Add(vocabulary.IdOf(token, unknownId));
        }
        return [.. ids];
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
