import Dispatch
import Foundation

/// One gradient computation of a ``Seq2Seq`` model over a minibatch, cut into a fixed number
/// of shards run on worker threads (``WorkerPool``), each into its own gradient store, summed in shard order:
/// bit-identical for any worker count (the same scheme as ``DataParallelStep``). The
/// scheduled-sampling mask of the whole minibatch is drawn before the shards start, so it does
/// not depend on the worker count either.
final class Seq2SeqParallelStep: @unchecked Sendable {
    let model: Seq2Seq
    let loss: LossKind
    let shards: Int
    let workers: Int
    let lookback: Int
    let grads: ParameterStore
    private let shardGrads: [ParameterStore]
    private var workspaces: [Int: Seq2SeqWorkspace] = [:]
    private var dPred: [FloatBuffer]

    init(model: Seq2Seq, loss: LossKind, lookback: Int, shards: Int, workers: Int) {
        self.model = model
        self.loss = loss
        self.lookback = lookback
        self.shards = max(1, shards)
        self.workers = max(1, min(workers, self.shards))
        grads = ParameterStore(layout: model.layout)
        shardGrads = (0..<self.shards).map { _ in ParameterStore(layout: model.layout) }
        dPred = (0..<self.shards).map { _ in FloatBuffer(count: 0) }
    }

    func shardRange(_ s: Int, of n: Int) -> Range<Int> {
        let base = n / shards, extra = n % shards
        let start = s * base + min(s, extra)
        return start..<(start + base + (s < extra ? 1 : 0))
    }

    private func workspace(shard s: Int, rows: Int) -> Seq2SeqWorkspace {
        let key = s * 1_000_000 + rows
        if let w = workspaces[key] { return w }
        let w = Seq2SeqWorkspace(model: model, batch: rows, length: lookback)
        workspaces[key] = w
        return w
    }

    /// Loss and gradient (into ``grads``) of a minibatch.
    /// - Parameters: x `[n, T, F]`, future `[n, S, F_k]`, y `[n, S*P]`, mask `[n, S]` (1: feed
    ///   the model's own forecast of the previous step).
    func run(x: UnsafePointer<Float>, future: UnsafePointer<Float>, y: UnsafePointer<Float>, mask: UnsafePointer<UInt8>,
             rows n: Int, params: ParameterStore, rng: SeededGenerator) -> Double {
        let cfg = model.config
        let T = lookback, F = cfg.encoder.inputSize, S = cfg.horizon, Fk = cfg.futureInputs, M = S * cfg.targets
        let width = cfg.outputs
        let plan: [(Range<Int>, Seq2SeqWorkspace?)] = (0..<shards).map { s in
            let r = shardRange(s, of: n)
            return (r, r.isEmpty ? nil : workspace(shard: s, rows: r.count))
        }
        for s in 0..<shards where dPred[s].count < plan[s].0.count * width { dPred[s] = FloatBuffer(count: plan[s].0.count * width) }
        let lossKind = loss, model = self.model, shardStores = shardGrads, dPredBuffers = dPred
        let losses = UnsafeMutableBufferPointer<Double>.allocate(capacity: shards)
        defer { losses.deallocate() }
        losses.initialize(repeating: 0)
        let work = { (s: Int) in
            let (range, wsOpt) = plan[s]
            shardStores[s].zero()
            guard let ws = wsOpt else { return }
            var r = rng.fork(UInt64(s))
            let lo = range.lowerBound
            let pred = model.forward(x + lo * T * F, future: Fk > 0 ? future + lo * S * Fk : nil, teacher: y + lo * M,
                                     feedback: mask + lo * S, workspace: ws, params: params, training: true, rng: &r)
            losses[s] = lossKind.evaluate(pred: pred.pointer, target: y + lo * M, rows: range.count, targets: M,
                                          normalizer: n * M, dPred: dPredBuffers[s].pointer)
            model.backward(dPredBuffers[s].pointer, workspace: ws, params: params, grads: shardStores[s])
        }
        if workers == 1 {
            for s in 0..<shards { work(s) }
        } else {
            let previous = BLASRuntime.threads
            BLASRuntime.setThreads(1)
            let shardCount = shards, workerCount = workers
            WorkerPool.forEach(shardCount, threads: workerCount) { s in work(s) }
            BLASRuntime.setThreads(previous)
        }
        grads.setSum(of: shardGrads, threads: workers)
        var total = 0.0
        for s in 0..<shards { total += losses[s] }
        return total
    }
}

/// The epoch loop of a seq2seq model: seeded shuffles, scheduled sampling, data-parallel
/// steps, clipping, learning-rate schedules, a free-running validation loss every epoch, early
/// stopping that restores the best weights, and the same progress events as ``Trainer``.
final class Seq2SeqTrainer {
    let model: Seq2Seq
    let config: TrainingConfig
    let schedule: TeacherForcingSchedule
    let params: ParameterStore
    let optimizer: Optimizer
    private(set) var history: [EpochRecord] = []
    private(set) var samplingProbabilities: [Float] = []
    private(set) var bestEpoch = 0
    private(set) var bestValidationLoss = Double.infinity
    var onEvent: ((TrainingEvent) -> Void)?

    init(model: Seq2Seq, params: ParameterStore, config: TrainingConfig, schedule: TeacherForcingSchedule) {
        self.model = model
        self.params = params
        self.config = config
        self.schedule = schedule
        optimizer = config.optimizer.make(layout: model.layout, learningRate: config.learningRate, threads: config.workers)
    }

    func fit(train: Seq2SeqWindows, validation: Seq2SeqWindows?) throws {
        guard !train.isEmpty else { throw TrainingError.emptyTrainingSet }
        let cfg = model.config
        let T = train.windows.lookback, F = train.windows.features, M = train.windows.targetLength
        let S = cfg.horizon, Fk = cfg.futureInputs
        guard F == cfg.encoder.inputSize, M == S * cfg.targets, train.futureInputs == Fk else {
            throw TrainingError.shapeMismatch("seq2seq model expects \(cfg.encoder.inputSize) inputs, \(S * cfg.targets) targets and \(Fk) future inputs; windows have \(F), \(M) and \(train.futureInputs)")
        }
        let step = Seq2SeqParallelStep(model: model, loss: config.loss, lookback: T, shards: config.shards, workers: config.workers)
        let B = max(1, config.batchSize), N = train.count
        let batches = (N + B - 1) / B
        var xb = [Float](repeating: 0, count: B * T * F), fb = [Float](repeating: 0, count: max(1, B * S * Fk))
        var yb = [Float](repeating: 0, count: B * M), mb = [UInt8](repeating: 0, count: B * S)
        let base = SeededGenerator(seed: config.seed)
        var scheduleState = ScheduleState()
        var badEpochs = 0
        var best: ParameterStore? = nil
        let runStart = DispatchTime.now().uptimeNanoseconds
        var samplesSeen = 0
        for e in 0..<config.epochs {
            let epochStart = DispatchTime.now().uptimeNanoseconds
            let lr = scheduleState.learningRate(config.schedule, base: config.learningRate, epoch: e, epochs: config.epochs)
            optimizer.learningRate = lr
            let pSample = schedule.samplingProbability(epoch: e)
            samplingProbabilities.append(pSample)
            var shuffle = base.fork(UInt64(e))
            let order = permutation(N, &shuffle)
            var lossSum = 0.0, counted = 0, skipped = 0
            for b in 0..<batches {
                let idx = order[(b * B)..<min(N, (b + 1) * B)]
                let n = idx.count
                gather(train, idx, &xb, &fb, &yb)
                var maskRng = shuffle.fork(UInt64(b) &+ 0x5EED_0000)
                for i in 0..<(n * S) { mb[i] = (i % S) > 0 && maskRng.nextUnitFloat() < pSample ? 1 : 0 }
                let loss = xb.withUnsafeBufferPointer { xp in fb.withUnsafeBufferPointer { fp in yb.withUnsafeBufferPointer { yp in
                    mb.withUnsafeBufferPointer { mp in
                        step.run(x: xp.baseAddress!, future: fp.baseAddress!, y: yp.baseAddress!, mask: mp.baseAddress!, rows: n,
                                 params: params, rng: shuffle.fork(UInt64(b)))
                    }
                } } }
                let norm = config.clipNorm.map { GradientClipping.clipGlobalNorm(step.grads, maxNorm: $0) } ?? GradientClipping.globalNorm(step.grads)
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
            let valLoss = validation.flatMap { $0.isEmpty ? nil : Seq2SeqTrainer.freeRunningLoss(model: model, params: params, loss: config.loss, windows: $0) }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - epochStart) / 1e9
            let record = makeEpochRecord(epoch: e + 1, trainLoss: lossSum / Double(max(counted, 1)), validationLoss: valLoss,
                                     learningRate: lr, seconds: seconds, skippedBatches: skipped)
            history.append(record)
            var improved = false
            if let v = valLoss {
                scheduleState.observe(validationLoss: v, schedule: config.schedule)
                if v < bestValidationLoss {
                    bestValidationLoss = v; bestEpoch = e + 1; badEpochs = 0; improved = true
                    if best == nil { best = ParameterStore(layout: model.layout) }
                    best!.copy(from: params)
                } else {
                    badEpochs += 1
                }
            }
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - runStart) / 1e9
            let rate = Double(samplesSeen) / max(elapsed, 1e-9)
            onEvent?(.epoch(record, epochs: config.epochs, improved: improved, samplesPerSecond: rate,
                            etaSeconds: elapsed / Double(e + 1) * Double(config.epochs - e - 1)))
            if let patience = config.patience, badEpochs >= patience {
                onEvent?(.earlyStop(epoch: e + 1, bestEpoch: bestEpoch, bestValidationLoss: bestValidationLoss))
                break
            }
        }
        if let best { params.copy(from: best) }
    }

    /// Mean loss of free-running forecasts (what inference does) over `windows`.
    static func freeRunningLoss(model: Seq2Seq, params: ParameterStore, loss: LossKind, windows: Seq2SeqWindows) -> Double {
        let w = windows.windows
        let T = w.lookback, F = w.features, M = w.targetLength, S = model.config.horizon, Fk = model.config.futureInputs
        let chunk = 64
        var total = 0.0
        var rng = SeededGenerator(seed: 0)
        var ws: Seq2SeqWorkspace? = nil
        var start = 0
        while start < w.count {
            let n = min(chunk, w.count - start)
            if ws?.batch != n { ws = Seq2SeqWorkspace(model: model, batch: n, length: T) }
            let pred = w.x.withUnsafeBufferPointer { xp in windows.future.withUnsafeBufferPointer { fp in
                model.forward(xp.baseAddress! + start * T * F, future: Fk > 0 ? fp.baseAddress! + start * S * Fk : nil, teacher: nil,
                              workspace: ws!, params: params, rng: &rng)
            } }
            total += w.y.withUnsafeBufferPointer {
                loss.evaluate(pred: pred.pointer, target: $0.baseAddress! + start * M, rows: n, targets: M, normalizer: w.count * M, dPred: nil)
            }
            start += n
        }
        return total
    }

    /// `EpochRecord` has no public memberwise initialiser: build one through its Codable form
    /// (same keys), so progress events and provenance use the toolkit's own type.
    private func makeEpochRecord(epoch: Int, trainLoss: Double, validationLoss: Double?, learningRate: Float, seconds: Double,
                                 skippedBatches: Int) -> EpochRecord {
        struct Mirror: Codable { var epoch: Int; var trainLoss: Double; var validationLoss: Double?; var learningRate: Float; var seconds: Double; var skippedBatches: Int }
        let enc = JSONEncoder(), dec = JSONDecoder()
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        dec.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let m = Mirror(epoch: epoch, trainLoss: trainLoss, validationLoss: validationLoss, learningRate: learningRate, seconds: seconds, skippedBatches: skippedBatches)
        // Encoding and decoding a struct of plain numbers cannot fail; `try?` keeps input paths free of traps.
        if let data = try? enc.encode(m), let r = try? dec.decode(EpochRecord.self, from: data) { return r }
        preconditionFailure("EpochRecord's Codable form changed")
    }

    private func gather(_ w: Seq2SeqWindows, _ idx: ArraySlice<Int>, _ xb: inout [Float], _ fb: inout [Float], _ yb: inout [Float]) {
        let xs = w.windows.lookback * w.windows.features, ys = w.windows.targetLength, fs = w.horizon * w.futureInputs
        for (k, i) in idx.enumerated() {
            for j in 0..<xs { xb[k * xs + j] = w.windows.x[i * xs + j] }
            for j in 0..<ys { yb[k * ys + j] = w.windows.y[i * ys + j] }
            for j in 0..<fs { fb[k * fs + j] = w.future[i * fs + j] }
        }
    }

    private func permutation(_ n: Int, _ rng: inout SeededGenerator) -> [Int] {
        var a = Array(0..<n)
        if n < 2 { return a }
        for i in stride(from: n - 1, to: 0, by: -1) {
            let j = Int(rng.next() % UInt64(i + 1))
            a.swapAt(i, j)
        }
        return a
    }
}
