/// Split conformal intervals of the ensemble's combined forecast (`train --model auto
/// --intervals conformal`): a ``ConformalCalibration`` of the chosen combination, computed while
/// the statistical members are still fitted on the training rows only (before ``EnsembleForecaster``'s
/// step 4), from the combination's residuals at validation rows.
///
///     rolling   every origin e (last input row) and step h with e + h a validation row
///               (vStart ≤ e + h < tStart of its series) and e ≥ reach − 1, reach the longest
///               lookback any chosen component reads (the LSTM members' lookbacks, the
///               ES-hybrid's smoothing history); other steps of the origin are masked (NaN)
///     windows   the validation windows of the ensemble's own window, every step a validation row
///     cross     the rolling residuals, plus those of refits of the whole ensemble at
///               ``ConformalFolds``' earlier origins (``crossResiduals(_:targets:options:networkMembers:)``)
///
/// Every chosen component forecasts any origin from the rows up to it: each LSTM member reads
/// its own lookback (all of them must reach, so the LSTM component is always the median of every
/// member), the ES-hybrid member its smoothing history, the statistical members (fitted on the
/// training rows) filter the whole history. So a rolling origin's lookback may reach into the
/// training rows while its actuals stay validation rows, never training targets of any member
/// (the networks were trained on training windows; the statistical parameters on training rows)
/// and never test rows. As for the single network, the validation windows steered the LSTM
/// members' early stopping and the choice of the combination.
///
/// The rolling rule's step scales (``ConformalCalibration/stepScales``) are the combination's
/// mean score per step over up to 1,000 training-row origins (in sample).
///
/// **Local scale** (scores `scaled`, `scaled-signed`): the mean absolute one-step change of the
/// target over the last `spec.window.lookback` rows up to the origin, read from the filled
/// targets (``filledTargets(_:targets:)``, data units), at calibration, evaluation and forecast
/// alike.
extension EnsembleForecaster {
    /// An origin: series index in the set and last input row.
    typealias Origin = (series: Int, end: Int)

    /// Rows the longest-reaching chosen component reads before an origin: the LSTM members'
    /// lookbacks (when `lstm` is chosen) and the ES-hybrid's history (when chosen); at least the
    /// ensemble's own lookback.
    var conformalReach: Int {
        var reach = spec.window.lookback
        if spec.combination.contains(.lstm) { reach = max(reach, networks.map(\.spec.window.lookback).max() ?? 0) }
        if spec.combination.contains(.eshybrid), let h = hybrid { reach = max(reach, h.spec.model.history) }
        return reach
    }

    /// Calibrates the chosen combination by `rule` with `score` (`auto`: `absolute` or `scaled`,
    /// chosen on the whole validation windows as for the single network,
    /// ``ConformalCalibration/select(forecasts:actuals:targets:scales:scaleRows:later:)``).
    /// Call with the statistical members fitted on the training rows only. Throws when no origin
    /// has a validation row to score.
    /// `extra`: the held-out residuals of ``ConformalRule/cross``'s refits
    /// (``crossResiduals(_:targets:options:networkMembers:)``), pooled with the rolling ones.
    func calibrate(_ set: TimeSeriesSet, filled: [[[Double]]], score: ConformalScore, rule: ConformalRule,
                   extra: ConformalResiduals? = nil) throws -> ConformalCalibration {
        let H = spec.window.horizon, P = spec.window.targets.count, rows = spec.window.lookback
        let reach = conformalReach
        // Origins whose steps reach a validation row, per series and segment, in order.
        var origins: [Origin] = [], whole: [Bool] = []
        for (s, series) in set.series.enumerated() {
            let (vStart, tStart) = spec.split.boundaries(rows: series.count)
            for segment in series.segments {
                var first = max(segment.lowerBound + reach - 1, vStart - H)
                if spec.split.boundary == .whole { first = max(first, vStart + spec.window.lookback - 1) }
                let last = min(segment.upperBound - 1 - H, tStart - 2)
                guard first <= last else { continue }
                for e in first...last {
                    let isWhole = e + 1 >= vStart && e + H < tStart
                    if rule != .windows || isWhole { origins.append((s, e)); whole.append(isWhole) }
                }
            }
        }
        guard whole.contains(true) else {
            throw DataError.invalidArgument("\(set.source): conformal intervals need validation windows, and the validation split holds none the ensemble's members can all forecast (lookback \(reach) + horizon \(H)); raise --val-fraction")
        }
        let forecasts = try combinedForecasts(set, filled: filled, origins: origins).map { $0.flatMap { $0 } }
        var actuals = conformalActuals(set, origins: origins)
        let scales = EnsembleForecaster.localScales(filled, origins: origins, rows: rows)
        var chosen = score
        if score == .auto {
            // The later half of each series' whole validation windows (in time) checks the earlier half's calibration.
            let w = whole.indices.filter { whole[$0] }
            var perSeries: [Int: Int] = [:], position: [Int] = []
            for i in w { position.append(perSeries[origins[i].series, default: 0]); perSeries[origins[i].series, default: 0] += 1 }
            let later = w.indices.map { position[$0] >= perSeries[origins[w[$0]].series, default: 0] / 2 }
            chosen = ConformalCalibration.select(forecasts: w.map { forecasts[$0] }, actuals: w.map { actuals[$0] }, targets: P,
                                                 scales: w.map { scales[$0] }, scaleRows: rows, later: later)
        }
        guard rule != .windows else {
            return ConformalCalibration(forecasts: forecasts, actuals: actuals, targets: P, scales: chosen.isScaled ? scales : nil,
                                        scaleRows: rows, signed: chosen.isSigned)
        }
        for (i, o) in origins.enumerated() {
            let (vStart, tStart) = spec.split.boundaries(rows: set.series[o.series].count)
            for h in 1...H where !(vStart..<tStart).contains(o.end + h) {
                for p in 0..<P { actuals[i][(h - 1) * P + p] = .nan }
            }
        }
        var pooled = ConformalResiduals(forecasts: forecasts, actuals: actuals, scales: scales)
        if let extra { pooled.append(extra) }
        var calibration = ConformalCalibration(forecasts: pooled.forecasts, actuals: pooled.actuals, targets: P,
                                               scales: chosen.isScaled ? pooled.scales : nil, scaleRows: rows, signed: chosen.isSigned,
                                               rule: .rolling, inSample: { [self] in
            // Up to 1,000 training-row origins (whole window in the training rows), evenly spaced.
            var all: [Origin] = []
            for (s, series) in set.series.enumerated() {
                let vStart = spec.split.boundaries(rows: series.count).validationStart
                for segment in series.segments {
                    let first = segment.lowerBound + reach - 1, last = min(segment.upperBound, vStart) - 1 - H
                    if first <= last { for e in first...last { all.append((s, e)) } }
                }
            }
            let n = all.count, take = min(n, 1_000)
            let picked = (0..<take).map { all[take == n ? $0 : $0 * n / take] }
            guard let f = try? combinedForecasts(set, filled: filled, origins: picked) else { return ([], [], nil) }
            return (f.map { $0.flatMap { $0 } }, conformalActuals(set, origins: picked),
                    chosen.isScaled ? EnsembleForecaster.localScales(filled, origins: picked, rows: rows) : nil)
        })
        if rule == .cross {
            calibration.folds = extra?.folds ?? 0
            calibration.foldErrorRatios = extra?.foldErrorRatios
        }
        return calibration
    }

    /// The combination's forecasts `[origin][step][target]` (data units) from `origins`, each
    /// chosen component forecasting from the rows up to the origin (``calibrate``'s list).
    /// Every origin must leave ``conformalReach`` rows before it.
    func combinedForecasts(_ set: TimeSeriesSet, filled: [[[Double]]], origins: [Origin]) throws -> [[[Float]]] {
        let H = spec.window.horizon, P = spec.window.targets.count
        var parts: [EnsembleComponent: [[[Float]]]] = [:]
        if spec.combination.contains(.lstm) {
            var members: [[[[Float]]]] = []
            for net in networks {
                let d = try PreparedData(set, spec: net.spec.window, split: net.spec.split, scaler: .standard, missing: net.spec.missing)
                let v = d.validation
                var views = WindowViews(rows: v.rows, lookback: v.lookback, horizon: v.horizon, stride: 1, mode: v.mode, targetColumns: v.targetColumns)
                for o in origins { views.append(series: o.series, end: o.end) }
                let w = net.rescale(views, from: d.scaler).materialized()
                let raw = net.predictScaled(w.x, windows: w.count)
                let width = net.spec.outputs
                members.append((0..<w.count).map { net.decode(raw[($0 * width)..<(($0 + 1) * width)]).values })
            }
            parts[.lstm] = origins.indices.map { i in median(members.map { $0[i] }, steps: H, targets: P) }
        }
        if spec.combination.contains(.eshybrid), let hybrid {
            parts[.eshybrid] = try hybrid.forecasts(set, filled: filled.map { $0[0] }, origins: origins).map { $0.map { [$0] } }
        }
        let seriesIndex = try statisticalSeriesIndex(set)
        for c in spec.combination {
            guard let kind = c.statisticalKind, let fits = spec.statistical.first(where: { $0.kind == kind }) else { continue }
            parts[c] = statisticalForecasts(fits, filled: filled, origins: origins, seriesIndex: seriesIndex)
        }
        return EnsembleForecaster.combine(parts, spec.combination)
    }

    /// Actual targets `[origin][steps × P]` (data units, step-major; NaN where missing or past
    /// the series' end).
    func conformalActuals(_ set: TimeSeriesSet, origins: [Origin]) -> [[Float]] {
        let H = spec.window.horizon, targets = spec.window.targets
        let columns = targets.map { set.columnIndex($0) ?? 0 }
        return origins.map { o in
            let series = set.series[o.series]
            return (0..<(H * targets.count)).map { m in
                let row = o.end + 1 + m / targets.count
                return row < series.count ? series.values[columns[m % targets.count]][row] : .nan
            }
        }
    }

    /// Raw local scales `[origin][P]`: the mean |y_t − y_{t−1}| of the filled targets over the
    /// `rows` rows ending at each origin (data units; NaN with fewer than two rows).
    static func localScales(_ filled: [[[Double]]], origins: [Origin], rows: Int) -> [[Float]] {
        origins.map { o in
            filled[o.series].map { y in
                let first = max(1, o.end - rows + 2)
                guard first <= o.end, o.end < y.count else { return .nan }
                var sum = 0.0
                for t in first...o.end { sum += abs(y[t] - y[t - 1]) }
                let mean = sum / Double(o.end - first + 1)
                return mean.isFinite ? Float(mean) : .nan
            }
        }
    }

    /// The raw local scales of `origins` for this model's calibration; nil without one or when
    /// it is not locally scaled.
    func conformalScales(_ filled: [[[Double]]], origins: [Origin]) -> [[Float]]? {
        guard let c = conformal, c.isLocallyScaled, let rows = c.scaleRows else { return nil }
        return EnsembleForecaster.localScales(filled, origins: origins, rows: rows)
    }

    /// Quantiles `[step][P][K]` at `levels` (sorted) around the point forecast `values [step][P]`
    /// of a window with raw local scales `scales [P]`; nil without a calibration.
    func conformalQuantiles(_ values: [[Float]], levels: [Float], scales: [Float]?) -> [[[Float]]]? {
        guard let c = conformal else { return nil }
        let P = spec.window.targets.count
        return values.enumerated().map { h, row in
            row.enumerated().map { p, point in
                levels.map { c.quantile(point: point, element: h * P + p, level: $0, scales: scales) }.sorted()
            }
        }
    }
}
