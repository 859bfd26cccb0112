import Foundation
import XCTest
import _TestSupport

/// `forecast predict`'s CSV bytes are pinned: the files in Fixtures/manyseries were written by
/// main at c2a7c28 (CSV rendered through `String(format: "%.6g")` per value, before the byte
/// writer); today's output must equal them byte for byte (Fixtures/manyseries/README.md).
final class PredictOutputBytesTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = try ForecastBinary.temporaryDirectory("predict-bytes") }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    /// The long format (`unique_id,ds,value`), to standard output and with --out.
    func testLongFormatPredictIsByteIdentical() throws {
        let model = fixturePath("manyseries/long-format-conformal.safetensors")
        let expected = try bytes(fixturePath("manyseries/long-format.predict.csv"))
        let r = try ForecastBinary.run(["predict", "--model", model, "--data", fixturePath("long_format_daily.csv")])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(Data(r.stdout.utf8), expected)
        let out = dir + "/p.csv"
        let w = try ForecastBinary.run(["predict", "--model", model, "--data", fixturePath("long_format_daily.csv"), "--out", out])
        XCTAssertEqual(w.status, 0, w.stderr)
        XCTAssertEqual(try bytes(out), expected)
    }

    /// Interval columns lo-95, lo-80, hi-80, hi-95 (conformal).
    func testLevelColumnsAreByteIdentical() throws {
        let out = dir + "/p.csv"
        let r = try ForecastBinary.run(["predict", "--model", fixturePath("manyseries/long-format-conformal.safetensors"),
                                        "--data", fixturePath("long_format_daily.csv"), "--level", "80,95", "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try bytes(out), try bytes(fixturePath("manyseries/long-format-conformal.predict.csv")))
    }

    /// A keyed wide file, two targets, Gaussian head (<target>_lower, <target>_upper), ISO times.
    func testKeyedTwoTargetGaussianIsByteIdentical() throws {
        let r = try ForecastBinary.run(["predict", "--model", fixturePath("manyseries/nyc-gaussian.safetensors"),
                                        "--data", fixturePath("nyc_weather_hourly.csv"), "--series-key", "origin"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(Data(r.stdout.utf8), try bytes(fixturePath("manyseries/nyc-gaussian.predict.csv")))
    }

    /// 1,100 series: rendered in parts on the worker pool and joined in order.
    func testManySeriesPartsAreByteIdentical() throws {
        let out = dir + "/p.csv"
        let r = try ForecastBinary.run(["predict", "--model", fixturePath("manyseries/long-1100.safetensors"),
                                        "--data", fixturePath("manyseries/long_1100.csv"), "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try bytes(out), try bytes(fixturePath("manyseries/long-1100.predict.csv")))
    }
}
