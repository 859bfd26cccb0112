import Foundation

/// The benchmark workloads of `shared/peers/torch_rnn_bench.py`, defined identically so that
/// `forecast bench --json` and the PyTorch script can be compared in one run.
///
/// | name | cell | input | hidden | layers | lookback | batch | horizon |
/// |---|---|---|---|---|---|---|---|
/// | S-lstm | LSTM | 8 | 64 | 2 | 48 | 64 | 1 |
/// | S-gru | GRU | 8 | 64 | 2 | 48 | 64 | 1 |
/// | M-lstm | LSTM | 32 | 128 | 2 | 96 | 64 | 24 |
/// | L-lstm | LSTM | 64 | 512 | 1 | 64 | 128 | 1 |
/// | infer-1 | LSTM | 8 | 64 | 2 | 48 | 1 | 1 (forward only, latency) |
/// | infer-256 | LSTM | 8 | 64 | 2 | 48 | 256 | 1 (forward only, 256 windows in one call: throughput) |
///
/// A train step is forward over the window, MSE loss, backward through time and an Adam update.
public struct RecurrentWorkload: Sendable {
    public let name: String
    public let cell: CellKind
    public let input: Int, hidden: Int, layers: Int, lookback: Int, batch: Int, horizon: Int
    public let inferenceOnly: Bool

    public static let all: [RecurrentWorkload] = [
        .init(name: "S-lstm", cell: .lstm, input: 8, hidden: 64, layers: 2, lookback: 48, batch: 64, horizon: 1, inferenceOnly: false),
        .init(name: "S-gru", cell: .gru, input: 8, hidden: 64, layers: 2, lookback: 48, batch: 64, horizon: 1, inferenceOnly: false),
        .init(name: "M-lstm", cell: .lstm, input: 32, hidden: 128, layers: 2, lookback: 96, batch: 64, horizon: 24, inferenceOnly: false),
        .init(name: "L-lstm", cell: .lstm, input: 64, hidden: 512, layers: 1, lookback: 64, batch: 128, horizon: 1, inferenceOnly: false),
        .init(name: "infer-1", cell: .lstm, input: 8, hidden: 64, layers: 2, lookback: 48, batch: 1, horizon: 1, inferenceOnly: true),
        .init(name: "infer-256", cell: .lstm, input: 8, hidden: 64, layers: 2, lookback: 48, batch: 256, horizon: 1, inferenceOnly: true),
    ]

    public var model: SequenceRegressor {
        SequenceRegressor(.init(recurrent: RecurrentConfig(cell: cell, inputSize: input, hiddenSize: hidden, numLayers: layers), outputs: horizon))
    }

    /// Floating-point operations of one train step's matrix products (forward 1x, backward 2x),
    /// for reporting achieved GFLOP/s.
    public var trainStepFlops: Double {
        let G = Double(cell.gates), H = Double(hidden), B = Double(batch), T = Double(lookback)
        var f = 0.0
        for l in 0..<layers {
            let inSize = Double(l == 0 ? input : hidden)
            f += 2 * B * T * G * H * (inSize + H)
        }
        f += 2 * B * H * Double(horizon)
        return 3 * f
    }

    /// Floating-point operations of one forward pass's matrix products (the recurrent layers'
    /// input and hidden products and the head): infer-256 1.26 GFLOP, infer-1 4.9 MFLOP.
    public var forwardFlops: Double { trainStepFlops / 3 }

    /// Threads a forecast uses with `workers` available: the unit split of a single window
    /// (``Recurrent/splitsUnits(batch:)``), the layer pipeline of a stacked model
    /// (``Recurrent/pipelines(batch:)``) and the row split of a large batch
    /// (``Recurrent/splitsBatch(batch:)``, as many parts as it makes) run on at most two.
    public func inferenceThreads(workers: Int) -> Int {
        let recurrent = model.rnn
        let parallel = recurrent.splitsUnits(batch: batch) || recurrent.pipelines(batch: batch) || recurrent.splitsBatch(batch: batch)
        return parallel ? max(1, min(workers, 2)) : 1
    }

    /// Times the workload: a warm-up (``benchWarmUp``), then repeated calls until `seconds` have passed
    /// and at least five ran. Returns seconds per call.
    /// The workload's network with the weights ``measure(seconds:workers:shards:)`` times
    /// (seed 0), e.g. to export it and time the same network elsewhere.
    public func parameters() -> ParameterStore {
        var rng = SeededGenerator(seed: 0)
        return model.makeParameters(rng: &rng)
    }

    public func measure(seconds: Double, workers: Int, shards: Int) -> Double {
        var rng = SeededGenerator(seed: 0)
        let model = self.model
        let params = model.makeParameters(rng: &rng)
        let x = (0..<(batch * lookback * input)).map { _ in rng.nextNormal() }
        let y = (0..<(batch * horizon)).map { _ in rng.nextNormal() }
        let body: () -> Void
        let previousThreads = BLASRuntime.threads
        defer { BLASRuntime.setThreads(previousThreads) }
        if inferenceOnly {
            // One window is far too small to share across threads.
            BLASRuntime.setThreads(1)
            let ws = SequenceRegressor.Workspace(model: model, batch: batch, length: lookback)
            ws.cache.pipelineThreads = inferenceThreads(workers: workers)
            var r = SeededGenerator(seed: 1)
            body = { x.withUnsafeBufferPointer { _ = model.forward($0.baseAddress!, workspace: ws, params: params, rng: &r) } }
        } else {
            let step = DataParallelStep(model: WindowedRegressor(model, length: lookback), loss: .mse, shards: shards, workers: workers)
            let adam = Adam(layout: model.layout, learningRate: 1e-3)
            adam.threads = workers
            let r = SeededGenerator(seed: 1)
            body = {
                x.withUnsafeBufferPointer { xp in y.withUnsafeBufferPointer { yp in
                    _ = step.run(input: xp.baseAddress!, target: yp.baseAddress!, rows: batch, params: params, pass: .training(epoch: 0), rng: r)
                } }
                adam.update(params, grads: step.grads)
            }
        }
        benchWarmUp(body)
        var n = 0
        let t0 = DispatchTime.now().uptimeNanoseconds
        while true {
            body(); n += 1
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            if dt >= seconds && n >= 5 { return dt / Double(n) }
        }
    }
}

/// Warm-up before timing: at least three calls and at least half a second. A fresh process on
/// these VMs runs slowly for its first few hundred milliseconds (a short sgemm run reports 60%
/// of the steady rate); PyTorch's peer script warms up with three calls but only after the
/// seconds its import takes.
func benchWarmUp(_ body: () -> Void) {
    let start = DispatchTime.now().uptimeNanoseconds
    var calls = 0
    while calls < 3 || DispatchTime.now().uptimeNanoseconds - start < 500_000_000 {
        body()
        calls += 1
    }
}
