import Foundation
import XCTest
import ForecastLayers
import _TestSupport

/// The two cells beyond PyTorch's: leaky-integrator units (``CellKind/leakyRNN``, τ fixed or
/// learned) and skip recurrence (``RecurrentConfig/dilations``) for every cell. Each is checked
/// against a float64 reference written as a plain loop, by finite differences on every
/// parameter, and against the ordinary cells where it must reduce to them (τ = 1, D = 1).
final class CellVariantTests: XCTestCase {
    // MARK: Float64 reference

    /// The top layer's output `[T, B, D*H]` of a stacked layer, in Double, straight from the
    /// definitions: step t of layer l reads `h_{t-D_l}` (reverse: `h_{t+D_l}`), or the initial
    /// state when that is outside the window. `x` is time-major `[T, B, I]`.
    static func reference(_ rc: RecurrentConfig, params: ParameterStore, x: [Float], T: Int, B: Int,
                          h0: [Float]?, c0: [Float]?) -> [Double] {
        let H = rc.hiddenSize, Dn = rc.directions, G = rc.cell.gates
        func tensor(_ name: String) -> [Double] {
            guard let e = params.layout.entry(name) else { return [] }
            return (0..<e.count).map { Double(params.base[e.offset + $0]) }
        }
        func sigmoid(_ v: Double) -> Double { 1 / (1 + exp(-v)) }
        var input = x.map(Double.init)
        var inSize = rc.inputSize
        for l in 0..<rc.numLayers {
            let K = rc.dilation(l)
            var out = [Double](repeating: 0, count: T * B * Dn * H)
            for d in 0..<Dn {
                let sfx = "_l\(l)" + (d == 1 ? "_reverse" : "")
                let wih = tensor("rnn.weight_ih\(sfx)"), whh = tensor("rnn.weight_hh\(sfx)")
                let bih = tensor("rnn.bias_ih\(sfx)"), bhh = tensor("rnn.bias_hh\(sfx)")
                let rho = tensor("rnn.tau_rho\(sfx)")
                let alpha: [Double] = (0..<H).map { j in
                    rc.learnsTau ? 1 / (1 + log1p(exp(rho[j]))) : 1 / Double(rc.tau)
                }
                var c = [Double](repeating: 0, count: T * B * H)        // cell states [T, B, H]
                let order = d == 0 ? Array(0..<T) : Array((0..<T).reversed())
                for t in order {
                    let prev = d == 0 ? t - K : t + K
                    let inside = prev >= 0 && prev < T
                    for b in 0..<B {
                        let s = ((l * Dn + d) * B + b) * H
                        let hp: [Double] = (0..<H).map { j in
                            inside ? out[(prev * B + b) * Dn * H + d * H + j] : (h0.map { Double($0[s + j]) } ?? 0)
                        }
                        let cp: [Double] = (0..<H).map { j in
                            inside ? c[(prev * B + b) * H + j] : (c0.map { Double($0[s + j]) } ?? 0)
                        }
                        var a = [Double](repeating: 0, count: G * H), hh = [Double](repeating: 0, count: G * H)
                        for r in 0..<(G * H) {
                            a[r] = bih[r]; hh[r] = bhh[r]
                            for k in 0..<inSize { a[r] += wih[r * inSize + k] * input[(t * B + b) * inSize + k] }
                            for k in 0..<H { hh[r] += whh[r * H + k] * hp[k] }
                        }
                        for j in 0..<H {
                            let h: Double
                            switch rc.cell {
                            case .rnnTanh: h = tanh(a[j] + hh[j])
                            case .rnnRelu: h = max(0, a[j] + hh[j])
                            case .leakyRNN: h = (1 - alpha[j]) * hp[j] + alpha[j] * tanh(a[j] + hh[j])
                            case .lstm:
                                let i = sigmoid(a[j] + hh[j]), f = sigmoid(a[H + j] + hh[H + j])
                                let g = tanh(a[2 * H + j] + hh[2 * H + j]), o = sigmoid(a[3 * H + j] + hh[3 * H + j])
                                let cn = f * cp[j] + i * g
                                c[(t * B + b) * H + j] = cn
                                h = o * tanh(cn)
                            case .gru:
                                let r = sigmoid(a[j] + hh[j]), z = sigmoid(a[H + j] + hh[H + j])
                                let n = tanh(a[2 * H + j] + r * hh[2 * H + j])
                                h = (1 - z) * n + z * hp[j]
                            }
                            out[(t * B + b) * Dn * H + d * H + j] = h
                        }
                    }
                }
            }
            input = out
            inSize = Dn * H
        }
        return input
    }

    /// Runs the layer (training-mode forward: the general plan) and the reference; returns the
    /// largest absolute difference of the top outputs.
    func referenceDifference(_ rc: RecurrentConfig, B: Int, T: Int, initialState: Bool, seed: UInt64, training: Bool = true) -> Double {
        var rng = SeededGenerator(seed: seed)
        var layout = ParameterLayout()
        let rnn = Recurrent(rc, layout: &layout)
        let params = ParameterStore(layout: layout)
        rnn.initialize(params, rng: &rng)
        for i in 0..<layout.count { params.base[i] *= 2 }
        if let e = layout.entry("rnn.tau_rho_l0") { for j in 0..<e.count { params.base[e.offset + j] = Float(j) * 0.7 - 1 } }
        params.markModified()
        let cache = RecurrentCache(config: rc, batch: B, length: T)
        let x = randomArray(T * B * rc.inputSize, &rng)
        cache.x.pointer.update(from: x, count: x.count)
        let h0 = initialState ? randomArray(cache.h0.count, &rng, scale: 0.5) : nil
        let c0 = initialState && rc.cell.hasCellState ? randomArray(cache.c0.count, &rng, scale: 0.5) : nil
        cache.useInitialState = initialState
        if let h0 { cache.h0.pointer.update(from: h0, count: h0.count) }
        if let c0 { cache.c0.pointer.update(from: c0, count: c0.count) }
        var r = SeededGenerator(seed: 3)
        rnn.forward(cache, params: params, training: training, rng: &r)
        let want = Self.reference(rc, params: params, x: x, T: T, B: B, h0: h0, c0: c0)
        let got = cache.output.toArray()
        var maxDiff = 0.0
        for i in 0..<want.count { maxDiff = max(maxDiff, abs(Double(got[i]) - want[i])) }
        return maxDiff
    }

    func testFloat64ReferenceLeaky() {
        var worst = 0.0
        for (i, rc) in [
            RecurrentConfig(cell: .leakyRNN, inputSize: 3, hiddenSize: 5, numLayers: 2, tau: 2.5),
            RecurrentConfig(cell: .leakyRNN, inputSize: 2, hiddenSize: 4, numLayers: 1, bidirectional: true, tau: 4, learnsTau: true),
            RecurrentConfig(cell: .leakyRNN, inputSize: 2, hiddenSize: 6, numLayers: 2, dilations: [1, 3], tau: 1.5),
        ].enumerated() {
            for initial in [false, true] {
                let diff = referenceDifference(rc, B: 3, T: 9, initialState: initial, seed: UInt64(10 + i))
                XCTAssertLessThan(diff, 1e-5, "\(rc) initial state \(initial)")
                worst = max(worst, diff)
            }
        }
        print("CellVariantTests: leaky float64 reference max |diff| \(worst)")
    }

    func testFloat64ReferenceDilated() {
        var worst = 0.0
        for (i, cell) in [CellKind.rnnTanh, .lstm, .gru, .leakyRNN].enumerated() {
            for (dil, bidir) in [([2], false), ([1, 2, 4], false), ([3, 2], true), ([12], false)] {
                let rc = RecurrentConfig(cell: cell, inputSize: 3, hiddenSize: 4, numLayers: dil.count, bidirectional: bidir,
                                         dilations: dil, tau: 2)
                for initial in [false, true] {
                    let diff = referenceDifference(rc, B: 2, T: 10, initialState: initial, seed: UInt64(20 + i))
                    XCTAssertLessThan(diff, 1e-5, "\(rc) initial state \(initial)")
                    worst = max(worst, diff)
                }
            }
        }
        // Inference plans (pipeline-sized batches, a single window) fall back to the general plan.
        for cell in [CellKind.lstm, .gru, .leakyRNN] {
            let rc = RecurrentConfig(cell: cell, inputSize: 3, hiddenSize: 32, numLayers: 2, dilations: [1, 2], tau: 3)
            for B in [1, 4] {
                let diff = referenceDifference(rc, B: B, T: 11, initialState: true, seed: 30, training: false)
                XCTAssertLessThan(diff, 1e-5, "\(rc) inference B=\(B)")
                worst = max(worst, diff)
            }
        }
        print("CellVariantTests: dilated float64 reference max |diff| \(worst)")
    }

    /// Leaky units and dilated layers do not take the fast plans they do not support.
    func testFastPlansFallBackExplicitly() {
        var l1 = ParameterLayout(), l2 = ParameterLayout(), l3 = ParameterLayout()
        let leaky = Recurrent(RecurrentConfig(cell: .leakyRNN, inputSize: 2, hiddenSize: 64, numLayers: 2, tau: 2), layout: &l1)
        XCTAssertFalse(leaky.splitsUnits(batch: 1), "the unit split has no leaky steps")
        XCTAssertTrue(leaky.pipelines(batch: 4), "the pipeline runs the general step, leaky included")
        let dilated = Recurrent(RecurrentConfig(cell: .lstm, inputSize: 2, hiddenSize: 64, numLayers: 2, dilations: [1, 2]), layout: &l2)
        XCTAssertFalse(dilated.splitsUnits(batch: 1))
        XCTAssertFalse(dilated.pipelines(batch: 4))
        let plain = Recurrent(RecurrentConfig(cell: .lstm, inputSize: 2, hiddenSize: 64, numLayers: 2, dilations: [1, 1]), layout: &l3)
        XCTAssertTrue(plain.splitsUnits(batch: 1))
        // Leaky inference on the split-sized shape (general plan) and through the layer pipeline
        // (B = 4) equals the reference.
        let rc = RecurrentConfig(cell: .leakyRNN, inputSize: 3, hiddenSize: 64, numLayers: 2, tau: 3, learnsTau: true)
        XCTAssertLessThan(referenceDifference(rc, B: 1, T: 7, initialState: false, seed: 40, training: false), 1e-5)
        XCTAssertLessThan(referenceDifference(rc, B: 4, T: 9, initialState: true, seed: 41, training: false), 1e-5)
    }

    // MARK: Reductions to the ordinary cells

    /// Forward outputs and all gradients of a SequenceRegressor with `a` and `b` on the same weights.
    func runBoth(_ a: RecurrentConfig, _ b: RecurrentConfig, B: Int, T: Int, seed: UInt64) -> (outA: [Float], outB: [Float], gA: [Float], gB: [Float]) {
        var rng = SeededGenerator(seed: seed)
        let ma = SequenceRegressor(.init(recurrent: a, outputs: 2, readout: .everyStep))
        let mb = SequenceRegressor(.init(recurrent: b, outputs: 2, readout: .everyStep))
        XCTAssertEqual(ma.layout.count, mb.layout.count)
        let params = ma.makeParameters(rng: &rng)
        let pb = ParameterStore(layout: mb.layout)
        pb.base.update(from: params.base, count: params.layout.count)
        pb.markModified()
        let x = randomArray(B * T * a.inputSize, &rng)
        let h0 = randomArray(a.numLayers * a.directions * B * a.hiddenSize, &rng, scale: 0.5)
        func run(_ m: SequenceRegressor, _ p: ParameterStore) -> ([Float], [Float]) {
            let ws = SequenceRegressor.Workspace(model: m, batch: B, length: T)
            var r = SeededGenerator(seed: 1)
            x.withUnsafeBufferPointer { xp in h0.withUnsafeBufferPointer { hp in
                _ = m.forward(xp.baseAddress!, workspace: ws, params: p, h0: hp.baseAddress, training: true, rng: &r)
            } }
            let out = ws.pred.toArray()
            let g = ParameterStore(layout: m.layout)
            out.withUnsafeBufferPointer { m.backward($0.baseAddress!, workspace: ws, params: p, grads: g) }
            return (out, Array(UnsafeBufferPointer(start: g.base, count: m.layout.count)) + ws.cache.dX!.toArray() + ws.cache.dH0!.toArray())
        }
        let (oa, ga) = run(ma, params), (ob, gb) = run(mb, pb)
        return (oa, ob, ga, gb)
    }

    func testTauOneIsTheElmanCellExactly() {
        for bidir in [false, true] {
            let r = runBoth(RecurrentConfig(cell: .leakyRNN, inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: bidir, tau: 1),
                            RecurrentConfig(cell: .rnnTanh, inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: bidir), B: 3, T: 6, seed: 50)
            XCTAssertEqual(r.outA, r.outB, "forward, bidirectional \(bidir)")
            XCTAssertEqual(r.gA, r.gB, "gradients, bidirectional \(bidir): \(firstMismatch(r.gA, r.gB, tol: 0) ?? "")")
        }
    }

    func testDilationOneIsTheOrdinaryCellExactly() {
        for cell in [CellKind.lstm, .gru, .rnnTanh, .leakyRNN] {
            let r = runBoth(RecurrentConfig(cell: cell, inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true, dilations: [1, 1], tau: 2),
                            RecurrentConfig(cell: cell, inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true, tau: 2), B: 2, T: 7, seed: 51)
            XCTAssertEqual(r.outA, r.outB, "\(cell)")
            XCTAssertEqual(r.gA, r.gB, "\(cell)")
        }
    }

    /// A layer with dilation 2 is two undilated layers on the even and the odd steps.
    func testDilationTwoIsTwoInterleavedChains() {
        for cell in [CellKind.lstm, .gru, .leakyRNN] {
            let T = 8, B = 2, I = 3, H = 6
            let dil = RecurrentConfig(cell: cell, inputSize: I, hiddenSize: H, dilations: [2], tau: 2)
            let one = RecurrentConfig(cell: cell, inputSize: I, hiddenSize: H, tau: 2)
            var layout = ParameterLayout(), layout1 = ParameterLayout()
            let rnn = Recurrent(dil, layout: &layout), rnn1 = Recurrent(one, layout: &layout1)
            var rng = SeededGenerator(seed: 60)
            let params = ParameterStore(layout: layout)
            rnn.initialize(params, rng: &rng)
            let x = randomArray(T * B * I, &rng)
            let cache = RecurrentCache(config: dil, batch: B, length: T)
            cache.x.pointer.update(from: x, count: x.count)
            var r = SeededGenerator(seed: 1)
            rnn.forward(cache, params: params, training: true, rng: &r)
            for parity in 0..<2 {
                let c1 = RecurrentCache(config: one, batch: B, length: T / 2)
                for s in 0..<(T / 2) { (c1.x.pointer + s * B * I).update(from: x.withUnsafeBufferPointer { $0.baseAddress! } + (2 * s + parity) * B * I, count: B * I) }
                rnn1.forward(c1, params: params, training: true, rng: &r)
                for s in 0..<(T / 2) {
                    let got = Array(UnsafeBufferPointer(start: cache.output.pointer + (2 * s + parity) * B * H, count: B * H))
                    let want = Array(UnsafeBufferPointer(start: c1.output.pointer + s * B * H, count: B * H))
                    assertClose(got, want, tol: 1e-6, "\(cell) chain \(parity) step \(s)")
                }
            }
        }
    }

    // MARK: Finite differences

    /// Every parameter, every input and initial-state element: analytic against central
    /// differences of L = Σ w·pred. Returns the largest |analytic - numeric|.
    @discardableResult
    func finiteDifferences(_ rc: RecurrentConfig, B: Int, T: Int, readout: SequenceRegressor.Readout, initialState: Bool, seed: UInt64,
                           file: StaticString = #filePath, line: UInt = #line) -> Double {
        var rng = SeededGenerator(seed: seed)
        let model = SequenceRegressor(.init(recurrent: rc, outputs: 2, readout: readout))
        let params = model.makeParameters(rng: &rng)
        for e in model.layout.entries where !e.name.contains("tau_rho") {
            for i in 0..<e.count { params.base[e.offset + i] *= 2 }
        }
        if let e = model.layout.entry("rnn.tau_rho_l0") { for j in 0..<e.count { params.base[e.offset + j] = Float(j) * 0.6 - 1 } }
        params.markModified()
        let D = rc.directions, L = rc.numLayers, H = rc.hiddenSize
        var x = randomArray(B * T * rc.inputSize, &rng)
        var h0 = initialState ? randomArray(L * D * B * H, &rng, scale: 0.5) : []
        var c0 = initialState && rc.cell.hasCellState ? randomArray(L * D * B * H, &rng, scale: 0.5) : []
        let ws = SequenceRegressor.Workspace(model: model, batch: B, length: T)
        let w = randomArray(B * model.predictionCount(length: T), &rng)
        let eps: Float = 1e-2
        func lossValue(_ x: [Float], _ h0: [Float], _ c0: [Float]) -> Double {
            var r = SeededGenerator(seed: 1)
            x.withUnsafeBufferPointer { xp in h0.withUnsafeBufferPointer { hp in c0.withUnsafeBufferPointer { cp in
                model.forward(xp.baseAddress!, workspace: ws, params: params,
                              h0: h0.isEmpty ? nil : hp.baseAddress, c0: c0.isEmpty ? nil : cp.baseAddress, training: true, rng: &r)
            } } }
            var sum = 0.0
            for i in 0..<w.count { sum += Double(w[i]) * Double(ws.pred.pointer[i]) }
            return sum
        }
        _ = lossValue(x, h0, c0)
        let grads = ParameterStore(layout: model.layout)
        w.withUnsafeBufferPointer { model.backward($0.baseAddress!, workspace: ws, params: params, grads: grads) }
        var dx = [Float](repeating: 0, count: x.count)
        dx.withUnsafeMutableBufferPointer { transposeBatchTime(ws.cache.dX!.pointer, $0.baseAddress!, batch: B, time: T, features: rc.inputSize, inverse: true) }
        let dh0 = initialState ? ws.cache.dH0!.toArray() : []
        let dc0 = c0.isEmpty ? [] : ws.cache.dC0!.toArray()
        var worst = 0.0
        func compare(_ analytic: Float, _ numeric: Double, _ what: String) {
            let err = abs(Double(analytic) - numeric)
            worst = max(worst, err)
            XCTAssert(err <= 2e-3 + 2e-2 * abs(numeric), "\(rc) \(what): analytic \(analytic) vs numeric \(numeric)", file: file, line: line)
        }
        for e in model.layout.entries {
            for i in e.offset..<(e.offset + e.count) {
                let old = params.base[i]
                params.base[i] = old + eps; params.markModified(); let fp = lossValue(x, h0, c0)
                params.base[i] = old - eps; params.markModified(); let fm = lossValue(x, h0, c0)
                params.base[i] = old; params.markModified()
                compare(grads.base[i], (fp - fm) / Double(2 * eps), "\(e.name)[\(i - e.offset)]")
            }
        }
        for i in 0..<x.count { compare(dx[i], numericGradient(&x, i, eps: eps) { lossValue($0, h0, c0) }, "x[\(i)]") }
        for i in 0..<h0.count { compare(dh0[i], numericGradient(&h0, i, eps: eps) { lossValue(x, $0, c0) }, "h0[\(i)]") }
        for i in 0..<c0.count { compare(dc0[i], numericGradient(&c0, i, eps: eps) { lossValue(x, h0, $0) }, "c0[\(i)]") }
        return worst
    }

    func testFiniteDifferencesLeaky() {
        var worst = 0.0
        worst = max(worst, finiteDifferences(RecurrentConfig(cell: .leakyRNN, inputSize: 2, hiddenSize: 3, numLayers: 2, tau: 2.5),
                                             B: 2, T: 5, readout: .everyStep, initialState: true, seed: 70))
        worst = max(worst, finiteDifferences(RecurrentConfig(cell: .leakyRNN, inputSize: 2, hiddenSize: 4, numLayers: 1, bidirectional: true,
                                                             tau: 3, learnsTau: true), B: 2, T: 5, readout: .last, initialState: true, seed: 71))
        worst = max(worst, finiteDifferences(RecurrentConfig(cell: .leakyRNN, inputSize: 3, hiddenSize: 3, numLayers: 2, tau: 2, learnsTau: true),
                                             B: 3, T: 4, readout: .everyStep, initialState: false, seed: 72))
        print("CellVariantTests: leaky finite differences max |analytic - numeric| \(worst)")
    }

    func testFiniteDifferencesDilated() {
        var worst = 0.0
        for (i, cell) in [CellKind.lstm, .gru, .rnnTanh, .leakyRNN].enumerated() {
            worst = max(worst, finiteDifferences(RecurrentConfig(cell: cell, inputSize: 2, hiddenSize: 3, numLayers: 2, dilations: [2, 3], tau: 2),
                                                 B: 2, T: 7, readout: .everyStep, initialState: true, seed: UInt64(80 + i)))
            worst = max(worst, finiteDifferences(RecurrentConfig(cell: cell, inputSize: 2, hiddenSize: 3, numLayers: 1, bidirectional: true,
                                                                 dilations: [3], tau: 2, learnsTau: cell == .leakyRNN),
                                                 B: 2, T: 5, readout: .last, initialState: i % 2 == 0, seed: UInt64(90 + i)))
            // Dilation beyond the window: every step reads the initial state.
            worst = max(worst, finiteDifferences(RecurrentConfig(cell: cell, inputSize: 2, hiddenSize: 2, numLayers: 1, dilations: [6], tau: 2),
                                                 B: 1, T: 4, readout: .everyStep, initialState: true, seed: UInt64(100 + i)))
        }
        print("CellVariantTests: dilated finite differences max |analytic - numeric| \(worst)")
    }

    // MARK: Config

    func testConfigDecodesOldFilesAndValidates() throws {
        let old = #"{"cell":"lstm","inputSize":2,"hiddenSize":4,"numLayers":2,"bidirectional":false,"dropout":0}"#
        let cfg = try JSONDecoder().decode(RecurrentConfig.self, from: Data(old.utf8))
        XCTAssertEqual(cfg, RecurrentConfig(cell: .lstm, inputSize: 2, hiddenSize: 4, numLayers: 2))
        XCTAssertFalse(String(decoding: try JSONEncoder().encode(cfg), as: UTF8.self).contains("dilations"), "defaults are not written")
        let new = RecurrentConfig(cell: .leakyRNN, inputSize: 2, hiddenSize: 4, numLayers: 2, dilations: [1, 4], tau: 3, learnsTau: true)
        XCTAssertEqual(try JSONDecoder().decode(RecurrentConfig.self, from: JSONEncoder().encode(new)), new)
        XCTAssertNoThrow(try new.validate())
        XCTAssertThrowsError(try RecurrentConfig(cell: .gru, inputSize: 2, hiddenSize: 4, numLayers: 2, dilations: [2]).validate())
        XCTAssertThrowsError(try RecurrentConfig(cell: .gru, inputSize: 2, hiddenSize: 4, dilations: [0]).validate())
        XCTAssertThrowsError(try RecurrentConfig(cell: .leakyRNN, inputSize: 2, hiddenSize: 4, tau: 0.5).validate())
        XCTAssertThrowsError(try RecurrentConfig(cell: .leakyRNN, inputSize: 2, hiddenSize: 4, tau: 1, learnsTau: true).validate())
        XCTAssertEqual(CellKind(name: "leaky-rnn"), .leakyRNN)
        var layout = ParameterLayout()
        _ = Recurrent(new, layout: &layout)
        XCTAssertEqual(layout.entry("rnn.tau_rho_l1")?.shape, [4])
    }
}
