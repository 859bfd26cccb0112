import Foundation
import XCTest
import _TestSupport

/// End-to-end: time columns as R, Excel and loggers write them, through the real binary.
final class TimeFormatCLITests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = try ForecastBinary.temporaryDirectory("timefmt") }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// R's decimal years: 2012 + i * (1/365), 15 significant digits (Python's "%.15g").
    func rDaily(_ i: Int) -> String {
        String(format: "%.15g", 2012 + Double(i) * (1.0 / 365))
    }

    func testDescribeTrainPredictOnRDailyDecimalYears() throws {
        // Seattle weather with its dates written R-style (scripts/make_r_decimal_daily.py).
        let data = fixturePath("seattle_weather_daily_r_decimal.csv")
        let describe = try ForecastBinary.run(["describe", "--data", data])
        XCTAssertEqual(describe.status, 0, describe.stderr)
        let text = describe.stdout
        XCTAssert(text.contains("time: 'time' (decimal year, R frequency 365 (start + i/365)), 2012 to 2016"), text)
        XCTAssert(text.contains("frequency: daily, season length 7 (the weekly cycle of daily data"), text)
        XCTAssert(text.contains("gaps: 0 (0 missing steps), irregular steps: 0, duplicates: 0, unsorted rows: 0"), text)
        XCTAssert(text.contains("note: decimal years with R frequency 365: daily steps from 2012-01-01"), text)

        let model = dir + "/sea.safetensors"
        let train = try ForecastBinary.run(["train", "--model", "lstm", "--data", data, "--target", "temp_max", "--out", model, "--epochs", "2"])
        XCTAssertEqual(train.status, 0, train.stderr)
        let predict = try ForecastBinary.run(["predict", "--model", model, "--data", data])
        XCTAssertEqual(predict.status, 0, predict.stderr)
        let lines = predict.stdout.split(separator: "\n")
        XCTAssertEqual(lines.first, "time,temp_max")
        XCTAssertEqual(lines.dropFirst().map { String($0.split(separator: ",")[0]) }, (1461..<1468).map(rDaily), "the decimal sequence continues")
    }

    func testTimeFormatOptionAndUsageErrors() throws {
        let excel = fixturePath("time-formats/excel_serial.csv")
        let plain = try ForecastBinary.run(["describe", "--data", excel])
        XCTAssert(plain.stdout.contains("time: none (row order)"), "Excel serials are never guessed: \(plain.stdout)")
        let asked = try ForecastBinary.run(["describe", "--data", excel, "--time-format", "excel"])
        XCTAssertEqual(asked.status, 0, asked.stderr)
        XCTAssert(asked.stdout.contains("time: 'date' (Excel serial day number), 43881 to 43910"), asked.stdout)

        let bad = try ForecastBinary.run(["describe", "--data", excel, "--time-format", "dd.mm.yyyy"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssert(bad.stderr.contains("The value 'dd.mm.yyyy' is invalid for '--time-format <format>'") && bad.stderr.contains("epoch-ms"), bad.stderr)

        let ambiguous = try ForecastBinary.run(["describe", "--data", fixturePath("time-formats/ambiguous_dates.csv")])
        XCTAssertNotEqual(ambiguous.status, 0)
        XCTAssert(ambiguous.stderr.contains("cannot tell day from month in column 'date'") && ambiguous.stderr.contains("--time-format '%d/%m/%Y'"), ambiguous.stderr)
        let decided = try ForecastBinary.run(["describe", "--data", fixturePath("time-formats/ambiguous_dates.csv"), "--time", "date", "--time-format", "%d/%m/%Y"])
        XCTAssertEqual(decided.status, 0, decided.stderr)
        XCTAssert(decided.stdout.contains("frequency: monthly, season length 12"), decided.stdout)
    }
}
