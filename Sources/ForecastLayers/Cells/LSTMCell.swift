import CKernels

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
/// The loops live in C (Sources/CKernels) so they are vectorised for AVX-512 / AVX2 with
/// run-time dispatch.
enum LSTMKernels {
    /// - Parameters:
    ///   - gates: `[B, 4H]` input projection on entry; activated `i, f, g, o` on return.
    ///   - hh: `[B, 4H]` hidden projection, or nil when h_prev is zero.
    ///   - cPrev: `[B, H]` previous cell state, or nil for zeros.
    ///   - c: `[B, H]` new cell state.   - h: new hidden state, row stride `hStride`.
    @inline(__always)
    static func forward(B: Int, H: Int, gates: UnsafeMutablePointer<Float>, hh: UnsafePointer<Float>?,
                        bih: UnsafePointer<Float>, bhh: UnsafePointer<Float>,
                        cPrev: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>,
                        h: UnsafeMutablePointer<Float>, hStride: Int) {
        fk_lstm_forward(Int32(B), Int32(H), gates, hh, bih, bhh, cPrev, c, h, Int32(hStride))
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
        fk_lstm_backward(Int32(B), Int32(H), gates, c, cPrev, dy, Int32(dyStride), carryH, carryC, dG)
    }
}

/// The LSTM as a ``RecurrentCell``: four gates, a cell state `[T, B, H]` kept for backward,
/// the fused split plan for single windows.
enum LSTMCell: RecurrentCell {
    static var gates: Int { 4 }
    static var hasCellState: Bool { true }
    static var splitPlan: SplitPlan { .fusedSteps(gru: false) }

    @inline(__always)
    static func forward(_ s: CellForward) {
        // c is always given for an LSTM (the layer allocates it from hasCellState).
        guard let c = s.c else { return }
        LSTMKernels.forward(B: s.rows, H: s.H, gates: s.gates, hh: s.hh, bih: s.bih, bhh: s.bhh, cPrev: s.cPrev, c: c,
                            h: s.h, hStride: s.hStride)
    }

    /// carryH is read; carryC is replaced by dc_prev; the layer then sets `carryH = dG W_hh`.
    @inline(__always)
    static func backward(_ s: CellBackward) {
        guard let c = s.c else { return }
        LSTMKernels.backward(B: s.rows, H: s.H, gates: s.gates, c: c, cPrev: s.cPrev, dy: s.dy, dyStride: s.dyStride,
                             carryH: s.carryH, carryC: s.carryC, dG: s.dG)
    }
}
