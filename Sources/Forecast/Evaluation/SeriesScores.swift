/// One series' test scores in a many-series evaluation or backtest (`forecast evaluate` and
/// `forecast backtest` on a file with several series): the model's ``Metrics`` (with its
/// distribution scores when it gives one) and seasonal naive's, over that series' pairs only,
/// with MASE scaled by that series' own in-sample seasonal-naive error.
public struct SeriesScores: Codable, Sendable, Equatable {
    /// The series key (nil in a file without one).
    public var key: String?
    public var model: Metrics
    public var seasonalNaive: Metrics

    enum CodingKeys: String, CodingKey {
        case key, model
        case seasonalNaive = "seasonal_naive"
    }
}

/// How per-series scores aggregate. Two views of the same pairs:
///
/// - **pooled**: every (series, step) pair weighs the same (the report's own model metrics:
///   MASE = mean over all pairs of |error| / that series' scale), so long or many-window series
///   count more;
/// - **mean of series**: each series weighs the same: the mean (and median) over series of the
///   series' MASE and sMAPE, over the series with at least one scored pair — the M4/M5 style.
///
/// `beatsSeasonalNaive` is the share of those series whose MASE is below seasonal naive's.
public struct SeriesScoresSummary: Codable, Sendable, Equatable {
    public var series: Int
    /// Series with at least one scored pair.
    public var scored: Int
    public var meanMASE: Double
    public var medianMASE: Double
    public var meanSMAPE: Double
    public var seasonalNaiveMeanMASE: Double
    public var beatsSeasonalNaive: Double

    enum CodingKeys: String, CodingKey {
        case series, scored
        case meanMASE = "mean_mase", medianMASE = "median_mase", meanSMAPE = "mean_smape"
        case seasonalNaiveMeanMASE = "seasonal_naive_mean_mase", beatsSeasonalNaive = "beats_seasonal_naive"
    }

    public init(_ scores: [SeriesScores]) {
        let ok = scores.filter { $0.model.count > 0 && $0.model.mase.isFinite }
        let n = Double(ok.count)
        series = scores.count
        scored = ok.count
        let mase = ok.map(\.model.mase).sorted()
        meanMASE = ok.isEmpty ? .nan : mase.reduce(0, +) / n
        medianMASE = ok.isEmpty ? .nan : (mase.count % 2 == 1 ? mase[mase.count / 2] : (mase[mase.count / 2 - 1] + mase[mase.count / 2]) / 2)
        meanSMAPE = ok.isEmpty ? .nan : ok.map(\.model.smape).reduce(0, +) / n
        let snaive = ok.map(\.seasonalNaive.mase).filter(\.isFinite)
        seasonalNaiveMeanMASE = snaive.isEmpty ? .nan : snaive.reduce(0, +) / Double(snaive.count)
        beatsSeasonalNaive = ok.isEmpty ? .nan : Double(ok.filter { $0.model.mase < $0.seasonalNaive.mase }.count) / n
    }
}

/// Per-series accumulators next to the pooled ones of a scoring loop.
struct PerSeriesAccumulator {
    var model: [MetricsAccumulator]
    var seasonalNaive: [MetricsAccumulator]
    var distribution: [DistributionAccumulator]?

    init(series: Int, levels: [Float]?) {
        model = [MetricsAccumulator](repeating: MetricsAccumulator(), count: series)
        seasonalNaive = model
        distribution = levels.map { [DistributionAccumulator](repeating: DistributionAccumulator(levels: $0), count: series) }
    }

    func scores(keys: [String?], nominalCoverage: Double?) -> [SeriesScores] {
        keys.enumerated().map { s, key in
            var m = model[s].metrics(nominalCoverage: nominalCoverage)
            if let d = distribution { m.distribution = d[s].scores() }
            return SeriesScores(key: key, model: m, seasonalNaive: seasonalNaive[s].metrics())
        }
    }
}
