import Foundation
import XCTest
@testable import Forecast
import _TestSupport

/// The nonconformity scores of split conformal intervals (``ConformalScore``): the local scale
/// of a window, locally scaled and signed calibrations (order statistics by hand, coverage on
/// exchangeable data), old model files, and a scaled model end to end (widths follow the local
/// scale of the series' last rows in data units; identical for 1, 2 and 3 workers).
final class ConformalScoreTests: XCTestCase {
    /// Mean |Δx| over the last `rows` rows of one column, times the slope; NaN pairs skipped.
    func testLocalScale() {
        // [lookback 5 × features 2]; column 1 holds 0, 1, 3, NaN, 10.
        let x: [Float] = [9, 0, 9, 1, 9, 3, 9, .nan, 9, 10]
        x.withUnsafeBufferPointer { p in
            let b = p.baseAddress!
            XCTAssertEqual(ConformalCalibration.localScale(b, lookback: 5, features: 2, column: 1, rows: 5, slope: 2), 2 * (1 + 2) / 2)
            XCTAssertEqual(ConformalCalibration.localScale(b, lookback: 5, features: 2, column: 1, rows: 5, slope: -2), 2 * (1 + 2) / 2)
            XCTAssertEqual(ConformalCalibration.localScale(b, lookback: 3, features: 2, column: 1, rows: 3, slope: 2), 2 * (1 + 2) / 2)
            XCTAssertEqual(ConformalCalibration.localScale(b, lookback: 3, features: 2, column: 1, rows: 2, slope: 2), 2 * 2)
            XCTAssert(ConformalCalibration.localScale(b, lookback: 5, features: 2, column: 1, rows: 3, slope: 2).isNaN)   // only pairs with the NaN
            XCTAssertEqual(ConformalCalibration.localScale(b, lookback: 5, features: 2, column: 0, rows: 5, slope: 1), 0)
        }
    }

    /// Scaled scores: residual / local scale, quantiles ŷ ± s · r_(k); a flat window (scale 0)
    /// or an undefined one gets the floor, a tenth of the calibration windows' median scale.
    func testScaledCalibrationByHand() {
        // 19 windows: residual 2i with scale 2 (score i), so r_(k) = k.
        let cal = ConformalCalibration(forecasts: (0..<19).map { _ in [0] }, actuals: (1...19).map { [Float(2 * $0)] }, targets: 1,
                                       scales: (0..<19).map { _ in [2] }, scaleRows: 24)
        XCTAssertEqual(cal.score, .scaled)
        XCTAssertEqual(cal.residuals[0], (1...19).map(Float.init))
        XCTAssertEqual(cal.scaleFloor, [0.2])
        XCTAssertEqual(cal.quantile(point: 100, element: 0, level: 0.9, scales: [3]), 100 + 3 * 16)   // ⌈20 · 0.8⌉ = 16
        XCTAssertEqual(cal.quantile(point: 100, element: 0, level: 0.025, scales: [3]), 100 - 3 * 19)
        XCTAssertEqual(cal.quantile(point: 100, element: 0, level: 0.5, scales: [3]), 100)
        XCTAssertEqual(cal.quantile(point: 100, element: 0, level: 0.9, scales: [0]), 100 + 0.2 * 16, accuracy: 1e-4)
        XCTAssertEqual(cal.quantile(point: 100, element: 0, level: 0.9, scales: [.nan]), 100 + 0.2 * 16, accuracy: 1e-4)
        XCTAssertEqual(cal.quantile(point: 100, element: 0, level: 0.9, scales: nil), 100 + 0.2 * 16, accuracy: 1e-4)
        // Without scales the same residuals are plain absolute ones.
        let plain = ConformalCalibration(forecasts: (0..<19).map { _ in [0] }, actuals: (1...19).map { [Float(2 * $0)] }, targets: 1)
        XCTAssertEqual(plain.score, .absolute)
        XCTAssertEqual(plain.quantile(point: 100, element: 0, level: 0.9, scales: [3]), 100 + 32)
    }

    /// Signed scores: the upper quantile is the ⌈(n+1)τ⌉-th smallest, the lower the ⌊(n+1)τ⌋-th.
    func testSignedCalibrationByHand() {
        // 39 signed residuals −19 … 19.
        let cal = ConformalCalibration(forecasts: (0..<39).map { _ in [0] }, actuals: (-19...19).map { [Float($0)] }, targets: 1, signed: true)
        XCTAssertEqual(cal.score, .signed)
        XCTAssertFalse(cal.pooled)
        XCTAssertEqual(cal.quantile(point: 0, element: 0, level: 0.975), 19)      // ⌈40 · 0.975⌉ = 39
        XCTAssertEqual(cal.quantile(point: 0, element: 0, level: 0.025), -19)     // ⌊40 · 0.025⌋ = 1
        XCTAssertEqual(cal.quantile(point: 0, element: 0, level: 0.9), 16)        // 36th
        XCTAssertEqual(cal.quantile(point: 0, element: 0, level: 0.1), -16)       // 4th
        XCTAssertEqual(cal.quantile(point: 10, element: 0, level: 0.5), 10)       // 20th = 0
        // Fewer than 39 per step: pooled.
        XCTAssertTrue(ConformalCalibration(forecasts: (0..<38).map { _ in [0] }, actuals: (0..<38).map { [Float($0)] }, targets: 1, signed: true).pooled)
    }

    /// On exchangeable heteroscedastic data (y = s·ε with the scale s known from the window),
    /// every score covers at nominal overall; only the scaled ones also cover at nominal where
    /// the series is calm and where it is wild; skewed errors need the signed tails to be tight.
    func testCoverageOnExchangeableData() {
        var rng = SeededGenerator(seed: 11)
        func draw(_ n: Int) -> (e: [Float], s: [Float]) {
            var e: [Float] = [], s: [Float] = []
            for _ in 0..<n {
                let scale: Float = rng.nextUnitFloat() < 0.5 ? 0.5 : 4
                e.append(scale * rng.nextNormal()); s.append(scale)
            }
            return (e, s)
        }
        let n = 2000
        let (ce, cs) = draw(n), (te, ts) = draw(20_000)
        for score in ConformalScore.allCases where score != .auto {
            let cal = ConformalCalibration(forecasts: (0..<n).map { _ in [0] }, actuals: ce.map { [$0] }, targets: 1,
                                           scales: score.isScaled ? cs.map { [$0] } : nil, scaleRows: 8, signed: score.isSigned)
            XCTAssertEqual(cal.score, score)
            for level: Float in [0.8, 0.95] {
                var inside = [0, 0], count = [0, 0]
                for (e, s) in zip(te, ts) {
                    let lo = cal.quantile(point: 0, element: 0, level: (1 - level) / 2, scales: [s])
                    let hi = cal.quantile(point: 0, element: 0, level: (1 + level) / 2, scales: [s])
                    let g = s < 1 ? 0 : 1
                    count[g] += 1
                    if e >= lo && e <= hi { inside[g] += 1 }
                }
                let overall = Float(inside[0] + inside[1]) / Float(te.count)
                XCTAssertEqual(overall, level, accuracy: 0.02, "\(score) \(level)")
                let calm = Float(inside[0]) / Float(count[0]), wild = Float(inside[1]) / Float(count[1])
                if score.isScaled {
                    XCTAssertEqual(calm, level, accuracy: 0.025, "\(score) \(level) calm")
                    XCTAssertEqual(wild, level, accuracy: 0.025, "\(score) \(level) wild")
                } else {
                    XCTAssertGreaterThan(calm - wild, 0.05, "\(score) \(level): one width for both regimes")
                }
            }
        }
    }

    /// `auto` keeps the score whose calibration on the earlier validation windows covers best on
    /// the later ones: scaled when the errors grow with the local scale, absolute when the local
    /// scale moves but the errors do not.
    func testAutoSelection() {
        var rng = SeededGenerator(seed: 5)
        let n = 400
        let later = (0..<n).map { $0 >= n / 2 }
        let scales = (0..<n).map { [Float(later[$0] ? 4 : 1) * (0.5 + rng.nextUnitFloat())] }
        let noise = (0..<n).map { _ in rng.nextNormal() }
        let forecasts = (0..<n).map { _ in [Float(0)] }
        let proportional = (0..<n).map { [scales[$0][0] * noise[$0]] }
        let constant = (0..<n).map { [noise[$0]] }
        XCTAssertEqual(ConformalCalibration.select(forecasts: forecasts, actuals: proportional, targets: 1, scales: scales, scaleRows: 8, later: later), .scaled)
        XCTAssertEqual(ConformalCalibration.select(forecasts: forecasts, actuals: constant, targets: 1, scales: scales, scaleRows: 8, later: later), .absolute)
        XCTAssertEqual(ConformalCalibration.select(forecasts: [[0], [0], [0]], actuals: [[1], [2], [3]], targets: 1, scales: [[1], [1], [1]], scaleRows: 8,
                                                   later: [false, true, true]), .absolute)   // too few windows
    }

    /// A calibration from a model file written before the scores existed decodes as absolute.
    func testOldCalibrationDecodesAsAbsolute() throws {
        let old = #"{"residuals":[[1,2,3,4]],"windows":4,"pooled":true}"#
        let cal = try JSONDecoder().decode(ConformalCalibration.self, from: Data(old.utf8))
        XCTAssertEqual(cal.score, .absolute)
        XCTAssertEqual(cal.quantile(point: 10, element: 0, level: 0.6, scales: [7]), 11)   // L = 0.2: ⌈5 · 0.2⌉ = 1, r_(1) = 1, no scale
        let again = try JSONDecoder().decode(ConformalCalibration.self, from: JSONEncoder().encode(cal))
        XCTAssertEqual(again, cal)
    }

    /// A model trained with the scaled score: each predicted 80% interval is the point
    /// ± s · r_(k), s the mean absolute one-step change of the series' last lookback rows in data
    /// units; calibration, test scores and quantiles are identical for 1, 2 and 3 workers.
    func testScaledForecasterEndToEndAndWorkers() throws {
        let set = try TimeSeriesSet(table: CSVReader.read(path: fixturePath("sunspots_monthly.csv")))
        var results: [(ConformalCalibration, EvaluationReport?, [SeriesForecast])] = []
        for workers in 1...3 {
            var options = ForecasterOptions()
            options.training.epochs = 2
            options.training.workers = workers
            options.hidden = 8
            options.conformal = true
            options.conformalScore = .scaled
            options.horizon = 6
            options.lookback = 24
            let model = try Forecaster.fit(set, targets: ["value"], options: options)
            let cal = try XCTUnwrap(model.conformal)
            let f = try model.predict(set, levels: [0.1, 0.9])
            results.append((cal, model.provenance?.testMetrics, f))
        }
        for r in results.dropFirst() {
            XCTAssertEqual(r.0, results[0].0)
            XCTAssertEqual(r.1, results[0].1)
            XCTAssertEqual(r.2[0].quantiles, results[0].2[0].quantiles)
        }
        let (cal, report, f) = results[0]
        XCTAssertEqual(cal.score, .scaled)
        XCTAssertEqual(cal.scaleRows, 24)
        XCTAssertNotNil(report?.model.distribution?.coverage["80"])
        let values = set.series[0].values[set.columnIndex("value")!]
        let last = Array(values.suffix(24))
        let s = zip(last.dropFirst(), last).map { abs(Double($0) - Double($1)) }.reduce(0, +) / 23
        let q = try XCTUnwrap(f[0].quantiles)
        for h in 0..<6 {
            let point = Double(f[0].values[h][0])
            let expected = s * Double(cal.halfWidth(element: h, level: 0.8))
            XCTAssertEqual(Double(q[h][0][1]) - point, expected, accuracy: 1e-3 * max(1, expected), "step \(h)")
            XCTAssertEqual(point - Double(q[h][0][0]), expected, accuracy: 1e-3 * max(1, expected), "step \(h)")
        }
    }
}
