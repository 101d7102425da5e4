using System.Diagnostics;

namespace FastRnn.Tests.Fuzz;

/// <summary>
/// Drives one reader with mutants of its corpus until the time budget is spent. Each input must either be read or be
/// refused with one of the documented exception types; anything else (IndexOutOfRange, Overflow, OutOfMemory, a
/// generic IOException…) fails the test, as does allocating more than a small multiple of the input's size, which is
/// what sizing an array from a declared, unchecked header field looks like.
/// </summary>
internal static class FuzzRun
{
    /// <summary>Allocation allowed per input: decoding widens (float16 to float32, protobuf objects), never by gigabytes.</summary>
    private const long AllocationPerInputByte = 64, AllocationSlack = 16 << 20;

    /// <summary>Runs mutants of <paramref name="corpus"/> through <paramref name="read"/>; returns how many ran.</summary>
    /// <param name="name">The reader, for messages.</param>
    /// <param name="corpus">Valid files to mutate.</param>
    /// <param name="mutate">Makes a mutant; gets the mutator, a corpus file and another to splice from.</param>
    /// <param name="read">Reads an input completely.</param>
    /// <param name="allowed">The exception types the reader documents.</param>
    public static int Run(string name, IReadOnlyList<byte[]> corpus, Func<ByteMutator, byte[], byte[], byte[]> mutate, Action<byte[]> read, params Type[] allowed)
    {
        Assert.NotEmpty(corpus);
        FuzzBudget.CheckHeapLimit();
        foreach (byte[] valid in corpus)
            read(valid); // the corpus itself must read: otherwise the mutants prove little

        var clock = Stopwatch.StartNew();
        int iteration = 0;
        for (; clock.Elapsed < FuzzBudget.PerReader; iteration++)
        {
            int seed = StableSeed(name, iteration);
            var mutator = new ByteMutator(seed);
            byte[] input = mutate(mutator, corpus[mutator.Next(corpus.Count)], corpus[mutator.Next(corpus.Count)]);
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                read(input);
            }
            catch (Exception e) when (allowed.Any(t => t.IsInstanceOfType(e)))
            {
            }
            catch (Exception e)
            {
                Assert.Fail($"{name}: mutant {iteration} (FASTRNN_FUZZ_SEED={FuzzBudget.Seed}) threw {e.GetType().Name}, not one of "
                    + $"{string.Join(", ", allowed.Select(t => t.Name))}; input saved as {Save(name, iteration, input)}\n{e}");
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            long limit = AllocationSlack + AllocationPerInputByte * input.Length;
            // The message is built (and the mutant saved) only on failure: an interpolated message argument would be
            // evaluated for every mutant and write each one to disk.
            if (allocated > limit)
                Assert.Fail($"{name}: mutant {iteration} (FASTRNN_FUZZ_SEED={FuzzBudget.Seed}) of {input.Length} bytes allocated {allocated:N0} bytes (limit {limit:N0}): a size taken from the file before it was checked? Input saved as {Save(name, iteration, input)}");
        }
        return iteration;
    }

    // HashCode is randomised per process; a reproducible run needs a hash of its own.
    private static int StableSeed(string name, int iteration)
    {
        int hash = FuzzBudget.Seed;
        foreach (char c in name)
            hash = unchecked(hash * 31 + c);
        return unchecked(hash * 1_000_003 + iteration);
    }

    private static string Save(string name, int iteration, byte[] input)
    {
        string path = Path.Combine(Path.GetTempPath(), $"fastrnn-fuzz-{name}-{FuzzBudget.Seed}-{iteration}.bin");
        File.WriteAllBytes(path, input);
        return path;
    }
}
