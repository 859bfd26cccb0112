import Foundation
import XCTest
import ForecastTraining
import _TestSupport

/// The DeepAR likelihoods: values against an independent float64 reference (the densities
/// written from their textbook forms), analytic gradients against central differences of that
/// reference, and the samplers' moments.
final class LikelihoodTests: XCTestCase {
    /// −log p(y) in float64 straight from the density formulas, with parameters from raw outputs.
    static func reference(_ l: Likelihood, _ u: [Double], y: Double, scale v: Double) -> Double {
        func sp(_ x: Double) -> Double { log(1 + exp(x)) }
        switch l {
        case .gaussian:
            let mu = v * u[0], s = v * (sp(u[1]) + 1e-4)
            let e: Double = (y - mu) * (y - mu) / (2 * s * s)
            let norm: Double = s * (2 * Double.pi).squareRoot()
            let pdf: Double = exp(-e) / norm
            return -log(pdf)
        case .studentT:
            let mu = v * u[0], s = v * (sp(u[1]) + 1e-4), d = 2 + sp(u[2])
            let t = (y - mu) / s
            let a: Double = lgamma((d + 1) / 2) - lgamma(d / 2)
            let b: Double = 0.5 * log(d * Double.pi) + log(s)
            let c: Double = (d + 1) / 2 * log(1 + t * t / d)
            let logpdf = a - b - c
            return -logpdf
        case .negativeBinomial:
            // pmf = Γ(y + r) / (Γ(r) y!) p^r (1 − p)^y with p = r / (r + m): the success-count form.
            let m = v * (sp(u[0]) + 1e-4), alpha = (sp(u[1]) + 1e-4) / v.squareRoot(), r = 1 / alpha
            let p = r / (r + m)
            let g: Double = lgamma(y + r) - lgamma(r) - lgamma(y + 1)
            let l: Double = r * log(p) + y * log(1 - p)
            return -(g + l)
        }
    }

    func testValuesMatchFloat64Reference() {
        var rng = SeededGenerator(seed: 11)
        for l in Likelihood.allCases {
            for _ in 0..<50 {
                let u = randomArray(l.parameterCount, &rng, scale: 1.5)
                let scale = 1 + 3 * rng.nextUnitFloat()
                let y: Float = l == .negativeBinomial ? Float(Int(rng.nextUnitFloat() * 20)) : rng.nextFloat(in: -5, 5)
                let got = l.negativeLogLikelihood(u, y: y, scale: scale)
                let want = LikelihoodTests.reference(l, u.map(Double.init), y: Double(y), scale: Double(scale))
                XCTAssertEqual(got, want, accuracy: 1e-9 * max(1, abs(want)), "\(l) u \(u) y \(y) scale \(scale)")
            }
        }
    }

    /// Analytic gradient (Float) against central differences of the float64 reference.
    func testGradientsMatchFiniteDifferencesOfReference() {
        var rng = SeededGenerator(seed: 12)
        for l in Likelihood.allCases {
            for _ in 0..<40 {
                let u = randomArray(l.parameterCount, &rng, scale: 1.5)
                let scale = 1 + 3 * rng.nextUnitFloat()
                let y: Float = l == .negativeBinomial ? Float(Int(rng.nextUnitFloat() * 30)) : rng.nextFloat(in: -5, 5)
                var d = [Float](repeating: 0, count: u.count)
                _ = d.withUnsafeMutableBufferPointer { l.negativeLogLikelihood(u, y: y, scale: scale, weight: 1, dU: $0.baseAddress!) }
                for k in u.indices {
                    let h = 1e-6
                    var up = u.map(Double.init), dn = up
                    up[k] += h; dn[k] -= h
                    let num = (LikelihoodTests.reference(l, up, y: Double(y), scale: Double(scale))
                               - LikelihoodTests.reference(l, dn, y: Double(y), scale: Double(scale))) / (2 * h)
                    XCTAssertEqual(Double(d[k]), num, accuracy: 1e-4 + 1e-4 * abs(num), "\(l) parameter \(k) u \(u) y \(y)")
                }
            }
        }
    }

    /// ψ, which the Student-t and negative-binomial gradients use, against differences of lnΓ.
    func testDigammaAgainstDifferencesOfLgamma() {
        for x in [0.3, 1.0, 2.5, 7.0, 40.0] {
            let h = 1e-5
            XCTAssertEqual(Likelihood.digamma(x), (lgamma(x + h) - lgamma(x - h)) / (2 * h), accuracy: 1e-6, "ψ(\(x))")
        }
        XCTAssertEqual(Likelihood.digamma(1), -0.5772156649015329, accuracy: 1e-10)
    }

    /// Draws have the distribution's mean and variance (20 000 draws, seeded), and the same seed
    /// gives the same draws.
    func testSamplersMoments() {
        let cases: [(Likelihood, [Float], Float)] = [(.gaussian, [0.7, 0.2], 2), (.studentT, [-0.3, 0.1, 3.0], 1.5),
                                                     (.negativeBinomial, [1.2, -0.5], 3), (.negativeBinomial, [4.0, -2.0], 10)]
        for (l, u, scale) in cases {
            var rng = SeededGenerator(seed: 5)
            let n = 20_000
            let draws = (0..<n).map { _ in Double(l.sample(u, scale: scale, rng: &rng)) }
            let mean = draws.reduce(0, +) / Double(n)
            let variance = draws.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)
            let (a, b, d) = l.parameters(u, scale: scale)
            let wantVar: Double
            switch l {
            case .gaussian: wantVar = b * b
            case .studentT: wantVar = b * b * d / (d - 2)
            case .negativeBinomial: wantVar = a + b * a * a
            }
            XCTAssertEqual(mean, a, accuracy: 4 * (wantVar / Double(n)).squareRoot() + 1e-6, "\(l) mean")
            if l != .studentT { XCTAssertEqual(variance / wantVar, 1, accuracy: 0.05, "\(l) variance") }
            if l == .negativeBinomial { XCTAssert(draws.allSatisfy { $0 >= 0 && $0 == $0.rounded() }, "counts") }
            var again = SeededGenerator(seed: 5)
            XCTAssertEqual((0..<10).map { _ in l.sample(u, scale: scale, rng: &again) }, draws.prefix(10).map(Float.init))
        }
    }
}

/// The likelihood as a training loss (``LossKind/likelihood(_:)``): block layout `[u…, ν]`,
/// gradients against central differences, none for the ν block.
final class LikelihoodLossTests: XCTestCase {
    func testLossGradientsMatchFiniteDifferences() {
        var rng = SeededGenerator(seed: 21)
        for l in Likelihood.allCases {
            let kind = LossKind.likelihood(l)
            let rows = 3, M = 4, K = kind.outputsPerTarget
            XCTAssertEqual(K, l.parameterCount + 1)
            var pred = randomArray(rows * M * K, &rng, scale: 1)
            for r in 0..<rows { for m in 0..<M { pred[r * M * K + (K - 1) * M + m] = 1 + 4 * rng.nextUnitFloat() } }   // ν > 0
            let target = (0..<(rows * M)).map { _ in l == .negativeBinomial ? Float(Int(rng.nextUnitFloat() * 12)) : rng.nextFloat(in: -3, 3) }
            var d = [Float](repeating: 0, count: pred.count)
            _ = kind.evaluate(pred: pred, target: target, rows: rows, targets: M, normalizer: rows * M, dPred: &d)
            for r in 0..<rows {
                for k in 0..<(K - 1) {
                    for m in 0..<M {
                        let i = r * M * K + k * M + m
                        let num = numericGradient(&pred, i, eps: 1e-3) { p in kind.evaluate(pred: p, target: target, rows: rows, targets: M, normalizer: rows * M, dPred: nil) }
                        XCTAssertEqual(Double(d[i]), num, accuracy: 2e-3 + 1e-2 * abs(num), "\(l) block \(k) element \(m)")
                    }
                }
                for m in 0..<M { XCTAssertEqual(d[r * M * K + (K - 1) * M + m], 0, "the ν block gets no gradient") }
            }
        }
    }
}
