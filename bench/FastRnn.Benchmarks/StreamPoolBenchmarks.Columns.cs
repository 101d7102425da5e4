using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace FastRnn.Benchmarks;

public partial class StreamPoolBenchmarks
{
    /// <summary>A percentile of the iterations (BenchmarkDotNet's own columns stop at P95 short of P100).</summary>
    private sealed class PercentileColumn(int percentile) : IColumn
    {
        public string Id => $"{nameof(PercentileColumn)}.P{percentile}";

        public string ColumnName => $"P{percentile}";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Statistics;

        public int PriorityInCategory => percentile;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Time;

        public string Legend => $"{percentile}th percentile of one tick's time";

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

    /// <summary>Stream-steps per second: the tick's S streams over its mean time.</summary>
    private sealed class StreamStepsColumn : IColumn
    {
        public string Id => nameof(StreamStepsColumn);

        public string ColumnName => "Stream-steps/s";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => "streams advanced per second: S / mean tick";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var statistics = summary[benchmarkCase]?.ResultStatistics;
            if (statistics is null || statistics.Mean <= 0)
                return "NA";
            int streams = (int)benchmarkCase.Parameters[nameof(Streams)];
            return $"{streams / (statistics.Mean * 1e-9):N0}";
        }

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

        public bool IsAvailable(Summary summary) => true;
    }
}
