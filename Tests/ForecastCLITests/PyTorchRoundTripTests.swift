import Foundation
import XCTest
import _TestSupport

/// Examples/pytorch-roundtrip/roundtrip.py, both ways, where Python has torch and safetensors
/// (`$FORECAST_TORCH_PYTHON`, else `python3`); skipped with the reason printed elsewhere (CI does
/// not install torch).
final class PyTorchRoundTripTests: XCTestCase {
    func python() throws -> String {
        let python = ProcessInfo.processInfo.environment["FORECAST_TORCH_PYTHON"] ?? "/usr/bin/env"
        let args = python == "/usr/bin/env" ? ["python3", "-c", "import torch, safetensors, numpy"] : ["-c", "import torch, safetensors, numpy"]
        if run(python, args).status != 0 {
            let reason = "no Python with torch and safetensors (set FORECAST_TORCH_PYTHON; CI does not install torch)"
            print("skipped: \(reason)")
            throw XCTSkip(reason)
        }
        return python
    }

    func run(_ exe: String, _ args: [String]) -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe; p.standardError = pipe
        do { try p.run() } catch { return (-1, "\(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func script(_ python: String, _ args: [String]) -> (status: Int32, output: String) {
        let path = packageRoot.appendingPathComponent("Examples/pytorch-roundtrip/roundtrip.py").path
        return python == "/usr/bin/env" ? run(python, ["python3", path] + args) : run(python, [path] + args)
    }

    /// forecast → PyTorch: LSTM and GRU model files load into torch.nn with strict=True and
    /// reproduce `forecast predict` within 1e-5 of the data's standard deviation.
    /// PyTorch → forecast: an nn.LSTM trained in PyTorch, saved by the script, is read by
    /// `forecast predict`, whose forecast equals PyTorch's within 1e-5 of the std.
    func testBothDirections() throws {
        let python = try python()
        let dir = try ForecastBinary.temporaryDirectory("torch")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let air = fixturePath("air_passengers.csv")
        for cell in ["lstm", "gru"] {
            let model = "\(dir)/\(cell).safetensors", pred = "\(dir)/\(cell).csv"
            let t = try ForecastBinary.run(["train", "--data", air, "--target", "value", "--model", cell, "--layers", "2", "--hidden", "16",
                                            "--epochs", "3", "--out", model])
            XCTAssertEqual(t.status, 0, t.stderr)
            let p = try ForecastBinary.run(["predict", "--model", model, "--data", air, "--out", pred])
            XCTAssertEqual(p.status, 0, p.stderr)
            let r = script(python, ["load", model, air, pred])
            print(r.output, terminator: "")
            XCTAssertEqual(r.status, 0, r.output)
        }
        let torchModel = "\(dir)/torch.safetensors"
        let r = script(python, ["train", air, "value", torchModel, "--time-column", "time", "--frequency", "1:month"])
        XCTAssertEqual(r.status, 0, r.output)
        let p = try ForecastBinary.run(["predict", "--model", torchModel, "--data", air])
        XCTAssertEqual(p.status, 0, p.stderr)
        let ours = p.stdout.split(separator: "\n").dropFirst().compactMap { $0.split(separator: ",").last.flatMap { Double($0) } }
        let theirs = try String(contentsOfFile: torchModel + ".torch.csv", encoding: .utf8).components(separatedBy: .newlines).dropFirst()
            .compactMap { $0.split(separator: ",").last.flatMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) } }
        XCTAssertEqual(ours.count, 12)
        XCTAssertEqual(theirs.count, 12)
        let values = try String(contentsOfFile: air, encoding: .utf8).split(separator: "\n").dropFirst().compactMap { $0.split(separator: ",").last.flatMap { Double($0) } }
        let mean = values.reduce(0, +) / Double(values.count)
        let std = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)).squareRoot()
        let worst = zip(ours, theirs).map { abs($0 - $1) }.max() ?? .infinity
        print("torch->forecast: max difference \(worst / std) of the std")
        XCTAssertLessThan(worst / std, 1e-5, "forecast predict \(ours) vs PyTorch \(theirs)")
    }
}
