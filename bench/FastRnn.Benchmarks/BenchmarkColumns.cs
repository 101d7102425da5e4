using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace FastRnn.Benchmarks;

/// <summary>A percentile of the iterations (BenchmarkDotNet's own columns stop at P95 short of P100).</summary>
internal sealed class PercentileColumn(int percentile, string what) : IColumn
{
    public string Id => $"{nameof(PercentileColumn)}.P{percentile}";

    public string ColumnName => $"P{percentile}";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Statistics;

    public int PriorityInCategory => percentile;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Time;

    public string Legend => $"{percentile}th percentile of {what}";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var statistics = summary[benchmarkCase]?.ResultStatistics;
        if (statistics is null)
            return "NA";
        double nanoseconds = statistics.Percentiles.Percentile(percentile);
        return $"{nanoseconds / 1000:N1} μs";
    }

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary) => true;
}

/// <summary>A rate: the benchmark parameter <paramref name="parameter"/> times <paramref name="perCount"/> (what one iteration does, such as S stream-steps) over the median iteration.</summary>
internal sealed class RateColumn(string name, string parameter, string legend, int perCount = 1) : IColumn
{
    public string Id => $"{nameof(RateColumn)}.{name}";

    public string ColumnName => name;

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => legend;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var statistics = summary[benchmarkCase]?.ResultStatistics;
        // The median iteration, as every table in docs/benchmarks.md quotes.
        if (statistics is null || statistics.Median <= 0)
            return "NA";
        int count = (int)benchmarkCase.Parameters[parameter];
        return $"{(double)count * perCount / (statistics.Median * 1e-9):N0}";
    }

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary) => true;
}
