import CKernels

/// Fused elementwise Elman RNN step: `h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)` with
/// act = tanh or relu; backward `da = dh * act'(h')`. Loops in C (Sources/CKernels).
enum ElmanKernels {
    @inline(__always)
    static func forward(B: Int, H: Int, act: Activation, gates: UnsafeMutablePointer<Float>, hh: UnsafePointer<Float>?,
                        bih: UnsafePointer<Float>, bhh: UnsafePointer<Float>,
                        h: UnsafeMutablePointer<Float>, hStride: Int) {
        fk_elman_forward(Int32(B), Int32(H), act == .relu ? 1 : 0, gates, hh, bih, bhh, h, Int32(hStride))
    }

    @inline(__always)
    static func backward(B: Int, H: Int, act: Activation, gates: UnsafePointer<Float>,
                         dy: UnsafePointer<Float>?, dyStride: Int,
                         carryH: UnsafePointer<Float>, dG: UnsafeMutablePointer<Float>) {
        fk_elman_backward(Int32(B), Int32(H), act == .relu ? 1 : 0, gates, dy, Int32(dyStride), carryH, dG)
    }
}
