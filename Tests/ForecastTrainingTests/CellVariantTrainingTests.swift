import Foundation
import XCTest
import ForecastTraining
import _TestSupport

/// Training with the extra cells (leaky units with learned τ, dilated layers) through
/// `Trainer<WindowedRegressor>`: bit-identical weights for 1, 2 and 3 workers.
final class CellVariantTrainingTests: XCTestCase {
    func train(_ rc: RecurrentConfig, workers: Int, epochs: Int = 2) throws -> [UInt8] {
        let model = WindowedRegressor(SequenceRegressor(.init(recurrent: rc, outputs: 3)), length: 10)
        var rng = SeededGenerator(seed: 1)
        let params = model.makeParameters(rng: &rng)
        var cfg = TrainingConfig()
        cfg.epochs = epochs; cfg.batchSize = 16; cfg.workers = workers; cfg.shards = 4; cfg.seed = 7
        let trainer = Trainer(model: model, params: params, config: cfg)
        try trainer.fit(train: sineWindows(count: 90, lookback: 10, horizon: 3), validation: sineWindows(count: 20, lookback: 10, horizon: 3, seed: 9))
        return params.tensorBytes()
    }

    func testBitIdenticalForAnyWorkerCount() throws {
        for rc in [
            RecurrentConfig(cell: .leakyRNN, inputSize: 2, hiddenSize: 8, numLayers: 2, dropout: 0.1, tau: 3, learnsTau: true),
            RecurrentConfig(cell: .lstm, inputSize: 2, hiddenSize: 8, numLayers: 2, dilations: [1, 2]),
            RecurrentConfig(cell: .gru, inputSize: 2, hiddenSize: 8, numLayers: 3, dilations: [1, 2, 4]),
            RecurrentConfig(cell: .leakyRNN, inputSize: 2, hiddenSize: 8, numLayers: 2, dilations: [2, 3], tau: 2),
        ] {
            let one = try train(rc, workers: 1), two = try train(rc, workers: 2), three = try train(rc, workers: 3)
            XCTAssertEqual(one, two, "\(rc)")
            XCTAssertEqual(one, three, "\(rc)")
            XCTAssertNotEqual(one, try train(rc, workers: 1, epochs: 1), "training must change the weights: \(rc)")
        }
    }

    /// A learned τ moves, and stays at least 1.
    func testLearnedTauTrainsAndStaysAboveOne() throws {
        let rc = RecurrentConfig(cell: .leakyRNN, inputSize: 2, hiddenSize: 8, numLayers: 1, tau: 1.5, learnsTau: true)
        let model = WindowedRegressor(SequenceRegressor(.init(recurrent: rc, outputs: 3)), length: 10)
        var rng = SeededGenerator(seed: 1)
        let params = model.makeParameters(rng: &rng)
        let before = params.tensor("rnn.tau_rho_l0")?.scalars ?? []
        var cfg = TrainingConfig()
        cfg.epochs = 3; cfg.batchSize = 16; cfg.workers = 2; cfg.seed = 7; cfg.learningRate = 1e-2
        try Trainer(model: model, params: params, config: cfg).fit(train: sineWindows(count: 90, lookback: 10, horizon: 3))
        let after = params.tensor("rnn.tau_rho_l0")?.scalars ?? []
        XCTAssertEqual(after.count, 8)
        XCTAssertNotEqual(before, after, "the τ parameters receive gradients")
        for rho in after { XCTAssertGreaterThanOrEqual(1 + log1p(exp(Double(rho))), 1) }
    }
}
