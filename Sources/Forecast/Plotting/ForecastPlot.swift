import Foundation

/// `forecast plot`: one series' history, the model's forecasts over the held-out test split
/// next to the actual values, the forecast past the end of the data with its interval, and
/// the training curves from the model's provenance, as one SVG document. A model with a
/// distribution (Gaussian or quantile head, conformal intervals) gets a fan chart (50/80/95%)
/// and a reliability diagram (``ForecastPlot/reliabilityPanel(_:)``).
public enum ForecastPlot {
    /// - Parameters:
    ///   - series: index of the series to draw (for files with a series key).
    ///   - target: index of the target to draw.
    public static func render(_ forecaster: Forecaster, _ set: TimeSeriesSet, series s: Int = 0, target p: Int = 0) throws -> String {
        let spec = forecaster.spec
        guard s < set.series.count else { throw DataError.invalidArgument("series \(s) does not exist (the file has \(set.series.count))") }
        guard p < spec.window.targets.count else { throw DataError.invalidArgument("target \(p) does not exist") }
        let targetName = spec.window.targets[p]
        guard let col = set.columnIndex(targetName) else { throw DataError.invalidArgument("\(set.source): no column '\(targetName)'") }
        let series = set.series[s]
        let n = series.count
        let times = series.times
        let step = spec.frequency.map { Double($0.nominalMillis) } ?? 1
        func x(_ row: Int) -> Double {
            guard let t = times else { return Double(row) }
            if row < n { return Double(t[row]) }
            return Double(t[n - 1]) + Double(row - n + 1) * step
        }
        let (vStart, tStart) = spec.split.boundaries(rows: n)
        let H = spec.window.horizon
        let shownFrom = n > 600 ? max(0, tStart - max(4 * H, 3 * spec.window.lookback)) : 0
        let values = series.values[col].map(Double.init)

        var panel = SVGChart.Panel(title: "\(targetName)\(series.key.map { " — \($0)" } ?? ""): history, test forecasts and forecast",
                                   xLabel: set.timeColumn ?? "row", yLabel: targetName)
        let hist = Array(shownFrom..<min(tStart, n))
        panel.lines.append(.init(label: "history", color: "#2b5d9b", x: hist.map(x), y: hist.map { values[$0] }))
        if tStart < n {
            let test = Array(max(tStart - 1, shownFrom)..<n)
            panel.lines.append(.init(label: "test actuals", color: "#111111", x: test.map(x), y: test.map { values[$0] }, width: 2))
            panel.markers.append((x(tStart), "test"))
        }
        if vStart < tStart { panel.markers.append((x(vStart), "validation")) }

        // Forecasts over the test split: consecutive non-overlapping windows of the drawn series.
        let scaled = forecaster.seriesScaled(set, split: spec.split)
        let data = try PreparedData(scaled.set, spec: spec.window, split: spec.split, scaler: .standard, missing: spec.missing)
        let test = forecaster.rescale(data.test, from: data.scaler).materialized()
        let factor = scaled.factors?[s][p] ?? 1
        var picked: [Int] = []
        var nextOrigin = -1
        for w in 0..<test.count where test.series[w] == s && test.end[w] >= nextOrigin {
            picked.append(w)
            nextOrigin = test.end[w] + H
        }
        if !picked.isEmpty {
            let xs = picked.flatMap { w in Array(test.x[(w * test.lookback * test.features)..<((w + 1) * test.lookback * test.features)]) }
            let out = forecaster.predictScaled(xs, windows: picked.count)
            let width = spec.outputs
            var fx: [Double] = [], fy: [Double] = []
            for (k, w) in picked.enumerated() {
                let d = forecaster.decode(out[(k * width)..<((k + 1) * width)])
                for h in 0..<H { fx.append(x(test.end[w] + 1 + h)); fy.append(Double(d.values[h][p] * factor)) }
                fx.append(.nan); fy.append(.nan)
            }
            panel.lines.append(.init(label: "test forecasts", color: "#d9822b", x: fx.map { $0.isNaN ? 0 : $0 }, y: fy, width: 2))
        }
        // The forecast past the end.
        let fanQuantiles = fanLevels.flatMap { l -> [Float] in let b = QuantileLevels.bounds(percent: l); return [b.lower, b.upper] }
        let distributional = forecaster.outputs.scoreLevels != nil
        let fan = distributional ? (try? forecaster.predict(set, levels: fanQuantiles)) : nil
        let future: SeriesForecast
        if let fan { future = fan[s] } else { future = try forecaster.predict(set)[s] }
        let fxs = (0...H).map { x(n - 1 + $0) }
        let fys = [values[n - 1]] + future.values.map { Double($0[p]) }
        let bands = fanBands(future, target: p, x: Array(fxs.dropFirst()))
        if !bands.isEmpty {
            panel.bands += bands
        } else if let lo = future.lower, let hi = future.upper {
            let level = Int(((future.intervalLevel ?? 0) * 100).rounded())
            panel.bands.append(.init(label: "\(level)% interval", color: "#c0392b", x: Array(fxs.dropFirst()),
                                     low: lo.map { Double($0[p]) }, high: hi.map { Double($0[p]) }))
        }
        panel.lines.append(.init(label: "forecast", color: "#c0392b", x: fxs, y: fys, dashed: true, width: 2.2))
        if let times {
            let span = Double(times[n - 1] - times[shownFrom]) + Double(H) * step
            panel.xFormatter = { dateLabel(Int64($0), span: span) }
            panel.xTicks = dateTicks(from: Int64(x(shownFrom)), to: Int64(x(n - 1 + H)), span: span)
        }

        var panels = [panel]
        if distributional, !data.test.isEmpty, let report = try? forecaster.evaluate(set, prepared: data, factors: scaled.factors),
           let reliability = reliabilityPanel(report) {
            panels.append(reliability)
        }
        if let history = forecaster.provenance?.history, !history.isEmpty {
            var curves = SVGChart.Panel(title: "training curves (loss \(spec.loss.name), scaled units)", xLabel: "epoch", yLabel: "loss")
            curves.height = 260
            let allPositive = history.allSatisfy { $0.trainLoss > 0 && ($0.validationLoss ?? 1) > 0 }
            curves.logY = allPositive
            curves.lines.append(.init(label: "train", color: "#2b5d9b", x: history.map { Double($0.epoch) }, y: history.map(\.trainLoss)))
            if history.contains(where: { $0.validationLoss != nil }) {
                curves.lines.append(.init(label: "validation", color: "#d9822b", x: history.map { Double($0.epoch) }, y: history.map { $0.validationLoss ?? .nan }))
            }
            if let best = forecaster.provenance?.bestEpoch, best > 0 { curves.markers.append((Double(best), "best")) }
            panels.append(curves)
        }
        return SVGChart(panels: panels).render()
    }

    /// A date label whose precision suits the span shown.
    static func dateLabel(_ ms: Int64, span: Double) -> String {
        let c = CivilTime(instant: ms)
        let day = 86_400_000.0
        if span > 3 * 365 * day { return String(format: "%04d", c.year) }
        if span > 60 * day { return String(format: "%04d-%02d", c.year, c.month) }
        if span > 3 * day { return String(format: "%02d-%02d", c.month, c.day) }
        return String(format: "%02d-%02d %02d:%02d", c.month, c.day, c.hour, c.minute)
    }

    /// Tick positions on calendar boundaries (years, months, days or hours) across [a, b].
    static func dateTicks(from a: Int64, to b: Int64, span: Double) -> [Double] {
        let day: Int64 = 86_400_000
        var ticks: [Double] = []
        let start = CivilTime(instant: a)
        if Double(b - a) > 3 * 365 * Double(day) {
            for y in start.year...(CivilTime(instant: b).year + 1) { ticks.append(Double(CivilTime(year: y, month: 1, day: 1).instant())) }
        } else if Double(b - a) > 60 * Double(day) {
            var c = CivilTime(year: start.year, month: start.month, day: 1)
            while c.instant() <= b { ticks.append(Double(c.instant())); c = c.addingMonths(1) }
        } else if Double(b - a) > 3 * Double(day) {
            var t = (a / day) * day
            while t <= b { ticks.append(Double(t)); t += day }
        } else {
            var t = (a / 3_600_000) * 3_600_000
            while t <= b { ticks.append(Double(t)); t += 3_600_000 }
        }
        return ticks
    }
}
