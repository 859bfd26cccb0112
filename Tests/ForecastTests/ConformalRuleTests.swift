import Foundation
import XCTest
@testable import Forecast
import _TestSupport

/// The rolling conformal rule (``ConformalRule``): the interpolated (n + 1) quantile and the
/// step-normalised pooling by hand, per-step coverage on exchangeable data whose error grows
/// with the step, the rolling origins of a real short series (and that the test rows are never
/// read), and model files of the earlier rule forecasting byte for byte as before.
final class ConformalRuleTests: XCTestCase {
    /// Position p = (n + 1) L on the sorted values, linear between neighbours, clamped to [1, n].
    func testInterpolatedQuantileByHand() {
        let r: [Float] = [10, 20, 30, 40, 50, 60, 70, 80, 90]              // n = 9
        XCTAssertEqual(ConformalCalibration.interpolatedQuantile(r, position: 10 * 0.8), 80)             // p = 8
        XCTAssertEqual(ConformalCalibration.interpolatedQuantile(r, position: 10 * 0.85), 85, accuracy: 1e-4)   // p = 8.5
        XCTAssertEqual(ConformalCalibration.interpolatedQuantile(r, position: 10 * 0.95), 90)            // p = 9.5 -> 9
        XCTAssertEqual(ConformalCalibration.interpolatedQuantile(r, position: 10 * 0.05), 10)            // p = 0.5 -> 1
        XCTAssertEqual(ConformalCalibration.interpolatedQuantile(r, position: 10 * 0.33), 33, accuracy: 1e-4)   // p = 3.3
        XCTAssertEqual(ConformalCalibration.interpolatedQuantile([7], position: 1.6), 7)
        XCTAssert(ConformalCalibration.interpolatedQuantile([], position: 1).isNaN)
        // n = 4 at 80%: p = 4 = n, the largest (the (n + 1) correction leaves no room below it).
        XCTAssertEqual(ConformalCalibration.interpolatedQuantile([1, 2, 3, 4], position: 5 * 0.8), 4)
        XCTAssertEqual(ConformalCalibration.interpolatedQuantile([1, 2, 3, 4], position: 5 * 0.7), 3.5, accuracy: 1e-6)
    }

    /// Two steps, three windows: residuals 1, 2, 3 at step 1 and 2, 4, 6 at step 2; in-sample
    /// mean |e| 1 and 2. Rolling: scores / σ = {1, 2, 3} twice, pooled [1, 1, 2, 2, 3, 3];
    /// L = 0.6: p = 7 · 0.6 = 4.2, 2 + 0.2 · (3 − 2) = 2.2, times σ_h. Windows rule: pooled raw
    /// [1, 2, 2, 3, 4, 6], k = ⌈4.2⌉ = 5: 4 at both steps.
    func testRollingPoolingByHand() {
        let f: [[Float]] = [[0, 0], [0, 0], [0, 0]], a: [[Float]] = [[1, -2], [-2, 4], [3, -6]]
        let inSample: ConformalCalibration.InSample = (forecasts: [[0, 0], [0, 0]], actuals: [[1, 1], [-1, 3]], scales: nil)
        let cal = ConformalCalibration(forecasts: f, actuals: a, targets: 1, rule: .rolling, inSample: { inSample })
        XCTAssertTrue(cal.pooled)
        XCTAssertEqual(cal.rule, .rolling)
        XCTAssertEqual(cal.stepScales, [1, 2])
        XCTAssertEqual(cal.residuals[0], [1, 1, 2, 2, 3, 3])
        XCTAssertEqual(cal.quantile(point: 10, element: 0, level: 0.8), 12.2, accuracy: 1e-5)
        XCTAssertEqual(cal.quantile(point: 10, element: 1, level: 0.8), 14.4, accuracy: 1e-5)
        XCTAssertEqual(cal.quantile(point: 10, element: 1, level: 0.2), 5.6, accuracy: 1e-5)
        XCTAssertEqual(cal.quantile(point: 10, element: 1, level: 0.5), 10)
        let old = ConformalCalibration(forecasts: f, actuals: a, targets: 1)
        XCTAssertEqual(old.rule, .windows)
        XCTAssertNil(old.stepScales)
        XCTAssertEqual(old.quantile(point: 10, element: 0, level: 0.8), 14)
        XCTAssertEqual(old.quantile(point: 10, element: 1, level: 0.8), 14)
        // A step without in-sample scores takes the mean of the target's other steps.
        let partial: ConformalCalibration.InSample = (forecasts: [[0, .nan]], actuals: [[3, 1]], scales: nil)
        XCTAssertEqual(ConformalCalibration(forecasts: f, actuals: a, targets: 1, rule: .rolling, inSample: { partial }).stepScales, [3, 3])
        // Enough residuals per step: not pooled, no step scales, in-sample scores never computed.
        let many = ConformalCalibration(forecasts: (0..<19).map { _ in [0] }, actuals: (1...19).map { [Float($0)] }, targets: 1, rule: .rolling,
                                        inSample: { XCTFail("in-sample scores read without pooling"); return inSample })
        XCTAssertFalse(many.pooled)
        XCTAssertNil(many.stepScales)
        XCTAssertEqual(many.quantile(point: 0, element: 0, level: 0.9), 16)                 // p = 20 · 0.8 = 16
        XCTAssertEqual(many.quantile(point: 0, element: 0, level: 0.925), 17, accuracy: 1e-5)   // p = 20 · 0.85 = 17
        XCTAssertEqual(many.quantile(point: 0, element: 0, level: 0.9125), 16.5, accuracy: 1e-5) // p = 16.5
    }

    /// Signed scores under the rolling rule: each tail interpolated at (n + 1) τ.
    func testRollingSignedByHand() {
        let cal = ConformalCalibration(forecasts: (0..<5).map { _ in [0] }, actuals: [[-2], [-1], [0], [1], [2]], targets: 1, signed: true,
                                       rule: .rolling, inSample: { (forecasts: [[0]], actuals: [[2]], scales: nil) })
        XCTAssertEqual(cal.stepScales, [2])
        XCTAssertEqual(cal.residuals[0], [-1, -0.5, 0, 0.5, 1])
        XCTAssertEqual(cal.quantile(point: 0, element: 0, level: 0.25), 2 * -0.75, accuracy: 1e-6)   // p = 1.5
        XCTAssertEqual(cal.quantile(point: 0, element: 0, level: 0.9), 2)                           // p = 5.4 -> 5
        XCTAssertEqual(cal.quantile(point: 0, element: 0, level: 0.5), 0)                           // p = 3
    }

    /// Exchangeable windows of 12 steps whose error sd grows with the step (sd h), 5
    /// calibration windows per draw (pooled): normalised pooling covers every step near
    /// nominal; raw pooling over-covers the first steps and under-covers the last.
    func testStepNormalisedPoolingCoversEveryStep() {
        var rng = SeededGenerator(seed: 3)
        let H = 12, draws = 600
        func window() -> [Float] { (1...H).map { Float($0) * rng.nextNormal() } }
        let inSample = (0..<200).map { _ in window() }
        let zeros = [Float](repeating: 0, count: H)
        var inside = [[Int]](repeating: [Int](repeating: 0, count: H), count: 2)
        for _ in 0..<draws {
            let cal = (0..<5).map { _ in window() }
            let test = window()
            let rolling = ConformalCalibration(forecasts: cal.map { _ in zeros }, actuals: cal, targets: 1, rule: .rolling,
                                               inSample: { (inSample.map { _ in zeros }, inSample, nil) })
            let raw = ConformalCalibration(forecasts: cal.map { _ in zeros }, actuals: cal, targets: 1)
            for (i, c) in [rolling, raw].enumerated() {
                for h in 0..<H where abs(test[h]) <= c.quantile(point: 0, element: h, level: 0.9) { inside[i][h] += 1 }
            }
        }
        let rolling = inside[0].map { Double($0) / Double(draws) }, raw = inside[1].map { Double($0) / Double(draws) }
        for h in 0..<H { XCTAssertEqual(rolling[h], 0.8, accuracy: 0.07, "step \(h + 1)") }
        XCTAssertGreaterThan(raw[0], 0.97)
        XCTAssertLessThan(raw[H - 1], 0.65)
    }

    /// air_passengers (144 rows; validation rows 115..<130, test rows 130..<144; lookback 24,
    /// horizon 12): the rolling rule reads origins 103 … 128, 15 residuals per step, 180
    /// pooled; changing the test rows changes neither the calibration nor the weights.
    func testRollingOriginsOnAirPassengers() throws {
        let table = try CSVReader.read(path: fixturePath("air_passengers.csv"))
        let set = try TimeSeriesSet(table: table)
        var options = ForecasterOptions()
        options.training.epochs = 2
        options.training.workers = 1
        options.hidden = 8
        options.conformal = true
        options.conformalScore = .absolute
        let model = try Forecaster.fit(set, targets: ["value"], options: options)
        let cal = try XCTUnwrap(model.conformal)
        XCTAssertEqual(cal.rule, .rolling)
        XCTAssertEqual(cal.windows, 26)
        XCTAssertTrue(cal.pooled)
        XCTAssertEqual(cal.residuals.count, 12)
        XCTAssertEqual(cal.residuals[0].count, 180)
        XCTAssertEqual(cal.stepScales?.count, 12)
        XCTAssert(cal.stepScales!.allSatisfy { $0.isFinite && $0 > 0 })

        var altered = set
        let c = try XCTUnwrap(altered.columnIndex("value"))
        for r in 130..<144 { altered.series[0].values[c][r] *= 3 }
        let again = try Forecaster.fit(altered, targets: ["value"], options: options)
        XCTAssertEqual(again.conformal, cal, "the calibration read a test row")

        var windows = options
        windows.conformalRule = .windows
        let old = try XCTUnwrap(try Forecaster.fit(set, targets: ["value"], options: windows).conformal)
        XCTAssertEqual(old.rule, .windows)
        XCTAssertEqual(old.windows, 4)
        XCTAssertEqual(old.residuals[0].count, 48)
        XCTAssertNil(old.stepScales)

        // The rule survives a file round trip and fine-tuning recalibrates with it.
        let path = NSTemporaryDirectory() + "conformal-rule-\(getpid()).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.save(to: path)
        XCTAssertEqual(try Forecaster.load(from: path).conformal, cal)
        var tuning = options.training
        tuning.epochs = 1
        XCTAssertEqual(try model.fineTuned(on: set, training: tuning).conformal?.rule, .rolling)
    }

    /// Files written by main before the rule (windows rule, absolute on air_passengers and
    /// scaled on sunspots) load as `windows` and forecast byte for byte as they did.
    func testEarlierFilesForecastAsBefore() throws {
        for (name, data) in [("legacy-conformal", "air_passengers.csv"), ("legacy-conformal-scaled", "sunspots_monthly.csv")] {
            let path = fixturePath("models/\(name).safetensors")
            let cal = try XCTUnwrap(try Forecaster.load(from: path).conformal)
            XCTAssertEqual(cal.rule, .windows)
            XCTAssertNil(cal.stepScales)
            let run = try ForecastBinary.run(["predict", "--model", path, "--data", fixturePath(data), "--level", "80,95"])
            XCTAssertEqual(run.status, 0, run.stderr)
            let expected = try String(contentsOfFile: fixturePath("models/\(name).predict.csv"), encoding: .utf8)
            XCTAssertEqual(run.stdout, expected, "\(name): forecasts of a file of the earlier rule changed")
        }
    }
}
