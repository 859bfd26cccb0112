/// One recurrent cell kind as a unit: its gate count, the state it carries, the buffers its
/// backward pass needs, its fused step kernels and how the fast inference plans treat it.
///
/// ``Recurrent`` runs every cell through the same loops: per (layer, direction) one GEMM for the
/// input projection of the window, then per block of steps one product `h_{t-D} W_hhᵀ` into
/// `hh` and one call of ``forward(_:)``; backward walks the blocks in reverse, calls
/// ``backward(_:)`` and forms `dh_{t-D} (+)= dG_h W_hh`. The layer picks the cell with one
/// exhaustive switch (``CellKind/accept(_:)``) *outside* its time loops and then runs a loop
/// specialised for the cell's type, so no step pays for dynamic dispatch.
///
/// Everything here is static: a cell holds no state and no weights.
protocol RecurrentCell {
    /// Gate blocks per hidden unit: the weights are `[G*H, in]` and `[G*H, H]`.
    static var gates: Int { get }
    /// Whether the cell carries a cell state c (LSTM).
    static var hasCellState: Bool { get }
    /// Whether forward saves the hidden-side projection of the candidate `W_hn h + b_hn`
    /// `[T, B, H]` for backward (GRU).
    static var savesHiddenProjection: Bool { get }
    /// Whether the hidden-side pre-activation gradients differ from the input-side ones, so
    /// backward keeps them in a second `[T, B, G*H]` buffer (GRU: `da_n * r`).
    static var separateHiddenGradient: Bool { get }
    /// Whether ``backward(_:)`` leaves a direct part of `dh_prev` in `carryH`, to which the
    /// layer adds `dG_h W_hh` (GRU, leaky); otherwise the product replaces `carryH`.
    static var keepsDirectCarry: Bool { get }
    /// Per-unit factors `[H]` per (layer, direction) that the step kernels read (leaky: 1/τ).
    static var usesUnitFactors: Bool { get }
    /// How single-window inference that splits units across two threads runs this cell.
    static var splitPlan: SplitPlan { get }

    /// Extra per-unit parameters `[H]` per (layer, direction), by name stem (`"tau_rho"` →
    /// `{prefix}.tau_rho_l{k}[_reverse]`), after PyTorch's four tensors.
    static func unitParameterNames(_ config: RecurrentConfig) -> [String]
    /// Initial value of every extra per-unit parameter.
    static func unitParameterInitialValue(_ config: RecurrentConfig) -> Float
    /// `factors` `[H]` from the config and the layer's unit parameters (nil when it has none).
    static func unitFactors(_ config: RecurrentConfig, parameters: UnsafePointer<Float>?, into factors: UnsafeMutablePointer<Float>)
    /// Turns `dFactors` `[H]` (gradients for the factors) into gradients for the unit
    /// parameters, accumulated (`+=`) into `grads`.
    static func unitParameterGradients(_ config: RecurrentConfig, parameters: UnsafePointer<Float>, factors: UnsafePointer<Float>,
                                       dFactors: UnsafePointer<Float>, grads: UnsafeMutablePointer<Float>)

    /// One block of rows (a step, or the independent steps of a dilated layer): turns the input
    /// projections in `gates` into activations and writes h (and c).
    static func forward(_ s: CellForward)
    /// The matching backward: writes the pre-activation gradients and updates the carries.
    static func backward(_ s: CellBackward)
}

/// How the unit-split single-window plan (RecurrentUnitSplit.swift) runs a cell.
enum SplitPlan {
    /// All steps of a layer in one C call, `fk_split_layer_steps` (LSTM, GRU).
    case fusedSteps(gru: Bool)
    /// Steps in Swift with the Elman kernel on each half's units.
    case elman(Activation)
    /// Not supported: the layer runs the general plan.
    case unsupported
}

/// Arguments of one forward block of `rows` rows (batch rows × independent steps).
struct CellForward {
    var rows: Int, H: Int
    /// `[rows, G*H]` input projection on entry; activated gates on return.
    var gates: UnsafeMutablePointer<Float>
    /// `[rows, G*H]` hidden projection `h_prev W_hhᵀ` without bias, or nil when h_prev is zero.
    var hh: UnsafePointer<Float>?
    /// `[G*H]` biases.
    var bih: UnsafePointer<Float>, bhh: UnsafePointer<Float>
    /// Previous hidden state, rows `hPrevStride` apart, or nil for zeros.
    var hPrev: UnsafePointer<Float>?, hPrevStride: Int
    /// `[rows, H]` previous and new cell state (LSTM), else nil.
    var cPrev: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>?
    /// `[rows, H]` saved hidden-side candidate projection (GRU), else nil.
    var hn: UnsafeMutablePointer<Float>?
    /// `[H]` per-unit factors (leaky: 1/τ), else nil.
    var factors: UnsafePointer<Float>?
    /// New hidden state, rows `hStride` apart.
    var h: UnsafeMutablePointer<Float>, hStride: Int
}

/// Arguments of one backward block, the reverse of a ``CellForward``.
struct CellBackward {
    var rows: Int, H: Int
    /// `[rows, G*H]` activated gates saved by forward.
    var gates: UnsafePointer<Float>
    var hPrev: UnsafePointer<Float>?, hPrevStride: Int
    /// This block's new hidden state as forward wrote it (rows `hStride` apart).
    var h: UnsafePointer<Float>, hStride: Int
    var cPrev: UnsafePointer<Float>?, c: UnsafePointer<Float>?
    var hn: UnsafePointer<Float>?
    var factors: UnsafePointer<Float>?
    /// `[H]` gradients for the factors, accumulated (`+=`), or nil.
    var dFactors: UnsafeMutablePointer<Float>?
    /// Gradient from above for h, rows `dyStride` apart, or nil.
    var dy: UnsafePointer<Float>?, dyStride: Int
    /// `[rows, H]` gradients carried into h and c from the steps that read them.
    var carryH: UnsafeMutablePointer<Float>, carryC: UnsafeMutablePointer<Float>
    /// `[rows, G*H]` input-side and hidden-side pre-activation gradients (the same buffer
    /// unless ``RecurrentCell/separateHiddenGradient``).
    var dG: UnsafeMutablePointer<Float>, dGh: UnsafeMutablePointer<Float>
}

extension RecurrentCell {
    static var savesHiddenProjection: Bool { false }
    static var separateHiddenGradient: Bool { false }
    static var keepsDirectCarry: Bool { false }
    static var usesUnitFactors: Bool { false }
    static func unitParameterNames(_ config: RecurrentConfig) -> [String] { [] }
    static func unitParameterInitialValue(_ config: RecurrentConfig) -> Float { 0 }
    static func unitFactors(_ config: RecurrentConfig, parameters: UnsafePointer<Float>?, into factors: UnsafeMutablePointer<Float>) {}
    static func unitParameterGradients(_ config: RecurrentConfig, parameters: UnsafePointer<Float>, factors: UnsafePointer<Float>,
                                       dFactors: UnsafePointer<Float>, grads: UnsafeMutablePointer<Float>) {}
}

/// Something to do with a cell's type, specialised for it (``CellKind/accept(_:)``).
protocol CellVisitor {
    associatedtype Result
    func visit<Cell: RecurrentCell>(_ cell: Cell.Type) -> Result
}
