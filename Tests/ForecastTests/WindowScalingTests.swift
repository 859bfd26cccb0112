import XCTest
@testable import Forecast
import _TestSupport

/// ``WindowScaling``: NeuralForecast's robust per-window scaler, against a float64 reference
/// written independently (median by rank counting, not by sorting), its inverse, the gathered
/// training windows and `predictScaled`.
final class WindowScalingTests: XCTestCase {
    /// The k-th smallest of `v` (0-based) by counting ranks: the value with fewer than k+1
    /// values below it and at least k+1 at or below it.
    func kth(_ v: [Double], _ k: Int) -> Double {
        for a in v where v.filter({ $0 < a }).count <= k && v.filter({ $0 <= a }).count > k { return a }
        return .nan
    }

    /// torch.median's convention: the lower middle value for an even count.
    func refMedian(_ v: [Double]) -> Double { kth(v, (v.count - 1) / 2) }

    /// NeuralForecast's `robust_statistics` for one window column, in Double.
    func reference(_ v: [Double]) -> (centre: Double, scale: Double) {
        let c = refMedian(v)
        var s = refMedian(v.map { abs($0 - c) })
        if s == 0 {
            let m = v.reduce(0, +) / Double(v.count)
            s = 0.6744897501960817 * sqrt(v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count))
        }
        if s == 0 { s = 1 }
        return (c, s + 1e-6)
    }

    /// Windows `[N, T, F]`: random counts (many zeros), a window with most values zero (MAD 0:
    /// the standard-deviation fallback), a constant window (scale 1), continuous values.
    func windows(n: Int, T: Int, F: Int) -> [Float] {
        var rng = SeededGenerator(seed: 7)
        var x = [Float](repeating: 0, count: n * T * F)
        for w in 0..<n {
            for t in 0..<T {
                for f in 0..<F {
                    let u = Float.random(in: 0..<1, using: &rng)
                    let v: Float
                    switch w % 4 {
                    case 0: v = u < 0.6 ? 0 : Float(Int(u * 10))                 // intermittent counts
                    case 1: v = t == T - 2 ? 5 : 0                                // one spike: MAD 0, std > 0
                    case 2: v = 3.25                                              // constant: MAD 0, std 0
                    default: v = Float.random(in: -2...4, using: &rng) * Float(f + 1)
                    }
                    x[(w * T + t) * F + f] = v
                }
            }
        }
        return x
    }

    func testStatisticsMatchTheFloat64Reference() {
        for T in [7, 8, 56] {
            let n = 12, F = 3, P = 2
            let x = windows(n: n, T: T, F: F)
            let (c, s) = x.withUnsafeBufferPointer { WindowScaling.robust.statistics(x: $0.baseAddress!, windows: n, lookback: T, features: F, targets: P) }
            for w in 0..<n {
                for p in 0..<P {
                    let v = (0..<T).map { Double(x[(w * T + $0) * F + p]) }
                    let r = reference(v)
                    XCTAssertEqual(Double(c[w * P + p]), r.centre, accuracy: 1e-6 * max(1, abs(r.centre)), "T \(T) window \(w) column \(p)")
                    XCTAssertEqual(Double(s[w * P + p]), r.scale, accuracy: 1e-6 * max(1, r.scale), "T \(T) window \(w) column \(p)")
                }
            }
            // The fallbacks are exercised: a spike window (MAD 0, std > 0) and a constant one.
            XCTAssertEqual(Double(s[1 * P]), 0.6744897501960817 * sqrt(25.0 / Double(T) - 25.0 / Double(T * T)) + 1e-6, accuracy: 1e-6)
            XCTAssertEqual(s[2 * P], 1 + WindowScaling.eps)
            XCTAssertEqual(c[2 * P], 3.25)
        }
    }

    /// Inputs and targets are scaled with the window's statistics; denormalising the scaled
    /// targets gives them back (every output block).
    func testNormaliseAndDenormaliseAreInverse() {
        let n = 8, T = 10, F = 3, P = 2, steps = 4, K = 3
        var x = windows(n: n, T: T, F: F)
        let original = x
        let (c, s) = x.withUnsafeBufferPointer { WindowScaling.robust.statistics(x: $0.baseAddress!, windows: n, lookback: T, features: F, targets: P) }
        x.withUnsafeMutableBufferPointer { WindowScaling.normalizeInputs($0.baseAddress!, centre: c, scale: s, windows: n, lookback: T, features: F, targets: P) }
        for w in 0..<n { for t in 0..<T { for f in 0..<F {
            let i = (w * T + t) * F + f
            let expected = f < P ? (Double(original[i]) - Double(c[w * P + f])) / Double(s[w * P + f]) : Double(original[i])
            XCTAssertEqual(Double(x[i]), expected, accuracy: 1e-5 * max(1, abs(expected)))
        } } }
        var rng = SeededGenerator(seed: 3)
        var y = [Float](repeating: 0, count: n * K * steps * P)
        for i in y.indices { y[i] = Float.random(in: -5...5, using: &rng) }
        var z = y
        // Targets [N, steps*P] per block: normalise each block as the training targets are.
        let width: Int = steps * P, row: Int = K * width
        for b in 0..<K {
            var block = [Float](repeating: 0, count: n * width)
            for w in 0..<n { for i in 0..<width { block[w * width + i] = z[w * row + b * width + i] } }
            block.withUnsafeMutableBufferPointer { WindowScaling.normalizeTargets($0.baseAddress!, centre: c, scale: s, windows: n, stepsTimesP: width, targets: P) }
            for w in 0..<n { for i in 0..<width { z[w * row + b * width + i] = block[w * width + i] } }
        }
        z.withUnsafeMutableBufferPointer { WindowScaling.denormalize($0.baseAddress!, centre: c, scale: s, windows: n, stepsTimesP: steps * P, targets: P, blocks: K) }
        for i in y.indices { XCTAssertEqual(z[i], y[i], accuracy: 1e-4) }
    }

    /// A small intermittent many-series set: `key,y`, 6 series of 90 rows.
    func intermittentSet() throws -> TimeSeriesSet {
        var rng = SeededGenerator(seed: 11)
        var csv = "key,y\n"
        for s in 0..<6 { for t in 0..<90 {
            let u = Double.random(in: 0..<1, using: &rng)
            csv += "s\(s),\(u < 0.5 ? 0 : Int(u * Double(4 + s + t / 30)))\n"
        } }
        return try TimeSeriesSet(table: CSVReader.read(text: csv), time: .rowOrder(), seriesKey: "key")
    }

    /// Training windows are gathered scaled: each equals the plain window scaled by hand.
    func testGatheredTrainingWindowsAreScaled() throws {
        let set = try intermittentSet()
        let spec = WindowSpec(lookback: 14, horizon: 7, targets: ["y"])
        let d = try PreparedData(set, spec: spec, split: SplitSpec(validation: 0.1, test: 0.1))
        let plain = d.train, scaled = d.train.windowScaled(.robust, targets: 1)
        let idx = [0, 5, 37, plain.count - 1]
        var xp = [Float](repeating: 0, count: idx.count * plain.inputCount), yp = [Float](repeating: 0, count: idx.count * plain.targetCount)
        var xs = xp, ys = yp
        plain.gather(idx, input: &xp, target: &yp)
        scaled.gather(idx, input: &xs, target: &ys)
        let (c, s) = xp.withUnsafeBufferPointer { WindowScaling.robust.statistics(x: $0.baseAddress!, windows: idx.count, lookback: 14, features: 1, targets: 1) }
        for k in idx.indices {
            for t in 0..<14 { XCTAssertEqual(xs[k * 14 + t], (xp[k * 14 + t] - c[k]) / s[k]) }
            for h in 0..<7 { XCTAssertEqual(ys[k * 7 + h], (yp[k * 7 + h] - c[k]) / s[k]) }
        }
    }

    /// A model fitted with window scaling keeps it in its spec (and through save/load), and
    /// `predictScaled` scales each window's inputs, runs the network and scales its outputs back.
    func testFittedModelPredictsThroughTheScaling() throws {
        let set = try intermittentSet()
        var o = ForecasterOptions()
        o.lookback = 14; o.horizon = 7; o.hidden = 8
        o.levelNormalization = false
        o.windowScaling = .robust
        o.training.loss = .mae
        o.training.epochs = 2
        o.training.workers = 1
        let model = try Forecaster.fit(set, targets: ["y"], options: o)
        XCTAssertEqual(model.spec.windowScaling, .robust)
        let dir = NSTemporaryDirectory() + "window-scaling-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try model.save(to: dir + "/m.safetensors")
        let loaded = try Forecaster.load(from: dir + "/m.safetensors")
        XCTAssertEqual(loaded.spec.windowScaling, .robust)

        let n = 5, T = 14
        var rng = SeededGenerator(seed: 5)
        var x = [Float](repeating: 0, count: n * T)
        for i in x.indices where Bool.random(using: &rng) { x[i] = Float(Int.random(in: 1...3, using: &rng)) }
        let out = loaded.predictScaled(x, windows: n)
        let (c, s) = x.withUnsafeBufferPointer { WindowScaling.robust.statistics(x: $0.baseAddress!, windows: n, lookback: T, features: 1, targets: 1) }
        var xn = x
        for w in 0..<n { for t in 0..<T { xn[w * T + t] = (x[w * T + t] - c[w]) / s[w] } }
        let ws = SequenceRegressor.Workspace(model: loaded.model, batch: n, length: T)
        var r = SeededGenerator(seed: 0)
        let raw = xn.withUnsafeBufferPointer { loaded.model.forward($0.baseAddress!, workspace: ws, params: loaded.params, rng: &r) }
        for w in 0..<n { for h in 0..<7 { XCTAssertEqual(out[w * 7 + h], raw.pointer[w * 7 + h] * s[w] + c[w], accuracy: 1e-5) } }

        // Without the scaling the same weights give other forecasts (the test can fail).
        var plainSpec = loaded.spec
        plainSpec.windowScaling = nil
        let plain = Forecaster(spec: plainSpec, params: loaded.params, provenance: nil)
        XCTAssertNotEqual(plain.predictScaled(x, windows: n), out)
    }

    /// Window scaling refuses level normalisation and the gaussian loss.
    func testExclusiveWithLevelNormalisationAndGaussian() throws {
        let set = try intermittentSet()
        var o = ForecasterOptions()
        o.lookback = 14; o.horizon = 7; o.hidden = 4; o.training.epochs = 1; o.training.workers = 1
        o.windowScaling = .robust
        o.levelNormalization = true
        XCTAssertThrowsError(try Forecaster.fit(set, targets: ["y"], options: o))
        o.levelNormalization = false
        o.training.loss = .gaussian
        XCTAssertThrowsError(try Forecaster.fit(set, targets: ["y"], options: o))
    }
}
