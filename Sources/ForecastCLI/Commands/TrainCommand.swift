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

    @Option(help: ArgumentHelp("With --model seq2seq: attention additive (Bahdanau), luong (general) or none.", valueName: "kind"))
    var attention: String = "additive"

    @Option(name: .customLong("teacher-forcing"), help: ArgumentHelp("With --model seq2seq: scheduled sampling, e.g. linear (default), linear:0.5:10, inverse-sigmoid, constant:P.", valueName: "schedule"))
    var teacherForcing: String = "linear"

    @Option(help: ArgumentHelp("With --model seq2seq: encoder (and decoder) cell, lstm or gru.", valueName: "cell"))
    var cell: String = "lstm"

    @Option(name: .customLong("decoder-hidden"), help: ArgumentHelp("With --model seq2seq: decoder hidden units (default: the encoder's).", valueName: "n"))
    var decoderHidden: Int?

    @Option(name: .customLong("attention-size"), help: ArgumentHelp("With --model seq2seq: additive attention width.", valueName: "n"))
    var attentionSize: Int?

    @Option(help: ArgumentHelp("With --model seq2seq: encoder-to-decoder state bridge, identity, sum or linear.", valueName: "kind"))
    var bridge: String?

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

    func validate() throws {
        if let d = checkpointDir, resume != nil, d.isEmpty { throw ValidationError("--checkpoint-dir is empty") }
        try InputFiles.checkOutput(out, inputs: [input.data] + (resume.map { [$0] } ?? []))
        if let d = checkpointDir { try InputFiles.checkFolder(d, option: "--checkpoint-dir") }
        if grid.grid { try TrainingBudget.checkGrid(settings: settings, grid: grid) }
        if grid.grid {
            if checkpointDir != nil || resume != nil { throw ValidationError("--checkpoint-dir and --resume are not available with --grid") }
        } else {
            try settings.requireTarget()
            try grid.rejectWithoutGrid()
        }
        if settings.model == "seq2seq" {
            try Seq2SeqCLI.validate(cell: cell, attention: attention, teacherForcing: teacherForcing, decoderHidden: decoderHidden,
                                    attentionSize: attentionSize, bridge: bridge)
            if checkpointDir != nil || resume != nil { throw ValidationError("--checkpoint-dir and --resume are not available with --model seq2seq") }
        }
    }

    func run() throws {
        InputFiles.prepareOutput(out, quiet: quiet)
        if grid.grid {
            let layers = settings.layers ?? 2
            try GridCLI.train(data: input.data, value: grid.value, inFrames: grid.inFrames, outFrames: grid.outFrames,
                              hidden: settings.hidden.map { Array(repeating: $0, count: layers) } ?? (settings.layers.map { Array(repeating: 32, count: $0) }),
                              kernel: grid.kernel, patch: grid.patch, epochs: settings.epochs, batch: settings.batch, lr: settings.lr,
                              patience: settings.patience, workers: settings.workers, seed: settings.seed,
                              valFraction: settings.valFraction, testFraction: settings.testFraction,
                              output: grid.output, transform: grid.transform, out: out, json: json, quiet: quiet)
            return
        }
        if settings.model == "seq2seq" {
            try Seq2SeqCLI.train(input: input, settings: settings, cell: cell, attention: attention, teacherForcing: teacherForcing,
                                 decoderHidden: decoderHidden, attentionSize: attentionSize, bridge: bridge, out: out, json: json, quiet: quiet)
            return
        }
        let start = Date()
        let set = try input.load()
        let options = settings.forecasterOptions()
        try TrainingBudget.checkSeries(set, targets: settings.target, options: options)
        let reporter = ProgressReporter(json: json, quiet: quiet)
        let freq = set.frequency.map { "\($0)" } ?? "row order"
        var preamble = "read \(input.data): \(set.rowCount) rows, \(set.series.count) series, frequency \(freq)"
        if let note = MissingReport.describe(set, columns: settings.target + splitList(settings.features) + splitList(settings.knownFuture),
                                             policy: options.missing) {
            preamble += "\n" + note
        }
        reporter.preamble = preamble
        var checkpoint: String? = nil
        if let dir = checkpointDir {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            checkpoint = (dir as NSString).appendingPathComponent("checkpoint.safetensors")
        }
        if let r = resume {
            guard FileManager.default.fileExists(atPath: r) else { throw CLIError.data("\(r): no such checkpoint") }
            checkpoint = r
        }
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
