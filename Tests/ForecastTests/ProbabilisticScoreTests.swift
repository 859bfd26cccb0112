import Foundation
import XCTest
@testable import Forecast
import _TestSupport

/// Distribution scores, the seasonal-naive reference intervals and split conformal intervals.
final class ProbabilisticScoreTests: XCTestCase {
    func testNormalQuantileAndLevels() {
        XCTAssertEqual(QuantileLevels.normalQuantile(0.975), 1.959963984540054, accuracy: 1e-9)
        XCTAssertEqual(QuantileLevels.normalQuantile(0.1), -1.2815515655446004, accuracy: 1e-9)
        XCTAssertEqual(QuantileLevels.standard.count, 21)
        let iv = QuantileLevels.intervals(in: QuantileLevels.standard)
        XCTAssertEqual(iv.map(\.percent), [95, 90, 80, 70, 60, 50, 40, 30, 20, 10])
        XCTAssertEqual(QuantileLevels.empirical(sorted: [1, 2, 3, 4], 0.5), 2.5)
        XCTAssertEqual(QuantileLevels.empirical(sorted: [1, 2, 3, 4], 1), 4)
    }

    /// Hand-computed pinball, CRPS weights, wQL, MSIS and coverage on two pairs.
    func testScoresOnHandCheckedPairs() throws {
        var acc = DistributionAccumulator(levels: [0.025, 0.5, 0.975])
        acc.add(actual: 10, quantiles: [8, 10, 12], scale: 2)     // inside: pinball 0.05, 0, 0.05
        acc.add(actual: 20, quantiles: [8, 10, 12], scale: 2)     // above:  0.3, 5, 7.8
        let s = try XCTUnwrap(acc.scores())
        // Midpoint weights: 0.2625, 0.475, 0.2625.
        let crps1: Double = 2 * (0.2625 * 0.05 + 0.2625 * 0.05)
        let crps2: Double = 2 * (0.2625 * 0.3 + 0.475 * 5 + 0.2625 * 7.8)
        XCTAssertEqual(s.crps, (crps1 + crps2) / 2, accuracy: 1e-6)   // levels are Float
        let wql: Double = (2 * (0.05 + 0.3) + 2 * 5 + 2 * (0.05 + 7.8)) / 30 / 3
        XCTAssertEqual(s.wql, wql, accuracy: 1e-6)
        // MSIS: width 4 each; the second misses by 8 above: 4 + 40·8; each divided by scale 2.
        let msis: Double = (2 + 324.0 / 2) / 2
        XCTAssertEqual(try XCTUnwrap(s.msis), msis, accuracy: 1e-9)
        XCTAssertEqual(s.coverage, ["95": 0.5])
        XCTAssertEqual(s.count, 2)
        XCTAssertNil(DistributionAccumulator(levels: [0.1, 0.5, 0.9]).scores())
    }

    /// The quantile CRPS on the standard levels is close to the exact CRPS of a Gaussian
    /// (σ [z(2Φ(z) − 1) + 2φ(z) − 1/√π]).
    func testQuantileCRPSApproximatesGaussianCRPS() throws {
        for y in [0.0, 0.7, 2.5] {
            let levels = QuantileLevels.standard
            var acc = DistributionAccumulator(levels: levels)
            acc.add(actual: Float(y), quantiles: levels.map { Float(QuantileLevels.normalQuantile(Double($0))) }, scale: 1)
            let cdf: Double = 0.5 * erfc(-y / 2.0.squareRoot())
            let pdf: Double = exp(-y * y / 2) / (2 * Double.pi).squareRoot()
            let exact: Double = y * (2 * cdf - 1) + 2 * pdf - 1 / Double.pi.squareRoot()
            XCTAssertEqual(try XCTUnwrap(acc.scores()).crps, exact, accuracy: 0.03 * exact + 0.01, "y = \(y)")
        }
    }

    /// Seasonal naive's h-step residual quantiles on a hand-made series.
    func testSeasonalNaiveIntervals() {
        // Season 2: residuals at lag 2 are y_t − y_{t−2}: 1, 2, 3, 4 → quantiles 1 … 4.
        let history: [Float] = [0, 10, 1, 12, 4, 16]
        let q = SeasonalNaiveIntervals.quantiles(history: history[...], horizon: 3, season: 2, levels: [0, 0.5, 1])
        XCTAssertEqual(q[0], [4 + 1, 4 + 2.5, 4 + 4])       // step 1: y_{T−1} = 4
        XCTAssertEqual(q[1], [16 + 1, 16 + 2.5, 16 + 4])
        // Step 3 reaches 4 steps back: residuals y_t − y_{t−4}: 4, 6 → 4, 5, 6.
        XCTAssertEqual(q[2], [4 + 4, 4 + 5, 4 + 6])
    }

    /// Split conformal: the interval is the ⌈(n+1)L⌉-th smallest residual, and on exchangeable
    /// data its coverage is at least nominal (and not far above).
    func testConformalOrderStatisticAndCoverage() {
        let cal = ConformalCalibration(forecasts: (0..<19).map { _ in [0] }, actuals: (1...19).map { [Float($0)] }, targets: 1)
        XCTAssertFalse(cal.pooled)
        XCTAssertEqual(cal.halfWidth(element: 0, level: 0.8), 16)      // ⌈20 · 0.8⌉ = 16
        XCTAssertEqual(cal.halfWidth(element: 0, level: 0.95), 19)
        XCTAssertEqual(cal.quantile(point: 100, element: 0, level: 0.1), 84)
        XCTAssertEqual(cal.quantile(point: 100, element: 0, level: 0.5), 100)

        var rng = SeededGenerator(seed: 3)
        let n = 400
        let calib = ConformalCalibration(forecasts: (0..<n).map { _ in [0] }, actuals: (0..<n).map { _ in [rng.nextNormal()] }, targets: 1)
        for level in [0.8, 0.95] {
            let w = calib.halfWidth(element: 0, level: level)
            let test = (0..<20_000).map { _ in rng.nextNormal() }
            let covered = Double(test.filter { abs($0) <= w }.count) / Double(test.count)
            XCTAssertEqual(covered, level, accuracy: 0.03, "level \(level)")
        }
        // Too few residuals per step: the steps of a target are pooled.
        let few = ConformalCalibration(forecasts: [[0, 0], [0, 0]], actuals: [[1, 3], [2, 4]], targets: 1)
        XCTAssertTrue(few.pooled)
        XCTAssertEqual(few.residuals[0], [1, 2, 3, 4])
    }

    /// A point model trained with conformal intervals: its test report carries distribution
    /// scores next to the seasonal-naive reference, the calibration survives save/load, and
    /// predict gives sorted quantiles at any requested level.
    func testConformalForecasterEndToEnd() throws {
        let set = try TimeSeriesSet(table: CSVReader.read(path: fixturePath("sunspots_monthly.csv")))
        var options = ForecasterOptions()
        options.training.epochs = 2
        options.hidden = 16
        options.conformal = true
        options.horizon = 6
        options.lookback = 24
        let model = try Forecaster.fit(set, targets: ["value"], options: options)
        let cal = try XCTUnwrap(model.conformal)
        XCTAssertEqual(cal.residuals.count, 6)
        XCTAssert([.absolute, .scaled].contains(cal.score), "auto resolves to absolute or scaled")
        let report = try XCTUnwrap(model.provenance?.testMetrics)
        let d = try XCTUnwrap(report.model.distribution)
        XCTAssertEqual(d.levels, QuantileLevels.standard)
        XCTAssertNotNil(d.coverage["80"]); XCTAssertNotNil(d.msis)
        XCTAssertNotNil(report.seasonalNaive.distribution)
        XCTAssertNil(report.naive.distribution)

        let path = NSTemporaryDirectory() + "conformal-\(getpid()).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.save(to: path)
        let loaded = try Forecaster.load(from: path)
        XCTAssertEqual(loaded.conformal, cal)
        XCTAssertEqual(try loaded.evaluate(set), try model.evaluate(set))
        let f = try loaded.predict(set, levels: [0.01, 0.1, 0.9, 0.99])
        let q = try XCTUnwrap(f[0].quantiles)
        for h in 0..<6 {
            XCTAssertEqual(q[h][0], q[h][0].sorted())
            XCTAssertLessThan(q[h][0][1], f[0].values[h][0]); XCTAssertGreaterThan(q[h][0][2], f[0].values[h][0])
        }
    }
}
