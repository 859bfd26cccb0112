import Forecast

/// A ``Recurrent`` stack as ONNX `LSTM` / `GRU` / `RNN` nodes, one node per layer (both
/// directions in one node when bidirectional).
///
/// ONNX stacks gate blocks in another order than PyTorch (and so this toolkit):
///
/// | cell | PyTorch / forecast | ONNX | blocks taken, in ONNX order |
/// |---|---|---|---|
/// | LSTM | i, f, g, o | i, o, f, c | 0, 3, 1, 2 |
/// | GRU  | r, z, n    | z, r, h    | 1, 0, 2 |
/// | RNN  | one block  | one block  | 0 |
///
/// ONNX's tensors per layer: `W [D, G*H, in]`, `R [D, G*H, H]`, `B [D, 2*G*H]` (the input
/// biases then the hidden biases), direction 0 forward and 1 reverse. The GRU node sets
/// `linear_before_reset = 1`: PyTorch's reset gate multiplies `W_hn h + b_hn`, after the
/// hidden product (ONNX's default applies it before).
///
/// Input `x` is time-major `[T, N, in]`; the result is time-major `[T, N, D*H]`, every step's
/// output of the top layer (`y` of PyTorch with `batch_first=False`).
extension ONNXGraphBuilder {
    /// Gate blocks of `cell` in ONNX order, as indices into the PyTorch layout.
    static func onnxGateOrder(_ cell: CellKind) -> [Int]? {
        switch cell {
        case .lstm: return [0, 3, 1, 2]
        case .gru: return [1, 0, 2]
        case .rnnTanh, .rnnRelu: return [0]
        case .leakyRNN: return nil
        }
    }

    /// Why `config` has no ONNX equivalent, or nil when it has one.
    static func unsupportedReason(_ config: RecurrentConfig) -> String? {
        if config.cell == .leakyRNN {
            return "leaky-integrator units (h' = (1 - 1/τ) h + (1/τ) tanh(...)) have no ONNX recurrent operator: RNN, GRU and LSTM are the only ones"
        }
        if !config.isUndilated {
            return "dilated (skip) recurrence \(config.dilations) has no ONNX recurrent operator: ONNX's LSTM/GRU/RNN read h_{t-1} only"
        }
        return nil
    }

    /// Appends the stack; returns the top layer's output `[T, N, D*H]`.
    mutating func recurrent(_ layer: Recurrent, params: ParameterStore, input x: String) -> String {
        recurrentWithStates(layer, params: params, input: x).y
    }

    /// Appends the stack; returns the top layer's output `[T, N, D*H]` and its final states
    /// `h, c [D, N, H]` (forward: after step T-1; reverse: after step 0; c nil without a cell
    /// state). With `initialH`/`initialC` (`[D, N, H]`, one layer only) the layer starts from them.
    mutating func recurrentWithStates(_ layer: Recurrent, params: ParameterStore, input x: String,
                                      initialH: String? = nil, initialC: String? = nil) -> (y: String, h: String, c: String?) {
        let cfg = layer.config
        let H = cfg.hiddenSize, D = cfg.directions, G = cfg.cell.gates
        let order = Self.onnxGateOrder(cfg.cell) ?? [0]
        var current = x
        var finalH = "", finalC: String? = nil
        for l in 0..<cfg.numLayers {
            let inSize = l == 0 ? cfg.inputSize : cfg.outputSize
            var w: [Float] = [], r: [Float] = [], b: [Float] = []
            for d in 0..<D {
                let sfx = "_l\(l)" + (d == 1 ? "_reverse" : "")
                let wih = Array(params.view("\(layer.prefix).weight_ih\(sfx)")!)    // [G*H, in]
                let whh = Array(params.view("\(layer.prefix).weight_hh\(sfx)")!)    // [G*H, H]
                let bih = Array(params.view("\(layer.prefix).bias_ih\(sfx)")!)      // [G*H]
                let bhh = Array(params.view("\(layer.prefix).bias_hh\(sfx)")!)      // [G*H]
                for g in order { w += wih[(g * H * inSize)..<((g + 1) * H * inSize)] }
                for g in order { r += whh[(g * H * H)..<((g + 1) * H * H)] }
                var bw: [Float] = [], br: [Float] = []
                for g in order { bw += bih[(g * H)..<((g + 1) * H)]; br += bhh[(g * H)..<((g + 1) * H)] }
                b += bw + br
            }
            let W = constant("\(layer.prefix)_W_l\(l)", w, shape: [D, G * H, inSize])
            let R = constant("\(layer.prefix)_R_l\(l)", r, shape: [D, G * H, H])
            let B = constant("\(layer.prefix)_B_l\(l)", b, shape: [D, 2 * G * H])
            var attributes = [ONNXAttribute.int("hidden_size", H),
                              ONNXAttribute.string("direction", D == 2 ? "bidirectional" : "forward")]
            let opName: String
            switch cfg.cell {
            case .lstm: opName = "LSTM"
            case .gru:
                opName = "GRU"
                attributes.append(ONNXAttribute.int("linear_before_reset", 1))
            default:
                opName = "RNN"
                let act = cfg.cell == .rnnRelu ? "Relu" : "Tanh"
                attributes.append(ONNXAttribute.strings("activations", Array(repeating: act, count: D)))
            }
            // Inputs X, W, R, B, sequence_lens (none), initial_h, initial_c; outputs Y [T, D, N, H],
            // Y_h [D, N, H] (and Y_c for the LSTM).
            var inputs = [current, W, R, B]
            if let initialH { inputs += ["", initialH]; if let initialC, cfg.cell == .lstm { inputs.append(initialC) } }
            let outs = node(opName, inputs, outputs: cfg.cell == .lstm ? 3 : 2, attributes: attributes)
            let y = outs[0]
            finalH = outs[1]; finalC = cfg.cell == .lstm ? outs[2] : nil
            // [T, D, N, H] -> [T, N, D, H] -> [T, N, D*H]: both directions side by side, as PyTorch.
            let t = op("Transpose", [y], [ONNXAttribute.ints("perm", [0, 2, 1, 3])])
            current = op("Reshape", [t, constant("shape_TN_DH", int64: [0, 0, Int64(D * H)])])
        }
        return (current, finalH, finalC)
    }

    /// `y [rows..., in] Wᵀ + b` of a ``Linear`` layer (`MatMul` then `Add`: any leading dims).
    mutating func linear(_ layer: Linear, params: ParameterStore, input x: String) -> String {
        linear(prefix: layer.prefix, inFeatures: layer.inFeatures, outFeatures: layer.outFeatures, bias: true, params: params, input: x)
    }

    /// `x Wᵀ (+ b)` for the tensors `{prefix}.weight [out, in]` (and `{prefix}.bias [out]`).
    mutating func linear(prefix: String, inFeatures: Int, outFeatures: Int, bias: Bool, params: ParameterStore, input x: String) -> String {
        let w = Array(params.view("\(prefix).weight")!)            // [out, in]
        var wt = [Float](repeating: 0, count: w.count)             // [in, out]
        for o in 0..<outFeatures { for i in 0..<inFeatures { wt[i * outFeatures + o] = w[o * inFeatures + i] } }
        let product = op("MatMul", [x, constant("\(prefix)_weight_T", wt, shape: [inFeatures, outFeatures])])
        guard bias else { return product }
        return op("Add", [product, constant("\(prefix)_bias", Array(params.view("\(prefix).bias")!), shape: [outFeatures])])
    }
}
