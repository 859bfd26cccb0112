#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the series families (``Forecaster``, ``Seq2SeqForecaster``) share between a network's
/// raw head outputs and reported numbers: decoding a window's outputs into forecasts in data
/// units, re-expressing windows in a model's scaling, and scoring the test windows against the
/// baselines. One copy, so the two facades cannot drift apart.
///
/// A window's raw outputs are `K` blocks of `M = steps × P` values (``LossKind`` layout):
/// block `pointIndex` holds the point forecast; the Gaussian head's second block holds
/// log-variances (80% interval μ ± 1.2816σ); a quantile head's lowest and highest quantile
/// blocks bound its interval.
struct SeriesOutputs {
    let loss: LossKind
    let scaler: Scaler
    let targets: [String]
    /// Values per window and target: M / P.
    let steps: Int
    /// Split conformal calibration of a point model (``ConformalCalibration``), if it has one.
    var conformal: ConformalCalibration? = nil
    /// Per-series target factors `[series][P]` (``SeriesScaling``) the decoded forecasts are
    /// multiplied by before scoring; nil without per-series scaling.
    var seriesFactors: [[Float]]? = nil

    /// The quantile levels this model's distribution is scored on: a quantile head's own levels
    /// (sorted), the standard grid for a Gaussian head or a conformal calibration, nil for a
    /// point model without one.
    var scoreLevels: [Float]? {
        switch loss {
        case .quantile(let qs) where qs.count >= 2: return qs.sorted()
        case .gaussian: return QuantileLevels.standard
        default: return conformal == nil ? nil : QuantileLevels.standard
        }
    }

    /// One window's raw outputs -> quantiles `[step][P][K]` at `levels` in data units (sorted
    /// ascending per element); nil for a point model without conformal calibration.
    /// A quantile head gives only its own levels (others throw, naming them); a Gaussian head and
    /// a conformal calibration give any level.
    /// `scales [P]` are the window's raw local scales for a locally scaled conformal calibration.
    func quantiles(_ out: ArraySlice<Float>, levels: [Float], scales: [Float]? = nil) throws -> [[[Float]]]? {
        let P = targets.count, M = steps * P
        let base = out.startIndex
        var blocks: [Int] = []
        if case .quantile(let qs) = loss {
            for t in levels {
                guard let k = qs.firstIndex(where: { abs($0 - t) < 1e-4 }) else {
                    throw DataError.invalidArgument("the model's quantile head has levels \(qs.map { "\($0)" }.joined(separator: ", ")); \(t) is not one of them (train with --quantiles listing it)")
                }
                blocks.append(k)
            }
        } else if case .gaussian = loss {
        } else if conformal == nil {
            return nil
        }
        let z = levels.map { Float(QuantileLevels.normalQuantile(Double($0))) }
        var result = [[[Float]]](repeating: [[Float]](repeating: [], count: P), count: steps)
        for s in 0..<steps {
            for p in 0..<P {
                let m = s * P + p
                let sc = scaler.scaler(for: targets[p])
                var q: [Float]
                switch loss {
                case .quantile:
                    q = blocks.map { sc.inverse(out[base + $0 * M + m]) }
                case .gaussian:
                    let mu = out[base + m], sigma = expf(0.5 * max(min(out[base + M + m], 30), -30))
                    q = z.map { sc.inverse(mu + $0 * sigma) }
                default:
                    let point = sc.inverse(out[base + loss.pointIndex(target: m, targets: M)])
                    q = levels.map { conformal!.quantile(point: point, element: m, level: $0, scales: scales) }
                }
                q.sort()
                result[s][p] = q
            }
        }
        return result
    }

    /// Interval settings of the loss: the blocks of the lowest and highest quantile and their
    /// nominal coverage, or the Gaussian 80% interval; nil for point losses.
    var intervalBlocks: (lower: Int, upper: Int, level: Float)? {
        switch loss {
        case .quantile(let qs) where qs.count >= 2:
            guard let lo = qs.indices.min(by: { qs[$0] < qs[$1] }), let hi = qs.indices.max(by: { qs[$0] < qs[$1] }) else { return nil }
            return (lo, hi, qs[hi] - qs[lo])
        case .gaussian: return (0, 0, 0.8)
        default: return nil
        }
    }

    /// One window's raw outputs -> (point, lower, upper) `[step][P]` in data units.
    func decode(_ out: ArraySlice<Float>) -> (values: [[Float]], lower: [[Float]]?, upper: [[Float]]?) {
        let P = targets.count, M = steps * P
        let base = out.startIndex
        var values = [[Float]](repeating: [Float](repeating: 0, count: P), count: steps)
        let interval = intervalBlocks
        var lo = values, hi = values
        for s in 0..<steps {
            for p in 0..<P {
                let m = s * P + p
                let sc = scaler.scaler(for: targets[p])
                values[s][p] = sc.inverse(out[base + loss.pointIndex(target: m, targets: M)])
                guard let iv = interval else { continue }
                if case .gaussian = loss {
                    let mu = out[base + m], sigma = expf(0.5 * out[base + M + m])
                    lo[s][p] = sc.inverse(mu - 1.2816 * sigma)
                    hi[s][p] = sc.inverse(mu + 1.2816 * sigma)
                } else {
                    lo[s][p] = sc.inverse(out[base + iv.lower * M + m])
                    hi[s][p] = sc.inverse(out[base + iv.upper * M + m])
                }
                if lo[s][p] > hi[s][p] { swap(&lo[s][p], &hi[s][p]) }
            }
        }
        return interval == nil ? (values, nil, nil) : (values, lo, hi)
    }

    /// Scores the forecasts of every test window (`outputs [N, width]`, raw) against the
    /// actual values of `set` and against the naive, seasonal-naive and drift forecasts from
    /// the same origin. MASE divides by the in-sample seasonal-naive error of each series'
    /// training rows (per target).
    func score(_ set: TimeSeriesSet, test: Windows, outputs out: [Float], width: Int, split: SplitSpec, season m: Int) -> EvaluationReport {
        score(set, windows: test.count, origin: { (test.series[$0], test.end[$0]) }, outputs: out, width: width, split: split, season: m)
    }

    /// The same for window views (origins read from the views' runs).
    /// `localScales [windows][P]`: the windows' raw local scales for a locally scaled conformal calibration.
    func score(_ set: TimeSeriesSet, test: WindowViews, outputs out: [Float], width: Int, split: SplitSpec, season m: Int,
               localScales: [[Float]]? = nil) -> EvaluationReport {
        score(set, windows: test.count, origin: { test.origin($0) }, outputs: out, width: width, split: split, season: m, localScales: localScales)
    }

    /// The scoring itself: `origin(w)` is window w's (series, last input row).
    func score(_ set: TimeSeriesSet, windows count: Int, origin: (Int) -> (series: Int, end: Int), outputs out: [Float], width: Int,
               split: SplitSpec, season m: Int, localScales: [[Float]]? = nil) -> EvaluationReport {
        let P = targets.count
        let columns = targets.map { set.columnIndex($0) ?? 0 }
        var scales = [[Double]](repeating: [Double](repeating: 1, count: P), count: set.series.count)
        for (s, series) in set.series.enumerated() {
            let end = split.boundaries(rows: series.count).validationStart
            for p in 0..<P {
                let (sum, count) = Metrics.maseScale(series.values[columns[p]][0..<end], season: m)
                scales[s][p] = count > 0 && sum > 0 ? sum / Double(count) : 1
            }
        }
        var acc = [MetricsAccumulator](repeating: MetricsAccumulator(), count: 4)
        let levels = scoreLevels
        var modelDist = levels.map { DistributionAccumulator(levels: $0) }
        var referenceDist = DistributionAccumulator(levels: levels ?? QuantileLevels.standard)
        var perSeries = PerSeriesAccumulator(series: set.series.count, levels: levels)
        // The reference's residuals come from each series' training rows: sorted once per series and target.
        var residuals = [[SeasonalNaiveIntervals.Residuals?]](repeating: [SeasonalNaiveIntervals.Residuals?](repeating: nil, count: P),
                                                              count: set.series.count)
        for w in 0..<count {
            let (s, e) = origin(w)
            let series = set.series[s]
            let raw = out[(w * width)..<((w + 1) * width)]
            var d = decode(raw)
            var q = levels.flatMap { try? quantiles(raw, levels: $0, scales: localScales?[w]) }
            if let f = seriesFactors?[s] {
                d.values = d.values.map { row in row.enumerated().map { $1 * f[$0] } }
                d.lower = d.lower?.map { row in row.enumerated().map { $1 * f[$0] } }
                d.upper = d.upper?.map { row in row.enumerated().map { $1 * f[$0] } }
                q = q?.map { step in step.enumerated().map { p, qs in qs.map { $0 * f[p] } } }
            }
            for p in 0..<P {
                let values = series.values[columns[p]]
                let history = values[0...e]
                let baselines = Baseline.allCases.map { $0.forecast(history: history, horizon: steps, season: m) }
                let end = split.boundaries(rows: series.count).validationStart
                let table = residuals[s][p] ?? SeasonalNaiveIntervals.Residuals(values[0..<end], horizon: steps, season: m)
                residuals[s][p] = table
                let reference = SeasonalNaiveIntervals.quantiles(history: history, residuals: table, horizon: steps,
                                                                 season: m, levels: referenceDist.levels)
                for h in 0..<steps where e + 1 + h < values.count {
                    let actual = values[e + 1 + h]
                    let scale = scales[s][p]
                    acc[0].add(actual: actual, forecast: d.values[h][p], scale: scale)
                    perSeries.model[s].add(actual: actual, forecast: d.values[h][p], scale: scale)
                    if let lo = d.lower, let hi = d.upper {
                        acc[0].addInterval(actual: actual, lower: lo[h][p], upper: hi[h][p])
                        perSeries.model[s].addInterval(actual: actual, lower: lo[h][p], upper: hi[h][p])
                    }
                    for (b, f) in baselines.enumerated() { acc[b + 1].add(actual: actual, forecast: f[h], scale: scale) }
                    perSeries.seasonalNaive[s].add(actual: actual, forecast: baselines[Baseline.allCases.firstIndex(of: .seasonalNaive)!][h], scale: scale)
                    if let q {
                        modelDist?.add(actual: actual, quantiles: q[h][p], scale: scale)
                        perSeries.distribution?[s].add(actual: actual, quantiles: q[h][p], scale: scale)
                    }
                    referenceDist.add(actual: actual, quantiles: reference[h], scale: scale)
                }
            }
        }
        let level = intervalBlocks.map { Double($0.level) }
        var model = acc[0].metrics(nominalCoverage: level)
        model.distribution = modelDist?.scores()
        var reference = acc[2].metrics()
        reference.distribution = referenceDist.scores()
        var report = EvaluationReport(model: model, naive: acc[1].metrics(), seasonalNaive: reference,
                                      drift: acc[3].metrics(), windows: count, horizon: steps, seasonLength: m)
        report.perSeries = perSeries.scores(keys: set.series.map(\.key), nominalCoverage: level)
        return report
    }
}

extension Windows {
    /// These windows, scaled with `from`, re-expressed in the scaling `to` (the data columns
    /// `inputColumns` of x, in order, and the targets of y; calendar features are not scaled).
    func rescaled(from: Scaler, to: Scaler, inputColumns: [String], targets: [String]) -> Windows {
        var out = self
        let F = features
        for (f, name) in inputColumns.enumerated() where f < F {
            let a = from.scaler(for: name), b = to.scaler(for: name)
            if a == b { continue }
            var i = f
            while i < out.x.count { out.x[i] = b.transform(a.inverse(out.x[i])); i += F }
        }
        let P = targets.count
        for (p, name) in targets.enumerated() {
            let a = from.scaler(for: name), b = to.scaler(for: name)
            if a == b { continue }
            var i = p
            while i < out.y.count { out.y[i] = b.transform(a.inverse(out.y[i])); i += P }
        }
        return out
    }
}
