import Foundation
import XCTest
import Forecast
import _TestSupport

/// `kill -9` at spread-out moments of `forecast train --out M` (reading, training, writing)
/// must leave M either as the old model or as a complete new one, never torn; the temporary
/// files of killed writes are removed by the next run that writes into the folder. The
/// moments come from a fixed list; the assertions hold whenever the kill lands.
final class KillDuringTrainTests: XCTestCase {
    func testKillNineLeavesOldOrNewModelAndNextRunCleansTemporaries() throws {
        guard let bin = ForecastBinary.path else { throw XCTSkip("no forecast binary") }
        let dir = try ForecastBinary.temporaryDirectory("kill")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = dir + "/m.safetensors"
        let args = ["train", "--model", "lstm", "--data", fixturePath("air_passengers.csv"), "--target", "value", "--out", model, "--hidden", "8", "--quiet"]
        let first = try ForecastBinary.run(args + ["--epochs", "1"], in: dir)
        XCTAssertEqual(first.status, 0, first.stderr)
        var current = try Data(contentsOf: URL(fileURLWithPath: model))
        // A fake temporary of a dead writer (PID 2^22 + 1 is above Linux's default pid_max).
        let stale = model + ".tmp-4194305-77"
        FileManager.default.createFile(atPath: stale, contents: Data([1, 2, 3]))
        for (i, delay) in [0.02, 0.15, 0.3, 0.45, 0.6, 0.8, 1.0, 1.3].enumerated() {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: bin)
            p.arguments = args + ["--epochs", "\(3 + i)", "--seed", "\(i)"]
            p.currentDirectoryURL = URL(fileURLWithPath: dir)
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            Thread.sleep(forTimeInterval: delay)
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            let now = try Data(contentsOf: URL(fileURLWithPath: model))
            if now != current {
                XCTAssertNoThrow(try Forecaster.load(from: model), "after a kill at \(delay) s the file is a complete new model")
                current = now
            }
            XCTAssertNoThrow(try Forecaster.load(from: model), "after a kill at \(delay) s the model still loads")
        }
        let last = try ForecastBinary.run(args + ["--epochs", "1"], in: dir)
        XCTAssertEqual(last.status, 0, last.stderr)
        let left = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".tmp-") }
        XCTAssertEqual(left, [], "the next run removed the temporaries of killed runs")
    }
}
