import Foundation
import XCTest
import _TestSupport

/// Intervals, samples and distribution scores from the command line: conformal intervals of a
/// point model, `predict --level` columns, the sampling family's long-format paths, the scores
/// in `evaluate --json` and `backtest`, and usage errors.
final class ProbabilisticCLITests: XCTestCase {
    let air = fixturePath("air_passengers.csv")

    func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    }

    func testConformalIntervalsLevelsAndScores() throws {
        let dir = try ForecastBinary.temporaryDirectory("conformal")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let m = dir + "/c.st"
        let t = try ForecastBinary.run(["train", "--data", air, "--target", "value", "--model", "lstm", "--epochs", "3", "--hidden", "8", "--intervals", "conformal", "--out", m, "--quiet"])
        XCTAssertEqual(t.status, 0, t.stderr)
        let i = try ForecastBinary.run(["inspect", m])
        XCTAssert(i.stdout.contains("rule cross ("), "a 144-row file gets the cross rule by default: \(i.stdout)")
        let p = try ForecastBinary.run(["predict", "--model", m, "--data", air, "--level", "95,80"])
        XCTAssertEqual(p.status, 0, p.stderr)
        let lines = p.stdout.split(separator: "\n")
        XCTAssertEqual(lines.first, "time,value,lo-95,lo-80,hi-80,hi-95")
        XCTAssertEqual(lines.count, 13)
        for line in lines.dropFirst() {
            let v = line.split(separator: ",").dropFirst().map { Double($0)! }
            XCTAssert(v[1] <= v[2] && v[2] <= v[0] && v[0] <= v[3] && v[3] <= v[4], "nested intervals around the point: \(line)")
        }
        let e = try ForecastBinary.run(["evaluate", "--model", m, "--data", air, "--json"])
        XCTAssertEqual(e.status, 0, e.stderr)
        let o = try json(e.stdout)
        let model = try XCTUnwrap(o["model"] as? [String: Any]), reference = try XCTUnwrap(o["seasonal_naive"] as? [String: Any])
        for d in [model, reference] {
            XCTAssertNotNil(d["crps"] as? Double); XCTAssertNotNil(d["msis"] as? Double); XCTAssertNotNil(d["wql"] as? Double)
            XCTAssertNotNil((d["coverage_levels"] as? [String: Double])?["80"])
        }
        XCTAssertNil((o["naive"] as? [String: Any])?["crps"])

        // Fan chart (nested 50/80/95% bands) and reliability diagram.
        let svg = dir + "/c.svg"
        let plot = try ForecastBinary.run(["plot", "--model", m, "--data", air, "--out", svg])
        XCTAssertEqual(plot.status, 0, plot.stderr)
        let text = try String(contentsOfFile: svg, encoding: .utf8)
        for label in ["95% interval", "80% interval", "50% interval", "reliability (test split)", "perfect calibration", "seasonal naive (empirical)"] {
            XCTAssert(text.contains(label), "the plot lacks '\(label)'")
        }
    }

    /// The rolling conformal rule (default) and the windows rule on a real monthly series:
    /// `--level` columns present and nested around the point on every row, and `evaluate`
    /// reports the mean width of each interval (95% wider than 80%).
    func testConformalRulesOnSunspots() throws {
        let dir = try ForecastBinary.temporaryDirectory("conformal-rule")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sun = fixturePath("sunspots_monthly.csv")
        for rule in ["rolling", "windows"] {
            let m = dir + "/\(rule).st"
            let t = try ForecastBinary.run(["train", "--data", sun, "--target", "value", "--model", "lstm", "--epochs", "2", "--hidden", "8", "--horizon", "6",
                                            "--intervals", "conformal", "--conformal-calibration", rule, "--out", m, "--quiet"])
            XCTAssertEqual(t.status, 0, t.stderr)
            try assertNestedIntervals(model: m, data: sun, steps: 6, label: rule)
            let e = try ForecastBinary.run(["evaluate", "--model", m, "--data", sun, "--json"])
            XCTAssertEqual(e.status, 0, e.stderr)
            let model = try XCTUnwrap(try json(e.stdout)["model"] as? [String: Any])
            let width = try XCTUnwrap(model["width_levels"] as? [String: Double])
            XCTAssert(width["80"]! > 0 && width["95"]! > width["80"]!, "\(rule): \(width)")
        }
    }

    /// Cross-conformal refits on a real monthly series (sunspots, 2,820 rows): the single LSTM
    /// and the ensemble record the rule and refit count (`inspect`), forecast nested intervals,
    /// and `evaluate` scores them.
    func testCrossConformalOnSunspots() throws {
        let dir = try ForecastBinary.temporaryDirectory("conformal-cross")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sun = fixturePath("sunspots_monthly.csv")
        for model in ["lstm", "auto"] {
            let m = dir + "/\(model).st"
            let t = try ForecastBinary.run(["train", "--data", sun, "--target", "value", "--model", model, "--epochs", "2", "--hidden", "8", "--horizon", "6",
                                            "--intervals", "conformal", "--conformal-calibration", "cross", "--conformal-folds", "2", "--out", m, "--quiet"])
            XCTAssertEqual(t.status, 0, t.stderr)
            let i = try ForecastBinary.run(["inspect", m])
            XCTAssertEqual(i.status, 0, i.stderr)
            XCTAssert(i.stdout.contains("rule cross (") && i.stdout.contains(" of 2 refits kept; error ratios on the validation rows "), "\(model): \(i.stdout)")
            try assertNestedIntervals(model: m, data: sun, steps: 6, label: model)
            let e = try ForecastBinary.run(["evaluate", "--model", m, "--data", sun, "--json"])
            XCTAssertEqual(e.status, 0, e.stderr)
            let scores = try XCTUnwrap(try json(e.stdout)["model"] as? [String: Any])
            let coverage = try XCTUnwrap(scores["coverage_levels"] as? [String: Double])
            XCTAssert(coverage["80"]! > 0.5 && coverage["95"]! >= coverage["80"]!, "\(model): \(coverage)")
        }
    }

    /// `predict --level 80,95` on a time-indexed `value` file: the ecosystem's column names and,
    /// on each of `steps` rows, lo-95 < lo-80 < point < hi-80 < hi-95.
    func assertNestedIntervals(model m: String, data: String, steps: Int, label: String,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let p = try ForecastBinary.run(["predict", "--model", m, "--data", data, "--level", "80,95"])
        XCTAssertEqual(p.status, 0, p.stderr, file: file, line: line)
        let lines = p.stdout.split(separator: "\n")
        XCTAssertEqual(lines.first, "time,value,lo-95,lo-80,hi-80,hi-95", file: file, line: line)
        XCTAssertEqual(lines.count, 1 + steps, file: file, line: line)
        for row in lines.dropFirst() {
            let v = row.split(separator: ",").dropFirst().map { Double($0)! }
            XCTAssert(v[1] < v[2] && v[2] < v[0] && v[0] < v[3] && v[3] < v[4], "\(label): nested intervals around the point: \(row)",
                      file: file, line: line)
        }
    }

    func testUsageErrors() throws {
        let dir = try ForecastBinary.temporaryDirectory("prob-usage")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let m = dir + "/p.st"
        XCTAssertEqual(try ForecastBinary.run(["train", "--data", air, "--target", "value", "--model", "lstm", "--epochs", "1", "--hidden", "4", "--out", m, "--quiet"]).status, 0)
        let cases: [([String], Int32, String)] = [
            (["predict", "--model", m, "--data", air, "--level", "150"], 2, "between 0 and 100"),
            (["predict", "--model", m, "--data", air, "--level", "80"], 1, "--intervals conformal"),
            (["predict", "--model", m, "--data", air, "--samples", "5"], 1, "deepar"),
            (["train", "--data", air, "--target", "value", "--quantiles", "0.1,1.5", "--out", dir + "/x.st"], 2, "strictly between 0 and 1"),
            (["train", "--data", air, "--target", "value", "--loss", "gaussian", "--intervals", "conformal", "--out", dir + "/x.st"], 2, "point losses"),
            (["train", "--data", air, "--target", "value", "--likelihood", "student_t", "--out", dir + "/x.st"], 2, "--model deepar"),
            (["train", "--data", air, "--target", "value", "--conformal-score", "signed", "--out", dir + "/x.st"], 2, "--conformal-score needs --intervals conformal"),
            (["train", "--data", air, "--target", "value", "--conformal-calibration", "windows", "--out", dir + "/x.st"], 2, "--conformal-calibration needs --intervals conformal"),
            (["train", "--data", air, "--target", "value", "--intervals", "conformal", "--conformal-calibration", "max", "--out", dir + "/x.st"], 2, "conformal-calibration"),
            (["train", "--data", air, "--target", "value", "--intervals", "conformal", "--conformal-score", "wide", "--out", dir + "/x.st"], 2, "conformal-score"),
            (["train", "--data", air, "--target", "value", "--intervals", "conformal", "--conformal-calibration", "rolling", "--conformal-folds", "2", "--out", dir + "/x.st"], 2, "--conformal-folds needs --conformal-calibration cross"),
            (["train", "--data", air, "--target", "value", "--conformal-folds", "2", "--out", dir + "/x.st"], 2, "--conformal-folds needs --intervals conformal"),
            (["train", "--data", air, "--target", "value", "--intervals", "conformal", "--conformal-calibration", "cross", "--conformal-folds", "0", "--out", dir + "/x.st"], 2, "--conformal-folds"),
            (["train", "--data", fixturePath("sunspots_monthly.csv"), "--target", "value", "--model", "deepar", "--likelihood", "negative_binomial",
              "--out", dir + "/x.st"], 1, "counts"),
        ]
        for (args, status, message) in cases {
            let r = try ForecastBinary.run(args)
            XCTAssertEqual(r.status, status, "\(args): \(r.stderr)")
            XCTAssert(r.stderr.contains(message), "\(args): \(r.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/x.st"))
    }

    func testSamplingFamilyPathsLevelsAndBacktest() throws {
        let dir = try ForecastBinary.temporaryDirectory("deepar")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let m = dir + "/d.st"
        let t = try ForecastBinary.run(["train", "--model", "deepar", "--data", air, "--target", "value", "--epochs", "2", "--hidden", "8",
                                        "--layers", "1", "--samples", "30", "--out", m, "--quiet"])
        XCTAssertEqual(t.status, 0, t.stderr)
        let p = try ForecastBinary.run(["predict", "--model", m, "--data", air, "--samples", "4"])
        XCTAssertEqual(p.status, 0, p.stderr)
        let lines = p.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        XCTAssertEqual(lines.first, "series,time,sample,value")
        XCTAssertEqual(lines.count, 1 + 4 * 12)
        XCTAssertEqual(try ForecastBinary.run(["predict", "--model", m, "--data", air, "--samples", "4"]).stdout, p.stdout, "seeded")
        let l = try ForecastBinary.run(["predict", "--model", m, "--data", air, "--level", "80"])
        XCTAssertEqual(l.status, 0, l.stderr)
        XCTAssert(l.stdout.hasPrefix("time,value,lo-80,hi-80\n"), l.stdout)
        let i = try ForecastBinary.run(["inspect", m])
        XCTAssert(i.stdout.contains("likelihood:   gaussian"), i.stdout)
        let b = try ForecastBinary.run(["backtest", "--model", "deepar", "--data", air, "--target", "value", "--folds", "2", "--epochs", "2",
                                        "--hidden", "8", "--layers", "1", "--samples", "30", "--json"])
        XCTAssertEqual(b.status, 0, b.stderr)
        let o = try json(b.stdout)
        XCTAssertEqual(o["family"] as? String, "autoregressive")
        let mean = try XCTUnwrap(o["mean"] as? [String: [String: Double]])
        XCTAssertNotNil(mean["model"]?["crps"]); XCTAssertNotNil(mean["seasonal_naive"]?["crps"])
    }
}
