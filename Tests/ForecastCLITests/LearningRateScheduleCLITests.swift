import Foundation
import XCTest
import _TestSupport

/// `train --lr-schedule`: the schedule reaches the trainer (the learning rate of every epoch in
/// `--json` follows it) and a wrong name is refused before anything is written.
final class LearningRateScheduleCLITests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = try ForecastBinary.temporaryDirectory("lrschedule") }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// The `lr` of each epoch event, in order.
    func learningRates(_ stdout: String) throws -> [Double] {
        try stdout.split(separator: "\n").compactMap { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            guard object?["event"] as? String == "epoch" else { return nil }
            return object?["lr"] as? Double
        }
    }

    func testScheduleSetsEveryEpochsLearningRate() throws {
        let base = ["train", "--data", fixturePath("air_passengers.csv"), "--target", "value", "--model", "lstm", "--hidden", "8",
                    "--epochs", "6", "--patience", "0", "--lr", "0.004", "--json"]
        let constant = try ForecastBinary.run(base + ["--out", dir + "/c.safetensors"])
        XCTAssertEqual(constant.status, 0, constant.stderr)
        XCTAssertEqual(try learningRates(constant.stdout).map { Float($0) }, Array(repeating: Float(0.004), count: 6))

        // cosine: 2 warm-up epochs (lr/3, 2lr/3), then lr, falling to 5% of it at the last epoch.
        let cosine = try ForecastBinary.run(base + ["--lr-schedule", "cosine", "--out", dir + "/k.safetensors"])
        XCTAssertEqual(cosine.status, 0, cosine.stderr)
        let rates = try learningRates(cosine.stdout)
        XCTAssertEqual(rates.count, 6)
        XCTAssertEqual(rates[0], 0.004 / 3, accuracy: 1e-7)
        XCTAssertEqual(rates[1], 0.008 / 3, accuracy: 1e-7)
        XCTAssertEqual(rates[2], 0.004, accuracy: 1e-7)
        XCTAssertEqual(rates[5], 0.004 * 0.05, accuracy: 1e-7)
        XCTAssertTrue(zip(rates[2...], rates[3...]).allSatisfy { $0 > $1 }, "decays after the warm-up: \(rates)")

        let bad = try ForecastBinary.run(base + ["--lr-schedule", "sometimes", "--out", dir + "/bad.safetensors"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("--lr-schedule"), bad.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/bad.safetensors"), "nothing written")
    }
}
