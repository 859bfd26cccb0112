import Foundation
import XCTest
import Forecast
import ForecastExport
import _TestSupport

/// `forecast export --format onnx` checked against ONNX Runtime: every exported family on real
/// data, through real processes (train, export, predict) and ONNX Runtime in Python
/// (ort_compare.py). scripts/test.sh installs onnxruntime into `.venv-onnx`; without it the
/// comparison is skipped with the reason printed, except in CI, where it fails.
final class ONNXExportTests: XCTestCase {
    /// The Python with onnxruntime: `$FORECAST_ONNX_PYTHON`, else `.venv-onnx/bin/python`.
    static func python() throws -> String {
        let env = ProcessInfo.processInfo.environment
        let candidate = env["FORECAST_ONNX_PYTHON"] ?? packageRoot.appendingPathComponent(".venv-onnx/bin/python").path
        if FileManager.default.isExecutableFile(atPath: candidate), run(candidate, ["-c", "import onnxruntime, numpy"]).status == 0 {
            return candidate
        }
        let reason = "no Python with onnxruntime at \(candidate) (scripts/test.sh installs it into .venv-onnx)"
        if env["CI"] == "true" { XCTFail("CI must run the ONNX comparison: \(reason)") }
        print("skipped: \(reason)")
        throw XCTSkip(reason)
    }

    static func run(_ exe: String, _ args: [String]) -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        do { try p.run() } catch { return (-1, "\(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func forecast(_ args: [String]) throws {
        let r = try ForecastBinary.run(args)
        XCTAssertEqual(r.status, 0, "forecast \(args.joined(separator: " ")): \(r.stderr)")
        if r.status != 0 { throw XCTSkip("command failed") }
    }

    /// Recurrent models of every cell, stacked, bidirectional, with covariates and each head
    /// (point, Gaussian, quantile), and seq2seq models (both attentions, the three bridges,
    /// LSTM and GRU decoders, known-future inputs) on four data sets: ONNX Runtime's forecasts
    /// equal `forecast predict` within 1e-4 of the target's standard deviation.
    func testExportsMatchPredictInONNXRuntime() throws {
        let python = try Self.python()
        let dir = try ForecastBinary.temporaryDirectory("onnx")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let quick = ["--hidden", "16", "--patience", "0", "--seed", "7"]
        let models: [(name: String, data: String, args: [String])] = [
            ("air-lstm", "air_passengers.csv", ["--target", "value", "--model", "lstm"]),
            ("air-rnn-relu", "air_passengers.csv", ["--target", "value", "--model", "rnn_relu", "--loss", "mae"]),
            ("sunspots-gru-stacked-quantile", "sunspots_monthly.csv",
             ["--target", "value", "--model", "gru", "--layers", "2", "--lookback", "24", "--horizon", "6", "--loss", "quantile"]),
            ("seattle-rnn-bidirectional-gaussian", "seattle_weather_daily.csv",
             ["--target", "temp_max", "--features", "temp_min,wind", "--model", "rnn", "--bidirectional", "--loss", "gaussian"]),
            ("elec-lstm-stacked-bidirectional", "elecdemand_halfhourly.csv",
             ["--target", "Demand", "--features", "Temperature", "--known-future", "WorkDay", "--model", "lstm", "--layers", "2",
              "--bidirectional", "--lookback", "24", "--horizon", "4", "--loss", "huber", "--epochs", "1"]),
            // seq2seq: additive attention, identity bridge, GRU encoder and decoder feeding back its forecasts.
            ("air-seq2seq-additive", "air_passengers.csv", ["--target", "value", "--model", "seq2seq", "--cell", "gru"]),
            // Luong attention, bidirectional stacked LSTM encoder (sum bridge), known-future input, Gaussian head.
            ("elec-seq2seq-luong", "elecdemand_halfhourly.csv",
             ["--target", "Demand", "--features", "Temperature", "--known-future", "WorkDay", "--model", "seq2seq", "--attention", "luong",
              "--layers", "2", "--bidirectional", "--lookback", "24", "--horizon", "6", "--loss", "gaussian", "--epochs", "1"]),
            // Linear bridge (encoder and decoder sizes differ), quantile head.
            ("sunspots-seq2seq-linear-bridge", "sunspots_monthly.csv",
             ["--target", "value", "--model", "seq2seq", "--decoder-hidden", "8", "--lookback", "24", "--horizon", "6", "--loss", "quantile"]),
        ]
        var manifest: [[String: Any]] = []
        for m in models {
            let data = fixturePath(m.data)
            let model = "\(dir)/\(m.name).safetensors", onnx = "\(dir)/\(m.name).onnx", pred = "\(dir)/\(m.name).csv"
            let epochs = m.args.contains("--epochs") ? [] : ["--epochs", "2"]
            try forecast(["train", "--data", data, "--out", model] + quick + epochs + m.args)
            try forecast(["export", "--model", model, "--format", "onnx", "--out", onnx])
            try forecast(["predict", "--model", model, "--data", data, "--out", pred])
            manifest.append(["kind": "predict", "name": m.name, "onnx": onnx, "data": data, "predict_csv": pred, "tolerance": 1e-4])
        }
        try compare(manifest, python: python, dir: dir)
    }

    /// ConvLSTM nowcasters (patch 4, one layer, softplus, linear scaling: the fixture; patch 2,
    /// two layers, log1p scaling, trained here) on radar_small: ONNX Runtime equals the
    /// library's forecast within 1e-4 of the rain's standard deviation, and `forecast predict`'s
    /// CSV within that plus the 3 decimals it prints.
    func testNowcasterExportsMatchPredict() throws {
        let python = try Self.python()
        let dir = try ForecastBinary.temporaryDirectory("onnx-grid")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let radar = fixturePath("radar_small.csv")
        let trained = "\(dir)/grid2.safetensors"
        try forecast(["train", "--grid", "--data", radar, "--in-frames", "4", "--out-frames", "3", "--hidden", "4", "--layers", "2",
                      "--patch", "2", "--transform", "log1p", "--epochs", "1", "--batch", "4", "--out", trained])
        var manifest: [[String: Any]] = []
        for (name, model) in [("legacy-nowcast-patch4", fixturePath("models/legacy-nowcast.safetensors")), ("nowcast-2-layers-log1p", trained)] {
            let onnx = "\(dir)/\(name).onnx", pred = "\(dir)/\(name).csv"
            try forecast(["export", "--model", model, "--format", "onnx", "--out", onnx])
            try forecast(["predict", "--model", model, "--data", radar, "--out", pred])
            guard case .nowcast(let nowcaster) = try AnyModel.load(from: model) else { return XCTFail("\(model) is not a nowcaster") }
            let expected = try nowcaster.predict(GridData.read(path: radar, values: nil)).frames
            manifest.append(["kind": "grid", "name": name, "onnx": onnx, "data": radar, "predict_csv": pred, "tolerance": 1e-4,
                             "printed_resolution": 0.0005, "expected": expected])
        }
        try compare(manifest, python: python, dir: dir)
    }

    /// The network alone (``ONNXExport/regressor(_:params:length:)``) for both readouts (last
    /// step and every step), stacked and bidirectional, LSTM, GRU and RNN: ONNX Runtime equals
    /// ``SequenceRegressor/forward`` within 1e-5.
    func testRegressorReadoutsMatchForward() throws {
        let python = try Self.python()
        let dir = try ForecastBinary.temporaryDirectory("onnx-regressor")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var manifest: [[String: Any]] = []
        let configs: [(String, RecurrentConfig, SequenceRegressor.Readout)] = [
            ("lstm-2-every-step", RecurrentConfig(cell: .lstm, inputSize: 3, hiddenSize: 8, numLayers: 2), .everyStep),
            ("gru-bi-every-step", RecurrentConfig(cell: .gru, inputSize: 3, hiddenSize: 8, numLayers: 2, bidirectional: true), .everyStep),
            ("gru-bi-last", RecurrentConfig(cell: .gru, inputSize: 3, hiddenSize: 8, numLayers: 1, bidirectional: true), .last),
            ("rnn-relu-last", RecurrentConfig(cell: .rnnRelu, inputSize: 3, hiddenSize: 8, numLayers: 2), .last),
        ]
        let B = 3, T = 7
        for (name, rc, readout) in configs {
            let model = SequenceRegressor(.init(recurrent: rc, outputs: 2, readout: readout))
            var rng = SeededGenerator(seed: 11)
            let params = model.makeParameters(rng: &rng)
            let x = randomArray(B * T * rc.inputSize, &rng)
            let ws = SequenceRegressor.Workspace(model: model, batch: B, length: T)
            let pred = x.withUnsafeBufferPointer { model.forward($0.baseAddress!, workspace: ws, params: params, rng: &rng) }
            let expected = Array(UnsafeBufferPointer(start: pred.pointer, count: B * model.predictionCount(length: T)))
            let path = "\(dir)/\(name).onnx"
            try AtomicFile.write([UInt8](try ONNXExport.regressor(model, params: params, length: T).serializedData()), to: path)
            manifest.append(["kind": "tensor", "name": name, "onnx": path, "x": x, "x_shape": [B, T, rc.inputSize],
                             "expected": expected, "output": "pred", "tolerance": 1e-5])
        }
        try compare(manifest, python: python, dir: dir)
    }

    func compare(_ manifest: [[String: Any]], python: String, dir: String) throws {
        let path = "\(dir)/manifest.json"
        try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: path))
        let script = packageRoot.appendingPathComponent("Tests/ForecastExportTests/ort_compare.py").path
        let r = Self.run(python, [script, path])
        print(r.output, terminator: "")
        XCTAssertEqual(r.status, 0, "ONNX Runtime disagrees with forecast:\n\(r.output)")
    }

    /// What ONNX cannot express is refused with the reason and writes nothing.
    func testUnsupportedModelsAreRefusedWithTheReason() throws {
        let dir = try ForecastBinary.temporaryDirectory("onnx-refuse")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = "\(dir)/leaky.safetensors"
        try forecast(["train", "--data", fixturePath("air_passengers.csv"), "--target", "value", "--model", "leaky-rnn",
                      "--epochs", "1", "--hidden", "8", "--out", model])
        let r = try ForecastBinary.run(["export", "--model", model, "--format", "onnx", "--out", "\(dir)/leaky.onnx"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("leaky"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/leaky.onnx"))
        let same = try ForecastBinary.run(["export", "--model", model, "--format", "onnx", "--out", model])
        XCTAssertEqual(same.status, 2, "exporting over the model file must be refused: \(same.stderr)")
        // A window-scaled model (robust median and spread per window) is refused with its reason.
        let scaled = "\(dir)/scaled.safetensors"
        try forecast(["train", "--data", fixturePath("air_passengers.csv"), "--target", "value", "--model", "lstm",
                      "--window-scaling", "robust", "--epochs", "1", "--hidden", "8", "--out", scaled])
        let w = try ForecastBinary.run(["export", "--model", scaled, "--format", "onnx", "--out", "\(dir)/scaled.onnx"])
        XCTAssertEqual(w.status, 1)
        XCTAssertTrue(w.stderr.contains("window scaling"), w.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/scaled.onnx"))
    }
}
