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

/// Elman cells as ``RecurrentCell``s: one gate, no extra state; single windows split units with
/// the Elman kernel per half.
protocol ElmanCell: RecurrentCell {
    static var activation: Activation { get }
}

extension ElmanCell {
    static var gates: Int { 1 }
    static var hasCellState: Bool { false }
    static var splitPlan: SplitPlan { .elman(activation) }

    @inline(__always)
    static func forward(_ s: CellForward) {
        ElmanKernels.forward(B: s.rows, H: s.H, act: activation, gates: s.gates, hh: s.hh, bih: s.bih, bhh: s.bhh,
                             h: s.h, hStride: s.hStride)
    }

    /// `dG = (dy + carryH) act'`; the layer then sets `carryH = dG W_hh`.
    @inline(__always)
    static func backward(_ s: CellBackward) {
        ElmanKernels.backward(B: s.rows, H: s.H, act: activation, gates: s.gates, dy: s.dy, dyStride: s.dyStride,
                              carryH: s.carryH, dG: s.dG)
    }
}

/// `h' = tanh(W_ih x + b_ih + W_hh h + b_hh)` (``CellKind/rnnTanh``).
enum ElmanTanhCell: ElmanCell { static var activation: Activation { .tanh } }
/// `h' = relu(W_ih x + b_ih + W_hh h + b_hh)` (``CellKind/rnnRelu``).
enum ElmanReLUCell: ElmanCell { static var activation: Activation { .relu } }
