import ArgumentParser
import Foundation
import Forecast

/// `--per-series`, `--per-series-out F.csv`, `--per-series-top N` of `forecast evaluate` and
/// `forecast backtest` (files with several series).
struct PerSeriesOptions: ParsableArguments {
    @Flag(name: .customLong("per-series"), help: "Several series: list every series' scores (default: the summary and the worst and best --per-series-top by MASE).")
    var all = false

    @Option(name: .customLong("per-series-out"), help: ArgumentHelp("Several series: write every series' scores to this CSV file.", valueName: "csv"))
    var out: String?

    @Option(name: .customLong("per-series-top"), help: "Several series: how many worst and best series to list (0: only the summary).")
    var top: Int = 5

    func validate() throws {
        if top < 0 { throw ValidationError("--per-series-top must be at least 0") }
    }

    var settings: PerSeriesOutput { PerSeriesOutput(all: all, out: out, top: top) }
}

/// The per-series output settings, passed to each family's evaluate.
struct PerSeriesOutput {
    var all = false
    var out: String? = nil
    var top = 5

    /// Prints (terminal) or returns nothing; writes the CSV when asked. `scores` in the set's order.
    func render(_ scores: [SeriesScores]) -> String {
        let summary = SeriesScoresSummary(scores)
        let f: (Double) -> String = Output.format
        var text = "per series: \(summary.series) series (\(summary.scored) scored); MASE mean \(f(summary.meanMASE)), median \(f(summary.medianMASE))"
            + " (seasonal naive mean \(f(summary.seasonalNaiveMeanMASE))); sMAPE mean \(f(summary.meanSMAPE))"
            + "; beats seasonal naive on \(Output.format(summary.beatsSeasonalNaive * 100))% of series"
        let distribution = scores.contains { $0.model.distribution != nil }
        func table(_ rows: [SeriesScores]) -> String {
            var t = [["series", "pairs", "MAE", "RMSE", "sMAPE", "MASE", "seasonal naive MASE"] + (distribution ? ["CRPS", "wQL"] : [])]
            for s in rows {
                t.append([s.key ?? "-", "\(s.model.count)", f(s.model.mae), f(s.model.rmse), f(s.model.smape), f(s.model.mase), f(s.seasonalNaive.mase)]
                         + (distribution ? [s.model.distribution.map { f($0.crps) } ?? "-", s.model.distribution.map { f($0.wql) } ?? "-"] : []))
            }
            return TextTable.render(t)
        }
        if all || scores.count <= 2 * top {
            text += "\n" + table(scores)
        } else if top > 0 {
            // Worst first; NaN (nothing scored) sorts last among the worst.
            let ranked = scores.filter { $0.model.count > 0 }.sorted { a, b in a.model.mase != b.model.mase ? a.model.mase > b.model.mase : (a.key ?? "") < (b.key ?? "") }
            text += "\nworst \(min(top, ranked.count)) by MASE:\n" + table(Array(ranked.prefix(top)))
            text += "\nbest \(min(top, ranked.count)) by MASE:\n" + table(Array(ranked.suffix(top).reversed()))
            text += "\n(--per-series lists all \(scores.count); --per-series-out FILE.csv writes them)"
        }
        return text
    }

    /// Every series' scores as CSV: series, pairs, mae, rmse, smape, mase, seasonal_naive_mase
    /// [, coverage, nominal_coverage][, crps, wql, msis].
    static func csv(_ scores: [SeriesScores]) -> String {
        let intervals = scores.contains { $0.model.coverage != nil }
        let distribution = scores.contains { $0.model.distribution != nil }
        var header = ["series", "pairs", "mae", "rmse", "smape", "mase", "seasonal_naive_mase", "seasonal_naive_smape"]
        if intervals { header += ["coverage", "nominal_coverage"] }
        if distribution { header += ["crps", "wql", "msis"] }
        var lines = [header.joined(separator: ",")]
        func n(_ v: Double?) -> String { v.map { $0.isFinite ? "\($0)" : "" } ?? "" }
        for s in scores {
            var row = [ForecastCSV.quote(s.key ?? ""), "\(s.model.count)", n(s.model.mae), n(s.model.rmse), n(s.model.smape), n(s.model.mase),
                       n(s.seasonalNaive.mase), n(s.seasonalNaive.smape)]
            if intervals { row += [n(s.model.coverage), n(s.model.nominalCoverage)] }
            if distribution { row += [n(s.model.distribution?.crps), n(s.model.distribution?.wql), n(s.model.distribution?.msis)] }
            lines.append(row.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes the CSV when `--per-series-out` was given (and notes it).
    func write(_ scores: [SeriesScores]?, source: String) throws {
        guard let out else { return }
        guard let scores, !scores.isEmpty else { throw CLIError.data("\(source): --per-series-out: this model family gives no per-series scores") }
        try AtomicFile.write(PerSeriesOutput.csv(scores), to: out)
        Output.note("wrote \(scores.count) series' scores to \(out)")
    }

    /// The JSON of per-series scores and their summary: keys per_series and series_summary.
    static func jsonObject(_ scores: [SeriesScores]) -> [String: Any] {
        let s = SeriesScoresSummary(scores)
        return ["per_series": scores.map { sc -> [String: Any] in
                    ["key": sc.key ?? NSNull(), "model": EvaluateCommand.metricsObject(sc.model, intervals: true),
                     "seasonal_naive": EvaluateCommand.metricsObject(sc.seasonalNaive)] },
                "series_summary": ["series": s.series, "scored": s.scored, "mean_mase": ScoreCheck.json(s.meanMASE),
                                   "median_mase": ScoreCheck.json(s.medianMASE), "mean_smape": ScoreCheck.json(s.meanSMAPE),
                                   "seasonal_naive_mean_mase": ScoreCheck.json(s.seasonalNaiveMeanMASE),
                                   "beats_seasonal_naive": ScoreCheck.json(s.beatsSeasonalNaive),
                                   "pooled": "the model object (every pair weighs the same)"]]
    }
}
