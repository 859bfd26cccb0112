import Dispatch

/// Minibatch training of any ``TrainableModel`` on any ``TrainingSamples``: seeded shuffles,
/// data-parallel gradient steps (``DataParallelStep``), clipping, schedules, validation every
/// epoch, early stopping that restores the best weights, the non-finite policy, checkpoints
/// with exact resume, multi-process gradient exchange, and progress events. Every model family
/// trains through this one loop.
///
/// Determinism: the shuffle of epoch e comes from `SeededGenerator(seed).fork(e)`, the draws of
/// batch b (dropout masks, scheduled sampling) from a fork of that, shards are summed in a fixed
/// order and BLAS is single-threaded inside every pass; so the same data, seed and settings
/// give bit-identical weights for any `workers`, and a run resumed from a checkpoint continues
/// exactly as an uninterrupted one.
///
/// The validation loss is the loss of inference passes (a seq2seq decoder runs free, no
/// dropout), computed on the same shards.
public final class Trainer<Model: TrainableModel>: @unchecked Sendable {
    public let model: Model
    public let config: TrainingConfig
    public let params: ParameterStore
    public let optimizer: Optimizer
    /// Epochs completed.
    public internal(set) var epoch = 0
    public internal(set) var history: [EpochRecord] = []
    public internal(set) var bestValidationLoss = Double.infinity
    public internal(set) var bestEpoch = 0
    var bestParams: ParameterStore?
    var scheduleState = ScheduleState()
    var badEpochs = 0
    public var onEvent: ((TrainingEvent) -> Void)?
    /// Shares gradients with other processes (multi-process training); nil in one process.
    public var exchange: GradientExchange?

    /// - Parameter params: initial weights (use `model.makeParameters(rng:)`); updated in place.
    public init(model: Model, params: ParameterStore, config: TrainingConfig) {
        self.model = model
        self.params = params
        self.config = config
        optimizer = config.optimizer.make(layout: model.layout, learningRate: config.learningRate, threads: config.workers)
    }

    /// Trains until `config.epochs` epochs are complete or early stopping ends the run.
    /// When `checkpointPath` is given, a checkpoint is written atomically after every epoch.
    /// Returns the epoch records.
    @discardableResult
    public func fit<Samples: TrainingSamples>(train: Samples, validation: Samples? = nil, checkpointPath: String? = nil,
                                              checkpointSections: [String: String] = [:]) throws -> [EpochRecord] {
        guard !train.isEmpty else { throw TrainingError.emptyTrainingSet }
        let I = train.inputCount, M = train.targetCount, K = config.loss.outputsPerTarget
        guard I == model.inputCount, model.predictionCount == M * K else {
            throw TrainingError.shapeMismatch("the model reads \(model.inputCount) values and predicts \(model.predictionCount) per sample; the samples hold \(I) input values and \(M) targets x \(K) outputs per target")
        }
        if let v = validation, v.inputCount != I || v.targetCount != M {
            throw TrainingError.shapeMismatch("validation samples hold \(v.inputCount) input values and \(v.targetCount) targets; training samples \(I) and \(M)")
        }
        let step = DataParallelStep(model: model, loss: config.loss, shards: config.shards, workers: config.workers)
        step.exchange = exchange
        let B = max(1, config.batchSize)
        // Windows per epoch: all of them, or a seeded sample of `windowsPerEpoch`.
        let N = config.windowsPerEpoch.map { min(max(1, $0), train.count) } ?? train.count
        let sampled = N < train.count
        let batches = (N + B - 1) / B
        // Validation on a fixed seeded sample of the same size when sampling.
        var sampleStream = SeededGenerator(seed: config.seed).fork(Trainer.validationSampleStream)
        let sampleSeed = sampleStream.next()
        let validationSample = validation.flatMap { v in
            sampled && v.count > N ? SampledSamples.seeded(v, count: N, seed: sampleSeed) : nil
        }
        var xb = [Float](repeating: 0, count: min(B, N) * I), yb = [Float](repeating: 0, count: min(B, N) * M)
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
            let order = sampled ? sample(N, of: train.count, &shuffle) : permutation(N, &shuffle)
            var lossSum = 0.0, counted = 0, skipped = 0
            for b in 0..<batches {
                let idx = order[(b * B)..<min(N, (b + 1) * B)]
                let n = idx.count
                let loss = xb.withUnsafeMutableBufferPointer { xp in yb.withUnsafeMutableBufferPointer { yp -> Double in
                    guard let x = xp.baseAddress, let y = yp.baseAddress else { return .nan }
                    train.gather(idx, input: x, target: y)
                    return step.run(input: x, target: y, rows: n, params: params, pass: .training(epoch: e), rng: shuffle.fork(UInt64(b)))
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
            let valLoss = validationSample.map { step.meanLoss($0, params: params) }
                ?? validation.flatMap { $0.isEmpty ? nil : step.meanLoss($0, params: params) }
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
                    let best = bestParams ?? ParameterStore(layout: model.layout)
                    best.copy(from: params)
                    bestParams = best
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

    /// Mean loss of the current weights on `samples` (inference passes, BLAS single-threaded,
    /// on this trainer's shards and workers).
    public func loss<Samples: TrainingSamples>(on samples: Samples) -> Double {
        DataParallelStep(model: model, loss: config.loss, shards: config.shards, workers: config.workers).meanLoss(samples, params: params)
    }

    /// The fork of the seed that draws the fixed validation sample (never an epoch number).
    static var validationSampleStream: UInt64 { 0x5641_4c49_4441_5445 }

    /// `k` distinct indices of 0..<n in random order (``drawDistinct(_:of:_:)``).
    func sample(_ k: Int, of n: Int, _ rng: inout SeededGenerator) -> [Int] { drawDistinct(k, of: n, &rng) }

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
}
