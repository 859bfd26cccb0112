import ArgumentParser
import Foundation
import Forecast

/// `forecast train`: fit a model on a CSV file and save it.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a recurrent forecaster on a CSV file and save it as a model file.",
        discussion: """
        Only --data, --target and --out are required: the time column, frequency, season, lookback
        (two seasons) and horizon (one season) are inferred. The last --test-fraction of every
        series is held out and scored against naive, seasonal-naive and drift forecasts.

        Examples:
          forecast train --data air_passengers.csv --target value --out air.safetensors
          forecast train --grid --data radar.csv --value rain_mmh --in-frames 10 --out-frames 10 --out radar.safetensors

        With --grid the file is gridded long-format data (time,y,x,value) and the model is a
        ConvLSTM encoder-forecaster (see docs/nowcasting.md).
        """)

    @OptionGroup var input: DataOptions
    @OptionGroup var settings: ModelOptions
    @OptionGroup var grid: GridOptions

    @OptionGroup var seq2seq: Seq2SeqArguments

    @Option(help: ArgumentHelp("The model file to write (safetensors).", valueName: "file"))
    var out: String

    @Option(name: .customLong("checkpoint-dir"), help: ArgumentHelp("Write a checkpoint there after every epoch (checkpoint.safetensors).", valueName: "dir"))
    var checkpointDir: String?

    @Option(help: ArgumentHelp("Continue an interrupted run from this checkpoint (same data and settings).", valueName: "checkpoint"))
    var resume: String?

    @Flag(help: "Print progress and the result as JSON lines.")
    var json = false

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    mutating func validate() throws {
        if let d = checkpointDir, resume != nil, d.isEmpty { throw ValidationError("--checkpoint-dir is empty") }
        try InputFiles.checkOutput(out, inputs: [input.data] + (resume.map { [$0] } ?? []))
        if let d = checkpointDir { try InputFiles.checkFolder(d, option: "--checkpoint-dir") }
        if grid.grid { try TrainingBudget.checkGrid(settings: settings, grid: grid) }
        if !grid.grid {
            try settings.requireTarget(data: input.data)
            try grid.rejectWithoutGrid()
        }
        if settings.model == .seq2seq {
            try seq2seq.check()
        }
        if settings.modelChoice == nil, checkpointDir != nil || resume != nil { settings.model = .recurrent(.lstm) }
        if settings.model == .eshybrid, !grid.grid, checkpointDir != nil || resume != nil {
            throw ValidationError("--checkpoint-dir and --resume are not supported with --model eshybrid")
        }
        if settings.model == .auto, !grid.grid, checkpointDir != nil || resume != nil {
            throw ValidationError("--checkpoint-dir and --resume are not supported with --model auto (an ensemble trains several members)")
        }
    }

    /// Where checkpoints go: `--resume FILE` continues that file, `--checkpoint-dir D` writes
    /// `D/checkpoint.safetensors` (the folder is created).
    func checkpointPath() throws -> String? {
        if let r = resume {
            guard FileManager.default.fileExists(atPath: r) else { throw CLIError.data("\(r): no such checkpoint") }
            return r
        }
        guard let dir = checkpointDir else { return nil }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return (dir as NSString).appendingPathComponent("checkpoint.safetensors")
    }

    func run() throws {
        var settings = self.settings
        InputFiles.prepareOutput(out, quiet: quiet)
        let checkpoint = try checkpointPath()
        if grid.grid {
            try GridCLI.train(data: input.data, options: GridCLI.options(settings: settings, grid: grid), out: out,
                              checkpoint: checkpoint, resume: resume != nil, json: json, quiet: quiet)
            return
        }
        if settings.model == .deepar {
            try AutoregressiveCLI.train(input: input, settings: settings,
                                        options: AutoregressiveCLI.options(settings: settings, likelihood: settings.likelihood ?? .gaussian, samples: settings.samples),
                                        out: out, checkpoint: checkpoint, resume: resume != nil, json: json, quiet: quiet)
            return
        }
        if settings.model == .seq2seq {
            try Seq2SeqCLI.train(input: input, settings: settings, options: seq2seq.options(settings: settings), out: out,
                                 checkpoint: checkpoint, resume: resume != nil, json: json, quiet: quiet)
            return
        }
        if settings.model == .eshybrid {
            try ESHybridCLI.train(input: input, settings: settings, out: out, json: json, quiet: quiet)
            return
        }
        let start = Date()
        var loaded: (TimeSeriesSet, StaticSpec?)? = nil
        if settings.model == .auto {
            // Without --model the data may pick the LSTM (intermittent series, ModelOptions.chooseModel).
            let set = try input.load()
            if settings.modelChoice == nil { settings.chooseModel(for: set) }
            if settings.model == .auto {
                try EnsembleCLI.train(input: input, settings: settings, set: set, out: out, json: json, quiet: quiet)
                return
            }
            if input.staticFile == nil { loaded = (set, nil) }
        }
        let (set, statics) = try loaded ?? input.loadTrainingSet(statics: splitList(settings.statics))
        var options = settings.forecasterOptions(for: set)
        options.statics = statics
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
        let forecaster = try Forecaster.fit(set, targets: settings.target, options: options, dataFile: input.data,
                                            checkpointPath: checkpoint, resume: resume != nil, onEvent: reporter.handle)
        try forecaster.save(to: out)
        let spec = forecaster.spec
        let seconds = Date().timeIntervalSince(start)
        if json {
            var obj: [String: Any] = ["event": "done", "model": out, "seconds": seconds, "lookback": spec.window.lookback,
                                      "horizon": spec.window.horizon, "season": spec.seasonLength,
                                      "epochs": forecaster.provenance?.history.count ?? 0]
            if let m = forecaster.provenance?.testMetrics {
                obj["test_mase"] = m.model.mase
                obj["seasonal_naive_mase"] = m.seasonalNaive.mase
            }
            Output.json(obj)
        } else if !quiet {
            Output.note("lookback \(spec.window.lookback), horizon \(spec.window.horizon), season \(spec.seasonLength), \(spec.inputNames.count) inputs, \(forecaster.model.layout.parameterCount) parameters")
            if let m = forecaster.provenance?.testMetrics {
                Output.note("test split (\(m.windows) windows): MASE \(Output.format(m.model.mase)) (seasonal naive \(Output.format(m.seasonalNaive.mase)), naive \(Output.format(m.naive.mase)), drift \(Output.format(m.drift.mase)))")
            }
            Output.note("saved \(out) in \(Output.duration(seconds))")
        }
    }
}
