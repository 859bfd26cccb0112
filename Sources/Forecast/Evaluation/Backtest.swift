/// Rolling-origin evaluation ("time-series cross-validation").
///
/// The last `folds * horizon` rows of every series are cut into `folds` consecutive blocks of
/// `horizon` rows. For fold k the model sees only the rows before block k (its forecast origin),
/// forecasts `horizon` steps, and is scored against the block's actual values, next to the naive,
/// seasonal-naive and drift forecasts from the same origin. A model that gives a distribution
/// (quantiles) is also scored on it (``DistributionScores``), next to seasonal naive with
/// empirical residual quantiles from the same history (``SeasonalNaiveIntervals``). Without `refit` one model is trained
/// on the history of the first fold and reused (it reads the later, longer histories as inputs);
/// with `refit` a model is trained afresh for every fold.
public enum Backtest {
    public struct Fold: Codable, Sendable, Equatable {
        public var fold: Int
        /// Rows of history before the origin (shortest series).
        public var originRow: Int
        /// Formatted time of the first forecast step (first series), if the data has times.
        public var originTime: String?
        public var model: Metrics
        public var naive: Metrics
        public var seasonalNaive: Metrics
        public var drift: Metrics

        enum CodingKeys: String, CodingKey {
            case fold, model, naive, drift
            case originRow = "origin_row", originTime = "origin_time", seasonalNaive = "seasonal_naive"
        }
    }

    public struct Result: Codable, Sendable, Equatable {
        /// The family of the models that were trained and scored.
        public var family: ModelFamily
        public var folds: [Fold]
        /// Means of each metric over the folds that scored at least one pair (NaN when none did).
        public var mean: [String: [String: Double]]
        public var horizon: Int
        public var seasonLength: Int
        /// Every series' scores over all folds' pairs (``SeriesScores``), when the set holds
        /// more than one series.
        public var perSeries: [SeriesScores]? = nil
        /// Their aggregate (mean and median of the series' MASE; the pooled figures are `mean`).
        public var seriesSummary: SeriesScoresSummary? = nil

        enum CodingKeys: String, CodingKey {
            case family, folds, mean, horizon, seasonLength
            case perSeries = "per_series", seriesSummary = "series_summary"
        }
    }

    /// A backtest of the recurrent regressor (``Forecaster``).
    public static func run(_ set: TimeSeriesSet, targets: [String], options: ForecasterOptions, folds: Int, refit: Bool,
                           onFold: ((Fold) -> Void)? = nil, onEvent: ((TrainingEvent) -> Void)? = nil) throws -> Result {
        try run(set, targets: targets, options: options, folds: folds, refit: refit, onFold: onFold) { history, o in
            try Forecaster.fit(history, targets: targets, options: o, onEvent: onEvent)
        }
    }

    /// A backtest of the seq2seq family (``Seq2SeqForecaster``); `options.base` sets the window
    /// and split as for the recurrent family.
    public static func run(_ set: TimeSeriesSet, targets: [String], options: Seq2SeqOptions, folds: Int, refit: Bool,
                           onFold: ((Fold) -> Void)? = nil, onEvent: ((TrainingEvent) -> Void)? = nil) throws -> Result {
        try run(set, targets: targets, options: options.base, folds: folds, refit: refit, onFold: onFold) { history, base in
            var o = options
            o.base = base
            return try Seq2SeqForecaster.fit(history, targets: targets, options: o, onEvent: onEvent)
        }
    }

    /// A backtest of any series family: `fit` trains a model on a history with the given
    /// options (the window resolved once on the first fold's history, no test split).
    public static func run(_ set: TimeSeriesSet, targets: [String], options: ForecasterOptions, folds: Int, refit: Bool,
                           onFold: ((Fold) -> Void)? = nil,
                           fit: (TimeSeriesSet, ForecasterOptions) throws -> any SeriesForecasting) throws -> Result {
        guard folds >= 1 else { throw DataError.invalidArgument("--folds must be at least 1") }
        var opts = options
        opts.split = SplitSpec(validation: options.split.validation, test: 0)
        // The window is resolved on the first fold's history so every fold uses the same one.
        let H0 = try options.horizon ?? Forecaster.resolveWindow(set, targets: targets, options: options).0.horizon
        let firstHistory = try cut(set, endOffset: folds * H0)
        let (window, season) = try Forecaster.resolveWindow(firstHistory, targets: targets, options: opts)
        opts.lookback = window.lookback
        opts.horizon = window.horizon
        let H = window.horizon
        let columns = try targets.map { t -> Int in
            guard let c = set.columnIndex(t) else { throw DataError.invalidArgument("\(set.source): no column '\(t)'") }
            return c
        }
        var model: (any SeriesForecasting)? = nil
        var results: [Fold] = []
        var perSeries: PerSeriesAccumulator? = nil
        for k in 0..<folds {
            let history = try cut(set, endOffset: (folds - k) * H)
            if refit || model == nil {
                model = try fit(history, opts)
            }
            guard let m = model else { break }
            let forecasts = try m.forecasts(after: history)
            var acc = [MetricsAccumulator](repeating: MetricsAccumulator(), count: 4)
            let levels = forecasts.first?.quantileLevels
            var modelDist = levels.map { DistributionAccumulator(levels: $0) }
            var referenceDist = DistributionAccumulator(levels: levels ?? QuantileLevels.standard)
            if perSeries == nil { perSeries = PerSeriesAccumulator(series: set.series.count, levels: levels) }
            for (s, series) in set.series.enumerated() {
                let origin = series.count - (folds - k) * H
                for (p, c) in columns.enumerated() {
                    let values = series.values[c]
                    let past = values[0..<origin]
                    let (sum, count) = Metrics.maseScale(past, season: season)
                    let scale = count > 0 && sum > 0 ? sum / Double(count) : 1
                    let baselines = Baseline.allCases.map { $0.forecast(history: past, horizon: H, season: season) }
                    let reference = SeasonalNaiveIntervals.quantiles(history: past, horizon: H, season: season, levels: referenceDist.levels)
                    for h in 0..<H where origin + h < values.count {
                        let actual = values[origin + h]
                        acc[0].add(actual: actual, forecast: forecasts[s].values[h][p], scale: scale)
                        perSeries?.model[s].add(actual: actual, forecast: forecasts[s].values[h][p], scale: scale)
                        if let lo = forecasts[s].lower, let hi = forecasts[s].upper {
                            acc[0].addInterval(actual: actual, lower: lo[h][p], upper: hi[h][p])
                            perSeries?.model[s].addInterval(actual: actual, lower: lo[h][p], upper: hi[h][p])
                        }
                        for (b, f) in baselines.enumerated() { acc[b + 1].add(actual: actual, forecast: f[h], scale: scale) }
                        perSeries?.seasonalNaive[s].add(actual: actual, forecast: baselines[Baseline.allCases.firstIndex(of: .seasonalNaive)!][h], scale: scale)
                        if let q = forecasts[s].quantiles {
                            modelDist?.add(actual: actual, quantiles: q[h][p], scale: scale)
                            perSeries?.distribution?[s].add(actual: actual, quantiles: q[h][p], scale: scale)
                        }
                        referenceDist.add(actual: actual, quantiles: reference[h], scale: scale)
                    }
                }
            }
            let first = set.series[0]
            let originRow = first.count - (folds - k) * H
            let label = first.times.map { set.format($0[originRow]) }
            var modelMetrics = acc[0].metrics(), referenceMetrics = acc[2].metrics()
            modelMetrics.distribution = modelDist?.scores()
            referenceMetrics.distribution = referenceDist.scores()
            let fold = Fold(fold: k + 1, originRow: originRow, originTime: label, model: modelMetrics, naive: acc[1].metrics(),
                            seasonalNaive: referenceMetrics, drift: acc[3].metrics())
            results.append(fold)
            onFold?(fold)
        }
        var mean: [String: [String: Double]] = [:]
        for (name, get) in [("model", { (f: Fold) in f.model }), ("naive", { $0.naive }), ("seasonal_naive", { $0.seasonalNaive }), ("drift", { $0.drift })] {
            let ms = results.map(get).filter { $0.count > 0 }     // a fold with no scored pair has NaN metrics
            let c = ms.isEmpty ? Double.nan : Double(ms.count)
            mean[name] = ["mae": ms.map(\.mae).reduce(0, +) / c, "rmse": ms.map(\.rmse).reduce(0, +) / c,
                          "smape": ms.map(\.smape).reduce(0, +) / c, "mase": ms.map(\.mase).reduce(0, +) / c]
            // Distribution scores: means over the folds that have them.
            let ds = ms.compactMap(\.distribution)
            if !ds.isEmpty {
                let n = Double(ds.count)
                mean[name]?["crps"] = ds.map(\.crps).reduce(0, +) / n
                mean[name]?["wql"] = ds.map(\.wql).reduce(0, +) / n
                if ds.allSatisfy({ $0.msis != nil }) { mean[name]?["msis"] = ds.compactMap(\.msis).reduce(0, +) / n }
                for key in ds[0].coverage.keys where ds.allSatisfy({ $0.coverage[key] != nil }) {
                    mean[name]?["coverage_\(key)"] = ds.compactMap { $0.coverage[key] }.reduce(0, +) / n
                }
            }
        }
        var result = Result(family: model?.family ?? .recurrent, folds: results, mean: mean, horizon: H, seasonLength: season)
        if set.series.count > 1 {
            let nominal = results.first?.model.nominalCoverage
            result.perSeries = perSeries?.scores(keys: set.series.map(\.key), nominalCoverage: nominal)
            result.seriesSummary = result.perSeries.map(SeriesScoresSummary.init)
        }
        return result
    }

    /// `set` without the last `endOffset` rows of every series.
    static func cut(_ set: TimeSeriesSet, endOffset: Int) throws -> TimeSeriesSet {
        var out = set
        for (i, s) in set.series.enumerated() {
            let n = s.count - endOffset
            guard n > 0 else {
                throw DataError.invalidArgument("\(set.source): series\(s.key.map { " '\($0)'" } ?? "") has \(s.count) rows, too few for the requested folds x horizon (\(endOffset) rows)")
            }
            out.series[i] = TimeSeries(key: s.key, times: s.times.map { Array($0.prefix(n)) }, values: s.values.map { Array($0.prefix(n)) },
                                       lines: Array(s.lines.prefix(n)), segmentStarts: s.segmentStarts.filter { $0 < n })
        }
        return out
    }
}
