import ArgumentParser
import Foundation
import Forecast
import MPIShim

/// `forecast-mpi train`: `forecast train` across MPI ranks, for every model family (the recurrent
/// regressor, `--model seq2seq`, `--grid`): all train through the one trainer, whose gradient
/// exchange this binds to MPI. Every rank reads the whole file and computes its share of every
/// minibatch's shards; gradients are combined in shard order, so the weights are bit-identical
/// to a single-process `forecast train` with the same settings. Rank 0 prints progress and
/// writes checkpoints and the model.
struct TrainMPI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train like 'forecast train', data-parallel across MPI ranks (mpirun -np N forecast-mpi train ...).")

    @Option var data: String
    @Option var target: [String] = []
    @Option var features: String?
    @Option(name: .customLong("series-key")) var seriesKey: String?
    @Flag(name: .customLong("shard-series"), help: "Each rank reads and holds only its series (series g, in order of first appearance, on rank g % ranks); 1, 2 or 3 ranks give bit-identical weights. Recurrent models (lstm, gru, rnn) on a file with a series key.")
    var shardSeries = false
    @Option(name: .customLong("windows-per-epoch"), help: "Draw this many training windows per epoch (seeded), as 'forecast train'.") var windowsPerEpoch: Int?
    @Option var time: String?
    @Option(help: "lstm, gru, rnn or seq2seq") var model: String = "lstm"
    @Flag(help: "Gridded data (time,y,x,value): a ConvLSTM nowcaster, as 'forecast train --grid'.") var grid = false
    @Option(name: .customLong("in-frames")) var inFrames: Int = 10
    @Option(name: .customLong("out-frames")) var outFrames: Int = 10
    @Option var patch: Int?
    @Option var kernel: Int = 3
    @Option var lookback: Int?
    @Option var horizon: Int?
    @Option var hidden: Int?
    @Option var layers: Int?
    @Option(help: "Default 60 (--grid 40).") var epochs: Int?
    @Option(help: "Default 32 (--grid 8).") var batch: Int?
    @Option(help: "Default 3e-3 (--grid 2e-3).") var lr: Float?
    @Option(help: "Default 10 (--grid 8); 0 disables early stopping.") var patience: Int?
    @Option(help: "Loss: mse, mae or huber. Default as 'forecast train': mse, or mae for a global model over intermittent series (docs/performance.md, \"Intermittent defaults\"; decided on every rank's series together with --shard-series).") var loss: String?
    @Flag(name: .customLong("level-norm"), inversion: .prefixedNo, help: "Subtract each window's last value (the default, except for intermittent series, as 'forecast train').")
    var levelNorm: Bool?
    @Option(name: .customLong("window-scaling"), help: "robust or none: per-window scaling as 'forecast train' (default robust for intermittent series without --level-norm/--no-level-norm).")
    var windowScaling: String?
    @Option(name: .customLong("lr-schedule"), help: "constant, step, cosine or plateau (default constant; cosine for intermittent series, as 'forecast train').")
    var lrSchedule: String?
    @Option var seed: UInt64 = 42
    @Option(help: "Dispatch workers per rank.") var workers: Int?
    @Option(help: "Shards per minibatch, across all ranks (must match the run you compare with).") var shards: Int = 4
    @Option(name: .customLong("checkpoint-dir")) var checkpointDir: String?
    @Option(help: "Resume from this checkpoint (any rank count).") var resume: String?
    @Option var out: String
    @Flag var quiet = false

    func validate() throws {
        if target.isEmpty && !grid { throw ValidationError("--target is required") }
        if CellKind(name: model) == nil && model != "seq2seq" { throw ValidationError("--model must be lstm, gru, rnn or seq2seq") }
        if shards < 1 { throw ValidationError("--shards must be at least 1") }
        if shardSeries && (grid || model == "seq2seq") { throw ValidationError("--shard-series trains the recurrent models (lstm, gru, rnn), not --grid or seq2seq") }
        if let w = windowsPerEpoch, w < 1 { throw ValidationError("--windows-per-epoch must be at least 1") }
        if let l = loss, !["mse", "mae", "huber"].contains(l) { throw ValidationError("--loss must be mse, mae or huber") }
        if let w = windowScaling, !["robust", "none"].contains(w) { throw ValidationError("--window-scaling must be robust or none") }
        if let name = lrSchedule, LearningRateSchedule(name: name) == nil { throw ValidationError("--lr-schedule must be constant, step, cosine or plateau") }
    }

    func run() throws {
        let exchange = MPIExchange()
        let rank = exchange.rank
        /// The flags given, over a family's default training settings.
        func training(_ defaults: TrainingConfig) -> TrainingConfig {
            var t = defaults
            if let epochs { t.epochs = epochs }
            if let batch { t.batchSize = batch }
            if let lr { t.learningRate = lr }
            if let patience { t.patience = patience > 0 ? patience : nil }
            if let workers { t.workers = workers }
            t.seed = seed
            t.shards = shards
            if let windowsPerEpoch { t.windowsPerEpoch = windowsPerEpoch }
            if let name = lrSchedule, let schedule = LearningRateSchedule(name: name) { t.schedule = schedule }
            return t
        }
        var checkpoint: String? = nil
        if let dir = checkpointDir {
            if rank == 0 { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
            checkpoint = (dir as NSString).appendingPathComponent("checkpoint.safetensors")
        }
        if let r = resume { checkpoint = r }
        let start = Date()
        let onEvent: (TrainingEvent) -> Void = { event in
            guard rank == 0, !quiet else { return }
            switch event {
            case let .epoch(r, epochs, _, rate, _):
                FileHandle.standardError.write(Data("epoch \(r.epoch)/\(epochs)  loss \(r.trainLoss)  val_loss \(r.validationLoss.map { "\($0)" } ?? "-")  \(Int(rate)) samples/s (all \(exchange.size) ranks)\n".utf8))
            case let .earlyStop(epoch, best, _):
                FileHandle.standardError.write(Data("early stop after epoch \(epoch), best epoch \(best)\n".utf8))
            default: break
            }
        }
        let trained: AnyModel
        if grid {
            var o = NowcastOptions()
            o.training = training(o.training)
            o.inFrames = inFrames
            o.outFrames = outFrames
            o.patch = patch
            o.kernel = kernel
            let L = layers ?? 2
            o.hidden = Array(repeating: hidden ?? 32, count: L)
            o.exchange = exchange.size > 1 ? exchange : nil
            o.writesCheckpoints = rank == 0
            let g = try GridData.read(path: data)
            trained = .nowcast(try Nowcaster.fit(g, options: o, dataFile: data, checkpointPath: checkpoint, resume: resume != nil, onEvent: onEvent))
        } else {
            var plan: SeriesShardPlan? = nil
            let set: TimeSeriesSet
            if shardSeries {
                // Only this rank's series are read; the plan maps them to the whole file's series order.
                guard let key = seriesKey ?? (LongFormat.recognises(path: data) ? LongFormat.key : nil) else {
                    throw ValidationError("--shard-series needs --series-key (or a long-format file with a unique_id column)")
                }
                let shard = try SeriesShardReader(path: data, keyColumn: key, rank: rank, ranks: exchange.size).read()
                guard shard.seriesCount >= exchange.size else {
                    throw ValidationError("--shard-series: \(data) holds \(shard.seriesCount) series, fewer than the \(exchange.size) ranks")
                }
                set = try TimeSeriesSet(table: shard.table, time: time.map { .column(.name($0)) } ?? .auto, seriesKey: .name(key))
                let global = try set.series.map { s -> Int in
                    guard let k = s.key, let g = shard.globalIndex[k] else { throw DataError.invalidArgument("\(data): series '\(s.key ?? "")' not found while sharding") }
                    return g
                }
                plan = SeriesShardPlan(exchange: exchange, globalSeries: global, seriesCount: shard.seriesCount)
                if !quiet {
                    FileHandle.standardError.write(Data("rank \(rank): holds \(set.series.count) of \(shard.seriesCount) series, \(set.rowCount) rows\n".utf8))
                }
            } else {
                let table = try CSVReader.read(path: data)
                set = try TimeSeriesSet(table: table, time: time.map { .column(.name($0)) } ?? .auto, seriesKey: seriesKey.map { .name($0) })
            }
            var options = ForecasterOptions()
            options.seriesShards = plan
            options.training = training(options.training)
            options.cell = CellKind(name: model) ?? .lstm
            options.hidden = hidden ?? 64
            options.layers = layers ?? 1
            options.lookback = lookback
            options.horizon = horizon
            options.features = features.map { $0.split(separator: ",").map(String.init) } ?? []
            options.missing = .interpolate
            options.exchange = exchange.size > 1 ? exchange : nil
            options.writesCheckpoints = rank == 0
            if let l = loss, let kind = LossKind(name: l) { options.training.loss = kind }
            options.levelNormalization = levelNorm ?? true
            if windowScaling == "robust" {
                options.windowScaling = .robust
                if levelNorm == nil { options.levelNormalization = false }
            }
            if model != "seq2seq" {
                // The data's defaults, as `forecast train` chooses them (IntermittentDefaults),
                // from the whole file's series even when each rank holds only its own.
                let profile = plan?.profile(set, targets: target, split: options.split)
                    ?? IntermittentDefaults.profile(set, targets: target, split: options.split)
                options = IntermittentDefaults.resolve(options, profile: profile, chooseLoss: loss == nil,
                                                       chooseLevelNormalization: levelNorm == nil,
                                                       chooseWindowScaling: windowScaling == nil && levelNorm == nil,
                                                       chooseSchedule: lrSchedule == nil)
            }
            if model == "seq2seq" {
                options.cell = .lstm
                trained = .seq2seq(try Seq2SeqForecaster.fit(set, targets: target, options: Seq2SeqOptions(base: options), dataFile: data,
                                                           checkpointPath: checkpoint, resume: resume != nil, onEvent: onEvent))
            } else {
                trained = .recurrent(try Forecaster.fit(set, targets: target, options: options, dataFile: data,
                                                      checkpointPath: checkpoint, resume: resume != nil, onEvent: onEvent))
            }
        }
        if rank == 0 {
            try trained.save(to: out)
            if !quiet {
                let seconds = Date().timeIntervalSince(start)
                FileHandle.standardError.write(Data("saved \(out) (\(trained.family), \(exchange.size) ranks, \(String(format: "%.1f", seconds)) s)\n".utf8))
            }
        }
        fmpi_barrier()
    }
}

struct ForecastMPICommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "forecast-mpi", abstract: "forecast over MPI.",
                                                    subcommands: [TrainMPI.self])
}

// The same OpenBLAS kernel as `forecast` (re-executes once, before MPI starts, when the CPU
// allows a faster kernel than OpenBLAS detects; a user's own OPENBLAS_CORETYPE wins): the
// sgemm kernel is part of the arithmetic, so ranks and single-process runs must share it.
BLASRuntime.reexecWithBestKernelIfNeeded()

// MPI may read its own arguments; Swift's argument parser reads CommandLine.arguments.
_ = fmpi_init(nil, nil)
do {
    var command = try ForecastMPICommand.parseAsRoot()
    try command.run()
    fmpi_finalize()
} catch {
    let code = ForecastMPICommand.exitCode(for: error)
    if code == .success {
        if fmpi_rank() == 0 { print(ForecastMPICommand.fullMessage(for: error)) }
        fmpi_finalize()
        exit(0)
    }
    FileHandle.standardError.write(Data("error (rank \(fmpi_rank())): \(ForecastMPICommand.message(for: error))\n".utf8))
    // One rank failing ends the whole job, with this message, instead of leaving the others waiting.
    fmpi_abort(code == .validationFailure ? 2 : 1)
}
