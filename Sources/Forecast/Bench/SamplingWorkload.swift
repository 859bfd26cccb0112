import Foundation

/// The sampling benchmark of the autoregressive family (`forecast bench --workload sample-1000`):
/// 1,000 Gaussian sample paths of 48 steps for one series from an LSTM with the S-lstm shape
/// (2 layers × 64 hidden; one input, the previous value), after a 48-step context. The PyTorch
/// twin is Benchmarks/deepar_sampling_torch.py (a loop of 48 steps over a batch of 1,000).
public enum SamplingWorkload {
    public static let name = "sample-1000"
    public static let paths = 1000, steps = 48, context = 48

    /// The model (seeded weights) and a history to sample after.
    public static func make() -> (AutoregressiveForecaster, [Float]) {
        let config = AutoregressiveRegressor.Config(
            regressor: .init(recurrent: RecurrentConfig(cell: .lstm, inputSize: 1, hiddenSize: 64, numLayers: 2), outputs: 2, readout: .everyStep),
            length: context + steps)
        var rng = SeededGenerator(seed: 3)
        let model = AutoregressiveRegressor(config)
        let params = model.makeParameters(rng: &rng)
        let spec = AutoregressiveSpec(model: config, likelihood: .gaussian, context: context, horizon: steps, target: "value",
                                      timeColumn: nil, seriesKey: nil, frequency: nil, seasonLength: 1,
                                      split: SplitSpec(validation: 0.1, test: 0.1), samples: paths, seed: 1)
        let history = (0..<200).map { Float(10 + 3 * sin(Double($0) * 0.26)) }
        return (AutoregressiveForecaster(spec: spec, params: params, provenance: nil), history)
    }

    /// Seconds per 1,000 × 48 draw (mean over runs of at least `seconds` after one warm-up).
    public static func measure(seconds: Double, workers: Int) throws -> Double {
        BLASRuntime.setThreads(1)
        let (m, history) = make()
        _ = try m.samplePaths(history: history[...], paths: paths, seed: 1, workers: workers)
        var runs = 0
        let t0 = Date()
        repeat {
            _ = try m.samplePaths(history: history[...], paths: paths, seed: UInt64(runs), workers: workers)
            runs += 1
        } while Date().timeIntervalSince(t0) < seconds || runs < 3
        return Date().timeIntervalSince(t0) / Double(runs)
    }
}
