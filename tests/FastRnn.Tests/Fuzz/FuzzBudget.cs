using System.Globalization;

namespace FastRnn.Tests.Fuzz;

/// <summary>
/// How long each reader is fuzzed and from which seed. By default about a second per reader, so the suite stays
/// fast in CI; <c>FASTRNN_FUZZ_SECONDS</c> sets the seconds per reader for a longer run and <c>FASTRNN_FUZZ_SEED</c>
/// the base seed (a failure message gives both, and the failing input, to reproduce it).
/// </summary>
internal static class FuzzBudget
{
    public static TimeSpan PerReader { get; } = TimeSpan.FromSeconds(
        double.TryParse(Environment.GetEnvironmentVariable("FASTRNN_FUZZ_SECONDS"), NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s > 0 ? s : 1.0);

    /// <summary>
    /// When <c>DOTNET_GCHeapHardLimit</c> is set (as CI does for these tests), asserts the runtime really took it, so
    /// the memory-limited run cannot pass by running without its limit.
    /// </summary>
    public static void CheckHeapLimit()
    {
        string? text = Environment.GetEnvironmentVariable("DOTNET_GCHeapHardLimit");
        if (text is null)
            return;
        // The runtime reads the value as hexadecimal, with or without 0x.
        long limit = long.Parse(text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        Assert.True(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes <= limit,
            $"DOTNET_GCHeapHardLimit={text} is set but the GC reports {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes:N0} bytes available");
    }

    public static int Seed { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("FASTRNN_FUZZ_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int seed) ? seed : 20261201;
}
