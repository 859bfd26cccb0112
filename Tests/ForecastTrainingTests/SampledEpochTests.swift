import Foundation
import XCTest
@testable import ForecastTraining
import _TestSupport

/// `windowsPerEpoch`: an epoch trains on a seeded sample of the windows (bit-identical for any
/// worker count), validation scores one fixed seeded sample.
final class SampledEpochTests: XCTestCase {
    func model() -> WindowedRegressor {
        WindowedRegressor(SequenceRegressor(.init(recurrent: RecurrentConfig(cell: .gru, inputSize: 2, hiddenSize: 8, numLayers: 1), outputs: 3)), length: 10)
    }

    func train(workers: Int, perEpoch: Int?, batches: inout [Int]) throws -> [UInt8] {
        let m = model()
        var rng = SeededGenerator(seed: 1)
        let params = m.makeParameters(rng: &rng)
        var cfg = TrainingConfig()
        cfg.epochs = 3; cfg.batchSize = 16; cfg.workers = workers; cfg.shards = 4; cfg.seed = 7; cfg.patience = nil
        cfg.windowsPerEpoch = perEpoch
        let trainer = Trainer(model: m, params: params, config: cfg)
        var seen: [Int] = []
        trainer.onEvent = { if case .batch(_, _, let b, let of, _, _, _) = $0, b == of { seen.append(of) } }
        try trainer.fit(train: sineWindows(count: 400, lookback: 10, horizon: 3), validation: sineWindows(count: 120, lookback: 10, horizon: 3, seed: 9))
        batches = seen
        return params.tensorBytes()
    }

    func testSampledEpochsAreSeededAndWorkerIndependent() throws {
        var b1: [Int] = [], b2: [Int] = [], b3: [Int] = [], full: [Int] = []
        let one = try train(workers: 1, perEpoch: 50, batches: &b1)
        XCTAssertEqual(b1, [4, 4, 4], "50 windows per epoch in batches of 16")
        XCTAssertEqual(one, try train(workers: 2, perEpoch: 50, batches: &b2))
        XCTAssertEqual(one, try train(workers: 3, perEpoch: 50, batches: &b3))
        let all = try train(workers: 1, perEpoch: nil, batches: &full)
        XCTAssertEqual(full, [25, 25, 25])
        XCTAssertNotEqual(one, all)
        // A sample as large as the set is the full epoch, bit for bit.
        XCTAssertEqual(all, try train(workers: 1, perEpoch: 400, batches: &full))
    }

    func testDrawsAreDistinctUniformAndSeeded() {
        var a = SeededGenerator(seed: 3), b = SeededGenerator(seed: 3)
        let x = drawDistinct(1000, of: 47_000_000, &a)
        XCTAssertEqual(x, drawDistinct(1000, of: 47_000_000, &b))
        XCTAssertEqual(Set(x).count, 1000)
        XCTAssertTrue(x.allSatisfy { $0 >= 0 && $0 < 47_000_000 })
        // Drawing everything is a permutation.
        var c = SeededGenerator(seed: 4)
        XCTAssertEqual(drawDistinct(500, of: 500, &c).sorted(), Array(0..<500))
        // Uniform: each of 10 values is drawn about equally often as the first of 3.
        var counts = [Int](repeating: 0, count: 10)
        var d = SeededGenerator(seed: 5)
        for _ in 0..<20_000 { counts[drawDistinct(3, of: 10, &d)[0]] += 1 }
        XCTAssertTrue(counts.allSatisfy { abs($0 - 2000) < 200 }, "\(counts)")
        // The fixed validation sample: same seed, same windows, in order.
        let v = sineWindows(count: 120, lookback: 10, horizon: 3, seed: 9)
        let s1 = SampledSamples.seeded(v, count: 30, seed: 11), s2 = SampledSamples.seeded(v, count: 30, seed: 11)
        XCTAssertEqual(s1.indices, s2.indices)
        XCTAssertEqual(s1.indices, s1.indices.sorted())
        XCTAssertEqual(Set(s1.indices).count, 30)
    }
}
