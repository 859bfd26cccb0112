import Foundation

/// `stream-1`: one new observation of one series into S-lstm's network (LSTM, 8 inputs, 64
/// units, 2 layers): the carried-state update of ``ForecastStream`` (``RecurrentStepper``, one
/// step per layer and the head), to set against `infer-1`, the same network re-running its
/// 48-step window.
public enum StreamWorkload {
    public static let name = "stream-1"
    public static let network = RecurrentWorkload.all.first { $0.name == "infer-1" }!

    /// Seconds per update (warm-up as the other workloads, then at least `seconds`).
    public static func measure(seconds: Double) -> Double {
        let w = network
        let model = w.model
        let params = w.parameters()
        var rng = SeededGenerator(seed: 1)
        let xs = (0..<(64 * w.input)).map { _ in rng.nextNormal() }
        let previousThreads = BLASRuntime.threads
        defer { BLASRuntime.setThreads(previousThreads) }
        BLASRuntime.setThreads(1)
        let stepper = RecurrentStepper(model: model, params: params)
        var i = 0
        let body = {
            xs.withUnsafeBufferPointer { _ = stepper.step($0.baseAddress! + (i % 64) * w.input) }
            i += 1
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
