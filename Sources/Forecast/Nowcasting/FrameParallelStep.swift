import Dispatch

/// One MSE gradient computation of a ``FrameModel`` over a minibatch, cut into a fixed number
/// of shards that run on worker threads: the grid counterpart of ``DataParallelStep``.
///
/// The split depends only on the minibatch size and `shards`; each shard runs forward, loss and
/// backward in its own workspace into its own gradient store (BLAS single-threaded inside the
/// workers); shard gradients and losses are summed in shard order. The result is therefore
/// bit-identical for any `workers`.
public final class FrameParallelStep<Model: FrameModel>: @unchecked Sendable {
    public let model: Model
    public let shards: Int
    public let workers: Int
    /// The summed gradient of the last minibatch.
    public let grads: ParameterStore
    private let shardGrads: [ParameterStore]
    private var workspaces: [Int: Model.Workspace] = [:]       // key: shard * 1_000_000 + rows
    private let dPred: [FloatBuffer]
    private let maxRows: Int

    /// - Parameter maxBatch: the largest minibatch `run` will see.
    public init(model: Model, maxBatch: Int, shards: Int = 4, workers: Int = 1) {
        self.model = model
        self.shards = max(1, shards)
        self.workers = max(1, min(workers, self.shards))
        grads = ParameterStore(layout: model.layout)
        shardGrads = (0..<self.shards).map { _ in ParameterStore(layout: model.layout) }
        let shardCount = max(1, shards)
        let rows = (max(1, maxBatch) + shardCount - 1) / shardCount
        maxRows = rows
        dPred = (0..<shardCount).map { _ in FloatBuffer(count: rows * model.predictionCount) }
    }

    /// Rows of shard `s` for a minibatch of `n` samples.
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

    /// Mean squared error of the minibatch and its gradient (into ``grads``).
    /// - Parameters: x `[n, inputCount]`, y `[n, predictionCount]`, n ≤ maxBatch.
    public func run(x: UnsafePointer<Float>, y: UnsafePointer<Float>, rows n: Int, params: ParameterStore) -> Double {
        precondition(n <= shards * maxRows, "minibatch of \(n) exceeds the step's maximum")
        let I = model.inputCount, P = model.predictionCount
        let plan: [(Range<Int>, Model.Workspace?)] = (0..<shards).map { s in
            let r = shardRange(s, of: n)
            return (r, r.isEmpty ? nil : workspace(shard: s, rows: r.count))
        }
        let normalizer = n * P
        let model = self.model
        let dPredBuffers = dPred, stores = shardGrads
        let losses = UnsafeMutableBufferPointer<Double>.allocate(capacity: shards)
        defer { losses.deallocate() }
        losses.initialize(repeating: 0)
        let work = { (s: Int) in
            let (range, wsOpt) = plan[s]
            stores[s].zero()
            guard let ws = wsOpt else { return }
            let pred = model.forward(x + range.lowerBound * I, workspace: ws, params: params)
            losses[s] = LossKind.mse.evaluate(pred: pred, target: y + range.lowerBound * P, rows: 1, targets: range.count * P,
                                              normalizer: normalizer, dPred: dPredBuffers[s].pointer)
            model.backward(dPredBuffers[s].pointer, workspace: ws, params: params, grads: stores[s])
        }
        // BLAS single-threaded in every case: a multi-threaded sgemm may take other code paths
        // (OpenBLAS's small-matrix kernels are single-thread only), which would make the result
        // depend on the worker count.
        let previous = BLASRuntime.threads
        BLASRuntime.setThreads(1)
        if workers == 1 {
            for s in 0..<shards { work(s) }
        } else {
            let shardCount = shards, workerCount = workers
            WorkerPool.forEach(shardCount, threads: workerCount) { s in work(s) }
        }
        BLASRuntime.setThreads(previous)
        grads.setSum(of: shardGrads, threads: workers)
        var total = 0.0
        for s in 0..<shards { total += losses[s] }
        return total
    }
}
