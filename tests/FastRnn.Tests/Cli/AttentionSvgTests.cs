using System.Globalization;
using System.Xml.Linq;
using FastRnn.Cli.Rendering;

namespace FastRnn.Tests.Cli;

/// <summary>The attention image: well-formed standalone SVG, a cell per (output, source) pair, escaped labels.</summary>
public sealed class AttentionSvgTests : IDisposable
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Save_WritesAStandaloneSvgWithViewBoxTitleAndACellPerPair()
    {
        var map = new AttentionMap(["3", "0", " ", "N", "o", "v"], ["2", "0", "</s>"], Weights(3, 6));
        string path = _dir.File("a.svg");
        AttentionSvg.Save(map, "dates: 30 Nov → 20-30", path);

        byte[] bytes = File.ReadAllBytes(path);
        Assert.NotEqual(0xEF, bytes[0]); // no byte order mark
        XDocument svg = Parse(File.ReadAllText(path));
        XElement root = svg.Root!;
        Assert.Equal(Svg + "svg", root.Name);
        double[] viewBox = [.. root.Attribute("viewBox")!.Value.Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture))];
        Assert.Equal(4, viewBox.Length);
        Assert.Equal("dates: 30 Nov → 20-30", Title(svg));

        var cells = Cells(svg);
        Assert.Equal(3 * 6, cells.Count);
        for (int t = 0; t < 3; t++)
        {
            for (int s = 0; s < 6; s++)
            {
                XElement cell = cells[t * 6 + s];
                Assert.Equal(map.Weight(t, s), Opacity(cell), 0.0006);
                // Row-major and inside the view box, one cell per position.
                double x = Number(cell, "x"), y = Number(cell, "y"), w = Number(cell, "width");
                Assert.Equal(Number(cells[0], "x") + s * w, x, 6);
                Assert.Equal(Number(cells[0], "y") + t * w, y, 6);
                Assert.InRange(x + w, 0, viewBox[2]);
                Assert.InRange(y + w, 0, viewBox[3]);
            }
        }
        Assert.Equal(["3", "0", "␣", "N", "o", "v"], Texts(svg, "source"));
        Assert.Equal(["2", "0", "</s>"], Texts(svg, "output"));
    }

    [Fact]
    public void Labels_WithXmlSpecialCharacters_AreEscaped()
    {
        var map = new AttentionMap(["<", "&", ">", "\"", "'"], ["<b>", "&amp;"], Weights(2, 5));
        string xml = Render(map, "a<&>b → <b>");

        Assert.Contains("&lt;b&gt;", xml);
        Assert.Contains("&amp;amp;", xml);
        Assert.DoesNotContain("<b>", xml);
        XDocument svg = Parse(xml);
        Assert.Equal(["<", "&", ">", "\"", "'"], Texts(svg, "source"));
        Assert.Equal(["<b>", "&amp;"], Texts(svg, "output"));
        Assert.Equal("a<&>b → <b>", Title(svg));
    }

    [Fact]
    public void Labels_WithControlCharactersOrBrokenSurrogates_StillMakeValidXml()
    {
        var map = new AttentionMap(["\u0001", "\uD800", "\n", "\uFFFF"], ["\u001B", ""], Weights(2, 4));
        XDocument svg = Parse(Render(map, "bell\u0007 and\ttab"));
        Assert.Equal(["␁", "\uFFFD", "␊", "\uFFFD"], Texts(svg, "source"));
        Assert.Equal(["␛", "∅"], Texts(svg, "output"));
        Assert.Equal("bell␇ and␉tab", Title(svg));
    }

    [Fact]
    public void LongSourceLabels_AreTurnedAndTheImageGrowsToFitThem()
    {
        var chars = new AttentionMap(["a", "b"], ["x"], Weights(1, 2));
        var words = new AttentionMap(["Tuesday", "February"], ["x"], Weights(1, 2));
        XDocument upright = Parse(Render(chars, "t")), turned = Parse(Render(words, "t"));
        Assert.All(upright.Descendants(Svg + "text").Where(e => (string?)e.Attribute("class") == "source"), e => Assert.Null(e.Attribute("transform")));
        Assert.All(turned.Descendants(Svg + "text").Where(e => (string?)e.Attribute("class") == "source"), e => Assert.StartsWith("rotate(", (string?)e.Attribute("transform")));
        Assert.True(Number(turned.Root!, "height") > Number(upright.Root!, "height"));
    }

    [Fact]
    public void Map_RejectsWeightsOfTheWrongShape()
    {
        Assert.Contains("(2, 3)", Assert.Throws<ArgumentException>(() => new AttentionMap(["a", "b", "c"], ["x", "y"], new float[5])).Message);
        Assert.Throws<ArgumentException>(() => new AttentionMap([], ["x"], []));
    }

    internal static XDocument Parse(string xml) => XDocument.Parse(xml, LoadOptions.None);

    internal static List<XElement> Cells(XDocument svg)
        => [.. svg.Descendants(Svg + "rect").Where(e => (string?)e.Attribute("class") == "cell")];

    internal static List<string> Texts(XDocument svg, string cssClass)
        => [.. svg.Descendants(Svg + "text").Where(e => (string?)e.Attribute("class") == cssClass).Select(e => e.Value)];

    internal static string Title(XDocument svg) => svg.Root!.Element(Svg + "title")!.Value;

    internal static double Opacity(XElement cell) => Number(cell, "fill-opacity");

    private static double Number(XElement element, string attribute)
        => double.Parse(element.Attribute(attribute)!.Value, CultureInfo.InvariantCulture);

    // What Save writes, as text: escaping is checked on the bytes in the file, not on an in-memory tree.
    private string Render(AttentionMap map, string title)
    {
        string path = _dir.File($"{Guid.NewGuid():N}.svg");
        AttentionSvg.Save(map, title, path);
        return File.ReadAllText(path);
    }

    // Rows that sum to 1 with one clear peak, like real attention.
    private static float[] Weights(int rows, int columns)
    {
        var w = new float[rows * columns];
        for (int t = 0; t < rows; t++)
        {
            for (int s = 0; s < columns; s++)
                w[t * columns + s] = s == t % columns ? 0.7f : 0.3f / Math.Max(1, columns - 1);
        }
        return w;
    }
}
