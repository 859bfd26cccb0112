import XCTest
import ForecastLayers
import _TestSupport

/// ``CategoricalEmbedding`` inside a ``SequenceRegressor``: finite differences of the tables'
/// gradient, equality with a plain regressor fed the expanded rows, the unknown row, and the
/// dimension rule.
final class CategoricalEmbeddingTests: XCTestCase {
    /// Raw rows [B, T, 4]: columns 0 and 2 are values, 1 and 3 category indices (3 and 5 levels + unknown).
    let inputs = [EmbeddingInput(column: 1, cardinality: 4, dimension: 2), EmbeddingInput(column: 3, cardinality: 6, dimension: 3)]

    func rawWindow(B: Int, T: Int, rng: inout SeededGenerator) -> [Float] {
        var x = randomArray(B * T * 4, &rng)
        for b in 0..<B {
            let i1 = Float(b % 4), i2 = Float((2 * b + 1) % 5)            // static within the window; row 5 unused
            for t in 0..<T { x[(b * T + t) * 4 + 1] = i1; x[(b * T + t) * 4 + 3] = i2 }
        }
        return x
    }

    func model(cell: CellKind = .lstm, bidir: Bool = false) -> SequenceRegressor {
        let rc = RecurrentConfig(cell: cell, inputSize: 2 + 2 + 3, hiddenSize: 4, numLayers: 1, bidirectional: bidir)
        return SequenceRegressor(.init(recurrent: rc, outputs: 2, embeddings: inputs))
    }

    func testShapesAndLayout() {
        let m = model()
        XCTAssertEqual(m.config.rawInputSize, 4)
        XCTAssertEqual(m.layout.entry("embed.0.weight")?.shape, [4, 2])
        XCTAssertEqual(m.layout.entry("embed.1.weight")?.shape, [6, 3])
        // The tables come after the network's own tensors: those keep their offsets.
        let plain = SequenceRegressor(.init(recurrent: m.config.recurrent, outputs: 2))
        for e in plain.layout.entries { XCTAssertEqual(m.layout.entry(e.name)?.offset, e.offset, e.name) }
    }

    /// Forward equals the plain regressor on the expanded window (value columns, then the rows
    /// of the tables), and an out-of-range or NaN index reads the last (unknown) row.
    func testForwardIsTheExpandedWindow() {
        var rng = SeededGenerator(seed: 3)
        let m = model()
        let params = m.makeParameters(rng: &rng)
        let B = 3, T = 5
        var raw = rawWindow(B: B, T: T, rng: &rng)
        raw[(2 * T + 0) * 4 + 3] = 99          // batch 2, step 0: out of range -> unknown row 5
        raw[(2 * T + 1) * 4 + 3] = .nan        // step 1: NaN -> unknown row
        let table0 = params.tensor("embed.0.weight")!.scalars, table1 = params.tensor("embed.1.weight")!.scalars
        var expanded: [Float] = []
        for b in 0..<B { for t in 0..<T {
            let r = (b * T + t) * 4
            expanded += [raw[r], raw[r + 2]]
            let i1 = Int(raw[r + 1]), i2v = raw[r + 3]
            let i2 = i2v.isFinite && Int(i2v) < 6 ? Int(i2v) : 5
            expanded += Array(table0[(i1 * 2)..<(i1 * 2 + 2)]) + Array(table1[(i2 * 3)..<(i2 * 3 + 3)])
        } }
        let plain = SequenceRegressor(.init(recurrent: m.config.recurrent, outputs: 2))
        let plainParams = ParameterStore(layout: plain.layout)
        for e in plain.layout.entries { try! plainParams.assign(e.name, params.tensor(e.name)!) }
        var r1 = SeededGenerator(seed: 1), r2 = SeededGenerator(seed: 1)
        let ws = SequenceRegressor.Workspace(model: m, batch: B, length: T)
        let wp = SequenceRegressor.Workspace(model: plain, batch: B, length: T)
        let a = raw.withUnsafeBufferPointer { m.forward($0.baseAddress!, workspace: ws, params: params, rng: &r1).toArray() }
        let b = expanded.withUnsafeBufferPointer { plain.forward($0.baseAddress!, workspace: wp, params: plainParams, rng: &r2).toArray() }
        XCTAssertEqual(a, b)
    }

    /// L = Σ w·pred: the gradient of sampled entries of every tensor, the tables included,
    /// matches central differences.
    func testFiniteDifferences() {
        for (cell, bidir, seed) in [(CellKind.lstm, false, UInt64(1)), (.gru, true, 2)] {
            var rng = SeededGenerator(seed: seed)
            let m = model(cell: cell, bidir: bidir)
            let params = m.makeParameters(rng: &rng)
            let B = 4, T = 3
            let x = rawWindow(B: B, T: T, rng: &rng)
            let ws = SequenceRegressor.Workspace(model: m, batch: B, length: T)
            let w = randomArray(B * 2, &rng)
            func loss() -> Double {
                var r = SeededGenerator(seed: 1)
                x.withUnsafeBufferPointer { _ = m.forward($0.baseAddress!, workspace: ws, params: params, rng: &r) }
                return (0..<w.count).reduce(0.0) { $0 + Double(w[$1]) * Double(ws.pred.pointer[$1]) }
            }
            _ = loss()
            let grads = ParameterStore(layout: m.layout)
            w.withUnsafeBufferPointer { m.backward($0.baseAddress!, workspace: ws, params: params, grads: grads) }
            let eps: Float = 1e-2
            var checked = 0, nonzero = 0
            for e in m.layout.entries {
                let picks = e.name.hasPrefix("embed") ? Array(0..<e.count) : (0..<3).map { _ in Int(rng.next() % UInt64(e.count)) }
                for j in picks {
                    let i = e.offset + j
                    let old = params.base[i]
                    params.base[i] = old + eps; params.markModified(); let fp = loss()
                    params.base[i] = old - eps; params.markModified(); let fm = loss()
                    params.base[i] = old; params.markModified()
                    let numeric = (fp - fm) / Double(2 * eps)
                    XCTAssert(abs(Double(grads.base[i]) - numeric) <= 2e-3 + 2e-2 * abs(numeric),
                              "\(cell) \(e.name)[\(j)]: analytic \(grads.base[i]) vs numeric \(numeric)")
                    checked += 1
                    if e.name.hasPrefix("embed") && grads.base[i] != 0 { nonzero += 1 }
                }
            }
            XCTAssertGreaterThan(checked, 30)
            XCTAssertGreaterThan(nonzero, 4, "the rows the batch uses get gradients")
            // No window reads
            // the unknown row of table 1 (5): its gradient is exactly zero.
            let t1 = m.layout.entry("embed.1.weight")!
            for j in 15..<18 { XCTAssertEqual(grads.base[t1.offset + j], 0) }
        }
    }

    func testDimensionRule() {
        XCTAssertEqual(EmbeddingInput.dimension(levels: 1), 2)
        XCTAssertEqual(EmbeddingInput.dimension(levels: 3), 3)
        XCTAssertEqual(EmbeddingInput.dimension(levels: 7), 4)
        XCTAssertEqual(EmbeddingInput.dimension(levels: 10), 5)
        XCTAssertEqual(EmbeddingInput.dimension(levels: 3049), 16)
    }

    /// A model file's embeddings are checked: an index column outside the raw row is refused.
    func testConfigLimits() {
        var c = model().config
        XCTAssertNoThrow(try ConfigLimits.check(c))
        c.embeddings![1].column = 9
        XCTAssertThrowsError(try ConfigLimits.check(c))
        c.embeddings![1].column = 1
        XCTAssertThrowsError(try ConfigLimits.check(c), "the same column twice")
    }
}
