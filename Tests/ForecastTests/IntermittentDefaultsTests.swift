import XCTest
import Forecast
import _TestSupport

/// ``IntermittentDefaults``: the rule that picks MAE without level normalisation.
final class IntermittentDefaultsTests: XCTestCase {
    /// A keyed set (`key,t,y`) of series given as value lists, in row order.
    func set(_ series: [[Double]]) throws -> TimeSeriesSet {
        var csv = "key,y\n"
        for (s, values) in series.enumerated() {
            for v in values { csv += "s\(s),\(v.isNaN ? "" : "\(v)")\n" }
        }
        return try TimeSeriesSet(table: CSVReader.read(text: csv), time: .rowOrder(), seriesKey: "key")
    }

    /// The threshold is Syntetos–Boylan's ADI 1.32: a zero share of 1 - 1/1.32 = 0.2424….
    func testThresholdIsTheDemandIntervalCutoff() {
        XCTAssertEqual(IntermittentDefaults.minimumZeroShare, 1 - 1 / 1.32, accuracy: 1e-15)
        XCTAssertEqual(IntermittentDefaults.minimumZeroShare, 0.24242424, accuracy: 1e-8)
    }

    /// Pooled over the training rows only (the split's validation and test rows are not read),
    /// missing values skipped; at the threshold it applies, just below it does not.
    func testProfileCountsTrainingRowsPooledOverSeries() throws {
        let split = SplitSpec(validation: 0.1, test: 0.1)
        // 100 rows per series: rows 0..<80 are training rows. Series 0: 20 zeros there, series 1:
        // 19 zeros and one missing value; both have only zeros in their last 20 rows.
        var a = [Double](repeating: 1, count: 80) + [Double](repeating: 0, count: 20)
        for i in 0..<20 { a[i * 4] = 0 }
        var b = [Double](repeating: 2, count: 80) + [Double](repeating: 0, count: 20)
        for i in 0..<19 { b[i * 4] = 0 }
        b[3] = .nan
        let p = IntermittentDefaults.profile(try set([a, b]), targets: ["y"], split: split)
        XCTAssertEqual(p.series, 2)
        XCTAssertEqual(p.values, 159)
        XCTAssertEqual(p.zeroShare, 39.0 / 159, accuracy: 1e-12)
        XCTAssertTrue(p.nonNegative)
        XCTAssertTrue(p.isIntermittentGlobal, "39/159 = 0.2453 >= 0.2424")

        b[4] = 1   // 38 zeros: 38/159 = 0.2390 < 0.2424
        XCTAssertFalse(IntermittentDefaults.applies(try set([a, b]), targets: ["y"], split: split))
    }

    /// One series, or a negative value, keeps the ordinary defaults.
    func testOneSeriesOrNegativeValuesDoNotApply() throws {
        let split = SplitSpec(validation: 0.1, test: 0.1)
        let sparse = (0..<50).map { Double($0 % 2) }
        XCTAssertTrue(IntermittentDefaults.applies(try set([sparse, sparse]), targets: ["y"], split: split))
        XCTAssertFalse(IntermittentDefaults.applies(try set([sparse]), targets: ["y"], split: split), "one series")
        var negative = sparse
        negative[10] = -1
        XCTAssertFalse(IntermittentDefaults.applies(try set([sparse, negative]), targets: ["y"], split: split), "a negative value")
    }

    /// `resolve` changes only what the caller left to it, and nothing when the rule does not apply.
    func testResolveChangesOnlyWhatIsLeftUnset() throws {
        let split = SplitSpec(validation: 0.1, test: 0.1)
        let sparse = (0..<50).map { Double($0 % 3 == 0 ? 0 : $0 % 3) }
        let many = try set([sparse, sparse, sparse])
        var o = ForecasterOptions()
        o.split = split
        let both = IntermittentDefaults.resolve(o, set: many, targets: ["y"], chooseLoss: true, chooseLevelNormalization: true)
        XCTAssertEqual(both.training.loss, .mae)
        XCTAssertFalse(both.levelNormalization)
        let lossOnly = IntermittentDefaults.resolve(o, set: many, targets: ["y"], chooseLoss: true, chooseLevelNormalization: false)
        XCTAssertEqual(lossOnly.training.loss, .mae)
        XCTAssertTrue(lossOnly.levelNormalization)
        let none = IntermittentDefaults.resolve(o, set: many, targets: ["y"], chooseLoss: false, chooseLevelNormalization: false)
        XCTAssertEqual(none.training.loss, .mse)
        XCTAssertTrue(none.levelNormalization)
        let one = IntermittentDefaults.resolve(o, set: try set([sparse]), targets: ["y"], chooseLoss: true, chooseLevelNormalization: true)
        XCTAssertEqual(one.training.loss, .mse)
        XCTAssertTrue(one.levelNormalization)
    }
}
