/// Split conformal calibration of a trained point model (``ConformalCalibration``) from the
/// rows it never trained on, by ``ConformalRule``.
///
///     windows   whole validation windows            [N_val][steps × P]
///     rolling   every origin e (last input row) and step h with e + h a validation row
///               (vStart ≤ e + h < tStart of its series); the origin's lookback may reach into
///               the training rows, its other steps (training or test rows) are masked (NaN)
///
/// A target row of the validation split was never a training target nor a training input
/// (training windows lie in the training rows), so each rolling residual is out of sample; the
/// test rows are never read as actuals. Validation windows do steer early stopping, as with
/// the `windows` rule.
///
///     cross     the rolling residuals above, plus those of ``ConformalFolds``' refits at their
///               held-out rows (``Forecaster/crossResiduals``), pooled
extension Forecaster {
    /// Calibration by `rule` from `data` (prepared from `set`, the per-series scaled set, with
    /// the scaler `data.scaler`, re-expressed in this model's), with the score `score`
    /// (`auto`: chosen on the validation windows, ``ConformalCalibration/select``). `extra`:
    /// the held-out residuals of ``ConformalRule/cross``'s refits (local scales over this
    /// model's ``conformalScaleRows``), pooled with this model's rolling ones.
    func calibrate(_ data: PreparedData, set: TimeSeriesSet, score: ConformalScore, rule: ConformalRule,
                   extra: ConformalResiduals? = nil) -> ConformalCalibration {
        let validation = rescale(data.validation, from: data.scaler).materialized()
        let P = spec.window.targets.count, rows = conformalScaleRows
        let byWindow = residualSets(validation)
        let scales = conformalScales(validation.x, windows: validation.count, rows: rows)
        var chosen = score
        if score == .auto {
            // The later half of each series' validation windows (in time) checks the earlier half's calibration.
            var perSeries: [Int: Int] = [:], position = [Int](repeating: 0, count: validation.count)
            for w in 0..<validation.count { position[w] = perSeries[validation.series[w], default: 0]; perSeries[validation.series[w], default: 0] += 1 }
            let later = (0..<validation.count).map { position[$0] >= perSeries[validation.series[$0], default: 0] / 2 }
            chosen = ConformalCalibration.select(forecasts: byWindow.forecasts, actuals: byWindow.actuals, targets: P, scales: scales,
                                                 scaleRows: rows, later: later)
        }
        guard rule != .windows, spec.window.mode == .manyToOne else {
            return ConformalCalibration(forecasts: byWindow.forecasts, actuals: byWindow.actuals, targets: P, scales: chosen.isScaled ? scales : nil,
                                        scaleRows: rows, signed: chosen.isSigned)
        }
        var rolling = heldOutResiduals(data, set: set, rows: rows) { s in
            let (vStart, tStart) = spec.split.boundaries(rows: set.series[s].count)
            return vStart..<tStart
        }
        if let extra { rolling.append(extra) }
        let train = data.train
        var calibration = ConformalCalibration(forecasts: rolling.forecasts, actuals: rolling.actuals, targets: P,
                                    scales: chosen.isScaled ? rolling.scales : nil, scaleRows: rows, signed: chosen.isSigned, rule: .rolling,
                                    inSample: { [self] in
            // Up to 1,000 training windows, evenly spaced: the in-sample mean score per step.
            let n = train.count, take = min(n, 1_000)
            var picked = WindowViews(rows: train.rows, lookback: train.lookback, horizon: train.horizon, stride: 1, mode: train.mode,
                                     targetColumns: train.targetColumns)
            for i in 0..<take { let o = train.origin(take == n ? i : i * n / take); picked.append(series: o.series, end: o.end) }
            let w = rescale(picked, from: data.scaler).materialized()
            let r = residualSets(w)
            return (r.forecasts, r.actuals, chosen.isScaled ? conformalScales(w.x, windows: w.count, rows: rows) : nil)
        })
        if rule == .cross {
            calibration.folds = extra?.folds ?? 0
            calibration.foldErrorRatios = extra?.foldErrorRatios
        }
        return calibration
    }

    /// The rolling residuals of this model on `data` (prepared from `set` as for ``calibrate``):
    /// every origin e (stride 1, whole window in its series) and step h with e + h in
    /// `heldOut(series)`; other steps masked (NaN actuals). Local scales over `rows` input rows.
    /// `unit [series][P]`: multiplies forecasts, actuals and scales of each series' targets (a
    /// refit's per-series scaled units re-expressed in the trained model's); nil: 1.
    func heldOutResiduals(_ data: PreparedData, set: TimeSeriesSet, rows: Int, unit: [[Float]]? = nil,
                          heldOut: (Int) -> Range<Int>) -> ConformalResiduals {
        let origins = rescale(conformalOrigins(data, set: set, heldOut: heldOut), from: data.scaler).materialized()
        let r = residualSets(origins)
        var out = ConformalResiduals(forecasts: r.forecasts, actuals: r.actuals, scales: conformalScales(origins.x, windows: origins.count, rows: rows))
        let H = spec.window.horizon, P = spec.window.targets.count
        for w in 0..<origins.count {
            if let u = unit?[origins.series[w]] {
                for m in 0..<(H * P) { out.forecasts[w][m] *= u[m % P]; out.actuals[w][m] *= u[m % P] }
                for p in 0..<P { out.scales[w][p] *= u[p] }
            }
            let keep = heldOut(origins.series[w])
            for h in 1...H where !keep.contains(origins.end[w] + h) {
                for p in 0..<P { out.actuals[w][(h - 1) * P + p] = .nan }
            }
        }
        return out
    }

    /// Point forecasts and actuals `[N][steps × P]` in data units of windows scaled like this model.
    func residualSets(_ windows: Windows) -> (forecasts: [[Float]], actuals: [[Float]]) {
        let out = predictScaled(windows.x, windows: windows.count)
        let width = spec.outputs, M = spec.window.targetLength, P = spec.window.targets.count
        var forecasts: [[Float]] = [], actuals: [[Float]] = []
        forecasts.reserveCapacity(windows.count); actuals.reserveCapacity(windows.count)
        for w in 0..<windows.count {
            let d = decode(out[(w * width)..<((w + 1) * width)])
            forecasts.append(d.values.flatMap { $0 })
            actuals.append((0..<M).map { m in spec.scaler.scaler(for: spec.window.targets[m % P]).inverse(windows.y[w * M + m]) })
        }
        return (forecasts, actuals)
    }

    /// The rolling rule's origins (views into `data`'s rows, in `data.scaler`'s scaling): per
    /// series and segment, every end row e (stride 1) whose whole window [e − lookback + 1,
    /// e + horizon] lies in the segment and some step of which is a held-out row
    /// (a − horizon ≤ e < b − 1 for `heldOut(series)` = [a, b); the validation rows
    /// [vStart, tStart) for the trained model); with a `.whole` split boundary its lookback
    /// starts at a or later.
    func conformalOrigins(_ data: PreparedData, set: TimeSeriesSet, heldOut: (Int) -> Range<Int>) -> WindowViews {
        let v = data.validation, T = spec.window.lookback, H = spec.window.horizon
        var views = WindowViews(rows: v.rows, lookback: v.lookback, horizon: v.horizon, stride: 1, mode: v.mode, targetColumns: v.targetColumns)
        for (s, series) in set.series.enumerated() where series.count >= T + H {
            let block = heldOut(s)
            for segment in series.segments {
                var first = max(segment.lowerBound + T - 1, block.lowerBound - H)
                if spec.split.boundary == .whole { first = max(first, block.lowerBound + T - 1) }
                let last = min(segment.upperBound - 1 - H, block.upperBound - 2)
                guard first <= last else { continue }
                for e in first...last { views.append(series: s, end: e) }
            }
        }
        return views
    }
}
