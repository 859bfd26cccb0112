import XCTest
@testable import ForecastLayers
import ForecastCore
import _TestSupport

/// The inference-only LSTM and GRU steps of a batch split (`fk_infer_step`, InferenceKernels.c)
/// against the keeping plan they stand in for: the same bits for every output, tile remainders
/// included, and a backward pass after an inference-only forward gets the gradients it gets after
/// the keeping forward.
final class InferenceStepTests: XCTestCase {
    struct Outputs: Equatable { var y: [[Float]]; var hN: [Float]; var cN: [Float] }

    func makeLayer(_ cell: CellKind = .lstm, L: Int, H: Int, I: Int, seed: UInt64) -> (Recurrent, ParameterStore) {
        var rng = SeededGenerator(seed: seed)
        var layout = ParameterLayout()
        let layer = Recurrent(RecurrentConfig(cell: cell, inputSize: I, hiddenSize: H, numLayers: L), layout: &layout)
        let params = ParameterStore(layout: layout)
        layer.initialize(params, rng: &rng)
        return (layer, params)
    }

    func outputs(_ cache: RecurrentCache) -> Outputs {
        Outputs(y: cache.ys.map { $0.toArray() }, hN: cache.hN.toArray(), cN: cache.cN.toArray())
    }

    /// LSTM and GRU; shapes with whole tiles (H = 64), column remainders (LSTM 4H = 80: one
    /// 64-wide tile and 16 single columns; GRU 3H = 96, 60), row remainders (parts of 9, 19 and
    /// 100 rows against blocks of 6), one to three layers, with and without initial states.
    func testInferenceStepsHaveTheKeepingPlansBits() {
        var checked = 0
        for cell in [CellKind.lstm, .gru] {
        for (L, B, T, H, I) in [(2, 256, 6, 64, 8), (1, 9, 5, 32, 3), (3, 19, 4, 20, 5), (2, 300, 3, 64, 70)] {
            for initial in [false, true] {
                let (layer, params) = makeLayer(cell, L: L, H: H, I: I, seed: UInt64(900 + checked))
                XCTAssertTrue(layer.splitsBatch(batch: B))
                var rng = SeededGenerator(seed: UInt64(50 + checked))
                let x = randomArray(T * B * I, &rng, scale: 2)
                let h0 = initial ? randomArray(L * B * H, &rng, scale: 0.5) : nil
                let c0 = initial && cell == .lstm ? randomArray(L * B * H, &rng, scale: 0.5) : nil
                let label = "\(cell) L\(L) B\(B) T\(T) H\(H) I\(I) initial \(initial)"

                var outs: [Outputs] = []
                for threads in [1, 2] {
                    let cache = RecurrentCache.loaded(layer, B: B, T: T, x: x, h0: h0, c0: c0, threads: threads)
                    var r = SeededGenerator(seed: 1)
                    layer.forward(cache, params: params, training: false, rng: &r)
                    XCTAssertFalse(cache.activationsKept, "\(label): an inference forward of a batch split keeps nothing")
                    outs.append(outputs(cache))
                }
                let keeping = RecurrentCache.loaded(layer, B: B, T: T, x: x, h0: h0, c0: c0, threads: 1)
                if cell == .lstm { layer.forwardBatchSplit(LSTMCell.self, keeping, params: params, keepActivations: true) }
                else { layer.forwardBatchSplit(GRUCell.self, keeping, params: params, keepActivations: true) }
                XCTAssertTrue(keeping.activationsKept)
                let kept = outputs(keeping)
                XCTAssertEqual(outs[0], outs[1], "\(label): depends on the thread count")
                XCTAssertTrue(outs[0] == kept, "\(label): inference steps differ from the keeping plan")
                if outs[0] != kept {
                    let diff = zip(outs[0].y.joined(), kept.y.joined()).map { abs($0 - $1) }.max() ?? 0
                    XCTFail("\(label): largest difference \(diff)")
                }
                checked += 1
            }
        }
        }
        XCTAssertEqual(checked, 16)
    }

    /// A backward pass right after an inference-only forward (as gradient checks do) runs the
    /// keeping plan first: the gradients are those after a keeping forward, bit for bit.
    func testBackwardAfterInferenceForwardGetsTheKeepingGradients() {
        for cell in [CellKind.lstm, .gru] { backwardAfterInference(cell) }
    }

    func backwardAfterInference(_ cell: CellKind) {
        let (L, B, T, H, I) = (2, 40, 5, 16, 3)
        let (layer, params) = makeLayer(cell, L: L, H: H, I: I, seed: 77)
        var rng = SeededGenerator(seed: 78)
        let x = randomArray(T * B * I, &rng)
        let dTop = randomArray(T * B * H, &rng)
        func gradients(inferenceForward: Bool) -> ([Float], [Float]) {
            let cache = RecurrentCache.loaded(layer, B: B, T: T, x: x, h0: nil, c0: nil, threads: 2)
            if inferenceForward {
                var r = SeededGenerator(seed: 1)
                layer.forward(cache, params: params, training: false, rng: &r)
                XCTAssertFalse(cache.activationsKept)
            } else if cell == .lstm {
                layer.forwardBatchSplit(LSTMCell.self, cache, params: params, keepActivations: true)
            } else {
                layer.forwardBatchSplit(GRUCell.self, cache, params: params, keepActivations: true)
            }
            let grads = ParameterStore(layout: params.layout)
            dTop.withUnsafeBufferPointer { layer.backward(cache, dTop: $0.baseAddress!, params: params, grads: grads) }
            XCTAssertTrue(cache.activationsKept)
            return (Array(grads.flat), cache.dX!.toArray())
        }
        let after = gradients(inferenceForward: true), keeping = gradients(inferenceForward: false)
        XCTAssertEqual(after.0, keeping.0)
        XCTAssertEqual(after.1, keeping.1)
        XCTAssertTrue(after.0.contains { $0 != 0 })
    }
}
