import Foundation

/// Leaky-integrator Elman units (``CellKind/leakyRNN``): each unit j low-pass filters an Elman
/// tanh unit with its own time constant τ_j ≥ 1, α_j = 1/τ_j:
///
///     u  = tanh(x W_ihᵀ + b_ih + h_prev W_hhᵀ + b_hh)          gates  [B, H] (saved)
///     h' = (1 - α) ⊙ h_prev + α ⊙ u
///
/// Backward, with dh = dy + carry the gradient reaching h':
///
///     da      = dh ⊙ (1 - u²) ⊙ α                               dG  [B, H]
///     dα_j   += Σ_b dh ⊙ (u - h_prev)                           dFactors [H]
///     dh_prev = (1 - α) ⊙ dh  (+ da W_hh, added by the layer)   carryH [B, H]
///
/// τ is fixed (``RecurrentConfig/tau`` for every unit) or learned per unit as
/// `τ = 1 + softplus(ρ)`, ρ stored as `{prefix}.tau_rho_l{k}[_reverse]` `[H]` and initialised so
/// that τ starts at ``RecurrentConfig/tau``; then `dρ = dα · (-α²) · σ(ρ)`.
///
/// Only the Elman tanh cell gets a leak: an LSTM's cell state is already a leaky integrator
/// whose rate is the forget gate, and a GRU's `h' = (1 - z) n + z h` is one whose rate is the
/// update gate, so a fixed τ on top would only rescale a gate they learn anyway.
/// With τ = 1 (α = 1) the cell computes exactly what ``ElmanTanhCell`` computes.
///
/// The unit-split single-window plan does not run this cell (it falls back to the general plan);
/// the layer pipeline runs it through the same step as training.
enum LeakyRNNCell: RecurrentCell {
    static var gates: Int { 1 }
    static var hasCellState: Bool { false }
    static var keepsDirectCarry: Bool { true }
    static var usesUnitFactors: Bool { true }
    static var splitPlan: SplitPlan { .unsupported }

    static func unitParameterNames(_ config: RecurrentConfig) -> [String] { config.learnsTau ? ["tau_rho"] : [] }

    /// ρ with `1 + softplus(ρ) = τ`: `ρ = log(expm1(τ - 1))`.
    static func unitParameterInitialValue(_ config: RecurrentConfig) -> Float {
        let excess = Double(max(config.tau - 1, 1e-3))
        return Float(excess > 20 ? excess : log(expm1(excess)))
    }

    static func unitFactors(_ config: RecurrentConfig, parameters: UnsafePointer<Float>?, into factors: UnsafeMutablePointer<Float>) {
        let H = config.hiddenSize
        guard let rho = parameters else {
            factors.update(repeating: 1 / config.tau, count: H)
            return
        }
        for j in 0..<H { factors[j] = 1 / (1 + softplus(rho[j])) }
    }

    static func unitParameterGradients(_ config: RecurrentConfig, parameters rho: UnsafePointer<Float>, factors alpha: UnsafePointer<Float>,
                                       dFactors dAlpha: UnsafePointer<Float>, grads dRho: UnsafeMutablePointer<Float>) {
        for j in 0..<config.hiddenSize {
            let sigma = 1 / (1 + exp(-rho[j]))                     // softplus'(ρ)
            dRho[j] += dAlpha[j] * (-alpha[j] * alpha[j]) * sigma
        }
    }

    @inline(__always)
    static func softplus(_ x: Float) -> Float { x > 20 ? x : log1p(exp(x)) }

    @inline(__always)
    static func forward(_ s: CellForward) {
        // u = tanh(a) into gates and h, then the leak in place.
        ElmanKernels.forward(B: s.rows, H: s.H, act: .tanh, gates: s.gates, hh: s.hh, bih: s.bih, bhh: s.bhh,
                             h: s.h, hStride: s.hStride)
        guard let alpha = s.factors else { return }
        let H = s.H
        for r in 0..<s.rows {
            let h = s.h + r * s.hStride                                 // [H]
            if let hPrev = s.hPrev {
                let hp = hPrev + r * s.hPrevStride                      // [H]
                for j in 0..<H { h[j] = (1 - alpha[j]) * hp[j] + alpha[j] * h[j] }
            } else {
                for j in 0..<H { h[j] = alpha[j] * h[j] }
            }
        }
    }

    @inline(__always)
    static func backward(_ s: CellBackward) {
        guard let alpha = s.factors else { return }
        // dG = dh ⊙ (1 - u²) with the Elman kernel, so that τ = 1 is the Elman cell to the bit.
        ElmanKernels.backward(B: s.rows, H: s.H, act: .tanh, gates: s.gates, dy: s.dy, dyStride: s.dyStride,
                              carryH: s.carryH, dG: s.dG)
        let H = s.H
        for r in 0..<s.rows {
            let u = s.gates + r * H                                     // [H]
            let carry = s.carryH + r * H                                // [H]
            let dg = s.dG + r * H                                       // [H]
            if let dy = s.dy {
                let dyr = dy + r * s.dyStride
                for j in 0..<H { carry[j] += dyr[j] }                   // carry = dh
            }
            for j in 0..<H { dg[j] *= alpha[j] }
            if let dAlpha = s.dFactors {
                if let hPrev = s.hPrev {
                    let hp = hPrev + r * s.hPrevStride
                    for j in 0..<H { dAlpha[j] += carry[j] * (u[j] - hp[j]) }
                } else {
                    for j in 0..<H { dAlpha[j] += carry[j] * u[j] }
                }
            }
            for j in 0..<H { carry[j] *= 1 - alpha[j] }
        }
    }
}
