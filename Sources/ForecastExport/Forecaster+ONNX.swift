import Foundation
import Forecast

extension Forecaster {
    /// This model as one ONNX graph that does what ``predict(_:)`` does after reading the file:
    ///
    ///     x [N, lookback, F]  raw inputs in data units, columns in `spec.inputNames` order
    ///       (calendar inputs as their sin/cos values, unscaled)
    ///     → (x - offset) / scale → level normalisation → LSTM/GRU/RNN layers → head
    ///     → levels added back → inverse scaling
    ///     → forecast [N, horizon, P] (and lower, upper [N, horizon, P] for interval losses)
    ///
    /// N is free: any number of windows per call. Throws ``ExportError/unsupported(model:reason:)``
    /// for what ONNX cannot express (leaky units, dilations; see docs/deploy.md).
    public func onnxModel(name: String = "model") throws -> Onnx_ModelProto {
        if spec.statics != nil || model.config.embeddings != nil {
            throw ExportError.unsupported(model: name, reason: "it reads static covariates through embeddings, which the exported graph does not carry")
        }
        if spec.seriesScaling != nil {
            throw ExportError.unsupported(model: name, reason: "it scales each series by its own factor (per-series scaling, the default for several series); train it with --scaler-scope global to export one graph for every series")
        }
        if spec.windowScaling != nil {
            throw ExportError.unsupported(model: name, reason: "it scales each window by its own median and spread (window scaling, the default for intermittent series), which the exported graph does not compute; train it with --window-scaling none to export it")
        }
        if let reason = ONNXGraphBuilder.unsupportedReason(spec.architecture.recurrent) {
            throw ExportError.unsupported(model: name, reason: reason)
        }
        guard spec.window.mode == .manyToOne, model.config.readout == .last else {
            throw ExportError.unsupported(model: name, reason: "a many-to-many forecaster has no predict; export its network with ONNXExport.regressor")
        }
        let T = spec.window.lookback, F = spec.inputNames.count, P = spec.window.targets.count, S = spec.window.horizon
        var g = ONNXGraphBuilder(name: "forecast_recurrent")
        g.input("x", dims: [nil, T, F])
        var xs = g.scaleInputs("x", names: spec.inputNames, scaler: spec.scaler)
        var levels: String?
        if spec.levelNormalization {
            let ln = g.levelNormalize(xs, lookback: T, features: F, targets: P)
            xs = ln.x; levels = ln.levels
        }
        let xt = g.op("Transpose", [xs], [ONNXAttribute.ints("perm", [1, 0, 2])])               // [T, N, F]
        let y = g.recurrent(model.rnn, params: params, input: xt)                               // [T, N, D*H]
        let last = g.op("Gather", [y, g.constant("last_step", int64: [Int64(T - 1)], shape: [])], [ONNXAttribute.int("axis", 0)])
        let raw = g.linear(model.head, params: params, input: last)                             // [N, K*S*P]
        let out = g.decodeOutputs(raw, loss: spec.loss, steps: S, targets: spec.window.targets, scaler: spec.scaler, levels: levels)
        g.output(out.forecast, as: "forecast", dims: [nil, S, P])
        if let lo = out.lower, let hi = out.upper {
            g.output(lo, as: "lower", dims: [nil, S, P])
            g.output(hi, as: "upper", dims: [nil, S, P])
        }
        return g.model(docString: "forecast recurrent regressor \(name): x [batch, \(T), \(F)] raw inputs -> forecast [batch, \(S), \(P)] in data units",
                       metadata: ONNXExport.seriesMetadata(family: .recurrent, inputs: spec.inputNames, targets: spec.window.targets,
                                                           lookback: T, horizon: S, loss: spec.loss))
    }
}

/// Writing models as ONNX files (`forecast export --format onnx`).
public enum ONNXExport {
    /// Converts the model file's model and writes `out` atomically; refuses to overwrite the
    /// model file itself.
    public static func export(_ model: AnyModel, name: String, to out: String) throws {
        let proto: Onnx_ModelProto
        switch model {
        case .recurrent(let m): proto = try m.onnxModel(name: name)
        case .seq2seq(let m): proto = try m.onnxModel(name: name)
        case .nowcast(let m): proto = try m.onnxModel(name: name)
        case .autoregressive:
            throw ExportError.unsupported(model: name, reason: "a deepar model forecasts by sampling step by step (a random draw fed back); ONNX export covers the point-forecast families (recurrent, seq2seq, grid)")
        case .ensemble:
            throw ExportError.unsupported(model: name, reason: "an ensemble (--model auto, the default) holds ETS and Theta members fitted in Swift and a median combination; export a single network instead (train with --model lstm)")
        case .eshybrid:
            throw ExportError.unsupported(model: name, reason: "an ES-hybrid model (--model eshybrid) runs Holt-Winters smoothing per series before its LSTM, which the ONNX graphs do not cover; export a single network instead (train with --model lstm)")
        }
        let data: Data
        do { data = try proto.serializedData() } catch { throw ExportError.output(path: out, reason: "cannot serialise the ONNX model: \(error)") }
        try AtomicFile.write([UInt8](data), to: out)
    }

    /// The network alone (``SequenceRegressor``, either readout), for library users and tests:
    /// `x [N, T, I]` in model units → `pred [N, P]` (readout `.last`) or `[N, T, P]`
    /// (`.everyStep`), exactly ``SequenceRegressor/forward(_:workspace:params:h0:c0:training:rng:)``.
    public static func regressor(_ model: SequenceRegressor, params: ParameterStore, length T: Int) throws -> Onnx_ModelProto {
        if let reason = ONNXGraphBuilder.unsupportedReason(model.config.recurrent) {
            throw ExportError.unsupported(model: "regressor", reason: reason)
        }
        let I = model.config.recurrent.inputSize, P = model.config.outputs
        var g = ONNXGraphBuilder(name: "forecast_regressor")
        g.input("x", dims: [nil, T, I])
        let xt = g.op("Transpose", ["x"], [ONNXAttribute.ints("perm", [1, 0, 2])])
        let y = g.recurrent(model.rnn, params: params, input: xt)                               // [T, N, D*H]
        switch model.config.readout {
        case .last:
            let last = g.op("Gather", [y, g.constant("last_step", int64: [Int64(T - 1)], shape: [])], [ONNXAttribute.int("axis", 0)])
            g.output(g.linear(model.head, params: params, input: last), as: "pred", dims: [nil, P])
        case .everyStep:
            let pred = g.linear(model.head, params: params, input: y)                            // [T, N, P]
            g.output(g.op("Transpose", [pred], [ONNXAttribute.ints("perm", [1, 0, 2])]), as: "pred", dims: [nil, T, P])
        }
        return g.model(docString: "forecast SequenceRegressor (readout \(model.config.readout.rawValue))", metadata: [])
    }

    /// `["a","b"]`.
    static func jsonArray(_ a: [String]) -> String {
        (try? String(decoding: JSONSerialization.data(withJSONObject: a), as: UTF8.self)) ?? "[]"
    }

    /// `metadata_props` of a series model: what a caller needs to build `x`.
    static func seriesMetadata(family: ModelFamily, inputs: [String], targets: [String], lookback: Int, horizon: Int,
                               loss: LossKind) -> [(String, String)] {
        let json = jsonArray
        return [("forecast.family", family.rawValue), ("forecast.inputs", json(inputs)), ("forecast.targets", json(targets)),
                ("forecast.lookback", "\(lookback)"), ("forecast.horizon", "\(horizon)"), ("forecast.loss", loss.name),
                ("forecast.x", "raw values in data units [batch, lookback, inputs]; calendar inputs as sin/cos")]
    }
}

extension ONNXExport {
    /// The ONNX operator set of exported graphs.
    public static var opset: Int { Int(ONNXGraphBuilder.opset) }
}
