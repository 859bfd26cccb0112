import Foundation
import Forecast

extension Seq2SeqForecaster {
    /// This model as one ONNX graph doing what ``predictScaled(_:future:windows:)`` and the
    /// decoding of ``predict(_:)`` do, with the decoder unrolled over the fixed horizon S:
    ///
    ///     x [N, lookback, F] raw inputs (spec.inputNames order); future [N, S, F_k] raw
    ///       known-future inputs of the forecast steps (spec.futureInputNames), when F_k > 0
    ///     → scaling, level normalisation → encoder (ONNX LSTM/GRU nodes) → bridge
    ///     → S decoder steps, each: attention over the encoder outputs (additive or Luong:
    ///       MatMul, Tanh, Softmax, ReduceSum), one LSTM/GRU step (a sequence-length-1 ONNX
    ///       LSTM/GRU node from the previous state), the head; the point forecast of a step is
    ///       the next step's fed-back target, as in free-running inference
    ///     → levels added back, inverse scaling → forecast [N, S, P] (lower, upper)
    ///
    /// The attention weights are not an output.
    public func onnxModel(name: String = "model") throws -> Onnx_ModelProto {
        let cfg = spec.model
        if let reason = ONNXGraphBuilder.unsupportedReason(cfg.encoder) {
            throw ExportError.unsupported(model: name, reason: "the encoder: \(reason)")
        }
        let T = spec.window.lookback, F = spec.inputNames.count, P = cfg.targets, S = cfg.horizon, Fk = cfg.futureInputs
        let C = cfg.encoderWidth, Hd = cfg.decoderHidden, A = cfg.attentionSize, K = cfg.outputsPerTarget
        let D = cfg.encoder.directions, He = cfg.encoder.hiddenSize
        var g = ONNXGraphBuilder(name: "forecast_seq2seq")
        g.input("x", dims: [nil, T, F])
        var xs = g.scaleInputs("x", names: spec.inputNames, scaler: spec.scaler)
        var levels: String?
        if spec.levelNormalization {
            let ln = g.levelNormalize(xs, lookback: T, features: F, targets: P)
            xs = ln.x; levels = ln.levels
        }
        var future: String?
        if Fk > 0 {
            g.input("future", dims: [nil, S, Fk])
            future = g.scaleInputs("future", names: spec.futureInputNames, scaler: spec.scaler)   // [N, S, Fk]
        }
        // Encoder.
        let xt = g.op("Transpose", [xs], [ONNXAttribute.ints("perm", [1, 0, 2])])                 // [T, N, F]
        let enc = g.recurrentWithStates(model.encoder, params: params, input: xt)                 // Y [T, N, C]
        let Y = enc.y
        func direction(_ state: String, _ d: Int) -> String {                                     // [D, N, H] -> [N, H]
            g.op("Gather", [state, g.constant("direction", int64: [Int64(d)], shape: [])], [ONNXAttribute.int("axis", 0)])
        }
        func sideBySide(_ state: String) -> String {                                              // [D, N, He] -> [N, D*He]
            g.op("Reshape", [g.op("Transpose", [state], [ONNXAttribute.ints("perm", [1, 0, 2])]),
                             g.constant("shape_N_DH", int64: [-1, Int64(D * He)])])
        }
        // Bridge: s0 [N, Hd] and, for an LSTM decoder, c0 [N, Hd] (nil: zeros).
        let encLSTM = cfg.encoder.cell == .lstm, decLSTM = cfg.decoderCell == .lstm
        var s0: String, c0: String?
        switch cfg.bridge {
        case .identity, .sum:
            s0 = direction(enc.h, 0)
            if D == 2 { s0 = g.op("Add", [s0, direction(enc.h, 1)]) }
            if decLSTM, encLSTM, let ec = enc.c {
                var c = direction(ec, 0)
                if D == 2 { c = g.op("Add", [c, direction(ec, 1)]) }
                c0 = c
            } else { c0 = nil }
        case .linear:
            s0 = g.op("Tanh", [g.linear(prefix: "bridge.h", inFeatures: C, outFeatures: Hd, bias: true, params: params, input: sideBySide(enc.h))])
            c0 = decLSTM ? g.linear(prefix: "bridge.c", inFeatures: C, outFeatures: Hd, bias: true, params: params,
                                    input: sideBySide(encLSTM ? enc.c! : enc.h)) : nil
        }
        // Attention keys for the whole window.
        var keys = ""
        switch cfg.attention {
        case .additive: keys = g.linear(prefix: "attention.W_k", inFeatures: C, outFeatures: A, bias: true, params: params, input: Y)   // [T, N, A]
        case .luong: keys = g.linear(prefix: "attention.W", inFeatures: C, outFeatures: Hd, bias: false, params: params, input: Y)     // [T, N, Hd]... W [Hd, C]
        case .none: break
        }
        // The decoder: one layer, stepped with sequence length 1.
        var decoderLayout = ParameterLayout()
        let decoder = Recurrent(RecurrentConfig(cell: cfg.decoderCell, inputSize: cfg.decoderInputSize, hiddenSize: Hd),
                                prefix: "decoder", layout: &decoderLayout)
        let axis0 = g.constant("axis0", int64: [0]), axis1 = g.constant("axis1", int64: [1])
        var state = s0, cell = c0
        // First fed-back target: the (normalised) targets of the window's last step.
        var yPrev = g.op("Reshape", [g.op("Slice", [xs, g.constant("last_start", int64: [Int64(T - 1), 0]), g.constant("last_end", int64: [Int64(T), Int64(P)]),
                                                    g.constant("axes_TF", int64: [1, 2])]), g.constant("shape_NP", int64: [-1, Int64(P)])])
        var steps: [String] = []
        for k in 0..<S {
            var parts = [yPrev]
            if let future {
                parts.append(g.op("Gather", [future, g.constant("step", int64: [Int64(k)], shape: [])], [ONNXAttribute.int("axis", 1)]))   // [N, Fk]
            }
            var context: String?
            if cfg.attention != .none {
                let scores: String                                                                  // [T, N]
                if cfg.attention == .additive {
                    let q = g.linear(prefix: "attention.W_q", inFeatures: Hd, outFeatures: A, bias: false, params: params, input: state)   // [N, A]
                    let u = g.op("Tanh", [g.op("Add", [keys, q])])                                                                      // [T, N, A]
                    let e = g.linear(prefix: "attention.v", inFeatures: A, outFeatures: 1, bias: false, params: params, input: u)        // [T, N, 1]
                    scores = g.op("Squeeze", [e, g.constant("axis2", int64: [2])])
                } else {
                    scores = g.op("ReduceSum", [g.op("Mul", [keys, state]), g.constant("axis2", int64: [2])], [ONNXAttribute.int("keepdims", 0)])
                }
                let weights = g.op("Softmax", [g.op("Transpose", [scores], [ONNXAttribute.ints("perm", [1, 0])])], [ONNXAttribute.int("axis", 1)])  // [N, T]
                let wt = g.op("Unsqueeze", [g.op("Transpose", [weights], [ONNXAttribute.ints("perm", [1, 0])]), g.constant("axis2", int64: [2])])  // [T, N, 1]
                context = g.op("ReduceSum", [g.op("Mul", [Y, wt]), axis0], [ONNXAttribute.int("keepdims", 0)])                          // [N, C]
                parts.append(context!)
            }
            let input = parts.count == 1 ? parts[0] : g.op("Concat", parts, [ONNXAttribute.int("axis", 1)])                              // [N, Din]
            let step = g.recurrentWithStates(decoder, params: params, input: g.op("Unsqueeze", [input, axis0]),
                                             initialH: g.op("Unsqueeze", [state, axis0]), initialC: cell.map { g.op("Unsqueeze", [$0, axis0]) })
            state = g.op("Squeeze", [step.h, axis0])                                                                                     // [N, Hd]
            if let c = step.c { cell = g.op("Squeeze", [c, axis0]) }
            let headIn = context.map { g.op("Concat", [state, $0], [ONNXAttribute.int("axis", 1)]) } ?? state
            let out = g.linear(model.head, params: params, input: headIn)                                                                // [N, K*P]
            steps.append(g.op("Unsqueeze", [out, axis1]))                                                                                 // [N, 1, K*P]
            if k + 1 < S {
                yPrev = g.op("Slice", [out, g.constant("point_start", int64: [Int64(cfg.pointBlock * P)]),
                                       g.constant("point_end", int64: [Int64((cfg.pointBlock + 1) * P)]), axis1])                      // [N, P]
            }
        }
        // [N, S, K*P] -> [N, S, K, P] -> [N, K, S, P] -> [N, K*S*P], the layout of predictScaled.
        let stacked = steps.count == 1 ? steps[0] : g.op("Concat", steps, [ONNXAttribute.int("axis", 1)])
        let blocks = g.op("Transpose", [g.op("Reshape", [stacked, g.constant("shape_NSKP", int64: [-1, Int64(S), Int64(K), Int64(P)])])],
                          [ONNXAttribute.ints("perm", [0, 2, 1, 3])])
        let raw = g.op("Reshape", [blocks, g.constant("shape_N_KSP", int64: [-1, Int64(K * S * P)])])
        let decoded = g.decodeOutputs(raw, loss: spec.loss, steps: S, targets: spec.window.targets, scaler: spec.scaler, levels: levels)
        g.output(decoded.forecast, as: "forecast", dims: [nil, S, P])
        if let lo = decoded.lower, let hi = decoded.upper {
            g.output(lo, as: "lower", dims: [nil, S, P])
            g.output(hi, as: "upper", dims: [nil, S, P])
        }
        var metadata = ONNXExport.seriesMetadata(family: .seq2seq, inputs: spec.inputNames, targets: spec.window.targets,
                                                 lookback: T, horizon: S, loss: spec.loss)
        metadata.append(("forecast.future_inputs", ONNXExport.jsonArray(spec.futureInputNames)))
        return g.model(docString: "forecast seq2seq \(name): x [batch, \(T), \(F)]\(Fk > 0 ? ", future [batch, \(S), \(Fk)]" : "") raw -> forecast [batch, \(S), \(P)] in data units",
                       metadata: metadata)
    }
}
