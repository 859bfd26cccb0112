import Foundation
import Dispatch

/// Minibatch training of a ``FrameModel`` (the encoder–forecaster) on ``FrameWindows`` with
/// an MSE loss: the grid counterpart of ``Trainer``, with the same settings
/// (``TrainingConfig``: epochs, batch size, Adam/AdamW/SGD, learning-rate schedule, global-norm
/// clipping, seed, workers, shards, patience, non-finite policy) and the same progress events.
///
/// Determinism: the shuffle of epoch e comes from `SeededGenerator(seed).fork(e)`; gradients
/// come from ``FrameParallelStep`` (fixed shards summed in order), so the same data, seed and
/// settings give bit-identical weights for any `workers`. With a validation set the best
/// epoch's weights are restored at the end.
public final class FrameTrainer<Model: FrameModel>: @unchecked Sendable {
    public let model: Model
    public let config: TrainingConfig
    public let params: ParameterStore
    public let optimizer: Optimizer
    public private(set) var history: [EpochRecord] = []
    public private(set) var bestValidationLoss = Double.infinity
    public private(set) var bestEpoch = 0
    public var onEvent: ((TrainingEvent) -> Void)?

    public init(model: Model, params: ParameterStore, config: TrainingConfig) {
        self.model = model
        self.params = params
        self.config = config
        optimizer = config.optimizer.make(layout: model.layout, learningRate: config.learningRate, threads: config.workers)
    }

    @discardableResult
    public func fit(train: FrameWindows, validation: FrameWindows?) throws -> [EpochRecord] {
        guard !train.isEmpty else { throw TrainingError.emptyTrainingSet }
        guard train.inFrames * train.frameSize == model.inputCount, train.outFrames * train.frameSize == model.predictionCount else {
            throw TrainingError.shapeMismatch("the model reads \(model.inputCount) and predicts \(model.predictionCount) values per window; the windows hold \(train.inFrames * train.frameSize) and \(train.outFrames * train.frameSize)")
        }
        let B = max(1, min(config.batchSize, train.count))
        let step = FrameParallelStep(model: model, maxBatch: B, shards: config.shards, workers: config.workers)
        let N = train.count, batches = (N + B - 1) / B
        var xb = [Float](repeating: 0, count: B * model.inputCount), yb = [Float](repeating: 0, count: B * model.predictionCount)
        let base = SeededGenerator(seed: config.seed)
        var schedule = ScheduleState()
        var bestParams: ParameterStore? = nil
        var badEpochs = 0
        let runStart = DispatchTime.now().uptimeNanoseconds
        var samplesSeen = 0
        for e in 0..<config.epochs {
            let epochStart = DispatchTime.now().uptimeNanoseconds
            let lr = schedule.learningRate(config.schedule, base: config.learningRate, epoch: e, epochs: config.epochs)
            optimizer.learningRate = lr
            var shuffle = base.fork(UInt64(e))
            let order = Self.permutation(N, &shuffle)
            var lossSum = 0.0, counted = 0, skipped = 0
            for b in 0..<batches {
                let idx = order[(b * B)..<min(N, (b + 1) * B)]
                let n = idx.count
                let loss = xb.withUnsafeMutableBufferPointer { xp in yb.withUnsafeMutableBufferPointer { yp -> Double in
                    train.gather(idx, x: xp.baseAddress!, y: yp.baseAddress!)
                    return step.run(x: xp.baseAddress!, y: yp.baseAddress!, rows: n, params: params)
                } }
                let norm: Double
                if let clip = config.clipNorm { norm = GradientClipping.clipGlobalNorm(step.grads, maxNorm: clip) }
                else { norm = GradientClipping.globalNorm(step.grads) }
                if !loss.isFinite || !norm.isFinite {
                    if config.nonFinite == .skip { skipped += 1; continue }
                    throw TrainingError.nonFinite(epoch: e + 1, batch: b + 1, what: loss.isFinite ? "the gradient" : "the loss")
                }
                optimizer.update(params, grads: step.grads)
                lossSum += loss * Double(n); counted += n; samplesSeen += n
                if let onEvent {
                    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - runStart) / 1e9
                    let rate = Double(samplesSeen) / max(elapsed, 1e-9)
                    let remaining = Double((config.epochs - e) * N - (b + 1) * B) / rate
                    onEvent(.batch(epoch: e + 1, epochs: config.epochs, batch: b + 1, batches: batches,
                                   loss: lossSum / Double(max(counted, 1)), samplesPerSecond: rate, etaSeconds: max(0, remaining)))
                }
            }
            let valLoss = validation.flatMap { $0.isEmpty ? nil : Self.meanLoss(model: model, params: params, windows: $0) }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - epochStart) / 1e9
            let record = try makeEpochRecord(epoch: e + 1, trainLoss: lossSum / Double(max(counted, 1)), validationLoss: valLoss,
                                              learningRate: lr, seconds: seconds, skippedBatches: skipped)
            history.append(record)
            var improved = false
            if let v = valLoss {
                schedule.observe(validationLoss: v, schedule: config.schedule)
                if v < bestValidationLoss {
                    bestValidationLoss = v; bestEpoch = e + 1; badEpochs = 0; improved = true
                    if bestParams == nil { bestParams = ParameterStore(layout: model.layout) }
                    bestParams?.copy(from: params)
                } else {
                    badEpochs += 1
                }
            }
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - runStart) / 1e9
            onEvent?(.epoch(record, epochs: config.epochs, improved: improved, samplesPerSecond: Double(samplesSeen) / max(elapsed, 1e-9),
                            etaSeconds: elapsed / Double(e + 1) * Double(config.epochs - e - 1)))
            if let p = config.patience, badEpochs >= p {
                onEvent?(.earlyStop(epoch: e + 1, bestEpoch: bestEpoch, bestValidationLoss: bestValidationLoss))
                break
            }
        }
        if let best = bestParams { params.copy(from: best) }
        return history
    }

    /// Mean MSE of `params` on `windows` (forward only, in chunks of 16 windows). BLAS runs
    /// single-threaded, so the value (and the best epoch it selects) is the same on any machine.
    public static func meanLoss(model: Model, params: ParameterStore, windows: FrameWindows) -> Double {
        let previous = BLASRuntime.threads
        BLASRuntime.setThreads(1)
        defer { BLASRuntime.setThreads(previous) }
        let chunk = 16, P = model.predictionCount
        var x = [Float](repeating: 0, count: chunk * model.inputCount), y = [Float](repeating: 0, count: chunk * P)
        var ws: Model.Workspace? = nil, wsRows = 0
        var total = 0.0, start = 0
        while start < windows.count {
            let n = min(chunk, windows.count - start)
            if ws == nil || wsRows != n { ws = model.makeWorkspace(batch: n); wsRows = n }
            guard let w = ws else { break }
            total += x.withUnsafeMutableBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp -> Double in
                windows.gather(start..<(start + n), x: xp.baseAddress!, y: yp.baseAddress!)
                let pred = model.forward(xp.baseAddress!, workspace: w, params: params)
                return LossKind.mse.evaluate(pred: pred, target: yp.baseAddress!, rows: 1, targets: n * P,
                                             normalizer: windows.count * P, dPred: nil)
            } }
            start += n
        }
        return total
    }

    static func permutation(_ n: Int, _ rng: inout SeededGenerator) -> [Int] {
        var a = Array(0..<n)
        if n < 2 { return a }
        for i in stride(from: n - 1, to: 0, by: -1) {
            let j = Int(rng.next() % UInt64(i + 1))
            a.swapAt(i, j)
        }
        return a
    }
}

/// `EpochRecord` has no public initialiser (ForecastTraining keeps its memberwise one internal);
/// it is Codable, so it is built through its coding keys.
func makeEpochRecord(epoch: Int, trainLoss: Double, validationLoss: Double?, learningRate: Float,
                     seconds: Double, skippedBatches: Int) throws -> EpochRecord {
    let enc = JSONEncoder()
    enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    let dec = JSONDecoder()
    dec.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    let data = try enc.encode(EpochRecordFields(epoch: epoch, trainLoss: trainLoss, validationLoss: validationLoss,
                                                learningRate: learningRate, seconds: seconds, skippedBatches: skippedBatches))
    return try dec.decode(EpochRecord.self, from: data)
}

private struct EpochRecordFields: Encodable {
    var epoch: Int, trainLoss: Double, validationLoss: Double?, learningRate: Float, seconds: Double, skippedBatches: Int
}
