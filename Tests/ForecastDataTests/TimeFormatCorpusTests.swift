import XCTest
import Foundation
import ForecastData
import _TestSupport

/// Every file of `Fixtures/time-formats/` parses to the format, frequency, season and first and
/// last timestamps its line in `EXPECTED.tsv` records (or fails with the recorded message), and
/// the rules behind them hold on their own.
final class TimeFormatCorpusTests: XCTestCase {
    struct Expected {
        var file: String, timeFormat: String?, format: String?, frequency: String?, season: Int?, first: String?, last: String?
    }

    func expectedTable() throws -> [Expected] {
        let text = try String(contentsOfFile: fixturePath("time-formats/EXPECTED.tsv"), encoding: .utf8)
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }.map { line in
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map { $0 == "-" ? nil : String($0) }
            return Expected(file: f[0] ?? "", timeFormat: f[1], format: f[2], frequency: f[3], season: f[4].flatMap { Int($0) }, first: f[5], last: f[6])
        }
    }

    func testEveryFixtureParsesToItsExpectedFrequencyAndEndpoints() throws {
        let expected = try expectedTable()
        XCTAssertGreaterThanOrEqual(expected.count, 25)
        let files = try FileManager.default.contentsOfDirectory(atPath: fixturePath("time-formats")).filter { $0.hasSuffix(".csv") }
        XCTAssertEqual(Set(files), Set(expected.map(\.file)), "every fixture has a line in EXPECTED.tsv and vice versa")
        var mismatches: [String] = []
        for e in expected {
            let label = "\(e.file) [--time-format \(e.timeFormat ?? "detect")]"
            var options = CSVOptions()
            if let t = e.timeFormat {
                guard let spec = TimeFormatSpec(parsing: t) else { mismatches.append("\(label): bad --time-format in the table"); continue }
                options.timeFormat = spec
            }
            do {
                let set = try TimeSeriesSet(table: CSVReader.read(path: fixturePath("time-formats/\(e.file)"), options: options))
                if e.frequency == "ERROR" { mismatches.append("\(label): no error"); continue }
                let times = set.series.first?.times ?? []
                let got = Expected(file: e.file, timeFormat: e.timeFormat, format: set.timeFormat?.description, frequency: set.frequency?.description,
                                   season: set.report.seasonLength, first: times.first.map { set.format($0) }, last: times.last.map { set.format($0) })
                if got.format != e.format { mismatches.append("\(label): format \(got.format ?? "-"), expected \(e.format ?? "-")") }
                if got.frequency != e.frequency { mismatches.append("\(label): frequency \(got.frequency ?? "-"), expected \(e.frequency ?? "-")") }
                if got.season != e.season { mismatches.append("\(label): season \(got.season.map(String.init) ?? "-"), expected \(e.season.map(String.init) ?? "-")") }
                if got.first != e.first || got.last != e.last {
                    mismatches.append("\(label): \(got.first ?? "-") to \(got.last ?? "-"), expected \(e.first ?? "-") to \(e.last ?? "-")")
                }
                if e.frequency != nil {
                    XCTAssertEqual(set.report.gaps + set.report.irregularSteps + set.report.duplicateRows, 0, "\(label): a regular file")
                }
            } catch let error as DataError {
                if e.frequency != "ERROR" || !"\(error)".contains(e.first ?? "?") { mismatches.append("\(label): \(error)") }
            }
        }
        XCTAssert(mismatches.isEmpty, "\n" + mismatches.joined(separator: "\n"))
    }

    // MARK: Decimal years

    func testRDailyDecimalYearsAreARegularDailyIndexThatContinuesExactly() throws {
        // R: ts(x, start = c(1981, 1), frequency = 365); time(x) = 1981 + i * (1/365), 15 digits.
        let n = 800
        let text = "time,value\n" + (0..<n).map { "\(DecimalYearGrid.significant15(1981 + Double($0) * (1.0 / 365))),\($0 % 7)" }.joined(separator: "\n")
        let set = try TimeSeriesSet(table: CSVReader.read(text: text))
        XCTAssertEqual(set.frequency, .daily)
        XCTAssertEqual(set.report.seasonLength, 7)
        XCTAssertEqual(set.report.gaps + set.report.duplicateRows + set.report.unsortedRows + set.report.irregularSteps, 0)
        let times = try XCTUnwrap(set.series[0].times)
        XCTAssertEqual(TimeFormat(kind: .date).format(times[0]), "1981-01-01")
        XCTAssertEqual(times[n - 1] - times[0], Int64(n - 1) * CivilTime.dayMillis, "one day per row, leap day or not")
        let future = set.futureTimes(series: 0, horizon: 3).map { set.format($0) }
        XCTAssertEqual(future, (n..<(n + 3)).map { DecimalYearGrid.significant15(1981 + Double($0) * (1.0 / 365)) })
        XCTAssert(set.report.notes.contains { $0.contains("ignore leap days") }, "\(set.report.notes)")
    }

    func testGridInferenceSeparatesFrequencies() throws {
        func grid(_ f: Double, _ n: Int = 200, start: Double = 2000) -> Double? {
            DecimalYearGrid.infer((0..<n).map { start + Double($0) * (1 / f) })?.stepsPerYear
        }
        for f in [1.0, 4, 12, 52, 365, 365.25, 8760, 17520] { XCTAssertEqual(grid(f), f, "\(f)") }
        // Values rounded to 4 decimals still land on the right grid.
        let rounded = (0..<100).map { ((2000 + Double($0) / 365) * 1e4).rounded() / 1e4 }
        XCTAssertEqual(DecimalYearGrid.infer(rounded)?.stepsPerYear, 365)
        // Irregular decimal years have no grid: each is the fraction of its year.
        XCTAssertNil(DecimalYearGrid.infer([2000.1, 2000.13, 2000.5, 2001.02]))
        // Monthly: the first of each month, as before.
        let g = try XCTUnwrap(DecimalYearGrid.infer([1949, 1949.08333333333, 1949.16666666667]))
        XCTAssertEqual(g.instant(of: 1949.16666666667), CivilTime(year: 1949, month: 3, day: 1).instant())
        XCTAssertNil(g.instant(of: 1949.2), "off the monthly grid")
    }

    func testOffGridDecimalYearIsAnErrorWithItsLine() {
        let text = "time,value\n" + (0..<20).map { "\(DecimalYearGrid.significant15(1990 + Double($0) / 12)),1" }.joined(separator: "\n") + "\n1991.7,2\n"
        XCTAssertThrowsError(try CSVReader.read(text: text, name: "g.csv")) { e in
            XCTAssert("\(e)".hasPrefix("g.csv:22:1: decimal year \"1991.7\""), "\(e)")
        }
    }

    // MARK: Patterns

    func testPatternsReadAndWriteBack() throws {
        let cases: [(String, String, String)] = [
            ("%d.%m.%Y", "31.01.1990", "1990-01-31"), ("%m/%d/%Y %I:%M %p", "01/31/1990 12:30 AM", "1990-01-31T00:30:00Z"),
            ("%m/%d/%Y %I:%M %p", "01/31/1990 12:30 PM", "1990-01-31T12:30:00Z"), ("%Y Q%q", "1990 Q3", "1990-07-01"),
            ("%G-W%V", "2020-W53", "2020-12-28"), ("%G-W%V", "2021-W01", "2021-01-04"), ("%b %Y", "Sep 1990", "1990-09-01"),
            ("%B %Y", "September 1990", "1990-09-01"), ("%d/%m/%y", "31/01/68", "2068-01-31"), ("%d/%m/%y", "31/01/69", "1969-01-31"),
            ("%Y-%m-%d %H:%M:%S%z", "2021-03-28 03:00:00+02:00", "2021-03-28T01:00:00Z"),
        ]
        for (pattern, cell, iso) in cases {
            let p = try XCTUnwrap(TimePattern(pattern), pattern)
            let t = try XCTUnwrap(p.instant(cell), "\(pattern) \(cell)")
            XCTAssertEqual(t, TimeParser.parseISO(iso)?.instant, "\(pattern) \(cell)")
            if !pattern.contains("%z") { XCTAssertEqual(p.format(t), cell, pattern) }
        }
        for (pattern, bad) in [("%G-W%V", "2021-W53"), ("%d.%m.%Y", "30.02.1990"), ("%Y Q%q", "1990 Q5"), ("%m/%d/%Y %I:%M %p", "01/31/1990 13:00 PM")] {
            XCTAssertNil(TimePattern(pattern)?.instant(bad), "\(pattern) \(bad)")
        }
        XCTAssertNil(TimePattern("%d.%m"), "no year")
        XCTAssertNil(TimePattern("%Y-%Q"), "unknown directive")
        XCTAssertEqual(TimeFormatSpec(parsing: "epoch-ns"), .epoch(.epochNanoseconds))
        XCTAssertNil(TimeFormatSpec(parsing: "dd.mm.yyyy"))
    }

    func testDayMonthOrderIsDecidedFromTheWholeColumn() throws {
        // The sample (first 5 rows) reads both ways; row 13 ("13/01/2020") decides day first.
        let days = (1...20).map { String(format: "%02d/01/2020,%d", $0, $0) }
        var options = CSVOptions()
        options.sampleRows = 5
        let table = try CSVReader.read(text: "date,value\n" + days.joined(separator: "\n"), name: "d.csv", options: options)
        let (times, format) = try XCTUnwrap(table.columns[0].times)
        XCTAssertEqual(format.pattern?.text, "%d/%m/%Y")
        XCTAssertEqual(times.map { format.format($0) }, days.map { String($0.prefix(10)) })
        XCTAssertEqual(TimeFormat(kind: .date).format(times[1]), "2020-01-02")
        XCTAssert(table.columns[0].notes.contains { $0.contains("decided from the whole column (line 14") }, "\(table.columns[0].notes)")

        // Month first in one row and day first in another: an error naming both lines.
        let mixed = "date,value\n01/02/2020,1\n01/03/2020,1\n01/04/2020,1\n13/01/2020,1\n01/14/2020,1\n"
        options.sampleRows = 3
        XCTAssertThrowsError(try CSVReader.read(text: mixed, name: "m.csv", options: options)) { e in
            XCTAssert("\(e)".contains("column 'date' mixes day/month orders: line 6 reads only as %m/%d/%Y, line 5 only as %d/%m/%Y"), "\(e)")
        }
        // Never decided: an error naming the column and the option.
        XCTAssertThrowsError(try CSVReader.read(text: "date,value\n01/02/2020,1\n02/01/2020,2\n", name: "a.csv")) { e in
            XCTAssert("\(e)".contains("cannot tell day from month in column 'date'") && "\(e)".contains("--time-format"), "\(e)")
        }
        // Day always equal to month: the order does not matter.
        XCTAssertNoThrow(try CSVReader.read(text: "date,value\n01/01/2020,1\n02/02/2020,2\n", name: "s.csv"))
    }

    func testExcelSerialsAndEpochUnits() throws {
        XCTAssertEqual(ExcelSerial.instant(32874), CivilTime(year: 1990, month: 1, day: 1).instant())
        XCTAssertEqual(ExcelSerial.instant(61), CivilTime(year: 1900, month: 3, day: 1).instant())
        XCTAssertEqual(ExcelSerial.instant(59), CivilTime(year: 1900, month: 2, day: 28).instant())
        XCTAssertNil(ExcelSerial.instant(60), "Excel's 29 February 1900 never was")
        XCTAssertEqual(ExcelSerial.instant(43881.75), CivilTime(year: 2020, month: 2, day: 20, hour: 18).instant())
        XCTAssertEqual(ExcelSerial.format(CivilTime(year: 2020, month: 2, day: 20, hour: 18).instant()), "43881.75")
        XCTAssertEqual(TimeParser.numericKind(of: [1_677_628_800_000_000_000]), .epochNanoseconds)
        XCTAssertEqual(TimeParser.numericKind(of: [1_677_628_800_000_000]), .epochMicroseconds)
    }
}
