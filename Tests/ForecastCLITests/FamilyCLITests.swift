import Foundation
import XCTest
import _TestSupport

/// Every subcommand runs the family it was asked for: backtests of seq2seq and grid models are
/// of those families (never a silent LSTM), and option values that name a choice are typed.
final class FamilyCLITests: XCTestCase {
    let air = fixturePath("air_passengers.csv"), radar = fixturePath("radar_small.csv")

    func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    }

    func testSeriesBacktestRunsTheRequestedFamily() throws {
        let common = ["backtest", "--data", air, "--target", "value", "--folds", "2", "--epochs", "4", "--hidden", "8", "--json"]
        let s2s = try ForecastBinary.run(common + ["--model", "seq2seq"])
        XCTAssertEqual(s2s.status, 0, s2s.stderr)
        let lstm = try ForecastBinary.run(common + ["--model", "lstm"])
        XCTAssertEqual(lstm.status, 0, lstm.stderr)
        let a = try json(s2s.stdout), b = try json(lstm.stdout)
        XCTAssertEqual(a["family"] as? String, "seq2seq")
        XCTAssertEqual(b["family"] as? String, "recurrent")
        let maseA = (a["mean"] as? [String: [String: Double]])?["model"]?["mase"]
        let maseB = (b["mean"] as? [String: [String: Double]])?["model"]?["mase"]
        XCTAssertNotNil(maseA)
        XCTAssertNotEqual(maseA, maseB, "the seq2seq backtest scored the same forecasts as the LSTM one")
    }

    func testGridBacktestScoresTheNowcasterAgainstPersistence() throws {
        let r = try ForecastBinary.run(["backtest", "--grid", "--data", radar, "--in-frames", "4", "--out-frames", "3", "--hidden", "6",
                                        "--layers", "1", "--patch", "4", "--epochs", "2", "--folds", "2", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try json(r.stdout)
        let folds = try XCTUnwrap(o["folds"] as? [[String: Any]])
        XCTAssertEqual(folds.count, 2)
        XCTAssertEqual(o["out_frames"] as? Int ?? o["outFrames"] as? Int, 3)
        let origins = folds.compactMap { $0["origin_frame"] as? Int }
        XCTAssertEqual(origins.count, 2)
        XCTAssertEqual(origins[1] - origins[0], 3, "consecutive origins one block of out-frames apart")
        for f in folds {
            let m = try XCTUnwrap(f["model"] as? [String: Any]), p = try XCTUnwrap(f["persistence"] as? [String: Any])
            XCTAssertNotNil(m["mse"] as? Double)
            XCTAssertNotEqual(m["mse"] as? Double, p["mse"] as? Double)
        }
    }

    func testChoiceOptionsAreTypedAndAdvertisedValuesWork() throws {
        // --output linear is advertised and accepted (it was rejected before).
        let dir = try ForecastBinary.temporaryDirectory("family")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let g = try ForecastBinary.run(["train", "--grid", "--data", radar, "--output", "linear", "--in-frames", "4", "--out-frames", "3",
                                        "--hidden", "6", "--layers", "1", "--patch", "4", "--epochs", "1", "--out", dir + "/g.safetensors", "--quiet"])
        XCTAssertEqual(g.status, 0, g.stderr)
        // A bad choice is a usage error naming the choices, for every typed option.
        for (option, value, choice) in [("--model", "transformer", "seq2seq"), ("--loss", "l3", "quantile"), ("--missing", "guess", "interpolate"),
                                        ("--attention", "dot", "luong"), ("--gaps", "fill", "reindex"), ("--cell", "lstmx", "gru"),
                                        ("--output", "sigmoid", "softplus"), ("--transform", "sqrt", "log1p"), ("--bridge", "mlp", "identity")] {
            let r = try ForecastBinary.run(["train", "--data", air, "--target", "value", option, value, "--out", dir + "/x.safetensors"])
            XCTAssertEqual(r.status, 2, "\(option) \(value): \(r.stderr)")
            XCTAssert(r.stderr.contains(choice), "\(option) \(value): the error names the choices: \(r.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/x.safetensors"))
    }
}
