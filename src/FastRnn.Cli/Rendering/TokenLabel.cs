using System.Globalization;
using System.Text;

namespace FastRnn.Cli.Rendering;

/// <summary>Token text made printable for a label: white space and control characters get visible stand-ins.</summary>
internal static class TokenLabel
{
    /// <summary>
    /// The characters of <paramref name="token"/> as shown in a label, one string per character: a space is '␣',
    /// control characters are their Unicode control pictures (tab '␉', newline '␊', …), so a label is never blank and
    /// never moves the cursor; broken surrogates become U+FFFD (an XML writer would refuse them); an empty token is '∅'.
    /// </summary>
    public static IReadOnlyList<string> Glyphs(string token)
    {
        var glyphs = new List<string>(token.Length);
        foreach (Rune rune in token.EnumerateRunes())
            glyphs.Add(Glyph(rune));
        if (glyphs.Count == 0)
            glyphs.Add("∅");
        return glyphs;
    }

    /// <summary>The visible form of <paramref name="token"/>, cut to <paramref name="maxGlyphs"/> characters with a final '…'.</summary>
    public static string Visible(string token, int maxGlyphs = int.MaxValue)
    {
        IReadOnlyList<string> glyphs = Glyphs(token);
        return glyphs.Count <= maxGlyphs
            ? string.Concat(glyphs)
            : string.Concat(glyphs.Take(Math.Max(0, maxGlyphs - 1))) + "…";
    }

    /// <summary>A line of text (a title) made safe the same way, except that spaces stay spaces.</summary>
    public static string Line(string text)
    {
        var line = new StringBuilder(text.Length);
        foreach (Rune rune in text.EnumerateRunes())
            line.Append(rune.Value == ' ' ? " " : Glyph(rune));
        return line.ToString();
    }

    /// <summary>How many characters <see cref="Visible"/> shows (a terminal cell each, ignoring double-width scripts).</summary>
    public static int Width(string visible) => visible.EnumerateRunes().Count();

    private static string Glyph(Rune rune)
    {
        int c = rune.Value;
        if (c == ' ')
            return "␣";
        if (c < 0x20)
            return ((char)(0x2400 + c)).ToString(); // U+2400..U+241F: the control pictures, in code point order
        if (c == 0x7F)
            return "␡";
        // C1 controls, line/paragraph separators and U+FFFE/U+FFFF (not XML characters) would break a line or a file.
        if (Rune.IsControl(rune) || c is 0xFFFE or 0xFFFF
            || Rune.GetUnicodeCategory(rune) is UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator)
            return "\uFFFD";
        return rune.ToString();
    }
}
