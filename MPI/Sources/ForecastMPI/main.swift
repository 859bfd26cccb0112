import ArgumentParser
import Foundation
import Forecast
import MPIShim

/// `forecast-mpi train`: `forecast train` across MPI ranks. Every rank reads the whole file and
/// computes its share of every minibatch's shards; gradients are combined in shard order, so
/// the weights are bit-identical to a single-process `forecast train` with the same settings.
/// Rank 0 prints progress and writes checkpoints and the model.
struct TrainMPI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train like 'forecast train', data-parallel across MPI ranks (mpirun -np N forecast-mpi train ...).")

    @Option var data: String
    @Option var target: [String] = []
    @Option var features: String?
    @Option(name: .customLong("series-key")) var seriesKey: String?
    @Option var time: String?
    @Option(help: "lstm, gru or rnn") var model: String = "lstm"
    @Option var lookback: Int?
    @Option var horizon: Int?
    @Option var hidden: Int = 64
    @Option var layers: Int = 1
    @Option var epochs: Int = 60
    @Option var batch: Int = 32
    @Option var lr: Float = 3e-3
    @Option var patience: Int = 10
    @Option var seed: UInt64 = 42
    @Option(help: "Dispatch workers per rank.") var workers: Int?
    @Option(help: "Shards per minibatch, across all ranks (must match the run you compare with).") var shards: Int = 4
    @Option(name: .customLong("checkpoint-dir")) var checkpointDir: String?
    @Option(help: "Resume from this checkpoint (any rank count).") var resume: String?
    @Option var out: String
    @Flag var quiet = false

    func validate() throws {
        if target.isEmpty { throw ValidationError("--target is required") }
        if CellKind(name: model) == nil { throw ValidationError("--model must be lstm, gru or rnn") }
        if shards < 1 { throw ValidationError("--shards must be at least 1") }
    }

    func run() throws {
        let exchange = MPIExchange()
        let rank = exchange.rank
        let table = try CSVReader.read(path: data)
        let set = try TimeSeriesSet(table: table, time: time.map { .column(.name($0)) } ?? .auto, seriesKey: seriesKey.map { .name($0) })
        var options = ForecasterOptions()
        options.cell = CellKind(name: model) ?? .lstm
        options.hidden = hidden
        options.layers = layers
        options.lookback = lookback
        options.horizon = horizon
        options.features = features.map { $0.split(separator: ",").map(String.init) } ?? []
        options.missing = .interpolate
        options.training.epochs = epochs
        options.training.batchSize = batch
        options.training.learningRate = lr
        options.training.patience = patience > 0 ? patience : nil
        options.training.seed = seed
        options.training.shards = shards
        if let w = workers { options.training.workers = w }
        options.exchange = exchange.size > 1 ? exchange : nil
        options.writesCheckpoints = rank == 0
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
        let forecaster = try Forecaster.fit(set, targets: target, options: options, dataFile: data,
                                            checkpointPath: checkpoint, resume: resume != nil, onEvent: onEvent)
        if rank == 0 {
            try forecaster.save(to: out)
            if !quiet {
                let seconds = Date().timeIntervalSince(start)
                FileHandle.standardError.write(Data("saved \(out) (\(exchange.size) ranks, \(String(format: "%.1f", seconds)) s, \(forecaster.model.layout.count * 4 * options.training.shards) gradient bytes exchanged per step)\n".utf8))
            }
        }
        fmpi_barrier()
    }
}

struct ForecastMPICommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "forecast-mpi", abstract: "forecast over MPI.",
                                                    subcommands: [TrainMPI.self])
}

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
