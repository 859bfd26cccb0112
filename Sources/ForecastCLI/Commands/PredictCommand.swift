import ArgumentParser
import Foundation
import Forecast
import ForecastRetraining

/// `forecast predict`: the next `horizon` steps after the end of a file.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Forecast the steps after the end of a CSV file with a trained model.",
        discussion: """
        Prints a table (or writes CSV with --out): one row per series and step, with timestamps
        continuing the data's frequency, the forecast of every target, and interval columns
        (<target>_lower, <target>_upper) when the model was trained with a gaussian or quantile loss.

        --level 80,95 adds the central prediction intervals of those levels as columns lo-95,
        lo-80, hi-80, hi-95 (<target>-lo-80 … with several targets), the naming of
        statsforecast/NeuralForecast: from a Gaussian head or conformal calibration (any level) or
        a quantile head (levels its quantiles bound, e.g. 0.1/0.9 for 80).

        For a --grid (ConvLSTM) model, writes the forecast frames in the input's long format
        (time,y,x,value).

        By default the model's direct multi-output forecast is used (all horizon steps at once);
        --recursive instead predicts one step, feeds it back as an observation and repeats, which
        also reaches past the trained horizon with --steps.

        --follow (recurrent models, one series) warms a stream on the file, then reads new rows
        from standard input (the file's columns, no header) and prints a forecast after each row
        at once (docs/deploy.md, "Streaming").

        Example:
          forecast predict --model air.safetensors --data air_passengers.csv --out next_year.csv
        """)

    @Option(help: ArgumentHelp("The model file, or a registry model folder REGISTRY/NAME (its current version).", valueName: "model"))
    var model: String

    @OptionGroup var input: DataOptions

    @Option(help: ArgumentHelp("Write the forecast as CSV to this file (atomically).", valueName: "file"))
    var out: String?

    @Option(name: .customLong("attention-out"), help: ArgumentHelp("For a seq2seq model: write the attention weights (series, step, input step, weight) as CSV.", valueName: "file"))
    var attentionOut: String?

    @Option(help: ArgumentHelp("Prediction interval levels in percent, comma-separated (e.g. 80,95): adds lo-<level> and hi-<level> columns.", valueName: "list"))
    var level: NumberList?

    @Option(help: ArgumentHelp("For a deepar model: write N sample paths per series in long format (series, time, sample, value).", valueName: "n"))
    var samples: Int?

    @Flag(help: "Feed predictions back one step at a time instead of the direct multi-step forecast (models without covariates).")
    var recursive = false

    @Option(help: ArgumentHelp("With --recursive: steps to forecast (default: the model's horizon).", valueName: "n"))
    var steps: Int?

    @Flag(help: "Read new rows from standard input after the file and print a forecast after each (recurrent models).")
    var follow = false

    func validate() throws {
        if follow && (recursive || out != nil || attentionOut != nil) { throw ValidationError("--follow prints to standard output; it does not combine with --recursive, --out or --attention-out") }
        if steps != nil && !recursive { throw ValidationError("--steps needs --recursive") }
        if let n = steps, n < 1 { throw ValidationError("--steps must be at least 1") }
        try OptionLimits.require([("--steps", steps, WindowLimits.recursiveSteps)])
        if let n = samples { try OptionLimits.require([("--samples", n, 1...100_000)]) }
        if let l = level {
            if l.values.contains(where: { !($0 > 0 && $0 < 100) }) { throw ValidationError("--level takes percentages strictly between 0 and 100, got \(l.defaultValueDescription)") }
            if recursive { throw ValidationError("--level needs the direct forecast (not --recursive)") }
        }
    }

    /// `--level` as sorted unique percentages.
    var levels: [Double] { Array(Set(level?.values ?? [])).sorted() }

    func run() throws {
        let path = try ModelRegistry.resolveModelPath(model)
        let forecaster: Forecaster
        for (option, file) in [("--out", out), ("--attention-out", attentionOut)] {
            if let file { try InputFiles.checkOutput(file, option: option, inputs: [path, input.data]) }
        }
        InputFiles.noteModel(path)
        let loaded = try AnyModel.load(from: path)
        if follow && loaded.family != .recurrent {
            throw CLIError.data("\(model): --follow needs a recurrent model (this is a \(loaded.family) model)")
        }
        switch loaded {
        case .nowcast(let m):
            try GridCLI.predict(model: m, data: input.data, out: out)
            return
        case .seq2seq(let m):
            if samples != nil || level != nil { throw CLIError.data("\(model): --samples and --level need a deepar or recurrent model (this one is \(ModelFamily.seq2seq))") }
            try Seq2SeqCLI.predict(m, model: path, input: input, out: out, attentionOut: attentionOut)
            return
        case .autoregressive(let m):
            if recursive || attentionOut != nil { throw CLIError.data("\(model): a deepar model forecasts by sampling; --recursive and --attention-out do not apply") }
            try AutoregressiveCLI.predict(m, input: input, out: out, levels: levels, samples: samples)
            return
        case .ensemble(let m):
            if samples != nil || follow { throw CLIError.data("\(model): --samples and --follow need a deepar or recurrent model (this one is an ensemble)") }
            if attentionOut != nil { throw CLIError.data("\(model): --attention-out needs a seq2seq model") }
            if !levels.isEmpty, m.conformal == nil {
                throw CLIError.data("\(model): --level needs a model with intervals: train the ensemble with --intervals conformal")
            }
            try EnsembleCLI.predict(m, input: input, out: out, recursive: recursive, levels: levels)
            return
        case .eshybrid(let m):
            if samples != nil || level != nil || follow { throw CLIError.data("\(model): --samples, --level and --follow need a deepar or recurrent model (this one is ES-hybrid)") }
            if attentionOut != nil { throw CLIError.data("\(model): --attention-out needs a seq2seq model") }
            try ESHybridCLI.predict(m, input: input, out: out, recursive: recursive)
            return
        case .recurrent(let m):
            forecaster = m
        }
        if samples != nil { throw CLIError.data("\(model): --samples needs a deepar model (this one is \(ModelFamily.recurrent))") }
        if attentionOut != nil { throw CLIError.data("\(model): --attention-out needs a seq2seq model") }
        BLASRuntime.setThreads(1)
        let set = try input.load(statics: forecaster.spec.statics)
        if let note = MissingReport.describe(set, columns: forecaster.spec.window.inputColumns, policy: forecaster.spec.missing == .drop ? .error : forecaster.spec.missing) {
            Output.note(note)
        }
        if set.timeColumn == nil, forecaster.spec.timeColumn != nil, input.time == nil {
            throw CLIError.data("\(input.data): the model was trained with time column '\(forecaster.spec.timeColumn!)', but this file has none")
        }
        if follow {
            if forecaster.spec.statics != nil { throw CLIError.data("\(model): --follow does not take a model with static covariates") }
            try FollowLoop.run(forecaster, set: set, data: input.data, delimiter: input.csvOptions.delimiter)
            return
        }
        let quantileLevels = levels.flatMap { l -> [Float] in let b = QuantileLevels.bounds(percent: l); return [b.lower, b.upper] }
        if !levels.isEmpty, forecaster.spec.loss.outputsPerTarget == 1, forecaster.conformal == nil {
            throw CLIError.data("\(model): --level needs a model with intervals: train it with --intervals conformal, --loss gaussian or --quantiles")
        }
        if let scaling = forecaster.spec.seriesScaling {
            let known = Set(scaling.keys)
            let unseen = set.series.enumerated().filter { !known.contains($1.key ?? "\($0)") }.count
            if unseen > 0 {
                Output.note("note: \(unseen) of \(set.series.count) series were not in the training file; each is scaled by the mean absolute value of its own rows")
            }
        }
        var forecasts: [SeriesForecast] = []
        do {
            // Many series on a terminal: forecast 1,024 series at a time (a multiple of the
            // 256-window inference chunk, so the numbers are the same) and draw a progress bar.
            let chunk = set.series.count > 2048 && Output.stderrIsTerminal ? 1024 : max(1, set.series.count)
            let bar = chunk < set.series.count ? SeriesProgress(total: set.series.count) : nil
            var start = 0
            repeat {
                var part = set
                if chunk < set.series.count { part.series = Array(set.series[start..<min(start + chunk, set.series.count)]) }
                forecasts += recursive ? try forecaster.predictRecursive(part, steps: steps)
                    : try forecaster.predict(part, levels: levels.isEmpty ? nil : quantileLevels)
                start += chunk
                bar?.update(min(start, set.series.count))
            } while start < set.series.count
            bar?.finish()
        } catch DataError.invalidArgument(let message) where !levels.isEmpty {
            throw CLIError.data("\(model): --level \(level!.defaultValueDescription): \(message)")
        }
        let csv = ForecastCSV.renderBytes(forecasts, seriesKey: forecaster.spec.seriesKey, timeColumn: forecaster.spec.timeColumn, levels: levels,
                                          longFormat: ForecastCSV.isLongFormat(input, seriesKey: forecaster.spec.seriesKey))
        if let out {
            try AtomicFile.write(csv, to: out)
            Output.note("wrote \(forecasts.count) series x \(forecaster.spec.window.horizon) steps to \(out)")
        } else {
            csv.withUnsafeBufferPointer { _ = fwrite($0.baseAddress, 1, $0.count, stdout) }
        }
    }
}

/// Forecast tables as CSV text.
enum ForecastCSV {
    /// `levels`: central interval levels in percent whose bounds are in each forecast's
    /// quantiles; written as `lo-95, lo-80, hi-80, hi-95` after the point (prefixed with
    /// `<target>-` when there are several targets).
    ///
    /// `longFormat` (the input was `unique_id, ds, y`): the ecosystem's forecast layout,
    /// `unique_id, ds, value[, lo-80, hi-80 …]` (a single target's column is `value`).
    static func render(_ forecasts: [SeriesForecast], seriesKey: String?, timeColumn: String?, levels: [Double] = [],
                       longFormat: Bool = false) -> String {
        String(decoding: renderBytes(forecasts, seriesKey: seriesKey, timeColumn: timeColumn, levels: levels, longFormat: longFormat),
               as: UTF8.self)
    }

    /// ``render(_:seriesKey:timeColumn:levels:longFormat:)`` as UTF-8 bytes, written straight
    /// into one buffer (numbers by ``DecimalWriter``; no `String` per cell).
    static func renderBytes(_ forecasts: [SeriesForecast], seriesKey: String?, timeColumn: String?, levels: [Double] = [],
                            longFormat: Bool = false) -> [UInt8] {
        guard let first = forecasts.first else { return [] }
        let long = longFormat && first.targets.count == 1
        let named: [(String, Double, Bool)] = levels.reversed().map { ("lo-" + QuantileLevels.key(percent: $0), $0, false) }
            + levels.map { ("hi-" + QuantileLevels.key(percent: $0), $0, true) }
        // Per level: the quantile index of each named bound in a forecast with these levels.
        func boundIndex(_ lv: [Float], _ percent: Double, upper: Bool) -> Int? {
            let b = QuantileLevels.bounds(percent: percent)
            let t = upper ? b.upper : b.lower
            return lv.firstIndex(where: { abs($0 - t) < 1e-4 })
        }
        var header: [String] = []
        let keyed = forecasts.contains { $0.key != nil }
        if keyed || long { header.append(long ? LongFormat.key : seriesKey ?? "series") }
        header.append(long ? LongFormat.time : timeColumn ?? "step")
        for t in (long ? ["value"] : first.targets) {
            header.append(t)
            if first.lower != nil { header.append("\(t)_lower"); header.append("\(t)_upper") }
            for (name, _, _) in named { header.append(first.targets.count > 1 ? "\(t)-\(name)" : name) }
        }
        var out: [UInt8] = []
        for (i, h) in header.enumerated() {
            if i > 0 { out.append(comma) }
            appendQuoted(h, to: &out)
        }
        // The rows of series `range`, each after a newline.
        func rows(_ range: Range<Int>, into out: inout [UInt8]) {
            out.reserveCapacity(range.count * (first.labels.count + 1) * (24 + 12 * first.targets.count * (1 + named.count)))
            for f in forecasts[range] {
                let boundIndices: [Int?] = named.map { n in f.quantileLevels.flatMap { boundIndex($0, n.1, upper: n.2) } }
                for (h, label) in f.labels.enumerated() where h < f.values.count {
                    out.append(newline)
                    if keyed || long { appendQuoted(f.key ?? "", to: &out); out.append(comma) }
                    appendQuoted(label, to: &out)
                    for p in 0..<f.targets.count {
                        out.append(comma); appendNumber(f.values[h][p], to: &out)
                        if let lo = f.lower, let hi = f.upper {
                            out.append(comma); appendNumber(lo[h][p], to: &out)
                            out.append(comma); appendNumber(hi[h][p], to: &out)
                        }
                        for k in boundIndices {
                            out.append(comma)
                            if let k, let q = f.quantiles { appendNumber(q[h][p][k], to: &out) }
                        }
                    }
                }
            }
        }
        // Many series: parts of about 512 series rendered on the worker pool, joined in order
        // (the bytes do not depend on the split).
        let parts = max(1, min(64, forecasts.count / 512))
        if parts == 1 {
            rows(0..<forecasts.count, into: &out)
        } else {
            var pieces = [[UInt8]](repeating: [], count: parts)
            pieces.withUnsafeMutableBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return }
                WorkerPool.forEach(parts, threads: ProcessInfo.processInfo.activeProcessorCount) { j in
                    rows(WorkerPool.chunk(j, of: parts, count: forecasts.count), into: &base[j])
                }
            }
            out.reserveCapacity(out.count + pieces.reduce(1) { $0 + $1.count })
            for piece in pieces { out.append(contentsOf: piece) }
        }
        out.append(newline)
        return out
    }

    static let comma = UInt8(ascii: ",")
    static let newline = UInt8(ascii: "\n")

    /// A CSV cell: the number's `%.6g`, nothing for NaN and ±inf.
    static func appendNumber(_ v: Float, to out: inout [UInt8]) {
        if v.isFinite { DecimalWriter.appendG6(v, to: &out) }
    }

    /// A CSV cell: `s`, in double quotes (inner quotes doubled) when it holds a delimiter,
    /// quote, CR or LF byte.
    static func appendQuoted(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { u in
            if u.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) {
                out.append(0x22)
                for b in u { if b == 0x22 { out.append(0x22) }; out.append(b) }
                out.append(0x22)
            } else {
                out.append(contentsOf: u)
            }
        }
    }

    /// Whether `input` is read as the long format (`unique_id, ds, y`, no --series-key or
    /// --time given) and the model keys its series by `unique_id`.
    static func isLongFormat(_ input: DataOptions, seriesKey: String?) -> Bool {
        input.seriesKey == nil && input.time == nil && input.step == nil && seriesKey == LongFormat.key && LongFormat.recognises(path: input.data)
    }

    static func number(_ v: Float) -> String {
        v.isFinite ? DecimalWriter.g6(v) : ""
    }

    static func quote(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
