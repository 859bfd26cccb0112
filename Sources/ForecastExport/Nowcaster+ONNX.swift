import Foundation
import Forecast

extension Nowcaster {
    /// This model as one ONNX graph doing what ``forecast(_:windows:)`` does, with both
    /// ConvLSTM stacks unrolled over the fixed frame counts (ONNX has `Conv` but no ConvLSTM):
    ///
    ///     x [N, inFrames, H, W] raw frames (one data channel)
    ///     → scaling (linear: x / scale; log1p: log(1 + max(x, 0)) / scale)
    ///     → space-to-depth (patch p, zero padding to a multiple of p; channel dy·p + dx)
    ///     → encoder: per frame and layer, gates = Conv([x_t, h], W, b, same padding)
    ///       (Conv over x_t alone at the first frame, where h = 0), split i, f, g, o;
    ///       c = σ(f)·c + σ(i)·tanh(g), h = σ(o)·tanh(c)
    ///     → forecaster from the encoder's final states, `outFrames` steps without input
    ///     → 1x1 Conv head, output activation (Softplus / Relu / none), depth-to-space, crop
    ///     → inverse scaling, max(·, 0) → forecast [N, outFrames, H, W] in data units
    public func onnxModel(name: String = "model") throws -> Onnx_ModelProto {
        let a = spec.architecture
        guard a.channels == 1 else {
            throw ExportError.unsupported(model: name, reason: "a grid model with \(a.channels) data channels (the nowcaster forecasts one)")
        }
        let p = a.patch, H = a.height, W = a.width, Hp = a.patchedHeight, Wp = a.patchedWidth, Cp = a.patchedChannels
        let Tin = a.inFrames, Tout = a.outFrames, L = a.hidden.count, k = a.kernel
        var g = ONNXGraphBuilder(name: "forecast_nowcast")
        g.input("x", dims: [nil, Tin, H, W])
        // Scaling.
        let scale = g.constant("frame_scale", [spec.scaling.scale], shape: [])
        var u: String
        switch spec.scaling.transform {
        case .linear: u = g.op("Div", ["x", scale])
        case .log1p:
            let positive = g.op("Max", ["x", g.constant("zero", [0], shape: [])])
            u = g.op("Div", [g.op("Log", [g.op("Add", [positive, g.constant("one", [1], shape: [])])]), scale])
        }
        // Space-to-depth: [N, Tin, H, W] -> [N, Tin, p*p, Hp, Wp].
        if p == 1 {
            u = g.op("Unsqueeze", [u, g.constant("axis2", int64: [2])])
        } else {
            if Hp * p != H || Wp * p != W {
                u = g.op("Pad", [u, g.constant("pads", int64: [0, 0, 0, 0, 0, 0, Int64(Hp * p - H), Int64(Wp * p - W)])])
            }
            let r = g.op("Reshape", [u, g.constant("shape_patches", int64: [-1, Int64(Tin), Int64(Hp), Int64(p), Int64(Wp), Int64(p)])])
            let t = g.op("Transpose", [r], [ONNXAttribute.ints("perm", [0, 1, 3, 5, 2, 4])])
            u = g.op("Reshape", [t, g.constant("shape_depth", int64: [-1, Int64(Tin), Int64(Cp), Int64(Hp), Int64(Wp)])])
        }
        // Weights per stack and layer: the full kernel and its input-channel part.
        func weights(_ stack: String, _ l: Int, inputChannels cin: Int) -> (full: String, input: String?, bias: String) {
            let prefix = ConvLSTM.layerPrefix(stack, layer: l, layers: L)
            let C = a.hidden[l]
            let w = Array(params.view("\(prefix)conv.weight")!)                    // [4C, cin + C, k, k]
            let full = g.constant("\(prefix)W", w, shape: [4 * C, cin + C, k, k])
            var input: String? = nil
            if cin > 0 {
                var part: [Float] = []
                let rowLength: Int = (cin + C) * k * k, inputLength: Int = cin * k * k
                for o in 0..<(4 * C) {
                    let start: Int = o * rowLength
                    part += w[start..<(start + inputLength)]
                }
                input = g.constant("\(prefix)W_x", part, shape: [4 * C, cin, k, k])
            }
            return (full, input, g.constant("\(prefix)b", Array(params.view("\(prefix)conv.bias")!), shape: [4 * C]))
        }
        let convAttributes = [ONNXAttribute.ints("pads", [k / 2, k / 2, k / 2, k / 2]), ONNXAttribute.ints("kernel_shape", [k, k])]
        /// One ConvLSTM step: (h, c) from the gates' pre-activations; nil states are zero.
        func cellStep(_ gates: String, c: String?) -> (h: String, c: String) {
            let parts = g.node("Split", [gates], outputs: 4, attributes: [ONNXAttribute.int("axis", 1)])
            let i = g.op("Sigmoid", [parts[0]]), f = g.op("Sigmoid", [parts[1]])
            let gg = g.op("Tanh", [parts[2]]), o = g.op("Sigmoid", [parts[3]])
            var cNew = g.op("Mul", [i, gg])
            if let c { cNew = g.op("Add", [g.op("Mul", [f, c]), cNew]) }
            return (g.op("Mul", [o, g.op("Tanh", [cNew])]), cNew)
        }
        // Encoder.
        let encoderWeights = (0..<L).map { l in weights("encoder", l, inputChannels: l == 0 ? Cp : a.hidden[l - 1]) }
        var h = [String?](repeating: nil, count: L), c = [String?](repeating: nil, count: L)
        for t in 0..<Tin {
            var input = g.op("Gather", [u, g.constant("frame", int64: [Int64(t)], shape: [])], [ONNXAttribute.int("axis", 1)])   // [N, Cp, Hp, Wp]
            for l in 0..<L {
                let w = encoderWeights[l]
                let gates: String
                if let hPrev = h[l] {
                    gates = g.op("Conv", [g.op("Concat", [input, hPrev], [ONNXAttribute.int("axis", 1)]), w.full, w.bias], convAttributes)
                } else {
                    gates = g.op("Conv", [input, w.input!, w.bias], convAttributes)
                }
                let s = cellStep(gates, c: c[l])
                h[l] = s.h; c[l] = s.c
                input = s.h
            }
        }
        // Forecaster: starts from the encoder's final states; layer 0 has no input.
        let forecasterWeights = (0..<L).map { l in weights("forecaster", l, inputChannels: l == 0 ? 0 : a.hidden[l - 1]) }
        let headW = g.constant("head_W", Array(params.view("head.weight")!), shape: [Cp, a.hidden[L - 1], 1, 1])
        let headB = g.constant("head_b", Array(params.view("head.bias")!), shape: [Cp])
        var frames: [String] = []
        for _ in 0..<Tout {
            var below: String? = nil
            for l in 0..<L {
                let w = forecasterWeights[l]
                let x = below.map { g.op("Concat", [$0, h[l]!], [ONNXAttribute.int("axis", 1)]) } ?? h[l]!
                let s = cellStep(g.op("Conv", [x, w.full, w.bias], convAttributes), c: c[l])
                h[l] = s.h; c[l] = s.c
                below = s.h
            }
            var z = g.op("Conv", [below!, headW, headB])                                           // [N, Cp, Hp, Wp]
            switch a.output {
            case .softplus: z = g.op("Softplus", [z])
            case .relu: z = g.op("Relu", [z])
            case .identity: break
            }
            frames.append(g.op("Unsqueeze", [z, g.constant("axis1", int64: [1])]))
        }
        var out = frames.count == 1 ? frames[0] : g.op("Concat", frames, [ONNXAttribute.int("axis", 1)])   // [N, Tout, Cp, Hp, Wp]
        // Depth-to-space and crop: [N, Tout, H, W].
        if p == 1 {
            out = g.op("Squeeze", [out, g.constant("axis2", int64: [2])])
        } else {
            let r = g.op("Reshape", [out, g.constant("shape_blocks", int64: [-1, Int64(Tout), Int64(p), Int64(p), Int64(Hp), Int64(Wp)])])
            let t = g.op("Transpose", [r], [ONNXAttribute.ints("perm", [0, 1, 4, 2, 5, 3])])
            out = g.op("Reshape", [t, g.constant("shape_frames", int64: [-1, Int64(Tout), Int64(Hp * p), Int64(Wp * p)])])
            if Hp * p != H || Wp * p != W {
                out = g.op("Slice", [out, g.constant("crop_start", int64: [0, 0]), g.constant("crop_end", int64: [Int64(H), Int64(W)]),
                                     g.constant("crop_axes", int64: [2, 3])])
            }
        }
        // Inverse scaling, never negative.
        switch spec.scaling.transform {
        case .linear: out = g.op("Mul", [out, scale])
        case .log1p: out = g.op("Sub", [g.op("Exp", [g.op("Mul", [out, scale])]), g.constant("one", [1], shape: [])])
        }
        out = g.op("Max", [out, g.constant("zero", [0], shape: [])])
        g.output(out, as: "forecast", dims: [nil, Tout, H, W])
        return g.model(docString: "forecast ConvLSTM nowcaster \(name): x [batch, \(Tin), \(H), \(W)] raw frames -> forecast [batch, \(Tout), \(H), \(W)]",
                       metadata: [("forecast.family", ModelFamily.nowcast.rawValue), ("forecast.in_frames", "\(Tin)"),
                                  ("forecast.out_frames", "\(Tout)"), ("forecast.height", "\(H)"), ("forecast.width", "\(W)"),
                                  ("forecast.value", spec.value), ("forecast.x", "raw frames [batch, in_frames, height, width], oldest first")])
    }
}
