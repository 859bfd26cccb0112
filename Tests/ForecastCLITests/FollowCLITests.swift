import Foundation
import XCTest
import _TestSupport

/// `forecast predict --follow`: a real process fed new rows through a pipe.
final class FollowCLITests: XCTestCase {
    /// Warm on the first 120 months of air_passengers, then pipe the last 24 rows one at a time
    /// (waiting for each forecast before writing the next row): one forecast block per row,
    /// printed as soon as its row arrives, and the last block equals `forecast predict` on the
    /// whole file.
    func testFollowPrintsAForecastPerPipedRow() throws {
        guard let bin = ForecastBinary.path else { XCTFail("no forecast binary"); return }
        let dir = try ForecastBinary.temporaryDirectory("follow")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let air = fixturePath("air_passengers.csv")
        let model = dir + "/air.safetensors"
        let train = try ForecastBinary.run(["train", "--data", air, "--target", "value", "--model", "lstm", "--out", model, "--epochs", "3", "--hidden", "16",
                                            "--horizon", "3"])
        XCTAssertEqual(train.status, 0, train.stderr)
        let lines = try String(contentsOfFile: air, encoding: .utf8).split(separator: "\n").map(String.init)
        let head = dir + "/head.csv"
        try (lines[0...120].joined(separator: "\n") + "\n").write(toFile: head, atomically: true, encoding: .utf8)
        let newRows = Array(lines[121...])
        XCTAssertEqual(newRows.count, 24)

        let p = Process()
        p.executableURL = URL(fileURLWithPath: bin)
        p.arguments = ["predict", "--model", model, "--data", head, "--follow"]
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        p.standardInput = stdin; p.standardOutput = stdout; p.standardError = stderr
        try p.run()
        let reader = LineReader(stdout.fileHandleForReading)
        let header = try XCTUnwrap(reader.next(timeout: 60), "no header")
        XCTAssertEqual(header, "origin,time,value")
        var blocks: [[String]] = []
        for row in newRows {
            stdin.fileHandleForWriting.write(Data((row + "\n").utf8))
            // The forecast for this row must arrive while the pipe is still open.
            var block: [String] = []
            for _ in 0..<3 { block.append(try XCTUnwrap(reader.next(timeout: 30), "no forecast for row \(row)")) }
            blocks.append(block)
        }
        try stdin.fileHandleForWriting.close()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
        XCTAssertEqual(blocks.count, 24)
        let origin = newRows.last!.split(separator: ",")[1]
        XCTAssertTrue(blocks.last!.allSatisfy { $0.hasPrefix(origin + ",") }, "\(blocks.last!)")

        let whole = try ForecastBinary.run(["predict", "--model", model, "--data", air])
        XCTAssertEqual(whole.status, 0, whole.stderr)
        let expected = whole.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: ",").last.map(String.init) ?? "" }
        let got = blocks.last!.map { $0.split(separator: ",").last.map(String.init) ?? "" }
        XCTAssertEqual(got, Array(expected), "the last streamed forecast vs predict on the whole file")

        // A bad row names stdin, the line and the column, and exits 1.
        let bad = Process()
        bad.executableURL = URL(fileURLWithPath: bin)
        bad.arguments = ["predict", "--model", model, "--data", head, "--follow"]
        let badIn = Pipe(), badErr = Pipe()
        bad.standardInput = badIn; bad.standardOutput = Pipe(); bad.standardError = badErr
        try bad.run()
        badIn.fileHandleForWriting.write(Data("122,1959.08333333333,lots\n".utf8))
        try badIn.fileHandleForWriting.close()
        bad.waitUntilExit()
        let message = String(decoding: badErr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(bad.terminationStatus, 1)
        XCTAssertTrue(message.contains("<stdin>:1:3") && message.contains("lots"), message)
    }
}

extension FollowCLITests {
    /// A model trained with --no-level-norm streams with a carried state: warmed on 11 rows,
    /// then fed the 12th (lookback 12) through the pipe, its forecast is exactly
    /// `forecast predict` on the first 12 rows.
    func testFollowWithCarriedStateEqualsPredictAtLookback() throws {
        guard let bin = ForecastBinary.path else { XCTFail("no forecast binary"); return }
        let dir = try ForecastBinary.temporaryDirectory("follow-state")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let air = fixturePath("air_passengers.csv")
        let model = dir + "/air.safetensors"
        let train = try ForecastBinary.run(["train", "--data", air, "--target", "value", "--model", "lstm", "--out", model, "--epochs", "2", "--hidden", "16",
                                            "--layers", "2", "--lookback", "12", "--horizon", "3", "--no-level-norm"])
        XCTAssertEqual(train.status, 0, train.stderr)
        let lines = try String(contentsOfFile: air, encoding: .utf8).split(separator: "\n").map(String.init)
        try (lines[0...11].joined(separator: "\n") + "\n").write(toFile: dir + "/warm.csv", atomically: true, encoding: .utf8)
        try (lines[0...12].joined(separator: "\n") + "\n").write(toFile: dir + "/twelve.csv", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: bin)
        p.arguments = ["predict", "--model", model, "--data", dir + "/warm.csv", "--follow"]
        let stdin = Pipe(), stdout = Pipe()
        p.standardInput = stdin; p.standardOutput = stdout; p.standardError = Pipe()
        try p.run()
        stdin.fileHandleForWriting.write(Data((lines[12] + "\n").utf8))
        try stdin.fileHandleForWriting.close()
        let out = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        let streamed = out.split(separator: "\n").dropFirst().map { $0.split(separator: ",").last.map(String.init) ?? "" }
        let direct = try ForecastBinary.run(["predict", "--model", model, "--data", dir + "/twelve.csv"])
        XCTAssertEqual(direct.status, 0, direct.stderr)
        XCTAssertEqual(streamed, direct.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: ",").last.map(String.init) ?? "" })
        XCTAssertEqual(streamed.count, 3)
    }
}

/// Reads lines from a pipe with a timeout (the test never hangs on a silent process).
final class LineReader: @unchecked Sendable {
    private let handle: FileHandle
    private var buffer = Data()
    private let lock = NSCondition()
    private var closed = false

    init(_ handle: FileHandle) {
        self.handle = handle
        Thread.detachNewThread { [self] in
            while true {
                let chunk = handle.availableData
                lock.lock()
                if chunk.isEmpty { closed = true } else { buffer.append(chunk) }
                lock.broadcast()
                lock.unlock()
                if chunk.isEmpty { return }
            }
        }
    }

    func next(timeout: TimeInterval) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        lock.lock()
        defer { lock.unlock() }
        while true {
            if let i = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[buffer.startIndex..<i], as: UTF8.self)
                buffer.removeSubrange(buffer.startIndex...i)
                return line
            }
            if closed || !lock.wait(until: deadline) { return nil }
        }
    }
}
