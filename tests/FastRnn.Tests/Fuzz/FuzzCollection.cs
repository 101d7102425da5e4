namespace FastRnn.Tests.Fuzz;

/// <summary>
/// The fuzz tests keep both cores busy for seconds; run alone, they cannot delay the tiered compilation that the
/// zero-allocation tests warm up for, nor be slowed into spending their budget on others' work.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FuzzCollection
{
    public const string Name = "Fuzz";
}
