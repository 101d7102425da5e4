namespace FastRnn.Tests.Support;

/// <summary>
/// Tests that keep both cores busy for seconds (fuzzing, child processes of the tool) run alone, after the rest: in
/// parallel they would delay the tiered compilation the zero-allocation tests warm up for, which then allocates inside
/// a measured loop, and they would spend their own time budgets on others' work.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "Serial";
}
