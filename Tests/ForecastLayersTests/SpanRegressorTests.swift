import XCTest
import ForecastLayers
import _TestSupport

/// ``SpanRegressor``: the windowed model read over S consecutive windows in one pass.
final class SpanRegressorTests: XCTestCase {
    /// I inputs, H units, M targets x K outputs per target, window L, span S, batch B.
    let I = 3, H = 5, M = 3, L = 4, S = 3, B = 2
    /// Outputs per target: 2 (blocked layout) unless a test sets 1.
    var K = 2

    func makeModel(cell: CellKind = .lstm) -> SpanRegressor {
        let rc = RecurrentConfig(cell: cell, inputSize: I, hiddenSize: H, numLayers: 1)
        return SpanRegressor(.init(regressor: .init(recurrent: rc, outputs: M * K), length: L, span: S, outputsPerTarget: K))
    }

    /// Same parameters as the windowed model: names, shapes and the initial draws.
    func testParametersAreTheWindowedModels() {
        let span = makeModel()
        let windowed = WindowedRegressor(.init(regressor: span.config.regressor, length: L))
        XCTAssertEqual(span.layout.entries.map(\.name), windowed.layout.entries.map(\.name))
        XCTAssertEqual(span.layout.count, windowed.layout.count)
        var r1 = SeededGenerator(seed: 3), r2 = SeededGenerator(seed: 3)
        let a = span.makeParameters(rng: &r1), b = windowed.makeParameters(rng: &r2)
        for e in span.layout.entries { XCTAssertEqual(Array(a.view(e.name)!), Array(b.view(e.name)!), e.name) }
        XCTAssertEqual(span.inputCount, (L + S - 1) * I)
        XCTAssertEqual(span.predictionCount, S * M * K)
    }

    /// Position t of a span is the windowed model's forecast after rows 0 ..< L + t (from a zero
    /// state), laid out `[B, K, S, M]`; position 0 is exactly the first window's forecast.
    func testPositionsAreTheWindowedForecastsAfterTheirRows() {
        for (cell, k) in [(CellKind.lstm, 2), (.gru, 2), (.lstm, 1)] {
            K = k
            let span = makeModel(cell: cell)
            var rng = SeededGenerator(seed: 7)
            let params = span.makeParameters(rng: &rng)
            let T = L + S - 1
            let x = randomArray(B * T * I, &rng)
            let ws = span.makeWorkspace(batch: B)
            let pred = x.withUnsafeBufferPointer { Array(UnsafeBufferPointer(start: span.forward($0.baseAddress!, workspace: ws, params: params), count: B * span.predictionCount)) }
            let last = SequenceRegressor(span.config.regressor)
            for t in 0..<S {
                let n = L + t
                // Rows 0 ..< n of each batch row, batch-first.
                var xs: [Float] = []
                for b in 0..<B { xs += x[(b * T * I)..<(b * T * I + n * I)] }
                let w = SequenceRegressor.Workspace(model: last, batch: B, length: n)
                var r = SeededGenerator(seed: 0)
                let want = xs.withUnsafeBufferPointer { last.forward($0.baseAddress!, workspace: w, params: params, rng: &r).toArray() }
                var got: [Float] = []
                for b in 0..<B {
                    for k in 0..<K {
                        let start: Int = ((b * K + k) * S + t) * M
                        got += pred[start..<(start + M)]
                    }
                }
                var wantBlocked: [Float] = []
                for b in 0..<B { wantBlocked += want[(b * M * K)..<((b + 1) * M * K)] }
                assertClose(got, wantBlocked, tol: 1e-5, "\(cell) K \(K) position \(t)")
            }
        }
    }

    /// Backward against central differences of L = Σ w·pred (parameters and inputs).
    func testGradientMatchesFiniteDifferences() {
        for k in [2, 1] { K = k; checkGradient() }
    }

    func checkGradient() {
        let span = makeModel()
        var rng = SeededGenerator(seed: 11)
        let params = span.makeParameters(rng: &rng)
        for i in 0..<params.layout.count { params.base[i] *= 2 }
        params.markModified()
        let ws = span.makeWorkspace(batch: B)
        var x = randomArray(B * span.inputCount, &rng)
        let w = randomArray(B * span.predictionCount, &rng)
        func lossValue(_ x: [Float]) -> Double {
            let p = x.withUnsafeBufferPointer { span.forward($0.baseAddress!, workspace: ws, params: params) }
            var sum = 0.0
            for i in 0..<w.count { sum += Double(w[i]) * Double(p[i]) }
            return sum
        }
        _ = lossValue(x)
        let grads = ParameterStore(layout: span.layout)
        w.withUnsafeBufferPointer { span.backward($0.baseAddress!, workspace: ws, params: params, grads: grads) }
        let eps: Float = 1e-2
        for e in span.layout.entries {
            for _ in 0..<4 {
                let i = e.offset + Int(rng.next() % UInt64(e.count))
                let old = params.base[i]
                params.base[i] = old + eps; params.markModified(); let fp = lossValue(x)
                params.base[i] = old - eps; params.markModified(); let fm = lossValue(x)
                params.base[i] = old; params.markModified()
                let numeric = (fp - fm) / Double(2 * eps)
                XCTAssert(abs(Double(grads.base[i]) - numeric) <= 2e-3 + 2e-2 * abs(numeric), "\(e.name)[\(i)]: analytic \(grads.base[i]) vs numeric \(numeric)")
            }
        }
        _ = lossValue(x)
        w.withUnsafeBufferPointer { span.backward($0.baseAddress!, workspace: ws, params: params, grads: ParameterStore(layout: span.layout)) }
        // Inputs: the rows before the first window's end feed every position; the last row only the last.
        let T = L + S - 1
        var dx = [Float](repeating: 0, count: x.count)
        dx.withUnsafeMutableBufferPointer { transposeBatchTime(ws.inner.cache.dX!.pointer, $0.baseAddress!, batch: B, time: T, features: I, inverse: true) }
        for i in [0, I * (L - 1) + 1, T * I - 1, x.count - 2] {
            let numeric = numericGradient(&x, i, eps: eps) { lossValue($0) }
            XCTAssert(abs(Double(dx[i]) - numeric) <= 2e-3 + 2e-2 * abs(numeric), "x[\(i)]: analytic \(dx[i]) vs numeric \(numeric)")
        }
    }

    /// Truncated spans: the forecasts are the untruncated ones (the warm-up pass hands its state
    /// on), and the gradient is the exact gradient with the warm-up state held fixed.
    func testTruncatedSpansForecastTheSameAndHoldTheWarmupStateFixed() {
        K = 1
        let full = makeModel()
        var cfg = full.config
        cfg.truncation = 1                                   // W = L - 1 - 1 = 2 warm-up steps
        let cut = SpanRegressor(cfg)
        XCTAssertEqual(cut.warmup, L - 2)
        var noCut = cfg
        noCut.truncation = L                                  // more than L - 1: no warm-up
        XCTAssertEqual(SpanRegressor(noCut).warmup, 0)
        var rng = SeededGenerator(seed: 21)
        let params = full.makeParameters(rng: &rng)
        for i in 0..<params.layout.count { params.base[i] *= 2 }
        params.markModified()
        let T = L + S - 1, W = cut.warmup
        let x = randomArray(B * T * I, &rng)
        let w = randomArray(B * cut.predictionCount, &rng)
        let wsFull = full.makeWorkspace(batch: B), wsCut = cut.makeWorkspace(batch: B)
        let pFull = x.withUnsafeBufferPointer { Array(UnsafeBufferPointer(start: full.forward($0.baseAddress!, workspace: wsFull, params: params), count: w.count)) }
        let pCut = x.withUnsafeBufferPointer { Array(UnsafeBufferPointer(start: cut.forward($0.baseAddress!, workspace: wsCut, params: params), count: w.count)) }
        assertClose(pCut, pFull, tol: 1e-5, "truncated forecasts")
        let grads = ParameterStore(layout: cut.layout)
        w.withUnsafeBufferPointer { cut.backward($0.baseAddress!, workspace: wsCut, params: params, grads: grads) }

        // The warm-up state with the unperturbed weights, then L = Σ w·pred over rows W ..< T.
        let windowed = SequenceRegressor(cfg.regressor)
        var every = cfg.regressor
        every.readout = .everyStep
        let main = SequenceRegressor(every)
        var xw: [Float] = [], xm: [Float] = []
        for b in 0..<B { xw += x[(b * T * I)..<((b * T + W) * I)]; xm += x[((b * T + W) * I)..<((b + 1) * T * I)] }
        let warm = SequenceRegressor.Workspace(model: windowed, batch: B, length: W)
        var r0 = SeededGenerator(seed: 0)
        _ = xw.withUnsafeBufferPointer { windowed.forward($0.baseAddress!, workspace: warm, params: params, rng: &r0) }
        let h0 = warm.cache.hN.toArray(), c0 = warm.cache.cN.toArray()
        let wsMain = SequenceRegressor.Workspace(model: main, batch: B, length: T - W)
        func lossValue() -> Double {
            var r = SeededGenerator(seed: 0)
            let p = xm.withUnsafeBufferPointer { xp in h0.withUnsafeBufferPointer { hp in c0.withUnsafeBufferPointer { cp in
                main.forward(xp.baseAddress!, workspace: wsMain, params: params, h0: hp.baseAddress, c0: cp.baseAddress,
                             readFrom: L - 1 - W, rng: &r).pointer
            } } }
            var sum = 0.0
            for i in 0..<w.count { sum += Double(w[i]) * Double(p[i]) }
            return sum
        }
        let eps: Float = 1e-2
        for e in cut.layout.entries {
            for _ in 0..<4 {
                let i = e.offset + Int(rng.next() % UInt64(e.count))
                let old = params.base[i]
                params.base[i] = old + eps; params.markModified(); let fp = lossValue()
                params.base[i] = old - eps; params.markModified(); let fm = lossValue()
                params.base[i] = old; params.markModified()
                let numeric = (fp - fm) / Double(2 * eps)
                XCTAssert(abs(Double(grads.base[i]) - numeric) <= 2e-3 + 2e-2 * abs(numeric), "\(e.name)[\(i)]: analytic \(grads.base[i]) vs numeric \(numeric)")
            }
        }
    }
}
