namespace FastRnn.Cli.Reporting;

/// <summary>Shapes written as PyTorch prints them: <c>(9, 2, 5)</c>, <c>(5,)</c>, <c>()</c>.</summary>
internal static class Shapes
{
    public static string Format(IReadOnlyList<int> shape)
        => shape.Count == 1 ? $"({shape[0]},)" : $"({string.Join(", ", shape)})";
}
