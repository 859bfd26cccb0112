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

        For a --grid (ConvLSTM) model, writes the forecast frames in the input's long format
        (time,y,x,value).

        By default the model's direct multi-output forecast is used (all horizon steps at once);
        --recursive instead predicts one step, feeds it back as an observation and repeats, which
        also reaches past the trained horizon with --steps.

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

    @Flag(help: "Feed predictions back one step at a time instead of the direct multi-step forecast (models without covariates).")
    var recursive = false

    @Option(help: ArgumentHelp("With --recursive: steps to forecast (default: the model's horizon).", valueName: "n"))
    var steps: Int?

    func validate() throws {
        if steps != nil && !recursive { throw ValidationError("--steps needs --recursive") }
        if let n = steps, n < 1 { throw ValidationError("--steps must be at least 1") }
        try OptionLimits.require([("--steps", steps, WindowLimits.recursiveSteps)])
    }

    func run() throws {
        let path = try ModelRegistry.resolveModelPath(model)
        let forecaster: Forecaster
        for (option, file) in [("--out", out), ("--attention-out", attentionOut)] {
            if let file { try InputFiles.checkOutput(file, option: option, inputs: [path, input.data]) }
        }
        InputFiles.noteModel(path)
        switch try AnyModel.load(from: path) {
        case .nowcast(let m):
            try GridCLI.predict(model: m, data: input.data, out: out)
            return
        case .seq2seq(let m):
            try Seq2SeqCLI.predict(m, model: path, input: input, out: out, attentionOut: attentionOut)
            return
        case .ensemble(let m):
            if attentionOut != nil { throw CLIError.data("\(model): --attention-out needs a seq2seq model") }
            try EnsembleCLI.predict(m, input: input, out: out, recursive: recursive)
            return
        case .recurrent(let m):
            forecaster = m
        }
        if attentionOut != nil { throw CLIError.data("\(model): --attention-out needs a seq2seq model") }
        BLASRuntime.setThreads(1)
        let set = try input.load()
        if let note = MissingReport.describe(set, columns: forecaster.spec.window.inputColumns, policy: forecaster.spec.missing == .drop ? .error : forecaster.spec.missing) {
            Output.note(note)
        }
        if set.timeColumn == nil, forecaster.spec.timeColumn != nil, input.time == nil {
            throw CLIError.data("\(input.data): the model was trained with time column '\(forecaster.spec.timeColumn!)', but this file has none")
        }
        let forecasts = recursive ? try forecaster.predictRecursive(set, steps: steps) : try forecaster.predict(set)
        let csv = ForecastCSV.render(forecasts, seriesKey: forecaster.spec.seriesKey, timeColumn: forecaster.spec.timeColumn)
        if let out {
            try AtomicFile.write(csv, to: out)
            Output.note("wrote \(forecasts.count) series x \(forecaster.spec.window.horizon) steps to \(out)")
        } else {
            print(csv, terminator: "")
        }
    }
}

/// Forecast tables as CSV text.
enum ForecastCSV {
    static func render(_ forecasts: [SeriesForecast], seriesKey: String?, timeColumn: String?) -> String {
        guard let first = forecasts.first else { return "" }
        var header: [String] = []
        let keyed = forecasts.contains { $0.key != nil }
        if keyed { header.append(seriesKey ?? "series") }
        header.append(timeColumn ?? "step")
        for t in first.targets {
            header.append(t)
            if first.lower != nil { header.append("\(t)_lower"); header.append("\(t)_upper") }
        }
        var lines = [header.map(quote).joined(separator: ",")]
        for f in forecasts {
            for (h, label) in f.labels.enumerated() where h < f.values.count {
                var row: [String] = []
                if keyed { row.append(quote(f.key ?? "")) }
                row.append(quote(label))
                for p in 0..<f.targets.count {
                    row.append(number(f.values[h][p]))
                    if let lo = f.lower, let hi = f.upper { row.append(number(lo[h][p])); row.append(number(hi[h][p])) }
                }
                lines.append(row.joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func number(_ v: Float) -> String {
        v.isFinite ? String(format: "%.6g", Double(v)) : ""
    }

    static func quote(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
