import Foundation
import XCTest
import Forecast
import _TestSupport

/// Static covariates, per-series scaling and the long-format forecast from the command line, on
/// Fixtures/statics/ (the 12-series long-format fixture with three static columns added:
/// region (text), size (number), store (a number read as a category), and its generator's
/// static file `unique_id,category`).
final class StaticsCLITests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = try ForecastBinary.temporaryDirectory("statics") }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    let small = ["--model", "lstm", "--horizon", "7", "--lookback", "14", "--hidden", "8", "--epochs", "2", "--windows-per-epoch", "120"]

    func testStaticsTrainPredictEvaluateAndAreWorkerIndependent() throws {
        let data = fixturePath("statics/long_with_statics.csv"), file = fixturePath("statics/long_format_daily.static.csv")
        var hashes: [String] = []
        for workers in ["1", "2", "3"] {
            let model = dir + "/m\(workers).safetensors"
            let train = try ForecastBinary.run(["train", "--data", data, "--out", model, "--static", "region,size,store:cat",
                                                "--static-file", file, "--workers", workers] + small)
            XCTAssertEqual(train.status, 0, train.stderr)
            hashes.append(try tensorsSHA(model))
        }
        XCTAssertEqual(Set(hashes).count, 1, "same weights for 1, 2 and 3 workers")
        let model = dir + "/m1.safetensors"
        let inspect = try ForecastBinary.run(["inspect", model])
        XCTAssert(inspect.stdout.contains("HOUSEHOLD_2") || inspect.stdout.contains("category"), "the vocabulary is in the model file: \(inspect.stdout)")

        let predict = try ForecastBinary.run(["predict", "--model", model, "--data", data, "--static-file", file])
        XCTAssertEqual(predict.status, 0, predict.stderr)
        let lines = predict.stdout.split(separator: "\n")
        XCTAssertEqual(lines.first, "unique_id,ds,value")
        XCTAssertEqual(lines.count, 1 + 12 * 7)

        // The static file is needed again; an unseen region reads the unknown row, with a note.
        let noFile = try ForecastBinary.run(["predict", "--model", model, "--data", data])
        XCTAssertNotEqual(noFile.status, 0)
        XCTAssert(noFile.stderr.contains("--static-file"), noFile.stderr)
        let unseen = try ForecastBinary.run(["predict", "--model", model, "--data", fixturePath("statics/long_with_statics_unseen.csv"), "--static-file", file])
        XCTAssertEqual(unseen.status, 0, unseen.stderr)
        XCTAssert(unseen.stderr.contains("1 series have a static category the model never saw"), unseen.stderr)
        XCTAssertEqual(unseen.stdout.split(separator: "\n").count, 1 + 12 * 7)

        let eval = try ForecastBinary.run(["evaluate", "--model", model, "--data", data, "--static-file", file, "--json"])
        XCTAssertEqual(eval.status, 0, eval.stderr)
    }

    func testAStaticThatChangesIsAnErrorNamingLineAndColumn() throws {
        let r = try ForecastBinary.run(["train", "--data", fixturePath("statics/static_changes.csv"), "--out", dir + "/x.safetensors",
                                        "--static", "region"] + small)
        XCTAssertNotEqual(r.status, 0)
        XCTAssert(r.stderr.contains("static_changes.csv:652:4: static column 'region' changes within series 'S03'"), r.stderr)
        let auto = try ForecastBinary.run(["train", "--data", fixturePath("statics/long_with_statics.csv"), "--out", dir + "/y.safetensors",
                                           "--model", "auto", "--static", "region"])
        XCTAssertEqual(auto.status, 2, "statics need a recurrent model: \(auto.stderr)")
    }

    /// Several series get per-series scaling by default (stored in the model file), --scaler-scope
    /// global turns it off; the long-format forecast carries the interval columns.
    func testScalerScopeAndLongFormatIntervals() throws {
        let data = fixturePath("long_format_daily.csv")
        let series = dir + "/series.safetensors", global = dir + "/global.safetensors"
        let a = try ForecastBinary.run(["train", "--data", data, "--out", series, "--intervals", "conformal"] + small)
        XCTAssertEqual(a.status, 0, a.stderr)
        let b = try ForecastBinary.run(["train", "--data", data, "--out", global, "--intervals", "conformal", "--scaler-scope", "global"] + small)
        XCTAssertEqual(b.status, 0, b.stderr)
        XCTAssertNotEqual(try tensorsSHA(series), try tensorsSHA(global))
        XCTAssert(try modelHeader(series).contains("seriesScaling"))
        XCTAssertFalse(try modelHeader(global).contains("seriesScaling"))
        let p = try ForecastBinary.run(["predict", "--model", series, "--data", data, "--level", "80"])
        XCTAssertEqual(p.status, 0, p.stderr)
        let lines = p.stdout.split(separator: "\n")
        XCTAssertEqual(lines.first, "unique_id,ds,value,lo-80,hi-80")
        for line in lines.dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            let v = Float(f[2])!, lo = Float(f[3])!, hi = Float(f[4])!
            XCTAssert(lo <= v && v <= hi, String(line))
        }
        // An explicit --series-key keeps the wide layout (named after the columns).
        let wide = try ForecastBinary.run(["predict", "--model", series, "--data", data, "--series-key", "unique_id"])
        XCTAssertEqual(wide.stdout.split(separator: "\n").first, "unique_id,ds,y")
        let eval = try ForecastBinary.run(["evaluate", "--model", series, "--data", data, "--json"])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        let export = try ForecastBinary.run(["export", "--model", series, "--out", dir + "/m.onnx"])
        XCTAssertNotEqual(export.status, 0)
        XCTAssert(export.stderr.contains("--scaler-scope global"), export.stderr)
    }

    func modelHeader(_ path: String) throws -> String {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let n = bytes.prefix(8).enumerated().reduce(0) { $0 | (Int($1.element) << (8 * $1.offset)) }
        return String(decoding: bytes.dropFirst(8).prefix(n), as: UTF8.self)
    }

    /// SHA-256 of the tensor bytes of a model file (the data section after the JSON header).
    func tensorsSHA(_ path: String) throws -> String {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let n = bytes.prefix(8).enumerated().reduce(0) { $0 | (Int($1.element) << (8 * $1.offset)) }
        return SHA256.hex(Array(bytes.dropFirst(8 + n)))
    }
}
