namespace FastRnn.Import;

/// <summary>
/// Allocates the arrays tensors are decoded into, once their size has been tied to bytes the file really holds. A
/// tensor larger than the memory this process may use is refused before the allocation, naming the file and the
/// tensor, instead of running into an <see cref="OutOfMemoryException"/> (or paging the machine to a halt) first.
/// </summary>
internal static class TensorMemory
{
    // Below this the check costs more than it could save: a few megabytes always fit.
    private const long CheckedFrom = 1 << 22;

    /// <summary>A float32 array of <paramref name="count"/> elements for <paramref name="part"/> of <paramref name="file"/>.</summary>
    public static float[] Floats(string file, string part, long count) => Allocate<float>(file, part, count, sizeof(float), "float32");

    /// <summary>An int64 array of <paramref name="count"/> elements for <paramref name="part"/> of <paramref name="file"/>.</summary>
    public static long[] Int64s(string file, string part, long count) => Allocate<long>(file, part, count, sizeof(long), "int64");

    private static T[] Allocate<T>(string file, string part, long count, int size, string type)
    {
        if (count > Array.MaxLength)
            throw ImportErrors.Malformed(file, part, $"has {count} elements; at most {Array.MaxLength} fit in one array");
        long bytes = count * size;
        if (bytes >= CheckedFrom)
        {
            // TotalAvailableMemoryBytes is the GC's limit: physical memory, a container's, or DOTNET_GCHeapHardLimit.
            long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes - GC.GetTotalMemory(forceFullCollection: false);
            if (bytes > available)
                throw TooLarge(file, part, bytes, type, available);
        }
        try
        {
            return new T[count];
        }
        catch (OutOfMemoryException)
        {
            throw TooLarge(file, part, bytes, type, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes - GC.GetTotalMemory(false));
        }
    }

    private static ImportException TooLarge(string file, string part, long bytes, string type, long available)
        => ImportErrors.Malformed(file, part, $"needs {bytes:N0} bytes as {type}, more than the {Math.Max(available, 0):N0} bytes of memory this process can still use");
}
