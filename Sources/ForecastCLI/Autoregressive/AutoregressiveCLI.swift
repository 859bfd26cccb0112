import ArgumentParser
import Foundation
import Forecast

/// What `forecast train --model deepar`, `predict`, `evaluate`, `plot`, `inspect` and
/// `backtest` do for the autoregressive probabilistic family (docs/probabilistic.md).
enum AutoregressiveCLI {
    /// The library options the shared flags describe (`--hidden`, `--layers` default 40 × 2,
    /// `--lookback` is the context, `--horizon`, `--likelihood`, `--samples`, `--lags`;
    /// `--features` and `--known-future` are covariates known at every step, `--calendar` the
    /// time inputs (none: no time inputs). `--epochs`, `--batch`, `--patience` and
    /// `--windows-per-epoch` default by data size (``AutoregressiveOptions/sized(windows:)``).
    static func options(settings: ModelOptions, likelihood: Likelihood, samples: Int?) -> AutoregressiveOptions {
        let base = settings.forecasterOptions()
        var o = AutoregressiveOptions()
        o.likelihood = likelihood
        o.hidden = settings.hidden ?? 40
        o.layers = settings.layers ?? 2
        o.context = settings.lookback
        o.horizon = settings.horizon
        o.split = base.split
        if let samples { o.samples = samples }
        o.lags = settings.parsedLags()
        o.scaling = settings.scaling
        o.calibrateSpread = !settings.noSpreadCalibration
        for c in base.features + base.knownFuture where !o.covariates.contains(c) { o.covariates.append(c) }
        if let c = settings.calendar {
            if c.lowercased() == "none" { o.timeFeatures = false } else { o.calendar = base.calendar }
        }
        var t = base.training
        t.epochs = 40
        t.batchSize = 64
        t.patience = 8
        o.training = t
        o.epochs = settings.epochs
        o.batchSize = settings.batch
        o.patience = settings.patience
        o.windowsPerEpoch = settings.windowsPerEpoch
        return o
    }

    static func train(input: DataOptions, settings: ModelOptions, options: AutoregressiveOptions, out: String,
                      checkpoint: String?, resume: Bool, json: Bool, quiet: Bool) throws {
        guard settings.target.count == 1 else { throw CLIError.data("--model deepar forecasts one --target column") }
        let start = Date()
        let set = try input.load()
        let reporter = ProgressReporter(json: json, quiet: quiet)
        reporter.preamble = "read \(input.data): \(set.rowCount) rows, \(set.series.count) series, frequency \(set.frequency.map { "\($0)" } ?? "row order")"
        let model = try AutoregressiveForecaster.fit(set, target: settings.target[0], options: options, dataFile: input.data,
                                                     checkpointPath: checkpoint, resume: resume, onEvent: reporter.handle)
        try model.save(to: out)
        let spec = model.spec, seconds = Date().timeIntervalSince(start)
        if json {
            var obj: [String: Any] = ["event": "done", "model": out, "family": ModelFamily.autoregressive.rawValue, "likelihood": spec.likelihood.rawValue,
                                      "seconds": seconds, "context": spec.context, "horizon": spec.horizon, "season": spec.seasonLength,
                                      "epochs": model.provenance?.history.count ?? 0]
            if let m = model.provenance?.testMetrics {
                obj["test_mase"] = m.model.mase
                obj["test_crps"] = m.model.distribution?.crps ?? NSNull()
                obj["seasonal_naive_crps"] = m.seasonalNaive.distribution?.crps ?? NSNull()
            }
            Output.json(obj)
        } else if !quiet {
            Output.note("deepar (\(spec.likelihood.rawValue)): context \(spec.context), horizon \(spec.horizon), season \(spec.seasonLength), \(model.model.layout.parameterCount) parameters, \(spec.samples) sample paths")
            if let i = spec.inputs { Output.note("inputs per step: \(AutoregressiveCLI.describe(i))") }
            if let m = model.provenance?.testMetrics, let d = m.model.distribution, let r = m.seasonalNaive.distribution {
                Output.note("test split (\(m.windows) origins): CRPS \(Output.format(d.crps)) (seasonal naive \(Output.format(r.crps))), MASE \(Output.format(m.model.mase))")
            }
            Output.note("saved \(out) in \(Output.duration(seconds))")
        }
    }

    /// `forecast predict`: quantiles (`--level`) and the median as CSV, or with `--samples N`
    /// the paths in long format `series,time,sample,value`.
    static func predict(_ m: AutoregressiveForecaster, input: DataOptions, out: String?, levels: [Double], samples: Int?) throws {
        BLASRuntime.setThreads(1)
        let set = try input.load()
        let q = levels.flatMap { l -> [Float] in let b = QuantileLevels.bounds(percent: l); return [b.lower, b.upper] }
        let forecasts = try m.predict(set, samples: samples, levels: q.isEmpty ? nil : q, workers: defaultWorkers(), onNote: { Output.note($0) })
        let text: String
        if samples != nil {
            var lines = [[ForecastCSV.quote(m.spec.seriesKey ?? "series"), ForecastCSV.quote(m.spec.timeColumn ?? "step"), "sample", ForecastCSV.quote(m.spec.target)].joined(separator: ",")]
            for f in forecasts {
                for (i, path) in (f.samples ?? []).enumerated() {
                    for (h, label) in f.labels.enumerated() where h < path.count {
                        lines.append([ForecastCSV.quote(f.key ?? ""), ForecastCSV.quote(label), String(i), ForecastCSV.number(path[h][0])].joined(separator: ","))
                    }
                }
            }
            text = lines.joined(separator: "\n") + "\n"
        } else {
            text = ForecastCSV.render(forecasts, seriesKey: m.spec.seriesKey, timeColumn: m.spec.timeColumn, levels: levels,
                                      longFormat: ForecastCSV.isLongFormat(input, seriesKey: m.spec.seriesKey))
        }
        if let out {
            try AtomicFile.write(text, to: out)
            Output.note("wrote \(forecasts.count) series x \(m.spec.horizon) steps\(samples.map { " x \($0) samples" } ?? "") to \(out)")
        } else {
            print(text, terminator: "")
        }
    }

    /// The inputs per step in words, e.g. `y[t-1], y[t-12], Temperature, doy sin/cos`.
    static func describe(_ i: AutoregressiveInputs) -> String {
        var parts = ["y[t-1]"] + i.lags.map { "y[t-\($0)]" } + i.covariates
        parts += i.calendar.map { "\($0.rawValue) sin/cos" }
        if let p = i.phasePeriod { parts.append("phase of \(p) rows sin/cos") }
        return parts.joined(separator: ", ")
    }

    static func evaluate(_ m: AutoregressiveForecaster, input: DataOptions, json: Bool, perSeries: PerSeriesOutput = PerSeriesOutput()) throws {
        BLASRuntime.setThreads(1)
        let set = try input.load()
        try EvaluateCommand.print(try m.evaluate(set, workers: defaultWorkers()), source: input.data, json: json, perSeries: perSeries,
                                  windows: "origins", detail: ", \(m.spec.samples) sample paths each", notes: false)
    }

    static func inspect(_ m: AutoregressiveForecaster, model: String, json: Bool) throws {
        let spec = m.spec
        if json {
            struct Doc: Encodable { let family: String; let config: AutoregressiveSpec; let provenance: Provenance?; let parameters: Int }
            Output.json(encodable: Doc(family: ModelFamily.autoregressive.rawValue, config: spec, provenance: m.provenance,
                                       parameters: m.model.layout.parameterCount), pretty: true)
            return
        }
        let rc = spec.model.regressor.recurrent
        print("model:        \(model)")
        print("family:       \(ModelFamily.autoregressive)")
        print("architecture: \(rc.cell.rawValue), \(rc.numLayers) layer(s) x \(rc.hiddenSize) hidden, head \(rc.outputSize) -> \(spec.model.regressor.outputs) per step")
        print("parameters:   \(m.model.layout.parameterCount) in \(m.model.layout.entries.count) tensors")
        print("likelihood:   \(spec.likelihood.rawValue), \(spec.samples) sample paths, seed \(spec.seed)")
        print("window:       context \(spec.context), horizon \(spec.horizon)")
        if let i = spec.inputs { print("inputs:       \(describe(i)), \(i.scaling.rawValue) scaling") }
        if let f = spec.spread { print("spread:       x\(f.map { String(format: "%.2f", $0) }.joined(separator: " "))") }
        print("target:       \(spec.target)")
        print("time:         \(spec.timeColumn ?? "row order")\(spec.frequency.map { ", frequency \($0)" } ?? ""), season \(spec.seasonLength)")
        if let key = spec.seriesKey { print("series key:   \(key)") }
        if let p = m.provenance {
            print("trained:      \(p.createdAt) by forecast \(p.forecastVersion), seed \(p.training.seed)")
            print(InspectLines.windows(train: p.trainWindows, validation: p.validationWindows, test: p.testWindows))
            if let line = InspectLines.epochs(p.history, best: p.bestEpoch) { print(line) }
            if let r = p.testMetrics { print(InspectLines.table("test metrics:", EvaluateCommand.table(r))) }
        }
    }

    /// `forecast plot`: history, the fan chart of the forecast (50/80/95%) and the reliability
    /// diagram of the test split.
    static func plot(_ m: AutoregressiveForecaster, input: DataOptions, out: String, series key: String?) throws {
        BLASRuntime.setThreads(1)
        let set = try input.load()
        var s = 0
        if let key {
            guard let i = set.series.firstIndex(where: { $0.key == key }) else { throw CLIError.data("\(input.data): no series '\(key)'") }
            s = i
        }
        let svg = try ForecastPlot.render(m, set, series: s)
        try AtomicFile.write(svg, to: out)
        Output.note("wrote \(out)")
    }
}
