import Foundation
import XCTest
import _TestSupport

/// `train --span`: the windowed model trained on spans of consecutive windows.
final class SpanTrainingCLITests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = try ForecastBinary.temporaryDirectory("span") }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    let base = ["train", "--data", fixturePath("air_passengers.csv"), "--target", "value", "--model", "lstm", "--hidden", "8",
                "--epochs", "4", "--span", "6"]

    /// The model file is an ordinary windowed model (predict reads it), the same for 1 and 2
    /// workers, and differs from one trained without spans.
    func testSpanModelPredictsAndIsTheSameForAnyWorkerCount() throws {
        var forecasts: [String] = []
        for (name, extra) in [("w1", ["--workers", "1"]), ("w2", ["--workers", "2"]), ("plain", ["--workers", "1", "--span", "1"])] {
            let model = dir + "/\(name).safetensors"
            let train = try ForecastBinary.run(base + extra + ["--out", model])
            XCTAssertEqual(train.status, 0, train.stderr)
            let predict = try ForecastBinary.run(["predict", "--model", model, "--data", fixturePath("air_passengers.csv")])
            XCTAssertEqual(predict.status, 0, predict.stderr)
            XCTAssertFalse(predict.stdout.isEmpty)
            forecasts.append(predict.stdout)
            let inspect = try ForecastBinary.run(["inspect", model])
            XCTAssertEqual(inspect.stdout.contains("on spans of 6 windows"), name != "plain", inspect.stdout)
        }
        XCTAssertEqual(forecasts[0], forecasts[1], "1 and 2 workers give the same model")
        XCTAssertNotEqual(forecasts[0], forecasts[2], "spans of 6 train another model than spans of 1")
    }

    /// Truncated spans: the same model for 1 and 2 workers; inspect names the truncation.
    func testTruncatedSpansAreTheSameForAnyWorkerCount() throws {
        var forecasts: [String] = []
        for workers in ["1", "2"] {
            let model = dir + "/cut\(workers).safetensors"
            let train = try ForecastBinary.run(base + ["--span-truncation", "3", "--workers", workers, "--out", model])
            XCTAssertEqual(train.status, 0, train.stderr)
            let predict = try ForecastBinary.run(["predict", "--model", model, "--data", fixturePath("air_passengers.csv")])
            XCTAssertEqual(predict.status, 0, predict.stderr)
            forecasts.append(predict.stdout)
            let inspect = try ForecastBinary.run(["inspect", model])
            XCTAssertTrue(inspect.stdout.contains("on spans of 6 windows (gradients through 3 steps before each)"), inspect.stdout)
        }
        XCTAssertEqual(forecasts[0], forecasts[1])
    }

    func testRefusedWhereWindowsAreRescaledOneByOne() throws {
        let out = dir + "/bad.safetensors"
        let r = try ForecastBinary.run(base + ["--window-scaling", "robust", "--out", out])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("span"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "nothing written")
        let bidirectional = try ForecastBinary.run(base + ["--bidirectional", "--out", out])
        XCTAssertNotEqual(bidirectional.status, 0)
        XCTAssertTrue(bidirectional.stderr.contains("bidirectional"), bidirectional.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "nothing written")
        let alone = try ForecastBinary.run(base.filter { $0 != "--span" && $0 != "6" } + ["--span-truncation", "3", "--out", out])
        XCTAssertEqual(alone.status, 2)
        XCTAssertTrue(alone.stderr.contains("--span-truncation needs --span"), alone.stderr)
        let zero = try ForecastBinary.run(base + ["--span", "0", "--out", out])
        XCTAssertEqual(zero.status, 2)
        XCTAssertTrue(zero.stderr.contains("--span"), zero.stderr)
    }
}
