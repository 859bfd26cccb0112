import Foundation
import XCTest
import Forecast
import _TestSupport

/// Many series in one long-format file (`unique_id,ds,y`, made by
/// Benchmarks/ManySeries/generate_m5.py --series 12 --days 200 --seed 7): read without
/// options, sampled epochs, every series forecast in one pass.
final class ManySeriesCLITests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = try ForecastBinary.temporaryDirectory("many") }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func testLongFormatNeedsNoOptionsAndSampledEpochsAreWorkerIndependent() throws {
        let data = fixturePath("long_format_daily.csv")
        var hashes: [String] = []
        for workers in ["1", "3"] {
            let model = dir + "/m\(workers).safetensors"
            let train = try ForecastBinary.run(["train", "--data", data, "--out", model, "--horizon", "7", "--lookback", "14", "--hidden", "8",
                                                "--epochs", "3", "--windows-per-epoch", "100", "--workers", workers, "--json"])
            XCTAssertEqual(train.status, 0, train.stderr)
            hashes.append(try tensorsSHA(model))
        }
        XCTAssertEqual(hashes[0], hashes[1], "sampled epochs: same weights for 1 and 3 workers")

        let model = dir + "/m1.safetensors"
        let predict = try ForecastBinary.run(["predict", "--model", model, "--data", data])
        XCTAssertEqual(predict.status, 0, predict.stderr)
        let lines = predict.stdout.split(separator: "\n")
        XCTAssertEqual(lines.first, "unique_id,ds,value", "the long format's forecast layout")
        XCTAssertEqual(lines.count, 1 + 12 * 7, "every series, every step")
        XCTAssertEqual(Set(lines.dropFirst().map { $0.split(separator: ",")[0] }).count, 12)
        XCTAssertTrue(lines[1].hasPrefix("S00,2011-08-17,"), "\(lines[1])")

        // --target and --series-key still win over the defaults.
        let noKey = try ForecastBinary.run(["train", "--data", data, "--out", dir + "/x.safetensors", "--target", "nope", "--epochs", "1"])
        XCTAssertNotEqual(noKey.status, 0)
        XCTAssertTrue(noKey.stderr.contains("nope"), noKey.stderr)
    }

    /// SHA-256 of the tensor bytes of a model file (the data section after the JSON header).
    func tensorsSHA(_ path: String) throws -> String {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let n = bytes.prefix(8).enumerated().reduce(0) { $0 | (Int($1.element) << (8 * $1.offset)) }
        return SHA256.hex(Array(bytes.dropFirst(8 + n)))
    }
}
