using System.Text;

namespace FastRnn.Cli.Rendering;

/// <summary>
/// Draws an <see cref="AttentionMap"/> as text: one row per output token, one column per source token, each cell a
/// shade of its weight. Cells are two characters wide (about square in a terminal) when the source fits the width,
/// else one; a source wider than that still is split into blocks of columns, each with its own header, so nothing is
/// cut off and no line is longer than the width asked for.
/// </summary>
internal static class AttentionGrid
{
    /// <summary>Shades for weights nearest 0, ¼, ½, ¾ and 1.</summary>
    public const string Shades = " ░▒▓█";

    /// <summary>Longest row label (output token) shown, and most header lines a column label (source token) takes.</summary>
    public const int MaxRowLabel = 8, MaxColumnLabel = 6;

    /// <summary>Narrowest width honoured: a row label, the frame and one cell.</summary>
    public const int MinWidth = MaxRowLabel + 4;

    /// <summary>Writes the grid to <paramref name="output"/> in lines of at most <paramref name="width"/> characters.</summary>
    public static void Write(AttentionMap map, TextWriter output, int width = 80)
    {
        width = Math.Max(width, MinWidth);
        string[] rowLabels = [.. map.OutputLabels.Select(l => TokenLabel.Visible(l, MaxRowLabel))];
        int labelWidth = Math.Max(1, rowLabels.Select(TokenLabel.Width).DefaultIfEmpty(1).Max());
        int available = width - labelWidth - 3; // "label │cells│"
        int cellWidth = 2 * map.Columns <= available ? 2 : 1;
        int perBlock = available / cellWidth;

        output.WriteLine($"attention weights (rows: output, columns: source)  {Shades[1]} ¼ {Shades[2]} ½ {Shades[3]} ¾ {Shades[4]} 1");
        for (int first = 0; first < map.Columns; first += perBlock)
        {
            int count = Math.Min(perBlock, map.Columns - first);
            if (count < map.Columns)
                output.WriteLine($"source tokens {first + 1}–{first + count} of {map.Columns}:");
            WriteBlock(map, output, rowLabels, labelWidth, cellWidth, first, count);
        }
    }

    /// <summary>The shade of weight <paramref name="w"/> in [0, 1]: the nearest of 0, ¼, ½, ¾, 1.</summary>
    public static char Shade(float w) => Shades[(int)MathF.Round(Math.Clamp(w, 0f, 1f) * 4, MidpointRounding.AwayFromZero)];

    private static void WriteBlock(AttentionMap map, TextWriter output, string[] rowLabels, int labelWidth, int cellWidth, int first, int count)
    {
        // Column labels read downwards, one character per header line, so a word fits above a one-character column.
        var columnGlyphs = new IReadOnlyList<string>[count];
        for (int j = 0; j < count; j++)
            columnGlyphs[j] = TokenLabel.Glyphs(TokenLabel.Visible(map.SourceLabels[first + j], MaxColumnLabel));
        int headerLines = columnGlyphs.Max(g => g.Count);
        string indent = new(' ', labelWidth + 2);
        var line = new StringBuilder();
        for (int k = 0; k < headerLines; k++)
        {
            line.Clear().Append(indent);
            foreach (IReadOnlyList<string> glyphs in columnGlyphs)
                line.Append(k < glyphs.Count ? glyphs[k] : " ").Append(' ', cellWidth - 1);
            output.WriteLine(line.ToString().TrimEnd());
        }

        string rule = new('─', count * cellWidth);
        output.WriteLine($"{new string(' ', labelWidth + 1)}┌{rule}┐");
        for (int t = 0; t < map.Rows; t++)
        {
            line.Clear().Append(' ', labelWidth - TokenLabel.Width(rowLabels[t])).Append(rowLabels[t]).Append(" │");
            for (int j = 0; j < count; j++)
                line.Append(Shade(map.Weight(t, first + j)), cellWidth);
            output.WriteLine(line.Append('│').ToString());
        }
        output.WriteLine($"{new string(' ', labelWidth + 1)}└{rule}┘");
    }
}
