import Foundation
import XCTest
import _TestSupport

/// `forecast train --model auto` end to end: the file holds every member, `inspect` lists them
/// and the validation scores, `evaluate` and `predict` read it, `plot` says it cannot.
final class EnsembleCLITests: XCTestCase {
    let air = fixturePath("air_passengers.csv")

    func testAutoTrainsAnEnsembleThatEveryCommandReads() throws {
        let dir = try ForecastBinary.temporaryDirectory("ensemble-cli")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = dir + "/air.safetensors"
        let t = try ForecastBinary.run(["train", "--data", air, "--target", "value", "--model", "auto", "--epochs", "10", "--hidden", "16",
                                        "--workers", "2", "--out", model])
        XCTAssertEqual(t.status, 0, t.stderr)
        XCTAssert((t.stdout + t.stderr).contains("lookback 24, horizon 12, season 12"), t.stderr)
        XCTAssert((t.stdout + t.stderr).contains("chosen on validation: median of"), t.stderr)

        let i = try ForecastBinary.run(["inspect", model])
        XCTAssertEqual(i.status, 0, i.stderr)
        for fragment in ["family:       ensemble", "member0  lstm", "member1  lstm", "member2  lstm", "ets ", "theta", "snaive", "validation:", "lstm+ets+theta"] {
            XCTAssert(i.stdout.contains(fragment), "inspect lists \(fragment):\n\(i.stdout)")
        }

        let e = try ForecastBinary.run(["evaluate", "--model", model, "--data", air, "--json"])
        XCTAssertEqual(e.status, 0, e.stderr)
        let o = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as? [String: [String: Any]])
        let mase = try XCTUnwrap(o["model"]?["mase"] as? Double), snaive = try XCTUnwrap(o["seasonal_naive"]?["mase"] as? Double)
        XCTAssertLessThan(mase, snaive)
        let text = try ForecastBinary.run(["evaluate", "--model", model, "--data", air])
        XCTAssert(text.stdout.contains("test split: 3 windows x 12 steps, season 12"), text.stdout)

        let p = try ForecastBinary.run(["predict", "--model", model, "--data", air])
        XCTAssertEqual(p.status, 0, p.stderr)
        XCTAssertEqual(p.stdout.split(separator: "\n").count, 13, p.stdout)

        let plot = try ForecastBinary.run(["plot", "--model", model, "--data", air, "--out", dir + "/x.svg"])
        XCTAssertNotEqual(plot.status, 0)
        XCTAssert(plot.stderr.contains("ensemble"), plot.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/x.svg"))
    }
}
