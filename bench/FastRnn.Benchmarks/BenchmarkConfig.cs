using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;

namespace FastRnn.Benchmarks;

/// <summary>
/// The defaults plus what every FastRnn table reports: allocations (the engine's hot paths must show none), the
/// median next to the mean (a few slow iterations on a shared machine move the mean, not the median), and the ratio
/// to the baseline.
/// </summary>
internal static class BenchmarkConfig
{
    public static IConfig Create() => ManualConfig.Create(DefaultConfig.Instance)
        .AddDiagnoser(MemoryDiagnoser.Default)
        .AddColumn(StatisticColumn.Median, BaselineRatioColumn.RatioMean);
}
