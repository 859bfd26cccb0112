import ArgumentParser
import Foundation
import Forecast
import ForecastRetraining

/// `forecast evaluate`: test-split accuracy of a model and of the baselines.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score a model on the test split of a CSV file against naive, seasonal-naive and drift forecasts.",
        discussion: """
        The test split is the last test fraction of every series, as at training time. Metrics:
        MAE, RMSE, sMAPE (0-200) and MASE (MAE over the in-sample seasonal-naive error; below 1
        beats seasonal naive on the training data's scale), plus interval coverage for models
        trained with a gaussian or quantile loss.

        A model that gives a distribution (gaussian or quantile head, --intervals conformal) is
        also scored on it: CRPS (data units), weighted quantile loss, MSIS at 95% (scaled like
        MASE) and the observed coverage of every central interval, next to seasonal naive with
        empirical residual quantiles (the reference distribution; see docs/probabilistic.md).

        --json prints one object with keys model, naive, seasonal_naive and drift, each holding
        mae, rmse, smape and mase.

        On a file with several series the model is also scored per series (MASE on each
        series' own scale): a summary line (mean and median of the series' MASE next to the
        pooled figure in the table, which weighs every pair the same; mean sMAPE; share of
        series beating seasonal naive), then the worst and best --per-series-top (default 5)
        series by MASE, or every series with --per-series; --per-series-out F.csv writes them
        all. --json adds per_series (every series) and series_summary. For a --grid (ConvLSTM) model: MSE, MAE, correlation and
        CSI/POD/FAR at 0.5, 2 and 5 mm/h per lead time and averaged, for the model and for
        persistence; --json keys model and persistence.
        """)

    @Option(help: ArgumentHelp("The model file, or a registry model folder REGISTRY/NAME (its current version).", valueName: "model"))
    var model: String

    @OptionGroup var input: DataOptions

    @Flag(help: "Print one JSON object.")
    var json = false

    @Flag(name: .customLong("all-windows"), help: "For a --grid model: score every window, not only the test split.")
    var allWindows = false

    @OptionGroup var perSeries: PerSeriesOptions

    func run() throws {
        let path = try ModelRegistry.resolveModelPath(model)
        let forecaster: Forecaster
        InputFiles.noteModel(path)
        switch try AnyModel.load(from: path) {
        case .nowcast(let m):
            try GridCLI.evaluate(model: m, data: input.data, json: json, allWindows: allWindows)
            return
        case .seq2seq(let m):
            try Seq2SeqCLI.evaluate(m, model: path, input: input, json: json, perSeries: perSeries.settings)
            return
        case .autoregressive(let m):
            try AutoregressiveCLI.evaluate(m, input: input, json: json, perSeries: perSeries.settings)
            return
        case .ensemble(let m):
            try EnsembleCLI.evaluate(m, input: input, json: json, perSeries: perSeries.settings)
            return
        case .eshybrid(let m):
            try ESHybridCLI.evaluate(m, input: input, json: json)
            return
        case .recurrent(let m):
            forecaster = m
        }
        let set = try input.load(statics: forecaster.spec.statics)
        let report = try forecaster.evaluate(set)
        try EvaluateCommand.print(report, source: input.data, json: json, perSeries: perSeries.settings)
    }

    /// What every series family's `evaluate` prints: refuses a report with no scored pair,
    /// notes dropped pairs, then one JSON object or the header line (`test split: N windows x H
    /// steps, season m` + `detail`) and the tables; with several series, the per-series summary
    /// and table (``PerSeriesOutput``), and the `--per-series-out` file.
    static func print(_ report: EvaluationReport, source: String, json: Bool, perSeries: PerSeriesOutput,
                      windows: String = "windows", detail: String = "", notes: Bool = true) throws {
        try ScoreCheck.require(report.model, source: source)
        if notes, let note = ScoreCheck.note(report.model) { Output.note(note) }
        let series = report.perSeries.flatMap { $0.count > 1 ? $0 : nil }
        try perSeries.write(series ?? report.perSeries, source: source)
        if json {
            var object = EvaluateCommand.jsonObject(report)
            if let series { object.merge(PerSeriesOutput.jsonObject(series)) { a, _ in a } }
            Output.json(object)
            return
        }
        Swift.print("test split: \(report.windows) \(windows) x \(report.horizon) steps, season \(report.seasonLength)\(detail)")
        Swift.print(EvaluateCommand.table(report))
        if let series { Swift.print(perSeries.render(series)) }
    }

    static func metricsObject(_ m: Metrics, intervals: Bool = false) -> [String: Any] {
        var o: [String: Any] = ["mae": ScoreCheck.json(m.mae), "rmse": ScoreCheck.json(m.rmse), "smape": ScoreCheck.json(m.smape),
                                "mase": ScoreCheck.json(m.mase), "count": m.count,
                                "missing_actuals": m.missingActuals ?? 0, "nonfinite_forecasts": m.nonFiniteForecasts ?? 0]
        if intervals, let c = m.coverage { o["coverage"] = c; o["nominal_coverage"] = m.nominalCoverage ?? NSNull() }
        if let d = m.distribution {
            o["crps"] = ScoreCheck.json(d.crps)
            o["wql"] = ScoreCheck.json(d.wql)
            o["msis"] = d.msis.map(ScoreCheck.json) ?? NSNull()
            o["coverage_levels"] = d.coverage
            if let w = d.width { o["width_levels"] = w }
            o["quantile_levels"] = d.levels.map(Double.init)
        }
        return o
    }

    static func jsonObject(_ r: EvaluationReport) -> [String: Any] {
        ["model": metricsObject(r.model, intervals: true), "naive": metricsObject(r.naive),
         "seasonal_naive": metricsObject(r.seasonalNaive), "drift": metricsObject(r.drift)]
    }

    static func table(_ r: EvaluationReport) -> String {
        var rows = [["", "MAE", "RMSE", "sMAPE", "MASE"]]
        for (name, m) in [("model", r.model), ("naive", r.naive), ("seasonal naive", r.seasonalNaive), ("drift", r.drift)] {
            rows.append([name, Output.format(m.mae), Output.format(m.rmse), Output.format(m.smape), Output.format(m.mase)])
        }
        var text = TextTable.render(rows)
        if let c = r.model.coverage, let n = r.model.nominalCoverage {
            text += "\ninterval coverage: \(Output.format(c * 100))% (nominal \(Output.format(n * 100))%)"
        }
        if let d = distributionTable(r.model.distribution, reference: r.seasonalNaive.distribution) { text += "\n" + d }
        return text
    }
}

extension EvaluateCommand {
    /// The distribution scores of the model and of seasonal naive's empirical intervals; nil
    /// when the model gives no distribution.
    static func distributionTable(_ model: DistributionScores?, reference: DistributionScores?) -> String? {
        guard let model else { return nil }
        let keys = model.coverage.keys.sorted { Double($0)! < Double($1)! }.filter { ["50", "80", "90", "95"].contains($0) || model.coverage.count <= 4 }
        var rows = [["distribution", "CRPS", "wQL", "MSIS"] + keys.map { "cover \($0)%" }]
        for (name, d) in [("model", model), ("seasonal naive (empirical)", reference)] {
            guard let d else { continue }
            rows.append([name, Output.format(d.crps), Output.format(d.wql), d.msis.map(Output.format) ?? "-"]
                        + keys.map { d.coverage[$0].map { Output.format($0 * 100) } ?? "-" })
        }
        return TextTable.render(rows)
    }
}

/// Plain aligned text tables.
enum TextTable {
    static func render(_ rows: [[String]]) -> String {
        guard let width = rows.map(\.count).max() else { return "" }
        var w = [Int](repeating: 0, count: width)
        for r in rows { for (i, c) in r.enumerated() { w[i] = max(w[i], c.count) } }
        return rows.map { r in
            r.enumerated().map { i, c in i == 0 ? c.padding(toLength: w[i], withPad: " ", startingAt: 0) : String(repeating: " ", count: w[i] - c.count) + c }
                .joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
