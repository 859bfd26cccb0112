/// Fused elementwise Elman RNN step: `h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)` with
/// act = tanh or relu; backward `da = dh * act'(h')`.
enum ElmanKernels {
    @inline(__always)
    static func forward(B: Int, H: Int, act: Activation, gates: UnsafeMutablePointer<Float>, hh: UnsafePointer<Float>?,
                        bih: UnsafePointer<Float>, bhh: UnsafePointer<Float>,
                        h: UnsafeMutablePointer<Float>, hStride: Int) {
        for b in 0..<B {
            let g = gates + b * H
            let p = hh.map { $0 + b * H }
            for j in 0..<H {
                let a = g[j] + (p?[j] ?? 0) + bih[j] + bhh[j]
                let y = act.apply(a)
                g[j] = y
                h[b * hStride + j] = y
            }
        }
    }

    @inline(__always)
    static func backward(B: Int, H: Int, act: Activation, gates: UnsafePointer<Float>,
                         dy: UnsafePointer<Float>?, dyStride: Int,
                         carryH: UnsafePointer<Float>, dG: UnsafeMutablePointer<Float>) {
        for b in 0..<B {
            for j in 0..<H {
                var dh = carryH[b * H + j]
                if let dy { dh += dy[b * dyStride + j] }
                dG[b * H + j] = dh * act.derivative(output: gates[b * H + j])
            }
        }
    }
}
