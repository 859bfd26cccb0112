import XCTest
import ForecastLayers
import _TestSupport

final class DropoutTests: XCTestCase {
    /// Dropout acts only in training, between layers, is reproducible from the seed, and its
    /// backward pass matches finite differences with the same mask.
    func testDropoutIsSeededTrainingOnlyAndDifferentiable() {
        var rng = SeededGenerator(seed: 11)
        let rc = RecurrentConfig(cell: .lstm, inputSize: 3, hiddenSize: 8, numLayers: 2, dropout: 0.5)
        let model = SequenceRegressor(.init(recurrent: rc, outputs: 1))
        let params = model.makeParameters(rng: &rng)
        let x = randomArray(2 * 5 * 3, &rng)
        let ws = SequenceRegressor.Workspace(model: model, batch: 2, length: 5)
        func run(training: Bool, seed: UInt64) -> [Float] {
            var r = SeededGenerator(seed: seed)
            return x.withUnsafeBufferPointer { model.forward($0.baseAddress!, workspace: ws, params: params, training: training, rng: &r).toArray() }
        }
        XCTAssertEqual(run(training: false, seed: 1), run(training: false, seed: 2), "no dropout at inference")
        XCTAssertEqual(run(training: true, seed: 3), run(training: true, seed: 3), "same seed, same mask")
        XCTAssertNotEqual(run(training: true, seed: 3), run(training: true, seed: 4), "other seed, other mask")
        XCTAssertNotEqual(run(training: true, seed: 3), run(training: false, seed: 3))

        // Gradient with a fixed mask (seed 5) against finite differences.
        _ = run(training: true, seed: 5)
        let grads = ParameterStore(layout: model.layout)
        [Float](repeating: 1, count: 2).withUnsafeBufferPointer { model.backward($0.baseAddress!, workspace: ws, params: params, grads: grads) }
        let e = model.layout.entry("rnn.weight_ih_l1")!
        for k in 0..<5 {
            let i = e.offset + k * 7
            let old = params.base[i]
            params.base[i] = old + 1e-2; params.markModified(); let fp = run(training: true, seed: 5).reduce(0, +)
            params.base[i] = old - 1e-2; params.markModified(); let fm = run(training: true, seed: 5).reduce(0, +)
            params.base[i] = old; params.markModified()
            let num = Double(fp - fm) / 2e-2
            XCTAssertEqual(Double(grads.base[i]), num, accuracy: 2e-3 + 2e-2 * abs(num))
        }
    }
}
