using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace FastRnn.Cli.Rendering;

/// <summary>
/// Draws an <see cref="AttentionMap"/> as a standalone SVG image: a square cell per (output token, source token) pair
/// whose fill opacity is the weight, source tokens along the top, output tokens down the left side, and a title.
/// Built with System.Xml.Linq, so every label is escaped and the file is always well-formed XML.
/// </summary>
internal static class AttentionSvg
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private const double Cell = 22, Margin = 12, TitleHeight = 26, GlyphWidth = 8, FontSize = 13;
    private const int MaxLabel = 16;
    private const string Ink = "#1f5fbf";

    /// <summary>The image as an XML document; <paramref name="title"/> is shown at the top and as the SVG's title.</summary>
    public static XDocument Render(AttentionMap map, string title)
    {
        string[] sourceLabels = [.. map.SourceLabels.Select(l => TokenLabel.Visible(l, MaxLabel))];
        string[] outputLabels = [.. map.OutputLabels.Select(l => TokenLabel.Visible(l, MaxLabel))];
        int longestSource = sourceLabels.Max(TokenLabel.Width);
        int longestOutput = outputLabels.Select(TokenLabel.Width).DefaultIfEmpty(1).Max();

        // Short source labels sit upright above their columns; longer ones (words) are turned 60° so they do not overlap.
        bool turned = longestSource > 2;
        double labelBand = turned ? longestSource * GlyphWidth * 0.87 + 10 : 20;
        double left = Margin + longestOutput * GlyphWidth + 8;
        double top = Margin + TitleHeight + labelBand;
        double overhang = turned ? longestSource * GlyphWidth * 0.5 : 0;
        string line = TokenLabel.Line(title);
        double width = Math.Max(left + map.Columns * Cell + Margin + overhang, 2 * Margin + TokenLabel.Width(line) * GlyphWidth * 1.1);
        double height = top + map.Rows * Cell + Margin;

        var root = new XElement(Svg + "svg",
            new XAttribute("version", "1.1"),
            new XAttribute("viewBox", $"0 0 {N(width)} {N(height)}"),
            new XAttribute("width", N(width)),
            new XAttribute("height", N(height)),
            new XAttribute("font-family", "monospace"),
            new XAttribute("font-size", N(FontSize)),
            new XElement(Svg + "title", line),
            new XElement(Svg + "rect", new XAttribute("class", "background"), new XAttribute("width", N(width)), new XAttribute("height", N(height)), new XAttribute("fill", "#ffffff")),
            new XElement(Svg + "text", new XAttribute("class", "title"), new XAttribute("x", N(Margin)), new XAttribute("y", N(Margin + 16)),
                new XAttribute("font-family", "sans-serif"), new XAttribute("font-size", N(FontSize + 2)), new XAttribute("font-weight", "bold"), line));

        var sources = new XElement(Svg + "g", new XAttribute("class", "source-labels"), new XAttribute("fill", "#222222"));
        for (int j = 0; j < map.Columns; j++)
        {
            double x = left + (j + 0.5) * Cell, y = top - 6;
            sources.Add(turned
                ? new XElement(Svg + "text", new XAttribute("class", "source"), new XAttribute("x", N(x)), new XAttribute("y", N(y)),
                    new XAttribute("transform", $"rotate(-60 {N(x)} {N(y)})"), sourceLabels[j])
                : new XElement(Svg + "text", new XAttribute("class", "source"), new XAttribute("x", N(x)), new XAttribute("y", N(y)),
                    new XAttribute("text-anchor", "middle"), sourceLabels[j]));
        }

        var outputs = new XElement(Svg + "g", new XAttribute("class", "output-labels"), new XAttribute("fill", "#222222"), new XAttribute("text-anchor", "end"));
        for (int t = 0; t < map.Rows; t++)
            outputs.Add(new XElement(Svg + "text", new XAttribute("class", "output"), new XAttribute("x", N(left - 6)), new XAttribute("y", N(top + (t + 0.5) * Cell + 4)), outputLabels[t]));

        var cells = new XElement(Svg + "g", new XAttribute("class", "cells"), new XAttribute("fill", Ink), new XAttribute("stroke", "#dddddd"), new XAttribute("stroke-width", "0.5"));
        for (int t = 0; t < map.Rows; t++)
        {
            for (int j = 0; j < map.Columns; j++)
            {
                float w = map.Weight(t, j);
                cells.Add(new XElement(Svg + "rect",
                    new XAttribute("class", "cell"),
                    new XAttribute("x", N(left + j * Cell)), new XAttribute("y", N(top + t * Cell)),
                    new XAttribute("width", N(Cell)), new XAttribute("height", N(Cell)),
                    new XAttribute("fill-opacity", w.ToString("0.###", CultureInfo.InvariantCulture)),
                    // A hover tooltip with the exact weight.
                    new XElement(Svg + "title", $"{outputLabels[t]} ← {sourceLabels[j]}: {w.ToString("0.0000", CultureInfo.InvariantCulture)}")));
            }
        }

        var frame = new XElement(Svg + "rect", new XAttribute("class", "frame"), new XAttribute("x", N(left)), new XAttribute("y", N(top)),
            new XAttribute("width", N(map.Columns * Cell)), new XAttribute("height", N(map.Rows * Cell)), new XAttribute("fill", "none"), new XAttribute("stroke", "#888888"));
        root.Add(sources, outputs, cells, frame);
        return new XDocument(new XDeclaration("1.0", "utf-8", null), root);
    }

    /// <summary>Writes the image to <paramref name="path"/> as UTF-8 without a byte order mark.</summary>
    public static void Save(AttentionMap map, string title, string path)
    {
        XDocument document = Render(map, title);
        var settings = new XmlWriterSettings { Encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), Indent = true };
        using var writer = XmlWriter.Create(path, settings);
        document.Save(writer);
    }

    private static string N(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
