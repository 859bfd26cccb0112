import Dispatch

/// One gradient computation of any ``TrainableModel`` over a minibatch, cut into a fixed
/// number of shards that run on worker threads; and the forward-only loss of a minibatch on
/// the same shards.
///
/// DESIGN.md names `DispatchQueue.concurrentPerform` for the workers. On the project's VMs it
/// gave no speed-up once a shard took ~2 ms (an idle vCPU wakes too slowly, so the calling
/// thread ran every shard: 119% CPU, 1.0x with 2 workers), so shards run on ``WorkerPool``,
/// whose threads spin briefly between jobs (1.85x).
///
/// The minibatch of n samples is split into `shards` contiguous parts (sizes differ by at most
/// one; the split depends only on n and `shards`). Each shard runs forward, loss and backward
/// in its own workspace and writes its own gradient store. The shard gradients are then summed
/// in shard order into `grads`, and the shard losses likewise. **BLAS is single-threaded in
/// every pass of this step**, whatever the worker count: a multi-threaded sgemm takes other
/// code paths, and the bits would then depend on `workers`. Because neither the split nor the
/// order of the sum depends on how many workers ran, the result is bit-identical for any
/// `workers`.
///
/// Random draws: shard s of a minibatch whose generator is `rng` uses `rng.fork(s)` (dropout
/// masks, scheduled sampling), so they too are independent of the worker count.
///
/// Across processes (MPI ranks), a ``GradientExchange`` assigns shard s to rank `s % size`:
/// every rank computes only its shards, the exchange brings every shard's gradient and loss to
/// every rank, and each rank sums all shards in shard order. The result is bit-identical to a
/// single process with the same shards.
public final class DataParallelStep<Model: TrainableModel>: @unchecked Sendable {
    public let model: Model
    public let loss: LossKind
    public let shards: Int
    public let workers: Int
    /// The summed gradient of the last minibatch.
    public let grads: ParameterStore
    private let shardGrads: [ParameterStore]
    private var workspaces: [Int: Model.Workspace] = [:]   // key: shard * 1_000_000 + rows
    private var dPred: [FloatBuffer]
    /// Shares shard gradients between processes; nil in a single process.
    public var exchange: GradientExchange?

    public init(model: Model, loss: LossKind, shards: Int = 4, workers: Int) {
        self.model = model
        self.loss = loss
        self.shards = max(1, shards)
        self.workers = max(1, min(workers, self.shards))
        grads = ParameterStore(layout: model.layout)
        shardGrads = (0..<self.shards).map { _ in ParameterStore(layout: model.layout) }
        dPred = (0..<self.shards).map { _ in FloatBuffer(count: 0) }
    }

    /// Rows of shard `s` for a minibatch of `n` samples: a contiguous range.
    public func shardRange(_ s: Int, of n: Int) -> Range<Int> {
        let base = n / shards, extra = n % shards
        let start = s * base + min(s, extra)
        return start..<(start + base + (s < extra ? 1 : 0))
    }

    private func workspace(shard s: Int, rows: Int) -> Model.Workspace {
        let key = s * 1_000_000 + rows
        if let w = workspaces[key] { return w }
        let w = model.makeWorkspace(batch: rows)
        workspaces[key] = w
        return w
    }

    /// The loss of a minibatch and (when `backward`) its gradient, into ``grads``.
    ///
    /// - Parameters:
    ///   - input: `[n, inputCount]`.   - target: `[n, M]` with M · K = predictionCount.
    ///   - normalizer: the loss divides its sum by this (n · M for a minibatch mean; the whole
    ///     set's count · M when summing chunks into a data-set mean).
    ///   - rng: draws of shard s come from `rng.fork(s)`.
    /// - Returns: the sum of the shards' losses (the minibatch mean with the default normalizer).
    public func run(input: UnsafePointer<Float>, target: UnsafePointer<Float>, rows n: Int, params: ParameterStore,
                    pass: ForwardPass, rng: SeededGenerator, backward: Bool = true, normalizer: Int? = nil) -> Double {
        let K = loss.outputsPerTarget
        let P = model.predictionCount, I = model.inputCount
        precondition(P % K == 0, "prediction width \(P) is not a multiple of the loss's \(K) outputs per target")
        let M = P / K
        // Workspaces are created here, on the calling thread, before the workers start.
        let plan: [(Range<Int>, Model.Workspace?)] = (0..<shards).map { s in
            let r = shardRange(s, of: n)
            return (r, r.isEmpty ? nil : workspace(shard: s, rows: r.count))
        }
        if backward {
            for s in 0..<shards where dPred[s].count < plan[s].0.count * P { dPred[s] = FloatBuffer(count: plan[s].0.count * P) }
        }
        let norm = normalizer ?? n * M
        let lossKind = loss, model = self.model
        let dPredBuffers = dPred, shardStores = shardGrads
        let losses = UnsafeMutableBufferPointer<Double>.allocate(capacity: shards)
        defer { losses.deallocate() }
        losses.initialize(repeating: 0)
        let ex = backward ? exchange : nil
        let rank = ex?.rank ?? 0, ranks = ex?.size ?? 1
        // The shards this process computes (all of them in a single process).
        let local = (0..<shards).filter { $0 % ranks == rank }
        let work = { (s: Int) in
            let (range, wsOpt) = plan[s]
            if backward { shardStores[s].zero() }
            guard let ws = wsOpt else { return }
            var r = rng.fork(UInt64(s))
            let lo = range.lowerBound
            let pred = model.forward(input + lo * I, target: target + lo * M, workspace: ws, params: params, pass: pass, rng: &r)
            losses[s] = lossKind.evaluate(pred: pred, target: target + lo * M, rows: range.count, targets: M,
                                          normalizer: norm, dPred: backward ? dPredBuffers[s].pointer : nil)
            if backward { model.backward(dPredBuffers[s].pointer, workspace: ws, params: params, grads: shardStores[s]) }
        }
        let previous = BLASRuntime.threads
        BLASRuntime.setThreads(1)
        WorkerPool.forEach(local.count, threads: min(workers, local.count)) { i in work(local[i]) }
        BLASRuntime.setThreads(previous)
        if backward {
            ex?.exchange(shardGradients: shardStores, losses: losses)
            // Sum in shard order: independent of the worker count (and of the rank count).
            grads.setSum(of: shardGrads, threads: workers)
        }
        var total = 0.0
        for s in 0..<shards { total += losses[s] }
        return total
    }

    /// The mean loss of `params` over every sample of `samples` (forward only, inference
    /// passes, in chunks of the model's ``TrainableModel/evaluationBatch``), on the same shards
    /// and workers: the value does not depend on the worker count.
    public func meanLoss<Samples: TrainingSamples>(_ samples: Samples, params: ParameterStore) -> Double {
        let chunk = max(1, model.evaluationBatch), M = samples.targetCount
        var input = [Float](repeating: 0, count: min(chunk, samples.count) * samples.inputCount)
        var target = [Float](repeating: 0, count: min(chunk, samples.count) * M)
        var total = 0.0, start = 0
        let rng = SeededGenerator(seed: 0)
        while start < samples.count {
            let n = min(chunk, samples.count - start)
            total += input.withUnsafeMutableBufferPointer { ip in target.withUnsafeMutableBufferPointer { tp -> Double in
                guard let i = ip.baseAddress, let t = tp.baseAddress else { return 0 }
                samples.gather(start..<(start + n), input: i, target: t)
                return run(input: i, target: t, rows: n, params: params, pass: .inference, rng: rng, backward: false,
                           normalizer: samples.count * M)
            } }
            start += n
        }
        return total
    }
}

/// Moves shard results between processes for multi-process data parallelism (see
/// ``DataParallelStep``). Shard s is computed by rank `s % size`; after `exchange` returns, every
/// rank holds every shard's gradient store and loss. Implemented over MPI in the `MPI/` package.
public protocol GradientExchange: AnyObject, Sendable {
    var rank: Int { get }
    var size: Int { get }
    /// Fills `shardGradients[s]` and `losses[s]` on every rank from the rank that computed shard s.
    func exchange(shardGradients: [ParameterStore], losses: UnsafeMutableBufferPointer<Double>)
}
