import XCTest
import Dispatch
import ForecastLayers
import _TestSupport

/// Small-batch inference through stacked layers runs as a layer pipeline across threads
/// (RecurrentPipeline.swift). Its results must not depend on the thread count, and must agree
/// with the plain forward pass (training mode, no dropout) to rounding.
final class PipelineTests: XCTestCase {
    struct Run { var y: [Float]; var hN: [Float]; var cN: [Float] }

    func run(_ layer: Recurrent, _ params: ParameterStore, x: [Float], h0: [Float]?, c0: [Float]?,
             B: Int, T: Int, threads: Int, training: Bool) -> Run {
        let cache = RecurrentCache.loaded(layer, B: B, T: T, x: x, h0: h0, c0: c0, threads: threads)
        var rng = SeededGenerator(seed: 3)
        layer.forward(cache, params: params, training: training, rng: &rng)
        return Run(y: cache.output.toArray(), hN: cache.hN.toArray(), cN: cache.cN.toArray())
    }

    func testPipelineIsThreadCountIndependentAndMatchesPlainForward() {
        var checked = 0
        for cell in [CellKind.lstm, .gru, .rnnTanh] {
            for (L, B, T, H) in [(2, 1, 13, 16), (3, 3, 5, 8), (2, 8, 9, 32), (4, 2, 1, 8), (2, 1, 48, 64)] {
                for initial in [false, true] {
                    var rng = SeededGenerator(seed: UInt64(checked + 1))
                    let config = RecurrentConfig(cell: cell, inputSize: 5, hiddenSize: H, numLayers: L)
                    var layout = ParameterLayout()
                    let layer = Recurrent(config, layout: &layout)
                    let params = ParameterStore(layout: layout)
                    layer.initialize(params, rng: &rng)
                    XCTAssertTrue(layer.pipelines(batch: B) || layer.splitsUnits(batch: B))
                    let x = randomArray(T * B * 5, &rng)
                    let h0 = initial ? randomArray(L * B * H, &rng, scale: 0.5) : nil
                    let c0 = initial && cell == .lstm ? randomArray(L * B * H, &rng, scale: 0.5) : nil
                    let one = run(layer, params, x: x, h0: h0, c0: c0, B: B, T: T, threads: 1, training: false)
                    let two = run(layer, params, x: x, h0: h0, c0: c0, B: B, T: T, threads: 2, training: false)
                    XCTAssertEqual(one.y, two.y, "\(cell) L\(L) B\(B) T\(T): pipeline output depends on threads")
                    XCTAssertEqual(one.hN, two.hN)
                    XCTAssertEqual(one.cN, two.cN)
                    let plain = run(layer, params, x: x, h0: h0, c0: c0, B: B, T: T, threads: 1, training: true)
                    for (a, b) in zip(one.y + one.hN + one.cN, plain.y + plain.hN + plain.cN) {
                        XCTAssertEqual(a, b, accuracy: 1e-5 + 1e-5 * abs(b), "\(cell) L\(L) B\(B) T\(T) initial \(initial)")
                    }
                    checked += 1
                }
            }
        }
        XCTAssertEqual(checked, 30)
    }

    /// Eight threads forecast at once (the pool serves one, the others run alone) and all get
    /// the one-thread forecast.
    func assertConcurrentCallersAgree(hidden: Int, layers: Int, batch B: Int, length T: Int, seed: UInt64,
                                      file: StaticString = #filePath, line: UInt = #line) {
        var rng = SeededGenerator(seed: seed)
        let config = RecurrentConfig(cell: .lstm, inputSize: 4, hiddenSize: hidden, numLayers: layers)
        var layout = ParameterLayout()
        let layer = Recurrent(config, layout: &layout)
        let params = ParameterStore(layout: layout)
        layer.initialize(params, rng: &rng)
        let x = randomArray(T * B * 4, &rng)
        let expected = run(layer, params, x: x, h0: nil, c0: nil, B: B, T: T, threads: 1, training: false)
        let results = UnsafeMutableBufferPointer<Bool>.allocate(capacity: 8)
        defer { results.deallocate() }
        results.initialize(repeating: false)
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            var ok = true
            for _ in 0..<20 {
                let r = self.run(layer, params, x: x, h0: nil, c0: nil, B: B, T: T, threads: 2, training: false)
                ok = ok && r.y == expected.y && r.hN == expected.hN && r.cN == expected.cN
            }
            results[i] = ok
        }
        XCTAssertTrue(results.allSatisfy { $0 }, file: file, line: line)
    }

    func testConcurrentCallersGetTheSameForecasts() {
        assertConcurrentCallersAgree(hidden: 32, layers: 3, batch: 2, length: 20, seed: 9)    // layer pipeline
        assertConcurrentCallersAgree(hidden: 64, layers: 2, batch: 1, length: 30, seed: 5)    // unit split
    }

    /// Single windows (batch 1, H a multiple of 32) split each layer's units across two
    /// threads (RecurrentUnitSplit.swift): same bits for 1 and 2 threads (and for callers on a
    /// busy pool: testConcurrentCallersGetTheSameForecasts),
    /// within rounding of the plain forward, for every cell, depth and initial state.
    func testUnitSplitIsThreadCountIndependentAndMatchesPlainForward() {
        var checked = 0
        for cell in [CellKind.lstm, .gru, .rnnTanh, .rnnRelu] {
            for (L, T, H, I) in [(1, 7, 32, 3), (2, 48, 64, 8), (3, 5, 32, 40), (2, 1, 96, 5)] {
                for initial in [false, true] {
                    var rng = SeededGenerator(seed: UInt64(100 + checked))
                    let config = RecurrentConfig(cell: cell, inputSize: I, hiddenSize: H, numLayers: L)
                    var layout = ParameterLayout()
                    let layer = Recurrent(config, layout: &layout)
                    let params = ParameterStore(layout: layout)
                    layer.initialize(params, rng: &rng)
                    XCTAssertTrue(layer.splitsUnits(batch: 1))
                    XCTAssertFalse(layer.pipelines(batch: 1))
                    let x = randomArray(T * I, &rng)
                    let h0 = initial ? randomArray(L * H, &rng, scale: 0.5) : nil
                    let c0 = initial && cell == .lstm ? randomArray(L * H, &rng, scale: 0.5) : nil
                    let one = run(layer, params, x: x, h0: h0, c0: c0, B: 1, T: T, threads: 1, training: false)
                    let two = run(layer, params, x: x, h0: h0, c0: c0, B: 1, T: T, threads: 2, training: false)
                    let label = "\(cell) L\(L) T\(T) H\(H) initial \(initial)"
                    XCTAssertEqual(one.y, two.y, "\(label): output depends on threads")
                    XCTAssertEqual(one.hN, two.hN, label)
                    XCTAssertEqual(one.cN, two.cN, label)
                    let plain = run(layer, params, x: x, h0: h0, c0: c0, B: 1, T: T, threads: 1, training: true)
                    for (a, b) in zip(one.y + one.hN + one.cN, plain.y + plain.hN + plain.cN) {
                        XCTAssertEqual(a, b, accuracy: 1e-5 + 1e-5 * abs(b), label)
                    }
                    checked += 1
                }
            }
        }
        XCTAssertEqual(checked, 32)
    }

    /// Batches beyond the pipeline's split by rows (RecurrentBatchSplit.swift): same bits for 1
    /// and 2 threads, each row the bits it gets in a smaller batch (other parts, other blocks),
    /// within rounding of the plain forward, for every cell, depth and initial state.
    func testBatchSplitIsThreadAndPartitionIndependentAndMatchesPlainForward() {
        var checked = 0
        for cell in [CellKind.lstm, .gru, .rnnTanh, .rnnRelu] {
            for (L, B, T, H, I) in [(2, 40, 9, 64, 8), (1, 9, 5, 32, 3), (3, 19, 4, 16, 5), (2, 300, 3, 64, 8)] {
                for initial in [false, true] {
                    var rng = SeededGenerator(seed: UInt64(500 + checked))
                    let config = RecurrentConfig(cell: cell, inputSize: I, hiddenSize: H, numLayers: L)
                    var layout = ParameterLayout()
                    let layer = Recurrent(config, layout: &layout)
                    let params = ParameterStore(layout: layout)
                    layer.initialize(params, rng: &rng)
                    XCTAssertTrue(layer.splitsBatch(batch: B))
                    XCTAssertFalse(layer.pipelines(batch: B))
                    let x = randomArray(T * B * I, &rng)
                    let h0 = initial ? randomArray(L * B * H, &rng, scale: 0.5) : nil
                    let c0 = initial && cell == .lstm ? randomArray(L * B * H, &rng, scale: 0.5) : nil
                    let label = "\(cell) L\(L) B\(B) T\(T) H\(H) initial \(initial)"
                    let one = run(layer, params, x: x, h0: h0, c0: c0, B: B, T: T, threads: 1, training: false)
                    let two = run(layer, params, x: x, h0: h0, c0: c0, B: B, T: T, threads: 2, training: false)
                    XCTAssertEqual(one.y, two.y, "\(label): output depends on threads")
                    XCTAssertEqual(one.hN, two.hN, label)
                    XCTAssertEqual(one.cN, two.cN, label)
                    // The first `sub` windows alone (another split into parts, other row blocks).
                    let sub = B - 4
                    func firstRows(_ a: [Float], perRow n: Int, groups: Int) -> [Float] {
                        (0..<groups).flatMap { g in a[(g * B * n)..<(g * B * n + sub * n)] }
                    }
                    if layer.splitsBatch(batch: sub) {
                        let part = run(layer, params, x: firstRows(x, perRow: I, groups: T),
                                       h0: h0.map { firstRows($0, perRow: H, groups: L) }, c0: c0.map { firstRows($0, perRow: H, groups: L) },
                                       B: sub, T: T, threads: 2, training: false)
                        XCTAssertEqual(part.y, firstRows(one.y, perRow: H, groups: T), "\(label): rows depend on the batch")
                    }
                    let plain = run(layer, params, x: x, h0: h0, c0: c0, B: B, T: T, threads: 1, training: true)
                    for (a, b) in zip(one.y + one.hN + one.cN, plain.y + plain.hN + plain.cN) {
                        XCTAssertEqual(a, b, accuracy: 1e-5 + 1e-5 * abs(b), label)
                    }
                    checked += 1
                }
            }
        }
        XCTAssertEqual(checked, 32)
    }

    func testBidirectionalAndSingleLayerDoNotPipeline() {
        var layout = ParameterLayout()
        let bi = Recurrent(RecurrentConfig(cell: .lstm, inputSize: 3, hiddenSize: 8, numLayers: 2, bidirectional: true), layout: &layout)
        XCTAssertFalse(bi.pipelines(batch: 1))
        var layout2 = ParameterLayout()
        let single = Recurrent(RecurrentConfig(cell: .gru, inputSize: 3, hiddenSize: 8, numLayers: 1), layout: &layout2)
        XCTAssertFalse(single.pipelines(batch: 1))
        var layout3 = ParameterLayout()
        let stacked = Recurrent(RecurrentConfig(cell: .gru, inputSize: 3, hiddenSize: 8, numLayers: 2), layout: &layout3)
        XCTAssertFalse(stacked.pipelines(batch: Recurrent.pipelineMaxBatch + 1))
    }
}
