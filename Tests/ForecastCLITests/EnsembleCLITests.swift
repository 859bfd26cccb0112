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
        for fragment in ["family:       ensemble", "member0  lstm", "member1  lstm", "member2  lstm", "ets ", "theta", "snaive", "validation:", "lstm+ets+theta", "eshybrid lstm 2x32", "lstm+eshybrid"] {
            XCTAssert(i.stdout.contains(fragment), "inspect lists \(fragment):\n\(i.stdout)")
        }

        // An edited ES-hybrid member is refused with its field, by every command.
        let bad = dir + "/bad-hybrid.safetensors"
        try ModelEdit.write(model, to: bad, config: { c in
            var h = (c.object["eshybrid"] as? [String: Any]) ?? [:]
            h["scales"] = [-1.0]
            c.object["eshybrid"] = h
        })
        for args in [["evaluate", "--model", bad, "--data", air], ["predict", "--model", bad, "--data", air], ["inspect", bad]] {
            let r = try ForecastBinary.run(args)
            XCTAssertEqual(r.status, 1, "\(args[0]): \(r.stderr)")
            XCTAssert(r.stderr.contains("config.eshybrid") && r.stderr.contains("scales[0]"), "\(args[0]): \(r.stderr)")
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

        // --model auto is the default; --members sets the number of LSTM members.
        let d = try ForecastBinary.run(["train", "--data", air, "--target", "value", "--epochs", "2", "--hidden", "4", "--members", "2",
                                        "--out", dir + "/d.safetensors", "--quiet"])
        XCTAssertEqual(d.status, 0, d.stderr)
        let di = try ForecastBinary.run(["inspect", dir + "/d.safetensors"]).stdout
        XCTAssert(di.contains("family:       ensemble"), di)
        XCTAssert(di.contains("member1  lstm") && !di.contains("member2  lstm"), "two members:\n\(di)")
        for (args, message) in [(["--members", "0"], "--members must be from 1 to 9"), (["--members", "10"], "--members must be from 1 to 9"),
                                (["--members", "2", "--model", "lstm"], "--members needs --model auto")] {
            let r = try ForecastBinary.run(["train", "--data", air, "--target", "value", "--out", dir + "/m.safetensors"] + args)
            XCTAssertNotEqual(r.status, 0)
            XCTAssert(r.stderr.contains(message), r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/m.safetensors"))
        }

        let plot = try ForecastBinary.run(["plot", "--model", model, "--data", air, "--out", dir + "/x.svg"])
        XCTAssertNotEqual(plot.status, 0)
        XCTAssert(plot.stderr.contains("ensemble"), plot.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/x.svg"))
    }

    /// `--intervals conformal` keeps the default `auto`: the ensemble stores a calibration of its
    /// combination, `inspect` shows it, `predict --level` adds lo-/hi- columns, `evaluate` scores
    /// the intervals; an edited calibration is refused with its field; a file without one
    /// refuses `--level`.
    func testConformalEnsembleIntervals() throws {
        let dir = try ForecastBinary.temporaryDirectory("ensemble-conformal")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = dir + "/air.safetensors"
        let t = try ForecastBinary.run(["train", "--data", air, "--target", "value", "--intervals", "conformal", "--conformal-calibration", "rolling",
                                        "--epochs", "4", "--hidden", "8", "--members", "1", "--out", model])
        XCTAssertEqual(t.status, 0, t.stderr)
        XCTAssert(t.stderr.contains("conformal intervals: score"), t.stderr)

        let i = try ForecastBinary.run(["inspect", model])
        XCTAssertEqual(i.status, 0, i.stderr)
        for fragment in ["family:       ensemble", "intervals:    conformal, score", "rule rolling", "180 scores per step (pooled over the steps)"] {
            XCTAssert(i.stdout.contains(fragment), "inspect shows \(fragment):\n\(i.stdout)")
        }

        let p = try ForecastBinary.run(["predict", "--model", model, "--data", air, "--level", "80,95"])
        XCTAssertEqual(p.status, 0, p.stderr)
        let lines = p.stdout.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertEqual(lines.first, ["time", "value", "lo-95", "lo-80", "hi-80", "hi-95"], p.stdout)
        XCTAssertEqual(lines.count, 13)
        for row in lines.dropFirst() {
            let v = row.dropFirst().compactMap(Double.init)
            XCTAssertEqual(v.count, 5, "\(row)")
            if v.count == 5 { XCTAssert(v[1] < v[2] && v[2] < v[0] && v[0] < v[3] && v[3] < v[4], "\(row)") }
        }

        let e = try ForecastBinary.run(["evaluate", "--model", model, "--data", air, "--json"])
        XCTAssertEqual(e.status, 0, e.stderr)
        let o = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as? [String: [String: Any]])
        let levels = try XCTUnwrap(o["model"]?["coverage_levels"] as? [String: Double], e.stdout)
        XCTAssertNotNil(levels["80"])
        XCTAssertNotNil(levels["95"])
        XCTAssertNotNil(o["model"]?["crps"] as? Double)
        XCTAssertNotNil(o["model"]?["msis"] as? Double)

        // An edited calibration is refused with its field, by every command.
        let cases: [(String, (inout ModelEdit.Config) -> Void, String)] = [
            ("count", { c in c.object["residuals"] = [[0.5]] }, "conformal.residuals: holds 1 score lists for 12"),
            ("negative", { c in c.object["residuals"] = [[Double]](repeating: [-1], count: 12) }, "conformal.residuals[0]: a score is negative"),
            ("unsorted", { c in c.object["residuals"] = [[Double]](repeating: [2, 1], count: 12) }, "conformal.residuals[0]: not sorted"),
            ("step-scales", { c in c.object["stepScales"] = [Double](repeating: 0, count: 12) }, "conformal.stepScales"),
            ("floor", { c in c.object["scaleRows"] = 24; c.object["scaleFloor"] = [1.0, 2.0] }, "conformal.scaleFloor"),
        ]
        for (name, edit, fragment) in cases {
            let path = dir + "/\(name).safetensors"
            try ModelEdit.write(model, to: path, section: "conformal", config: edit)
            for args in [["evaluate", "--model", path, "--data", air], ["predict", "--model", path, "--data", air, "--level", "80"], ["inspect", path]] {
                let r = try ForecastBinary.run(args)
                XCTAssertEqual(r.status, 1, "\(name) \(args[0]): \(r.stderr)")
                XCTAssert(r.stderr.contains(fragment), "\(name) \(args[0]): \(r.stderr)")
            }
        }

        // The section's format is fixed: a file written when it was introduced forecasts what it did then.
        let fixture = fixturePath("models/ensemble-conformal.safetensors")
        let f = try ForecastBinary.run(["predict", "--model", fixture, "--data", air, "--level", "80,95"])
        XCTAssertEqual(f.status, 0, f.stderr)
        XCTAssertEqual(f.stdout, try String(contentsOfFile: fixturePath("models/ensemble-conformal.predict.csv"), encoding: .utf8))

        // A file without a calibration (written before it existed) refuses --level.
        let legacy = try ForecastBinary.run(["predict", "--model", fixturePath("models/legacy-ensemble.safetensors"), "--data", air, "--level", "80"])
        XCTAssertNotEqual(legacy.status, 0)
        XCTAssert(legacy.stderr.contains("--intervals conformal"), legacy.stderr)
    }

    /// Edited ensemble files get one clear error naming the field; nothing crashes.
    func testHostileEnsembleFilesAreRefusedWithTheField() throws {
        let dir = try ForecastBinary.temporaryDirectory("ensemble-hostile")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let source = fixturePath("models/legacy-ensemble.safetensors")
        func statistical(_ c: ModelEdit.Config, kind: String, model: [String: Any]) -> [[String: Any]] {
            ((c.object["statistical"] as? [[String: Any]]) ?? []).map { f in
                var f = f
                if f["kind"] as? String == kind { f["models"] = [[model]] }
                return f
            }
        }
        let cases: [(String, (inout ModelEdit.Config) -> Void, String)] = [
            ("snaive-period-0", { c in c.object["statistical"] = statistical(c, kind: "snaive", model: ["seasonalNaive": ["period": 0]]) }, "period 0"),
            ("theta-nan", { c in c.object["statistical"] = statistical(c, kind: "theta", model: ["theta": ["_0": ["period": 12, "alpha": 7, "level0": 1]]]) }, "Theta parameters"),
            ("no-members", { c in c.object["networks"] = [Any](); c.object["networkSeeds"] = [Any]() }, "at least one recurrent member"),
            ("combination-empty", { c in c.object["combination"] = [Any]() }, "combination"),
            ("two-series", { c in c.object["seriesKeys"] = ["a", "b"] }, "one model per series"),
            ("eshybrid-without-member", { c in c.object["combination"] = ["lstm", "eshybrid"] }, "no ES-hybrid member"),
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
