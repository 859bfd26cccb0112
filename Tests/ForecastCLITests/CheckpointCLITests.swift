import Foundation
import XCTest
import Forecast
import _TestSupport

/// Every model family checkpoints through the one trainer: `forecast train --checkpoint-dir`
/// killed with SIGKILL after its first checkpoint, then `--resume`, ends with the weights of an
/// uninterrupted run, byte for byte.
final class CheckpointCLITests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = try ForecastBinary.temporaryDirectory("checkpoint") }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// The tensors of a model file, name by name (provenance such as timestamps differs between runs).
    func tensors(_ path: String) throws -> [String: [UInt8]] {
        let file = try SafeTensorsFile.read(path: path)
        var out: [String: [UInt8]] = [:]
        for (name, t) in file.tensors { out[name] = t.scalars.withUnsafeBytes { Array($0) } }
        return out
    }

    /// Starts `forecast args`, waits until `checkpoint` exists, then kills the process with
    /// SIGKILL. Returns whether the kill landed before the run ended.
    func trainAndKill(_ args: [String], checkpoint: String) throws -> Bool {
        let bin = try XCTUnwrap(ForecastBinary.path)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: bin)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: checkpoint) && p.isRunning && Date() < deadline { usleep(2_000) }
        let killed = p.isRunning
        if killed { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        return killed && p.terminationReason == .uncaughtSignal
    }

    func checkResumeIsExact(family: String, _ args: [String]) throws {
        let straight = dir + "/\(family)-straight.safetensors", resumed = dir + "/\(family)-resumed.safetensors"
        let ckDir = dir + "/\(family)-ck", ck = ckDir + "/checkpoint.safetensors"
        let a = try ForecastBinary.run(["train"] + args + ["--out", straight, "--quiet"])
        XCTAssertEqual(a.status, 0, "\(family): \(a.stderr)")
        let killed = try trainAndKill(["train"] + args + ["--out", dir + "/\(family)-never.safetensors", "--checkpoint-dir", ckDir, "--quiet"],
                                      checkpoint: ck)
        XCTAssert(FileManager.default.fileExists(atPath: ck), "\(family): no checkpoint was written")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/\(family)-never.safetensors") && killed,
                       "\(family): a killed run wrote its model")
        let b = try ForecastBinary.run(["train"] + args + ["--out", resumed, "--resume", ck, "--quiet"])
        XCTAssertEqual(b.status, 0, "\(family): \(b.stderr)")
        let x = try tensors(straight), y = try tensors(resumed)
        XCTAssertFalse(x.isEmpty)
        XCTAssertEqual(x.keys.sorted(), y.keys.sorted(), family)
        for (name, bytes) in x { XCTAssert(bytes == y[name], "\(family): tensor \(name) differs after kill -9 and resume (killed: \(killed))") }
        print("checkpoint test \(family): killed mid-run \(killed)")
    }

    func testRecurrentFamilyResumesExactlyAfterKill() throws {
        try checkResumeIsExact(family: "lstm", ["--model", "lstm", "--data", fixturePath("air_passengers.csv"), "--target", "value", "--epochs", "30",
                                                "--hidden", "32", "--workers", "2"])
    }

    func testSeq2SeqFamilyResumesExactlyAfterKill() throws {
        try checkResumeIsExact(family: "seq2seq", ["--data", fixturePath("air_passengers.csv"), "--target", "value", "--model", "seq2seq",
                                                   "--epochs", "12", "--hidden", "16", "--workers", "2"])
    }

    func testGridFamilyResumesExactlyAfterKill() throws {
        try checkResumeIsExact(family: "grid", ["--grid", "--data", fixturePath("radar_small.csv"), "--in-frames", "4", "--out-frames", "3",
                                                "--hidden", "6", "--layers", "1", "--patch", "4", "--epochs", "6", "--batch", "4", "--workers", "2"])
    }
}
