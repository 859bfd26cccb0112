import Foundation
import XCTest
import _TestSupport

/// `forecast train --model eshybrid` end to end: evaluate, predict, inspect and backtest read
/// the file; edited files are refused with the field named.
final class ESHybridCLITests: XCTestCase {
    let air = fixturePath("air_passengers.csv")

    func testEveryCommandReadsAnESHybridModel() throws {
        let dir = try ForecastBinary.temporaryDirectory("eshybrid-cli")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = dir + "/air.safetensors"
        let t = try ForecastBinary.run(["train", "--data", air, "--target", "value", "--model", "eshybrid", "--epochs", "10", "--hidden", "8",
                                        "--workers", "2", "--out", model])
        XCTAssertEqual(t.status, 0, t.stderr)
        XCTAssert((t.stdout + t.stderr).contains("lookback 24, horizon 12, season 12"), t.stderr)
        XCTAssert((t.stdout + t.stderr).contains("multiplicative"), t.stderr)

        let i = try ForecastBinary.run(["inspect", model])
        XCTAssertEqual(i.status, 0, i.stderr)
        for fragment in ["family:       ES-hybrid", "es.alpha", "es.season0", "alpha ", "gamma ", "dilations 1,3", "pinball"] {
            XCTAssert(i.stdout.contains(fragment), "inspect shows \(fragment):\n\(i.stdout)")
        }
        let j = try ForecastBinary.run(["inspect", model, "--json"])
        XCTAssertEqual(j.status, 0, j.stderr)
        XCTAssert(j.stdout.contains("\"family\" : \"eshybrid\""), j.stdout)

        let e = try ForecastBinary.run(["evaluate", "--model", model, "--data", air, "--json"])
        XCTAssertEqual(e.status, 0, e.stderr)
        let o = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as? [String: [String: Any]])
        XCTAssertNotNil(o["model"]?["mase"] as? Double)
        let text = try ForecastBinary.run(["evaluate", "--model", model, "--data", air])
        XCTAssert(text.stdout.contains("test split: 3 windows x 12 steps, season 12"), text.stdout)

        let p = try ForecastBinary.run(["predict", "--model", model, "--data", air])
        XCTAssertEqual(p.status, 0, p.stderr)
        XCTAssertEqual(p.stdout.split(separator: "\n").count, 13, p.stdout)

        let b = try ForecastBinary.run(["backtest", "--data", air, "--target", "value", "--model", "eshybrid", "--epochs", "3", "--hidden", "4", "--folds", "2"])
        XCTAssertEqual(b.status, 0, b.stderr)
        XCTAssert(b.stdout.contains("mean"), b.stdout)

        let plot = try ForecastBinary.run(["plot", "--model", model, "--data", air, "--out", dir + "/x.svg"])
        XCTAssertNotEqual(plot.status, 0)
        XCTAssert(plot.stderr.contains("ES-hybrid"), plot.stderr)
        let export = try ForecastBinary.run(["export", "--model", model, "--out", dir + "/x.onnx"])
        XCTAssertNotEqual(export.status, 0)
        XCTAssert(export.stderr.contains("ES-hybrid"), export.stderr)

        let bad = try ForecastBinary.run(["train", "--data", air, "--target", "value", "--model", "eshybrid", "--loss", "gaussian", "--out", dir + "/g.safetensors"])
        XCTAssertEqual(bad.status, 1, bad.stderr)
        XCTAssert(bad.stderr.contains("pinball"), bad.stderr)
    }

    func testHostileESHybridFilesAreRefusedWithTheField() throws {
        let dir = try ForecastBinary.temporaryDirectory("eshybrid-hostile")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let source = dir + "/air.safetensors"
        let t = try ForecastBinary.run(["train", "--data", air, "--target", "value", "--model", "eshybrid", "--epochs", "1", "--hidden", "4", "--out", source, "--quiet"])
        XCTAssertEqual(t.status, 0, t.stderr)
        let cases: [(String, (inout ModelEdit.Config) -> Void, String)] = [
            ("negative-scale", { c in c.object["scales"] = [-2.0] }, "scales[0]"),
            ("series-huge", { c in c.set(["model", "series"], 5_000_000) }, "config.model.series"),
            ("history-short", { c in c.set(["model", "history"], 2) }, "config.model.history"),
            ("horizon-mismatch", { c in c.set(["model", "horizon"], 7) }, "horizon"),
            ("two-targets", { c in c.set(["window", "targets"], ["value", "x"]) }, "one target"),
            ("loss", { c in c.object["loss"] = "gaussian" }, "loss"),
        ]
        for (name, edit, fragment) in cases {
            let path = dir + "/\(name).safetensors"
            try ModelEdit.write(source, to: path, config: edit)
            for args in [["evaluate", "--model", path, "--data", air], ["predict", "--model", path, "--data", air], ["inspect", path]] {
                let r = try ForecastBinary.run(args)
                XCTAssertEqual(r.status, 1, "\(name) \(args[0]): \(r.stderr)")
                XCTAssert(r.stderr.contains(fragment), "\(name) \(args[0]): \(r.stderr)")
            }
        }
    }
}
