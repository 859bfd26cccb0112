import Foundation
import XCTest
@testable import ForecastLayers
import _TestSupport

/// The ES-hybrid network (``ESHybridModel``): the Holt–Winters recursions against a textbook
/// ring-buffer reference in Double, finite-difference checks of the smoothing gradients (α, γ
/// and the initial seasonal indices) in Double, and of the whole model in Float.
final class ESHybridGradientTests: XCTestCase {
    struct Case { var E: Int, H: Int, m: Int, T: Int, multiplicative: Bool }
    let cases: [Case] = [
        Case(E: 9, H: 4, m: 4, T: 5, multiplicative: true),
        Case(E: 9, H: 4, m: 4, T: 5, multiplicative: false),
        Case(E: 5, H: 9, m: 3, T: 5, multiplicative: true),      // horizon beyond one season
        Case(E: 3, H: 2, m: 5, T: 2, multiplicative: false),     // history shorter than a season
        Case(E: 6, H: 3, m: 1, T: 4, multiplicative: true),      // no seasonality
    ]

    func positive(_ n: Int, _ rng: inout SeededGenerator) -> [Double] {
        (0..<n).map { _ in 0.6 + Double(rng.next() % 1000) / 1000 }
    }
    func signed(_ n: Int, _ rng: inout SeededGenerator, scale: Double = 1) -> [Double] {
        (0..<n).map { _ in (Double(rng.next() % 2001) / 1000 - 1) * scale }
    }

    /// Textbook Holt–Winters (level + seasonality, no trend) with a ring of m seasonal indices
    /// indexed by phase, written independently of the model's time-indexed recursion.
    func reference(y: [Double], a: Double, g: Double, s0: [Double], phase: Int, seasonal: Bool, mult: Bool, H: Int)
        -> (levels: [Double], used: [Double], future: [Double]) {
        let m = s0.count
        var ring = s0
        var levels: [Double] = [], used: [Double] = []
        var level = 0.0
        for t in 0..<y.count {
            let k = (phase + t) % m
            let s = seasonal ? ring[k] : (mult ? 1 : 0)
            used.append(s)
            if t == 0 { level = mult ? y[0] / s : y[0] - s }
            else { level = mult ? a * y[t] / s + (1 - a) * level : a * (y[t] - s) + (1 - a) * level }
            levels.append(level)
            if seasonal { ring[k] = mult ? g * y[t] / level + (1 - g) * s : g * (y[t] - level) + (1 - g) * s }
        }
        let future = (0..<H).map { h in seasonal ? ring[(phase + y.count + h) % m] : (mult ? 1.0 : 0.0) }
        return (levels, used, future)
    }

    func testSmoothingMatchesRingBufferReference() {
        var rng = SeededGenerator(seed: 11)
        for c in cases {
            let y = c.multiplicative ? positive(c.E, &rng) : signed(c.E, &rng)
            let s0 = c.multiplicative ? positive(c.m, &rng) : signed(c.m, &rng, scale: 0.3)
            let st = ESHybridModel.SmoothingState(history: c.E, horizon: c.H)
            let phase = c.m > 1 ? 2 % c.m : 0
            ESHybridModel.smooth(st, y: y, alphaLogit: 0.3, gammaLogit: -0.7, season0: s0, phase: phase, seasonal: c.m > 1, multiplicative: c.multiplicative)
            let r = reference(y: y, a: ESHybridModel.sigmoid(0.3), g: ESHybridModel.sigmoid(-0.7), s0: s0, phase: phase,
                              seasonal: c.m > 1, mult: c.multiplicative, H: c.H)
            for t in 0..<c.E {
                XCTAssertEqual(st.l[t], r.levels[t], accuracy: 1e-12, "\(c) level \(t)")
                XCTAssertEqual(st.s[t], r.used[t], accuracy: 1e-12, "\(c) seasonal index \(t)")
            }
            for h in 0..<c.H { XCTAssertEqual(st.s[c.E + h], r.future[h], accuracy: 1e-12, "\(c) forecast index \(h)") }
        }
    }

    /// L = Σ_h w_h ŷ_h + Σ_j v_j x_j in Double, as a function of (α logit, γ logit, stored S0).
    func loss(_ c: Case, y: [Double], o: [Double], w: [Double], v: [Double], a: Double, g: Double, stored: [Double], phase: Int) -> Double {
        let st = ESHybridModel.SmoothingState(history: c.E, horizon: c.H)
        let s0 = c.multiplicative ? stored.map { exp($0) } : stored
        ESHybridModel.smooth(st, y: y, alphaLogit: a, gammaLogit: g, season0: s0, phase: phase, seasonal: c.m > 1, multiplicative: c.multiplicative)
        var sum = 0.0
        let L = st.level
        for h in 0..<c.H {
            let yh = c.multiplicative ? L * st.s[c.E + h] * exp(o[h]) : L + st.s[c.E + h] + o[h]
            sum += w[h] * yh
        }
        for j in 0..<c.T {
            let t = c.E - c.T + j
            let x = c.multiplicative ? log(y[t] / (st.s[t] * L)) : y[t] - st.s[t] - L
            sum += v[j] * x
        }
        return sum
    }

    func testSmoothingGradientsMatchFiniteDifferencesInDouble() {
        var rng = SeededGenerator(seed: 5)
        for c in cases {
            let y = c.multiplicative ? positive(c.E, &rng) : signed(c.E, &rng)
            let stored = signed(c.m, &rng, scale: 0.3)
            let o = signed(c.H, &rng, scale: 0.5), w = signed(c.H, &rng), v = signed(c.T, &rng)
            let a = 0.4, g = -0.9, phase = c.m > 1 ? 1 : 0
            let st = ESHybridModel.SmoothingState(history: c.E, horizon: c.H)
            ESHybridModel.smooth(st, y: y, alphaLogit: a, gammaLogit: g, season0: c.multiplicative ? stored.map { exp($0) } : stored,
                                 phase: phase, seasonal: c.m > 1, multiplicative: c.multiplicative)
            let grad = ESHybridModel.smoothingGradients(st, dPred: w, out: o, dx: v, lookback: c.T, seasonal: c.m > 1, multiplicative: c.multiplicative)
            let eps = 1e-6
            func check(_ analytic: Double, _ f: (Double) -> Double, _ what: String) {
                let numeric = (f(eps) - f(-eps)) / (2 * eps)
                XCTAssertEqual(analytic, numeric, accuracy: 1e-6 + 1e-6 * abs(numeric), "\(c) \(what)")
            }
            check(grad.alpha, { d in self.loss(c, y: y, o: o, w: w, v: v, a: a + d, g: g, stored: stored, phase: phase) }, "alpha")
            check(grad.gamma, { d in self.loss(c, y: y, o: o, w: w, v: v, a: a, g: g + d, stored: stored, phase: phase) }, "gamma")
            for k in 0..<c.m {
                check(grad.season0[k], { d in
                    var s = stored; s[k] += d
                    return self.loss(c, y: y, o: o, w: w, v: v, a: a, g: g, stored: s, phase: phase)
                }, "season0[\(k)]")
            }
            // γ reaches the loss once an updated index is read (E + H > m).
            if c.m > 1, c.E + c.H > c.m { XCTAssertGreaterThan(abs(grad.gamma), 1e-9, "\(c): γ must reach the loss") }
        }
    }

    func makeModel(_ c: Case, series: Int, dilations: [Int]) -> ESHybridModel {
        ESHybridModel(.init(series: series, season: c.m, history: c.E, lookback: c.T, horizon: c.H, multiplicative: c.multiplicative,
                            recurrent: RecurrentConfig(cell: .lstm, inputSize: 1, hiddenSize: 3, numLayers: dilations.count, dilations: dilations)))
    }

    func testWholeModelMatchesFiniteDifferences() {
        for (n, c) in cases.enumerated() {
            var rng = SeededGenerator(seed: UInt64(20 + n))
            let S = 2, B = 3
            let model = makeModel(c, series: S, dilations: [1, 2])
            let params = model.makeParameters(rng: &rng)
            for (i, v) in signed(S * c.m, &rng, scale: 0.2).enumerated() { params.view("es.season0")![i] = Float(v) }
            params.markModified()
            var input: [Float] = []
            for b in 0..<B {
                input.append(Float(b % S)); input.append(Float(b % c.m))
                input += (c.multiplicative ? positive(c.E, &rng) : signed(c.E, &rng)).map(Float.init)
            }
            let w = randomArray(B * c.H, &rng)
            let ws = model.makeWorkspace(batch: B)
            func value() -> Double {
                let pred = input.withUnsafeBufferPointer { model.forward($0.baseAddress!, workspace: ws, params: params) }
                return (0..<w.count).reduce(0.0) { $0 + Double(w[$1]) * Double(pred[$1]) }
            }
            _ = value()
            let grads = ParameterStore(layout: model.layout)
            w.withUnsafeBufferPointer { model.backward($0.baseAddress!, workspace: ws, params: params, grads: grads) }
            let eps: Float = 1e-2
            for e in model.layout.entries {
                let picks = e.name.hasPrefix("es.") ? Array(0..<e.count) : (0..<3).map { _ in Int(rng.next() % UInt64(e.count)) }
                for p in picks {
                    let i = e.offset + p
                    let old = params.base[i]
                    params.base[i] = old + eps; params.markModified(); let fp = value()
                    params.base[i] = old - eps; params.markModified(); let fm = value()
                    params.base[i] = old; params.markModified()
                    let numeric = (fp - fm) / Double(2 * eps)
                    let err = abs(Double(grads.base[i]) - numeric)
                    XCTAssert(err <= 2e-3 + 2e-2 * abs(numeric), "\(c) \(e.name)[\(p)]: analytic \(grads.base[i]) vs numeric \(numeric)")
                }
            }
        }
    }

    func testFloatForwardMatchesDoubleReference() {
        var rng = SeededGenerator(seed: 3)
        let c = cases[0]
        let model = makeModel(c, series: 1, dilations: [1, 2])
        let params = model.makeParameters(rng: &rng)
        let y = positive(c.E, &rng)
        let input = [0, 1] + y.map(Float.init)
        let ws = model.makeWorkspace(batch: 1)
        let pred = input.withUnsafeBufferPointer { Array(UnsafeBufferPointer(start: model.forward($0.baseAddress!, workspace: ws, params: params), count: c.H)) }
        let o = (0..<c.H).map { Double(ws.out.pointer[$0]) }
        let r = reference(y: y.map { Double(Float($0)) }, a: ESHybridModel.sigmoid(-1), g: ESHybridModel.sigmoid(-2),
                          s0: [Double](repeating: 1, count: c.m), phase: 1, seasonal: true, mult: true, H: c.H)
        for h in 0..<c.H {
            let want = r.levels.last! * r.future[h] * exp(o[h])
            XCTAssertEqual(Double(pred[h]), want, accuracy: 1e-5 * abs(want), "step \(h)")
        }
    }
}
