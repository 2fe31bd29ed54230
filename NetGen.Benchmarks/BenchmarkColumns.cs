using System;
using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace NetGen.Benchmarks;

/// <summary>
/// A throughput column: the work of one benchmark call (samples, floating-point operations)
/// divided by the median time of one call.
/// </summary>
/// <param name="name">Column header, for example "Samples/s".</param>
/// <param name="legend">What the column counts, shown under the table.</param>
/// <param name="workPerCall">Work of one call of a benchmark case, or null when the case has none.</param>
/// <param name="unitsPerSecondScale">Factor from work per nanosecond to the column's unit: 1e9 for per second, 1 for giga per second.</param>
public sealed class RateColumn(string name, string legend, Func<BenchmarkCase, double?> workPerCall, double unitsPerSecondScale) : IColumn
{
    /// <inheritdoc/>
    public string Id => nameof(RateColumn) + "." + name;

    /// <inheritdoc/>
    public string ColumnName => name;

    /// <inheritdoc/>
    public bool AlwaysShow => true;

    /// <inheritdoc/>
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc/>
    public int PriorityInCategory => 0;

    /// <inheritdoc/>
    public bool IsNumeric => true;

    /// <inheritdoc/>
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc/>
    public string Legend => legend;

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double? medianNanoseconds = summary[benchmarkCase]?.ResultStatistics?.Median;
        double? work = workPerCall(benchmarkCase);
        if (medianNanoseconds is null || medianNanoseconds <= 0 || work is null)
        {
            return "-";
        }

        double rate = work.Value / medianNanoseconds.Value * unitsPerSecondScale;
        return rate >= 1e4
            ? rate.ToString("N0", CultureInfo.InvariantCulture)
            : rate.ToString("F2", CultureInfo.InvariantCulture);
    }

    /// <inheritdoc/>
    public bool IsAvailable(Summary summary) => true;

    /// <inheritdoc/>
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <summary>Reads an integer benchmark parameter, such as the batch size.</summary>
    public static int? IntParameter(BenchmarkCase benchmarkCase, string parameterName) =>
        benchmarkCase.Parameters[parameterName] is int value ? value : null;
}

/// <summary>Configuration of the peer benchmarks: adds the median, which shows how far the mean moved with the noise.</summary>
public class PeerBenchmarkConfig : ManualConfig
{
    /// <summary>Creates the configuration.</summary>
    public PeerBenchmarkConfig() => AddColumn(StatisticColumn.Median);
}
