import ArgumentParser
import Foundation
import Forecast

/// What `forecast train --model seq2seq`, `predict`, `evaluate` and `plot --attention` do for
/// seq2seq models (docs/seq2seq.md). The commands parse their flags and call these functions;
/// errors are thrown (data problems: `DataError`, model files: `ModelArchive.ArchiveError`)
/// and printed by `main` as one line.
enum Seq2SeqCLI {
    /// `forecast train --model seq2seq`: trains on `input` with the shared `settings`
    /// (`settings.model` is ignored: the encoder cell is `cell`) and writes `out`.
    ///
    /// - Parameters:
    ///   - cell: encoder (and, unless `decoderCell` is given, decoder) cell: `lstm` or `gru`.
    ///   - attention: `additive` (default), `luong` or `none`.
    ///   - teacherForcing: a schedule (``TeacherForcingSchedule/init(parsing:)``): `teacher`,
    ///     `free`, `constant:P`, `linear[:MAX[:EPOCHS]]` (default `linear:0.5:10`),
    ///     `inverse-sigmoid[:K]`.
    ///
    /// `settings.calendar` (`--calendar hour,dow,doy`) features go to the encoder and, for the
    /// forecast steps' timestamps, to the decoder; `settings.knownFuture` columns likewise.
    static func train(input: DataOptions, settings: ModelOptions, options: Seq2SeqOptions,
                      out: String, checkpoint: String? = nil, resume: Bool = false, json: Bool = false, quiet: Bool = false) throws {
        let start = Date()
        let set = try input.load()
        try TrainingBudget.checkSeries(set, targets: settings.target, options: options.base)
        let reporter = ProgressReporter(json: json, quiet: quiet)
        let freq = set.frequency.map { "\($0)" } ?? "row order"
        var preamble = "read \(input.data): \(set.rowCount) rows, \(set.series.count) series, frequency \(freq)"
        if let note = MissingReport.describe(set, columns: settings.target + splitList(settings.features) + splitList(settings.knownFuture),
                                             policy: options.base.missing) {
            preamble += "\n" + note
        }
        reporter.preamble = preamble
        let model = try Seq2SeqForecaster.fit(set, targets: settings.target, options: options, dataFile: input.data,
                                              checkpointPath: checkpoint, resume: resume, onEvent: reporter.handle)
        try model.save(to: out)
        let spec = model.spec
        let seconds = Date().timeIntervalSince(start)
        if json {
            var obj: [String: Any] = ["event": "done", "model": out, "architecture": "seq2seq", "seconds": seconds,
                                      "lookback": spec.window.lookback, "horizon": spec.window.horizon, "season": spec.seasonLength,
                                      "attention": spec.model.attention.rawValue, "teacher_forcing": spec.teacherForcing.description,
                                      "epochs": model.provenance?.history.count ?? 0]
            if let m = model.provenance?.testMetrics {
                obj["test_mase"] = m.model.mase
                obj["seasonal_naive_mase"] = m.seasonalNaive.mase
            }
            Output.json(obj)
        } else if !quiet {
            let future = spec.futureInputNames.isEmpty ? "none" : spec.futureInputNames.joined(separator: ", ")
            Output.note("seq2seq: lookback \(spec.window.lookback), horizon \(spec.window.horizon), season \(spec.seasonLength), encoder \(spec.model.encoder.cell.rawValue) \(spec.model.encoder.hiddenSize)x\(spec.model.encoder.numLayers)\(spec.model.encoder.bidirectional ? " bidirectional" : ""), decoder \(spec.model.decoderCell.rawValue) \(spec.model.decoderHidden), \(spec.model.attention.rawValue) attention, bridge \(spec.model.bridge.rawValue), decoder covariates: \(future), \(model.model.layout.parameterCount) parameters")
            if let m = model.provenance?.testMetrics {
                Output.note("test split (\(m.windows) windows): MASE \(Output.format(m.model.mase)) (seasonal naive \(Output.format(m.seasonalNaive.mase)), naive \(Output.format(m.naive.mase)), drift \(Output.format(m.drift.mase)))")
            }
            Output.note("saved \(out) in \(Output.duration(seconds))")
        }
    }

    /// `forecast predict` with a seq2seq model file: forecasts (CSV to `out` or stdout, same
    /// columns as direct models) and, with `attentionOut`, the attention weights as CSV:
    /// `[series,]forecast_step,forecast_time,input_step,input_time,weight`, one row per
    /// (forecast step, input step). Known-future covariates for the forecast steps are read from
    /// trailing rows with empty targets (see docs/seq2seq.md); notes go to stderr.
    static func predict(_ m: Seq2SeqForecaster, model: String, input: DataOptions, out: String?, attentionOut: String?) throws {
        BLASRuntime.setThreads(1)
        let set = try input.load()
        if let note = MissingReport.describe(set, columns: m.spec.window.inputColumns, policy: m.spec.missing == .drop ? .error : m.spec.missing) {
            Output.note(note)
        }
        if set.timeColumn == nil, let t = m.spec.timeColumn, input.time == nil {
            throw CLIError.data("\(input.data): the model was trained with time column '\(t)', but this file has none")
        }
        let prediction = try m.predict(set)
        for n in prediction.notes { Output.note("note: \(n)") }
        let csv = ForecastCSV.render(prediction.forecasts, seriesKey: m.spec.seriesKey, timeColumn: m.spec.timeColumn)
        if let out {
            try AtomicFile.write(csv, to: out)
            Output.note("wrote \(prediction.forecasts.count) series x \(m.spec.window.horizon) steps to \(out)")
        } else {
            print(csv, terminator: "")
        }
        if let attentionOut {
            guard m.spec.model.attention != .none else {
                throw CLIError.data("\(model): the model was trained with --attention none: there are no attention weights to write")
            }
            try AtomicFile.write(attentionCSV(prediction, seriesKey: m.spec.seriesKey), to: attentionOut)
            Output.note("wrote attention weights (\(m.spec.window.horizon) forecast steps x \(m.spec.window.lookback) input steps) to \(attentionOut)")
        }
    }

    /// Attention weights in long format.
    static func attentionCSV(_ p: Seq2SeqPrediction, seriesKey: String?) -> String {
        let keyed = p.forecasts.contains { $0.key != nil }
        var lines = [(keyed ? [ForecastCSV.quote(seriesKey ?? "series")] : []) + ["forecast_step", "forecast_time", "input_step", "input_time", "weight"]]
            .map { $0.joined(separator: ",") }
        for (s, f) in p.forecasts.enumerated() where s < p.attention.count {
            for (k, row) in p.attention[s].enumerated() {
                for (j, w) in row.enumerated() {
                    var cells: [String] = keyed ? [ForecastCSV.quote(f.key ?? "")] : []
                    let inputLabel = j < p.inputLabels[s].count ? p.inputLabels[s][j] : ""
                    cells += [String(k + 1), ForecastCSV.quote(k < f.labels.count ? f.labels[k] : ""),
                              String(j - row.count + 1), ForecastCSV.quote(inputLabel), String(format: "%.6g", Double(w))]
                    lines.append(cells.joined(separator: ","))
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `forecast evaluate` with a seq2seq model file: the same table / JSON object as direct models.
    static func evaluate(_ m: Seq2SeqForecaster, model: String, input: DataOptions, json: Bool, perSeries: PerSeriesOutput = PerSeriesOutput()) throws {
        let set = try input.load()
        try EvaluateCommand.print(try m.evaluate(set), source: input.data, json: json, perSeries: perSeries,
                                  detail: " (seq2seq, \(m.spec.model.attention.rawValue) attention, free running)")
    }

    /// `forecast plot --attention`: the attention heat map of the forecast past the end of
    /// `input` for one series (by key; default the first), as SVG.
    static func plotAttention(_ m: Seq2SeqForecaster, model: String, input: DataOptions, out: String, series: String? = nil) throws {
        let set = try input.load()
        var s = 0
        if let key = series {
            guard let i = set.series.firstIndex(where: { $0.key == key }) else {
                throw CLIError.data("\(input.data): no series '\(key)'; series are \(set.series.compactMap(\.key).prefix(10).joined(separator: ", "))")
            }
            s = i
        }
        let svg = try m.attentionSVG(set, series: s)
        try AtomicFile.write(svg, to: out)
        Output.note("wrote \(out)")
    }

    /// `forecast inspect` with a seq2seq model file: architecture, tensors, columns, teacher
    /// forcing, provenance and test metrics (`json`: config and provenance as one JSON document).
    static func inspect(_ m: Seq2SeqForecaster, model: String, json: Bool) throws {
        let spec = m.spec, c = spec.model
        if json {
            struct Doc: Encodable { let family: String; let config: Seq2SeqSpec; let provenance: Seq2SeqProvenance?; let parameters: Int; let tensors: [String: [Int]] }
            let tensors = Dictionary(uniqueKeysWithValues: m.model.layout.entries.map { ($0.name, $0.shape.dims) })
            Output.json(encodable: Doc(family: ModelFamily.seq2seq.rawValue, config: spec, provenance: m.provenance, parameters: m.model.layout.parameterCount, tensors: tensors), pretty: true)
            return
        }
        let e = c.encoder
        print("model:        \(model)")
        print("family:       \(ModelFamily.seq2seq)")
        print("architecture: seq2seq: encoder \(e.cell.rawValue) \(e.numLayers) layer(s) x \(e.hiddenSize)\(e.bidirectional ? ", bidirectional" : "")\(e.dropout > 0 ? ", dropout \(e.dropout)" : ""); bridge \(c.bridge.rawValue); decoder \(c.decoderCell.rawValue) x \(c.decoderHidden); \(c.attention.rawValue) attention\(c.attention == .additive ? " (size \(c.attentionSize))" : ""); head \(c.headInputSize) -> \(c.stepOutputs) per step")
        print("parameters:   \(m.model.layout.parameterCount) in \(m.model.layout.entries.count) tensors")
        for t in m.model.layout.entries { print("  \(t.name.padding(toLength: 30, withPad: " ", startingAt: 0)) \(t.shape)") }
        print("loss:         \(spec.loss.name)")
        print("window:       lookback \(spec.window.lookback), horizon \(spec.window.horizon)\(spec.levelNormalization ? ", level-normalised" : "")")
        print("targets:      \(spec.window.targets.joined(separator: ", "))")
        print("encoder in:   \(spec.inputNames.joined(separator: ", "))")
        print("decoder in:   fed-back targets\(spec.futureInputNames.isEmpty ? "" : ", " + spec.futureInputNames.joined(separator: ", "))\(c.attention == .none ? "" : ", context")")
        print("teacher forcing: \(spec.teacherForcing.description) (free running at inference)")
        print("time:         \(spec.timeColumn ?? "row order")\(spec.frequency.map { ", frequency \($0)" } ?? ""), season \(spec.seasonLength)")
        if let key = spec.seriesKey { print("series key:   \(key)") }
        print("missing:      \(spec.missing.rawValue)")
        if let p = m.provenance {
            print("trained:      \(p.createdAt) by forecast \(p.forecastVersion), seed \(p.training.seed), \(Output.duration(p.seconds))")
            print("data:         \(p.dataFile) (\(p.rows) rows, \(p.series) series\(p.dataSHA256.isEmpty ? "" : ", sha256 \(p.dataSHA256.prefix(16))…"))")
            print(InspectLines.windows(train: p.trainWindows, validation: p.validationWindows, test: p.testWindows))
            if let line = InspectLines.epochs(p.history, best: p.bestEpoch) { print(line) }
            if let r = p.testMetrics { print(InspectLines.table("test metrics:", EvaluateCommand.table(r))) }
        }
    }


}
