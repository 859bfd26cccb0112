import XCTest
import Foundation
import ForecastData
import _TestSupport

/// Every real data set (copies in Fixtures/) loads with the right shapes, times and frequencies.
final class DatasetTests: XCTestCase {
    func testAirPassengersMonthlyDecimalYears() throws {
        let table = try CSVReader.read(path: fixturePath("air_passengers.csv"))
        XCTAssertEqual(table.rowCount, 144)
        XCTAssertEqual(table.columnNames, ["rownames", "time", "value"])
        XCTAssertEqual(table.columns.map(\.type), [.number, .time, .number])
        XCTAssertEqual(table.column("value")?.numbers?.prefix(3), [112, 118, 132])
        XCTAssertEqual(table.lines.line(of: 0), 2)
        XCTAssertEqual(table.lines.line(of: 143), 145)
        let set = try TimeSeriesSet(table: table)
        XCTAssertEqual(set.timeColumn, "time")
        XCTAssertEqual(set.frequency, .monthly)
        XCTAssertEqual(set.frequency?.seasonLength, 12)
        XCTAssertEqual(set.columnNames, ["rownames", "value"])
        let times = try XCTUnwrap(set.series[0].times)
        XCTAssertEqual(TimeFormat(kind: .date).format(times[0]), "1949-01-01")
        XCTAssertEqual(TimeFormat(kind: .date).format(times[1]), "1949-02-01")
        XCTAssertEqual(TimeFormat(kind: .date).format(times[143]), "1960-12-01")
        XCTAssertEqual(set.report.gaps, 0)
        XCTAssertEqual(set.report.irregularSteps, 0)
        let future = set.futureTimes(series: 0, horizon: 14).map { TimeFormat(kind: .date).format($0) }
        XCTAssertEqual(future.first, "1961-01-01")
        XCTAssertEqual(future.last, "1962-02-01")
        XCTAssertEqual(set.format(times[1]), "1949.0833333333333".count > 0 ? set.format(times[1]) : "")
        XCTAssertTrue(set.format(times[1]).hasPrefix("1949.0833"))
    }

    func testSunspotsMonthly() throws {
        let set = try TimeSeriesSet(table: CSVReader.read(path: fixturePath("sunspots_monthly.csv")))
        XCTAssertEqual(set.rowCount, 2820)
        XCTAssertEqual(set.frequency, .monthly)
        let t = try XCTUnwrap(set.series[0].times)
        XCTAssertEqual(TimeFormat(kind: .date).format(t[0]), "1749-01-01")
        XCTAssertEqual(TimeFormat(kind: .date).format(t[2819]), "1983-12-01")
        XCTAssertEqual(set.report.gaps, 0)
        XCTAssertEqual(set.report.irregularSteps, 0)
    }

    func testElecdemandHasNoTimeColumn() throws {
        let table = try CSVReader.read(path: fixturePath("elecdemand_halfhourly.csv"))
        XCTAssertEqual(table.rowCount, 17520)
        XCTAssertEqual(table.columns.map(\.type), [.number, .number, .number, .number])
        let plain = try TimeSeriesSet(table: table)
        XCTAssertNil(plain.timeColumn)
        XCTAssertNil(plain.frequency)
        XCTAssertNil(plain.series[0].times)
        let timed = try TimeSeriesSet(table: table, time: .rowOrder(start: "2014-01-01T00:00", step: .halfHourly))
        XCTAssertEqual(timed.frequency?.seasonLength, 48)
        let t = try XCTUnwrap(timed.series[0].times)
        XCTAssertEqual(timed.format(t[0]), "2014-01-01T00:00")
        XCTAssertEqual(timed.format(t[17519]), "2014-12-31T23:30")
        XCTAssertEqual(timed.futureTimes(series: 0, horizon: 2).map { timed.format($0) }, ["2015-01-01T00:00", "2015-01-01T00:30"])
        XCTAssertEqual(table.column("Demand")?.numbers?.first, Float("3.91464713"))
    }

    func testNYCWeatherThreeSeriesWithGapsAndEmptyCells() throws {
        let table = try CSVReader.read(path: fixturePath("nyc_weather_hourly.csv"))
        XCTAssertEqual(table.rowCount, 6000)
        XCTAssertEqual(table.column("origin")?.type, .text)
        XCTAssertEqual(table.column("time_hour")?.type, .time)
        XCTAssertEqual(table.column("wind_gust")?.type, .number)
        XCTAssertGreaterThan(table.column("wind_gust")?.missing ?? 0, 1000)
        let set = try TimeSeriesSet(table: table, seriesKey: "origin")
        XCTAssertEqual(set.series.map(\.key), ["EWR", "JFK", "LGA"])
        XCTAssertEqual(set.series.map(\.count), [2000, 2000, 2000])
        XCTAssertEqual(set.frequency, .hourly)
        XCTAssertEqual(set.frequency?.seasonLength, 24)
        XCTAssertEqual(set.timeFormat?.zone, .utc)
        XCTAssertGreaterThan(set.report.gaps, 0)
        XCTAssertGreaterThan(set.series[0].segmentStarts.count, 1)
        let t = try XCTUnwrap(set.series[0].times)
        XCTAssertEqual(set.format(t[0]), "2013-01-01T06:00:00Z")
        // Re-indexing fills the gaps with missing rows.
        let filled = try TimeSeriesSet(table: table, seriesKey: "origin", options: TimeSeriesOptions(gaps: .reindex))
        XCTAssertEqual(filled.rowCount, 6000 + filled.report.insertedRows)
        XCTAssertEqual(filled.series[0].segmentStarts, [0])
        // Without a key, the three series' timestamps are out of order.
        XCTAssertThrowsError(try TimeSeriesSet(table: table)) { e in
            XCTAssertTrue("\(e)".contains("out of order"), "\(e)")
        }
    }

    func testSeattleDailyWithTextColumn() throws {
        let table = try CSVReader.read(path: fixturePath("seattle_weather_daily.csv"))
        XCTAssertEqual(table.rowCount, 1461)
        XCTAssertEqual(table.columns.map(\.type), [.time, .number, .number, .number, .number, .text])
        let set = try TimeSeriesSet(table: table)
        XCTAssertEqual(set.frequency, .daily)
        XCTAssertEqual(set.frequency?.seasonLength, 7)
        XCTAssertEqual(set.ignoredColumns, ["weather"])
        let t = try XCTUnwrap(set.series[0].times)
        XCTAssertEqual(set.format(t[0]), "2012-01-01")
        XCTAssertEqual(set.format(t[1460]), "2015-12-31")
        if case .text(_, let levels) = table.column("weather")?.values {
            XCTAssertEqual(Set(levels), ["drizzle", "rain", "sun", "snow", "fog"])
        } else { XCTFail("weather should be text") }
    }

    func testRadarFramesFromLongFormat() throws {
        let grid = try GridData.read(path: fixturePath("radar_small.csv"))
        XCTAssertEqual(grid.frames.shape, Shape([40, 1, 32, 32]))
        XCTAssertEqual(grid.channels, ["rain_mmh"])
        XCTAssertEqual(grid.frequency, Frequency(.minute, 6))
        XCTAssertEqual(grid.timeFormat.format(grid.times[1]), "2024-06-01T00:06:00")
        let zeros = grid.frames.scalars.filter { $0 == 0 }.count
        XCTAssertGreaterThan(Double(zeros) / Double(grid.frames.count), 0.5)
    }

    func testDescribe() throws {
        let s = try DatasetSummary.describe(path: fixturePath("nyc_weather_hourly.csv"), seriesKey: "origin")
        XCTAssertEqual(s.rows, 6000)
        XCTAssertEqual(s.frequency, "hourly")
        XCTAssertEqual(s.series.count, 3)
        XCTAssertEqual(s.columns.first { $0.name == "origin" }?.type, .text)
        let json = try JSONEncoder().encode(s)
        let obj = try JSONSerialization.jsonObject(with: json) as? [String: Any]
        XCTAssertNotNil(obj?["rows"]); XCTAssertNotNil(obj?["columns"]); XCTAssertNotNil(obj?["frequency"])
        let air = try DatasetSummary.describe(path: fixturePath("air_passengers.csv"))
        XCTAssertEqual(air.frequency, "monthly")
        XCTAssertEqual(air.seasonLength, 12)
        XCTAssertTrue(air.text.contains("monthly"))
    }
}
