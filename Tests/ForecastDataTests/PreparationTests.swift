import XCTest
import Foundation
import ForecastData
import _TestSupport

final class PreparationTests: XCTestCase {
    /// A daily series 0, 1, 2, ... (n rows) with an extra column w = 100 + v.
    func ramp(_ n: Int, missingAt: Set<Int> = []) throws -> TimeSeriesSet {
        var text = "date,v,w\n"
        for i in 0..<n {
            let c = CivilTime(instant: CivilTime(year: 2020, month: 1, day: 1).instant() + Int64(i) * CivilTime.dayMillis)
            text += "\(TimeFormat(kind: .date).format(c.instant())),\(missingAt.contains(i) ? "" : String(i)),\(100 + i)\n"
        }
        return try TimeSeriesSet(table: CSVReader.read(text: text, name: "ramp.csv"))
    }

    func testManyToOneWindowsShapesAndValues() throws {
        let set = try ramp(20)
        let spec = WindowSpec(lookback: 4, horizon: 2, targets: ["v"], features: ["w"])
        let d = try PreparedData(set, spec: spec, split: .none, scaler: .none)
        XCTAssertEqual(d.inputNames, ["v", "w"])
        XCTAssertEqual(d.train.count, 20 - 6 + 1)
        XCTAssertEqual(d.train.materialized().x.count, d.train.count * 4 * 2)
        XCTAssertEqual(d.train.targetLength, 2)
        XCTAssertEqual(Array(d.train.materialized().x[0..<8]), [0, 100, 1, 101, 2, 102, 3, 103])
        XCTAssertEqual(Array(d.train.materialized().y[0..<2]), [4, 5])
        XCTAssertEqual(d.train.materialized().end[0], 3)
        let strided = try PreparedData(set, spec: WindowSpec(lookback: 4, horizon: 2, stride: 5, targets: ["v"]), split: .none, scaler: .none)
        XCTAssertEqual(strided.train.count, 3)
        XCTAssertEqual(strided.train.materialized().end, [3, 8, 13])
    }

    func testManyToManyTargetsOnePerStep() throws {
        let d = try PreparedData(try ramp(10), spec: WindowSpec(lookback: 3, horizon: 1, targets: ["v", "w"], mode: .manyToMany), split: .none, scaler: .none)
        XCTAssertEqual(d.train.targetLength, 6)
        XCTAssertEqual(Array(d.train.materialized().y[0..<6]), [1, 101, 2, 102, 3, 103])
    }

    func testSplitIsChronologicalAndTargetsNeverCrossBoundaries() throws {
        let set = try ramp(100)
        let spec = WindowSpec(lookback: 5, horizon: 3, targets: ["v"])
        let d = try PreparedData(set, spec: spec, split: SplitSpec(validation: 0.2, test: 0.1), scaler: .none)
        // rows: train 0..<70, validation 70..<90, test 90..<100
        XCTAssertTrue(zip(d.train.materialized().end, d.train.materialized().end.map { $0 + 3 }).allSatisfy { $1 < 70 })
        for (w, e) in d.validation.materialized().end.enumerated() {
            XCTAssertGreaterThanOrEqual(e + 1, 70); XCTAssertLessThan(e + 3, 90, "window \(w)")
        }
        XCTAssertTrue(d.test.materialized().end.allSatisfy { $0 + 1 >= 90 && $0 + 3 < 100 })
        XCTAssertEqual(d.train.count, 70 - 8 + 1)
        XCTAssertEqual(d.validation.count, 20 - 3 + 1)
        XCTAssertEqual(d.test.count, 10 - 3 + 1)
        let whole = try PreparedData(set, spec: spec, split: SplitSpec(validation: 0.2, test: 0.1, boundary: .whole), scaler: .none)
        XCTAssertTrue(whole.validation.materialized().end.allSatisfy { $0 - 4 >= 70 })
        XCTAssertEqual(whole.test.count, 10 - 8 + 1)
    }

    func testScalerFittedOnTrainingRowsOnlyAndCodable() throws {
        let set = try ramp(100)
        let d = try PreparedData(set, spec: WindowSpec(lookback: 2, horizon: 1, targets: ["v"]), split: SplitSpec(validation: 0.2, test: 0.2), scaler: .standard,
                                 columnScalers: [:])
        let s = d.scaler.scaler(for: "v")
        XCTAssertEqual(s.offset, 29.5, accuracy: 1e-4)                       // mean of 0...59
        XCTAssertEqual(s.scale, Float((Double(60 * 60 - 1) / 12).squareRoot()), accuracy: 1e-3)
        let mm = try PreparedData(set, spec: WindowSpec(lookback: 2, horizon: 1, targets: ["v"]), split: SplitSpec(validation: 0.2, test: 0.2), scaler: .minmax)
        XCTAssertEqual(mm.scaler.scaler(for: "v").offset, 0)
        XCTAssertEqual(mm.scaler.scaler(for: "v").scale, 59)
        XCTAssertEqual(mm.train.materialized().y.max(), 1)                                   // training targets within [0, 1]
        let data = try JSONEncoder().encode(d.scaler)
        let back = try JSONDecoder().decode(Scaler.self, from: data)
        XCTAssertEqual(back, d.scaler)
        XCTAssertEqual(back.inverse(d.test.materialized().y, column: "v").first ?? 0, Float(d.test.materialized().end[0] + 1), accuracy: 1e-3)
        assertClose(back.inverse(stepMajor: [s.transform(7)], targets: ["v"]), [7], tol: 1e-5, "inverse")
    }

    func testMissingPolicies() throws {
        let set = try ramp(20, missingAt: [5, 6])
        let spec = WindowSpec(lookback: 3, horizon: 1, targets: ["v"])
        XCTAssertThrowsError(try PreparedData(set, spec: spec, split: .none)) { e in
            XCTAssertTrue("\(e)".hasPrefix("ramp.csv:7:2: missing value in column 'v'"), "\(e)")
        }
        let dropped = try PreparedData(set, spec: spec, split: .none, scaler: .none, missing: .drop)
        XCTAssertEqual(dropped.train.count + dropped.droppedWindows, 17)
        XCTAssertFalse(dropped.train.materialized().x.contains { $0.isNaN })
        XCTAssertEqual(dropped.droppedWindows, 5)   // windows covering rows 5 or 6
        let ff = try PreparedData(set, spec: spec, split: .none, scaler: .none, missing: .ffill)
        XCTAssertEqual(Array(ff.train.materialized().x[(4 * 3)..<(4 * 3 + 3)]), [4, 4, 4])
        let lin = try PreparedData(set, spec: spec, split: .none, scaler: .none, missing: .interpolate)
        XCTAssertEqual(Array(lin.train.materialized().x[(4 * 3)..<(4 * 3 + 3)]), [4, 5, 6])
        var v: [Float] = [.nan, 1, .nan, .nan, 4, .nan]
        MissingPolicy.interpolate.fill(&v, times: [0, 10, 20, 30, 40, 50])
        XCTAssertEqual(v, [1, 1, 2, 3, 4, 4])
    }

    func testWindowsNeverCrossSeriesOrGaps() throws {
        let table = try CSVReader.read(path: fixturePath("nyc_weather_hourly.csv"))
        let set = try TimeSeriesSet(table: table, seriesKey: "origin")
        let spec = WindowSpec(lookback: 24, horizon: 6, targets: ["temp"], calendar: [.hourOfDay, .dayOfWeek])
        let d = try PreparedData(set, spec: spec, split: SplitSpec(validation: 0.1, test: 0.1), missing: .interpolate)
        XCTAssertEqual(d.inputNames, ["temp", "hourOfDay_sin", "hourOfDay_cos", "dayOfWeek_sin", "dayOfWeek_cos"])
        XCTAssertEqual(d.knownFutureInputs, [1, 2, 3, 4])
        XCTAssertEqual(Set(d.train.materialized().series), [0, 1, 2])
        for w in 0..<d.train.count {
            let (series, end) = d.train.origin(w)
            let s = set.series[series]
            let first = end - 23, last = end + 6
            XCTAssertLessThan(last, s.count)
            // No segment start strictly inside the window.
            XCTAssertFalse(s.segmentStarts.contains { $0 > first && $0 <= last }, "window \(w) crosses a gap")
        }
        let input = try ForecastInput(set, spec: spec, scaler: d.scaler, missing: .interpolate)
        XCTAssertEqual(input.x.count, 3 * 24 * 5)
        XCTAssertEqual(input.futureLabels[0].first, "2013-03-25T18:00:00Z".isEmpty ? "" : set.format(set.futureTimes(series: 0, horizon: 1)[0]))
        XCTAssertEqual(input.futureTimes[2].count, 6)
    }

    func testForecastInputUsesLastRowsAndFutureMonths() throws {
        let set = try TimeSeriesSet(table: CSVReader.read(path: fixturePath("air_passengers.csv")))
        let spec = WindowSpec(lookback: 12, horizon: 3, targets: ["value"])
        let d = try PreparedData(set, spec: spec, split: SplitSpec(validation: 0.1, test: 0.1))
        // 130 possible windows, less 2 at each split boundary whose 3 targets would straddle it.
        XCTAssertEqual(d.train.count + d.validation.count + d.test.count, 144 - 15 + 1 - 4)
        let input = try ForecastInput(set, spec: spec, scaler: d.scaler)
        XCTAssertEqual(input.x.count, 12)
        XCTAssertEqual(d.scaler.inverse(input.x, column: "value").last ?? 0, 432, accuracy: 1e-3)
        XCTAssertEqual(input.futureTimes[0].map { TimeFormat(kind: .date).format($0) }, ["1961-01-01", "1961-02-01", "1961-03-01"])
        XCTAssertTrue(input.futureLabels[0][1].hasPrefix("1961.08333"), input.futureLabels[0][1])
    }

    func testSpecErrors() throws {
        let set = try ramp(10)
        XCTAssertThrowsError(try PreparedData(set, spec: WindowSpec(lookback: 0, targets: ["v"]))) { XCTAssertTrue("\($0)".contains("lookback")) }
        XCTAssertThrowsError(try PreparedData(set, spec: WindowSpec(lookback: 2, targets: ["nope"]))) { XCTAssertTrue("\($0)".contains("no numeric column 'nope'")) }
        let noTime = try TimeSeriesSet(table: CSVReader.read(text: "a\n1\n2\n3\n"))
        XCTAssertThrowsError(try PreparedData(noTime, spec: WindowSpec(lookback: 1, targets: ["a"], calendar: [.hourOfDay]))) { XCTAssertTrue("\($0)".contains("calendar")) }
    }
}

/// The CLI's `--calendar` and job files' `data.calendar` share one vocabulary.
final class CalendarNameTests: XCTestCase {
    func testEveryAliasNamesItsFeature() {
        for (names, feature) in [(["hour", "hour_of_day", "hour-of-day", "hourOfDay", "HOUR"], CalendarFeature.hourOfDay),
                                 (["dow", "day_of_week", "dayOfWeek", "weekday"], .dayOfWeek),
                                 (["doy", "day_of_year", "day-of-year", "dayOfYear"], .dayOfYear)] {
            for n in names { XCTAssertEqual(CalendarFeature(name: n), feature, n) }
        }
        for bad in ["month", "", "hours", "day"] { XCTAssertNil(CalendarFeature(name: bad), bad) }
    }
}
