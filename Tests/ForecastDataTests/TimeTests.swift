import XCTest
import ForecastData
import _TestSupport

final class TimeTests: XCTestCase {
    func testISOParsingAndFormattingRoundTrip() throws {
        for text in ["2013-01-01", "2013-01", "2013-01-01T06:00:00Z", "2013-01-01 06:00", "2020-02-29T23:59:59.250+05:30",
                     "1999-12-31T23:00:00-08:00", "2024-06-01T00:06:00"] {
            let p = try XCTUnwrap(TimeParser.parseISO(text), text)
            XCTAssertEqual(p.format.format(p.instant), text)
        }
        XCTAssertEqual(TimeParser.parseISO("2013-01-01T06:00:00Z")?.instant, 1_357_020_000_000)
        XCTAssertEqual(TimeParser.parseISO("2013-01-01T07:00:00+01:00")?.instant, 1_357_020_000_000)
        for bad in ["2013-02-29", "2013-13-01", "2013-01-01T24:00", "2013/01/01", "13-01-01", "2013-01-01T06:00:00X", "2013-01-01T6:00"] {
            XCTAssertNil(TimeParser.parseISO(bad), bad)
        }
    }

    func testNumericTimes() {
        XCTAssertEqual(TimeParser.instant(fromNumber: 1949.08333333333, kind: .decimalYear), CivilTime(year: 1949, month: 2, day: 1).instant())
        XCTAssertEqual(TimeParser.instant(fromNumber: 1960.91666666667, kind: .decimalYear), CivilTime(year: 1960, month: 12, day: 1).instant())
        XCTAssertEqual(TimeParser.instant(fromNumber: 1_357_020_000, kind: .epochSeconds), 1_357_020_000_000)
        XCTAssertEqual(TimeParser.numericKind(of: [1_357_020_000_000, 1_357_020_060_000]), .epochMilliseconds)
        XCTAssertEqual(TimeParser.numericKind(of: [1_357_020_000]), .epochSeconds)
        XCTAssertEqual(TimeParser.numericKind(of: [1949, 1949.25]), .decimalYear)
        XCTAssertNil(TimeParser.numericKind(of: [1, 2, 3]))
    }

    func testCalendarMonthsAdvanceByCalendar() {
        let jan31 = CivilTime(year: 2020, month: 1, day: 31).instant()
        let fmt = TimeFormat(kind: .date)
        XCTAssertEqual(Frequency.monthly.continuing(after: jan31, count: 3).map(fmt.format), ["2020-02-29", "2020-03-31", "2020-04-30"])
        let q = CivilTime(year: 2019, month: 10, day: 1).instant()
        XCTAssertEqual(Frequency.quarterly.continuing(after: q, count: 2).map(fmt.format), ["2020-01-01", "2020-04-01"])
        XCTAssertEqual(Frequency.quarterly.seasonLength, 4)
        XCTAssertEqual(Frequency.yearly.continuing(after: q, count: 1).map(fmt.format), ["2020-10-01"])
        XCTAssertEqual(Frequency.halfHourly.seasonLength, 48)
        XCTAssertEqual(Frequency.hourly.seasonLength, 24)
        XCTAssertEqual(Frequency.daily.seasonLength, 7)
        XCTAssertEqual(Frequency(parsing: "30min"), .halfHourly)
        XCTAssertEqual(Frequency(parsing: "q"), .quarterly)
        XCTAssertEqual(Frequency.monthly.steps(from: jan31, to: CivilTime(year: 2020, month: 4, day: 30).instant()), 3)
        XCTAssertEqual(CivilTime(year: 2013, month: 1, day: 1).weekday, 1)   // a Tuesday
    }

    func series(_ text: String, _ options: TimeSeriesOptions = TimeSeriesOptions(), key: ColumnRef? = nil) throws -> TimeSeriesSet {
        try TimeSeriesSet(table: CSVReader.read(text: text, name: "t.csv"), seriesKey: key, options: options)
    }

    func testFrequencyInference() throws {
        XCTAssertEqual(try series("t,v\n2020-01-01,1\n2020-02-01,2\n2020-03-01,3\n2020-04-01,4\n").frequency, .monthly)
        XCTAssertEqual(try series("t,v\n2020-01-01,1\n2020-04-01,2\n2020-07-01,3\n2020-10-01,4\n").frequency, .quarterly)
        XCTAssertEqual(try series("t,v\n2019-01-01,1\n2020-01-01,2\n2021-01-01,3\n").frequency, .yearly)
        XCTAssertEqual(try series("t,v\n2020-01-06,1\n2020-01-13,2\n2020-01-20,3\n").frequency, .weekly)
        XCTAssertEqual(try series("t,v\n2020-01-01T00:00Z,1\n2020-01-01T00:30Z,2\n2020-01-01T01:00Z,3\n").frequency, .halfHourly)
        XCTAssertEqual(try series("t,v\n2020-01-01T00:00Z,1\n2020-01-01T00:01Z,2\n2020-01-01T00:02Z,3\n").frequency, Frequency(.minute))
    }

    func testGapsSortingDuplicatesAndReindex() throws {
        let text = "t,v\n2020-01-01,1\n2020-01-02,2\n2020-01-05,5\n2020-01-06,6\n"
        let s = try series(text)
        XCTAssertEqual(s.frequency, .daily)
        XCTAssertEqual(s.report.gaps, 1)
        XCTAssertEqual(s.report.missingSteps, 2)
        XCTAssertEqual(s.series[0].segmentStarts, [0, 2])
        XCTAssertTrue(s.report.notes[0].contains("line 4"), s.report.notes[0])
        let r = try series(text, TimeSeriesOptions(gaps: .reindex))
        XCTAssertEqual(r.series[0].count, 6)
        XCTAssertEqual(r.series[0].lines, [2, 3, 0, 0, 4, 5])
        XCTAssertTrue(r.series[0].values[0][2].isNaN)
        let unsorted = "t,v\n2020-01-02,2\n2020-01-01,1\n2020-01-03,3\n"
        XCTAssertThrowsError(try series(unsorted)) { XCTAssertTrue("\($0)".hasPrefix("t.csv:3:1: timestamps out of order"), "\($0)") }
        let sorted = try series(unsorted, TimeSeriesOptions(sort: true))
        XCTAssertEqual(sorted.series[0].values[0], [1, 2, 3])
        XCTAssertEqual(sorted.report.unsortedRows, 2)
        let dup = "t,v\n2020-01-01,1\n2020-01-01,9\n2020-01-02,2\n"
        XCTAssertThrowsError(try series(dup)) { XCTAssertTrue("\($0)".contains("duplicate timestamp 2020-01-01 (also on line 2)"), "\($0)") }
        XCTAssertEqual(try series(dup, TimeSeriesOptions(duplicates: .keepLast)).series[0].values[0], [9, 2])
        XCTAssertEqual(try series(dup, TimeSeriesOptions(duplicates: .keepFirst)).series[0].values[0], [1, 2])
        let irregular = "t,v\n2020-01-01T00:00Z,1\n2020-01-01T01:00Z,2\n2020-01-01T02:00Z,3\n2020-01-01T02:30Z,4\n2020-01-01T03:30Z,5\n"
        let ir = try series(irregular)
        XCTAssertEqual(ir.report.irregularSteps, 1)
        XCTAssertEqual(ir.series[0].segmentStarts, [0, 3])
        XCTAssertThrowsError(try series(irregular, TimeSeriesOptions(gaps: .reindex))) { XCTAssertTrue("\($0)".contains("irregular step"), "\($0)") }
    }

    func testSeriesKeysSeparateInterleavedRows() throws {
        let s = try series("k,t,v\na,2020-01-01,1\nb,2020-01-01,10\na,2020-01-02,2\nb,2020-01-02,20\n", key: "k")
        XCTAssertEqual(s.series.map(\.key), ["a", "b"])
        XCTAssertEqual(s.series[1].values[0], [10, 20])
        XCTAssertEqual(s.series[1].lines, [3, 5])
        XCTAssertEqual(s.futureTimes(series: 1, horizon: 1).map { s.format($0) }, ["2020-01-03"])
    }
}

/// Frequency arithmetic on hostile values saturates instead of trapping.
final class FrequencyOverflowTests: XCTestCase {
    func testAdvanceSaturatesAndStepsRefusesOverflow() throws {
        let huge = try XCTUnwrap(Frequency(parsing: "1y"))
        XCTAssertEqual(huge.advance(0, by: Int.max / 2), Int64.max)
        XCTAssertEqual(huge.advance(0, by: -(Int.max / 2)), Int64.min)
        let day = try XCTUnwrap(Frequency(parsing: "1d"))
        XCTAssertEqual(day.advance(Int64.max - 10, by: 5), Int64.max)
        XCTAssertEqual(day.advance(0, by: 2), 2 * 86_400_000)
        XCTAssertNil(day.steps(from: Int64.min, to: Int64.max))
        XCTAssertEqual(day.steps(from: 0, to: 3 * 86_400_000), 3)
    }
}
