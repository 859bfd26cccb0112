import Dispatch

/// One gradient computation over a minibatch, cut into a fixed number of shards that run on
/// worker threads.
///
/// DESIGN.md names `DispatchQueue.concurrentPerform` for the workers. On the project's VMs it
/// gave no speed-up once a shard took ~2 ms (an idle vCPU wakes too slowly, so the calling
/// thread ran every shard: 119% CPU, 1.0x with 2 workers), so shards run on ``WorkerPool``,
/// whose threads spin briefly between jobs (1.85x). Everything else is as DESIGN.md says.
///
/// The minibatch of N windows is split into `shards` contiguous parts (sizes differ by at most
/// one; the split depends only on N and `shards`). Each shard runs forward, loss and backward
/// in its own workspace and writes its own gradient store; BLAS is single-threaded inside the
/// workers. The shard gradients are then summed in shard order into `grads`, and the shard
/// losses likewise. Because neither the split nor the order of the sum depends on how many
/// workers ran, the result is bit-identical for any `workers`.
///
/// Across processes (MPI ranks), a ``GradientExchange`` assigns shard s to rank `s % size`:
/// every rank computes only its shards, the exchange brings every shard's gradient and loss to
/// every rank, and each rank sums all shards in shard order. The result is bit-identical to a
/// single process with the same shards.
public final class DataParallelStep: @unchecked Sendable {
    public let model: SequenceRegressor
    public let loss: LossKind
    public let shards: Int
    public let workers: Int
    /// The summed gradient of the last minibatch.
    public let grads: ParameterStore
    private let shardGrads: [ParameterStore]
    private var workspaces: [Int: SequenceRegressor.Workspace] = [:]   // key: shard * 1_000_000 + rows
    private var dPred: [FloatBuffer]
    private var shardLoss: [Double]
    private let lookback: Int
    /// Shares shard gradients between processes; nil in a single process.
    public var exchange: GradientExchange?

    public init(model: SequenceRegressor, loss: LossKind, lookback: Int, shards: Int = 4, workers: Int) {
        self.model = model
        self.loss = loss
        self.lookback = lookback
        self.shards = max(1, shards)
        self.workers = max(1, min(workers, self.shards))
        grads = ParameterStore(layout: model.layout)
        shardGrads = (0..<self.shards).map { _ in ParameterStore(layout: model.layout) }
        dPred = (0..<self.shards).map { _ in FloatBuffer(count: 0) }
        shardLoss = [Double](repeating: 0, count: self.shards)
    }

    /// Rows of shard `s` for a minibatch of `n` windows: a contiguous range.
    public func shardRange(_ s: Int, of n: Int) -> Range<Int> {
        let base = n / shards, extra = n % shards
        let start = s * base + min(s, extra)
        return start..<(start + base + (s < extra ? 1 : 0))
    }

    private func workspace(shard s: Int, rows: Int) -> SequenceRegressor.Workspace {
        let key = s * 1_000_000 + rows
        if let w = workspaces[key] { return w }
        let w = SequenceRegressor.Workspace(model: model, batch: rows, length: lookback)
        workspaces[key] = w
        return w
    }

    /// Computes the minibatch loss and its gradient (into ``grads``).
    ///
    /// - Parameters:
    ///   - x: `[n, lookback, F]` inputs, batch-first.   - y: `[n, M]` targets.
    ///   - rng: dropout masks for shard s come from `rng.fork(s)`.
    /// - Returns: the mean loss over the minibatch.
    public func run(x: UnsafePointer<Float>, y: UnsafePointer<Float>, rows n: Int, targets M: Int,
                    params: ParameterStore, training: Bool = true, rng: SeededGenerator) -> Double {
        let F = model.config.recurrent.inputSize
        let K = loss.outputsPerTarget
        precondition(model.predictionCount(length: lookback) == M * K, "head width \(model.predictionCount(length: lookback)) != targets \(M) x \(K)")
        // Workspaces are created here, on the calling thread, before the workers start.
        let plan: [(Range<Int>, SequenceRegressor.Workspace?)] = (0..<shards).map { s in
            let r = shardRange(s, of: n)
            return (r, r.isEmpty ? nil : workspace(shard: s, rows: r.count))
        }
        for s in 0..<shards where dPred[s].count < plan[s].0.count * M * K {
            dPred[s] = FloatBuffer(count: plan[s].0.count * M * K)
        }
        let normalizer = n * M
        let lossKind = loss
        let model = self.model
        let shardCount = shards, workerCount = workers
        let dPredBuffers = dPred, shardStores = shardGrads
        let losses = UnsafeMutableBufferPointer<Double>.allocate(capacity: shardCount)
        defer { losses.deallocate() }
        losses.initialize(repeating: 0)
        let rank = exchange?.rank ?? 0, ranks = exchange?.size ?? 1
        // The shards this process computes (all of them in a single process).
        let local = (0..<shardCount).filter { $0 % ranks == rank }
        let work = { (s: Int) in
            let (range, wsOpt) = plan[s]
            shardStores[s].zero()
            guard let ws = wsOpt else { return }
            var r = rng.fork(UInt64(s))
            let pred = model.forward(x + range.lowerBound * self.lookback * F, workspace: ws, params: params, training: training, rng: &r)
            losses[s] = lossKind.evaluate(pred: pred.pointer, target: y + range.lowerBound * M, rows: range.count, targets: M,
                                          normalizer: normalizer, dPred: dPredBuffers[s].pointer)
            model.backward(dPredBuffers[s].pointer, workspace: ws, params: params, grads: shardStores[s])
        }
        // BLAS is single-threaded inside shards whatever the worker count: a multi-threaded
        // sgemm takes other code paths, and the bits would then depend on `workers`.
        let previous = BLASRuntime.threads
        BLASRuntime.setThreads(1)
        let activeWorkers = min(workerCount, local.count)
        WorkerPool.forEach(local.count, threads: activeWorkers) { i in work(local[i]) }
        BLASRuntime.setThreads(previous)
        exchange?.exchange(shardGradients: shardStores, losses: losses)
        // Sum in shard order: independent of the worker count (and of the rank count).
        grads.setSum(of: shardGrads, threads: workerCount)
        var total = 0.0
        for s in 0..<shardCount { total += losses[s] }
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
