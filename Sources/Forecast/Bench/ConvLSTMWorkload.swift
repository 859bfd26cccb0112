import Foundation

/// The `convlstm` workload of `shared/peers/torch_rnn_bench.py`, defined identically:
/// a ConvLSTM with 1 input and 32 hidden channels, 3x3 kernel, on a 32x32 grid, 10 frames in,
/// batch 8, and a 1x1 convolution on the last hidden state predicting the next frame
/// (`ConvLSTMNext` in the script). One train step = forward, MSE, backward through time, Adam
/// (lr 1e-3) — through ``FrameParallelStep`` like the nowcasting trainer.
public struct ConvLSTMWorkload: Sendable {
    public let name = "convlstm"
    public let inputChannels = 1, hidden = 32, kernel = 3, height = 32, width = 32, frames = 10, batch = 8

    public init() {}

    /// The model; like PyTorch's, the step does not form a gradient for the input frames.
    public var model: ConvLSTMRegressor {
        var m = ConvLSTMRegressor(.init(convLSTM: ConvLSTMConfig(inputChannels: inputChannels, hidden: [hidden], kernel: kernel),
                                        outputs: 1, length: frames, height: height, width: width))
        m.computesInputGradient = false
        return m
    }

    /// Floating-point operations of one train step's convolutions and head (forward 1x,
    /// backward 2x; the first step has no hidden part), for reporting GFLOP/s.
    public var trainStepFlops: Double {
        let N = Double(batch * height * width), G = Double(4 * hidden), k2 = Double(kernel * kernel)
        let full = 2 * N * G * k2 * Double(inputChannels + hidden), first = 2 * N * G * k2 * Double(inputChannels)
        let forward = first + Double(frames - 1) * full + 2 * N * Double(hidden)
        return 3 * forward
    }

    /// Seconds per train step: a warm-up (``benchWarmUp``), then steps until `seconds` have passed and
    /// at least five ran. `workers` worker threads over `shards` shards of the batch of 8.
    public func measure(seconds: Double, workers: Int, shards: Int) -> Double {
        var rng = SeededGenerator(seed: 0)
        let model = self.model
        let params = model.makeParameters(rng: &rng)
        let x = (0..<(batch * model.inputCount)).map { _ in rng.nextNormal() }
        let y = (0..<(batch * model.predictionCount)).map { _ in rng.nextNormal() }
        let previousThreads = BLASRuntime.threads
        defer { BLASRuntime.setThreads(previousThreads) }
        let step = DataParallelStep(model: model, loss: .mse, shards: shards, workers: workers)
        let r = SeededGenerator(seed: 1)
        let adam = Adam(layout: model.layout, learningRate: 1e-3)
        adam.threads = workers
        let body = {
            x.withUnsafeBufferPointer { xp in y.withUnsafeBufferPointer { yp in
                _ = step.run(input: xp.baseAddress!, target: yp.baseAddress!, rows: batch, params: params, pass: .training(epoch: 0), rng: r)
            } }
            adam.update(params, grads: step.grads)
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

    /// The JSON object `forecast bench --json` prints for this workload (same keys as the
    /// PyTorch script: workload, train_step_ms, samples_per_s; plus blas_core, workers, shards,
    /// gflops).
    public func report(seconds perStep: Double, workers: Int, shards: Int) -> [String: Any] {
        ["workload": name, "blas_core": BLASRuntime.coreName, "workers": workers, "shards": shards,
         "train_step_ms": (perStep * 1e6).rounded() / 1000,
         "samples_per_s": (Double(batch) / perStep * 10).rounded() / 10,
         "gflops": (trainStepFlops / perStep / 1e9 * 10).rounded() / 10]
    }
}
