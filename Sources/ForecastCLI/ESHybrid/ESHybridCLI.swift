import Foundation
import Forecast

/// The `eshybrid` family (`--model eshybrid`) in train, evaluate, predict and inspect.
enum ESHybridCLI {
    /// `--hidden` (default 32), `--layers` (default 2), `--dilations` (default 1,3), `--lookback`,
    /// `--horizon`, training settings; the loss is pinball at τ = 0.5, or at the one level of
    /// `--quantiles τ`.
    static func options(settings: ModelOptions) throws -> ESHybridOptions {
        var o = ESHybridOptions()
        o.base = settings.forecasterOptions()
        guard settings.target.count == 1 else { throw CLIError.data("--model eshybrid forecasts one --target column, got \(settings.target.count)") }
        guard o.base.features.isEmpty, o.base.knownFuture.isEmpty, o.base.calendar.isEmpty else {
            throw CLIError.data("--model eshybrid reads the target column only; --features, --known-future and --calendar do not apply")
        }
        o.hidden = settings.hidden ?? 32
        o.layers = settings.layers ?? 2
        if let d = settings.parsedDilations(), !d.isEmpty { o.dilations = d }
        if let d = o.dilations, d.count != o.layers { throw CLIError.data("--dilations needs one value per layer (\(o.layers)), got \(d.count)") }
        if let q = settings.quantiles {
            guard q.values.count == 1 else { throw CLIError.data("--model eshybrid trains on one pinball level; give --quantiles with one value (e.g. 0.5)") }
            o.loss = .quantile([Float(q.values[0])])
        } else {
            switch settings.loss {
            case .mse, .mae: o.loss = .quantile([0.5])
            default: throw CLIError.data("--model eshybrid trains with the pinball loss (τ 0.5, or --quantiles τ); --loss \(settings.loss.name) does not apply")
            }
        }
        return o
    }

    static func train(input: DataOptions, settings: ModelOptions, out: String, json: Bool, quiet: Bool) throws {
        let start = Date()
        let set = try input.load()
        let options = try options(settings: settings)
        try TrainingBudget.checkSeries(set, targets: settings.target, options: options.base)
        let reporter = ProgressReporter(json: json, quiet: quiet)
        let freq = set.frequency.map { "\($0)" } ?? "row order"
        var preamble = "read \(input.data): \(set.rowCount) rows, \(set.series.count) series, frequency \(freq)"
        if let note = MissingReport.describe(set, columns: settings.target, policy: options.base.missing) { preamble += "\n" + note }
        reporter.preamble = preamble
        let model = try ESHybridForecaster.fit(set, target: settings.target[0], options: options, dataFile: input.data, onEvent: reporter.handle)
        try model.save(to: out)
        let spec = model.spec
        let seconds = Date().timeIntervalSince(start)
        let form = spec.model.multiplicative ? "multiplicative" : "additive"
        if json {
            var obj: [String: Any] = ["event": "done", "model": out, "seconds": seconds, "lookback": spec.window.lookback,
                                      "horizon": spec.window.horizon, "season": spec.seasonLength, "family": ModelFamily.eshybrid.rawValue,
                                      "form": form, "history": spec.model.history, "epochs": model.provenance?.history.count ?? 0]
            if let m = model.provenance?.testMetrics {
                obj["test_mase"] = m.model.mase
                obj["seasonal_naive_mase"] = m.seasonalNaive.mase
            }
            Output.json(obj)
        } else if !quiet {
            Output.note("lookback \(spec.window.lookback), horizon \(spec.window.horizon), season \(spec.model.season), smoothing history \(spec.model.history); \(spec.formReason)")
            if let m = model.provenance?.testMetrics {
                Output.note("test split (\(m.windows) windows): MASE \(Output.format(m.model.mase)) (seasonal naive \(Output.format(m.seasonalNaive.mase)), naive \(Output.format(m.naive.mase)), drift \(Output.format(m.drift.mase)))")
            }
            Output.note("saved \(out) in \(Output.duration(seconds))")
        }
    }

    static func evaluate(_ model: ESHybridForecaster, input: DataOptions, json: Bool) throws {
        let set = try input.load()
        let report = try model.evaluate(set)
        try ScoreCheck.require(report.model, source: input.data)
        if let note = ScoreCheck.note(report.model) { Output.note(note) }
        if json {
            Output.json(EvaluateCommand.jsonObject(report))
            return
        }
        print("test split: \(report.windows) windows x \(report.horizon) steps, season \(report.seasonLength)")
        print(EvaluateCommand.table(report))
    }

    static func predict(_ model: ESHybridForecaster, input: DataOptions, out: String?, recursive: Bool) throws {
        if recursive { throw CLIError.data("--recursive needs a recurrent model; an ES-hybrid model forecasts its horizon directly") }
        let set = try input.load()
        let forecasts = try model.predict(set)
        let csv = ForecastCSV.render(forecasts, seriesKey: model.spec.seriesKey, timeColumn: model.spec.timeColumn)
        if let out {
            try AtomicFile.write(csv, to: out)
            Output.note("wrote \(forecasts.count) series x \(model.spec.window.horizon) steps to \(out)")
        } else {
            print(csv, terminator: "")
        }
    }

    static func inspect(_ model: ESHybridForecaster, path: String, json: Bool) throws {
        let spec = model.spec
        if json {
            struct Doc: Encodable { let family: String; let config: ESHybridSpec; let provenance: Provenance?; let parameters: Int; let tensors: [String: [Int]] }
            let tensors = Dictionary(uniqueKeysWithValues: model.model.layout.entries.map { ($0.name, $0.shape.dims) })
            Output.json(encodable: Doc(family: ModelFamily.eshybrid.rawValue, config: spec, provenance: model.provenance,
                                       parameters: model.model.layout.parameterCount, tensors: tensors), pretty: true)
            return
        }
        let rc = spec.model.recurrent
        print("model:        \(path)")
        print("family:       \(ModelFamily.eshybrid)")
        print("form:         \(spec.formReason)")
        print("network:      lstm \(rc.numLayers) layer(s) x \(rc.hiddenSize) hidden, dilations \(rc.dilations.isEmpty ? "none" : rc.dilations.map(String.init).joined(separator: ","))")
        print("parameters:   \(model.model.layout.parameterCount) in \(model.model.layout.entries.count) tensors")
        for e in model.model.layout.entries { print("  \(e.name.padding(toLength: 24, withPad: " ", startingAt: 0)) \(e.shape)") }
        print("loss:         \(spec.loss == .mse ? "mse" : "pinball \(spec.loss.name == "quantile" ? "(τ \(quantileText(spec.loss)))" : "")")")
        print("window:       lookback \(spec.window.lookback), horizon \(spec.window.horizon), smoothing history \(spec.model.history), season \(spec.model.season)")
        print("targets:      \(spec.window.targets.joined(separator: ", "))")
        print("time:         \(spec.timeColumn ?? "row order")\(spec.frequency.map { ", frequency \($0)" } ?? ""), season \(spec.seasonLength)")
        if let key = spec.seriesKey { print("series key:   \(key)") }
        print("series:")
        for (i, (a, g)) in model.smoothing.enumerated().prefix(20) {
            print("  \((spec.seriesKeys[i] ?? "(single)").padding(toLength: 20, withPad: " ", startingAt: 0)) alpha \(Output.format(a)), gamma \(spec.model.seasonal ? Output.format(g) : "-"), scale \(Output.format(spec.scales[i]))")
        }
        if spec.model.series > 20 { print("  … \(spec.model.series - 20) more") }
        if let p = model.provenance {
            print("trained:      \(p.createdAt) by forecast \(p.forecastVersion), seed \(p.training.seed)")
            print("data:         \(p.dataFile) (\(p.rows) rows, \(p.series) series\(p.dataSHA256.isEmpty ? "" : ", sha256 \(p.dataSHA256.prefix(16))…"))")
            print(InspectLines.windows(train: p.trainWindows, validation: p.validationWindows, test: p.testWindows))
            if let r = p.testMetrics { print(InspectLines.table("test metrics:", EvaluateCommand.table(r))) }
        }
    }

    static func quantileText(_ loss: LossKind) -> String {
        if case .quantile(let q) = loss { return q.map { "\($0)" }.joined(separator: ",") }
        return ""
    }
}
