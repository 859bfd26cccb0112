import Foundation
import XCTest
@testable import Forecast
import _TestSupport

/// Cross-conformal calibration (``ConformalRule/cross``): where the refits end and what they
/// hold out (``ConformalFolds``) by hand, the calibration of a real short series (residual
/// counts by hand, test rows never read, the same bits for 1 and 2 workers, the rule kept in
/// the model file and turned into `rolling` by fine-tuning), and the ensemble's refits.
final class CrossConformalTests: XCTestCase {
    /// 144 rows, 10% / 10%: v(144) = round(115.2) = 115. Refit 1 sees E = 115 rows and holds out
    /// [v(115) = 92, 115); refit 2 [v(92) = round(73.6) = 74, 92); refit 3 [v(74) = round(59.2) =
    /// 59, 74). Refit 4 would train on v(59) = round(47.2) = 47 rows < 115 / 2: dropped.
    func testFoldsByHand() {
        let air = ConformalFolds(rows: [144], split: SplitSpec(), folds: 10, minimumTrainingRows: 36)
        XCTAssertEqual(air.count, 3)
        XCTAssertEqual(air.ends, [[115], [92], [74]])
        XCTAssertEqual(air.heldOutStarts, [[92], [74], [59]])
        XCTAssertEqual(air.heldOut(2, series: 0), 59..<74)
        XCTAssertEqual(ConformalFolds(rows: [144], split: SplitSpec(), folds: 2, minimumTrainingRows: 36).ends, [[115], [92]])
        XCTAssertEqual(ConformalFolds(rows: [144], split: SplitSpec(), folds: 0, minimumTrainingRows: 36).count, 0)
        // A second series of 60 rows: v(60) = 48; refit 1 sees 48 rows, holds out [v(48) = round(38.4) = 38, 48);
        // refit 2 would train on v(38) = round(30.4) = 30 < 36 rows (one window): every series' refit 2 is dropped.
        let two = ConformalFolds(rows: [144, 60], split: SplitSpec(), folds: 3, minimumTrainingRows: 36)
        XCTAssertEqual(two.ends, [[115, 48]])
        XCTAssertEqual(two.heldOutStarts, [[92, 38]])
        // 20% validation, no test: v(n) = 0.8 n, the blocks are the refits' validation rows: 100 -> [64, 80), [51, 64);
        // refit 3 would train on round(40.8) = 41 < 80 / 2 = 40? No: 41 >= 40 passes; refit 4 on round(32.8) = 33 < 40.
        let noTest = ConformalFolds(rows: [100], split: SplitSpec(validation: 0.2, test: 0), folds: 5, minimumTrainingRows: 1)
        XCTAssertEqual(noTest.ends, [[80], [64], [51]])
        XCTAssertEqual(noTest.heldOutStarts, [[64], [51], [41]])
        XCTAssertEqual(ConformalFolds(rows: [], split: SplitSpec(), folds: 3, minimumTrainingRows: 1).count, 0)
    }

    /// Truncation keeps each series' first E rows, its times and line numbers, and the segments
    /// starting before the cut.
    func testTruncatedByHand() throws {
        let s = TimeSeries(key: "a", times: [1, 2, 3, 4, 5], values: [[10, 11, 12, 13, 14]], lines: [2, 3, 4, 5, 6], segmentStarts: [0, 3])
        var set = try TimeSeriesSet(table: CSVReader.read(path: fixturePath("air_passengers.csv")))
        set.series = [s, s]
        let cut = ConformalFolds.truncated(set, ends: [3, 4])
        XCTAssertEqual(cut.series[0].values, [[10, 11, 12]])
        XCTAssertEqual(cut.series[0].segmentStarts, [0])
        XCTAssertEqual(cut.series[1].values, [[10, 11, 12, 13]])
        XCTAssertEqual(cut.series[1].times, [1, 2, 3, 4])
        XCTAssertEqual(cut.series[1].lines, [2, 3, 4, 5])
        XCTAssertEqual(cut.series[1].segmentStarts, [0, 3])
    }

    /// The refits' residuals join the model's own: two steps, the model's 2 origins and a
    /// refit's 3 (folds 1), 5 scores per step, pooled (fewer than 19) and step-normalised as
    /// the rolling rule does; the file section records the refit count, which `check` bounds.
    func testRefitResidualsPoolByHand() throws {
        var pooled = ConformalResiduals(forecasts: [[0, 0], [0, 0]], actuals: [[1, -2], [-2, .nan]], scales: [[1], [1]])
        pooled.append(ConformalResiduals(forecasts: [[0, 0], [0, 0], [0, 0]], actuals: [[3, 4], [.nan, -6], [-4, 8]],
                                         scales: [[1], [1], [1]], folds: 1))
        XCTAssertEqual(pooled.count, 5)
        XCTAssertEqual(pooled.folds, 1)
        // Error ratio on common entries: refit |1 − 0| + |3 − 1| = 3 (the NaN actual skipped) against the model's |1 − 2| + |3 − 2| = 2.
        let refit = ConformalResiduals(forecasts: [[0, 1]], actuals: [[1, 3]]), model = ConformalResiduals(forecasts: [[2, 2]], actuals: [[1, 3]])
        XCTAssertEqual(ConformalResiduals.errorRatio(refit, model: model), 1.5)
        XCTAssertEqual(ConformalResiduals.errorRatio(ConformalResiduals(forecasts: [[0, 1]], actuals: [[.nan, 3]]), model: model), 2)
        XCTAssert(ConformalResiduals.errorRatio(refit, model: ConformalResiduals(forecasts: [[1, 3]], actuals: [[1, 3]])).isNaN)
        var cal = ConformalCalibration(forecasts: pooled.forecasts, actuals: pooled.actuals, targets: 1, rule: .rolling,
                                       inSample: { (forecasts: [[0, 0]], actuals: [[1, 2]], scales: nil) })
        cal.folds = pooled.folds
        XCTAssertEqual(cal.rule, .cross)
        // Step 1: |1|, |−2|, |3|, |−4| over σ = 1; step 2: |−2|, |−6|, |8|, |4| over σ = 2 -> 1, 3, 4, 2.
        XCTAssertEqual(cal.residuals[0], [1, 1, 2, 2, 3, 3, 4, 4])
        XCTAssertEqual(cal.stepScales, [1, 2])
        // L = 0.8: p = 9 · 0.8 = 7.2 -> 4 + 0.2 · 0 = 4; at step 2 times σ = 2.
        XCTAssertEqual(cal.quantile(point: 10, element: 0, level: 0.9), 14, accuracy: 1e-5)
        XCTAssertEqual(cal.quantile(point: 10, element: 1, level: 0.9), 18, accuracy: 1e-5)
        // L = 0.5: p = 4.5 -> 2 + 0.5 · (3 − 2) = 2.5.
        XCTAssertEqual(cal.quantile(point: 10, element: 0, level: 0.75), 12.5, accuracy: 1e-5)
        XCTAssertNoThrow(try cal.check(elements: 2, targets: 1))
        var bad = cal
        bad.folds = ConformalFolds.maximumCount + 1
        XCTAssertThrowsError(try bad.check(elements: 2, targets: 1)) { XCTAssert("\($0)".contains("conformal.folds"), "\($0)") }
        bad = cal
        bad.interpolated = nil
        XCTAssertThrowsError(try bad.check(elements: 2, targets: 1)) { XCTAssert("\($0)".contains("conformal.folds"), "\($0)") }
        // A section without the field (every file before the rule) decodes with no refits.
        let json = try JSONEncoder().encode(ConformalCalibration(forecasts: [[0]], actuals: [[1]], targets: 1))
        XCTAssertFalse(String(decoding: json, as: UTF8.self).contains("folds"))
        XCTAssertNil(try JSONDecoder().decode(ConformalCalibration.self, from: json).folds)
    }

    func airOptions(workers: Int) -> ForecasterOptions {
        var o = ForecasterOptions()
        o.training.epochs = 2
        o.training.workers = workers
        o.hidden = 8
        o.conformal = true
        o.conformalScore = .absolute
        o.conformalRule = .cross
        return o
    }

    /// air_passengers (lookback 24, horizon 12): the model's 15 validation rows per step, and the
    /// refits' blocks [92, 115), [74, 92), [59, 74) of 23, 18 and 15 rows: 71 scores per step,
    /// enough not to pool. Origins: 26 of the model (103 … 128), 34 (80 … 113), 29 (62 … 90) and
    /// 26 (47 … 72) of the refits. Tripling the test rows changes nothing; 1 and 2 workers give
    /// the same bits; the rule survives a file round trip; fine-tuning recalibrates as rolling.
    func testCrossOnAirPassengers() throws {
        let set = try TimeSeriesSet(table: CSVReader.read(path: fixturePath("air_passengers.csv")))
        let model = try Forecaster.fit(set, targets: ["value"], options: airOptions(workers: 2))
        let cal = try XCTUnwrap(model.conformal)
        XCTAssertEqual(cal.rule, .cross)
        XCTAssertEqual(cal.folds, 3)
        XCTAssertEqual(cal.foldErrorRatios?.count, 3)
        XCTAssert(cal.foldErrorRatios!.allSatisfy { $0 <= ConformalFolds.admissibleErrorRatio }, "\(cal.foldErrorRatios!)")
        XCTAssertEqual(cal.windows, 26 + 34 + 29 + 26)
        XCTAssertFalse(cal.pooled)
        XCTAssertNil(cal.stepScales)
        XCTAssertEqual(cal.residuals.map(\.count), [Int](repeating: 71, count: 12))

        let one = try Forecaster.fit(set, targets: ["value"], options: airOptions(workers: 1))
        XCTAssertEqual(one.conformal, cal, "the calibration depends on the worker count")

        var altered = set
        let c = try XCTUnwrap(altered.columnIndex("value"))
        for r in 130..<144 { altered.series[0].values[c][r] *= 3 }
        XCTAssertEqual(try Forecaster.fit(altered, targets: ["value"], options: airOptions(workers: 2)).conformal, cal,
                       "the calibration read a test row")

        var two = airOptions(workers: 2)
        two.conformalFolds = 1
        let fewer = try XCTUnwrap(try Forecaster.fit(set, targets: ["value"], options: two).conformal)
        XCTAssertEqual(fewer.folds, 1)
        XCTAssertEqual(fewer.residuals[0].count, 15 + 23)

        let path = NSTemporaryDirectory() + "cross-conformal-\(getpid()).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.save(to: path)
        XCTAssertEqual(try Forecaster.load(from: path).conformal, cal)
        var tuning = model.provenance!.training
        tuning.epochs = 1
        let tuned = try XCTUnwrap(try model.fineTuned(on: set, training: tuning).conformal)
        XCTAssertEqual(tuned.rule, .rolling)
        XCTAssertEqual(tuned.residuals[0].count, 180)
    }

    /// The ensemble refits the whole procedure: the refit count and residual counts as above
    /// (the chosen components all reach origin 23 or later on these blocks: reach ≤ 36 rows),
    /// the same bits for 1 and 2 workers.
    func testEnsembleCrossOnAirPassengers() throws {
        let set = try TimeSeriesSet(table: CSVReader.read(path: fixturePath("air_passengers.csv")))
        func fit(_ workers: Int) throws -> EnsembleForecaster {
            var o = airOptions(workers: workers)
            o.missing = .interpolate
            return try EnsembleForecaster.fit(set, targets: ["value"], options: o, networkMembers: 1)
        }
        let model = try fit(2)
        let cal = try XCTUnwrap(model.conformal)
        XCTAssertEqual(cal.rule, .cross)
        // Three refits tried; those forecasting the model's validation rows more than 1.25 times worse are left out.
        let ratios = try XCTUnwrap(cal.foldErrorRatios)
        XCTAssertEqual(ratios.count, 3)
        XCTAssert(ratios.allSatisfy { $0.isFinite && $0 > 0 }, "\(ratios)")
        let admitted = ratios.indices.filter { ratios[$0] <= ConformalFolds.admissibleErrorRatio }
        XCTAssertEqual(cal.folds, admitted.count)
        let perStep = 15 + admitted.map { [23, 18, 15][$0] }.reduce(0, +)
        XCTAssertEqual(cal.residuals[0].count, perStep >= 19 ? perStep : 12 * perStep)
        XCTAssertEqual(try fit(1).conformal, cal, "the ensemble's calibration depends on the worker count")
    }
}
