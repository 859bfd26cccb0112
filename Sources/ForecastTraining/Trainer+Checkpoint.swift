import Foundation

/// Checkpoints of a ``Trainer``: weights, optimizer moments, the best weights so far and the
/// loop's state (epoch, schedule, early-stopping counters, history, settings, model config),
/// written atomically with a checksum; restoring one continues the run bit for bit.
extension Trainer {
    /// What a checkpoint records besides tensors.
    public struct State: Codable, Sendable {
        public var epoch: Int
        public var optimizerStep: Int
        public var bestValidationLoss: Double?
        public var bestEpoch: Int
        public var badEpochs: Int
        public var schedule: ScheduleState
        public var history: [EpochRecord]
        public var config: TrainingConfig
        public var model: Model.Config
        public var rngState: [UInt64]
    }

    /// Writes weights, optimizer state, best weights and trainer state to `path` atomically.
    public func saveCheckpoint(path: String, sections: [String: String] = [:]) throws {
        var archive = ModelArchive(kind: .checkpoint, tensors: params.namedTensors(), sections: sections)
        for (name, store) in optimizer.stateStores {
            archive.tensors += store.namedTensors().map { ("optimizer.\(name).\($0.name)", $0.tensor) }
        }
        if let best = bestParams { archive.tensors += best.namedTensors().map { ("best.\($0.name)", $0.tensor) } }
        let state = State(epoch: epoch, optimizerStep: optimizer.step,
                          bestValidationLoss: bestValidationLoss.isFinite ? bestValidationLoss : nil, bestEpoch: bestEpoch,
                          badEpochs: badEpochs, schedule: scheduleState, history: history, config: config, model: model.config,
                          rngState: SeededGenerator(seed: config.seed).stateWords)
        try archive.setSection("trainer", state)
        try archive.write(path: path)
    }

    /// Restores a trainer from a checkpoint written by ``saveCheckpoint(path:sections:)``.
    /// `config` may raise `epochs` (continue training) and change `workers`; everything else is
    /// taken from the checkpoint.
    public static func resume(from path: String, epochs: Int? = nil, workers: Int? = nil) throws -> (Trainer, ModelArchive) {
        let archive = try ModelArchive.read(path: path, expecting: .checkpoint)
        let state = try archive.section("trainer", as: State.self, path: path)
        try CheckpointCheck.check(state, archive: archive, path: path)
        let model = Model(state.model)
        var config = state.config
        if let epochs { config.epochs = epochs }
        if let workers { config.workers = workers }
        let params = ParameterStore(layout: model.layout)
        func load(_ store: ParameterStore, prefix: String) throws {
            for e in model.layout.entries {
                guard let t = archive[prefix + e.name] else { throw TrainingError.badCheckpoint("\(path): checkpoint has no tensor '\(prefix + e.name)'") }
                do { try store.assign(e.name, t) } catch { throw TrainingError.badCheckpoint("\(path): \(error)") }
            }
        }
        try load(params, prefix: "")
        let trainer = Trainer(model: model, params: params, config: config)
        for (name, store) in trainer.optimizer.stateStores { try load(store, prefix: "optimizer.\(name).") }
        trainer.optimizer.restore(step: state.optimizerStep)
        if archive.tensors.contains(where: { $0.name.hasPrefix("best.") }) {
            let best = ParameterStore(layout: model.layout)
            try load(best, prefix: "best.")
            trainer.bestParams = best
        }
        trainer.epoch = state.epoch
        trainer.history = state.history
        trainer.bestValidationLoss = state.bestValidationLoss ?? .infinity
        trainer.bestEpoch = state.bestEpoch
        trainer.badEpochs = state.badEpochs
        trainer.scheduleState = state.schedule
        return (trainer, archive)
    }

    /// A trainer for `model`: fresh (weights `initial`, or the model's initialisation from
    /// `config.seed`), or — when `resume` is set and a checkpoint exists at `checkpointPath` —
    /// the one restored from it. A restored checkpoint must have been made for the same model
    /// (config) and, when `spec` is given, with the same `spec` in its section `"config"` (the
    /// family's windowing, scaling and columns); otherwise ``TrainingError/badCheckpoint(_:)``.
    /// `config.epochs` and `config.workers` may differ from the checkpoint's.
    public static func starting<Spec: Codable & Equatable>(model: Model, config: TrainingConfig, initial: ParameterStore? = nil,
                                                          checkpointPath: String?, resume: Bool, spec: Spec?) throws -> Trainer {
        if resume, let path = checkpointPath, FileManager.default.fileExists(atPath: path) {
            let (trainer, archive) = try Trainer.resume(from: path, epochs: config.epochs, workers: config.workers)
            if let spec, let saved = try? archive.section("config", as: Spec.self, path: path), saved != spec {
                throw TrainingError.badCheckpoint("\(path): the checkpoint was made with other data or settings (its model spec differs); remove it or train without --resume")
            }
            guard trainer.model.config == model.config else {
                throw TrainingError.badCheckpoint("\(path): the checkpoint's architecture differs from the requested one")
            }
            return trainer
        }
        let params: ParameterStore
        if let initial { params = initial.clone() } else {
            var rng = SeededGenerator(seed: config.seed)
            params = model.makeParameters(rng: &rng)
        }
        return Trainer(model: model, params: params, config: config)
    }

    /// The checkpoint section that records a family's `spec` (compared on resume).
    public static func specSection<Spec: Codable>(_ spec: Spec) throws -> [String: String] {
        var a = ModelArchive(kind: .checkpoint)
        try a.setSection("config", spec)
        return a.sections
    }
}
