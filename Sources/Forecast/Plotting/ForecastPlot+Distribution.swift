/// The probabilistic parts of `forecast plot`: a fan chart (nested central intervals of the
/// forecast past the end of the data) and a reliability diagram (nominal against observed
/// coverage on the test split, for the model and for seasonal naive's empirical intervals).
extension ForecastPlot {
    /// Interval levels (percent) drawn in a fan chart, widest first: nested translucent bands.
    public static let fanLevels: [Double] = [95, 80, 50]

    /// Bands of the fan chart over the forecast steps `xs` for target `p`, from the forecast's
    /// quantiles (a forecast made with the bounds of ``fanLevels``); empty without quantiles.
    static func fanBands(_ f: SeriesForecast, target p: Int, x xs: [Double]) -> [SVGChart.Band] {
        guard let levels = f.quantileLevels, let q = f.quantiles else { return [] }
        return fanLevels.compactMap { percent in
            let b = QuantileLevels.bounds(percent: percent)
            guard let lo = levels.firstIndex(where: { abs($0 - b.lower) < 1e-4 }),
                  let hi = levels.firstIndex(where: { abs($0 - b.upper) < 1e-4 }) else { return nil }
            return SVGChart.Band(label: "\(QuantileLevels.key(percent: percent))% interval", color: "#c0392b", x: xs,
                                 low: q.map { Double($0[p][lo]) }, high: q.map { Double($0[p][hi]) })
        }
    }

    /// Nominal (x) against observed (y) coverage in percent, with the diagonal of perfect
    /// calibration; nil when the model has no distribution scores.
    static func reliabilityPanel(_ report: EvaluationReport) -> SVGChart.Panel? {
        guard let model = report.model.distribution else { return nil }
        var panel = SVGChart.Panel(title: "reliability (test split)",
                                   xLabel: "nominal coverage (%)", yLabel: "observed coverage (%)")
        panel.height = 300
        func points(_ d: DistributionScores) -> ([Double], [Double]) {
            let pairs = d.coverage.compactMap { k, v in Double(k).map { ($0, 100 * v) } }.sorted { $0.0 < $1.0 }
            return (pairs.map(\.0), pairs.map(\.1))
        }
        panel.lines.append(.init(label: "perfect calibration", color: "#999999", x: [0, 100], y: [0, 100], dashed: true, width: 1))
        if let r = report.seasonalNaive.distribution {
            let (x, y) = points(r)
            panel.lines.append(.init(label: "seasonal naive (empirical)", color: "#2b5d9b", x: x, y: y, width: 1.6))
        }
        let (x, y) = points(model)
        panel.lines.append(.init(label: "model", color: "#c0392b", x: x, y: y, width: 2.2))
        return panel
    }
}

extension ForecastPlot {
    /// `forecast plot` of an autoregressive (sampling) model: the recent history, the fan chart
    /// of the forecast past the end (50/80/95% from the sample paths, the median dashed), a few
    /// sample paths, and the reliability diagram of the test split.
    public static func render(_ m: AutoregressiveForecaster, _ set: TimeSeriesSet, series s: Int = 0) throws -> String {
        guard s < set.series.count else { throw DataError.invalidArgument("series \(s) does not exist (the file has \(set.series.count))") }
        guard let col = set.columnIndex(m.spec.target) else { throw DataError.invalidArgument("\(set.source): no column '\(m.spec.target)'") }
        let series = set.series[s], n = series.count, H = m.spec.horizon
        let values = series.values[col].map(Double.init)
        let shownFrom = max(0, n - max(4 * H, 3 * m.spec.context))
        func x(_ row: Int) -> Double { Double(row) }
        var panel = SVGChart.Panel(title: "\(m.spec.target)\(series.key.map { " — \($0)" } ?? ""): \(m.spec.likelihood.rawValue) paths",
                                   xLabel: "row", yLabel: m.spec.target)
        let hist = Array(shownFrom..<n)
        panel.lines.append(.init(label: "history", color: "#2b5d9b", x: hist.map(x), y: hist.map { values[$0] }))
        let fanQuantiles = fanLevels.flatMap { l -> [Float] in let b = QuantileLevels.bounds(percent: l); return [b.lower, b.upper] }
        let f = try m.predict(set, levels: fanQuantiles)[s]
        let fxs = (0...H).map { x(n - 1 + $0) }
        panel.bands += fanBands(f, target: 0, x: Array(fxs.dropFirst()))
        for (i, path) in (f.samples ?? []).prefix(3).enumerated() {
            panel.lines.append(.init(label: i == 0 ? "sample paths" : "", color: "#8e6c8a", x: fxs, y: [values[n - 1]] + path.map { Double($0[0]) }, width: 0.8))
        }
        panel.lines.append(.init(label: "median", color: "#c0392b", x: fxs, y: [values[n - 1]] + f.values.map { Double($0[0]) }, dashed: true, width: 2.2))
        var panels = [panel]
        if let report = try? m.evaluate(set), let reliability = reliabilityPanel(report) { panels.append(reliability) }
        return SVGChart(panels: panels).render()
    }
}
