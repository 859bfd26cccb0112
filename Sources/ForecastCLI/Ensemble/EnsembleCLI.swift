import Foundation
import Forecast

/// The `ensemble` family (`--model auto`) in train, evaluate, predict, inspect and plot.
enum EnsembleCLI {
    /// `set`: the file already read (`input.load()`), else it is read here.
    static func train(input: DataOptions, settings: ModelOptions, set: TimeSeriesSet? = nil, out: String, json: Bool, quiet: Bool) throws {
        let start = Date()
        let set = try set ?? input.load()
        let (resolved, members) = settings.ensembleDefaults(settings.forecasterOptions(for: set), set: set)
        var options = resolved
        if settings.conformalCalibration == nil { options.conformalRule = ConformalRule.default(rows: set.rowCount) }
        try TrainingBudget.checkSeries(set, targets: settings.target, options: options)
        let reporter = ProgressReporter(json: json, quiet: quiet)
        let freq = set.frequency.map { "\($0)" } ?? "row order"
        var preamble = "read \(input.data): \(set.rowCount) rows, \(set.series.count) series, frequency \(freq)"
        if let note = MissingReport.describe(set, columns: settings.target + splitList(settings.features) + splitList(settings.knownFuture),
                                             policy: options.missing) {
            preamble += "\n" + note
        }
        reporter.preamble = preamble
        let model = try EnsembleForecaster.fit(set, targets: settings.target, options: options, dataFile: input.data,
                                                 networkMembers: members, onEvent: reporter.handle)
        try model.save(to: out)
        let spec = model.spec
        let seconds = Date().timeIntervalSince(start)
        let chosen = spec.combination.map(\.rawValue).joined(separator: "+")
        if json {
            var obj: [String: Any] = ["event": "done", "model": out, "seconds": seconds, "lookback": spec.window.lookback,
                                      "horizon": spec.window.horizon, "season": spec.seasonLength, "family": ModelFamily.ensemble.rawValue,
                                      "members": spec.networks.count, "eshybrid_member": spec.eshybrid != nil, "combination": chosen,
                                      "epochs": model.provenance?.history.count ?? 0]
            if let m = model.provenance?.testMetrics {
                obj["test_mase"] = m.model.mase
                obj["seasonal_naive_mase"] = m.seasonalNaive.mase
            }
            if let c = model.conformal { obj["intervals"] = "conformal"; obj["conformal_score"] = c.score.rawValue; obj["conformal_rule"] = c.rule.rawValue; if let k = c.folds { obj["conformal_folds"] = k; obj["conformal_fold_error_ratios"] = (c.foldErrorRatios ?? []).map(Double.init) } }
            Output.json(obj)
        } else if !quiet {
            Output.note("lookback \(spec.window.lookback), horizon \(spec.window.horizon), season \(spec.seasonLength), \(spec.networks.count) LSTM member(s)\(spec.eshybrid == nil ? "" : " and an ES-hybrid member"); chosen on validation: median of \(chosen)")
            if let c = model.conformal { Output.note("conformal intervals: " + conformalSummary(c, targets: spec.window.targets.count)) }
            if let m = model.provenance?.testMetrics {
                Output.note("test split (\(m.windows) windows): MASE \(Output.format(m.model.mase)) (seasonal naive \(Output.format(m.seasonalNaive.mase)), naive \(Output.format(m.naive.mase)), drift \(Output.format(m.drift.mase)))")
            }
            Output.note("saved \(out) in \(Output.duration(seconds))")
        }
    }

    static func evaluate(_ model: EnsembleForecaster, input: DataOptions, json: Bool, perSeries: PerSeriesOutput = PerSeriesOutput()) throws {
        let set = try input.load()
        try EvaluateCommand.print(try model.evaluate(set), source: input.data, json: json, perSeries: perSeries)
    }

    /// `levels`: central interval levels in percent (`--level`; the model must hold a conformal calibration).
    static func predict(_ model: EnsembleForecaster, input: DataOptions, out: String?, recursive: Bool, levels: [Double] = []) throws {
        if recursive { throw CLIError.data("--recursive needs a recurrent model; an ensemble forecasts its horizon directly") }
        let set = try input.load()
        let quantileLevels = levels.flatMap { l -> [Float] in let b = QuantileLevels.bounds(percent: l); return [b.lower, b.upper] }
        let forecasts = try model.predict(set, levels: levels.isEmpty ? nil : quantileLevels)
        let csv = ForecastCSV.render(forecasts, seriesKey: model.spec.seriesKey, timeColumn: model.spec.timeColumn, levels: levels,
                                     longFormat: ForecastCSV.isLongFormat(input, seriesKey: model.spec.seriesKey))
        if let out {
            try AtomicFile.write(csv, to: out)
            Output.note("wrote \(forecasts.count) series x \(model.spec.window.horizon) steps to \(out)")
        } else {
            print(csv, terminator: "")
        }
    }

    static func inspect(_ model: EnsembleForecaster, path: String, json: Bool) throws {
        let spec = model.spec
        if json {
            struct Doc: Encodable {
                let family: String; let config: EnsembleSpec; let provenance: Provenance?; let parameters: Int
                let conformal: ConformalCalibration?
            }
            Output.json(encodable: Doc(family: ModelFamily.ensemble.rawValue, config: spec, provenance: model.provenance,
                                       parameters: model.networks.reduce(0) { $0 + $1.model.layout.parameterCount }
                                           + (model.hybrid?.model.layout.parameterCount ?? 0), conformal: model.conformal), pretty: true)
            return
        }
        print("model:        \(path)")
        print("family:       \(ModelFamily.ensemble)")
        print("combination:  median of \(spec.combination.map(\.rawValue).joined(separator: ", "))")
        print("window:       lookback \(spec.window.lookback), horizon \(spec.window.horizon)")
        print("targets:      \(spec.window.targets.joined(separator: ", "))")
        print("inputs:       \(model.networks[0].spec.inputNames.joined(separator: ", ")) (LSTM members)")
        print("time:         \(spec.timeColumn ?? "row order")\(spec.frequency.map { ", frequency \($0)" } ?? ""), season \(spec.seasonLength)")
        if let key = spec.seriesKey { print("series key:   \(key)") }
        print("members:")
        for (i, net) in model.networks.enumerated() {
            let rc = net.spec.architecture.recurrent
            print("  member\(i)  lstm: \(rc.cell.rawValue) \(rc.numLayers)x\(rc.hiddenSize), lookback \(net.spec.window.lookback), seed \(spec.networkSeeds[i]), \(net.model.layout.parameterCount) parameters (tensors member\(i).*)")
        }
        if let h = model.hybrid {
            let rc = h.spec.model.recurrent
            print("  eshybrid lstm \(rc.numLayers)x\(rc.hiddenSize), dilations \(rc.dilations.map(String.init).joined(separator: ",")), smoothing history \(h.spec.model.history), \(h.spec.model.multiplicative ? "multiplicative" : "additive"), \(h.model.layout.parameterCount) parameters (tensors eshybrid.*)")
        }
        for fits in spec.statistical {
            let names = Set(fits.models.flatMap { $0.map(\.name) }).sorted()
            print("  \(fits.kind.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(names.joined(separator: "; "))")
        }
        if !spec.validation.isEmpty {
            var rows = [["candidate (median of)", "validation MASE"]]
            for c in spec.validation { rows.append([c.components.map(\.rawValue).joined(separator: "+"), Output.format(c.mase)]) }
            print(InspectLines.table("validation:", TextTable.render(rows)))
        }
        if let c = model.conformal { print("intervals:    conformal, " + conformalSummary(c, targets: spec.window.targets.count)) }
        if let p = model.provenance {
            print("trained:      \(p.createdAt) by forecast \(p.forecastVersion), seed \(p.training.seed)\(InspectLines.spans(p.training))")
            print("data:         \(p.dataFile) (\(p.rows) rows, \(p.series) series\(p.dataSHA256.isEmpty ? "" : ", sha256 \(p.dataSHA256.prefix(16))…"))")
            print(InspectLines.windows(train: p.trainWindows, validation: p.validationWindows, test: p.testWindows))
            if let r = p.testMetrics { print(InspectLines.table("test metrics:", EvaluateCommand.table(r))) }
        }
    }

    /// One line on a calibration: score, rule, residuals, pooling and the 80% and 95%
    /// half-widths at the first and last step of the first target (data units; times the
    /// window's local scale for a scaled score).
    static func conformalSummary(_ c: ConformalCalibration, targets: Int) -> String {
        let M = c.residuals.count, P = max(1, targets)
        let steps = max(1, M / P)
        func half(_ m: Int, _ level: Double) -> String {
            guard m < M else { return "-" }
            return Output.format(Double(c.halfWidth(element: m, level: level) * (c.stepScales?[m] ?? 1)))
        }
        let unit = c.isLocallyScaled ? " x local scale" : ""
        return "score \(c.score.rawValue), rule \(c.rule.rawValue)\(c.folds.map { k in " (\(k) of \(c.foldErrorRatios?.count ?? k) refits kept; error ratios on the validation rows \((c.foldErrorRatios ?? []).map { Output.format(Double($0)) }.joined(separator: ", ")))" } ?? ""), \(c.residuals.first?.count ?? 0) scores per step"
            + (c.pooled ? " (pooled over the steps)" : "")
            + "; half-width 80% \(half(0, 0.8)) / 95% \(half(0, 0.95)) at step 1, \(half((steps - 1) * P, 0.8)) / \(half((steps - 1) * P, 0.95)) at step \(steps)\(unit)"
    }
}
