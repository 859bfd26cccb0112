import CKernels

/// Fused elementwise GRU step (PyTorch form, gates stacked `r, z, n`, reset after the matmul).
///
/// Forward, with x-projections `x_*` (incl. `b_i*`) and hidden projections `h_*` (incl. `b_h*`):
///
///     r = σ(x_r + h_r)   z = σ(x_z + h_z)   n = tanh(x_n + r * h_n)
///     h' = (1 - z) * n + z * h
///
/// Backward, with dh the gradient reaching h':
///
///     dn = dh (1 - z)          dz = dh (h - n)          dh_prev = dh z  (+ hidden matmul below)
///     da_n = dn (1 - n²)       da_r = da_n h_n r(1-r)   da_z = dz z(1-z)
///     input-side gradients  [da_r, da_z, da_n]
///     hidden-side gradients [da_r, da_z, da_n * r]
/// The loops live in C (Sources/CKernels), vectorised with run-time dispatch.
enum GRUKernels {
    /// - Parameters:
    ///   - gates: `[B, 3H]` input projection on entry; activated `r, z, n` on return.
    ///   - hh: `[B, 3H]` hidden projection without bias, or nil when h_prev is zero.
    ///   - hPrev: previous hidden state (row stride `hPrevStride`), or nil for zeros.
    ///   - hn: `[B, H]` saved `W_hn h + b_hn` for backward.
    @inline(__always)
    static func forward(B: Int, H: Int, gates: UnsafeMutablePointer<Float>, hh: UnsafePointer<Float>?,
                        bih: UnsafePointer<Float>, bhh: UnsafePointer<Float>,
                        hPrev: UnsafePointer<Float>?, hPrevStride: Int, hn: UnsafeMutablePointer<Float>,
                        h: UnsafeMutablePointer<Float>, hStride: Int) {
        fk_gru_forward(Int32(B), Int32(H), gates, hh, bih, bhh, hPrev, Int32(hPrevStride), hn, h, Int32(hStride))
    }

    /// - Parameters:
    ///   - carryH: `[B, H]` gradient carried into h' from step t+1; replaced by the direct part
    ///     of the gradient for h_prev (`dh * z`); the caller then adds `dGh · W_hh`.
    ///   - dGx, dGh: `[B, 3H]` input-side and hidden-side pre-activation gradients (written).
    @inline(__always)
    static func backward(B: Int, H: Int, gates: UnsafePointer<Float>, hn: UnsafePointer<Float>,
                         hPrev: UnsafePointer<Float>?, hPrevStride: Int,
                         dy: UnsafePointer<Float>?, dyStride: Int,
                         carryH: UnsafeMutablePointer<Float>,
                         dGx: UnsafeMutablePointer<Float>, dGh: UnsafeMutablePointer<Float>) {
        fk_gru_backward(Int32(B), Int32(H), gates, hn, hPrev, Int32(hPrevStride), dy, Int32(dyStride), carryH, dGx, dGh)
    }
}

/// The GRU as a ``RecurrentCell``: three gates, the hidden-side candidate projection
/// `W_hn h + b_hn` `[T, B, H]` kept for backward, separate hidden-side gradients
/// (`da_n * r`), a direct carry `dh * z`, the fused split plan for single windows.
enum GRUCell: RecurrentCell {
    static var gates: Int { 3 }
    static var hasCellState: Bool { false }
    static var savesHiddenProjection: Bool { true }
    static var separateHiddenGradient: Bool { true }
    static var keepsDirectCarry: Bool { true }
    static var splitPlan: SplitPlan { .fusedSteps(gru: true) }

    @inline(__always)
    static func forward(_ s: CellForward) {
        guard let hn = s.hn else { return }
        GRUKernels.forward(B: s.rows, H: s.H, gates: s.gates, hh: s.hh, bih: s.bih, bhh: s.bhh, hPrev: s.hPrev,
                           hPrevStride: s.hPrevStride, hn: hn, h: s.h, hStride: s.hStride)
    }

    @inline(__always)
    static func backward(_ s: CellBackward) {
        guard let hn = s.hn else { return }
        GRUKernels.backward(B: s.rows, H: s.H, gates: s.gates, hn: UnsafePointer(hn), hPrev: s.hPrev, hPrevStride: s.hPrevStride,
                            dy: s.dy, dyStride: s.dyStride, carryH: s.carryH, dGx: s.dG, dGh: s.dGh)
    }
}
