import Foundation
import XCTest

/// Runs the built `forecast` executable as a real process: `$FORECAST_BIN`, else
/// `.build/release/forecast` (what scripts/test.sh builds), else `.build/debug/forecast`.
public enum ForecastBinary {
    public struct Result {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    public static var path: String? {
        if let p = ProcessInfo.processInfo.environment["FORECAST_BIN"] { return p }
        for config in ["release", "debug"] {
            let p = packageRoot.appendingPathComponent(".build/\(config)/forecast").path
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    /// Runs `forecast args...` in `directory` (default: the package root) and waits.
    public static func run(_ args: [String], in directory: String? = nil, environment: [String: String] = [:],
                           file: StaticString = #filePath, line: UInt = #line) throws -> Result {
        guard let bin = path else {
            XCTFail("no forecast binary: run scripts/test.sh (it builds .build/release/forecast) or set FORECAST_BIN", file: file, line: line)
            throw XCTSkip("no binary")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: bin)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: directory ?? packageRoot.path)
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v.isEmpty ? nil : v }   // "" removes a variable
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Read both pipes while the process runs so a full pipe never blocks it.
        final class Box: @unchecked Sendable { var data = Data() }
        let outBox = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { outBox.data = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        let outData = outBox.data
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    /// A fresh temporary folder, removed by the caller.
    public static func temporaryDirectory(_ name: String) throws -> String {
        let dir = NSTemporaryDirectory() + "forecast-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
}
