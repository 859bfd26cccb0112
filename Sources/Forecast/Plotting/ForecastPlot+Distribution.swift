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
        var panel = SVGChart.Panel(title: "reliability on the test split: observed vs nominal coverage of central intervals",
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
