import Foundation
import XCTest
import Forecast
import _TestSupport

/// `forecast evaluate` and `forecast backtest` on a file of 12 series: per-series scores, their
/// summary, the worst/best table, every series with --per-series, the CSV, and --json.
final class PerSeriesCLITests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = try ForecastBinary.temporaryDirectory("perseries") }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    let small = ["--model", "lstm", "--horizon", "7", "--lookback", "14", "--hidden", "8", "--epochs", "2", "--windows-per-epoch", "100"]

    func testEvaluatePerSeriesTableJSONAndCSV() throws {
        let data = fixturePath("long_format_daily.csv")
        let model = dir + "/m.safetensors"
        let train = try ForecastBinary.run(["train", "--data", data, "--out", model, "--quiet"] + small)
        XCTAssertEqual(train.status, 0, train.stderr)

        // --json: every series, and the summary; the pooled MASE is the pair-weighted mean of the series' MASE.
        let json = try ForecastBinary.run(["evaluate", "--model", model, "--data", data, "--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let perSeries = try XCTUnwrap(object["per_series"] as? [[String: Any]])
        XCTAssertEqual(perSeries.map { $0["key"] as? String }, (0..<12).map { String(format: "S%02d", $0) })
        let models = perSeries.compactMap { $0["model"] as? [String: Any] }
        let mase = models.compactMap { $0["mase"] as? Double }, counts = models.compactMap { $0["count"] as? Int }
        XCTAssertEqual(mase.count, 12)
        let pooled = try XCTUnwrap((object["model"] as? [String: Any])?["mase"] as? Double)
        let weighted = zip(mase, counts).reduce(0.0) { $0 + $1.0 * Double($1.1) } / Double(counts.reduce(0, +))
        XCTAssertEqual(pooled, weighted, accuracy: 1e-9 * max(1, pooled))
        let summary = try XCTUnwrap(object["series_summary"] as? [String: Any])
        XCTAssertEqual(summary["series"] as? Int, 12)
        XCTAssertEqual(try XCTUnwrap(summary["mean_mase"] as? Double), mase.reduce(0, +) / 12, accuracy: 1e-9)
        let sorted = mase.sorted()
        XCTAssertEqual(try XCTUnwrap(summary["median_mase"] as? Double), (sorted[5] + sorted[6]) / 2, accuracy: 1e-12)

        // Terminal: the pooled table as before, then the summary and the worst and best series.
        let text = try ForecastBinary.run(["evaluate", "--model", model, "--data", data, "--per-series-top", "3"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.hasPrefix("test split: "), text.stdout)
        XCTAssertTrue(text.stdout.contains("per series: 12 series (12 scored)"), text.stdout)
        let worst = try XCTUnwrap(text.stdout.components(separatedBy: "worst 3 by MASE:\n").last)
        let firstRow = try XCTUnwrap(worst.split(separator: "\n").dropFirst().first)   // after the header
        let worstKey = String(firstRow.split(separator: " ")[0])
        let maxIndex = try XCTUnwrap(mase.indices.max { mase[$0] < mase[$1] })
        XCTAssertEqual(worstKey, String(format: "S%02d", maxIndex), text.stdout)
        XCTAssertTrue(text.stdout.contains("best 3 by MASE:"), text.stdout)

        // --per-series: all 12 rows; --per-series-out: a CSV of all of them.
        let csv = dir + "/scores.csv"
        let all = try ForecastBinary.run(["evaluate", "--model", model, "--data", data, "--per-series", "--per-series-out", csv])
        XCTAssertEqual(all.status, 0, all.stderr)
        XCTAssertFalse(all.stdout.contains("worst"), all.stdout)
        for k in 0..<12 { XCTAssertTrue(all.stdout.contains("\n" + String(format: "S%02d", k) + " "), "row of S\(k)") }
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.first, "series,pairs,mae,rmse,smape,mase,seasonal_naive_mase,seasonal_naive_smape")
        XCTAssertEqual(lines.count, 13)
        let s00 = lines[1].split(separator: ",", omittingEmptySubsequences: false)
        XCTAssertEqual(s00[0], "S00")
        XCTAssertEqual(try XCTUnwrap(Double(s00[5])), mase[0], accuracy: 1e-12)
    }

    func testBacktestPerSeries() throws {
        let data = fixturePath("long_format_daily.csv")
        let r = try ForecastBinary.run(["backtest", "--data", data, "--folds", "2", "--json"] + small)
        XCTAssertEqual(r.status, 0, r.stderr)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let perSeries = try XCTUnwrap(object["per_series"] as? [[String: Any]])
        XCTAssertEqual(perSeries.count, 12)
        // Every series scored over both folds: 2 folds x 7 steps.
        XCTAssertEqual(perSeries.compactMap { ($0["model"] as? [String: Any])?["count"] as? Int }, [Int](repeating: 14, count: 12))
        let summary = try XCTUnwrap(object["series_summary"] as? [String: Any])
        XCTAssertEqual(summary["scored"] as? Int, 12)

        let text = try ForecastBinary.run(["backtest", "--data", data, "--folds", "2", "--per-series-top", "2"] + small)
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("per series: 12 series"), text.stdout)
        XCTAssertTrue(text.stdout.contains("worst 2 by MASE:"), text.stdout)
    }
}
