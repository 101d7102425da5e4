using System.Globalization;

namespace FastRnn.Kernels;

/// <summary>The cache sizes the operating system reports, for the one kernel choice that depends on them.</summary>
internal static class CacheSizes
{
    /// <summary>Used when neither the environment nor the operating system gives a size: half of a 32 MiB L3.</summary>
    public const long FallbackStreamingBytes = 16L << 20;

    /// <summary>
    /// The weight size from which a product streams from memory: the byte count in <paramref name="variable"/> if set,
    /// else half the largest cache Linux lists for CPU 0 (the rest of the last level holds activations, the other
    /// matrices and the other core's working set), else <see cref="FallbackStreamingBytes"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The variable is set but is not a positive byte count.</exception>
    public static long StreamingThreshold(string variable)
    {
        string? value = Environment.GetEnvironmentVariable(variable);
        if (!string.IsNullOrWhiteSpace(value))
        {
            if (!long.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long bytes) || bytes <= 0)
                throw new InvalidOperationException($"{variable}='{value}' is not a positive number of bytes");
            return bytes;
        }
        long largest = LargestCacheBytes();
        return largest > 0 ? largest / 2 : FallbackStreamingBytes;
    }

    /// <summary>The largest cache in /sys/devices/system/cpu/cpu0/cache, in bytes; 0 where there is none to read.</summary>
    private static long LargestCacheBytes() => CacheBytes(level: null);

    /// <summary>CPU 0's level-2 cache (its own core's), in bytes; 0 where the operating system does not say.</summary>
    public static long Level2Bytes() => CacheBytes(level: 2);

    // The largest cache CPU 0 lists, of the given level or of any.
    private static long CacheBytes(int? level)
    {
        const string root = "/sys/devices/system/cpu/cpu0/cache";
        long largest = 0;
        try
        {
            if (!Directory.Exists(root))
                return 0;
            foreach (string index in Directory.EnumerateDirectories(root, "index*"))
            {
                string sizeFile = Path.Combine(index, "size"), levelFile = Path.Combine(index, "level");
                if (level is { } wanted && (!File.Exists(levelFile) || File.ReadAllText(levelFile).Trim() != wanted.ToString(CultureInfo.InvariantCulture)))
                    continue;
                if (File.Exists(sizeFile))
                    largest = Math.Max(largest, ParseSize(File.ReadAllText(sizeFile).Trim()));
            }
        }
        catch (IOException)
        {
            return 0;
        }
        catch (UnauthorizedAccessException)
        {
            return 0;
        }
        return largest;
    }

    /// <summary>Parses "32768K", "1M" or a plain byte count; 0 for anything else.</summary>
    internal static long ParseSize(string text)
    {
        if (text.Length == 0)
            return 0;
        long scale = char.ToUpperInvariant(text[^1]) switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, _ => 1 };
        string digits = scale == 1 ? text : text[..^1];
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long n) && n <= long.MaxValue / scale ? n * scale : 0;
    }
}
