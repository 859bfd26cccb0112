/// Fused elementwise LSTM step, forward and backward (gates stacked `i, f, g, o`).
///
/// Forward, per batch row and unit j (pre-activations a = x-projection + h-projection + biases):
///
///     i = σ(a_i)  f = σ(a_f)  g = tanh(a_g)  o = σ(a_o)
///     c = f * c_prev + i * g      h = o * tanh(c)
///
/// Backward, with dh the gradient reaching h and dc the carried cell gradient:
///
///     dc += dh * o * (1 - tanh²c)
///     da_i = dc * g * i(1-i)   da_f = dc * c_prev * f(1-f)   da_g = dc * i * (1-g²)
///     da_o = dh * tanh(c) * o(1-o)      dc_prev = dc * f
enum LSTMKernels {
    /// - Parameters:
    ///   - gates: `[B, 4H]` input projection on entry; activated `i, f, g, o` on return.
    ///   - hh: `[B, 4H]` hidden projection, or nil when h_prev is zero.
    ///   - cPrev: `[B, H]` previous cell state (row stride H), or nil for zeros.
    ///   - c: `[B, H]` new cell state.   - h: new hidden state, row stride `hStride`.
    @inline(__always)
    static func forward(B: Int, H: Int, gates: UnsafeMutablePointer<Float>, hh: UnsafePointer<Float>?,
                        bih: UnsafePointer<Float>, bhh: UnsafePointer<Float>,
                        cPrev: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>,
                        h: UnsafeMutablePointer<Float>, hStride: Int) {
        let G = 4 * H
        for b in 0..<B {
            let g = gates + b * G
            let cRow = c + b * H, hRow = h + b * hStride
            if let hh {
                let p = hh + b * G
                for k in 0..<G { g[k] += p[k] + bih[k] + bhh[k] }
            } else {
                for k in 0..<G { g[k] += bih[k] + bhh[k] }
            }
            for j in 0..<H {
                let ig = fastSigmoid(g[j])
                let fg = fastSigmoid(g[H + j])
                let gg = fastTanh(g[2 * H + j])
                let og = fastSigmoid(g[3 * H + j])
                let cp: Float = cPrev.map { $0[b * H + j] } ?? 0
                let cn = fg * cp + ig * gg
                g[j] = ig; g[H + j] = fg; g[2 * H + j] = gg; g[3 * H + j] = og
                cRow[j] = cn
                hRow[j] = og * fastTanh(cn)
            }
        }
    }

    /// - Parameters:
    ///   - dy: `[B, *]` gradient from above for this step's h (row stride `dyStride`), or nil.
    ///   - carryH: `[B, H]` gradient carried into h from step t+1 (read).
    ///   - carryC: `[B, H]` gradient carried into c; replaced by the gradient for c_prev.
    ///   - dG: `[B, 4H]` pre-activation gradients (written).
    @inline(__always)
    static func backward(B: Int, H: Int, gates: UnsafePointer<Float>, c: UnsafePointer<Float>, cPrev: UnsafePointer<Float>?,
                         dy: UnsafePointer<Float>?, dyStride: Int,
                         carryH: UnsafePointer<Float>, carryC: UnsafeMutablePointer<Float>,
                         dG: UnsafeMutablePointer<Float>) {
        let G = 4 * H
        for b in 0..<B {
            let g = gates + b * G, d = dG + b * G
            for j in 0..<H {
                let ig = g[j], fg = g[H + j], gg = g[2 * H + j], og = g[3 * H + j]
                let cn = c[b * H + j]
                let tc = fastTanh(cn)
                var dh = carryH[b * H + j]
                if let dy { dh += dy[b * dyStride + j] }
                let dc = carryC[b * H + j] + dh * og * (1 - tc * tc)
                let cp: Float = cPrev.map { $0[b * H + j] } ?? 0
                d[j] = dc * gg * ig * (1 - ig)
                d[H + j] = dc * cp * fg * (1 - fg)
                d[2 * H + j] = dc * ig * (1 - gg * gg)
                d[3 * H + j] = dh * tc * og * (1 - og)
                carryC[b * H + j] = dc * fg
            }
        }
    }
}
