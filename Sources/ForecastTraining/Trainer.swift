import Dispatch

/// Minibatch training of a ``SequenceRegressor`` on ``Windows``: seeded shuffles, data-parallel
/// gradient steps (``DataParallelStep``), clipping, schedules, validation every epoch, early
/// stopping that restores the best weights, checkpoints, and progress events.
///
/// Determinism: the shuffle of epoch e comes from `SeededGenerator(seed).fork(e)`, dropout masks
/// of batch b from a fork of that, shards are summed in a fixed order; so the same data, seed
/// and settings give bit-identical weights for any `workers`, and a run resumed from a
/// checkpoint continues exactly as an uninterrupted one.
public final class Trainer: @unchecked Sendable {
    public let model: SequenceRegressor
    public let config: TrainingConfig
    public let params: ParameterStore
    public let optimizer: Optimizer
    /// Epochs completed.
    public private(set) var epoch = 0
    public private(set) var history: [EpochRecord] = []
    public private(set) var bestValidationLoss = Double.infinity
    public private(set) var bestEpoch = 0
    private var bestParams: ParameterStore?
    private var scheduleState = ScheduleState()
    private var badEpochs = 0
    public var onEvent: ((TrainingEvent) -> Void)?
    /// Shares gradients with other processes (multi-process training); nil in one process.
    public var exchange: GradientExchange?

    /// - Parameter params: initial weights (use `model.makeParameters(rng:)`); updated in place.
    public init(model: SequenceRegressor, params: ParameterStore, config: TrainingConfig) {
        self.model = model
        self.params = params
        self.config = config
        optimizer = config.optimizer.make(layout: model.layout, learningRate: config.learningRate, threads: config.workers)
    }

    /// Targets per window the head must produce (before the loss's multiplier).
    func targetCount(_ w: Windows) -> Int { w.targetLength }

    /// Trains until `config.epochs` epochs are complete or early stopping ends the run.
    /// When `checkpointPath` is given, a checkpoint is written atomically after every epoch.
    /// Returns the epoch records.
    @discardableResult
    public func fit(train: Windows, validation: Windows? = nil, checkpointPath: String? = nil,
                    checkpointSections: [String: String] = [:]) throws -> [EpochRecord] {
        guard !train.isEmpty else { throw TrainingError.emptyTrainingSet }
        let T = train.lookback, F = train.features, M = train.targetLength
        guard F == model.config.recurrent.inputSize, model.predictionCount(length: T) == M * config.loss.outputsPerTarget else {
            throw TrainingError.shapeMismatch("model expects \(model.config.recurrent.inputSize) features and \(model.predictionCount(length: T)) outputs; windows have \(F) features and \(M) targets x \(config.loss.outputsPerTarget)")
        }
        let step = DataParallelStep(model: model, loss: config.loss, lookback: T, shards: config.shards, workers: config.workers)
        step.exchange = exchange
        let B = max(1, config.batchSize)
        let N = train.count
        let batches = (N + B - 1) / B
        var xb = [Float](repeating: 0, count: B * T * F), yb = [Float](repeating: 0, count: B * M)
        let base = SeededGenerator(seed: config.seed)
        let runStart = DispatchTime.now().uptimeNanoseconds
        var samplesSeen = 0
        let startEpoch = epoch
        // A run restored from the checkpoint of its early-stopping epoch is already finished.
        let alreadyStopped = config.patience.map { badEpochs >= $0 } ?? false
        while epoch < config.epochs && !alreadyStopped {
            let e = epoch
            let epochStart = DispatchTime.now().uptimeNanoseconds
            let lr = scheduleState.learningRate(config.schedule, base: config.learningRate, epoch: e, epochs: config.epochs)
            optimizer.learningRate = lr
            var shuffle = base.fork(UInt64(e))
            let order = permutation(N, &shuffle)
            var lossSum = 0.0, counted = 0, skipped = 0
            for b in 0..<batches {
                let idx = order[(b * B)..<min(N, (b + 1) * B)]
                let n = idx.count
                gather(train, idx, &xb, &yb)
                let loss = xb.withUnsafeBufferPointer { xp in yb.withUnsafeBufferPointer { yp in
                    step.run(x: xp.baseAddress!, y: yp.baseAddress!, rows: n, targets: M, params: params, training: true,
                             rng: shuffle.fork(UInt64(b)))
                } }
                var norm = 0.0
                if let clip = config.clipNorm { norm = GradientClipping.clipGlobalNorm(step.grads, maxNorm: clip) }
                else { norm = GradientClipping.globalNorm(step.grads) }
                if !loss.isFinite || !norm.isFinite {
                    if config.nonFinite == .skip { skipped += 1; continue }
                    throw TrainingError.nonFinite(epoch: e + 1, batch: b + 1, what: loss.isFinite ? "the gradient" : "the loss")
                }
                optimizer.update(params, grads: step.grads)
                lossSum += loss * Double(n); counted += n
                samplesSeen += n
                if let onEvent {
                    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - runStart) / 1e9
                    let rate = Double(samplesSeen) / max(elapsed, 1e-9)
                    let remaining = Double((config.epochs - e) * N - (b + 1) * B) / rate
                    onEvent(.batch(epoch: e + 1, epochs: config.epochs, batch: b + 1, batches: batches,
                                   loss: lossSum / Double(max(counted, 1)), samplesPerSecond: rate, etaSeconds: max(0, remaining)))
                }
            }
            let valLoss = validation.flatMap { $0.isEmpty ? nil : self.loss(on: $0) }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - epochStart) / 1e9
            let record = EpochRecord(epoch: e + 1, trainLoss: lossSum / Double(max(counted, 1)), validationLoss: valLoss,
                                     learningRate: lr, seconds: seconds, skippedBatches: skipped)
            history.append(record)
            epoch += 1
            var improved = false
            if let v = valLoss {
                scheduleState.observe(validationLoss: v, schedule: config.schedule)
                if v < bestValidationLoss {
                    bestValidationLoss = v; bestEpoch = epoch; badEpochs = 0; improved = true
                    if bestParams == nil { bestParams = ParameterStore(layout: model.layout) }
                    bestParams!.copy(from: params)
                } else {
                    badEpochs += 1
                }
            }
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - runStart) / 1e9
            let rate = Double(samplesSeen) / max(elapsed, 1e-9)
            onEvent?(.epoch(record, epochs: config.epochs, improved: improved, samplesPerSecond: rate,
                            etaSeconds: elapsed / Double(epoch - startEpoch) * Double(config.epochs - epoch)))
            let stopEarly = config.patience.map { badEpochs >= $0 } ?? false
            if let checkpointPath {
                try saveCheckpoint(path: checkpointPath, sections: checkpointSections)
                onEvent?(.checkpoint(path: checkpointPath, epoch: epoch))
            }
            if stopEarly {
                onEvent?(.earlyStop(epoch: epoch, bestEpoch: bestEpoch, bestValidationLoss: bestValidationLoss))
                break
            }
        }
        if let best = bestParams { params.copy(from: best) }
        return history
    }

    /// Mean loss on `windows` (forward only, in batches of 256).
    public func loss(on windows: Windows) -> Double {
        Self.evaluateLoss(model: model, params: params, loss: config.loss, windows: windows)
    }

    /// Mean loss of `params` on `windows` (forward only).
    public static func evaluateLoss(model: SequenceRegressor, params: ParameterStore, loss: LossKind, windows: Windows) -> Double {
        let T = windows.lookback, F = windows.features, M = windows.targetLength
        let chunk = 256
        var total = 0.0
        var rng = SeededGenerator(seed: 0)
        var ws: SequenceRegressor.Workspace? = nil
        var start = 0
        while start < windows.count {
            let n = min(chunk, windows.count - start)
            if ws?.batch != n { ws = SequenceRegressor.Workspace(model: model, batch: n, length: T) }
            let pred = windows.x.withUnsafeBufferPointer { model.forward($0.baseAddress! + start * T * F, workspace: ws!, params: params, rng: &rng) }
            total += windows.y.withUnsafeBufferPointer {
                loss.evaluate(pred: pred.pointer, target: $0.baseAddress! + start * M, rows: n, targets: M, normalizer: windows.count * M, dPred: nil)
            }
            start += n
        }
        return total
    }

    private func gather(_ w: Windows, _ idx: ArraySlice<Int>, _ xb: inout [Float], _ yb: inout [Float]) {
        let xs = w.lookback * w.features, ys = w.targetLength
        xb.withUnsafeMutableBufferPointer { xd in yb.withUnsafeMutableBufferPointer { yd in
            w.x.withUnsafeBufferPointer { xsrc in w.y.withUnsafeBufferPointer { ysrc in
                for (k, i) in idx.enumerated() {
                    (xd.baseAddress! + k * xs).update(from: xsrc.baseAddress! + i * xs, count: xs)
                    (yd.baseAddress! + k * ys).update(from: ysrc.baseAddress! + i * ys, count: ys)
                }
            } }
        } }
    }

    /// A uniformly random permutation of 0..<n (Fisher–Yates).
    func permutation(_ n: Int, _ rng: inout SeededGenerator) -> [Int] {
        var a = Array(0..<n)
        if n < 2 { return a }
        for i in stride(from: n - 1, to: 0, by: -1) {
            let j = Int(rng.next() % UInt64(i + 1))
            a.swapAt(i, j)
        }
        return a
    }

    // MARK: Checkpoints

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
        public var model: SequenceRegressor.Config
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
        let model = SequenceRegressor(state.model)
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
}
